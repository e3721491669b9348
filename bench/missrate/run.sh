#!/usr/bin/env bash
# bench/missrate/run.sh [O] [RUNS]: how often a real race goes unreported
# with two processors, racewire (with and without prefault_shadow) against
# Go's own race runtime, on the same shape in one interleaved run.
#
# The shape is Go's TestRaceIntRWGlobalFuncs: two goroutines first touch
# two globals, one reading and one writing, in parallel. TSan checks a
# shadow cell and then stores it without atomicity; when both tasks touch
# a never-touched shadow page at once, the page fault stretches that window
# and both can miss the race. racewire's prefault_shadow (default 1)
# makes the shadow of data and bss resident at start; Go's runtime has no
# such step. Each run is a fresh process (the shadow must be fresh), so a
# run is one trial; RUNS (default 300) trials per row, interleaved, so that
# load affects the rows alike. Needs free cores: with the machine busy the
# tasks rarely overlap and nothing is missed anywhere.
set -uo pipefail
out=${1:-build}
runs=${2:-300}
case_name=RaceIntRWGlobalFuncs
fidelity=$out/progs/release/fidelity
[[ -x $fidelity ]] || { echo "missrate: $fidelity is not built (make)" >&2; exit 1; }

goexe=
gobin=$(command -v go || true)
[[ -z $gobin && -x /usr/lib/go-1.19/bin/go ]] && gobin=/usr/lib/go-1.19/bin/go
if [[ -n $gobin ]]; then
	goexe=$out/bench/missrate/globals_go
	mkdir -p "$(dirname "$goexe")"
	if [[ ! -x $goexe || bench/missrate/globals.go -nt $goexe ]]; then
		GOCACHE=$(realpath -m "$out/gocache") GO111MODULE=off \
			"$gobin" build -race -o "$goexe" bench/missrate/globals.go || goexe=
	fi
else
	echo "missrate: no go toolchain (make deps installs golang-1.19-go): Go's row skipped"
fi

declare -A miss=() other=()
rows=("racewire prefault_shadow=0" "racewire prefault_shadow=1")
[[ -n $goexe ]] && rows+=("Go $("$gobin" env GOVERSION) -race")
for r in "${rows[@]}"; do miss[$r]=0; other[$r]=0; done

trial() { # row, command...: count a miss (exit 0) or anything else odd
	local row=$1
	shift
	"$@" >/dev/null 2>&1
	case $? in
	66) ;;
	0) miss[$row]=$((miss[$row] + 1)) ;;
	*) other[$row]=$((other[$row] + 1)) ;;
	esac
}

for ((i = 0; i < runs; i++)); do
	trial "${rows[0]}" env MD_PROCS=2 RACEWIRE_OPTIONS=prefault_shadow=0 "$fidelity" run $case_name
	trial "${rows[1]}" env MD_PROCS=2 RACEWIRE_OPTIONS=prefault_shadow=1 "$fidelity" run $case_name
	[[ -n $goexe ]] && trial "${rows[2]}" env GOMAXPROCS=2 "$goexe"
done

echo "missed races: $case_name shape, 2 processors, $runs fresh processes per row"
for r in "${rows[@]}"; do
	printf '  %-30s missed %4d of %d (%5.2f%%)%s\n' "$r" "${miss[$r]}" "$runs" \
		"$(echo "scale=4; 100 * ${miss[$r]} / $runs" | bc)" \
		"$( ((other[$r])) && echo "  (${other[$r]} runs neither reported nor clean)")"
done
echo "  (load average now: $(cut -d' ' -f1-3 /proc/loadavg); misses need free cores)"
