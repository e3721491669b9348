#!/usr/bin/env bash
# The demo behind `make demo`: a race that TSan reports through racewire,
# a correct program that stays clean, and the processor-wiring guard
# stopping seed 001's misuse that, unguarded, corrupts TSan.
# Usage: examples/demo.sh [O]
set -uo pipefail
out=${1:-build}
progs=$out/progs/release

step() { printf '\n=== %s\n$ %s\n' "$1" "$2"; }
status() { echo "--> exit status $1${2:+ ($2)}"; }

step "1. a data race between two tasks on two threads: TSan reports it" \
	"$progs/race_pair race"
"$progs/race_pair" race
status $? "66 is TSan's status after a race"

step "2. the same tasks ordered by release/acquire: no report" "$progs/race_pair sync"
"$progs/race_pair" sync
status $?

step "3. the smallest correct integration (examples/minimal.c)" "$out/examples/minimal"
"$out/examples/minimal"
status $?

step "4. seed 001's misuse (Go issue 27660): a thread annotates after its context was wired elsewhere; guarantee 1 stops it" \
	"$progs/stale_proc"
"$progs/stale_proc"
status $? "134 = SIGABRT from racewire's diagnosis; TSan was never entered"

step "5. the same misuse with the guard off: TSan's state is corrupted" \
	"RACEWIRE_OPTIONS=guard_wiring=0 $progs/stale_proc"
RACEWIRE_OPTIONS=guard_wiring=0 "$progs/stale_proc" 2>&1 | head -n 5
rc=${PIPESTATUS[0]}
case $rc in
139) status $rc "SIGSEGV inside TSan" ;;
66) status $rc "TSan CHECK failure" ;;
0) status $rc "survived this time: the misuse is a race inside TSan, and it needs two free CPUs; run again" ;;
*) status $rc ;;
esac
