// SPDX-License-Identifier: GPL-2.0
/*
 * connrate - loopback TCP connection rate, the cost every connection pays.
 *
 * One listener on ADDR:PORT, S acceptor threads (blocking accept4() with an
 * address buffer, getpeername(), SO_LINGER {1,0}, close: an RST, so no
 * TIME_WAIT piles up), C client threads (socket, connect, read until the
 * server's RST/EOF, close). Runs a warm-up, then counts completed client
 * cycles over a fixed window and prints
 *
 *   connrate conns=N seconds=S rate=R/s errors=E
 *
 * Bounded: the window is --seconds (at most 60), and every blocking call
 * has a receive timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static struct sockaddr_in addr;
static int lfd = -1;
static atomic_bool stop;
static atomic_ulong done_cycles, errors, accepted;

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ull,
			       .tv_nsec = ns % 1000000000ull };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *server(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len, 0);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;		/* listener shut down */
		}
		len = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
			atomic_fetch_add(&errors, 1);
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		atomic_fetch_add(&accepted, 1);
	}
	return NULL;
}

static void *client(void *arg)
{
	struct timeval tv = { .tv_sec = 5 };
	char b;

	(void)arg;
	while (!atomic_load(&stop)) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			atomic_fetch_add(&errors, 1);
			sleep_ns(1000000);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			/*
			 * ECONNRESET: the server accepted and reset before
			 * this thread saw the handshake end - a full cycle
			 */
			if (errno != ECONNRESET) {
				atomic_fetch_add(&errors, 1);
				close(fd);
				continue;
			}
		} else if (read(fd, &b, 1) < 0 && errno != ECONNRESET) {
			/* wait for the server's RST (or EOF): one full cycle */
			atomic_fetch_add(&errors, 1);
		}
		close(fd);
		atomic_fetch_add(&done_cycles, 1);
	}
	return NULL;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: connrate [--addr IPV4] [--port N] [--clients C] [--servers S]\n"
		"                [--seconds T] [--warmup W] [--window S]\n"
		"defaults: 127.0.0.1 9100, 4 clients, 2 servers, 3 s in 0.5 s windows\n"
		"after 0.5 s warm-up\n");
	exit(rc);
}

int main(int argc, char **argv)
{
	const char *ip = "127.0.0.1";
	int port = 9100, nclients = 4, nservers = 2;
	double seconds = 3, warmup = 0.5, window = 0.5;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			usage(0);
		if (!v)
			usage(2);
		if (!strcmp(a, "--addr"))
			ip = v;
		else if (!strcmp(a, "--port"))
			port = atoi(v);
		else if (!strcmp(a, "--clients"))
			nclients = atoi(v);
		else if (!strcmp(a, "--servers"))
			nservers = atoi(v);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(a, "--warmup"))
			warmup = atof(v);
		else if (!strcmp(a, "--window"))
			window = atof(v);
		else
			usage(2);
		i++;
	}
	if (nclients < 1 || nclients > 64 || nservers < 1 || nservers > 64 ||
	    !(seconds > 0 && seconds <= 60) || !(warmup >= 0 && warmup <= 10) ||
	    !(window >= 0.05 && window <= seconds) ||
	    port < 1 || port > 65535)
		usage(2);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1)
		usage(2);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 4096) < 0) {
		perror("connrate: listen");
		return 1;
	}

	pthread_t st[64], ct[64];

	for (int i = 0; i < nservers; i++)
		pthread_create(&st[i], NULL, server, NULL);
	for (int i = 0; i < nclients; i++)
		pthread_create(&ct[i], NULL, client, NULL);

	sleep_ns((uint64_t)(warmup * 1e9));
	unsigned long c0 = atomic_load(&done_cycles), cw = c0, c1 = c0;
	uint64_t t0 = now_ns(), tw = t0, t1 = t0;
	double best = 0;
	int nwin = (int)(seconds / window + 0.5);

	if (nwin < 1)
		nwin = 1;
	for (int w = 0; w < nwin; w++) {
		sleep_ns((uint64_t)(window * 1e9));
		c1 = atomic_load(&done_cycles);
		t1 = now_ns();
		double r = (double)(c1 - cw) * 1e9 / (double)(t1 - tw);

		if (r > best)
			best = r;
		cw = c1;
		tw = t1;
	}

	atomic_store(&stop, true);
	for (int i = 0; i < nclients; i++)
		pthread_join(ct[i], NULL);
	shutdown(lfd, SHUT_RDWR);	/* wakes the blocked accept4() calls */
	for (int i = 0; i < nservers; i++)
		pthread_join(st[i], NULL);
	close(lfd);

	double s = (double)(t1 - t0) / 1e9;

	printf("connrate conns=%lu seconds=%.3f rate=%.1f/s best=%.1f/s errors=%lu\n",
	       c1 - c0, s, (double)(c1 - c0) / s, best, atomic_load(&errors));
	return c1 > c0 ? 0 : 1;
}
