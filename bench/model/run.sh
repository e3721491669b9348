#!/bin/bash
# bench/model/run.sh [build-dir] - the model runtime's figures, with TSan
# (race) and without (norace), on 1 P and on 2 P's, as a table.
set -u
O=${1:-build}
B=$O/bench/model
for b in spawn pingpong cgocall pthread_handoff; do
	for v in "" _norace; do
		[ -x "$B/$b$v" ] || { echo "missing $B/$b$v (make $B/$b$v)"; exit 1; }
	done
done
printf '%-40s %6s %12s %12s\n' "benchmark" "procs" "race ns" "norace ns"
run() { # bench procs -> lines "label value"
	MD_PROCS=$2 "$1" 2>/dev/null | sed -E 's/^(.*) ([0-9]+) ns\/[a-z ]+.*$/\1|\2/'
}
# One program at a time: the race and norace runs used to be the two
# process substitutions of one paste, which start together, so each was
# timed while the other ran beside it on the same cores, and the norace
# build's figures could come out above the race build's (a task switch
# with race detection "faster" than without: 89 against 340 ns in one
# run). Each output is taken whole before the next run starts.
for b in spawn pingpong cgocall; do
	for procs in 1 2; do
		race=$(run "$B/$b" $procs)
		norace=$(run "$B/${b}_norace" $procs)
		paste -d'|' <(echo "$race") <(echo "$norace") |
		while IFS='|' read -r label race _ norace; do
			printf '%-40s %6s %12s %12s\n' "$label" "$procs" "$race" "$norace"
		done
	done
done
"$B/pthread_handoff_norace" | sed -E 's/^(.*) ([0-9]+) ns.*$/\1|\2/' |
	while IFS='|' read -r label ns; do printf '%-40s %6s %12s %12s\n' "$label" "2 thr" "-" "$ns"; done
