#!/usr/bin/env bash
# Builds the diagnoser's fuzz target with clang (libFuzzer + ASan + UBSan)
# and runs it for a bounded time, seeded with the log corpus.
#
#   bash tests/diagnose/fuzz.sh [-t SECONDS] [-o OUTDIR] [-j JOBS] [-- libFuzzer args]
#
#   -t  run time in seconds (default 60; FUZZ_TIME also works)
#   -o  build and work folder (default build/fuzz)
#   -j  parallel fuzzing jobs (default 1)
# Exit status: 0 no crash, 1 a crash (the reproducer is in OUTDIR/artifacts),
# 2 build or usage error. The last lines print the executions done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
time=${FUZZ_TIME:-60}
out=$root/build/fuzz
jobs=1
while [ $# -gt 0 ]; do
  case $1 in
    -t) time=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
case $time in ''|*[!0-9]*) echo "fuzz.sh: -t wants seconds, not '$time'" >&2; exit 2 ;; esac
command -v clang >/dev/null || { echo "fuzz.sh: clang not found" >&2; exit 2; }

mkdir -p "$out/corpus" "$out/artifacts"
srcs=()
for f in "$root"/diagnose/*.c; do
  [ "$(basename "$f")" = main.c ] || srcs+=("$f")
done
clang -std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/diagnose" -I"$root/include" "$here/fuzz_diagnose.c" "${srcs[@]}" -o "$out/fuzz_diagnose" ||
  { echo "fuzz.sh: build failed" >&2; exit 2; }
# Also prove the standalone (AFL++-style) driver builds.
clang -std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -DRWD_FUZZ_STANDALONE \
  -fsanitize=address,undefined -I"$root/diagnose" -I"$root/include" "$here/fuzz_diagnose.c" "${srcs[@]}" \
  -o "$out/fuzz_diagnose_standalone" || { echo "fuzz.sh: standalone build failed" >&2; exit 2; }

cp -f "$root"/tests/diagnose/corpus/* "$out/corpus/" 2>/dev/null || true
log=$out/fuzz.log
set +e
par=()
[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
# From $out: with -jobs libFuzzer writes fuzz-N.log into the current folder.
(cd "$out" && ./fuzz_diagnose corpus -max_total_time="$time" -max_len=65536 \
  -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/" \
  -print_final_stats=1 "${par[@]}" "$@") 2>&1 | tee "$log" | tail -n 8
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ] || grep -q "ERROR: AddressSanitizer\|runtime error:\|deadly signal" "$log"; then
  echo "fuzz.sh: CRASH (exit $rc); reproducers in $out/artifacts" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${time}s; $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -1)"
