#!/usr/bin/env bash
# Build racewire's guarded Go race runtime:
#
#   go/build.sh OUT TSAN_DIR GOROOT CC
#
# OUT/race_linux_amd64.syso and OUT/race_debug_linux_amd64.syso are
# compiler-rt's Go-mode TSan objects (TSAN_DIR, built by `make deps`) with
# go/guard.c in front of the entry points it wraps: TSan's definitions are
# renamed __tsan_X -> rw__tsan_X (objcopy --redefine-syms) and the guard,
# which defines __tsan_X and calls rw__tsan_X, is linked with them into one
# relocatable object (ld -r). Go links that object like its own .syso.
#
# Before anything is written, the checks that make the result safe to hand
# to Go's internal linker, which is strict and fails late and obscurely:
#   - the pair: the installed Go and the LLVM of TSAN_DIR are a row of
#     go/pairs.tsv, and the runtime offsets the guard reads are the ones the
#     installed Go's own go_asm.h says;
#   - the ABI: every __tsan_* symbol the installed Go's runtime/race.go and
#     race_amd64.s reference is defined by the result;
#   - the link: the result imports no symbol the stock object does not, and
#     has no TLS section or TLS relocation.
set -euo pipefail

out=${1:?usage: go/build.sh OUT TSAN_DIR GOROOT CC}
tsan=${2:?usage: go/build.sh OUT TSAN_DIR GOROOT CC}
goroot=${3:?usage: go/build.sh OUT TSAN_DIR GOROOT CC}
cc=${4:-gcc}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

die() { echo "racewire go: $*" >&2; exit 1; }

[[ -x $goroot/bin/go ]] || die "no Go at $goroot (make go installs golang-1.19-go)"
[[ -s $tsan/VERSION ]] || die "no TSan runtime in $tsan (run make deps)"
gover=$(head -n 1 "$goroot/VERSION")
llvm=$(sed -n 's/^llvm: \([0-9]*\).*/\1/p' "$tsan/VERSION")
[[ -n $llvm ]] || die "$tsan/VERSION names no LLVM version"
pair="Go $gover with LLVM $llvm"

# ---- The pair and its offsets -------------------------------------------------
row=
while IFS=$'\t' read -r series major offsets; do
	[[ -z $series || $series == \#* ]] && continue
	if [[ ($gover == "$series" || $gover == "$series".*) && $llvm == "$major" ]]; then
		row=$offsets
	fi
done <"$here/pairs.tsv"
[[ -n $row ]] || die "unsupported pair: $pair is not in go/pairs.tsv (supported: $(grep -v '^#' "$here/pairs.tsv" | awk -F'\t' '{printf "%sGo %s with LLVM %s", s, $1, $2; s=", "}')); see go/README.md, 'Adding a (Go, LLVM) pair'"

mkdir -p "$out"
export GOROOT=$goroot GOCACHE=$(cd "$out" && pwd)/gocache GOFLAGS= GO111MODULE=off GOTOOLCHAIN=local
# go_asm.h is what race_amd64.s itself is assembled with: the offsets the Go
# runtime really has. Build the runtime once with -work to read it.
work=$("$goroot/bin/go" build -race -a -work runtime 2>&1 | sed -n 's/^WORK=//p')
[[ -n $work && -d $work ]] || die "cannot build the runtime of $goroot to read its go_asm.h"
asmhdr=$(grep -l '^#define g_m ' "$work"/*/go_asm.h 2>/dev/null | head -n 1 || true)
defs=() bad=()
for kv in $row; do
	name=${kv%%=*} want=${kv#*=}
	have=$(sed -n "s/^#define $name \\([0-9]*\\)\$/\\1/p" "$asmhdr" 2>/dev/null)
	[[ $have == "$want" ]] || bad+=("$name: pinned $want, go_asm.h ${have:-absent}")
	defs+=("-DRW_GO_$(tr '[:lower:]' '[:upper:]' <<<"$name")=$want")
done
rm -rf "$work"
((${#bad[@]} == 0)) || die "offsets differ from go/pairs.tsv for $pair: ${bad[*]}"

# ---- The ABI: what Go calls must exist -------------------------------------------
wanted=$(grep -ho '__tsan_[a-z0-9_]*' "$goroot/src/runtime/race.go" "$goroot/src/runtime/race_amd64.s" | sort -u)

# ---- The guard -----------------------------------------------------------------
# Freestanding-ish: no stack protector (would import __stack_chk_fail), no
# loop-to-memcpy patterns, no CET notes, no unwind tables: nothing Go's
# linker or the import check could object to.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nomemcpy=-fno-tree-loop-distribute-patterns # gcc's name; clang has none (the import check catches it)
"$cc" -Werror "$nomemcpy" -x c -c -o /dev/null /dev/null 2>/dev/null || nomemcpy=
"$cc" -std=c11 -Wall -Wextra -Werror -O2 -fPIC -fno-stack-protector -fno-builtin \
	$nomemcpy -fcf-protection=none -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -I"$repo/include" "${defs[@]}" -c -o "$tmp/guard.o" "$here/guard.c"

nm --defined-only "$tmp/guard.o" | awk '$2 == "T" && $3 ~ /^__tsan_/ { print $3, "rw_" substr($3, 2) }' >"$tmp/rename"
echo "exit rw__tsan_exit" >>"$tmp/rename"

build_one() { # stock-object output-name
	local stock=$1 dst=$out/$2
	[[ -s $stock ]] || die "$stock is missing (make deps builds it)"
	objcopy --redefine-syms="$tmp/rename" "$stock" "$tmp/renamed.o"
	ld -r -o "$tmp/$2" "$tmp/guard.o" "$tmp/renamed.o"

	# Imports: exactly the stock object's.
	local new
	new=$(comm -13 <(nm -u "$stock" | awk '{print $2}' | sort -u) \
	               <(nm -u "$tmp/$2" | awk '{print $2}' | sort -u) | tr '\n' ' ')
	[[ -z $new ]] || die "$2: the guard imports symbols the stock object does not: $new"
	# No thread-locals: Go's internal linker rejects TLS in host objects.
	if readelf -SW "$tmp/$2" | grep -qE '\.t(data|bss)|  TLS '; then
		die "$2: has a TLS section (Go's internal linker rejects it)"
	fi
	if readelf -rW "$tmp/$2" | grep -qE 'R_X86_64_(TPOFF|DTPOFF|GOTTPOFF|TLSGD|TLSLD)'; then
		die "$2: has a TLS relocation (Go's internal linker rejects it)"
	fi
	# ABI: every entry point Go references is defined.
	local missing
	missing=$(comm -23 <(echo "$wanted") \
	                   <(nm --defined-only "$tmp/$2" | awk '$2 == "T" {print $3}' | sort -u) | tr '\n' ' ')
	[[ -z $missing ]] || die "$2: $pair: Go's runtime references __tsan_ symbols the object does not define: $missing"
	# The wrapped entry points really reach TSan's renamed ones.
	local dangling
	dangling=$(nm -u "$tmp/$2" | awk '$2 ~ /^rw__tsan_/ {print $2}' | tr '\n' ' ')
	[[ -z $dangling ]] || die "$2: wrapped entry points missing from TSan's object: $dangling"
	mv "$tmp/$2" "$dst"
}

build_one "$tsan/race_linux_amd64.syso" race_linux_amd64.syso
if [[ -s $tsan/race_debug_linux_amd64.syso ]]; then
	build_one "$tsan/race_debug_linux_amd64.syso" race_debug_linux_amd64.syso
fi
printf 'pair: %s\nwrapped: %s\nabi: %s __tsan_ symbols Go references, all defined\n' \
	"$pair" "$(grep -c ^__tsan_ "$tmp/rename")" "$(wc -l <<<"$wanted")" >"$out/VERSION"
echo "racewire go: built $out/race_linux_amd64.syso ($pair; $(grep -c ^__tsan_ "$tmp/rename") entry points guarded; imports, TLS and ABI checked)"
