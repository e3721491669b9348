#!/usr/bin/env bash
# Print racewire's benchmark figures: the timed run of bench/annotate, then
# instructions per call counted by callgrind, which unlike time does not
# depend on what else the machine is doing. Usage: bench/run.sh [O]
set -euo pipefail
out=${1:-build}
bin=$out/bench/annotate

"$bin"
# The flight recorder notes every wire and unwire; what that costs:
flight=$(mktemp)
RACEWIRE_OPTIONS=flight=$flight "$bin" | sed -n 's/^wire+unwire *\([0-9.]*\) ns.*/wire+unwire with the flight recorder on: \1 ns/p'
rm -f "$flight"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "callgrind: valgrind not installed (make deps installs it); skipped"
	exit 0
fi
# Instructions per iteration = (Ir at 2N - Ir at N) / N: start-up and
# TSan's initialization cancel out.
# ir [--checked] LOOP N
ir() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 |
		sed -n 's/.*Collected : *//p'
}
# per_call [--checked] LOOP CALLS_PER_ITERATION
per_call() {
	local n=100000 a b mode=()
	if [[ $1 == --checked ]]; then
		mode=(--checked)
		shift
	fi
	a=$(ir "${mode[@]}" --loop "$1" $n)
	b=$(ir "${mode[@]}" --loop "$1" $((2 * n)))
	echo "scale=1; ($b - $a) / $n / $2" | bc
}
echo "callgrind: instructions per call (TSan's work included)"
for pair in "acquire+release rw_acq_rel direct_acq_rel 2" "read rw_read direct_read 1" \
	"write rw_write direct_write 1"; do
	set -- $pair
	ours=$(per_call "$2" "$4")
	direct=$(per_call "$3" "$4")
	printf '  %-16s racewire %6s  direct %6s  extra %s\n' "$1" "$ours" "$direct" \
		"$(echo "$ours - $direct" | bc)"
done
printf '  %-16s %6s per wire+unwire pair\n' "wire+unwire" "$(per_call wire_unwire 1)"
# The misuse checks (issue 11), per pair or call, each where it runs:
for pair in "func_enter+exit rw_func_pair direct_func_pair 1" \
	"malloc+free rw_malloc_free direct_malloc_free 1" "read_range_64 rw_range direct_range 1"; do
	set -- $pair
	ours=$(per_call "$2" "$4")
	direct=$(per_call "$3" "$4")
	printf '  %-16s racewire %6s  direct %6s  extra %s\n' "${1//_/ }" "$ours" "$direct" \
		"$(echo "$ours - $direct" | bc)"
done
for op in read write; do
	checked=$(per_call --checked "rw_$op" 1)
	plain=$(per_call "rw_$op" 1)
	printf '  %-16s checked  %6s  unchecked %6s  extra %s (check_access=1)\n' "$op" "$checked" \
		"$plain" "$(echo "$checked - $plain" | bc)"
done
