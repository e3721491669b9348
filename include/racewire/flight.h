/*
 * racewire/flight.h - the flight record's file format.
 *
 * With RACEWIRE_OPTIONS=flight=PATH, racewire keeps a ring of recent
 * events per thread in PATH, a file mapped shared: every event is in the
 * kernel's page cache the moment it is written, so the record survives
 * abort, _exit and SIGKILL, and can be read after the process is gone
 * (racewire-diagnose --flight PATH). Little-endian, fixed layout:
 *
 *   struct rw_flight_header            at offset 0, padded to 4096 bytes
 *   struct rw_flight_ring [nslots]     each followed by nevents events
 *
 * A thread takes a ring the first time racewire sees it. A thread that
 * exits gives its ring back (its events stay readable until then), and a
 * thread that finds every fresh ring taken reuses the ring of one that
 * exited (counted in reused_rings; the ring's head starts again at 0). So
 * the threads alive at a crash are all recorded unless more than nslots
 * of them were alive at once; those record nothing (lost_threads) until a
 * ring is given back.
 * Within a ring, event i lives at index i % nevents and is valid when its
 * seq is i + 1: a writer fills an event, then publishes seq, then head, so
 * a reader can tell a torn last event from a complete one.
 */
#ifndef RACEWIRE_FLIGHT_H
#define RACEWIRE_FLIGHT_H

#include <stdint.h>

#define RW_FLIGHT_MAGIC "RWFLIGHT"
#define RW_FLIGHT_VERSION 1
#define RW_FLIGHT_HEADER_SIZE 4096

enum rw_flight_kind {
	RW_FL_WIRE = 1,          /* proc: the context wired */
	RW_FL_UNWIRE,            /* proc */
	RW_FL_FOREIGN_ENTER,     /* proc: the context given up */
	RW_FL_FOREIGN_EXIT,      /* arg: 1 if the acquire is held */
	RW_FL_CALLBACK_ENTER,
	RW_FL_CALLBACK_EXIT,
	RW_FL_ATTACH,
	RW_FL_DETACH,
	RW_FL_RESTORE,           /* arg: frames popped */
	RW_FL_SUSPEND,           /* arg: the suspended M (recorded by the suspender) */
	RW_FL_SUSPEND_SKIP,      /* arg: the M skipped: in external code */
	RW_FL_FINALIZE,
	RW_FL_VIOLATION,         /* pc: the annotation's pc; arg: its op */
	RW_FL_TASK_SWITCH,       /* task: the new current task (0: none) */
	RW_FL_KIND_END
};

struct rw_flight_header {
	char magic[8];           /* RW_FLIGHT_MAGIC, not NUL-terminated */
	uint32_t version;
	uint32_t nslots;         /* rings */
	uint32_t nevents;        /* events per ring */
	uint32_t pid;
	uint32_t used_slots;     /* rings taken so far */
	uint32_t lost_threads;   /* threads that found no free ring */
	uint64_t start_ns;       /* CLOCK_MONOTONIC when the record began */
	/* Added within version 1 (older writers left it 0): rings handed to
	 * a second thread after their first one exited, whose earlier events
	 * are gone. A reader that does not know it loses nothing else. */
	uint32_t reused_rings;
	uint32_t pad;
};

struct rw_flight_event {
	uint64_t seq;            /* index + 1 once complete */
	uint64_t ns;             /* CLOCK_MONOTONIC */
	uint32_t kind;           /* enum rw_flight_kind */
	uint32_t proc;           /* P number + 1, 0: none */
	uint32_t task;           /* T number, 0: none */
	uint32_t pad;
	uint64_t pc;
	uint64_t arg;
};

struct rw_flight_ring {
	uint32_t m;              /* the thread's M number */
	uint32_t tid;
	uint64_t head;           /* events written so far */
	uint64_t pad[2];
	/* followed by struct rw_flight_event[nevents] */
};

#endif /* RACEWIRE_FLIGHT_H */
