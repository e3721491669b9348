#!/usr/bin/env bash
# Rebuilds the real-*.log files of tests/diagnose/corpus from the generator
# programs in this folder, which call the Go-mode TSan ABI directly.
# For the record only: the tests read the committed corpus and never run this.
#
#   bash tests/diagnose/gen/make-corpus.sh [TSAN_DIR] [OUT_DIR]
#
# Some outcomes are racy (two threads on one Processor): each case is tried
# up to 10 times until its output matches what the case is meant to show.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
tsan=${1:-$root/build/tsan}
out=${2:-$root/tests/diagnose/corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rel=$tsan/race_linux_amd64.syso
dbg=$tsan/race_debug_linux_amd64.syso
for f in "$rel" "$dbg"; do
  [ -s "$f" ] || { echo "make-corpus: missing $f (run make deps)" >&2; exit 2; }
done

build() { # name src runtime [extra flags...]
  local name=$1 src=$2 rt=$3; shift 3
  gcc -no-pie -O1 -g "$@" "$here/$src" "$rt" -lpthread -o "$work/$name"
}
# case name, expected regex, command...: the shell's own "Segmentation
# fault" notice is part of what people paste, so run under bash -c.
capture() {
  local name=$1 want=$2; shift 2
  local try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    (cd "$work" && timeout 60 bash -c "$*; exit \$?" >"$work/$name.log" 2>&1)
    if [ -z "$want" ] || grep -Eq "$want" "$work/$name.log"; then
      # Strip the varying pid bash prints in "bash: line 1: 1234 Segm...".
      sed -E 's/^bash: line [0-9]+: +[0-9]+ /bash: line 1: 4242 /' \
        "$work/$name.log" >"$out/$name.log"
      echo "make-corpus: $name.log (try $try)"
      return 0
    fi
  done
  echo "make-corpus: $name: no output matching /$want/ in 10 tries" >&2
  return 1
}

build race-release race.c "$rel"
build race-debug race.c "$dbg"
build shared-proc-debug shared_proc.c "$dbg"
build shared-proc-release shared_proc.c "$rel"
build nil-proc-release nil_proc.c "$rel"
build ignore-leak-debug ignore_leak.c "$dbg"
# PIE on purpose: the point of this case is the wrong link mode.
gcc -pie -fPIE -O1 -g "$here/pie_global.c" "$dbg" -lpthread -o "$work/pie-debug"
gcc -pie -fPIE -O1 -g "$here/pie_global.c" "$rel" -lpthread -o "$work/pie-release"

rc=0
capture real-release-race 'WARNING: DATA RACE' ./race-release || rc=1
capture real-debug-race 'WARNING: DATA RACE' ./race-debug || rc=1
capture real-debug-dense-alloc-idx 'dense_alloc.h:[0-9]+ "\(\(idx\)\) != \(\(0\)\)"' ./shared-proc-debug 2 || rc=1
capture real-debug-slot-locked 'slot_locked' ./shared-proc-debug 2 shared-g || rc=1
capture real-release-shared-proc-segv 'Segmentation fault' ./shared-proc-release 2 || rc=1
capture real-release-nil-proc-segv 'Segmentation fault' ./nil-proc-release || rc=1
capture real-debug-pie-check 'CHECK failed' ./pie-debug || rc=1
capture real-release-pie-alloc 'failed to allocate' ./pie-release || rc=1
# Go mode never reports ignores left enabled (that report is !SANITIZER_GO):
# the run exits 0 with no output; kept to show the diagnoser's verdict on it.
capture real-debug-ignore-leak "" ./ignore-leak-debug || rc=1
# Logs of racewire's own seed-001 reproducer, as the stress runner keeps
# them (needs `make build-tests` first; O defaults to build).
O=${O:-$root/build}
stress=$O/bin/racewire-stress
if [ -x "$stress" ] && [ -x "$O/progs/release/stale_proc" ]; then
  tmp=$(mktemp -d)
  "$stress" --count 1 --no-diagnose --out "$tmp/g" -- "$O/progs/release/stale_proc" >/dev/null 2>&1
  RACEWIRE_OPTIONS=guard_wiring=0 "$stress" --count 8 --failfast --no-diagnose --out "$tmp/d" \
    -- "$O/progs/debug/stale_proc" syncs >/dev/null 2>&1
  RACEWIRE_OPTIONS=guard_wiring=0 "$stress" --count 8 --failfast --no-diagnose --out "$tmp/r" \
    -- "$O/progs/release/stale_proc" blocks >/dev/null 2>&1
  cp "$tmp"/g/run-*-racewire.log "$out/real-rw-stale-proc-fatal.log"
  cp "$(ls "$tmp"/d/run-*-tsan_check.log | head -n 1)" "$out/real-debug-stale-proc-unguarded.log"
  cp "$(ls "$tmp"/r/run-*-signal.log | head -n 1)" "$out/real-release-stale-proc-unguarded.log"
  rm -rf "$tmp"
fi
exit $rc
