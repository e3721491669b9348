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

# Per transition: callgrind's inclusive count for each racewire entry point
# (TSan's work inside it included), again as the difference of a 2N and an
# N run, so rw_init's own wire cancels out. The loops (bench/annotate.c)
# make each transition as the model runtime does: a foreign call is enter,
# the wire that takes the context back, and exit; a callback inside an open
# foreign call is enter, wire (fires the acquire), exit (release-merges),
# unwire. Go makes two TSan calls per bracket and nothing more (cgocall:
# racereleasemerge, raceacquire; cgocallbackg: raceacquire,
# racereleasemerge): "Go's TSan calls" is those two calls made directly.
funcs() { # loop n -> "function count" for every racewire function
	local f
	f=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file="$f" "$bin" --loop "$1" "$2" >/dev/null 2>&1
	# A function's total is the line naming it by its source file's
	# absolute path; the other lines split it by file (code inlined from
	# the public header, such as the fast path's TSan calls, counts apart).
	callgrind_annotate --inclusive=yes --threshold=100 "$f" |
		sed -nE 's/^ *([0-9,]+) \([ 0-9.%]*\) +\/[^ ]*\.c:(rw_[a-z_]+)$/\2 \1/p' | tr -d ,
	rm -f "$f"
}
per_transition() { # loop function... -> "function per-call" lines
	local loop=$1 n=100000
	shift
	local a b
	a=$(funcs "$loop" $n)
	b=$(funcs "$loop" $((2 * n)))
	for fn in "$@"; do
		local x y
		x=$(awk -v f="$fn" '$1 == f { print $2 }' <<<"$a")
		y=$(awk -v f="$fn" '$1 == f { print $2 }' <<<"$b")
		echo "$fn $(echo "scale=1; (${y:-0} - ${x:-0}) / $n" | bc)"
	done
}
echo "callgrind: instructions per transition (TSan's work included)"
row() { printf '  %-40s %6s\n' "$1" "$2"; }
get() { awk -v f="$1" '$1 == f { print $2 }' <<<"$2"; }
t=$(per_transition foreign rw_foreign_enter rw_foreign_exit)
row "foreign enter (releases, unwires)" "$(get rw_foreign_enter "$t")"
row "foreign exit (acquires)" "$(get rw_foreign_exit "$t")"
t=$(per_transition callback rw_callback_enter rw_proc_wire rw_callback_exit)
row "callback enter (pins, owes the acquire)" "$(get rw_callback_enter "$t")"
row "wire (fires the owed acquire)" "$(get rw_proc_wire "$t")"
row "callback exit (releases, unpins)" "$(get rw_callback_exit "$t")"
t=$(per_transition wire_unwire rw_proc_wire rw_proc_unwire)
row "wire (nothing owed)" "$(get rw_proc_wire "$t")"
row "unwire" "$(get rw_proc_unwire "$t")"
for loop in foreign callback; do
	pair=$([ $loop = foreign ] && echo "foreign call" || echo callback)
	ours=$(per_call "$loop" 1)
	direct=$(per_call "direct_$loop" 1)
	printf '  %-16s racewire %6s  Go'"'"'s TSan calls %6s  extra %s\n' "$pair" "$ours" "$direct" \
		"$(echo "$ours - $direct" | bc)"
done
