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
	char *options_var;    /* envp entry "RACEWIRE_OPTIONS=...", with --flight */
	size_t options_capacity;
	const char *inherited_options; /* our RACEWIRE_OPTIONS value, or NULL */
	int devnull_fd;       /* the runs' stdin */
};

/* Resolves the command; returns 0, or -1 with a message on stderr when the
 * program cannot be found or is not executable.  flight_dir (--flight) may
 * be NULL; otherwise every run gets its own RACEWIRE_OPTIONS (below). */
int rws_spawner_init(struct rws_spawner *spawner, char **command,
		     const char *flight_dir);
void rws_spawner_free(struct rws_spawner *spawner);

/* Starts run `seq` with `seed` in a process group of its own, stdin from
 * /dev/null, stdout and stderr appended to output_fd.  flight_path, when not
 * NULL, is appended to the inherited RACEWIRE_OPTIONS as flight=PATH (later
 * items win in racewire's parser).  Returns the pid (= process group id),
 * or -1 with errno set. */
pid_t rws_spawn_run(struct rws_spawner *spawner, int output_fd, uint64_t seq,
		    uint64_t seed, const char *flight_path);

/* The signal mask and dispositions every child of ours must start with: the
 * runner blocks SIGCHLD/SIGINT/SIGTERM for its signalfd and ignores SIGPIPE,
 * and both would otherwise leak into the program through exec. */
int rws_spawnattr_for_child(posix_spawnattr_t *attr, pid_t process_group);

#endif
