#!/usr/bin/env bash
# Run every test program under O/tests (each a Criterion binary) and add up
# their results. Usage: tests/run.sh [O...]   (O defaults to build; several
# output folders, e.g. one per backend, run one after the other and add up)
#
# Each program is a standalone executable, as in liburing: run one alone to
# debug it (add --verbose, or --filter 'suite/name'). This script only runs
# them in turn and prints one closing line, which CI parses:
#   tests: N passed, N failed, N skipped
#
# Counting rules, so that nothing that went wrong can vanish:
# - passed and failed come from Criterion's closing "Synthesis:" line.
#   Criterion 2.4 already counts a crashed Test (signal, timeout) in
#   "Failing" and again in "Crashing"; another version may not, so a
#   program's failures are the larger of the two, never less than its
#   crashes.
# - skipped: each Test that called cr_skip_test() (a "[SKIP]" line, printed
#   with --verbose; Criterion's Synthesis line has no count of them), or a
#   "Skipping: N" field if the Synthesis line has one. A program that exits
#   77 (liburing's and automake's convention: "cannot run here") counts as
#   one skipped unless it reported its Tests itself.
# - A program that dies by a signal, exits non-zero without a failure, or
#   prints no Synthesis line counts as (at least) one failure.
set -uo pipefail

outs=("${@:-build}")
shopt -s nullglob
programs=()
for out in "${outs[@]}"; do
	found=("$out"/tests/*/test_*)
	if ((${#found[@]} == 0)); then
		echo "tests: no test programs under $out/tests; run make build-tests" >&2
		exit 1
	fi
	programs+=("${found[@]}")
done

passed=0 failed=0 skipped=0 broken=()
for prog in "${programs[@]}"; do
	[[ -x $prog && ! -d $prog ]] || continue
	# The first folder's programs by their plain name, the others' with
	# their folder (build/none/tests/unit/test_x: none/unit/test_x).
	name=${prog#"${outs[0]}"/tests/}
	if [[ $name == "$prog" ]]; then
		name=${prog#"${outs[0]}"/}
		name=${name/\/tests\//\/}
	fi
	log=$(mktemp)
	start=$SECONDS
	# In the background and waited for, so that bash does not print its
	# own "Segmentation fault" line out of place: the line below says it.
	"$prog" --jobs 2 --verbose >"$log" 2>&1 &
	wait $! 2>/dev/null
	rc=$?
	synth=$(grep -a 'Synthesis:' "$log" | tail -n 1)
	s=$(grep -a -c '^\[SKIP\]' "$log")
	note=
	if [[ $synth =~ Passing:\ ([0-9]+)\ \|\ Failing:\ ([0-9]+)\ \|\ Crashing:\ ([0-9]+) ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]}
		((c > f)) && f=$c
		if [[ $synth =~ Skipping:\ ([0-9]+) ]] && ((BASH_REMATCH[1] > s)); then
			s=${BASH_REMATCH[1]}
		fi
	elif ((rc == 77)); then
		p=0 f=0 s=$((s > 0 ? s : 1)) note="exit 77: skipped"
	else
		p=0 f=1 note="exit $rc, no Synthesis line"
	fi
	if ((rc > 128 && rc != 77)); then
		note="killed by signal $((rc - 128))"
		((f == 0)) && f=1
	elif ((rc != 0 && rc != 77 && f == 0)); then
		note="exit $rc without a failing Test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	printf '%-34s %3d passed %3d failed %3d skipped %4ds%s\n' "$name" "$p" "$f" "$s" \
		$((SECONDS - start)) "${note:+  ($note)}"
	# A skip says why: show the reasons every time.
	grep -a '^\[SKIP\]' "$log" | sed 's/^/    /'
	if ((f > 0)); then
		broken+=("$name")
		# All of it, not just Criterion's own lines: a failing test's
		# stderr (a racewire FATAL, a TSan report) is often the answer.
		grep -a -v -E '^\[(====|RUN |PASS|SKIP)\]|^\[----\] Criterion v' "$log" | head -n 200
	fi
	rm -f "$log"
done

if ((${#broken[@]})); then
	echo "failing programs: ${broken[*]} (run one alone with --verbose to see more)"
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
