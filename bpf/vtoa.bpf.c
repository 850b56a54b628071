// SPDX-License-Identifier: GPL-2.0
/*
 * vtoa.bpf.c - the eBPF backend of vtoa: the real client address of
 * FULLNAT/TOA connections without a kernel module. See bpf/README.md.
 *
 *   sockops          reads the TOA of passive connections at
 *                    BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB: first from the
 *                    saved SYN (TCP_BPF_SYN; TCP_SAVE_SYN is set on every
 *                    listener at BPF_SOCK_OPS_TCP_LISTEN_CB), else from the
 *                    segment completing the handshake (skb_data), and keeps
 *                    it in the sk storage map "toa";
 *   getpeername4/6   rewrite getpeername()/accept() for a socket with a TOA;
 *   getsockopt       answers IPPROTO_IP 1348/1349 (kmod/sockopt.c).
 *
 * The option parser follows kmod/parse.c rule for rule.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "vtoa.h"
#include "vtoa-bpf.h"

#define AF_INET		2
#define AF_INET6	10
#define SOL_TCP		6
#define SOL_IP		0
#define TCP_SAVE_SYN	27
#define ENOENT		2
#define ENOTCONN	107
#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCP_HDR_MAX	60

/* a context field, loaded once at its own offset */
#define CTX(f) (*(volatile __typeof__(f) *)&(f))

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct vtoa_bpf_toa);
} toa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VTOA_NCFG);
	__type(key, __u32);
	__type(value, __u32);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTOA_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 256);
	__type(key, struct vtoa_bpf_cidr);
	__type(value, __u8);
} trusted SEC(".maps");

/* trusted_sources as the loader was given it (for "vtoa-bpf get") */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[VTOA_BPF_TEXT_MAX]);
} trusted_text SEC(".maps");

static __always_inline void count(__u32 what, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &what);

	if (v)
		*v += n;	/* per CPU, no other writer */
}

static __always_inline __u32 config(__u32 what)
{
	__u32 *v = bpf_map_lookup_elem(&cfg, &what);

	return v ? *v : 0;
}

/* ------------------------------------------------------------ parser */

enum { PARSE_NONE, PARSE_FOUND, PARSE_MALFORMED };

/*
 * The parser's whole state lives in a per-CPU map value, not on the
 * stack: the verifier does not track what a map value holds, so the 40
 * rounds of the walk collapse into one state each instead of one per
 * path through all earlier rounds (which ran into the 1M instruction
 * limit); parse() reaches it through a volatile pointer so that clang
 * keeps nothing of it in registers either. Indices are masked with & 63
 * into hdr[64].
 */
struct scratch {
	__u8 hdr[64];		/* a TCP header, options from byte 20 */
	__u32 i, end;
	__u32 toa_options;
	__u32 bad_toa_options;
	__u32 tfo_options;
	__u32 kind254_len20;
	__u32 list_malformed;
	__u32 toa_off;		/* where the first valid TOA starts */
	__u32 toa_family;
	__u32 syn, k254;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline struct scratch *scratch_get(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&scratch, &k);
}

/*
 * kmod/parse.c's vtoa_parse_options() over s->hdr[20, s->end). Each
 * round consumes a byte at least, so 40 rounds walk any list.
 */
static __always_inline int parse(struct scratch *ns)
{
	/* volatile: clang must not keep any of it in registers across rounds */
	volatile struct scratch *s = ns;
	int n;

	s->i = 20;
	s->toa_options = s->bad_toa_options = s->tfo_options = 0;
	s->kind254_len20 = s->list_malformed = 0;
	s->toa_off = s->toa_family = 0;
	for (n = 0; n < 40; n++) {
		__u32 i = s->i, end = s->end, family = 0;
		__u8 kind, olen;

		if (i >= end)
			break;
		kind = s->hdr[i & 63];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			s->i = i + 1;
			continue;
		}
		if (end - i < 2) {
			s->list_malformed = 1;
			break;
		}
		olen = s->hdr[(i + 1) & 63];
		if (olen < 2 || olen > end - i) {
			s->list_malformed = 1;
			break;
		}
		if (kind == VTOA_OPT_KIND_V4 && s->syn && olen >= 4 &&
		    s->hdr[(i + 2) & 63] == (VTOA_TFO_MAGIC >> 8) &&
		    s->hdr[(i + 3) & 63] == (VTOA_TFO_MAGIC & 0xff)) {
			s->tfo_options++;
		} else if (kind == VTOA_OPT_KIND_V4 || kind == VTOA_OPT_KIND_V6) {
			if (kind == VTOA_OPT_KIND_V4 && olen == VTOA_OPT_LEN_V4)
				family = 4;
			else if (kind == VTOA_OPT_KIND_V6 && olen == VTOA_OPT_LEN_V6)
				family = 6;
			else if (kind == VTOA_OPT_KIND_V4 &&
				 olen == VTOA_OPT_LEN_V6 && s->k254)
				family = 6;
			if (!family) {
				s->bad_toa_options++;
				if (kind == VTOA_OPT_KIND_V4 && olen == VTOA_OPT_LEN_V6)
					s->kind254_len20++;
			} else {
				if (!s->toa_options) {
					s->toa_off = i;
					s->toa_family = family;
				}
				s->toa_options++;
			}
		}
		s->i = i + olen;
	}
	/* 40 rounds always reach the end; a list that did not is broken */
	if (n == 40 && s->i < s->end)
		s->list_malformed = 1;

	if (s->list_malformed)
		return PARSE_MALFORMED;
	if (s->toa_options)
		return PARSE_FOUND;
	if (s->bad_toa_options)
		return PARSE_MALFORMED;
	return PARSE_NONE;
}

static __always_inline void take(const struct scratch *s, struct vtoa_bpf_toa *t)
{
	__u32 o = s->toa_off;
	int j;

	__builtin_memset(t, 0, sizeof(*t));
	t->family = s->toa_family == 4 ? 4 : 6;
	t->kind = s->hdr[o & 63];
	t->port[0] = s->hdr[(o + 2) & 63];
	t->port[1] = s->hdr[(o + 3) & 63];
	for (j = 0; j < 16; j++)
		t->addr[j] = s->hdr[(o + 4 + j) & 63];
	if (t->family == 4)
		__builtin_memset(&t->addr[4], 0, 12);
}

/* the packet's source (the peer) in trusted_sources? */
static __always_inline int source_trusted(struct bpf_sock_ops *skops)
{
	/*
	 * Zeroed and filled at run time, not by an initialiser: clang would
	 * copy that from a .rodata constant, and 5.10 rejects the BTF of an
	 * object whose .rodata DATASEC has no variables ("vlen == 0"): no
	 * BTF, no sk storage map.
	 */
	struct vtoa_bpf_cidr k;
	/* every field read straight from the context, unconditionally: the
	 * verifier refuses a load through a computed context pointer */
	__u32 fam = CTX(skops->family), v4 = CTX(skops->remote_ip4);
	__u32 w0 = CTX(skops->remote_ip6[0]), w1 = CTX(skops->remote_ip6[1]);
	__u32 w2 = CTX(skops->remote_ip6[2]), w3 = CTX(skops->remote_ip6[3]);

	if (!config(VTOA_CFG_trusted))
		return 1;
	__builtin_memset(&k, 0, sizeof(k));
	k.prefixlen = 128;
	if (fam == AF_INET) {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		__builtin_memcpy(&k.addr[12], &v4, 4);
	} else {
		__builtin_memcpy(&k.addr[0], &w0, 4);
		__builtin_memcpy(&k.addr[4], &w1, 4);
		__builtin_memcpy(&k.addr[8], &w2, 4);
		__builtin_memcpy(&k.addr[12], &w3, 4);
	}
	return bpf_map_lookup_elem(&trusted, &k) != NULL;
}

/*
 * Parse one handshake segment's TCP header (s->hdr, hlen bytes) and count
 * as kmod/hooks.c's vtoa_read_toa() does; 1 with *t filled when a valid
 * TOA from a trusted source was found.
 */
static __always_inline int read_toa(struct bpf_sock_ops *skops, struct scratch *s,
				    __u32 hlen, struct vtoa_bpf_toa *t)
{
	__u32 doff;
	int r;

	if (hlen < 20)
		return 0;
	doff = (s->hdr[12] >> 4) * 4;
	if (doff < 20)
		return 0;
	if (doff > hlen) {
		count(VTOA_STAT_toa_malformed, 1);
		return 0;
	}
	s->end = doff;
	s->syn = s->hdr[13] & 0x02;
	s->k254 = config(VTOA_CFG_ipv6_kind254);
	r = parse(s);
	if (s->tfo_options)
		count(VTOA_STAT_toa_tfo, s->tfo_options);
	if (s->kind254_len20)
		count(VTOA_STAT_toa_kind254_len20, s->kind254_len20);
	if (s->toa_options > 1)
		count(VTOA_STAT_toa_multiple, 1);
	if (r == PARSE_MALFORMED)
		count(VTOA_STAT_toa_malformed, 1);
	if (r != PARSE_FOUND)
		return 0;
	if (!source_trusted(skops)) {
		count(VTOA_STAT_toa_untrusted, 1);
		return 0;
	}
	take(s, t);
	return 1;
}

/* ------------------------------------------------------------ sock_ops */

static __always_inline void record(struct bpf_sock_ops *skops,
				   struct vtoa_bpf_toa *t)
{
	struct bpf_sock *sk = skops->sk;
	struct vtoa_bpf_toa *s;

	if (!sk) {
		count(VTOA_STAT_store_fail, 1);
		return;
	}
	s = bpf_sk_storage_get(&toa, sk, t, BPF_SK_STORAGE_GET_F_CREATE);
	if (!s) {
		count(VTOA_STAT_store_fail, 1);
		return;
	}
	count(VTOA_STAT_syn_recv_sock_toa, 1);
	count(t->family == 4 ? VTOA_STAT_toa_v4 : VTOA_STAT_toa_v6, 1);
	count(VTOA_STAT_entries_live, 1);
	/* to drop the entry (and the live count) when the socket closes */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
				  BPF_SOCK_OPS_STATE_CB_FLAG);
}

static __always_inline void established(struct bpf_sock_ops *skops)
{
	struct scratch *s = scratch_get();
	struct vtoa_bpf_toa t;
	void *data, *data_end;
	__u32 hlen = 0;
	int r, j;

	if (!s)
		return;
	/* the SYN first (the listener saved it) */
	r = bpf_getsockopt(skops, SOL_TCP, TCP_BPF_SYN, s->hdr, TCP_HDR_MAX);
	if (r > 0) {
		if (read_toa(skops, s, r, &t)) {
			count(VTOA_STAT_toa_syn, 1);
			record(skops, &t);
			return;
		}
	} else {
		count(VTOA_STAT_syn_not_saved, 1);
	}

	/* then the segment that completed the handshake */
	data = (void *)(long)skops->skb_data;
	data_end = (void *)(long)skops->skb_data_end;
	for (j = 0; j < TCP_HDR_MAX; j++) {
		__u8 *p = (__u8 *)data + j;

		if ((void *)(p + 1) > data_end)
			break;
		s->hdr[j] = *p;
		hlen++;
	}
	if (read_toa(skops, s, hlen, &t))
		record(skops, &t);
	else
		count(VTOA_STAT_syn_recv_sock_no_toa, 1);
}

SEC("sockops")
int vtoa_sockops(struct bpf_sock_ops *skops)
{
	int one = 1;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		bpf_setsockopt(skops, SOL_TCP, TCP_SAVE_SYN, &one, sizeof(one));
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		established(skops);
		break;
	case BPF_SOCK_OPS_STATE_CB: {
		struct bpf_sock *sk = skops->sk;

		if (skops->args[1] == BPF_TCP_CLOSE && sk &&
		    bpf_sk_storage_get(&toa, sk, NULL, 0) &&
		    !bpf_sk_storage_delete(&toa, sk))
			count(VTOA_STAT_entries_live, (__u64)-1);
		break;
	}
	}
	return 1;
}

/* ------------------------------------------------------------ getpeername */

static __always_inline struct vtoa_bpf_toa *sock_toa(struct bpf_sock *sk)
{
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&toa, sk, NULL, 0);
}

static __always_inline __u16 toa_port(const struct vtoa_bpf_toa *t)
{
	__u16 p;

	__builtin_memcpy(&p, t->port, 2);
	return p;
}

static __always_inline __u32 toa_word(const struct vtoa_bpf_toa *t, int i)
{
	__u32 w;

	__builtin_memcpy(&w, &t->addr[i * 4], 4);
	return w;
}

SEC("cgroup/getpeername4")
int vtoa_getpeername4(struct bpf_sock_addr *ctx)
{
	struct vtoa_bpf_toa *t = sock_toa(ctx->sk);

	if (!t) {
		count(VTOA_STAT_getname_toa_empty, 1);
		return 1;
	}
	if (!config(VTOA_CFG_getpeername)) {
		count(VTOA_STAT_getname_toa_bypass, 1);
		return 1;
	}
	if (t->family != 4) {
		/* an IPv6 TOA does not fit an AF_INET socket's sockaddr_in */
		count(VTOA_STAT_getname_toa_mismatch, 1);
		return 1;
	}
	ctx->user_ip4 = toa_word(t, 0);
	ctx->user_port = toa_port(t);
	count(VTOA_STAT_getname_toa_ok, 1);
	return 1;
}

SEC("cgroup/getpeername6")
int vtoa_getpeername6(struct bpf_sock_addr *ctx)
{
	struct vtoa_bpf_toa *t = sock_toa(ctx->sk);

	if (!t) {
		count(VTOA_STAT_getname_toa_empty, 1);
		return 1;
	}
	if (!config(VTOA_CFG_getpeername)) {
		count(VTOA_STAT_getname_toa_bypass, 1);
		return 1;
	}
	if (t->family == 4) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = toa_word(t, 0);
	} else {
		ctx->user_ip6[0] = toa_word(t, 0);
		ctx->user_ip6[1] = toa_word(t, 1);
		ctx->user_ip6[2] = toa_word(t, 2);
		ctx->user_ip6[3] = toa_word(t, 3);
	}
	ctx->user_port = toa_port(t);
	count(VTOA_STAT_getname_toa_ok, 1);
	return 1;
}

/* ------------------------------------------------------------ getsockopt */

#define SA_IN_LEN	16
#define SA_IN6_LEN	28

/*
 * Fail the call with err where the kernel allows a program to set an error
 * (VTOA_CFG_errno, probed by the loader); before 5.18 leave the kernel's
 * own, ENOPROTOOPT (any other value would become EFAULT).
 */
static __always_inline int fail(struct bpf_sockopt *ctx, int err)
{
	if (config(VTOA_CFG_errno))
		CTX(ctx->retval) = err;
	CTX(ctx->optlen) = 0;
	return 1;
}

SEC("cgroup/getsockopt")
int vtoa_getsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct vtoa_bpf_toa *t;
	__u8 ss[SA_IN6_LEN] = {};
	__u8 *out, *end;
	__u16 port;
	__u32 w;
	int alen, n, j;

	if (ctx->level != SOL_IP ||
	    (ctx->optname != VTOA_SO_GET_ADDR && ctx->optname != VTOA_SO_GET_TOA))
		return 1;
	if (!sk || sk->type != 1 /* SOCK_STREAM */ || sk->protocol != 6 ||
	    !config(VTOA_CFG_getsockopt))
		return 1;	/* the kernel's ENOPROTOOPT */
	if (ctx->optlen < 0)
		return 1;
	if (!sk->dst_port || sk->state == BPF_TCP_CLOSE ||
	    sk->state == BPF_TCP_SYN_SENT || sk->state == BPF_TCP_LISTEN)
		return fail(ctx, -ENOTCONN);

	t = bpf_sk_storage_get(&toa, sk, NULL, 0);
	if (t) {
		count(VTOA_STAT_getsockopt_toa, 1);
		port = toa_port(t);
		if (t->family == 4) {
			ss[0] = AF_INET;
			__builtin_memcpy(&ss[2], &port, 2);
			w = toa_word(t, 0);
			__builtin_memcpy(&ss[4], &w, 4);
			alen = SA_IN_LEN;
		} else {
			ss[0] = AF_INET6;
			__builtin_memcpy(&ss[2], &port, 2);
			__builtin_memcpy(&ss[8], t->addr, 16);
			alen = SA_IN6_LEN;
		}
	} else {
		count(VTOA_STAT_getsockopt_no_toa, 1);
		if (ctx->optname == VTOA_SO_GET_TOA)
			return fail(ctx, -ENOENT);
		/* the ordinary peer, in the socket's family */
		port = sk->dst_port;
		if (sk->family == AF_INET6) {
			ss[0] = AF_INET6;
			__builtin_memcpy(&ss[2], &port, 2);
			w = sk->dst_ip6[0];
			__builtin_memcpy(&ss[8], &w, 4);
			w = sk->dst_ip6[1];
			__builtin_memcpy(&ss[12], &w, 4);
			w = sk->dst_ip6[2];
			__builtin_memcpy(&ss[16], &w, 4);
			w = sk->dst_ip6[3];
			__builtin_memcpy(&ss[20], &w, 4);
			alen = SA_IN6_LEN;
		} else {
			ss[0] = AF_INET;
			__builtin_memcpy(&ss[2], &port, 2);
			w = sk->dst_ip4;
			__builtin_memcpy(&ss[4], &w, 4);
			alen = SA_IN_LEN;
		}
	}

	/* as much as the caller's buffer holds (truncated like getpeername) */
	out = ctx->optval;
	end = ctx->optval_end;
	/*
	 * No buffer at all: leave the kernel's answer (ENOPROTOOPT). Besides
	 * a zero-length call this is the window in which the first attach of
	 * a getsockopt program switches the kernel's static key on between
	 * its reading of the caller's optlen (skipped: max 0) and the run of
	 * the programs; succeeding with nothing copied would then hand the
	 * caller an empty address (seen in 70-unload-live's reattach cycles).
	 */
	if ((void *)(out + 1) > (void *)end)
		return 1;
	n = 0;
	for (j = 0; j < SA_IN6_LEN; j++) {
		if (j >= alen || (void *)(out + j + 1) > (void *)end)
			break;
		out[j] = ss[j];
		n++;
	}
	CTX(ctx->optlen) = n;
	CTX(ctx->retval) = 0;
	return 1;
}
