/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the bench programs share. Include after the system headers (each
 * program defines _GNU_SOURCE before its first #include).
 */
#ifndef _VTOA_BENCH_H
#define _VTOA_BENCH_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* qsort() comparator for doubles, ascending */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif /* _VTOA_BENCH_H */
