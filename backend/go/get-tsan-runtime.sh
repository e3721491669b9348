#!/usr/bin/env bash
# Obtain compiler-rt's Go-mode ThreadSanitizer runtime and install it as
#   OUTDIR/race_linux_amd64.syso         release (what Go ships)
#   OUTDIR/race_debug_linux_amd64.syso   SANITIZER_DEBUG=1: internal CHECKs on
#   OUTDIR/VERSION                       where the two objects came from
#
# The objects are built by compiler-rt's own lib/tsan/go/buildgo.sh from the
# distribution's LLVM source package (llvm-toolchain-19, else -18; or
# RACEWIRE_LLVM_SRCPKG), so they are exactly what `go build -race` links,
# built from a known LLVM. Only the folders that buildgo.sh reads are
# extracted from the 160 MB tarball, and the tarball is deleted afterwards.
#
# Debian and Ubuntu only: the source package comes through apt from the
# official archive apt already uses (deb.debian.org, archive.ubuntu.com and
# their mirrors). Tested on Debian 12; on Ubuntu 24.04 the same steps find
# llvm-toolchain-19 in noble-updates (universe). Elsewhere this stops with a
# message saying what to put in OUTDIR instead.
#
# The result is cached: when all three files exist this does nothing, no
# download and no compile. Delete OUTDIR (or run `make distclean`) to rebuild.
#
# If the source package cannot be had, this falls back to the prebuilt release
# object in the distribution's golang-1.NN-src (golang-1.19-src on Debian 12,
# golang-1.22-src on Ubuntu 24.04: an older LLVM, no debug variant) and says
# so in VERSION and on stderr.
set -euo pipefail

outdir=${1:?usage: get-tsan-runtime.sh OUTDIR}
srcpkg=${RACEWIRE_LLVM_SRCPKG:-}
release=$outdir/race_linux_amd64.syso
debug=$outdir/race_debug_linux_amd64.syso
version=$outdir/VERSION

say() { echo "racewire tsan: $*"; }

if [[ -s $release && -s $version ]] && { [[ -s $debug ]] || grep -q '^debug: none' "$version"; }; then
	say "cached in $outdir ($(head -n 1 "$version"))"
	exit 0
fi

if [[ $(uname -m) != x86_64 || $(uname -s) != Linux ]]; then
	say "only linux/amd64 is supported (this is $(uname -s)/$(uname -m))" >&2
	exit 1
fi

# apt, and an archive this script knows how to read sources from.
distro=unknown
if [[ -r /etc/os-release ]]; then
	# shellcheck disable=SC1091
	distro=$(. /etc/os-release && echo "${ID:-unknown} ${ID_LIKE:-}")
fi
if ! command -v apt-get >/dev/null 2>&1 || [[ " $distro " != *" debian "* && " $distro " != *" ubuntu "* ]]; then
	say "this script obtains the runtime through apt from Debian's or Ubuntu's archive;" >&2
	say "this system is '${distro% }'. Build compiler-rt's lib/tsan/go/buildgo.sh (LLVM 18 or 19)" >&2
	say "yourself and put race_linux_amd64.syso, race_debug_linux_amd64.syso and a one-line" >&2
	say "VERSION file saying where they came from in $outdir." >&2
	exit 1
fi

sudo=()
((EUID == 0)) || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive

# apt-get source needs a deb-src entry. Derive one from the official Debian
# or Ubuntu entries apt already uses (same mirror, same suites, same keys),
# in a file of our own, so no system file is edited. Only the distribution's
# own archives qualify: a URI whose path ends in debian, debian-security,
# ubuntu or ubuntu-ports (a snapshot.debian.org date after it is fine), or
# an apt mirror list (mirror+file:, as CI images use). A third-party
# repository (packages.microsoft.com/ubuntu/24.04/prod, say) publishes no
# sources, and a deb-src entry for it would make apt-get update fail.
official_uri='^(mirror(\+[a-z]+)?:.*|.*/(debian|debian-security|ubuntu|ubuntu-ports)(/[0-9]+T[0-9]+Z)?/?)$'

# deb822 stanzas (*.sources) on stdin -> the same stanzas as deb-src. Lines
# are matched whole: Ubuntu's file opens with comment lines that mention
# "Types:" and "URIs:" in the same paragraph as the real fields.
derive_deb822() {
	awk -v official="$official_uri" 'BEGIN { RS = ""; FS = "\n" }
	{
		out = ""; deb = 0; uri = 0; off = 0
		for (i = 1; i <= NF; i++) {
			line = $i
			if (line ~ /^[ \t]*#/)
				continue
			if (line ~ /^Types:/) {
				if (line ~ /[ \t]deb([ \t]|$)/)
					deb = 1
				line = "Types: deb-src"
			} else if (line ~ /^URIs:/) {
				n = split(substr(line, 6), u, /[ \t]+/)
				for (j = 1; j <= n; j++)
					if (u[j] ~ official)
						uri = 1
			} else if (line ~ /^Enabled:[ \t]*no/) {
				off = 1
			}
			out = out line "\n"
		}
		if (deb && uri && !off)
			printf "%s\n", out
	}'
}

# One-line entries (sources.list) on stdin -> deb822 deb-src stanzas:
#   deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] URI SUITE COMPONENT...
derive_one_line() {
	awk -v official="$official_uri" '$1 == "deb" {
		i = 2; keys = ""
		if ($i ~ /^\[/) {
			for (; i <= NF; i++) {
				o = $i; gsub(/[][]/, "", o)
				if (o ~ /^signed-by=/)
					keys = substr(o, 11)
				if ($i ~ /\]$/)
					break
			}
			i++
		}
		if ($i !~ official || i + 1 > NF)
			next
		printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
		for (j = i + 2; j <= NF; j++)
			printf " %s", $j
		printf "\n"
		if (keys != "")
			printf "Signed-By: %s\n", keys
		printf "\n"
	}'
}

ensure_deb_src() {
	local f=/etc/apt/sources.list.d/racewire-deb-src.sources
	if [[ $(apt-get indextargets 2>/dev/null) == *$'\nIdentifier: Sources\n'* ]]; then
		return 0
	fi
	say "adding a deb-src entry for the distribution's archive ($f)"
	local tmp s
	tmp=$(mktemp)
	for s in /etc/apt/sources.list.d/*.sources; do
		[[ -e $s && $s != "$f" ]] || continue
		derive_deb822 <"$s" >>"$tmp"
	done
	for s in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -e $s ]] || continue
		derive_one_line <"$s" >>"$tmp"
	done
	if [[ ! -s $tmp ]]; then
		rm -f "$tmp"
		say "no Debian or Ubuntu archive entry found in /etc/apt to derive deb-src from" >&2
		return 1
	fi
	"${sudo[@]}" install -m 0644 "$tmp" "$f"
	rm -f "$tmp"
	"${sudo[@]}" apt-get update -q >/dev/null || {
		say "apt-get update failed with the deb-src entries in $f" >&2
		return 1
	}
}

# The LLVM source package: RACEWIRE_LLVM_SRCPKG, else the newest of those
# whose compiler-rt racewire is known to build against that apt offers
# (Debian 12: 19; Ubuntu 24.04: 19 in noble-updates, 18 in noble).
pick_srcpkg() {
	if [[ -n $srcpkg ]]; then
		return 0
	fi
	local p
	for p in llvm-toolchain-19 llvm-toolchain-18; do
		# Not `| grep -q`: with pipefail, grep's early exit fails the pipe.
		if [[ $(apt-cache showsrc "$p" 2>/dev/null) == *"Package: $p"* ]]; then
			srcpkg=$p
			return 0
		fi
	done
	say "apt offers no source package llvm-toolchain-19 or llvm-toolchain-18" >&2
	return 1
}

build_from_source() {
	ensure_deb_src || return 1
	pick_srcpkg || return 1
	local work=$outdir/src
	rm -rf "$work"
	mkdir -p "$work"
	say "downloading source package $srcpkg"
	(cd "$work" && apt-get source --download-only -q "$srcpkg" >/dev/null 2>&1) || {
		say "apt-get source $srcpkg failed" >&2
		return 1
	}
	local tarball
	tarball=$(ls "$work"/"$srcpkg"_*.orig.tar.* 2>/dev/null | head -n 1)
	[[ -n $tarball ]] || { say "no orig tarball in $work" >&2; return 1; }
	local pkgversion
	pkgversion=$(sed -n 's/^Version: //p' "$work"/*.dsc | head -n 1)

	say "extracting compiler-rt lib/{tsan,sanitizer_common,interception,ubsan} and include"
	tar -xf "$tarball" -C "$work" --wildcards \
		'*/compiler-rt/lib/tsan/*' '*/compiler-rt/lib/sanitizer_common/*' \
		'*/compiler-rt/lib/interception/*' '*/compiler-rt/lib/ubsan/*' \
		'*/compiler-rt/include/*'
	rm -f "$work"/*.tar.* "$work"/*.dsc
	local godir
	godir=$(ls -d "$work"/*/compiler-rt/lib/tsan/go | head -n 1)

	say "building with compiler-rt's buildgo.sh (release and debug, about 15 s)"
	(cd "$godir" && CC=${TSAN_CC:-gcc} SILENT=1 sh ./buildgo.sh >buildgo.log 2>&1) || {
		say "buildgo.sh failed; its log:" >&2
		cat "$godir/buildgo.log" >&2
		return 1
	}
	cp "$godir/race_linux_amd64.syso" "$release"
	cp "$godir/race_debug_linux_amd64.syso" "$debug"
	{
		echo "$srcpkg $pkgversion (compiler-rt lib/tsan/go/buildgo.sh)"
		echo "llvm: ${pkgversion#*:}" | sed 's/-.*//'
		echo "compiler: $(${TSAN_CC:-gcc} --version | head -n 1)"
		echo "release: $release"
		echo "debug: $debug"
		echo "source: $(dirname "$(dirname "$(dirname "$godir")")")"
	} >"$version"
}

fall_back_to_go_src() {
	# Go's own prebuilt object, as its golang-1.NN-src package ships it:
	# one already installed, else the first of these that apt offers
	# (Debian 12 has 1.19, Ubuntu 24.04 has 1.22 and 1.21).
	local syso pkg v
	syso=$(ls /usr/share/go-1.*/src/runtime/race/race_linux_amd64.syso 2>/dev/null | head -n 1)
	if [[ -z $syso ]]; then
		for v in 1.19 1.22 1.21; do
			if apt-cache show "golang-$v-src" >/dev/null 2>&1; then
				say "installing golang-$v-src for its prebuilt runtime"
				"${sudo[@]}" apt-get install -y -q --no-install-recommends "golang-$v-src" >/dev/null &&
					syso=/usr/share/go-$v/src/runtime/race/race_linux_amd64.syso
				break
			fi
		done
	fi
	if [[ -z $syso || ! -s $syso ]]; then
		say "no prebuilt fallback either: no golang-1.NN-src with runtime/race/race_linux_amd64.syso" >&2
		exit 1
	fi
	pkg=$(dpkg-query -S "$syso" 2>/dev/null | cut -d: -f1)
	cp "$syso" "$release"
	rm -f "$debug"
	{
		echo "${pkg:-$syso} $(dpkg-query -W -f='${Version}' "${pkg:-none}" 2>/dev/null) (prebuilt fallback)"
		echo "llvm: unknown (see runtime/race/README in ${pkg:-the Go source})"
		echo "release: $release"
		echo "debug: none (the prebuilt package has no SANITIZER_DEBUG variant)"
	} >"$version"
	say "FALLBACK: using the prebuilt runtime from ${pkg:-$syso}; no debug runtime" >&2
}

mkdir -p "$outdir"
if ! build_from_source; then
	say "could not build from ${srcpkg:-an LLVM source package}; falling back" >&2
	fall_back_to_go_src
fi
say "installed: $(head -n 1 "$version")"
