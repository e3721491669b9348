#!/usr/bin/env bash
# A long stress job for CI: one reproducer, guarded, for a time budget,
# optionally one shard of a fleet. Guarded runs must never fail; the job
# exits 1 on the first failure (its log and the diagnoser's verdict are in
# the output folder) and 0 with the failure-rate bounds when none did.
# Shards' output folders combine with `racewire-stress merge OUT DIR...`.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	cat >&2 <<'EOF'
usage: ci/stress-long.sh [-b SECONDS] [-s I/N] [-o DIR] [-j FILE] [-u] REPRODUCER

  REPRODUCER   a name from stress/reproducers.tsv (e.g. seed001-cgo-retake)
  -b SECONDS   time budget (default 3600)
  -s I/N       run shard I of N (runs are split by run number, so the N
               shards together are one job; combine their output folders
               with build/bin/racewire-stress merge OUT DIR...)
  -o DIR       output folder (default build/stress-long/REPRODUCER)
  -j FILE      also write a JUnit XML report (one test case per run)
  -u           run it unguarded instead, to measure how often it fails
EOF
	exit 2
}

budget=3600 shard=0/1 out="" unguarded=0 junit=""
while getopts "b:s:o:j:uh" opt; do
	case $opt in
	b) budget=$OPTARG ;;
	s) shard=$OPTARG ;;
	o) out=$OPTARG ;;
	j) junit=$OPTARG ;;
	u) unguarded=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
(($# == 1)) || usage
name=$1
line=$(awk -F'\t' -v n="$name" '!/^#/ && $1 == n' stress/reproducers.tsv)
if [[ -z $line ]]; then
	echo "stress-long: no reproducer '$name' in stress/reproducers.tsv; known:" >&2
	awk -F'\t' '!/^#/ && NF { print "  " $1 }' stress/reproducers.tsv >&2
	exit 2
fi
IFS=$'\t' read -r _ seed program args guard_off timeout parallel _ guarded_expect _ <<<"$line"
parallel=${parallel:-1}
# A `named` row's guarded runs are each stopped by racewire by design (the
# misuse is in the program): there is no failure rate to bound.
if [[ ${guarded_expect:-pass} == named ]] && ((!unguarded)); then
	echo "stress-long: $name is a 'named' row: racewire stops every guarded run by design;" \
		"make stress checks that, and -u measures it unguarded" >&2
	exit 2
fi
out=${out:-build/stress-long/$name}

make --no-print-directory deps
make --no-print-directory -j"$(nproc)" tools "build/$program"
argv=("build/$program")
[[ $args != - ]] && read -r -a extra <<<"$args" && argv+=("${extra[@]}")

mode=guarded
opts=()
[[ -n $junit ]] && opts+=(--junit "$junit")
if ((unguarded)); then
	mode=unguarded
	export RACEWIRE_OPTIONS=$guard_off
else
	unset RACEWIRE_OPTIONS
	opts+=(--failfast)
fi
echo "stress-long: $name (seed $seed) $mode, -p $parallel, ${budget}s, shard $shard, logs in $out"
exec build/bin/racewire-stress -p "$parallel" "${opts[@]}" --timeout "$timeout" --budget "$budget" \
	--shard "$shard" --out "$out" -- "${argv[@]}"
