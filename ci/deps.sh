#!/usr/bin/env bash
# Install the Debian packages racewire needs to build, test and benchmark.
#
# Idempotent: a package already installed is not touched, and when nothing
# is missing this prints one line and makes no network access. Run as root,
# or with sudo available. Used by `make deps`, which the README's two
# commands run first.
set -euo pipefail

packages=(
	gcc clang make binutils   # gcc and clang both build our code with -Werror
	libcriterion-dev          # unit and integration tests
	libdw-dev libelf-dev      # the default symbolizer (DWARF file:line)
	elfutils gdb              # eu-stack / gdb capture stacks of hung runs
	valgrind                  # bench: instruction counts with callgrind
	xz-utils apt-utils        # unpacking compiler-rt's source package
	procps bc                 # ps/pgrep in the stress scripts; bc in bench/run.sh
	pkgconf                   # the install test builds through racewire.pc
	golang-1.19-go            # go/ (the guarded Go race runtime), bench/transitions
	patch                     # go/patches: seed 001 reintroduced in a GOROOT copy
	clang-19 libclang-rt-19-dev   # the fiber backend: C/C++ TSan
	libboost-fiber-dev libboost-context-dev   # its proof on Boost.Fiber
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "racewire deps: all ${#packages[@]} Debian packages present"
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "racewire deps: missing packages: ${missing[*]}" >&2
		echo "racewire deps: not root and no sudo; install them and run again" >&2
		exit 1
	fi
fi

echo "racewire deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >/dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "racewire deps: installed ${#missing[@]} package(s)"
