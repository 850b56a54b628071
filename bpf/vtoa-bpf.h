/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtoa-bpf.h - what bpf/vtoa.bpf.c and its loader bpf/vtoa-bpf.c share:
 * the map layouts, the switch and counter indices.
 */
#ifndef VTOA_BPF_H
#define VTOA_BPF_H

/* the TOA of one socket (sk storage "toa") */
struct vtoa_bpf_toa {
	__u8 family;		/* 4 or 6 */
	__u8 kind;		/* 254 or 253 */
	__u8 port[2];		/* network order */
	__u8 addr[16];		/* 4 or 16 bytes used, network order */
};

/* the "trusted" LPM trie: IPv4 as v4-mapped IPv6 (prefix + 96) */
struct vtoa_bpf_cidr {
	__u32 prefixlen;
	__u8 addr[16];
};

#define VTOA_BPF_TEXT_MAX 1024

/* the "cfg" array, one __u32 per switch, changeable at run time */
enum {
	VTOA_CFG_getpeername,		/* default 1 */
	VTOA_CFG_getsockopt,		/* default 1 */
	VTOA_CFG_ipv6_kind254,		/* default 0 */
	VTOA_CFG_trusted,		/* 1: trusted_sources not empty */
	/*
	 * 1: the kernel lets a cgroup getsockopt program set retval to an
	 * error (5.18's bpf_set_retval series; before, it turns any error into
	 * EFAULT). The loader probes it at attach (vtoa-bpf get sockopt_errno);
	 * with 0 the program leaves the kernel's own error, ENOPROTOOPT, where
	 * the module answers ENOENT or ENOTCONN.
	 */
	VTOA_CFG_errno,
	VTOA_NCFG
};

/* the "stats" per-CPU array: the module's counter names where they apply */
#define VTOA_BPF_STATS(X)		\
	X(syn_recv_sock_toa)		\
	X(syn_recv_sock_no_toa)		\
	X(getname_toa_ok)		\
	X(getname_toa_mismatch)		\
	X(getname_toa_bypass)		\
	X(getname_toa_empty)		\
	X(toa_v4)			\
	X(toa_v6)			\
	X(toa_malformed)		\
	X(toa_untrusted)		\
	X(toa_multiple)			\
	X(toa_tfo)			\
	X(toa_kind254_len20)		\
	X(getsockopt_toa)		\
	X(getsockopt_no_toa)		\
	X(entries_live)			\
	X(toa_syn)			\
	X(syn_not_saved)		\
	X(store_fail)

enum {
#define VTOA_X(n) VTOA_STAT_##n,
	VTOA_BPF_STATS(VTOA_X)
#undef VTOA_X
	VTOA_NSTATS
};

#endif /* VTOA_BPF_H */
