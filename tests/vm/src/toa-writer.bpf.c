// SPDX-License-Identifier: GPL-2.0
/*
 * toa-writer.bpf.c - a sock_ops program that makes the kernel's own TCP
 * stack write a TOA option on the connections of one cgroup, the way a
 * FULLNAT proxy would have: a second TOA writer nobody here wrote.
 *
 * The option (kind, length, port, address) comes from the "cfg" map, filled
 * by the loader (toa-writer.c). Where it goes, by mode:
 *
 *   lvs   the SYN and every later segment until the server's first data:
 *         LVS FULLNAT's rule (each segment that acknowledges the server's
 *         initial sequence number + 1: the handshake ACK, the request, a
 *         FIN, their retransmissions);
 *   dpvs  the same without the SYN (dpvs inserts it from the ACK on);
 *   all   the SYN and every later segment, as public eBPF TOA writers do.
 *
 * "Until the server's first data" is bytes_received == 0: the kernel counts
 * every sequence number after the server's SYN there (data and FIN), so it
 * is 0 exactly while the client acknowledges ISN + 1. Once it is not, the
 * program stops asking to be called for this socket.
 *
 * The "stats" map counts what was written (by TCP flags of the segment) and
 * why nothing was; the loader prints it when it is stopped.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "toa-writer.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct toa_writer_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TW_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_PSH 0x08

static __always_inline void count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &what);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Does this segment get the option? 1 yes, 0 no; stops the callbacks
 * for good once the server has sent data (lvs, dpvs).
 */
static __always_inline int wanted(struct bpf_sock_ops *skops,
				  const struct toa_writer_cfg *c, int counting)
{
	int syn = skops->skb_tcp_flags & TCPHDR_SYN;

	if (syn)
		return c->mode != TW_MODE_DPVS;
	if (c->mode == TW_MODE_ALL)
		return 1;
	if (skops->bytes_received == 0)
		return 1;
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags &
				  ~BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
	if (counting)
		count(TW_STOPPED);
	return 0;
}

SEC("sockops")
int toa_writer(struct bpf_sock_ops *skops)
{
	struct toa_writer_cfg *c;
	__u32 zero = 0;
	__u8 opt[TW_OPT_MAX];
	int i, err;

	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c || (c->len != 8 && c->len != 20))
		return 1;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		/* before the SYN is built: from now on ask for option room */
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
					  BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		/* args[0] & BPF_WRITE_HDR_TCP_CURRENT_MSS: no segment, the MSS
		 * is being computed; the same answer keeps it consistent.
		 */
		if (!wanted(skops, c, !(skops->args[0] &
					BPF_WRITE_HDR_TCP_CURRENT_MSS)))
			break;
		if (bpf_reserve_hdr_opt(skops, c->len, 0))
			count(TW_NOSPACE);
		break;
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB:
		if (!wanted(skops, c, 0))
			break;
		opt[0] = c->kind;
		opt[1] = c->len;
		opt[2] = c->port[0];
		opt[3] = c->port[1];
		for (i = 0; i < 16; i++)
			opt[4 + i] = c->addr[i];
		err = c->len == 8 ? bpf_store_hdr_opt(skops, opt, 8, 0) :
				    bpf_store_hdr_opt(skops, opt, 20, 0);
		if (err) {
			count(TW_STORE_ERR);
			break;
		}
		if (skops->skb_tcp_flags & TCPHDR_SYN)
			count(TW_SYN);
		else if (skops->skb_tcp_flags & TCPHDR_FIN)
			count(TW_FIN);
		else if (skops->skb_tcp_flags & TCPHDR_PSH)
			count(TW_PSH);
		else
			count(TW_ACK);
		break;
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
