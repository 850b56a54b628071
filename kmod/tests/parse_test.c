// SPDX-License-Identifier: GPL-2.0
/*
 * Table tests of the TOA option parser (the same parse.c the module
 * builds). Each case: option bytes, flags, expected result and address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

struct tcase {
	const char *name;
	const char *hex;	/* option bytes */
	unsigned int flags;
	enum vtoa_parse_result want;
	const char *addr;	/* expected "family/port/hexaddr" or NULL */
	int toa, bad, tfo, list_bad;	/* expected info, -1 = any */
};

#define V4	"fe08 1f90 c6336407"	/* 198.51.100.7:8080 */
#define V4B	"fe08 0050 cb007101"	/* 203.0.113.1:80 */
#define V6	"fd14 1f90 20010db8000c00000000000000000007"
#define V6K	"fe14 1f90 20010db8000c00000000000000000007"

static const struct tcase cases[] = {
	{ "empty", "", 0, VTOA_PARSE_NONE, NULL, 0, 0, 0, 0 },
	{ "v4 alone", V4, 0, VTOA_PARSE_FOUND, "4/8080/c6336407", 1, 0, 0, 0 },
	{ "v6 alone", V6, 0, VTOA_PARSE_FOUND,
	  "6/8080/20010db8000c00000000000000000007", 1, 0, 0, 0 },
	{ "v4 after nops", "0101" V4 "0000", 0, VTOA_PARSE_FOUND,
	  "4/8080/c6336407", 1, 0, 0, 0 },
	{ "v4 after mss sackok ts", "020405b4 0402 080a0000000100000000 01"
	  V4, 0, VTOA_PARSE_FOUND, "4/8080/c6336407", 1, 0, 0, 0 },
	{ "v4 before timestamps", V4 "0101080a0000000100000000", 0,
	  VTOA_PARSE_FOUND, "4/8080/c6336407", 1, 0, 0, 0 },
	{ "nop eol then v4 ignored (after EOL is padding)", "0100" V4, 0,
	  VTOA_PARSE_NONE, NULL, 0, 0, 0, 0 },
	{ "first valid wins", V4 V4B, 0, VTOA_PARSE_FOUND, "4/8080/c6336407",
	  2, 0, 0, 0 },
	{ "five toas, first wins", V4 V4B V4B V4B V4B, 0, VTOA_PARSE_FOUND,
	  "4/8080/c6336407", 5, 0, 0, 0 },
	{ "bad-length toa then valid", "fe060000c633" V4, 0, VTOA_PARSE_FOUND,
	  "4/8080/c6336407", 1, 1, 0, 0 },
	{ "v4 kind wrong length 7", "fe07 1f90 c63364 00", 0,
	  VTOA_PARSE_MALFORMED, NULL, 0, 1, 0, 0 },
	{ "v4 kind length 10", "fe0a 1f90 c6336407 0000", 0,
	  VTOA_PARSE_MALFORMED, NULL, 0, 1, 0, 0 },
	{ "v6 kind length 8", "fd08 1f90 c6336407", 0, VTOA_PARSE_MALFORMED,
	  NULL, 0, 1, 0, 0 },
	{ "v6 kind length 18", "fd12 1f90 20010db8000c000000000000000000000000",
	  0, VTOA_PARSE_MALFORMED, NULL, 0, 1, 0, 0 },
	{ "254/20 refused by default", V6K, 0, VTOA_PARSE_MALFORMED, NULL,
	  0, 1, 0, 0 },
	{ "254/20 accepted with ipv6_kind254", V6K, VTOA_PARSE_V6_KIND254,
	  VTOA_PARSE_FOUND, "6/8080/20010db8000c00000000000000000007",
	  1, 0, 0, 0 },
	{ "length 0", "fe00 1f90 c6336407", 0, VTOA_PARSE_MALFORMED, NULL,
	  -1, -1, 0, 1 },
	{ "length 1", "fe01 1f90 c6336407", 0, VTOA_PARSE_MALFORMED, NULL,
	  -1, -1, 0, 1 },
	{ "unknown kind length 0 before toa", "2200" V4, 0,
	  VTOA_PARSE_MALFORMED, NULL, 0, 0, 0, 1 },
	{ "unknown kind length past end before toa", "22ff" V4, 0,
	  VTOA_PARSE_MALFORMED, NULL, 0, 0, 0, 1 },
	{ "toa running past the header", "fe08 1f90 c633", 0,
	  VTOA_PARSE_MALFORMED, NULL, 0, 0, 0, 1 },
	{ "v6 truncated", "fd14 1f90 20010db8000c0000", 0,
	  VTOA_PARSE_MALFORMED, NULL, 0, 0, 0, 1 },
	{ "kind byte without length at end", V4 "fe", 0,
	  VTOA_PARSE_MALFORMED, NULL, 1, 0, 0, 1 },
	{ "valid toa then garbage length poisons the list", V4 "0301", 0,
	  VTOA_PARSE_MALFORMED, NULL, 1, 0, 0, 1 },
	{ "mss only", "020405b4", 0, VTOA_PARSE_NONE, NULL, 0, 0, 0, 0 },
	{ "tfo cookie on syn is not toa", "fe08 f989 01020304", VTOA_PARSE_SYN,
	  VTOA_PARSE_NONE, NULL, 0, 0, 1, 0 },
	{ "tfo request on syn", "fe04 f989 0000", VTOA_PARSE_SYN,
	  VTOA_PARSE_NONE, NULL, 0, 0, 1, 0 },
	{ "tfo then toa on syn", "fe08 f989 01020304" V4, VTOA_PARSE_SYN,
	  VTOA_PARSE_FOUND, "4/8080/c6336407", 1, 0, 1, 0 },
	{ "port f989 on non-syn is a toa", "fe08 f989 01020304", 0,
	  VTOA_PARSE_FOUND, "4/63881/01020304", 1, 0, 0, 0 },
	{ "toa on syn is a toa", V4, VTOA_PARSE_SYN, VTOA_PARSE_FOUND,
	  "4/8080/c6336407", 1, 0, 0, 0 },
};

static int unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ')
			continue;
		if (sscanf((char[]){ *hex, 0 }, "%x", &v) != 1)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == max)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

static void fmt(const struct vtoa_addr *a, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u/%u/", a->family,
			 (unsigned int)(a->port[0] << 8 | a->port[1]));
	unsigned int i;

	for (i = 0; i < (a->family == 4 ? 4u : 16u); i++)
		n += snprintf(buf + n, len - n, "%02x", a->addr[i]);
}

static int check(const char *name, int got, int want, const char *what)
{
	if (want < 0 || got == want)
		return 0;
	printf("FAIL %s: %s = %d, want %d\n", name, what, got, want);
	return 1;
}

int main(void)
{
	unsigned int i, passed = 0, failed = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		unsigned char opt[64];
		struct vtoa_addr a;
		struct vtoa_parse_info info;
		char got[80];
		int bad = 0, n = unhex(c->hex, opt, sizeof(opt));
		enum vtoa_parse_result r;

		if (n < 0) {
			printf("FAIL %s: bad hex in test\n", c->name);
			failed++;
			continue;
		}
		/* exact-size heap copy so ASan catches any over-read */
		unsigned char *heap = malloc(n ? n : 1);

		memcpy(heap, opt, n);
		memset(&a, 0xaa, sizeof(a));
		r = vtoa_parse_options(heap, n, c->flags, &a, &info);
		free(heap);
		bad |= check(c->name, r, c->want, "result");
		if (c->want == VTOA_PARSE_FOUND) {
			fmt(&a, got, sizeof(got));
			if (strcmp(got, c->addr)) {
				printf("FAIL %s: address %s, want %s\n", c->name,
				       got, c->addr);
				bad = 1;
			}
		}
		bad |= check(c->name, info.toa_options, c->toa, "toa_options");
		bad |= check(c->name, info.bad_toa_options, c->bad,
			     "bad_toa_options");
		bad |= check(c->name, info.tfo_options, c->tfo, "tfo_options");
		bad |= check(c->name, info.list_malformed, c->list_bad,
			     "list_malformed");
		if (bad) {
			failed++;
		} else {
			passed++;
			printf("ok   %s\n", c->name);
		}
	}

	/* kind 254 length 20 refused is counted apart (doctor's hint) */
	{
		unsigned char o[20] = { 0xfe, 20, 0x1f, 0x90, 0x20, 0x01 };
		struct vtoa_addr a;
		struct vtoa_parse_info info;

		vtoa_parse_options(o, sizeof(o), 0, &a, &info);
		if (info.kind254_len20 == 1) {
			vtoa_parse_options(o, sizeof(o), VTOA_PARSE_V6_KIND254,
					   &a, &info);
		}
		if (info.kind254_len20 == 0 && info.toa_options == 1) {
			passed++;
			printf("ok   kind254_len20 counted only when refused\n");
		} else {
			failed++;
			printf("FAIL kind254_len20\n");
		}
	}

	/* longer than any TCP header: refused without reading */
	{
		unsigned char big[41] = { 0 };
		struct vtoa_addr a;
		struct vtoa_parse_info info;

		if (vtoa_parse_options(big, sizeof(big), 0, &a, &info) ==
		    VTOA_PARSE_MALFORMED) {
			passed++;
			printf("ok   over 40 bytes\n");
		} else {
			failed++;
			printf("FAIL over 40 bytes\n");
		}
	}

	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
