#!/usr/bin/env bash
# The cost of racewire's guard for real Go programs: bench/go/bench.go built
# with three race runtimes - the object Go 1.19 ships, LLVM 19's Go-mode TSan
# as make deps builds it (stock), and racewire's guarded object (make go) -
# run interleaved (round after round, the three in turn, so machine load
# hits all three alike), the median ns/op of each, and guarded / stock.
# Timed only: callgrind cannot run Go's runtime (Go 1.19 uses RDTSCP, which
# valgrind does not decode), so there is no instruction count here.
#
#   bench/go/run.sh [O]
#
# Environment: BENCH_GO_ROUNDS (default 21: fewer rounds move the medians
# by as much as the 5% target), BENCH_GO_MS (ms per benchmark
# per run, default 200). Target: guarded / stock <= 1.05 on each line; the
# figures are timed, so on a loaded machine they move by more than that.
set -euo pipefail

out=${1:-build}
rounds=${BENCH_GO_ROUNDS:-21}
ms=${BENCH_GO_MS:-200}
here=$(cd "$(dirname "$0")" && pwd)
tool=$out/bin/racewire-go
[[ -x $tool ]] || { echo "bench/go: $tool is not built (make go)" >&2; exit 2; }
bin=$out/bench/go
mkdir -p "$bin"
runtimes=(shipped stock guarded)
for r in "${runtimes[@]}"; do
	"$tool" --runtime="$r" build -race -o "$bin/bench-$r" "$here/bench.go"
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "bench/go: $rounds rounds of ${ms} ms per benchmark, runtimes interleaved"
for ((i = 0; i < rounds; i++)); do
	for r in "${runtimes[@]}"; do
		"$bin/bench-$r" -ms "$ms" | sed "s/^/$r /" >>"$results"
	done
done

# Median of each (runtime, benchmark), then the table.
awk -v order="${runtimes[*]}" '
	{ v[$1 " " $2] = v[$1 " " $2] " " $3; if (!($2 in seen)) { seen[$2] = 1; names[++n] = $2 } }
	function median(s,   a, k, i, j, t) {
		k = split(s, a, " ")
		for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		printf "%-16s %12s %12s %12s %15s\n", "benchmark (ns/op)", "go-shipped", "llvm19-stock", "racewire", "racewire/stock"
		for (i = 1; i <= n; i++) {
			b = names[i]
			s = median(v["shipped " b]); t = median(v["stock " b]); g = median(v["guarded " b])
			printf "%-17s %12.1f %12.1f %12.1f %15.3f\n", b, s, t, g, g / t
		}
	}' "$results"

