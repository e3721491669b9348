/*
 * model/internal.h - the model runtime's private structures (G, M, P, the
 * scheduler) and the seam to racewire.
 *
 * The leaf utilities (util.h) do not include this header: it includes
 * them.
 */
#ifndef MODEL_INTERNAL_H
#define MODEL_INTERNAL_H

#include "util.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MD_MAXPROCS 64
#define MD_MAXM 1024
#define MD_RUNQ 256

/* ---- Context switch (switch.S) ---------------------------------------------
 * A context is the saved stack pointer; callee-saved registers, the x87
 * control word and MXCSR are on the stack below it. */
typedef struct md_ctx {
	void *sp;
} md_ctx_t;
void md__ctx_switch(md_ctx_t *from, const md_ctx_t *to);
void md__ctx_make(md_ctx_t *c, void *stack_top, void (*entry)(void));

/* ---- Tasks ---------------------------------------------------------------- */
enum g_status { G_IDLE, G_RUNNABLE, G_RUNNING, G_WAITING, G_DEAD };

struct md_try_frame;

typedef struct md_g {
	md_ctx_t ctx;
	char *stack_lo;           /* mmap'd region, guard page first */
	size_t stack_len;
	void (*fn)(void *);
	void *arg;
	unsigned id;
	_Atomic int status;
	struct md_g *next;        /* run queue / wait list / free list link */
	struct md_p *queued_on;   /* where it was queued (steal statistics) */
	_Atomic int preempt;      /* the monitor asks for a yield */
	struct md_m *lockedm;     /* pinned (callback): only this M runs it */
	int lockcount;            /* nested pins */
	struct md_try_frame *trys;/* innermost md_try of this task */
	void *panicval;
	struct md_cbframe *cbtop; /* innermost callback of this task */
	int is_main;
	int cb_foreign;           /* a callback task on a foreign thread */
	uint64_t wake_ns;         /* md_sleep_us */
	rw_task_t *rw;            /* racewire's task: TSan's ThreadState */
	/* Sync object for direct handoffs to this task while it is parked
	 * (channels, mutex, wait group). racewire annotates for the current
	 * task only, where Go's chan.go calls raceacquireg(sg.g, ...) on the
	 * parked goroutine's behalf; so the waker release-acquires here and the
	 * woken task acquires it itself. In the heap: G's are heap objects. */
	uint64_t race_sync;
} md_g_t;

/* ---- Processors ----------------------------------------------------------- */
enum p_status { P_IDLE, P_RUNNING, P_SYSCALL, P_HANDOFF };

typedef struct md_p {
	int id;
	_Atomic int status;
	struct md_m *m;           /* owner while RUNNING */
	pthread_mutex_t qlock;    /* the local run queue (a locked ring: simple,
	                           * and stealing takes half under it) */
	md_g_t *runq[MD_RUNQ];
	unsigned qhead, qtail;
	md_g_t *runnext;
	_Atomic uint64_t schedtick;   /* bumped on every task switch */
	_Atomic uint64_t syscalltick; /* bumped on every foreign call */
	struct md_p *link;        /* idle list */
	/* Monitor's view (Go's sysmontick). */
	uint64_t mon_schedtick, mon_syscalltick, mon_when;
	rw_proc_t *rw;            /* this P's racewire context */
} md_p_t;

/* ---- Threads -------------------------------------------------------------- */
enum g0_action { A_NONE, A_YIELD, A_PREEMPT, A_PARK, A_DEAD, A_CBRET };

enum suspend_state { SUS_NONE, SUS_REQUESTED, SUS_SUSPENDED, SUS_RESUME, SUS_RESUME_PREEMPT };

typedef struct md_m {
	unsigned id;
	pthread_t tid;
	md_ctx_t g0;              /* the thread's own stack: scheduler code */
	md_g_t *curg;
	md_p_t *p;
	md_p_t *oldp;             /* P given up in a foreign call */
	_Atomic(md_p_t *) nextp;  /* P handed to this M while it sleeps */
	_Atomic uint32_t park;    /* futex word */
	struct md_m *link;        /* idle list / P-waiter list */
	int spinning;
	int foreign;              /* created by C, attached for a callback */
	int incgo;                /* depth of md_cgocall */
	/* g0 work requested by the task that switched to it. */
	enum g0_action action;
	void (*unlockf)(void *);
	void *unlockarg;
	/* Suspension (monitor <-> signal handler). */
	_Atomic uint32_t sus;
	uintptr_t sus_pc;         /* where the suspended thread was */
	int sus_np;               /* its no-preempt count (annotations) */
	_Atomic int in_use;       /* for the monitor: an M that runs tasks */
	rw_thread_t *rw;          /* racewire's handle for the suspension word */
} md_m_t;

/* ---- The scheduler -------------------------------------------------------- */
struct md_sched {
	pthread_mutex_t lock;
	md_g_t *gq_head, *gq_tail;    /* global run queue */
	_Atomic int gq_len;
	md_p_t *pidle;                /* idle P's */
	_Atomic int npidle;
	md_m_t *midle;                /* idle M's */
	md_m_t *pwait_head, *pwait_tail; /* M's waiting for any P (foreign
	                                  * call return, pinned task ready) */
	_Atomic int npwait;
	_Atomic int nmspinning;
	md_g_t *gfree;                /* dead G's with stacks, for reuse */
	int nprocs;
	md_p_t *allp[MD_MAXPROCS];
	md_m_t *allm[MD_MAXM];
	_Atomic unsigned nm;
	_Atomic unsigned ngid;
	md_config_t cfg;
	_Atomic int running;          /* monitor keeps going while set */
	_Atomic uint32_t main_done;   /* futex for md_run */
	md_g_t *sleepers;             /* md_sleep_us, under lock */
	rw_task_t *main_rw;           /* T1, from rw_init */
	rw_task_t *root_task;         /* parent of callback tasks on foreign
	                               * threads: never runs, never ends */
	md_m_t *by_rw[MD_MAXM];       /* racewire M number -> md_m */
	/* statistics */
	_Atomic uint64_t st_started, st_ended, st_stolen, st_retakes, st_preq,
	    st_async, st_skipped, st_threads, st_attaches;
};
extern struct md_sched md_sched;

extern _Thread_local md_m_t *md__m __attribute__((tls_model("initial-exec")));

/* sched.c */
void md__sched_init(void);
_Noreturn void md__mstart_loop(md_m_t *m);
md_g_t *md__gnew(void (*fn)(void *), void *arg);
void md__gfree(md_g_t *g);
void md__run_locked(md_m_t *m, md_g_t *g);
void md__exitsyscall(md_m_t *m);
void md__m_register(md_m_t *m);
void md__ready(md_g_t *g);           /* make a parked task runnable */
void md__park(void (*unlockf)(void *), void *arg); /* current task waits */
void md__gswitch(enum g0_action a); /* current task -> g0 */
void md__acquirep(md_m_t *m, md_p_t *p);
void md__releasep(md_m_t *m);
md_p_t *md__pidleget(void);
void md__handoffp(md_p_t *p);
void md__wakep(void);
void md__wait_for_p(md_m_t *m);       /* get any P (wait), wire it */
int md__runq_empty(md_p_t *p);
void md__check_preempt(void);
md_m_t *md__pinned_m(md_g_t *g);

/* thread.c */
md_m_t *md__mnew(int foreign);
void md__newm(md_p_t *p);             /* start a thread that runs with p */
void md__notesleep(md_m_t *m);
void md__notewakeup(md_m_t *m);

/* monitor.c */
void md__monitor_start(void);
void md__monitor_stop(void);
void md__signals_init(void);


/* panic.c */
void md__panic_gone(md_g_t *g);



#endif
