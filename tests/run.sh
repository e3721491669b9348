#!/usr/bin/env bash
# Run every test program under O/tests (each a Criterion binary) and add up
# their results. Usage: tests/run.sh [O...]   (O defaults to build; several
# output folders, e.g. one per backend, run one after the other and add up)
#
# Each program is a standalone executable, as in liburing: run one alone to
# debug it (add --verbose, or --filter 'suite/name'). This script only runs
# them in turn and prints one closing line, "tests: N passed, N failed".
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

passed=0 failed=0 broken=()
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
	"$prog" --jobs 2 >"$log" 2>&1
	rc=$?
	synth=$(grep -a 'Synthesis:' "$log" | tail -n 1)
	if [[ $synth =~ Tested:\ ([0-9]+)\ \|\ Passing:\ ([0-9]+)\ \|\ Failing:\ ([0-9]+)\ \|\ Crashing:\ ([0-9]+) ]]; then
		p=${BASH_REMATCH[2]} f=$((BASH_REMATCH[3]))
	else
		p=0 f=1
	fi
	if ((rc != 0 && f == 0)); then
		f=1 # exited badly yet claims no failure: count it
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%-34s %3d passed %3d failed  %3ds\n' "$name" "$p" "$f" $((SECONDS - start))
	if ((f > 0)); then
		broken+=("$name")
		# All of it, not just Criterion's own lines: a failing test's
		# stderr (a racewire FATAL, a TSan report) is often the answer.
		grep -a -v -E '^\[(====|RUN |PASS)\]' "$log" | head -n 200
	fi
	rm -f "$log"
done

if ((${#broken[@]})); then
	echo "failing programs: ${broken[*]} (run one alone with --verbose to see more)"
fi
echo "tests: $passed passed, $failed failed"
((failed == 0))
