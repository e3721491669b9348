#!/usr/bin/env bash
# Obtain compiler-rt's Go-mode ThreadSanitizer runtime and install it as
#   OUTDIR/race_linux_amd64.syso         release (what Go ships)
#   OUTDIR/race_debug_linux_amd64.syso   SANITIZER_DEBUG=1: internal CHECKs on
#   OUTDIR/VERSION                       where the two objects came from
#
# The objects are built by compiler-rt's own lib/tsan/go/buildgo.sh from
# Debian's source package (llvm-toolchain-19 by default), so they are exactly
# what `go build -race` links, built from a known LLVM. Only the folders that
# buildgo.sh reads are extracted from the 160 MB tarball, and the tarball is
# deleted afterwards.
#
# The result is cached: when all three files exist this does nothing, no
# download and no compile. Delete OUTDIR (or run `make distclean`) to rebuild.
#
# If the source package cannot be had, this falls back to the prebuilt release
# object in Debian's golang-1.19-src (an older LLVM, no debug variant) and says
# so in VERSION and on stderr.
set -euo pipefail

outdir=${1:?usage: get-tsan-runtime.sh OUTDIR}
srcpkg=${RACEWIRE_LLVM_SRCPKG:-llvm-toolchain-19}
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

sudo=()
((EUID == 0)) || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive

# apt-get source needs a deb-src entry. Derive one from the Debian entries
# apt already uses (same mirror, same suites), in a file of our own, so no
# system file is edited.
ensure_deb_src() {
	local f=/etc/apt/sources.list.d/racewire-deb-src.sources
	if apt-get indextargets 2>/dev/null | grep -q '^Identifier: Sources$'; then
		return 0
	fi
	say "adding a deb-src entry for the Debian archive ($f)"
	local tmp
	tmp=$(mktemp)
	# deb822 files: copy each stanza that lists a Debian mirror, as deb-src.
	for s in /etc/apt/sources.list.d/*.sources; do
		[[ -e $s && $s != "$f" ]] || continue
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /URIs:[^\n]*debian/ && /Types:[^\n]*deb/ {
			sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$s" >>"$tmp"
	done
	# One-line format.
	for s in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -e $s ]] || continue
		awk '$1 == "deb" && /debian/ {
			$1 = "deb-src"; printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $2, $3
			for (i = 4; i <= NF; i++) printf " %s", $i; printf "\n\n" }' "$s" >>"$tmp"
	done
	if [[ ! -s $tmp ]]; then
		rm -f "$tmp"
		say "no Debian archive entry found in /etc/apt to derive deb-src from" >&2
		return 1
	fi
	"${sudo[@]}" install -m 0644 "$tmp" "$f"
	rm -f "$tmp"
	"${sudo[@]}" apt-get update -q >/dev/null
}

build_from_source() {
	ensure_deb_src || return 1
	local work=$outdir/src
	rm -rf "$work"
	mkdir -p "$work"
	say "downloading Debian source package $srcpkg"
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
	local syso=/usr/share/go-1.19/src/runtime/race/race_linux_amd64.syso
	if [[ ! -s $syso ]]; then
		say "installing golang-1.19-src for its prebuilt runtime"
		"${sudo[@]}" apt-get install -y -q --no-install-recommends golang-1.19-src >/dev/null
	fi
	cp "$syso" "$release"
	rm -f "$debug"
	{
		echo "golang-1.19-src $(dpkg-query -W -f='${Version}' golang-1.19-src) (prebuilt fallback)"
		echo "llvm: unknown (older than 19; see runtime/race/README in golang-1.19-src)"
		echo "release: $release"
		echo "debug: none (the prebuilt package has no SANITIZER_DEBUG variant)"
	} >"$version"
	say "FALLBACK: using the prebuilt runtime from golang-1.19-src; no debug runtime" >&2
}

mkdir -p "$outdir"
if ! build_from_source; then
	say "could not build from $srcpkg; falling back" >&2
	fall_back_to_go_src
fi
say "installed: $(head -n 1 "$version")"
