// SPDX-License-Identifier: GPL-2.0
/*
 * Where vtoa meets the kernel. Nothing is patched: every hook is one of
 * the kernel's own instrumentation mechanisms, registered by symbol
 * name, which the kernel takes down safely on unregister.
 *
 *  tcp_v4/v6_syn_recv_sock  kretprobe: the entry reads the TOA from the
 *	segment completing the handshake (SYN cookies and Fast Open go
 *	through here too); the return records it for the new child socket.
 *	Only handshakes that carry a believed TOA pay for the return probe.
 *  inet_getname/inet6_getname  kretprobe: for a socket with a TOA, the
 *	return rewrites the peer address of getpeername() and accept().
 *	The return probe is taken only for sockets that have a TOA.
 *  tcp_check_req  kretprobe: the segment completing a Fast Open
 *	handshake, whose child socket already exists (created from the SYN).
 *  inet_sock_destruct  ftrace callback: the socket's memory is going
 *	away, so its entry goes too. ftrace (not a kprobe) because ftrace
 *	recursion protection is per context: a kprobe would be skipped when
 *	a socket is freed in a softirq that interrupted another kprobe
 *	handler, and the entry would outlive its socket.
 */
#include <linux/kprobes.h>
#include <linux/ftrace.h>
#include <linux/sched.h>
#include <linux/tcp.h>
#include <linux/if_ether.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "vtoa.h"

struct vtoa_srs_data {
	struct vtoa_addr addr;
	bool *own_req;			/* syn_recv_sock */
	struct sock *child;		/* tcp_check_req, Fast Open */
};

struct vtoa_getname_data {
	struct vtoa_addr addr;
	struct sockaddr *uaddr;
	struct net *net;
	unsigned short family;
};

static atomic_long_t vtoa_destruct_missed = ATOMIC_LONG_INIT(0);

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
	if (READ_ONCE(vtoa_param_ipv6_kind254))
		flags |= VTOA_PARSE_V6_KIND254;
	return vtoa_parse_options(opt, optlen, flags, addr, info);
}

/*
 * Read the TOA of a handshake segment and count what was seen; true when
 * a valid TOA from a trusted source is in *addr. Handshakes without one
 * count in syn_recv_sock_no_toa when count_none is set.
 */
static bool vtoa_read_toa(struct net *net, const struct sk_buff *skb,
			  struct vtoa_addr *addr, bool count_none)
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
	if (r != VTOA_PARSE_FOUND && count_none)
		vtoa_count(net, VTOA_STAT_syn_recv_sock_no_toa, 1);
	return r == VTOA_PARSE_FOUND;
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
	} else if (err == -ENOSPC) {
		vtoa_count(net, VTOA_STAT_toa_over_cap, 1);
	} else {
		vtoa_count(net, VTOA_STAT_toa_alloc_fail, 1);
	}
}

static int vtoa_srs_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct sock *lsk = (const struct sock *)vtoa_arg(regs, 0);
	const struct sk_buff *skb = (const struct sk_buff *)vtoa_arg(regs, 1);
	struct vtoa_srs_data *d = (struct vtoa_srs_data *)ri->data;

	/* children of kernel sockets are not ours to change */
	if (!lsk->sk_net_refcnt ||
	    !vtoa_read_toa(sock_net(lsk), skb, &d->addr, true))
		return 1;
	d->own_req = (bool *)vtoa_arg(regs, 5);
	return 0;
}

/*
 * An IPv4 segment reaching an IPv6 (dual-stack) listener goes through
 * tcp_v6_syn_recv_sock() into tcp_v4_syn_recv_sock(): the inner probe
 * handles it, the outer one stays out of the way.
 */
static int vtoa_srs6_entry(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	const struct sk_buff *skb = (const struct sk_buff *)vtoa_arg(regs, 1);

	if (skb->protocol == htons(ETH_P_IP))
		return 1;
	return vtoa_srs_entry(ri, regs);
}

static int vtoa_srs_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock *child = (struct sock *)regs_return_value(regs);
	struct vtoa_srs_data *d = (struct vtoa_srs_data *)ri->data;

	if (child && d->own_req && *d->own_req)
		vtoa_record(child, &d->addr);
	return 0;
}

/*
 * TCP Fast Open: the child was created from the SYN; the segment that
 * completes the handshake reaches tcp_check_req() with fastopen set and sk
 * the child. A TOA there (dpvs puts it on the ACK, not the SYN) is taken
 * when the kernel accepts the segment, unless the SYN already had one.
 */
static int vtoa_tfo_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock *child = (struct sock *)vtoa_arg(regs, 0);
	const struct sk_buff *skb = (const struct sk_buff *)vtoa_arg(regs, 1);
	struct vtoa_srs_data *d = (struct vtoa_srs_data *)ri->data;

	if (!(vtoa_arg(regs, 3) & 0xff) || !child->sk_net_refcnt ||
	    vtoa_table_get(child, &d->addr) ||
	    !vtoa_read_toa(sock_net(child), skb, &d->addr, false))
		return 1;
	d->child = child;
	return 0;
}

static int vtoa_tfo_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_return_value(regs);
	struct vtoa_srs_data *d = (struct vtoa_srs_data *)ri->data;

	if (sk && sk == d->child)
		vtoa_record(sk, &d->addr);
	return 0;
}

static int vtoa_getname_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	const struct socket *sock = (const struct socket *)vtoa_arg(regs, 0);
	struct vtoa_getname_data *d = (struct vtoa_getname_data *)ri->data;
	const struct sock *sk = sock->sk;
	struct net *net;

	if (!vtoa_arg(regs, 2) || !sk || sk->sk_type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP || !sk->sk_net_refcnt)
		return 1;
	net = sock_net(sk);
	if (!vtoa_table_get(sk, &d->addr)) {
		vtoa_count(net, VTOA_STAT_getname_toa_empty, 1);
		return 1;
	}
	/*
	 * Kernel threads (nfsd, iSCSI targets, ...) may hand a buffer only
	 * as large as their socket's own address: they see the real peer.
	 */
	if (!READ_ONCE(vtoa_param_getpeername) ||
	    (current->flags & PF_KTHREAD)) {
		vtoa_count(net, VTOA_STAT_getname_toa_bypass, 1);
		return 1;
	}
	d->uaddr = (struct sockaddr *)vtoa_arg(regs, 1);
	d->family = sk->sk_family;
	d->net = net;
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
	/* the caller's buffer is a sockaddr_storage (user-facing paths) */
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
	VTOA_KRP("tcp_v4_syn_recv_sock", vtoa_srs_entry, vtoa_srs_ret,
		 struct vtoa_srs_data, 0),
	VTOA_KRP("inet_getname", vtoa_getname_entry, vtoa_getname_ret,
		 struct vtoa_getname_data, 0),
	VTOA_KRP("tcp_check_req", vtoa_tfo_entry, vtoa_tfo_ret,
		 struct vtoa_srs_data, 0),
#if IS_ENABLED(CONFIG_IPV6)
	VTOA_KRP("tcp_v6_syn_recv_sock", vtoa_srs6_entry, vtoa_srs_ret,
		 struct vtoa_srs_data, 0),
	VTOA_KRP("inet6_getname", vtoa_getname_entry, vtoa_getname_ret,
		 struct vtoa_getname_data, 0),
#endif
};

static struct kretprobe *vtoa_krp_ptrs[ARRAY_SIZE(vtoa_krps)];

static void notrace vtoa_destruct(unsigned long ip, unsigned long pip,
				  struct ftrace_ops *op,
				  VTOA_FTRACE_REGS *fregs)
{
	struct sock *sk = (struct sock *)vtoa_ftrace_arg0(fregs);
	int bit = vtoa_ftrace_lock(ip, pip);

	if (bit < 0) {
		atomic_long_inc(&vtoa_destruct_missed);
		return;
	}
	if (sk)
		vtoa_table_del(sk);
	vtoa_ftrace_unlock(bit);
}

static struct ftrace_ops vtoa_destruct_ops = {
	.func = vtoa_destruct,
	.flags = VTOA_FTRACE_FLAGS | FTRACE_OPS_FL_PERMANENT,
};

static const char vtoa_destruct_sym[] = "inet_sock_destruct";

unsigned long vtoa_probe_missed(void)
{
	unsigned long n = atomic_long_read(&vtoa_destruct_missed);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vtoa_krps); i++)
		n += READ_ONCE(vtoa_krps[i].nmissed);
	return n;
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

	err = ftrace_set_filter(&vtoa_destruct_ops, (unsigned char *)
				vtoa_destruct_sym, sizeof(vtoa_destruct_sym) - 1,
				0);
	if (err) {
		pr_err("vtoa: cannot trace %s (%d): this kernel needs CONFIG_DYNAMIC_FTRACE and that function\n",
		       vtoa_destruct_sym, err);
		return err;
	}
	err = register_ftrace_function(&vtoa_destruct_ops);
	if (err) {
		pr_err("vtoa: cannot hook %s (%d); is ftrace disabled (sysctl kernel.ftrace_enabled)?\n",
		       vtoa_destruct_sym, err);
		goto free_filter;
	}

	err = register_kretprobes(vtoa_krp_ptrs, ARRAY_SIZE(vtoa_krps));
	if (err) {
		pr_err("vtoa: cannot place kretprobes (%d): this kernel needs CONFIG_KRETPROBES and tcp_v4/v6_syn_recv_sock, inet/inet6_getname\n",
		       err);
		goto unregister_ftrace;
	}
	return 0;

unregister_ftrace:
	unregister_ftrace_function(&vtoa_destruct_ops);
free_filter:
	vtoa_ftrace_free_filter(&vtoa_destruct_ops);
	return err;
}

void vtoa_hooks_exit(void)
{
	/*
	 * After this no handler runs any more and none is running: the
	 * kretprobe instances still pending in sleeping getname() calls are
	 * disarmed by the kernel and return the unmodified address.
	 */
	unregister_kretprobes(vtoa_krp_ptrs, ARRAY_SIZE(vtoa_krps));
	unregister_ftrace_function(&vtoa_destruct_ops);
	vtoa_ftrace_free_filter(&vtoa_destruct_ops);
}
