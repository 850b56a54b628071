/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by toa-writer.bpf.c (the sock_ops program) and toa-writer.c. */
#ifndef TOA_WRITER_H
#define TOA_WRITER_H

#define TW_OPT_MAX 20

enum { TW_MODE_LVS = 1, TW_MODE_DPVS = 2, TW_MODE_ALL = 3 };

/* the one entry of the "cfg" map; port in network order */
struct toa_writer_cfg {
	__u32 mode;
	__u8 kind;
	__u8 len;
	__u8 port[2];
	__u8 addr[16];		/* IPv4 in the first 4 bytes for len 8 */
};

/* indexes of the "stats" map; names in toa-writer.c */
enum {
	TW_SYN,			/* written on a SYN */
	TW_ACK,			/* ... on a segment with no SYN, FIN or PSH */
	TW_PSH,			/* ... on a PSH (data) segment */
	TW_FIN,			/* ... on a FIN */
	TW_STOPPED,		/* server data seen: writing stopped */
	TW_NOSPACE,		/* no room left in the header (40 bytes) */
	TW_STORE_ERR,		/* bpf_store_hdr_opt() failed */
	TW_NSTATS
};

#endif
