#!/usr/bin/env bash
# bench/missrate/run.sh [O] [RUNS] [TRIALS]: how often a real race goes
# unreported on two processors, racewire (prefault_shadow off and on)
# against Go's own race runtime, on the same shape in one interleaved run.
#
# The shape (fresh.c on the model runtime, fresh.go its twin in Go): in
# each trial two tasks spin until one deadline, then both write the same
# word of a global; nothing orders the writes, so every trial is a race to
# report. TSan checks a shadow cell and then stores it without atomicity:
# two writes at the same moment can both miss. "fresh": the word's shadow
# page was never touched (a fault on first touch, unless racewire's
# prefault_shadow made data and bss resident at rw_init; Go's runtime, like
# prefault_shadow=0, faults it in); "warm": main wrote another word of the
# row first, so the page is resident everywhere. README.md has figures.
#
# RUNS (default 10) processes per row of TRIALS (default 1000) trials each;
# the rows' processes alternate, so that load affects the rows alike.
# Only trials whose two writers left their spin within 1 us of each other
# ("close") can miss; the column says how many there were. They need two
# free cores: on a busy machine few trials are close.
set -uo pipefail
out=${1:-build}
runs=${2:-10}
trials=${3:-1000}
fresh=$out/bench/missrate/fresh
[[ -x $fresh ]] || { echo "missrate: $fresh is not built (make)" >&2; exit 1; }
[[ $runs =~ ^[1-9][0-9]*$ && $trials =~ ^[1-9][0-9]*$ ]] ||
	{ echo "missrate: RUNS and TRIALS must be positive integers (got '$runs' '$trials')" >&2; exit 2; }

goexe=
gobin=$(command -v go || true)
[[ -z $gobin && -x /usr/lib/go-1.19/bin/go ]] && gobin=/usr/lib/go-1.19/bin/go
if [[ -n $gobin ]]; then
	goexe=$out/bench/missrate/fresh_go
	if [[ ! -x $goexe || bench/missrate/fresh.go -nt $goexe ]]; then
		echo "missrate: building fresh.go with $gobin -race (the first time, Go's race" \
			"standard library too: about a minute)"
		GOCACHE=$(realpath -m "$out/gocache") GO111MODULE=off \
			"$gobin" build -race -o "$goexe" bench/missrate/fresh.go || goexe=
	fi
else
	echo "missrate: no go toolchain (make deps installs golang-1.19-go): Go's row skipped"
fi

# Every report printed: each trial's race has the same two stacks, and TSan
# would otherwise report only the first.
export GORACE="suppress_equal_stacks=0 atexit_sleep_ms=0"
rw="env MD_PROCS=2 RACEWIRE_OPTIONS=prefault_shadow"
rows=("racewire prefault_shadow=0|fresh|$rw=0 $fresh"
	"racewire prefault_shadow=1|fresh|$rw=1 $fresh")
[[ -n $goexe ]] && rows+=("Go $("$gobin" env GOVERSION) -race|fresh|env GOMAXPROCS=2 $goexe")
rows+=("racewire prefault_shadow=1|warm|$rw=1 $fresh")
[[ -n $goexe ]] && rows+=("Go $("$gobin" env GOVERSION) -race|warm|env GOMAXPROCS=2 $goexe")
declare -A reported=() close=() done_trials=() odd=()
for r in "${rows[@]}"; do reported[$r]=0; close[$r]=0; done_trials[$r]=0; odd[$r]=0; done

trial() { # row: run one process of it, add up its trials and reports
	local row=$1 log rc n c rep mode=${1#*|}
	mode=${mode%%|*}
	# shellcheck disable=SC2086 # the command is words
	log=$(${row##*|} "$trials" "$mode" 2>&1)
	rc=$?
	read -r n c < <(sed -nE 's/^fresh: ([0-9]+) trials, ([0-9]+) with.*/\1 \2/p' <<<"$log")
	rep=$(grep -c '^WARNING: DATA RACE' <<<"$log")
	if [[ -z ${n:-} ]] || ! ((rc == 66 || (rc == 0 && rep == 0))); then
		odd[$row]=$((odd[$row] + 1))
		return
	fi
	done_trials[$row]=$((done_trials[$row] + n))
	close[$row]=$((close[$row] + c))
	reported[$row]=$((reported[$row] + rep))
}

t0=$SECONDS
for ((i = 0; i < runs; i++)); do
	for r in "${rows[@]}"; do trial "$r"; done
done

echo "missed races on two processors: $runs processes x $trials trials per row, rows" \
	"interleaved ($((SECONDS - t0)) s)"
printf '  %-28s %-6s %8s %8s %8s %8s\n' runtime shadow trials close reported missed
for r in "${rows[@]}"; do
	mode=${r#*|}
	printf '  %-28s %-6s %8d %8d %8d %8d%s\n' "${r%%|*}" "${mode%%|*}" "${done_trials[$r]}" \
		"${close[$r]}" "${reported[$r]}" $((done_trials[$r] - reported[$r])) \
		"$( ((odd[$r])) && echo "  (${odd[$r]} processes failed: not counted)")"
done
echo "  (close: both writers left their spin within 1 us, the only trials that can miss;" \
	"load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
