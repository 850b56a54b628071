// SPDX-License-Identifier: GPL-2.0
/*
 * Where vtoa meets the kernel. Nothing is patched: every hook is one of
 * the kernel's own instrumentation mechanisms, registered by symbol
 * name, which the kernel takes down safely on unregister.
 *
 * The handshake is followed by ftrace callbacks at function entry, where
 * the segment and the (request) socket are both arguments, so no hook
 * needs a return trampoline:
 *
 *  security_inet_conn_request  a SYN created a request socket: a TOA on
 *	the SYN is kept for it, unless the kernel answers with a SYN cookie
 *	and keeps nothing (toa_syn_cookie).
 *  tcp_check_req  a segment for a request socket. A bare ACK that
 *	TCP_DEFER_ACCEPT will drop: its TOA is kept for the request. The
 *	segment completing a Fast Open handshake (the child already
 *	exists): its TOA goes to the child.
 *  security_inet_csk_clone  the child socket is created from the
 *	request: a TOA kept for the request moves to the child.
 *  tcp_child_process  the new child gets the segment that created it
 *	(the ACK, the first data under TCP_DEFER_ACCEPT, a SYN-cookie ACK):
 *	its TOA, unless the child already has one.
 *  tcp_v4/v6_reqsk_destructor  a request socket is freed: its kept TOA,
 *	if any, never reached a connection (toa_req_dropped: a handshake
 *	that was abandoned or reset).
 *  inet_sock_destruct  the socket's memory is going away, so its entry
 *	goes too.
 *
 *  inet_getname/inet6_getname  ftrace callback with IPMODIFY: a
 *	getpeername()/accept() of a user task on a socket with a TOA is
 *	redirected to vtoa_getname_toa(); every other call (getsockname(),
 *	sockets without a TOA) goes on unchanged. Where the redirect is not
 *	available, a kretprobe whose return half runs only for sockets with
 *	a TOA.
 *
 * ftrace's recursion guard is per context (task, softirq, irq, NMI), so
 * a callback is skipped only when the same context re-enters it; each
 * skip is counted in probe_missed.
 */
#include <linux/kprobes.h>
#include <linux/ftrace.h>
#include <linux/sched.h>
#include <linux/tcp.h>
#include <linux/percpu.h>
#include <linux/delay.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/request_sock.h>

#include "compat.h"
#include "vtoa.h"

struct vtoa_getname_data {
	struct vtoa_addr addr;
	struct sockaddr *uaddr;
	struct net *net;
	unsigned short family;
};

static DEFINE_PER_CPU(unsigned long, vtoa_ftrace_missed);

#ifdef VTOA_FAULT_INJECT
/* test builds only: forget destructions, as a missed callback would */
bool vtoa_fault_skip_destruct;
module_param_named(fault_skip_destruct, vtoa_fault_skip_destruct, bool, 0644);
#endif

static enum vtoa_parse_result vtoa_skb_parse(const struct sk_buff *skb,
					     struct vtoa_addr *addr,
					     struct vtoa_parse_info *info)
{
	const struct tcphdr *th = tcp_hdr(skb);
	u8 buf[VTOA_MAX_OPT_LEN];
	unsigned int optlen, flags = 0;
	const u8 *opt;

	memset(info, 0, sizeof(*info));
	if (th->doff <= sizeof(*th) / 4)
		return VTOA_PARSE_NONE;
	optlen = th->doff * 4 - sizeof(*th);
	opt = skb_header_pointer(skb, skb_transport_offset(skb) + sizeof(*th),
				 optlen, buf);
	if (!opt) {
		info->list_malformed = 1;
		return VTOA_PARSE_MALFORMED;
	}
	if (th->syn)
		flags |= VTOA_PARSE_SYN;
	if (vtoa_param(ipv6_kind254))
		flags |= VTOA_PARSE_V6_KIND254;
	return vtoa_parse_options(opt, optlen, flags, addr, info);
}

/*
 * Read the TOA of a handshake segment and count what was seen; true when
 * a valid TOA from a trusted source is in *addr.
 */
static bool vtoa_read_toa(const struct net *net, const struct sk_buff *skb,
			  struct vtoa_addr *addr)
{
	struct vtoa_parse_info info;
	enum vtoa_parse_result r;

	r = vtoa_skb_parse(skb, addr, &info);
	if (info.tfo_options)
		vtoa_count(net, VTOA_STAT_toa_tfo, info.tfo_options);
	if (info.kind254_len20)
		vtoa_count(net, VTOA_STAT_toa_kind254_len20,
			   info.kind254_len20);
	if (info.toa_options > 1)
		vtoa_count(net, VTOA_STAT_toa_multiple, 1);
	if (r == VTOA_PARSE_MALFORMED)
		vtoa_count(net, VTOA_STAT_toa_malformed, 1);
	if (r == VTOA_PARSE_FOUND && !vtoa_trusted(skb)) {
		vtoa_count(net, VTOA_STAT_toa_untrusted, 1);
		r = VTOA_PARSE_NONE;
	}
	return r == VTOA_PARSE_FOUND;
}

static void vtoa_count_add_err(const struct net *net, int err)
{
	if (err == -ENOSPC)
		vtoa_count(net, VTOA_STAT_toa_over_cap, 1);
	else if (err)
		vtoa_count(net, VTOA_STAT_toa_alloc_fail, 1);
}

/* A new child socket gets its TOA. */
static void vtoa_record(struct sock *child, const struct vtoa_addr *addr)
{
	struct net *net = sock_net(child);
	int err = vtoa_table_add(child, addr);

	if (!err) {
		vtoa_count(net, VTOA_STAT_syn_recv_sock_toa, 1);
		vtoa_count(net, addr->family == 4 ? VTOA_STAT_toa_v4 :
			   VTOA_STAT_toa_v6, 1);
	}
	vtoa_count_add_err(net, err);
}

/* A request socket keeps the TOA of a segment that created no child. */
static bool vtoa_keep(const struct request_sock *req, const struct net *net,
		      const struct vtoa_addr *addr)
{
	int err = vtoa_req_add(req, net, addr);

	vtoa_count_add_err(net, err);
	return !err;
}

/* listeners and children of user sockets only: kernel ones are not ours */
static bool vtoa_user_tcp(const struct sock *sk)
{
	return sk->sk_net_refcnt && sk->sk_protocol == IPPROTO_TCP &&
	       sk->sk_type == SOCK_STREAM;
}

/* security_inet_conn_request(listener, skb, req) */
static void vtoa_on_conn_request(VTOA_FTRACE_REGS *fregs)
{
	const struct sock *lsk = (const struct sock *)vtoa_ftrace_arg(fregs, 0);
	const struct sk_buff *skb = (const struct sk_buff *)
				    vtoa_ftrace_arg(fregs, 1);
	const struct request_sock *req = (const struct request_sock *)
					 vtoa_ftrace_arg(fregs, 2);
	const struct net *net;
	struct vtoa_addr a;

	/* SYN cookies call it with the ACK: tcp_child_process reads that */
	if (!vtoa_user_tcp(lsk) || !tcp_hdr(skb)->syn)
		return;
	net = sock_net(lsk);
	if (!vtoa_read_toa(net, skb, &a))
		return;
	/*
	 * tcp_conn_request()'s own test: answered with a SYN cookie, this
	 * request is freed at once and no state survives to the ACK.
	 */
	if (READ_ONCE(net->ipv4.sysctl_tcp_syncookies) &&
	    (READ_ONCE(net->ipv4.sysctl_tcp_syncookies) == 2 ||
	     inet_csk_reqsk_queue_is_full(lsk))) {
		vtoa_count(net, VTOA_STAT_toa_syn_cookie, 1);
		return;
	}
	if (vtoa_keep(req, net, &a))
		vtoa_count(net, VTOA_STAT_toa_syn, 1);
}

/*
 * The checks tcp_check_req() makes before it takes an ACK for a request:
 * the ACK acknowledges our SYN-ACK and the segment starts in sequence,
 * without SYN or RST. A blind attacker must guess the ISN, as for the
 * kernel itself.
 */
static bool vtoa_acceptable_ack(const struct sk_buff *skb,
				const struct request_sock *req)
{
	const struct tcphdr *th = tcp_hdr(skb);

	return th->ack && !th->syn && !th->rst &&
	       TCP_SKB_CB(skb)->ack_seq == tcp_rsk(req)->snt_isn + 1 &&
	       TCP_SKB_CB(skb)->seq == tcp_rsk(req)->rcv_nxt;
}

/* tcp_check_req(sk, skb, req, fastopen, ...) */
static void vtoa_on_check_req(VTOA_FTRACE_REGS *fregs)
{
	struct sock *sk = (struct sock *)vtoa_ftrace_arg(fregs, 0);
	const struct sk_buff *skb = (const struct sk_buff *)
				    vtoa_ftrace_arg(fregs, 1);
	const struct request_sock *req = (const struct request_sock *)
					 vtoa_ftrace_arg(fregs, 2);
	bool fastopen = vtoa_ftrace_arg(fregs, 3) & 0xff;
	const struct net *net;
	struct vtoa_addr a;
	u8 defer;

	if (fastopen) {
		/*
		 * sk is the child, created from the SYN, maybe accepted
		 * already. Its snd_nxt may be past snt_isn + 1 (it can send
		 * data before the ACK): accept any ACK the child would.
		 */
		const struct tcp_sock *tp = tcp_sk(sk);
		const struct tcphdr *th = tcp_hdr(skb);
		u32 ack = TCP_SKB_CB(skb)->ack_seq;

		if (!vtoa_user_tcp(sk) || !th->ack || th->syn || th->rst ||
		    before(ack, tcp_rsk(req)->snt_isn + 1) ||
		    after(ack, READ_ONCE(tp->snd_nxt)))
			return;
		net = sock_net(sk);
		if (!vtoa_table_get(sk, &a) && vtoa_read_toa(net, skb, &a))
			vtoa_record(sk, &a);
		return;
	}

	/* a bare ACK that TCP_DEFER_ACCEPT drops */
	defer = READ_ONCE(inet_csk(sk)->icsk_accept_queue.rskq_defer_accept);
	if (likely(!defer) || req->num_timeout >= defer ||
	    TCP_SKB_CB(skb)->end_seq != tcp_rsk(req)->rcv_isn + 1 ||
	    !vtoa_user_tcp(sk) || !vtoa_acceptable_ack(skb, req))
		return;
	net = sock_net(sk);
	/* the first TOA of a connection wins */
	if (vtoa_req_has(req, net))
		return;
	if (vtoa_read_toa(net, skb, &a) && vtoa_keep(req, net, &a))
		vtoa_count(net, VTOA_STAT_toa_deferred, 1);
}

/* security_inet_csk_clone(child, req) */
static void vtoa_on_csk_clone(VTOA_FTRACE_REGS *fregs)
{
	struct sock *child = (struct sock *)vtoa_ftrace_arg(fregs, 0);
	const struct request_sock *req = (const struct request_sock *)
					 vtoa_ftrace_arg(fregs, 1);
	struct vtoa_addr a;

	if (likely(vtoa_reqs_empty()) || !vtoa_user_tcp(child))
		return;
	if (vtoa_req_take(req, sock_net(child), &a))
		vtoa_record(child, &a);
}

/* tcp_child_process(listener, child, skb) */
static void vtoa_on_child_process(VTOA_FTRACE_REGS *fregs)
{
	const struct sock *lsk = (const struct sock *)vtoa_ftrace_arg(fregs, 0);
	struct sock *child = (struct sock *)vtoa_ftrace_arg(fregs, 1);
	const struct sk_buff *skb = (const struct sk_buff *)
				    vtoa_ftrace_arg(fregs, 2);
	const struct net *net;
	struct vtoa_addr a;

	if (!vtoa_user_tcp(lsk) ||
	    READ_ONCE(child->sk_state) != TCP_SYN_RECV)
		return;
	net = sock_net(child);
	/* one from the SYN or a held-back ACK came first */
	if (vtoa_table_get(child, &a))
		return;
	if (vtoa_read_toa(net, skb, &a))
		vtoa_record(child, &a);
	else
		vtoa_count(net, VTOA_STAT_syn_recv_sock_no_toa, 1);
}

/* tcp_v4_reqsk_destructor(req), tcp_v6_reqsk_destructor(req) */
static void vtoa_on_reqsk_destructor(VTOA_FTRACE_REGS *fregs)
{
	const struct request_sock *req = (const struct request_sock *)
					 vtoa_ftrace_arg(fregs, 0);

	if (likely(vtoa_reqs_empty()))
		return;
	if (vtoa_req_del(req))
		vtoa_count(vtoa_req_net(req), VTOA_STAT_toa_req_dropped,
			   1);
}

/* inet_sock_destruct(sk) */
static void vtoa_on_destruct(VTOA_FTRACE_REGS *fregs)
{
	const struct sock *sk = (const struct sock *)vtoa_ftrace_arg(fregs, 0);

#ifdef VTOA_FAULT_INJECT
	if (READ_ONCE(vtoa_fault_skip_destruct))
		return;
#endif
	if (sk)
		vtoa_table_del(sk);
}

/*
 * getpeername()/accept() of a user task on a socket with a TOA: the
 * getname callback below redirects inet_getname()/inet6_getname() here.
 * It answers as they would (ENOTCONN where they do), with the TOA. It
 * never sleeps and takes no lock, so after the callback is unregistered
 * one synchronize_rcu_tasks() is enough for no task to be inside it.
 */
static int notrace vtoa_getname_toa(struct socket *sock,
				    struct sockaddr *uaddr, int peer)
{
	struct sock *sk = sock->sk;
	struct sockaddr_storage ss;
	struct vtoa_addr a;
	int len;

	if (!READ_ONCE(sk->sk_dport) ||
	    (((1 << READ_ONCE(sk->sk_state)) & (TCPF_CLOSE | TCPF_SYN_SENT)) &&
	     peer == 1))
		return -ENOTCONN;
	memset(&ss, 0, sizeof(ss));
	if (likely(vtoa_table_get(sk, &a))) {
		len = vtoa_fill_sockaddr(&a, sk->sk_family, &ss);
		vtoa_count(sock_net(sk), VTOA_STAT_getname_toa_ok, 1);
	} else {
		/*
		 * Cannot happen (the caller holds the socket, so its entry
		 * stays); should it, the real peer, never a wrong one.
		 */
		len = vtoa_real_peer(sk, &ss);
		vtoa_count(sock_net(sk), VTOA_STAT_getname_toa_bypass, 1);
	}
	/* the caller's buffer is a sockaddr_storage (user tasks only) */
	memcpy(uaddr, &ss, len);
	return len;
}

/*
 * Whether getname() on sk (peer set) is answered with its TOA, counting
 * the calls that are not: the common test of both getname hooks.
 */
static bool vtoa_getname_wants_toa(const struct sock *sk, struct vtoa_addr *a)
{
	const struct net *net;

	if (!sk || !vtoa_user_tcp(sk))
		return false;
	net = sock_net(sk);
	if (!vtoa_table_get(sk, a)) {
		vtoa_count(net, VTOA_STAT_getname_toa_empty, 1);
		return false;
	}
	/*
	 * Only a user task's getpeername()/accept() passes a
	 * sockaddr_storage: kernel threads (nfsd, iSCSI targets), io_uring
	 * workers and anything not in task context may hand a buffer only
	 * as large as their socket's own address, so they see the real peer.
	 */
	if (!vtoa_param(getpeername) || !in_task() ||
	    (current->flags & (PF_KTHREAD | PF_IO_WORKER))) {
		vtoa_count(net, VTOA_STAT_getname_toa_bypass, 1);
		return false;
	}
	return true;
}

/* inet_getname(sock, uaddr, peer), inet6_getname(): getsockname() returns at once */
static void vtoa_on_getname(VTOA_FTRACE_REGS *fregs)
{
	const struct socket *sock;
	struct vtoa_addr a;

	if (!(int)vtoa_ftrace_arg(fregs, 2))
		return;
	sock = (const struct socket *)vtoa_ftrace_arg(fregs, 0);
	if (vtoa_getname_wants_toa(sock->sk, &a))
		vtoa_ftrace_redirect(fregs, vtoa_getname_toa);
}

/*
 * getsockopt(IPPROTO_IP, 1348/1349): the kernel's nf_getsockopt() finds
 * our nf_sockopt_ops under a global mutex and takes a module reference on
 * every call. Where ftrace can redirect, its callback sends our two
 * options straight to vtoa_sockopt_get() instead. That may sleep (the
 * copy to user space can fault), so the redirected calls are counted
 * per CPU; unload waits for the count to drop to 0, then for
 * synchronize_rcu_tasks() (the few instructions after the decrement).
 */
static DEFINE_PER_CPU(long, vtoa_sockopt_inflight);

static int notrace vtoa_nf_getsockopt(struct sock *sk, u_int8_t pf,
				      int optval, char __user *opt, int *len)
{
	int err = vtoa_sockopt_get(sk, optval, opt, len);

	this_cpu_dec(vtoa_sockopt_inflight);
	return err;
}

/* nf_getsockopt(sk, pf, optval, opt, len) */
static void vtoa_on_nf_getsockopt(VTOA_FTRACE_REGS *fregs)
{
	int optval = (int)vtoa_ftrace_arg(fregs, 2);

	if ((vtoa_ftrace_arg(fregs, 1) & 0xff) != PF_INET ||
	    optval < VTOA_SO_BASE || optval >= VTOA_SO_MAX)
		return;
	this_cpu_inc(vtoa_sockopt_inflight);
	vtoa_ftrace_redirect(fregs, vtoa_nf_getsockopt);
}

#define VTOA_FTRACE_CB(name, body)					\
static void notrace name(unsigned long ip, unsigned long pip,		\
			 struct ftrace_ops *op, VTOA_FTRACE_REGS *fregs)\
{									\
	int bit = vtoa_ftrace_lock(ip, pip);				\
									\
	if (bit >= 0) {							\
		body(fregs);						\
		vtoa_ftrace_unlock(bit);				\
	} else {							\
		this_cpu_inc(vtoa_ftrace_missed);			\
	}								\
}

VTOA_FTRACE_CB(vtoa_cb_conn_request, vtoa_on_conn_request)
VTOA_FTRACE_CB(vtoa_cb_check_req, vtoa_on_check_req)
VTOA_FTRACE_CB(vtoa_cb_csk_clone, vtoa_on_csk_clone)
VTOA_FTRACE_CB(vtoa_cb_child_process, vtoa_on_child_process)
VTOA_FTRACE_CB(vtoa_cb_reqsk_destructor, vtoa_on_reqsk_destructor)
VTOA_FTRACE_CB(vtoa_cb_destruct, vtoa_on_destruct)
VTOA_FTRACE_CB(vtoa_cb_getname, vtoa_on_getname)
VTOA_FTRACE_CB(vtoa_cb_nf_getsockopt, vtoa_on_nf_getsockopt)

struct vtoa_fhook {
	const char *sym;
	struct ftrace_ops ops;
	bool registered;
};

#define VTOA_FHOOK(name, cb) {						\
	.sym = name,							\
	.ops = {							\
		.func = cb,						\
		.flags = VTOA_FTRACE_FLAGS | FTRACE_OPS_FL_PERMANENT,	\
	},								\
}

/* Registered in this order and removed in reverse. */
static struct vtoa_fhook vtoa_fhooks[] = {
	VTOA_FHOOK("inet_sock_destruct", vtoa_cb_destruct),
	VTOA_FHOOK("tcp_v4_reqsk_destructor", vtoa_cb_reqsk_destructor),
#if IS_ENABLED(CONFIG_IPV6)
	VTOA_FHOOK("tcp_v6_reqsk_destructor", vtoa_cb_reqsk_destructor),
#endif
	VTOA_FHOOK("security_inet_csk_clone", vtoa_cb_csk_clone),
	VTOA_FHOOK("tcp_child_process", vtoa_cb_child_process),
	VTOA_FHOOK("tcp_check_req", vtoa_cb_check_req),
	VTOA_FHOOK("security_inet_conn_request", vtoa_cb_conn_request),
};

static int vtoa_getname_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	const struct socket *sock = (const struct socket *)vtoa_arg(regs, 0);
	struct vtoa_getname_data *d = (struct vtoa_getname_data *)ri->data;
	const struct sock *sk = sock->sk;

	if (!vtoa_arg(regs, 2) || !vtoa_getname_wants_toa(sk, &d->addr))
		return 1;
	d->uaddr = (struct sockaddr *)vtoa_arg(regs, 1);
	d->family = sk->sk_family;
	d->net = sock_net(sk);
	return 0;
}

static int vtoa_getname_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct vtoa_getname_data *d = (struct vtoa_getname_data *)ri->data;
	struct sockaddr_storage ss;
	int len;

	/*
	 * Not connected (any more): leave the kernel's answer alone. getname
	 * returns an int: only the low 32 bits of the register are defined.
	 */
	if ((int)regs_return_value(regs) < 0)
		return 0;
	len = vtoa_fill_sockaddr(&d->addr, d->family, &ss);
	if (len <= 0) {
		vtoa_count(d->net, VTOA_STAT_getname_toa_mismatch, 1);
		return 0;
	}
	/* the caller's buffer is a sockaddr_storage (user tasks, above) */
	memcpy(d->uaddr, &ss, len);
	regs_set_return_value(regs, len);
	vtoa_count(d->net, VTOA_STAT_getname_toa_ok, 1);
	return 0;
}

#define VTOA_KRP(sym, entry, ret, type, active) {		\
	.kp.symbol_name = sym,					\
	.entry_handler = entry,					\
	.handler = ret,						\
	.data_size = sizeof(type),				\
	.maxactive = active,					\
}

static struct kretprobe vtoa_krps[] = {
	VTOA_KRP("inet_getname", vtoa_getname_entry, vtoa_getname_ret,
		 struct vtoa_getname_data, 0),
#if IS_ENABLED(CONFIG_IPV6)
	VTOA_KRP("inet6_getname", vtoa_getname_entry, vtoa_getname_ret,
		 struct vtoa_getname_data, 0),
#endif
};

static struct kretprobe *vtoa_krp_ptrs[ARRAY_SIZE(vtoa_krps)];

/*
 * Every way a hook can miss: an ftrace callback re-entered in the same
 * context, a kretprobe without a free instance (nmissed) and its kprobe
 * skipped because another kprobe handler was running (kp.nmissed).
 */
unsigned long vtoa_probe_missed(void)
{
	unsigned long n = 0;
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(vtoa_ftrace_missed, cpu);
	for (i = 0; i < ARRAY_SIZE(vtoa_krps); i++)
		n += READ_ONCE(vtoa_krps[i].nmissed) +
		     READ_ONCE(vtoa_krps[i].kp.nmissed);
	return n;
}

/*
 * Point ops at the functions syms[0..n) and register it. On failure
 * nothing is left set, and *bad names the function ftrace cannot trace,
 * or is NULL when the registration itself failed.
 */
static int vtoa_ops_register(struct ftrace_ops *ops, const char * const *syms,
			     unsigned int n, const char **bad)
{
	unsigned int i;
	int err;

	*bad = NULL;
	for (i = 0; i < n; i++) {
		err = ftrace_set_filter(ops, (unsigned char *)syms[i],
					strlen(syms[i]), 0);
		if (err) {
			*bad = syms[i];
			goto free_filter;
		}
	}
	err = register_ftrace_function(ops);
	if (!err)
		return 0;
free_filter:
	vtoa_ftrace_free_filter(ops);
	return err;
}

static void vtoa_ops_unregister(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	vtoa_ftrace_free_filter(ops);
}

static void vtoa_fhooks_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(vtoa_fhooks) - 1; i >= 0; i--) {
		struct vtoa_fhook *h = &vtoa_fhooks[i];

		if (h->registered)
			vtoa_ops_unregister(&h->ops);
		h->registered = false;
	}
}

static int vtoa_fhooks_init(void)
{
	const char *bad;
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(vtoa_fhooks); i++) {
		struct vtoa_fhook *h = &vtoa_fhooks[i];

		err = vtoa_ops_register(&h->ops, &h->sym, 1, &bad);
		if (err && bad) {
			pr_err("vtoa: cannot trace %s (%d): this kernel needs CONFIG_DYNAMIC_FTRACE and that function\n",
			       h->sym, err);
			goto fail;
		}
		if (err) {
			pr_err("vtoa: cannot hook %s (%d); is ftrace disabled (sysctl kernel.ftrace_enabled)?\n",
			       h->sym, err);
			goto fail;
		}
		h->registered = true;
	}
	return 0;

fail:
	vtoa_fhooks_exit();
	return err;
}

/*
 * getname: an ftrace callback that redirects only the calls to answer
 * with a TOA (IPMODIFY); where that cannot be had (no support on this
 * architecture or kernel, or another IPMODIFY user such as a livepatch
 * already owns the function) the kretprobes.
 */
static struct ftrace_ops vtoa_getname_ops = {
	.func = vtoa_cb_getname,
	.flags = VTOA_FTRACE_FLAGS | FTRACE_OPS_FL_IPMODIFY |
		 FTRACE_OPS_FL_PERMANENT,
};

static const char * const vtoa_getname_syms[] = {
	"inet_getname",
#if IS_ENABLED(CONFIG_IPV6)
	"inet6_getname",
#endif
};

enum { VTOA_GETNAME_NONE, VTOA_GETNAME_FTRACE, VTOA_GETNAME_KRETPROBE };
static int vtoa_getname_mode;

#ifdef VTOA_FAULT_INJECT
/* test builds only: no redirects, as on a kernel without IPMODIFY */
static bool vtoa_fault_no_redirect;
module_param_named(fault_no_redirect, vtoa_fault_no_redirect, bool, 0444);
#define vtoa_no_redirect()	(!VTOA_HAVE_REDIRECT || vtoa_fault_no_redirect)
#else
#define vtoa_no_redirect()	(!VTOA_HAVE_REDIRECT)
#endif

const char *vtoa_getname_hook(void)
{
	return vtoa_getname_mode == VTOA_GETNAME_FTRACE ? "ftrace redirect" :
	       vtoa_getname_mode == VTOA_GETNAME_KRETPROBE ? "kretprobe" :
	       "none";
}

static int vtoa_getname_ftrace_init(void)
{
	const char *bad;

	if (vtoa_no_redirect())
		return -EOPNOTSUPP;
	return vtoa_ops_register(&vtoa_getname_ops, vtoa_getname_syms,
				 ARRAY_SIZE(vtoa_getname_syms), &bad);
}

static int vtoa_getname_init(void)
{
	int err = vtoa_getname_ftrace_init();

	if (!err) {
		vtoa_getname_mode = VTOA_GETNAME_FTRACE;
		return 0;
	}
	if (err != -EOPNOTSUPP)
		pr_info("vtoa: cannot redirect inet_getname (%d): using kretprobes\n",
			err);
	err = register_kretprobes(vtoa_krp_ptrs, ARRAY_SIZE(vtoa_krps));
	if (err) {
		pr_err("vtoa: cannot place kretprobes (%d): this kernel needs CONFIG_KRETPROBES and inet/inet6_getname\n",
		       err);
		return err;
	}
	vtoa_getname_mode = VTOA_GETNAME_KRETPROBE;
	return 0;
}

static void vtoa_getname_exit(void)
{
	if (vtoa_getname_mode == VTOA_GETNAME_FTRACE) {
		vtoa_ops_unregister(&vtoa_getname_ops);
		/*
		 * No new call reaches vtoa_getname_toa(); wait until no task
		 * is still running it (it never sleeps, so every task inside
		 * leaves it before its next voluntary context switch).
		 */
		synchronize_rcu_tasks();
	} else if (vtoa_getname_mode == VTOA_GETNAME_KRETPROBE) {
		unregister_kretprobes(vtoa_krp_ptrs, ARRAY_SIZE(vtoa_krps));
	}
	vtoa_getname_mode = VTOA_GETNAME_NONE;
}

static struct ftrace_ops vtoa_sockopt_ops = {
	.func = vtoa_cb_nf_getsockopt,
	.flags = VTOA_FTRACE_FLAGS | FTRACE_OPS_FL_IPMODIFY |
		 FTRACE_OPS_FL_PERMANENT,
};

static const char * const vtoa_sockopt_syms[] = { "nf_getsockopt" };
static bool vtoa_sockopt_redirected;

const char *vtoa_sockopt_hook(void)
{
	return vtoa_sockopt_redirected ? "ftrace redirect" : "nf_sockopt";
}

/* optional: without it, 1348/1349 go the kernel's nf_sockopt way */
static void vtoa_sockopt_redirect_init(void)
{
	const char *bad;
	int err;

	if (vtoa_no_redirect())
		return;
	err = vtoa_ops_register(&vtoa_sockopt_ops, vtoa_sockopt_syms,
				ARRAY_SIZE(vtoa_sockopt_syms), &bad);
	if (err) {
		pr_info("vtoa: cannot redirect nf_getsockopt (%d): getsockopt 1348 goes through nf_sockopt\n",
			err);
		return;
	}
	vtoa_sockopt_redirected = true;
}

static long vtoa_sockopt_inflight_sum(void)
{
	long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(vtoa_sockopt_inflight, cpu);
	return n;
}

static void vtoa_sockopt_redirect_exit(void)
{
	if (!vtoa_sockopt_redirected)
		return;
	vtoa_ops_unregister(&vtoa_sockopt_ops);
	/* every redirected call counted itself before the callback returned */
	while (vtoa_sockopt_inflight_sum() > 0)
		msleep(20);
	synchronize_rcu_tasks();
	vtoa_sockopt_redirected = false;
}

int vtoa_hooks_init(void)
{
	unsigned int i, cpus = num_possible_cpus();
	int err;

	/*
	 * getname may sleep in lock_sock(), so many calls can be in flight;
	 * a probe without a free instance is counted in probe_missed.
	 */
	for (i = 0; i < ARRAY_SIZE(vtoa_krps); i++) {
		vtoa_krps[i].maxactive = max(256U, 32 * cpus);
		vtoa_krp_ptrs[i] = &vtoa_krps[i];
	}

	err = vtoa_fhooks_init();
	if (err)
		return err;
	err = vtoa_getname_init();
	if (err) {
		vtoa_fhooks_exit();
		return err;
	}
	vtoa_sockopt_redirect_init();
	return 0;
}

void vtoa_hooks_exit(void)
{
	/*
	 * After this no handler runs any more and none is running: the
	 * kretprobe instances still pending in sleeping getname() calls are
	 * disarmed by the kernel and return the unmodified address; no task
	 * is inside vtoa_getname_toa() any more.
	 */
	vtoa_sockopt_redirect_exit();
	vtoa_getname_exit();
	vtoa_fhooks_exit();
}
