// SPDX-License-Identifier: GPL-2.0
/*
 * TOA option parser.
 *
 * Walks a TCP option list the way the kernel's tcp_parse_options() does,
 * but strictly: any structural error (a length byte missing, a length of
 * 0 or 1, an option running past the end) makes the whole list malformed
 * and no TOA is taken from it. EOL ends the list; whatever follows it is
 * padding and is not read. The first valid TOA option wins.
 */
#include "parse.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1

static void take(struct vtoa_addr *addr, const u8 *opt, u8 kind, u8 family)
{
	unsigned int alen = family == 4 ? 4 : 16;

	memset(addr, 0, sizeof(*addr));
	addr->family = family;
	addr->kind = kind;
	addr->port[0] = opt[2];
	addr->port[1] = opt[3];
	memcpy(addr->addr, opt + 4, alen);
}

enum vtoa_parse_result vtoa_parse_options(const u8 *opt, unsigned int len,
					  unsigned int flags,
					  struct vtoa_addr *addr,
					  struct vtoa_parse_info *info)
{
	bool found = false;
	unsigned int i = 0;

	memset(info, 0, sizeof(*info));
	if (len > VTOA_MAX_OPT_LEN) {
		info->list_malformed = 1;
		return VTOA_PARSE_MALFORMED;
	}

	while (i < len) {
		u8 kind = opt[i];
		u8 olen;
		u8 family = 0;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2) {
			info->list_malformed = 1;
			break;
		}
		olen = opt[i + 1];
		if (olen < 2 || olen > len - i) {
			info->list_malformed = 1;
			break;
		}

		if (kind == VTOA_OPT_KIND_V4 && (flags & VTOA_PARSE_SYN) &&
		    olen >= 4 && opt[i + 2] == (VTOA_TFO_MAGIC >> 8) &&
		    opt[i + 3] == (VTOA_TFO_MAGIC & 0xff)) {
			/* RFC 7413 experimental Fast Open option, not a TOA */
			if (info->tfo_options < 255)
				info->tfo_options++;
		} else if (kind == VTOA_OPT_KIND_V4 ||
			   kind == VTOA_OPT_KIND_V6) {
			if (kind == VTOA_OPT_KIND_V4 && olen == VTOA_OPT_LEN_V4)
				family = 4;
			else if (kind == VTOA_OPT_KIND_V6 &&
				 olen == VTOA_OPT_LEN_V6)
				family = 6;
			else if (kind == VTOA_OPT_KIND_V4 &&
				 olen == VTOA_OPT_LEN_V6 &&
				 (flags & VTOA_PARSE_V6_KIND254))
				family = 6;

			if (!family) {
				if (info->bad_toa_options < 255)
					info->bad_toa_options++;
				if (kind == VTOA_OPT_KIND_V4 &&
				    olen == VTOA_OPT_LEN_V6 &&
				    info->kind254_len20 < 255)
					info->kind254_len20++;
			} else {
				if (info->toa_options < 255)
					info->toa_options++;
				if (!found)
					take(addr, opt + i, kind, family);
				found = true;
			}
		}
		i += olen;
	}

	if (info->list_malformed)
		return VTOA_PARSE_MALFORMED;
	if (found)
		return VTOA_PARSE_FOUND;
	if (info->bad_toa_options)
		return VTOA_PARSE_MALFORMED;
	return VTOA_PARSE_NONE;
}
