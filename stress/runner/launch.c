/* Spawning runs.  posix_spawn (a vfork-style clone in glibc) rather than
 * fork: the runner's own pages are never copied, which is most of the cost
 * of a run of a trivial program and what lets us out-run golang-stress.
 *
 * Everything per-run that does not change (the resolved path, the
 * environment array, /dev/null) is prepared once; a run only rewrites two
 * environment strings in place.  That is safe because posix_spawn returns
 * only after the child has exec'd (or failed), so the child never sees a
 * half-rewritten buffer.
 */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define SEED_VAR "RACEWIRE_STRESS_SEED="
#define RUN_VAR "RACEWIRE_STRESS_RUN="
#define OPTIONS_VAR "RACEWIRE_OPTIONS="
/* Room for the prefix, 20 digits of a uint64 and the NUL. */
#define VAR_CAPACITY 64

static char *resolve_program(const char *name)
{
	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	const char *path = getenv("PATH");
	if (path == NULL || path[0] == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	size_t name_len = strlen(name);
	while (*path != '\0') {
		const char *colon = strchrnul(path, ':');
		size_t dir_len = (size_t)(colon - path);
		char *candidate = malloc(dir_len + name_len + 3);
		if (candidate == NULL)
			return NULL;
		/* An empty PATH element means the current directory. */
		if (dir_len == 0)
			strcpy(candidate, ".");
		else
			memcpy(candidate, path, dir_len), candidate[dir_len] = '\0';
		strcat(candidate, "/");
		strcat(candidate, name);
		if (access(candidate, X_OK) == 0)
			return candidate;
		free(candidate);
		path = *colon == ':' ? colon + 1 : colon;
	}
	return NULL;
}

int rws_spawner_init(struct rws_spawner *spawner, char **command,
		     const char *flight_dir)
{
	*spawner = (struct rws_spawner){.devnull_fd = -1};
	spawner->command = command;
	spawner->program_path = resolve_program(command[0]);
	if (spawner->program_path == NULL) {
		fprintf(stderr,
			"racewire-stress: cannot run '%s': not found or not executable\n",
			command[0]);
		return -1;
	}
	spawner->devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (spawner->devnull_fd < 0) {
		perror("racewire-stress: /dev/null");
		return -1;
	}

	size_t count = 0;
	for (char **e = environ; *e != NULL; e++)
		count++;
	spawner->envp = calloc(count + 4, sizeof(char *));
	if (flight_dir != NULL) {
		/* The run number is substituted here rather than left as %r
		 * for the library, so that it works whatever the library's
		 * parser makes of %r. */
		spawner->inherited_options = getenv("RACEWIRE_OPTIONS");
		spawner->options_capacity =
			strlen(OPTIONS_VAR) +
			(spawner->inherited_options != NULL
				 ? strlen(spawner->inherited_options) : 0) +
			strlen(":flight=") + strlen(flight_dir) + 64;
		spawner->options_var = malloc(spawner->options_capacity);
		if (spawner->options_var == NULL) {
			fputs("racewire-stress: out of memory\n", stderr);
			return -1;
		}
	}
	spawner->seed_var = malloc(VAR_CAPACITY);
	spawner->run_var = malloc(VAR_CAPACITY);
	if (spawner->envp == NULL || spawner->seed_var == NULL ||
	    spawner->run_var == NULL) {
		fputs("racewire-stress: out of memory\n", stderr);
		return -1;
	}
	size_t kept = 0;
	for (char **e = environ; *e != NULL; e++) {
		/* Drop inherited copies so a nested runner's values do not
		 * shadow ours (getenv takes the first match). */
		if (strncmp(*e, SEED_VAR, strlen(SEED_VAR)) == 0 ||
		    strncmp(*e, RUN_VAR, strlen(RUN_VAR)) == 0)
			continue;
		if (spawner->options_var != NULL &&
		    strncmp(*e, OPTIONS_VAR, strlen(OPTIONS_VAR)) == 0)
			continue;
		spawner->envp[kept++] = *e;
	}
	spawner->envp[kept++] = spawner->seed_var;
	spawner->envp[kept++] = spawner->run_var;
	if (spawner->options_var != NULL)
		spawner->envp[kept++] = spawner->options_var;
	spawner->envp[kept] = NULL;
	return 0;
}

void rws_spawner_free(struct rws_spawner *spawner)
{
	free(spawner->program_path);
	free(spawner->envp);
	free(spawner->seed_var);
	free(spawner->run_var);
	free(spawner->options_var);
	if (spawner->devnull_fd >= 0)
		close(spawner->devnull_fd);
	*spawner = (struct rws_spawner){.devnull_fd = -1};
}

int rws_spawnattr_for_child(posix_spawnattr_t *attr, pid_t process_group)
{
	sigset_t empty, defaults;
	sigemptyset(&empty);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGCHLD);
	int rc = posix_spawnattr_init(attr);
	if (rc == 0)
		rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
						    POSIX_SPAWN_SETSIGMASK |
						    POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(attr, process_group);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(attr, &empty);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(attr, &defaults);
	return rc;
}

pid_t rws_spawn_run(struct rws_spawner *spawner, int output_fd, uint64_t seq,
		    uint64_t seed, const char *flight_path)
{
	if (flight_path != NULL && spawner->options_var != NULL) {
		const char *inherited = spawner->inherited_options;
		int n = snprintf(spawner->options_var, spawner->options_capacity,
				 OPTIONS_VAR "%s%sflight=%s",
				 inherited != NULL ? inherited : "",
				 inherited != NULL && inherited[0] != '\0' ? ":" : "",
				 flight_path);
		if (n < 0 || (size_t)n >= spawner->options_capacity) {
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	snprintf(spawner->seed_var, VAR_CAPACITY, SEED_VAR "%" PRIu64, seed);
	snprintf(spawner->run_var, VAR_CAPACITY, RUN_VAR "%" PRIu64, seq);

	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	int rc = posix_spawn_file_actions_init(&actions);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	/* dup2 clears O_CLOEXEC on the targets 0-2 only. */
	rc = posix_spawn_file_actions_adddup2(&actions, spawner->devnull_fd, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
	/* Our own fds are all O_CLOEXEC, but the runner may have inherited
	 * fds without it (a CI harness's pipe, say); a run that held such a
	 * pipe open could keep whoever reads it waiting after we are gone. */
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
	if (rc == 0)
		rc = rws_spawnattr_for_child(&attr, 0);
	pid_t pid = -1;
	if (rc == 0) {
		rc = posix_spawn(&pid, spawner->program_path, &actions, &attr,
				 spawner->command, spawner->envp);
		posix_spawnattr_destroy(&attr);
	}
	posix_spawn_file_actions_destroy(&actions);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}
