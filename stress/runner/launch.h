/* Starting one run of the program under test. */
#ifndef RWS_LAUNCH_H
#define RWS_LAUNCH_H

#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>

#include "rws.h"

struct rws_spawner {
	char *program_path;   /* command[0] resolved once against PATH */
	char **command;
	char **envp;          /* environ minus ours, plus the two slots below */
	char *seed_var;       /* envp entry "RACEWIRE_STRESS_SEED=..." */
	char *run_var;        /* envp entry "RACEWIRE_STRESS_RUN=..." */
	int devnull_fd;       /* the runs' stdin */
};

/* Resolves the command; returns 0, or -1 with a message on stderr when the
 * program cannot be found or is not executable. */
int rws_spawner_init(struct rws_spawner *spawner, char **command);
void rws_spawner_free(struct rws_spawner *spawner);

/* Starts run `seq` with `seed` in a process group of its own, stdin from
 * /dev/null, stdout and stderr appended to output_fd.  Returns the pid
 * (= process group id), or -1 with errno set. */
pid_t rws_spawn_run(struct rws_spawner *spawner, int output_fd, uint64_t seq,
		    uint64_t seed);

/* The signal mask and dispositions every child of ours must start with: the
 * runner blocks SIGCHLD/SIGINT/SIGTERM for its signalfd and ignores SIGPIPE,
 * and both would otherwise leak into the program through exec. */
int rws_spawnattr_for_child(posix_spawnattr_t *attr, pid_t process_group);

#endif
