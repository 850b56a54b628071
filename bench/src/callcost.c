// SPDX-License-Identifier: GPL-2.0
/*
 * callcost - cost per call of getpeername() and getsockopt(IPPROTO_IP,
 * 1348) on accepted TCP sockets, in a tight loop.
 *
 * getsockname() goes through the same kernel function as getpeername()
 * (inet_getname), so with the module loaded it pays the probe but never
 * the lookup: the control for the probe's own cost.
 *
 * Sockets measured (all accepted server-side sockets):
 *   lo-empty  a loopback connection, measured before any TOA socket exists
 *             (the module's side table is empty: its lookup is skipped)
 *   lo        the same socket, measured while a TOA socket is open
 *   peer      a connection from toa-peer without a TOA option
 *   toa       a connection from toa-peer carrying a TOA (kind 254)
 * The peer connections are made by running --peer-cmd and --toa-cmd
 * (a shell command each, normally `toa-peer conn ... --close keep`) while
 * listening on --listen IP:PORT; each gets one reply line so it can exit.
 *
 * For every socket and call: a calibration picks a batch that takes about
 * --batch-ms, then --batches batches are timed; printed are the fastest
 * batch's ns/call (the least disturbed by anything else running on the
 * machine) and the median:
 *
 *   callcost sock=NAME call=getpeername|getsockname|getsockopt1348 ns=MIN median=X
 *            calls=N rc=0|ERRNO addr=A
 *
 * Bounded: at most 10 batches of at most 2,000,000 calls each.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define SO_GET_ADDR 1348	/* VTOA_SO_GET_ADDR */

static int batches = 5;
static double batch_ms = 150;

/* one batch of n calls; returns elapsed ns; *err = errno of the last failure */
static uint64_t run_batch(int fd, int which, long n, int *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t t0 = now_ns();
	int e = 0;

	if (which == 0) {
		for (long i = 0; i < n; i++) {
			len = sizeof(ss);
			if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
				e = errno;
		}
	} else if (which == 1) {
		for (long i = 0; i < n; i++) {
			len = sizeof(ss);
			if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
				e = errno;
		}
	} else {
		for (long i = 0; i < n; i++) {
			len = sizeof(ss);
			if (getsockopt(fd, IPPROTO_IP, SO_GET_ADDR, &ss, &len) < 0)
				e = errno;
		}
	}
	*err = e;
	return now_ns() - t0;
}

static const char *fmt_addr(char *buf, size_t sz, int fd, int which)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];
	int rc;

	memset(&ss, 0, sizeof(ss));
	if (which == 0)
		rc = getpeername(fd, (struct sockaddr *)&ss, &len);
	else if (which == 1)
		rc = getsockname(fd, (struct sockaddr *)&ss, &len);
	else
		rc = getsockopt(fd, IPPROTO_IP, SO_GET_ADDR, &ss, &len);
	if (rc < 0) {
		snprintf(buf, sz, "E%d", errno);
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, sz, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (void *)&ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sz, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(buf, sz, "?%d", ss.ss_family);
	}
	return buf;
}

static void measure(const char *name, int fd)
{
	static const char *const calls[] = {
		"getpeername", "getsockname", "getsockopt1348"
	};

	for (int which = 0; which < 3; which++) {
		double v[10];
		int err = 0;
		long n = 200;
		uint64_t t;

		/* calibrate: grow n until a batch takes >= 10 ms */
		for (;;) {
			t = run_batch(fd, which, n, &err);
			if (t >= 10000000ull || n >= 2000000)
				break;
			n *= 4;
		}
		n = (long)((double)n * (batch_ms * 1e6) / (double)(t ? t : 1));
		if (n < 100)
			n = 100;
		if (n > 2000000)
			n = 2000000;
		for (int b = 0; b < batches; b++)
			v[b] = (double)run_batch(fd, which, n, &err) / (double)n;
		qsort(v, (size_t)batches, sizeof(v[0]), cmp_double);

		char a[80];

		printf("callcost sock=%s call=%s ns=%.1f median=%.1f calls=%ld rc=%d addr=%s\n",
		       name, calls[which], v[0], v[batches / 2], n * batches, err,
		       fmt_addr(a, sizeof(a), fd, which));
		fflush(stdout);
	}
}

static int listen_on(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* accept one connection within 20 s */
static int accept_one(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, 20000) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

/* run CMD through /bin/sh while accepting its connection; reply one line */
static int peer_conn(int lfd, const char *cmd)
{
	pid_t pid = fork();
	int fd, st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	fd = accept_one(lfd);
	if (fd >= 0 && write(fd, "ok\n", 3) != 3)
		fprintf(stderr, "callcost: reply: %s\n", strerror(errno));
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "callcost: '%s' failed\n", cmd);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: callcost [--listen IP:PORT] [--peer-cmd CMD] [--toa-cmd CMD]\n"
		"                [--lo-port N] [--batches B] [--batch-ms MS]\n");
	exit(rc);
}

int main(int argc, char **argv)
{
	const char *listen_arg = NULL, *peer_cmd = NULL, *toa_cmd = NULL;
	int lo_port = 9201;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			usage(0);
		if (!v)
			usage(2);
		if (!strcmp(a, "--listen"))
			listen_arg = v;
		else if (!strcmp(a, "--peer-cmd"))
			peer_cmd = v;
		else if (!strcmp(a, "--toa-cmd"))
			toa_cmd = v;
		else if (!strcmp(a, "--lo-port"))
			lo_port = atoi(v);
		else if (!strcmp(a, "--batches"))
			batches = atoi(v);
		else if (!strcmp(a, "--batch-ms"))
			batch_ms = atof(v);
		else
			usage(2);
		i++;
	}
	if (batches < 1 || batches > 10 || !(batch_ms >= 1 && batch_ms <= 2000))
		usage(2);

	/* loopback pair */
	int llo = listen_on("127.0.0.1", lo_port);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)lo_port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int cfd = socket(AF_INET, SOCK_STREAM, 0);

	if (llo < 0 || cfd < 0 ||
	    connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("callcost: loopback");
		return 1;
	}
	int lo = accept_one(llo);

	if (lo < 0) {
		perror("callcost: loopback accept");
		return 1;
	}
	measure("lo-empty", lo);

	if (listen_arg) {
		char ip[64];
		const char *colon = strrchr(listen_arg, ':');

		if (!colon || (size_t)(colon - listen_arg) >= sizeof(ip))
			usage(2);
		memcpy(ip, listen_arg, (size_t)(colon - listen_arg));
		ip[colon - listen_arg] = 0;
		int lfd = listen_on(ip, atoi(colon + 1));

		if (lfd < 0) {
			perror("callcost: listen");
			return 1;
		}
		int toa = toa_cmd ? peer_conn(lfd, toa_cmd) : -1;
		int peer = peer_cmd ? peer_conn(lfd, peer_cmd) : -1;

		if ((toa_cmd && toa < 0) || (peer_cmd && peer < 0))
			return 1;
		measure("lo", lo);
		if (peer >= 0)
			measure("peer", peer);
		if (toa >= 0)
			measure("toa", toa);
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		/* RST: the TUN peer is gone, nobody would answer a FIN */
		if (peer >= 0)
			setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (toa >= 0)
			setsockopt(toa, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(peer);
		close(toa);
		close(lfd);
	}
	close(lo);
	close(cfd);
	close(llo);
	return 0;
}
