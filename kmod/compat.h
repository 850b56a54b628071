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
#include <linux/sched.h>
#include <linux/security.h>
#include <net/sock.h>
#include <net/inet_common.h>
#include <net/request_sock.h>
#include <net/tcp.h>
#include <linux/netfilter.h>
#if IS_ENABLED(CONFIG_IPV6)
#include <net/ipv6.h>
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "vtoa needs Linux 5.10 or later"
#endif

#if !defined(CONFIG_KPROBES) || !defined(CONFIG_KRETPROBES)
#error "vtoa needs a kernel with CONFIG_KPROBES=y and CONFIG_KRETPROBES=y"
#endif

#ifndef CONFIG_DYNAMIC_FTRACE
#error "vtoa needs a kernel with CONFIG_DYNAMIC_FTRACE=y"
#endif

/* the handshake is followed through two LSM hooks, which then exist */
#ifndef CONFIG_SECURITY_NETWORK
#error "vtoa needs a kernel with CONFIG_SECURITY_NETWORK=y"
#endif

/*
 * The prototypes of the functions vtoa hooks, checked against the headers
 * it is built with: the hooks read arguments by position, so a kernel
 * that changes one must fail the build here, not load and read the wrong
 * register. Static functions are checked through the ops member that
 * points to them.
 */
#define VTOA_PROTO(fn, type)						\
	static_assert(__same_type(&(fn), type),				\
		      "vtoa: this kernel changed the prototype of " #fn	\
		      "; this vtoa does not support it yet")

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
VTOA_PROTO(security_inet_conn_request,
	   int (*)(const struct sock *, struct sk_buff *,
		   struct request_sock *));
#else
VTOA_PROTO(security_inet_conn_request,
	   int (*)(struct sock *, struct sk_buff *, struct request_sock *));
#endif
VTOA_PROTO(security_inet_csk_clone,
	   void (*)(struct sock *, const struct request_sock *));
VTOA_PROTO(tcp_check_req,
	   struct sock *(*)(struct sock *, struct sk_buff *,
			    struct request_sock *, bool, bool *));
/* its return type (int, enum skb_drop_reason in 6.x) is not read */
VTOA_PROTO(tcp_child_process,
	   typeof(tcp_child_process(NULL, NULL, NULL)) (*)(struct sock *,
							   struct sock *,
							   struct sk_buff *));
VTOA_PROTO(inet_sock_destruct, void (*)(struct sock *));
VTOA_PROTO(nf_getsockopt, int (*)(struct sock *, u_int8_t, int, char __user *,
				  int *));
VTOA_PROTO(inet_getname, int (*)(struct socket *, struct sockaddr *, int));
#if IS_ENABLED(CONFIG_IPV6)
VTOA_PROTO(inet6_getname, int (*)(struct socket *, struct sockaddr *, int));
#endif
/* tcp_v4_reqsk_destructor, tcp_v6_reqsk_destructor (static) */
static_assert(__same_type(((struct request_sock_ops *)0)->destructor,
			  void (*)(struct request_sock *)),
	      "vtoa: this kernel changed request_sock_ops.destructor");

/* io_uring's workers (5.12+) are user tasks acting for another one */
#ifndef PF_IO_WORKER
#define PF_IO_WORKER		0
#endif

/*
 * ftrace callbacks: the argument block changed from pt_regs to
 * ftrace_regs in 5.11; ftrace_regs_get_argument() came in 6.2 (before
 * it, full registers are asked for with FTRACE_OPS_FL_SAVE_REGS).
 * Recursion: 5.11 made every callback responsible for its own guard
 * (FTRACE_OPS_FL_RECURSION asks ftrace to do it, silently dropping the
 * call). vtoa guards itself on every kernel, so that every dropped call
 * is counted: on 5.10 with FTRACE_OPS_FL_RECURSION_SAFE and the
 * argument-less ftrace_test_recursion_trylock().
 */
/*
 * ftrace_regs_get_argument() is a macro on x86 (6.2+) but a static inline
 * on arm64 (6.2+, with DYNAMIC_FTRACE_WITH_ARGS, which replaced WITH_REGS
 * there): #ifdef alone misses arm64's, and FTRACE_OPS_FL_SAVE_REGS then
 * makes register_ftrace_function() fail with -EINVAL (6.12 arm64).
 */
#if defined(ftrace_regs_get_argument) || \
	(defined(CONFIG_ARM64) && defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS) && \
	 LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0))
#define VTOA_HAVE_FREGS_ARGUMENT	1
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define VTOA_FTRACE_REGS	struct ftrace_regs
#ifdef VTOA_HAVE_FREGS_ARGUMENT
#define VTOA_FTRACE_FLAGS	0
static inline unsigned long vtoa_ftrace_arg(struct ftrace_regs *fregs,
					    unsigned int n)
{
	return ftrace_regs_get_argument(fregs, n);
}
#elif defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS) && defined(CONFIG_X86_64)
/*
 * x86 5.11-6.1: no accessor yet, but ftrace_regs is a pt_regs whose
 * argument registers the light trampoline fills (FTRACE_OPS_FL_SAVE_REGS,
 * the full-register trampoline, is not needed, as livepatch does not ask
 * for it there).
 */
#define VTOA_FTRACE_ARGS_REGS	1
#define VTOA_FTRACE_FLAGS	0
static inline unsigned long vtoa_ftrace_arg(struct ftrace_regs *fregs,
					    unsigned int n)
{
	return regs_get_kernel_argument(&fregs->regs, n);
}
#else
#define VTOA_FTRACE_FLAGS	FTRACE_OPS_FL_SAVE_REGS
static inline unsigned long vtoa_ftrace_arg(struct ftrace_regs *fregs,
					    unsigned int n)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	return regs ? regs_get_kernel_argument(regs, n) : 0;
}
#endif
#define vtoa_ftrace_lock(ip, pip)	ftrace_test_recursion_trylock(ip, pip)
#define vtoa_ftrace_unlock(bit)		ftrace_test_recursion_unlock(bit)
#else
/*
 * 5.10 has no ftrace_test_recursion_trylock(). Without
 * FTRACE_OPS_FL_RECURSION_SAFE its ftrace_ops_assist_func() would guard
 * for us, with bits shared by every ftrace user, and drop calls without a
 * trace. vtoa's callbacks call nothing that reaches a function they trace
 * (rhashtable, slab, call_rcu, per-CPU counters), so they cannot recurse:
 * they are marked safe and are never dropped.
 */
#define VTOA_FTRACE_REGS	struct pt_regs
#define VTOA_FTRACE_FLAGS	(FTRACE_OPS_FL_SAVE_REGS | \
				 FTRACE_OPS_FL_RECURSION_SAFE)
static inline unsigned long vtoa_ftrace_arg(struct pt_regs *regs,
					    unsigned int n)
{
	return regs ? regs_get_kernel_argument(regs, n) : 0;
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
 * Redirecting a traced function to one of ours (FTRACE_OPS_FL_IPMODIFY,
 * as livepatch does): the callback sets the instruction pointer the
 * trampoline returns to. With full registers (5.10, and 6.1 which asks
 * for them) that is regs->ip through instruction_pointer_set(); with
 * ftrace_regs arguments (6.2+) the architecture's
 * ftrace_regs_set_instruction_pointer() (ftrace_instruction_pointer_set()
 * before 6.7). Where neither exists for real (linux/ftrace.h then defines
 * a no-op), VTOA_HAVE_REDIRECT is 0 and getname keeps its kretprobe.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#define VTOA_HAVE_REDIRECT	IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_REGS)
static inline void vtoa_ftrace_redirect(struct pt_regs *regs, void *to)
{
	instruction_pointer_set(regs, (unsigned long)to);
}
#elif defined(VTOA_FTRACE_ARGS_REGS)
#define VTOA_HAVE_REDIRECT	1
static inline void vtoa_ftrace_redirect(struct ftrace_regs *fregs, void *to)
{
	ftrace_instruction_pointer_set(fregs, (unsigned long)to);
}
#elif !defined(VTOA_HAVE_FREGS_ARGUMENT)
#define VTOA_HAVE_REDIRECT	IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_REGS)
static inline void vtoa_ftrace_redirect(struct ftrace_regs *fregs, void *to)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (regs)
		instruction_pointer_set(regs, (unsigned long)to);
}
#else
#define VTOA_HAVE_REDIRECT	IS_ENABLED(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
static inline void vtoa_ftrace_redirect(struct ftrace_regs *fregs, void *to)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	ftrace_regs_set_instruction_pointer(fregs, (unsigned long)to);
#else
	ftrace_instruction_pointer_set(fregs, (unsigned long)to);
#endif
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
