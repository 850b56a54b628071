/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the vtoa test programs (toa-peer, toa-server).
 * Header-only: everything is static inline so that each program only
 * keeps what it uses.
 */
#ifndef VTOA_TESTS_COMMON_H
#define VTOA_TESTS_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vtoa.h"	/* kmod/include/uapi/vtoa.h, -I in the Makefile */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *prog = "vtoa-test";

static inline __attribute__((format(printf, 1, 2))) void
msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, buf);
}

#define die(...) do { msg(__VA_ARGS__); exit(1); } while (0)
#define usage_die(...) do { msg(__VA_ARGS__); \
	fprintf(stderr, "Try '%s --help'.\n", prog); exit(2); } while (0)

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case ENOTSOCK: return "ENOTSOCK";
	case EPROTOTYPE: return "EPROTOTYPE";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETDOWN: return "ENETDOWN";
	case ECONNABORTED: return "ECONNABORTED";
	case ECONNRESET: return "ECONNRESET";
	case ENOBUFS: return "ENOBUFS";
	case ENOTCONN: return "ENOTCONN";
	case ESHUTDOWN: return "ESHUTDOWN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EPIPE: return "EPIPE";
	default: return NULL;
	}
}

/*
 * Result of one getpeername()/getsockname()/getsockopt() address query:
 * err is 0 or the errno, len the returned length, ss the address.
 */
struct addr_ans {
	int err;
	socklen_t len;
	struct sockaddr_storage ss;
};

#define ADDR_TOKEN_MAX 96

/*
 * Format an answer the way toa-server reports it:
 *   4/a.b.c.d:port            AF_INET
 *   6/[inet_ntop]:port        AF_INET6 (v4-mapped shows as ::ffff:a.b.c.d)
 *   ...!len=<n>               returned length unexpected for that family
 *   E/<ERRNAME> or E/<n>      the call failed
 *   ?<family>                 unknown family
 */
static inline char *fmt_ans(char *buf, size_t n, const struct addr_ans *a)
{
	char ip[INET6_ADDRSTRLEN];
	const char *en;
	int off = 0;

	if (a->err) {
		en = errname(a->err);
		if (en)
			snprintf(buf, n, "E/%s", en);
		else
			snprintf(buf, n, "E/%d", a->err);
		return buf;
	}
	switch (a->ss.ss_family) {
	case AF_INET: {
		const struct sockaddr_in *s = (const void *)&a->ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		off = snprintf(buf, n, "4/%s:%u", ip, ntohs(s->sin_port));
		if (a->len != sizeof(*s) && off > 0 && (size_t)off < n)
			snprintf(buf + off, n - off, "!len=%u", (unsigned)a->len);
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *s = (const void *)&a->ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		off = snprintf(buf, n, "6/[%s]:%u", ip, ntohs(s->sin6_port));
		if (a->len != sizeof(*s) && off > 0 && (size_t)off < n)
			snprintf(buf + off, n - off, "!len=%u", (unsigned)a->len);
		break;
	}
	default:
		snprintf(buf, n, "?%u", (unsigned)a->ss.ss_family);
		break;
	}
	return buf;
}

/* Parse a decimal number in [lo, hi]; false on any junk. */
static inline bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static inline bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 86400)
		return false;
	*out = v;
	return true;
}

#endif /* VTOA_TESTS_COMMON_H */
