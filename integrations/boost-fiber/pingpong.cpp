// integrations/boost-fiber/pingpong.cpp - what one fiber switch costs under
// ThreadSanitizer, timed in-process on one thread, so the same source can be
// built against Boost 1.74 with racewire's interposer and against Boost 1.81
// with its own TSan annotations (compare-boost181.sh) and the figures set
// side by side.
//
// Two measurements, because the annotations sit at two levels:
//   context: a boost::context::fiber and the thread's own context resume
//            each other; each resume is one switch, the layer where
//            racewire's interposer (jump_fcontext) and Boost 1.81's
//            __tsan_switch_to_fiber (before swapcontext) both act.
//   fiber:   two Boost.Fiber fibers yield to each other under the
//            round_robin scheduler; each yield is one switch plus the
//            scheduler's queue work and Boost.Fiber's own locks.
// Each is run `reps` times; the median is printed, with the fastest and
// slowest for scale. The clock is the thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID), kernel time included: everything runs on this
// one thread, and on a shared machine wall time would count the time other
// jobs held the core. Knobs: argv[1] round trips per repetition (50000),
// argv[2] repetitions (5).
#include <boost/context/fiber.hpp>
#include <boost/fiber/all.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <time.h>

namespace {

double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// n round trips: main -> f and f -> main, n + 1 of each counting the first
// entry and the final return: 2n + 2 switches.
double context_ns(long n)
{
	namespace ctx = boost::context;
	ctx::fiber f{[n](ctx::fiber &&m) {
		for (long i = 0; i < n; i++)
			m = std::move(m).resume();
		return std::move(m);
	}};
	double t0 = now_ns();
	for (long i = 0; i <= n; i++)
		f = std::move(f).resume();
	double t1 = now_ns();
	return (t1 - t0) / static_cast<double>(2 * n + 2);
}

// Two fibers, n yields each: every yield hands the thread to the other
// one (the only other ready fiber), 2n switches, plus the few to start
// them and to come back to main, which this counts as noise.
double fiber_ns(long n)
{
	auto body = [n] {
		for (long i = 0; i < n; i++)
			boost::this_fiber::yield();
	};
	double t0 = now_ns();
	boost::fibers::fiber a(body), b(body);
	a.join();
	b.join();
	double t1 = now_ns();
	return (t1 - t0) / static_cast<double>(2 * n);
}

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
	long n = argc > 1 ? std::atol(argv[1]) : 50000;
	int reps = argc > 2 ? std::atoi(argv[2]) : 5;
	if (n < 1 || reps < 1) {
		std::fprintf(stderr, "usage: %s [switches >= 1] [repetitions >= 1]\n", argv[0]);
		return 2;
	}
	std::vector<double> c, f;
	for (int r = 0; r < reps; r++) {
		c.push_back(context_ns(n));
		f.push_back(fiber_ns(n));
	}
	std::printf("pingpong: context %.0f ns/switch (%.0f-%.0f), fiber yield %.0f ns/switch "
	            "(%.0f-%.0f), thread CPU time, median of %d x %ld\n",
	            median(c), *std::min_element(c.begin(), c.end()),
	            *std::max_element(c.begin(), c.end()), median(f),
	            *std::min_element(f.begin(), f.end()), *std::max_element(f.begin(), f.end()),
	            reps, n);
	return 0;
}
