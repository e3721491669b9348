#!/usr/bin/env bash
# bench/transitions/run.sh [O] - what race detection adds per operation, the
# model runtime on racewire against Go's own -race, in one interleaved run.
#
# The same four operations on both sides: goroutine/task spawn+join,
# unbuffered channel ping-pong, a foreign (cgo) call round trip, and a
# foreign call that calls back. The model's are bench/model's programs
# (built by make, race and norace); Go's are bench/transitions/goprog,
# built here with Debian's golang-1.19-go (the race runtime is compiled
# into GOCACHE on the first -race build, about a minute).
#
# Each round runs, per operation, model race, model norace, Go race, Go
# norace, back to back, so that a change in the machine's load hits all
# four alike; the added cost is race minus norace within a round, and the
# figure is the median over ROUNDS (default 3) rounds. One processor on
# both sides (MD_PROCS=1, GOMAXPROCS=1), so no figure depends on where the
# OS puts a second thread.
set -euo pipefail
O=${1:-build}
ROUNDS=${ROUNDS:-3}
GOROOT=${GOROOT:-/usr/lib/go-1.19}
B=$O/bench/model
T=$O/bench/transitions

if ! [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]]; then
	echo "bench/transitions: ROUNDS must be a positive count, not '$ROUNDS'" >&2
	exit 2
fi
for b in spawn pingpong cgocall; do
	for v in "" _norace; do
		if [ ! -x "$B/$b$v" ]; then
			echo "bench/transitions: missing $B/$b$v (make $B/$b$v)" >&2
			exit 1
		fi
	done
done
if [ ! -x "$GOROOT/bin/go" ]; then
	echo "bench/transitions: no Go at $GOROOT (make deps installs golang-1.19-go); skipped"
	exit 0
fi

# Build Go's side. Its caches live under O, as every other output does.
mkdir -p "$T"
abs_t=$(cd "$T" && pwd)
export GOROOT GOCACHE="$abs_t/gocache" GOPATH="$abs_t/gopath" GOFLAGS=-buildvcs=false \
	GO111MODULE=on CGO_ENABLED=1
for v in norace race; do
	flag=$([ $v = race ] && echo -race || true)
	(cd bench/transitions/goprog && "$GOROOT/bin/go" build $flag -o "$abs_t/goprog_$v" .) ||
		{ echo "bench/transitions: go build $flag failed" >&2; exit 1; }
done

# Iterations per run: enough for a stable figure, few enough that Go's
# race-mode spawn (the slowest, ~2 us) keeps a round under ten seconds.
declare -A N=([spawn]=50000 [pingpong]=100000 [cgocall]=200000)

# One run: "side|kind|round|label|ns" per figure it prints. Both sides
# print "LABEL N ns/UNIT ...".
run() { # side kind round cmd...
	local side=$1 kind=$2 round=$3
	shift 3
	MD_PROCS=1 GOMAXPROCS=1 "$@" 2>/dev/null |
		sed -nE "s/^(.*[^ ]) ([0-9]+) ns\/.*$/$side|$kind|$round|\1|\2/p"
}
raw=${KEEP_RAW:-$(mktemp)}
[ -n "${KEEP_RAW:-}" ] || trap 'rm -f "$raw"' EXIT
for ((r = 1; r <= ROUNDS; r++)); do
	for b in spawn pingpong cgocall; do
		run model race $r "$B/$b" "${N[$b]}"
		run model norace $r "$B/${b}_norace" "${N[$b]}"
		run go race $r "$T/goprog_race" "$b" "${N[$b]}"
		run go norace $r "$T/goprog_norace" "$b" "${N[$b]}"
	done
done >"$raw"

# Per operation: the median of each side's per-round differences, and
# their ratio (below 1: racewire's model pays less than Go does).
awk -F'|' -v rounds="$ROUNDS" '
	function median(a, n,    i, j, t) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ v[$1, $2, $3, $4] = $5; if (!($4 in seen)) { seen[$4] = 1; order[++nops] = $4 } }
	END {
		printf "added ns per operation (race minus norace, median of %d rounds, 1 P)\n", rounds
		printf "%-30s %8s %8s %9s\n", "operation", "model", "Go", "model/Go"
		for (k = 1; k <= nops; k++) {
			op = order[k]
			nm = ng = 0
			for (r = 1; r <= rounds; r++) {
				if ((("model", "race", r, op) in v) && (("model", "norace", r, op) in v))
					dm[++nm] = v["model", "race", r, op] - v["model", "norace", r, op]
				if ((("go", "race", r, op) in v) && (("go", "norace", r, op) in v))
					dg[++ng] = v["go", "race", r, op] - v["go", "norace", r, op]
			}
			if (nm == 0 || ng == 0)
				continue # one side only (the model task switch)
			m = median(dm, nm); g = median(dg, ng)
			ratio = (g > 0) ? sprintf("%.2f", m / g) : "-"
			printf "%-30s %8.0f %8.0f %9s\n", op, m, g, ratio
		}
	}' "$raw"
