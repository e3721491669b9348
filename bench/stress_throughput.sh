#!/usr/bin/env bash
# Throughput of racewire-stress against Go's stress tool (golang-stress) on
# the cheapest possible program, /bin/true, so that what is measured is the
# runners' own per-run overhead (spawn, reap, bookkeeping), not the program.
#
# Usage: bench/stress_throughput.sh [O] [SECONDS] [ROUNDS]
#   O        build folder holding bin/racewire-stress (default: build)
#   SECONDS  measured wall time per runner per round, a multiple of 5
#            (default 10)
#   ROUNDS   rounds, alternating the runners to share out machine noise
#            (default 2)
#
# Both runners get -p = online CPUs and are read the same way: each prints a
# progress line every 5 s ("10s: N runs so far, ..."), and the rate is N
# divided by the seconds on that line.  golang-stress lives in Debian's
# golang-golang-x-tools package; it is installed when missing (needs root).
set -euo pipefail

out=${1:-build}
seconds=${2:-10}
rounds=${3:-2}
ours="$out/bin/racewire-stress"
program=/bin/true
cores=$(nproc)

if ((seconds % 5 != 0 || seconds == 0)); then
	echo "stress_throughput: SECONDS must be a positive multiple of 5" >&2
	exit 2
fi
if [[ ! -x $ours ]]; then
	echo "stress_throughput: $ours missing; run make $ours" >&2
	exit 2
fi
if ! command -v golang-stress >/dev/null; then
	echo "stress_throughput: installing golang-stress (golang-golang-x-tools)" >&2
	if ((EUID != 0)); then
		echo "stress_throughput: need root to apt-get install" >&2
		exit 2
	fi
	apt-get install -y golang-golang-x-tools >/dev/null 2>&1 || {
		apt-get update >/dev/null 2>&1
		apt-get install -y golang-golang-x-tools >/dev/null
	}
fi
theirs=$(command -v golang-stress)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# runs_at LOG: the run count on the "<seconds>s: N runs so far" line.
runs_at() {
	local count
	count=$(grep -a -E "^${seconds}s: [0-9]+ runs so far" "$1" | tail -n 1 |
		sed -E 's/^[0-9]+s: ([0-9]+) runs.*/\1/')
	if [[ -z $count ]]; then
		echo "stress_throughput: no '${seconds}s:' progress line in $1:" >&2
		cat "$1" >&2
		exit 1
	fi
	echo "$count"
}

# Each runner is stopped a little after its <seconds>s progress line; the
# runs counted are those finished by that line, for both alike.
run_theirs() {
	(cd "$work" && timeout -s INT "$((seconds + 1))" \
		"$theirs" -p "$cores" -o "$work/gs-fail-" "$program" \
		>"$work/theirs.log" 2>&1) || true
	runs_at "$work/theirs.log"
}

run_ours() {
	"$ours" -p "$cores" --budget "$((seconds + 1))" --no-diagnose \
		--out "$work/ours" "$program" >"$work/ours.out" 2>"$work/ours.log" || {
		echo "stress_throughput: racewire-stress failed:" >&2
		cat "$work/ours.out" "$work/ours.log" >&2
		exit 1
	}
	runs_at "$work/ours.log"
}

echo "stress throughput: $program, -p $cores, ${seconds}s per runner, $rounds rounds"
total_ours=0 total_theirs=0
for ((round = 1; round <= rounds; round++)); do
	theirs_runs=$(run_theirs)
	ours_runs=$(run_ours)
	total_ours=$((total_ours + ours_runs))
	total_theirs=$((total_theirs + theirs_runs))
	awk -v r="$round" -v o="$ours_runs" -v t="$theirs_runs" -v s="$seconds" \
		'BEGIN { printf "round %d: racewire-stress %.0f runs/s, golang-stress %.0f runs/s\n", r, o / s, t / s }'
done
awk -v o="$total_ours" -v t="$total_theirs" -v s="$((seconds * rounds))" 'BEGIN {
	printf "racewire-stress: %.0f runs/s\n", o / s
	printf "golang-stress:   %.0f runs/s\n", t / s
	printf "ratio (racewire-stress / golang-stress): %.2f\n", (t > 0 ? o / t : 0)
	exit (o >= t ? 0 : 1)
}'
