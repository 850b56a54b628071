// SPDX-License-Identifier: GPL-2.0
/*
 * walltime - wall time of a command, median of N runs.
 *
 *   walltime [--runs N] [--warmup W] [--name NAME] -- CMD [ARGS...]
 *
 * Runs CMD W times untimed (page cache, first-exec costs), then N times
 * timed (fork to exit, stdout/stderr to /dev/null) and prints
 *
 *   walltime name=NAME runs=N median_ms=X min_ms=X max_ms=X rc=R
 *
 * rc is the exit status of the last run (CMD's verdict is not ours to
 * judge: `vtoa doctor` may exit 1 for a missing dkms). Bounded: at most
 * 50 runs, each killed after 60 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* one run; returns ms, -1 on trouble; *rc = exit status */
static double run_once(char **cmd, int *rc)
{
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		alarm(60);	/* survives exec: a hung CMD gets SIGALRM */
		execvp(cmd[0], cmd);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	double ms = (double)(now_ns() - t0) / 1e6;

	*rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return ms;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: walltime [--runs N] [--warmup W] [--name NAME] -- CMD [ARGS...]\n");
	exit(rc);
}

int main(int argc, char **argv)
{
	int runs = 9, warmup = 1, i;
	const char *name = NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			usage(2);
		if (!strcmp(argv[i], "--runs"))
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--warmup"))
			warmup = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--name"))
			name = argv[++i];
		else
			usage(2);
	}
	if (i >= argc || runs < 1 || runs > 50 || warmup < 0 || warmup > 5)
		usage(2);
	char **cmd = argv + i;
	double v[50];
	int rc = 0;

	for (int w = 0; w < warmup; w++)
		if (run_once(cmd, &rc) < 0)
			return 1;
	for (int r = 0; r < runs; r++) {
		v[r] = run_once(cmd, &rc);
		if (v[r] < 0) {
			perror("walltime");
			return 1;
		}
	}
	qsort(v, (size_t)runs, sizeof(v[0]), cmp_double);
	double med = runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;

	printf("walltime name=%s runs=%d median_ms=%.1f min_ms=%.1f max_ms=%.1f rc=%d\n",
	       name ? name : cmd[0], runs, med, v[0], v[runs - 1], rc);
	return 0;
}
