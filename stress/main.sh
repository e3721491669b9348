#!/usr/bin/env bash
# The main job: every reproducer in stress/reproducers.tsv, guarded and
# unguarded, under racewire-stress, then one table.
#
#   stress/main.sh [O]
#
# Environment:
#   STRESS_BUDGET     seconds for each guarded job (default 15): as many runs
#                     as fit, none may fail
#   STRESS_UNGUARDED  runs of each unguarded job (default 10): one must fail
#   STRESS_UNGUARDED_BUDGET  seconds an unguarded job may take (default 40)
#   STRESS_OUT        where the runs' logs go (default O/stress)
#
# Runs go one at a time (-p 1): the hazards are races between a program's
# own threads, and on a 2-core machine they only fire with both cores free.
# Exit status 0 when every row is as expected.
set -uo pipefail

out=${1:-build}
budget=${STRESS_BUDGET:-15}
unguarded_runs=${STRESS_UNGUARDED:-10}
unguarded_budget=${STRESS_UNGUARDED_BUDGET:-40}
logs=${STRESS_OUT:-$out/stress}
here=$(cd "$(dirname "$0")" && pwd)
stress=$out/bin/racewire-stress
[[ -x $stress ]] || { echo "stress: $stress is not built (make tools)" >&2; exit 2; }

# The few numbers we need from a summary.json, without a JSON tool.
field() { grep -o "\"$2\": [0-9.e+-]*" "$1" | head -n 1 | sed 's/.*: //'; }
classes() {
	local json=$1 list="" n
	for c in racewire tsan_check race signal hang other; do
		n=$(field "$json" "$c")
		((n > 0)) && list+="${list:+, }$c $n"
	done
	echo "${list:--}"
}
first_failure() {
	awk -F'\t' 'NR > 1 && $7 != "pass" && $7 != "interrupted" && $7 != "ignored" {
		if (min == "" || $1 < min) min = $1 } END { print (min == "" ? "-" : min + 1) }' "$1"
}

rows=() bad=0
printf 'racewire stress: guarded %ss per reproducer, unguarded up to %s runs; logs in %s\n' \
	"$budget" "$unguarded_runs" "$logs"
while IFS=$'\t' read -r name seed program args unguarded timeout; do
	[[ -z $name || $name == \#* ]] && continue
	argv=("$out/$program")
	[[ $args != - ]] && read -r -a extra <<<"$args" && argv+=("${extra[@]}")
	for mode in guarded unguarded; do
		dir=$logs/$name/$mode
		rm -rf "$dir"
		if [[ $mode == guarded ]]; then
			echo "stress: $name guarded, ${budget}s"
			env -u RACEWIRE_OPTIONS "$stress" -p 1 --quiet --timeout "$timeout" --budget "$budget" \
				--out "$dir" -- "${argv[@]}" >/dev/null 2>&1
		else
			echo "stress: $name unguarded (RACEWIRE_OPTIONS=$unguarded), up to $unguarded_runs runs"
			RACEWIRE_OPTIONS=$unguarded "$stress" -p 1 --quiet --timeout "$timeout" \
				--count "$unguarded_runs" --budget "$unguarded_budget" --out "$dir" -- "${argv[@]}" \
				>/dev/null 2>&1
		fi
		json=$dir/summary.json
		if [[ ! -s $json ]]; then
			rows+=("$name|$seed|$mode|-|-|-|-|-|NO SUMMARY")
			bad=1
			continue
		fi
		runs=$(field "$json" runs)
		fails=$(field "$json" failures)
		upper=$(awk -v u="$(field "$json" wilson_upper_95)" 'BEGIN { printf "%.1f%%", u * 100 }')
		if [[ $mode == guarded ]]; then
			expect="no failure"
			((fails == 0 && runs > 0)) && ok=yes || ok=NO
		else
			expect="fails"
			((fails > 0)) && ok=yes || ok=NO
		fi
		[[ $ok == yes ]] || bad=1
		rows+=("$name|$seed|$mode|$runs|$fails|$(classes "$json")|$(first_failure "$dir/runs.tsv")|$upper|$expect: $ok")
	done
done <"$here/reproducers.tsv"

echo
fmt='%-24s %-4s %-9s %5s %5s  %-28s %6s %8s  %s\n'
printf "$fmt" reproducer seed mode runs fails "failures by class" first "95% fail" "expected"
for r in "${rows[@]}"; do
	IFS='|' read -r a b c d e f g h i <<<"$r"
	printf "$fmt" "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h" "$i"
done
echo
echo "first: the run that failed first; 95% fail: upper bound of the failure rate (Wilson)"
if ((bad)); then
	echo "stress: some results are not as expected"
	exit 1
fi
echo "stress: every result as expected"
