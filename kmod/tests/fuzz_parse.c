// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the TOA parser: no crash, no read outside the
 * buffer (ASan), and the invariants of the result hold.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtoa_parse_info info;
	struct vtoa_addr a;
	enum vtoa_parse_result r;
	unsigned int flags;

	if (size < 1)
		return 0;
	flags = data[0] & 3;
	data++;
	size--;
	memset(&a, 0, sizeof(a));
	r = vtoa_parse_options(data, size, flags, &a, &info);

	if (size > VTOA_MAX_OPT_LEN && r != VTOA_PARSE_MALFORMED)
		abort();
	if (r == VTOA_PARSE_FOUND) {
		if (info.list_malformed || !info.toa_options)
			abort();
		if (a.family != 4 && a.family != 6)
			abort();
		if (a.family == 4 && a.kind != VTOA_OPT_KIND_V4)
			abort();
		if (a.family == 6 && a.kind == VTOA_OPT_KIND_V4 &&
		    !(flags & VTOA_PARSE_V6_KIND254))
			abort();
		/* the address bytes come from inside the input */
		if (!memmem(data, size, a.port, a.family == 4 ? 6 : 18))
			abort();
	}
	if (info.list_malformed && r != VTOA_PARSE_MALFORMED)
		abort();
	if (r == VTOA_PARSE_NONE && (info.toa_options || info.bad_toa_options))
		abort();
	return 0;
}
