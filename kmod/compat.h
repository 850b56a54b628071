/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version and architecture difference vtoa depends on lives
 * here, so the logic files carry no #if LINUX_VERSION_CODE.
 * Supported: Linux 5.10 through 6.x, x86_64 and arm64.
 */
#ifndef _VTOA_COMPAT_H
#define _VTOA_COMPAT_H

#include <linux/version.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/ftrace.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "vtoa needs Linux 5.10 or later"
#endif

#if !defined(CONFIG_KPROBES) || !defined(CONFIG_KRETPROBES)
#error "vtoa needs a kernel with CONFIG_KPROBES=y and CONFIG_KRETPROBES=y"
#endif

#ifndef CONFIG_DYNAMIC_FTRACE
#error "vtoa needs a kernel with CONFIG_DYNAMIC_FTRACE=y"
#endif

/*
 * ftrace callbacks: the argument block changed from pt_regs to
 * ftrace_regs in 5.11; ftrace_regs_get_argument() came in 6.2 (before
 * it, full registers are asked for with FTRACE_OPS_FL_SAVE_REGS).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define VTOA_FTRACE_REGS	struct ftrace_regs
#ifdef ftrace_regs_get_argument
#define VTOA_FTRACE_FLAGS	0
static inline unsigned long vtoa_ftrace_arg0(struct ftrace_regs *fregs)
{
	return ftrace_regs_get_argument(fregs, 0);
}
#else
#define VTOA_FTRACE_FLAGS	FTRACE_OPS_FL_SAVE_REGS
static inline unsigned long vtoa_ftrace_arg0(struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	return regs ? regs_get_kernel_argument(regs, 0) : 0;
}
#endif
#define vtoa_ftrace_lock(ip, pip)	ftrace_test_recursion_trylock(ip, pip)
#define vtoa_ftrace_unlock(bit)		ftrace_test_recursion_unlock(bit)
#else
#define VTOA_FTRACE_REGS	struct pt_regs
/* without RECURSION_SAFE, ftrace guards against recursion for us */
#define VTOA_FTRACE_FLAGS	FTRACE_OPS_FL_SAVE_REGS
static inline unsigned long vtoa_ftrace_arg0(struct pt_regs *regs)
{
	return regs ? regs_get_kernel_argument(regs, 0) : 0;
}

static inline int vtoa_ftrace_lock(unsigned long ip, unsigned long pip)
{
	return 0;
}

static inline void vtoa_ftrace_unlock(int bit)
{
}
#endif

/*
 * Dropping an ftrace_ops' filter after unregistering it:
 * ftrace_free_filter() is exported only since 6.3 (and in some stable
 * trees, e.g. 6.1.y), not on 5.10. Resetting the filter to nothing frees
 * the same hash (the ops then points at the static empty hash) and is
 * exported everywhere, so it is used on every kernel.
 */
static inline void vtoa_ftrace_free_filter(struct ftrace_ops *ops)
{
	ftrace_set_filter(ops, NULL, 0, 1);
}

/* Nth argument (from 0) of the probed function at its entry. */
static inline unsigned long vtoa_arg(struct pt_regs *regs, unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

/*
 * Keep our slab cache apart from look-alike caches so /proc/slabinfo and
 * the leak check in kmem_cache_destroy() see our objects alone. Before
 * 6.5 there is no SLAB_NO_MERGE; merging is harmless there, the
 * entries_live counter still accounts for every object.
 */
#ifdef SLAB_NO_MERGE
#define VTOA_SLAB_FLAGS		SLAB_NO_MERGE
#else
#define VTOA_SLAB_FLAGS		0
#endif

#endif /* _VTOA_COMPAT_H */
