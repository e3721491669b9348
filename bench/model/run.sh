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
for b in spawn pingpong cgocall; do
	for procs in 1 2; do
		paste -d'|' <(run "$B/$b" $procs) <(run "$B/${b}_norace" $procs) |
		while IFS='|' read -r label race _ norace; do
			printf '%-40s %6s %12s %12s\n' "$label" "$procs" "$race" "$norace"
		done
	done
done
"$B/pthread_handoff_norace" | sed -E 's/^(.*) ([0-9]+) ns.*$/\1|\2/' |
	while IFS='|' read -r label ns; do printf '%-40s %6s %12s %12s\n' "$label" "2 thr" "-" "$ns"; done
