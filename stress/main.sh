#!/usr/bin/env bash
# The main job: every reproducer in stress/reproducers.tsv, guarded and
# unguarded, under racewire-stress, then one table.
#
#   stress/main.sh [O]
#
# Environment:
#   STRESS_WINDOWS    hazard windows each guarded job exercises (default
#                     100000): runs start until the runs have reported that
#                     many, and none may fail
#   STRESS_BUDGET     seconds after which a guarded job starts no more runs
#                     even if it is short of STRESS_WINDOWS (default 60, or
#                     the row's own budget column: the go and fiber rows
#                     count runs, not windows, and take 10 s)
#   STRESS_UNGUARDED  runs of each unguarded job at most (default 4): it stops
#                     at its first failure (--failfast), and one must fail
#                     (a latent row's need not: see below)
#   STRESS_UNGUARDED_BUDGET  seconds an unguarded job may take (default 40)
#   STRESS_OUT        where the runs' logs go (default O/stress)
#   STRESS_ROWS       the reproducers file (default stress/reproducers.tsv;
#                     tests/runner/test_main_job.c gives its own)
#
# A window is one moment the reproducer's hazard can strike (a retaken
# processor, a callback's cleanup, an attach or detach, a recovered panic, a
# suspension aimed at the finalizing thread); each program prints its count
# as "racewire-windows: N" and the runner adds them up. Guarded runs go as
# many at once as reproducers.tsv's parallel column says (2 where the
# unguarded runs were measured to fail as surely that way: stress/README.md);
# unguarded runs go one at a time, so that "first failure: run 1" means the
# very first run failed.
#
# What a row must show (reproducers.tsv's last two columns): by default its
# guarded runs never fail and its unguarded job fails. A "named" row's
# misuse is deterministic and racewire stops it: every guarded run must end
# in racewire's FATAL naming the misplaced call (its entry point), as the
# default policy=abort does. A "latent" row's unguarded misuse may corrupt
# nothing that shows (the stock TSan neither crashes nor reports): the
# table says how many of its runs failed, and only a racewire verdict
# there (its guard is off) is wrong. Exit status 0 when every row is as
# expected.
set -uo pipefail

out=${1:-build}
windows=${STRESS_WINDOWS:-100000}
budget=${STRESS_BUDGET:-60}
unguarded_runs=${STRESS_UNGUARDED:-4}
unguarded_budget=${STRESS_UNGUARDED_BUDGET:-40}
logs=${STRESS_OUT:-$out/stress}
here=$(cd "$(dirname "$0")" && pwd)
table=${STRESS_ROWS:-$here/reproducers.tsv}
[[ -r $table ]] || { echo "stress: cannot read the reproducers file $table" >&2; exit 2; }
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
# "run N, window W": the first failed run (by run number) and the windows
# exercised up to it: every earlier run's, plus what it reported before it
# failed. runs.tsv columns: 1 seq, 7 class, 10 windows.
first_failure() {
	awk -F'\t' 'NR > 1 && $7 != "interrupted" {
		seq[NR] = $1; w[NR] = ($10 == "-" ? 0 : $10)
		if ($7 != "pass" && $7 != "ignored" && (min == "" || $1 + 0 < min)) min = $1 + 0
	} END {
		if (min == "") { print "-"; exit }
		for (i in seq) if (seq[i] + 0 <= min) total += w[i]
		printf "run %d, window %d\n", min + 1, total
	}' "$1"
}
# Upper end of the 95% Wilson interval for failures out of n, as the runner
# computes it (stress/runner/stats.c).
wilson() {
	awk -v f="$1" -v n="$2" 'BEGIN {
		if (n <= 0) { print "-"; exit }
		z = 1.959963984540054; p = f / n
		u = (p + z*z/(2*n) + z * sqrt(p*(1-p)/n + z*z/(4*n*n))) / (1 + z*z/n)
		printf "%.1e\n", (u > 1 ? 1 : u)
	}'
}

rows=() bad=0
printf 'racewire stress: guarded until %s windows (at most %ss), unguarded up to %s runs; logs in %s\n' \
	"$windows" "$budget" "$unguarded_runs" "$logs"
while IFS=$'\t' read -r name seed program args unguarded timeout parallel row_budget guarded_expect \
	unguarded_expect; do
	[[ -z $name || $name == \#* ]] && continue
	parallel=${parallel:-1}
	[[ -z ${guarded_expect:-} || $guarded_expect == - ]] && guarded_expect=pass
	[[ -z ${unguarded_expect:-} || $unguarded_expect == - ]] && unguarded_expect=fails
	if [[ ! $guarded_expect =~ ^(pass|named)$ || ! $unguarded_expect =~ ^(fails|latent)$ ]]; then
		echo "stress: $table: row $name: expectations must be pass or named, then fails or latent, not '$guarded_expect' '$unguarded_expect'" >&2
		rows+=("$name|$seed|-|-|-|-|-|-|-|-|bad expectations '$guarded_expect' '$unguarded_expect': NO")
		bad=1
		continue
	fi
	# A row's own budget, unless the caller set one for every row.
	b=$budget
	[[ -z ${STRESS_BUDGET:-} && -n ${row_budget:-} && $row_budget != - ]] && b=$row_budget
	argv=("$out/$program")
	[[ $args != - ]] && read -r -a extra <<<"$args" && argv+=("${extra[@]}")
	for mode in guarded unguarded; do
		dir=$logs/$name/$mode
		rm -rf "$dir"
		p=$parallel
		[[ $mode == unguarded ]] && p=1
		if [[ $mode == guarded ]]; then
			echo "stress: $name guarded, -p $parallel, until $windows windows or ${b}s"
			env -u RACEWIRE_OPTIONS "$stress" -p "$parallel" --quiet --timeout "$timeout" \
				--windows "$windows" --budget "$b" --out "$dir" -- "${argv[@]}" >/dev/null 2>&1
		else
			echo "stress: $name unguarded (RACEWIRE_OPTIONS=$unguarded), up to $unguarded_runs runs"
			RACEWIRE_OPTIONS=$unguarded "$stress" -p 1 --quiet --timeout "$timeout" \
				--failfast --count "$unguarded_runs" --budget "$unguarded_budget" --out "$dir" \
				-- "${argv[@]}" >/dev/null 2>&1
		fi
		json=$dir/summary.json
		if [[ ! -s $json ]]; then
			rows+=("$name|$seed|$mode|$p|-|-|-|-|-|-|NO SUMMARY")
			bad=1
			continue
		fi
		runs=$(field "$json" runs)
		fails=$(field "$json" failures)
		win=$(field "$json" windows)
		if [[ $mode == guarded && $guarded_expect == named ]]; then
			# Stopped by racewire, and the stop names the call: a FATAL
			# of another kind (a bad option) would not.
			named=$(grep -l '^racewire:   entry point: ' "$dir"/run-*-racewire.log 2>/dev/null | wc -l)
			expect="named: $named of $runs"
			((runs > 0 && named == runs && fails == runs)) && ok=yes || ok=NO
		elif [[ $mode == guarded ]]; then
			expect="no failure"
			((fails == 0 && runs > 0)) && ok=yes || ok=NO
			((fails == 0 && win < windows)) && expect="no failure, short of $windows windows"
		elif [[ $unguarded_expect == latent ]]; then
			# Latent or crashing are both the stock runtime's answer;
			# racewire must say nothing with its guard off.
			expect="latent: 0 of $runs failed"
			((fails > 0)) && expect="not latent: $fails of $runs failed"
			((runs > 0 && $(field "$json" racewire) == 0)) && ok=yes || ok=NO
		else
			expect="fails"
			((fails > 0)) && ok=yes || ok=NO
		fi
		[[ $ok == yes ]] || bad=1
		rows+=("$name|$seed|$mode|$p|$runs|$fails|$win|$(classes "$json")|$(first_failure "$dir/runs.tsv")|$(wilson "$fails" "$win")|$expect: $ok")
	done
done <"$table"

echo
fmt='%-22s %-4s %-9s %2s %5s %5s %9s  %-10s %-19s %8s  %s\n'
printf "$fmt" reproducer seed mode -p runs fails windows "failures" "first failure" "95%/win" "expected"
for r in "${rows[@]}"; do
	IFS='|' read -r a b c d e f g h i j k <<<"$r"
	printf "$fmt" "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h" "$i" "$j" "$k"
done
echo
echo "windows: hazard windows the runs exercised; first failure: the first failed run and the"
echo "windows up to it (a run reports its count as it goes: what it did after its last report"
echo "is not counted); 95%/win: upper bound of the failure rate per window (Wilson)"
if ((bad)); then
	echo "stress: some results are not as expected"
	exit 1
fi
echo "stress: every result as expected"
