#!/usr/bin/env bash
# What CI runs for every change (called by .ci/run): the README's test
# command, then the whole tree built again with clang, since our code must
# build warning-free with gcc and clang both.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

make -j"$jobs" test
echo "racewire ci: building everything with clang (O=build/clang)"
make -j"$jobs" --no-print-directory CC=clang CXX=clang++ O=build/clang all >/dev/null
make -j"$jobs" --no-print-directory CC=clang CXX=clang++ BACKEND=none O=build/clang/none all >/dev/null
make -j"$jobs" --no-print-directory CC=clang CXX=clang++ BACKEND=fiber O=build/clang/fiber all >/dev/null
echo "racewire ci: clang build clean"
