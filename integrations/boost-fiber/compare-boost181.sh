#!/usr/bin/env bash
# integrations/boost-fiber/compare-boost181.sh - Boost.Fiber under TSan two
# ways, side by side:
#   A  Debian's Boost 1.74 as packaged (libboost-fiber-dev, not rebuilt),
#      with racewire's interposer (rw_boost_fiber.o) and fiber backend;
#   B  Boost 1.81 from Debian's source package (boost1.81), Boost.Context
#      built with context-impl=ucontext (BOOST_USE_UCONTEXT) and
#      BOOST_USE_TSAN, Boost.Context and Boost.Fiber compiled with
#      clang++-19 -fsanitize=thread; Boost's own annotations, no racewire.
# The same three programs are built both ways: work_stealing.cpp (correct),
# work_stealing.cpp -DRACY, and pingpong.cpp (ns per switch). The first two
# run under racewire-stress, A's twice (racewire's defaults, and
# guard_signals=0); the table counts, per row, the runs with TSan reports,
# crashes and hangs, the racy runs that found the race, and pingpong's
# figures.
#
# Usage: integrations/boost-fiber/compare-boost181.sh [-n RUNS] [-r RACY_RUNS]
#            [-p PARALLEL] [-t TIMEOUT_S]
# Defaults: -n 100 -r 20 -p 2 -t 120. Run from anywhere; everything it makes
# is under build/boost181/ (git-ignored), the source package included.
#
# It installs what it needs (racewire's ci/deps.sh list, plus dpkg-dev for
# apt-get source), which needs root or sudo, and deb-src lines for Debian 12
# in the apt sources. Only Boost.Context and Boost.Fiber are compiled, by
# direct compiler calls (the sources b2 would use for context-impl=ucontext,
# read from their Jamfiles), not through b2, which would need bootstrapping
# and a user-config naming clang++-19. Each step is done once: delete
# build/boost181/ to start again.
set -euo pipefail

usage()
{
	echo "usage: $0 [-n RUNS] [-r RACY_RUNS] [-p PARALLEL] [-t TIMEOUT_S]" >&2
	exit 2
}

runs=100 racy_runs=20 par=2 timeout=120
while getopts "n:r:p:t:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	r) racy_runs=$OPTARG ;;
	p) par=$OPTARG ;;
	t) timeout=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
(($# == 0)) || { echo "$0: unexpected argument '$1'" >&2; usage; }
for v in "-n=$runs" "-r=$racy_runs" "-p=$par" "-t=$timeout"; do
	[[ ${v#*=} =~ ^[1-9][0-9]*$ ]] || { echo "$0: ${v%%=*} must be a positive integer, not '${v#*=}'" >&2; usage; }
done

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
here=integrations/boost-fiber
out=build/boost181
mkdir -p "$out"
say() { echo "compare-boost181: $*"; }

# ---- What it needs ------------------------------------------------------------
bash ci/deps.sh
sudo=()
((EUID == 0)) || sudo=(sudo)
if ! command -v dpkg-source >/dev/null 2>&1; then
	say "installing dpkg-dev (dpkg-source, to unpack the source package)"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends dpkg-dev >/dev/null
fi

# ---- Boost 1.81 from Debian's source package ------------------------------------
# Debian 12's boost1.81 1.81.0-5+deb12u1: its patches (debian/patches) touch
# phoenix, mpi, python and the docs, not Context or Fiber.
src=$out/src
tree=$src/tree
if [[ ! -f $tree/.unpacked ]]; then
	rm -rf "$src"
	mkdir -p "$src"
	say "fetching the boost1.81 source package into $src"
	# The source lists may never have been fetched (ci/deps.sh updates
	# only when a package is missing): on a failure, update once and retry.
	if ! (cd "$src" && apt-get source --download-only boost1.81 >download.log 2>&1) &&
		! { "${sudo[@]}" apt-get update -q >/dev/null 2>&1 &&
			(cd "$src" && apt-get source --download-only boost1.81 >download.log 2>&1); }; then
		if [[ ! -s $src/download.log ]] || grep -q "deb-src" "$src/download.log"; then
			echo "compare-boost181: apt-get source boost1.81 failed: no deb-src line for Debian 12 (bookworm) in the apt sources?" >&2
		fi
		echo "compare-boost181: apt-get source boost1.81 failed; its output:" >&2
		cat "$src/download.log" >&2
		exit 1
	fi
	say "unpacking it (dpkg-source -x, Debian's patches applied)"
	(cd "$src" && dpkg-source -x boost1.81_*.dsc tree >unpack.log 2>&1) ||
		{ cat "$src/unpack.log" >&2; exit 1; }
	touch "$tree/.unpacked"
fi
ver=$(sed -n 's/^Version: //p' "$src"/boost1.81_*.dsc)

# Debian's orig tarball has Boost's modular layout, each library's headers
# in libs/*/include: one include folder of links to them, as `b2 headers`
# would make.
inc=$out/include
if [[ ! -f $inc/.done ]]; then
	rm -rf "$inc"
	mkdir -p "$inc"
	find "$root/$tree/libs" -mindepth 2 -maxdepth 3 -type d -name include |
		while read -r d; do cp -rs "$d/." "$inc/"; done
	touch "$inc/.done"
fi

# Release flags, as Debian builds its libraries (b2 variant=release), plus
# the two that make Boost.Context announce its switches to TSan.
CXX=clang++-19
BOOST_DEFS=(-DBOOST_USE_UCONTEXT -DBOOST_USE_TSAN)
LIB_FLAGS=(-std=c++17 -O2 -g -fsanitize=thread -fno-omit-frame-pointer -fPIC -pthread
	-DNDEBUG -DBOOST_DISABLE_ASSERTS "${BOOST_DEFS[@]}" -isystem "$inc")
context_srcs=(continuation.cpp fiber.cpp posix/stack_traits.cpp)
fiber_srcs=(algo/algorithm.cpp algo/round_robin.cpp algo/shared_work.cpp algo/work_stealing.cpp
	barrier.cpp condition_variable.cpp context.cpp fiber.cpp waker.cpp future.cpp mutex.cpp
	properties.cpp recursive_mutex.cpp recursive_timed_mutex.cpp timed_mutex.cpp scheduler.cpp)

# wait_all PIDS...: wait for every one (none left running); fail if any did.
wait_all()
{
	local p bad=0
	for p in "$@"; do wait "$p" || bad=1; done
	return "$bad"
}

# build_lib NAME SRCDIR DEFINE SOURCES...: compile, two at a time, archive.
# A compiler error is printed as the compiler says it, then this stops.
build_lib()
{
	local name=$1 dir=$2 def=$3
	shift 3
	local objs=() pids=() s o
	mkdir -p "$out/obj/$name"
	for s in "$@"; do
		o=$out/obj/$name/${s//\//_}.o
		objs+=("$o")
		"$CXX" "${LIB_FLAGS[@]}" "$def" -c -o "$o" "$dir/$s" &
		pids+=($!)
		if ((${#pids[@]} == 2)); then
			wait_all "${pids[@]}" || { echo "compare-boost181: compiling $name failed" >&2; exit 1; }
			pids=()
		fi
	done
	wait_all "${pids[@]}" || { echo "compare-boost181: compiling $name failed" >&2; exit 1; }
	mkdir -p "$out/lib"
	rm -f "$out/lib/lib$name.a"
	ar rcs "$out/lib/lib$name.a" "${objs[@]}"
}

if [[ ! -f $out/lib/libboost_fiber.a || ! -f $out/lib/libboost_context.a ]]; then
	say "compiling Boost.Context (ucontext, BOOST_USE_TSAN) and Boost.Fiber 1.81 with $CXX -fsanitize=thread"
	t0=$SECONDS
	build_lib boost_context "$tree/libs/context/src" -DBOOST_CONTEXT_SOURCE "${context_srcs[@]}"
	build_lib boost_fiber "$tree/libs/fiber/src" -DBOOST_FIBERS_SOURCE "${fiber_srcs[@]}"
	say "built $out/lib/libboost_context.a and libboost_fiber.a in $((SECONDS - t0)) s"
fi

# ---- The programs, both ways ------------------------------------------------------
# The flags of the Makefile's fiber programs (FIBER_CXXFLAGS, BF_CXX).
PROG_FLAGS=(-std=c++17 -Wall -Wextra -Werror -g -O1 -fsanitize=thread -fno-omit-frame-pointer
	-D_GNU_SOURCE -DRW_BACKEND_FIBER -Iinclude -pthread)
say "building racewire's fiber backend, the interposer and the stress runner"
make -s -j2 tools >/dev/null
make -s -j2 BACKEND=fiber build/fiber/lib/libracewire.a \
	build/fiber/obj/integrations/boost-fiber/rw_boost_fiber.o >/dev/null
RW_A=(build/fiber/obj/integrations/boost-fiber/rw_boost_fiber.o build/fiber/lib/libracewire.a
	-lboost_fiber -lboost_context -ldl -ldw -lelf -lpthread)
B_LIBS=("$out/lib/libboost_fiber.a" "$out/lib/libboost_context.a")

mkdir -p "$out/a" "$out/b"
for p in ws ws_racy pingpong; do
	case $p in
	ws) srcf=$here/work_stealing.cpp extra=() ;;
	ws_racy) srcf=$here/work_stealing.cpp extra=(-DRACY) ;;
	pingpong) srcf=$here/pingpong.cpp extra=() ;;
	esac
	"$CXX" "${PROG_FLAGS[@]}" "${extra[@]}" -o "$out/a/$p" "$srcf" "${RW_A[@]}"
	"$CXX" "${PROG_FLAGS[@]}" "${extra[@]}" "${BOOST_DEFS[@]}" -isystem "$inc" -o "$out/b/$p" \
		"$srcf" "${B_LIBS[@]}"
done

# ---- Runs ------------------------------------------------------------------------------
# clang-19's runtime finds no usable llvm-symbolizer on PATH on Debian 12:
# name one, for file:line in reports.
export TSAN_OPTIONS=external_symbolizer_path=/usr/bin/llvm-symbolizer
unset RACEWIRE_OPTIONS
# stress NAME RUNS RACEWIRE_OPTIONS PROGRAM
stress()
{
	local dir=$out/stress-$1 n=$2 opts=$3
	shift 3
	rm -rf "$dir"
	say "RACEWIRE_OPTIONS=$opts racewire-stress -p $par -n $n -t $timeout -o $dir -- $*"
	RACEWIRE_OPTIONS=$opts build/bin/racewire-stress -q -p "$par" -n "$n" -t "$timeout" -o "$dir" \
		-- "$@" >/dev/null || true
	[[ -s $dir/runs.tsv ]] || { echo "compare-boost181: racewire-stress wrote no $dir/runs.tsv" >&2; exit 1; }
}
# A twice: as racewire runs by default, and with guard_signals=0, the
# guard that blocks signals across each switch (two sigprocmask calls a
# switch), since that guard is most of what a switch costs A. B has no
# such guard (its swapcontext sets the fiber's mask, after the TSan switch).
stress a-ws "$runs" "" "$out/a/ws"
stress a2-ws "$runs" guard_signals=0 "$out/a/ws"
stress b-ws "$runs" "" "$out/b/ws"
stress a-racy "$racy_runs" "" "$out/a/ws_racy"
stress a2-racy "$racy_runs" guard_signals=0 "$out/a/ws_racy"
stress b-racy "$racy_runs" "" "$out/b/ws_racy"

# One job's counts, from runs.tsv (the class, the kept log of every run that
# did not pass). racewire-stress names Go's "WARNING: DATA RACE" class race;
# C/C++ TSan prints "WARNING: ThreadSanitizer: ...", so the logs are read
# here. Prints: runs clean reported racy_found crashed hung.
counts()
{
	local dir=$out/stress-$1
	local total=0 clean=0 reported=0 found=0 crashed=0 hung=0
	local seq class log
	# runs.tsv columns: seq seed start duration_s exit_status signal class log_file ...
	while IFS=$'\t' read -r seq _ _ _ _ _ class log _; do
		[[ $seq == seq ]] && continue
		[[ $class == interrupted ]] && continue
		total=$((total + 1))
		if [[ $class == pass ]]; then
			clean=$((clean + 1))
			continue
		fi
		# runs.tsv names the log as the runner was told (-o): relative
		# to the repository, where this runs.
		if [[ $class == hang ]]; then
			hung=$((hung + 1))
		elif [[ $class == signal || $class == tsan_check || $class == racewire ]] ||
			grep -q -e "ThreadSanitizer:DEADLYSIGNAL" -e "CHECK failed" "$log" 2>/dev/null; then
			crashed=$((crashed + 1))
		fi
		if grep -q "WARNING: ThreadSanitizer:" "$log" 2>/dev/null; then
			reported=$((reported + 1))
			# The planted race: a data race report with both stacks in
			# bump_racy at file:line.
			(($(grep -c "bump_racy() .*work_stealing.cpp:[0-9]" "$log") >= 2)) &&
				found=$((found + 1))
		fi
	done <"$dir/runs.tsv"
	echo "$total $clean $reported $found $crashed $hung"
}

say "pingpong (one run each, one after the other)"
pa=$("$out/a/pingpong" 2>&1 || true)
pa2=$(RACEWIRE_OPTIONS=guard_signals=0 "$out/a/pingpong" 2>&1 || true)
pb=$("$out/b/pingpong" 2>&1 || true)
echo "A: $pa"
echo "A': $pa2"
echo "B: $pb"

# pingpong's line: "pingpong: context C ns/switch (lo-hi), fiber yield F
# ns/switch (lo-hi), ..." -> "C (lo-hi)|F (lo-hi)".
switch_cols()
{
	sed -n 's/^pingpong: context \([^n]*\) ns\/switch \(([^)]*)\), fiber yield \([^n]*\) ns\/switch \(([^)]*)\).*/\1 \2|\3 \4/p' <<<"$1" |
		grep . || echo "failed|failed"
}

row()
{
	local name=$1 ws racy pp
	read -r -a ws <<<"$(counts "$2-ws")"
	read -r -a racy <<<"$(counts "$2-racy")"
	pp=$(switch_cols "$3")
	printf '| %s | %s | %s | %s | %s | %s | %s of %s | %s | %s |\n' "$name" "${ws[0]}" "${ws[1]}" \
		"${ws[2]}" "${ws[4]}" "${ws[5]}" "${racy[3]}" "${racy[0]}" "${pp%%|*}" "${pp#*|}"
	# The racy program's crashes and hangs are counted apart from the
	# table's columns, which are the correct program's.
	echo "racy program, $name: ${racy[4]} crashed, ${racy[5]} hung" >&2
}

echo
echo "Boost.Fiber work stealing (4 threads, 200 fibers x 20 rounds) under clang-19 TSan;"
echo "Boost 1.81 = Debian source package $ver; $(date -u +%Y-%m-%d), $(nproc) cores"
echo
echo "| build | runs | clean | runs with reports | crashes | hangs | racy: race found | context switch, ns | fiber yield, ns |"
echo "|---|---|---|---|---|---|---|---|---|"
row "A: 1.74 + racewire" a "$pa" 2>"$out/racy-a.txt"
row "A': 1.74 + racewire, guard_signals=0" a2 "$pa2" 2>"$out/racy-a2.txt"
row "B: 1.81 ucontext + BOOST_USE_TSAN" b "$pb" 2>"$out/racy-b.txt"
echo
echo "ns per switch: pingpong.cpp, two contexts on one thread, thread CPU time, median (fastest-slowest) of 5 x 50000 round trips"
cat "$out/racy-a.txt" "$out/racy-a2.txt" "$out/racy-b.txt"
echo "logs of the runs that did not pass: $out/stress-{a,a2,b}-{ws,racy}/"
