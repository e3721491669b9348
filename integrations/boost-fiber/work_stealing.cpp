// integrations/boost-fiber/work_stealing.cpp - Boost.Fiber's work-stealing
// scheduler under ThreadSanitizer: 4 threads share 200 fibers that yield
// and migrate between them. All shared data is synchronized (a
// boost::fibers::mutex, a std::mutex with a fiber condition variable), so
// TSan must report nothing. Built with -DRACY, each fiber also bumps one
// counter without the lock: TSan must report that race, both stacks at
// file:line. Prints what ran where; exits 0 (66 after a report, TSan's).
//
// As packaged (no racewire), TSan hears of no fiber switch: it exits 66
// with false reports and often crashes. With integrations/boost-fiber
// linked in, neither. Knobs: argv[1] fibers (200), argv[2] rounds (20).
#include <boost/fiber/all.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

constexpr int kThreads = 4;

std::mutex done_mu;                          // guards fibers_left
boost::fibers::condition_variable_any done_cv;
int fibers_left;

boost::fibers::mutex total_mu;               // guards total and log
long total;
std::vector<int> order;

#ifdef RACY
long racy_total;                             // bumped without a lock
#endif

struct result {
	long sum;
	int threads_seen;
};
std::vector<result> results;                 // slot i: fiber i's alone

#ifdef RACY
__attribute__((noinline)) void bump_racy(void)
{
	racy_total++;                            // the race: no lock held
}
#endif

void work(int id, int rounds)
{
	std::set<pid_t> seen;
	long sum = 0;
	for (int r = 0; r < rounds; r++) {
		// gettid, not this_thread::get_id: pthread_self is declared
		// const, so the compiler may reuse its value across a yield.
		seen.insert(gettid());
		{
			std::lock_guard<boost::fibers::mutex> g(total_mu);
			total += id;
			order.push_back(id);
		}
#ifdef RACY
		bump_racy();
#endif
		sum += id * r;
		boost::this_fiber::yield();          // may resume on another thread
	}
	results[id] = result{sum, static_cast<int>(seen.size())};
	std::lock_guard<std::mutex> lk(done_mu);
	if (--fibers_left == 0)
		done_cv.notify_all();
}

void wait_all(void)
{
	std::unique_lock<std::mutex> lk(done_mu);
	done_cv.wait(lk, [] { return fibers_left == 0; });
}

void worker(void)
{
	boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(kThreads);
	wait_all();
}

} // namespace

int main(int argc, char **argv)
{
	int nfibers = argc > 1 ? std::atoi(argv[1]) : 200;
	int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
	if (nfibers < 1 || rounds < 1) {
		std::fprintf(stderr, "usage: %s [fibers >= 1] [rounds >= 1]\n", argv[0]);
		return 2;
	}
	fibers_left = nfibers;
	results.resize(nfibers);
	std::vector<std::thread> threads;
	for (int i = 1; i < kThreads; i++)
		threads.emplace_back(worker);
	boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(kThreads);
	for (int i = 0; i < nfibers; i++)
		boost::fibers::fiber([i, rounds] { work(i, rounds); }).detach();
	wait_all();
	for (auto &t : threads)
		t.join();

	long want = 0, sums = 0;
	int migrated = 0;
	for (int i = 0; i < nfibers; i++) {
		want += static_cast<long>(i) * rounds;
		sums += results[i].sum;
		migrated += results[i].threads_seen > 1;
	}
	std::printf("work_stealing: %d threads, %d fibers x %d rounds, %d fibers ran on more than "
	            "one thread, total %s\n",
	            kThreads, nfibers, rounds, migrated, total == want ? "right" : "WRONG");
	(void)sums;
	return total == want && static_cast<long>(order.size()) == static_cast<long>(nfibers) * rounds ? 0 : 1;
}
