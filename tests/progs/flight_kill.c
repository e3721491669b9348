/*
 * flight_kill: record a few transitions in a flight record, then die by
 * SIGKILL, which no handler sees and no atexit survives. The record must
 * still hold every event (racewire/flight.h: a file mapped shared).
 * Run with RACEWIRE_OPTIONS=flight=PATH.
 */
#include "prog.h"

#include <signal.h>

int main(void)
{
	rw_task_t *main_task;
	rw_proc_t *p0, *p1;
	prog_start(&main_task, &p0);
	prog_check(rw_proc_create(&p1), "rw_proc_create");
	for (int i = 0; i < 3; i++) {
		prog_check(rw_proc_unwire(p0), "rw_proc_unwire");
		prog_check(rw_proc_wire(p1), "rw_proc_wire");
		prog_check(rw_proc_unwire(p1), "rw_proc_unwire");
		prog_check(rw_proc_wire(p0), "rw_proc_wire");
	}
	rw_proc_t *released;
	prog_check(rw_foreign_enter(&released), "rw_foreign_enter");
	raise(SIGKILL);
	return 1;
}
