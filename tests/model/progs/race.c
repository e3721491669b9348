/*
 * model_race: programs on the model runtime, run by tests/model/test_race.
 *
 *   model_race race     two tasks write one heap word with no ordering:
 *                       TSan reports it (exit 66), both stacks name
 *                       racy_writer_a / racy_writer_b with file:line.
 *   model_race chan     the same word handed over through an unbuffered
 *                       channel and a buffered one: clean (exit 0).
 *   model_race mutex    under md_mutex: clean.
 *   model_race wg       written by workers, read after md_wg_wait: clean.
 *   model_race once     initialized by md_once_do, read by all: clean.
 *   model_race atomic   published with md_atomic_store64/load64: clean.
 *   model_race cgo      written before md_cgocall, read by a task started
 *                       from a callback... on C's own thread: clean.
 *   model_race churn    seed 001's shape: tasks in short md_cgocalls whose
 *                       P's the monitor retakes, while others annotate.
 *                       Clean; run it with MD_UNGUARDED=foreign and
 *                       RACEWIRE_OPTIONS=guard_wiring=0:guard_foreign=0
 *                       to see TSan's Processor corrupted (a reproducer).
 *   model_race closed   written before md_chan_close, read after a receive
 *                       that found the channel closed: clean.
 */
#include <model.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long *word;
static const char *mode;

/* The racy store. With Go-mode TSan a relaxed atomic: TSan sees the
 * annotation, and the program has no data race of its own in C's sense.
 * Compiled with -fsanitize=thread (the fiber backend) the store is what
 * TSan sees, so it is a plain one (two atomics never race). */
#if defined(MD_COMPILER_INSTRUMENTED)
#define RACY_STORE(p, v) (*(volatile long *)(p) = (v))
#else
#define RACY_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#endif

__attribute__((noinline)) static void racy_writer_a(void)
{
	MD_FUNC_ENTER();
	MD_WRITE(word);
	RACY_STORE(word, 1);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) static void racy_writer_b(void)
{
	MD_FUNC_ENTER();
	MD_WRITE(word);
	RACY_STORE(word, 2);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) static void write_word(long v)
{
	MD_FUNC_ENTER();
	MD_WRITE(word);
	*word = v;
	MD_FUNC_EXIT();
}

__attribute__((noinline)) static long read_word(void)
{
	MD_FUNC_ENTER();
	MD_READ(word);
	long v = *word;
	MD_FUNC_EXIT();
	return v;
}

static md_wg_t wg = MD_WG_INIT;
static md_mutex_t mu = MD_MUTEX_INIT;
static md_once_t once = MD_ONCE_INIT;
static int64_t flag; /* for md_atomic_* */
static md_chan_t *ch, *bch;

static void task_a(void *arg) { (void)arg; racy_writer_a(); md_wg_done(&wg); }
static void task_b(void *arg) { (void)arg; racy_writer_b(); md_wg_done(&wg); }

static void chan_receiver(void *arg)
{
	(void)arg;
	long v;
	md_chan_recv(ch, &v);
	if (read_word() != 7)
		md_exit(3);
	write_word(8);
	md_chan_send(bch, &v);
	md_wg_done(&wg);
}

static void mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		md_mutex_lock(&mu);
		write_word(read_word() + 1);
		md_mutex_unlock(&mu);
		if (i % 10 == 0)
			md_yield();
	}
	md_wg_done(&wg);
}

static void init_word(void *arg)
{
	(void)arg;
	write_word(42);
}

static void wg_worker(void *arg)
{
	(void)arg;
	md_mutex_lock(&mu);
	write_word(42);
	md_mutex_unlock(&mu);
	md_wg_done(&wg);
}

static void once_worker(void *arg)
{
	(void)arg;
	md_once_do(&once, init_word, NULL);
	if (read_word() != 42)
		md_exit(3);
	md_wg_done(&wg);
}

static void atomic_reader(void *arg)
{
	(void)arg;
	while (md_atomic_load64(&flag) == 0)
		md_yield();
	if (read_word() != 99)
		md_exit(3);
	md_wg_done(&wg);
}

static long callback_reads(void *arg)
{
	(void)arg;
	return read_word();
}

static void *c_thread(void *arg)
{
	(void)arg;
	return (void *)md_callback(callback_reads, NULL);
}

static long c_spawn_and_join(void *arg)
{
	(void)arg;
	pthread_t t;
	void *r;
	pthread_create(&t, NULL, c_thread, NULL);
	pthread_join(t, &r);
	return (long)r;
}

static void closed_reader(void *arg)
{
	(void)arg;
	long v;
	while (md_chan_recv(ch, &v))
		;
	if (read_word() != 5)
		md_exit(3);
	md_wg_done(&wg);
}

/* Not synchronization: C's own work, long enough that the monitor may
 * retake the caller's P (the shape of seed 001). Nothing waits for it. */
static long c_usleep(void *arg)
{
	(void)arg;
	usleep(50);
	return 0;
}

static void churner(void *arg)
{
	long *mine = md_alloc(64);
	for (int i = 0; i < 300; i++) {
		md_cgocall(c_usleep, NULL);
		MD_WRITE(mine);
		*mine += 1;
		md_free(md_alloc(32 + (size_t)(i % 7) * 16)); /* TSan's allocator caches */
	}
	(void)arg;
	md_wg_done(&wg);
}

static void main_task(void *arg)
{
	(void)arg;
	word = md_alloc(sizeof *word);
	if (!strcmp(mode, "race")) {
		md_wg_add(&wg, 2);
		md_go(task_a, NULL);
		md_go(task_b, NULL);
		md_wg_wait(&wg);
	} else if (!strcmp(mode, "chan")) {
		ch = md_chan_make(sizeof(long), 0);
		bch = md_chan_make(sizeof(long), 4);
		md_wg_add(&wg, 1);
		md_go(chan_receiver, NULL);
		write_word(7);
		long v = 1;
		md_chan_send(ch, &v);
		md_chan_recv(bch, &v);
		if (read_word() != 8)
			md_exit(3);
		md_wg_wait(&wg);
	} else if (!strcmp(mode, "mutex")) {
		md_wg_add(&wg, 4);
		for (int i = 0; i < 4; i++)
			md_go(mutex_worker, NULL);
		md_wg_wait(&wg);
		if (read_word() != 400)
			md_exit(3);
	} else if (!strcmp(mode, "wg")) {
		md_wg_add(&wg, 3);
		for (int i = 0; i < 3; i++)
			md_go(wg_worker, NULL);
		md_wg_wait(&wg);
		if (read_word() != 42)
			md_exit(3);
	} else if (!strcmp(mode, "once")) {
		md_wg_add(&wg, 4);
		for (int i = 0; i < 4; i++)
			md_go(once_worker, NULL);
		md_wg_wait(&wg);
	} else if (!strcmp(mode, "atomic")) {
		md_wg_add(&wg, 2);
		md_go(atomic_reader, NULL);
		md_go(atomic_reader, NULL);
		write_word(99);
		md_atomic_store64(&flag, 1);
		md_wg_wait(&wg);
	} else if (!strcmp(mode, "cgo")) {
		write_word(11);
		if (md_cgocall(c_spawn_and_join, NULL) != 11)
			md_exit(3);
	} else if (!strcmp(mode, "churn")) {
		md_wg_add(&wg, 16);
		for (int i = 0; i < 16; i++)
			md_go(churner, NULL);
		md_wg_wait(&wg);
	} else if (!strcmp(mode, "closed")) {
		ch = md_chan_make(sizeof(long), 2);
		md_wg_add(&wg, 1);
		md_go(closed_reader, NULL);
		write_word(5);
		md_chan_close(ch);
		md_wg_wait(&wg);
	} else {
		fprintf(stderr, "model_race: unknown mode %s\n", mode);
		md_exit(2);
	}
	printf("model_race %s: done\n", mode);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: model_race race|chan|mutex|wg|once|atomic|cgo|churn|closed\n");
		return 2;
	}
	mode = argv[1];
	md_init(0);
	md_main(main_task, NULL);
}
