/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TOA option parser: pure C, no kernel dependency, so the very same file
 * is compiled into the module and into the userspace tests and fuzzer.
 */
#ifndef _VTOA_PARSE_H
#define _VTOA_PARSE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
#endif

#include "include/uapi/vtoa.h"

#define VTOA_MAX_OPT_LEN	40	/* 60-byte header minus 20-byte base */

/* vtoa_parse_options() flags */
#define VTOA_PARSE_SYN		0x1	/* segment is a SYN: TFO magic applies */
#define VTOA_PARSE_V6_KIND254	0x2	/* kind 254 length 20 is IPv6 TOA */

enum vtoa_parse_result {
	VTOA_PARSE_NONE = 0,	/* no TOA option at all */
	VTOA_PARSE_FOUND,	/* a valid TOA, in *addr */
	VTOA_PARSE_MALFORMED,	/* TOA-like option(s), none usable */
};

/* The address a TOA carries; port and addr stay in network order. */
struct vtoa_addr {
	u8 family;		/* 4 or 6 */
	u8 kind;		/* option kind it came in */
	u8 port[2];
	u8 addr[16];		/* IPv4 uses the first 4 bytes */
};

struct vtoa_parse_info {
	u8 toa_options;		/* well-formed TOA options seen */
	u8 bad_toa_options;	/* kind 253/254 with a length we refuse */
	u8 tfo_options;		/* kind 254 with the TFO magic on a SYN */
	u8 kind254_len20;	/* kind 254 length 20 refused (ipv6_kind254 off) */
	u8 list_malformed;	/* option list itself broken */
};

enum vtoa_parse_result vtoa_parse_options(const u8 *opt, unsigned int len,
					  unsigned int flags,
					  struct vtoa_addr *addr,
					  struct vtoa_parse_info *info);

#endif /* _VTOA_PARSE_H */
