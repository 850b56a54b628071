// SPDX-License-Identifier: GPL-2.0
/*
 * toa-peer - plays a FULLNAT proxy over a TUN device.
 *
 * The kernel under test owns 192.0.2.1/24 and 2001:db8::1/64 on the TUN
 * device; toa-peer reads and writes raw IP packets on the TUN fd and
 * speaks just enough TCP from other addresses of those subnets to open
 * real connections to the kernel, with arbitrary TCP options (TOA) on the
 * SYN, on the handshake-completing ACK and on the first data segment.
 *
 *   toa-peer setup|teardown [--dev vtoa0]
 *   toa-peer conn --src IP --dst IP:PORT ...     one connection
 *   toa-peer load --src IP --dst IP:PORT --count N ...  many, one event loop
 *
 * load --toa random gives every connection random option lists (valid,
 * malformed and several TOAs) and predicts each answer with the module's
 * own parser, kmod/parse.c, linked in.
 *
 * Only 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32 are used.
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "parse.h"		/* kmod/parse.h: the module's option parser */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define MAX_OPT		40
#define MAX_DATA	1400
#define RTO_NS		1000000000ull	/* retransmit after 1 s of no progress */
#define LINE_MAX_LEN	512
#define RCV_WINDOW	65535
#define PORT_LINGER	(-1)	/* portmap: closed by us, ACK a late FIN */

#define SEQ_LT(a, b)	((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b)	((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)	SEQ_LT(b, a)

enum { CLOSE_FIN, CLOSE_RST, CLOSE_KEEP };
enum { UNTIL_LINE, UNTIL_CLOSE };
enum { TOA_NONE, TOA_V4, TOA_V6, TOA_RANDOM };
/* where a connection's expected TOA comes from (--toa random) */
enum { SRC_SYN, SRC_ACK, SRC_DATA, SRC_NONE, SRC_NR };
enum { EXP_AUTO, EXP_TOA, EXP_PROXY, EXP_NOMOD };
enum { VERIFY_NONE, VERIFY_OPT, VERIFY_FULL };

struct ipaddr {
	int af;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	} u;
};

static struct cfg {
	const char *dev;
	bool load;
	struct ipaddr src, dst;
	bool have_src, have_dst;
	uint16_t dport;
	long sport;			/* -1: pick */
	uint8_t syn_opt[MAX_OPT];
	int syn_optlen;
	uint8_t ack_opt[MAX_OPT];
	int ack_optlen;
	uint8_t data_opt[MAX_OPT];
	int data_optlen;
	char data[MAX_DATA];
	size_t datalen;
	int close_mode;
	int until;
	double timeout;
	long count;
	long parallel;
	int toa;
	unsigned long seed;		/* --toa random */
	bool defer;			/* server uses TCP_DEFER_ACCEPT */
	int expect;
	int verify;
	bool verbose;
	bool trace;
	int max_report;
} C = {
	.dev = "vtoa0",
	.sport = -1,
	.syn_opt = { 0x02, 0x04, 0x05, 0xb4 },	/* MSS 1460 */
	.syn_optlen = 4,
	.close_mode = CLOSE_FIN,
	.until = UNTIL_LINE,
	.timeout = 10,
	.count = 1,
	.parallel = 64,
	.toa = TOA_V4,
	.verify = VERIFY_FULL,
	.max_report = 5,
};

enum { S_FREE, S_SYN_SENT, S_EST, S_FIN_WAIT };
static const char *const sname[] = { "free", "SYN_SENT", "ESTABLISHED",
				     "FIN_WAIT" };

struct conn {
	uint8_t state;
	bool ts_ok;		/* timestamps negotiated: send TS on all segments */
	bool got_fin, got_line, fin_sent, reply_done;
	uint8_t retries;	/* port changes after "4-tuple in use" */
	uint16_t sport;
	long idx;
	uint32_t iss, irs, snd_una, snd_nxt, rcv_nxt;
	uint32_t ts_recent;
	uint64_t t_start, t_progress;
	uint64_t rcvd;		/* reply bytes received */
	uint8_t syn_opt[MAX_OPT];
	uint8_t ack_opt[MAX_OPT];
	uint8_t data_opt[MAX_OPT];
	uint8_t syn_optlen, ack_optlen, data_optlen;
	/* the TOA the kernel must report: exp.family 0 = none (the proxy) */
	struct vtoa_addr exp;
	uint8_t exp_src;	/* SRC_* */
	char line[LINE_MAX_LEN];
	size_t linelen;
};

static struct {
	int fd;
	struct conn *slots;
	long nslots;
	long *freelist;		/* free slots (stack) */
	long nfree;
	uint64_t next_timer;	/* no deadline before this */
	int32_t portmap[65536];	/* slot + 1 of the conn using a source port */
	uint32_t next_port;
	long started, finished, active;
	long ok, bad, failed;
	int reported;
	uint64_t now;
	bool ts_warned;
	bool conn_ok;		/* conn mode result */
	/* kernel state for the expected answers (load) */
	bool mod_gso, mod_gpn;
	bool kind254;		/* ipv6_kind254: kind 254 length 20 is IPv6 */
	bool bpf;		/* the eBPF backend (bpf/) is attached, not the module */
	const char *enoent;	/* 1349 without a TOA: E/ENOENT (E/ENOPROTOOPT: eBPF before 5.18) */
	int expect;
	long src_count[SRC_NR];	/* --toa random: connections by TOA source */
	uint64_t tx_errors;
	uint64_t retrans, port_retries;
} P = { .fd = -1 };

/* ------------------------------------------------------------------ */
/* argument helpers                                                     */

static bool parse_ip(const char *s, struct ipaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->af = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->af = AF_INET6;
		return true;
	}
	return false;
}

/* IP:PORT or [IP6]:PORT */
static bool parse_ipport(const char *s, struct ipaddr *a, uint16_t *port)
{
	char buf[128];
	const char *p;
	long v;

	if (strlen(s) >= sizeof(buf))
		return false;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || e[1] != ':')
			return false;
		memcpy(buf, s + 1, (size_t)(e - s - 1));
		buf[e - s - 1] = 0;
		p = e + 2;
		if (!parse_ip(buf, a) || a->af != AF_INET6)
			return false;
	} else {
		const char *c = strrchr(s, ':');

		if (!c)
			return false;
		memcpy(buf, s, (size_t)(c - s));
		buf[c - s] = 0;
		p = c + 1;
		if (!parse_ip(buf, a) || a->af != AF_INET)
			return false;
	}
	if (!parse_long(p, 1, 65535, &v))
		return false;
	*port = (uint16_t)v;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Pad an option list with EOL (00) to a multiple of 4 bytes, in place. */
static int opt_pad(uint8_t *b, int n)
{
	while (n % 4)
		b[n++] = 0;
	return n;
}

/* Raw option bytes; spaces, colons, commas ignored; padded with EOL to x4. */
static void parse_hexopt(const char *flag, const char *s, uint8_t *out, int *len)
{
	uint8_t tmp[256];
	int n = 0, half = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == ':' || *s == ',' || *s == '\t')
			continue;
		v = hexval((unsigned char)*s);
		if (v < 0)
			usage_die("%s: '%c' is not a hex digit", flag, *s);
		if (half < 0) {
			half = v;
			continue;
		}
		if (n >= (int)sizeof(tmp))
			usage_die("%s: too long (max %d bytes)", flag, MAX_OPT);
		tmp[n++] = (uint8_t)(half << 4 | v);
		half = -1;
	}
	if (half >= 0)
		usage_die("%s: odd number of hex digits", flag);
	n = opt_pad(tmp, n);	/* EOL padding */
	if (n > MAX_OPT)
		usage_die("%s: %d bytes of options (padded), max %d", flag, n,
			  MAX_OPT);
	memcpy(out, tmp, (size_t)n);
	*len = n;
}

static void parse_data(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		char c = *s;

		if (c == '\\' && s[1]) {
			s++;
			switch (*s) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '0': c = '\0'; break;
			case '\\': c = '\\'; break;
			case 'x':
				if (hexval((unsigned char)s[1]) >= 0 &&
				    hexval((unsigned char)s[2]) >= 0) {
					c = (char)(hexval((unsigned char)s[1]) << 4 |
						   hexval((unsigned char)s[2]));
					s += 2;
					break;
				}
				/* fall through */
			default:
				usage_die("--data: unknown escape '\\%c'", *s);
			}
		}
		if (n >= MAX_DATA)
			usage_die("--data: longer than %d bytes", MAX_DATA);
		C.data[n++] = c;
	}
	C.datalen = n;
}

/* ------------------------------------------------------------------ */
/* TUN device                                                           */

static int tun_open(bool create)
{
	struct ifreq ifr;
	int fd;

	if (strlen(C.dev) >= IFNAMSIZ)
		usage_die("--dev: name too long");
	if (!create && !if_nametoindex(C.dev))
		die("device %s does not exist (run 'toa-peer setup --dev %s' first)",
		    C.dev, C.dev);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("cannot open /dev/net/tun: %s (run as root)", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, C.dev, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		if (errno == EBUSY)
			die("cannot attach to %s: %s (another toa-peer running?)",
			    C.dev, strerror(errno));
		die("cannot attach to %s: %s (is it a TUN device without packet info?)",
		    C.dev, strerror(errno));
	}
	return fd;
}

static unsigned dev_flags(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned fl = 0;

	if (s < 0)
		s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, C.dev, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0)
		fl = (unsigned)(unsigned short)ifr.ifr_flags;
	close(s);
	return fl;
}

/*
 * Attach to the TUN device and wait until the kernel can transmit on it.
 * Attaching turns the carrier on, but the qdisc is only activated later
 * by the linkwatch worker; until then the kernel's SYN-ACKs are dropped.
 * linkwatch announces the new state with RTM_NEWLINK after activating
 * the qdisc, so wait (at most 2 s) for that message.
 */
static int tun_attach(void)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK,
				   .nl_groups = RTMGRP_LINK };
	unsigned idx = if_nametoindex(C.dev);
	unsigned fl;
	int nl, fd;
	uint64_t deadline;

	if (strlen(C.dev) >= IFNAMSIZ)
		usage_die("--dev: name too long");
	if (!idx)
		die("device %s does not exist (run 'toa-peer setup --dev %s' first)",
		    C.dev, C.dev);
	fl = dev_flags();
	if (!(fl & IFF_UP))
		die("device %s is down (run 'toa-peer setup --dev %s')", C.dev,
		    C.dev);
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_ROUTE);
	if (nl >= 0 && bind(nl, (struct sockaddr *)&snl, sizeof(snl)) < 0) {
		close(nl);
		nl = -1;
	}
	fd = tun_open(false);
	if (fl & IFF_RUNNING) {		/* carrier did not change */
		if (nl >= 0)
			close(nl);
		return fd;
	}
	deadline = now_ns() + 2000000000ull;
	for (;;) {
		uint64_t t = now_ns();
		struct pollfd pfd = { .fd = nl, .events = POLLIN };
		char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));

		if (t >= deadline) {
			msg("warning: %s not running after 2 s; continuing", C.dev);
			break;
		}
		if (nl < 0) {
			/* No netlink: poll the flags, then allow activation. */
			if (dev_flags() & IFF_RUNNING) {
				poll(NULL, 0, 5);
				break;
			}
			poll(NULL, 0, 1);
			continue;
		}
		if (poll(&pfd, 1, (int)((deadline - t) / 1000000) + 1) <= 0)
			continue;
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		bool up = false;

		if (n < 0) {
			if (errno == ENOBUFS)	/* overrun: look directly */
				up = dev_flags() & IFF_RUNNING;
			if (!up)
				continue;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     n > 0 && NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);

			if (h->nlmsg_type == RTM_NEWLINK &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)) &&
			    (unsigned)ifi->ifi_index == idx &&
			    (ifi->ifi_flags & IFF_RUNNING))
				up = true;
		}
		if (up)
			break;
	}
	if (nl >= 0)
		close(nl);
	return fd;
}

static int run_cmd(char *const argv[], bool quiet)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (quiet) {
			int dn = open("/dev/null", O_WRONLY);

			if (dn >= 0) {
				dup2(dn, 1);
				dup2(dn, 2);
			}
		}
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static bool write_proc(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

static void ip_or_die(char *const argv[])
{
	if (run_cmd(argv, false) != 0)
		die("'ip %s %s %s ...' failed", argv[1], argv[2],
		    argv[3] ? argv[3] : "");
}

static int cmd_setup(void)
{
	char path[128];
	char *dev = (char *)C.dev;
	bool v6;

	if (!if_nametoindex(C.dev)) {
		int fd = tun_open(true);

		if (ioctl(fd, TUNSETPERSIST, 1) < 0)
			die("TUNSETPERSIST on %s: %s", C.dev, strerror(errno));
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s", C.dev);
	v6 = access(path, F_OK) == 0;
	if (v6) {
		static const char *const knobs[][2] = {
			{ "disable_ipv6", "0" }, { "accept_dad", "0" },
			{ "accept_ra", "0" }, { "router_solicitations", "0" },
		};
		for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s",
				 C.dev, knobs[i][0]);
			if (!write_proc(path, knobs[i][1]) && i < 2)
				die("cannot write %s: %s", path, strerror(errno));
		}
	} else {
		msg("warning: no IPv6 on this kernel, only 192.0.2.1/24 configured");
	}
	/* A long TUN queue: the kernel drops what does not fit. */
	ip_or_die((char *const[]){ "ip", "link", "set", dev, "txqueuelen",
				   "10000", "up", NULL });
	ip_or_die((char *const[]){ "ip", "addr", "replace", "192.0.2.1/24",
				   "dev", dev, NULL });
	if (v6)
		ip_or_die((char *const[]){ "ip", "-6", "addr", "replace",
					   "2001:db8::1/64", "dev", dev,
					   "nodad", NULL });
	return 0;
}

static int cmd_teardown(void)
{
	struct ifreq ifr;
	int fd;

	if (!if_nametoindex(C.dev))
		return 0;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("cannot open /dev/net/tun: %s (run as root)", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, C.dev, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 0) < 0) {
		close(fd);
		/* not ours (or busy): fall back to ip */
		if (run_cmd((char *const[]){ "ip", "link", "del", (char *)C.dev,
					     NULL }, false) != 0)
			die("cannot remove %s", C.dev);
		return 0;
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* packets                                                              */

static uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t get16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t ts_now(void)
{
	return (uint32_t)(P.now / 1000000);	/* 1 ms clock */
}

static void trace_seg(const char *dir, const struct conn *c, const uint8_t *th,
		      size_t thl, size_t dlen)
{
	char fl[8], opt[2 * MAX_OPT + 1];
	int n = 0;
	static const char fch[] = "FSRPAU";

	for (int i = 0; i < 6; i++)
		if (th[13] & (1 << i))
			fl[n++] = fch[i];
	fl[n] = 0;
	for (size_t i = 20; i < thl && i < 20 + MAX_OPT; i++)
		snprintf(opt + 2 * (i - 20), 3, "%02x", th[i]);
	opt[thl > 20 ? 2 * (thl - 20) : 0] = 0;
	fprintf(stderr, "%s: %.6f %s %u %s seq=%u ack=%u win=%u len=%zu%s%s\n",
		prog, (double)(P.now % 1000000000000ull) / 1e9, dir, c->sport,
		fl, (th[13] & TH_SYN) ? 0 :
		get32(th + 4) - (dir[0] == '>' ? c->iss : c->irs),
		get32(th + 8) - (dir[0] == '>' ? c->irs : c->iss),
		get16(th + 14), dlen, thl > 20 ? " opt=" : "",
		thl > 20 ? opt : "");
}

static void tx(struct conn *c, uint8_t flags, uint32_t seq,
	       const uint8_t *opt, int optlen, const void *data, size_t dlen)
{
	uint8_t pkt[60 + 40 + MAX_DATA + 64];
	uint8_t opts[MAX_OPT];
	int ol = 0;
	size_t iphl = C.src.af == AF_INET ? 20 : 40;
	uint8_t *ip = pkt, *th = pkt + iphl;
	uint64_t sum;

	if (c->ts_ok && !(flags & TH_RST)) {
		if (12 + optlen <= MAX_OPT) {
			static const uint8_t hdr[4] = { 1, 1, 8, 10 };

			memcpy(opts, hdr, 4);
			put32(opts + 4, ts_now());
			put32(opts + 8, c->ts_recent);
			ol = 12;
		} else if (!P.ts_warned) {
			P.ts_warned = true;
			msg("warning: no room for the timestamp option next to %d option bytes; sending without",
			    optlen);
		}
	}
	if (optlen) {
		memcpy(opts + ol, opt, (size_t)optlen);
		ol += optlen;
	}

	size_t thl = 20 + (size_t)ol, tlen = thl + dlen;

	memset(pkt, 0, iphl + 20);
	put16(th, c->sport);
	put16(th + 2, C.dport);
	put32(th + 4, seq);
	put32(th + 8, (flags & TH_ACK) ? c->rcv_nxt : 0);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	put16(th + 14, RCV_WINDOW);
	memcpy(th + 20, opts, (size_t)ol);
	if (dlen)
		memcpy(th + thl, data, dlen);

	if (C.src.af == AF_INET) {
		uint8_t ph[12];

		ip[0] = 0x45;
		put16(ip + 2, (uint32_t)(iphl + tlen));
		put16(ip + 4, (uint32_t)(P.now >> 10) ^ c->sport);
		put16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, &C.src.u.v4, 4);
		memcpy(ip + 16, &C.dst.u.v4, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		memcpy(ph, &C.src.u.v4, 4);
		memcpy(ph + 4, &C.dst.u.v4, 4);
		ph[8] = 0;
		ph[9] = IPPROTO_TCP;
		put16(ph + 10, (uint32_t)tlen);
		sum = csum_add(0, ph, sizeof(ph));
	} else {
		uint8_t ph[40];

		put32(ip, 0x60000000);
		put16(ip + 4, (uint32_t)tlen);
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, &C.src.u.v6, 16);
		memcpy(ip + 24, &C.dst.u.v6, 16);
		memcpy(ph, &C.src.u.v6, 16);
		memcpy(ph + 16, &C.dst.u.v6, 16);
		put32(ph + 32, (uint32_t)tlen);
		put32(ph + 36, IPPROTO_TCP);
		sum = csum_add(0, ph, sizeof(ph));
	}
	sum = csum_add(sum, th, tlen);
	put16(th + 16, csum_fold(sum));
	if (C.trace)
		trace_seg(">", c, th, thl, dlen);

	for (;;) {
		ssize_t n = write(P.fd, pkt, iphl + tlen);

		if (n >= 0)
			return;
		if (errno == EINTR)
			continue;
		if (errno == EIO)
			die("write to %s: %s (is the device up? run 'toa-peer setup')",
			    C.dev, strerror(errno));
		/* EAGAIN/ENOBUFS/...: the segment is lost; retransmission copes */
		if (!P.tx_errors++)
			msg("warning: write to %s: %s", C.dev, strerror(errno));
		return;
	}
}

static void tx_syn(struct conn *c)
{
	tx(c, TH_SYN, c->iss, c->syn_opt, c->syn_optlen, NULL, 0);
}

static void tx_hs_ack(struct conn *c)
{
	tx(c, TH_ACK, c->iss + 1, c->ack_opt, c->ack_optlen, NULL, 0);
}

static void tx_data(struct conn *c)
{
	tx(c, TH_PSH | TH_ACK, c->iss + 1, c->data_opt, c->data_optlen,
	   C.data, C.datalen);
}

static void tx_ack(struct conn *c)
{
	tx(c, TH_ACK, c->snd_nxt, NULL, 0, NULL, 0);
}

static void tx_fin(struct conn *c)
{
	tx(c, TH_FIN | TH_ACK, c->iss + 1 + (uint32_t)C.datalen, NULL, 0,
	   NULL, 0);
}

static bool syn_has_ts(void)
{
	for (int i = 0; i < C.syn_optlen;) {
		uint8_t k = C.syn_opt[i];

		if (k == 0)
			return false;
		if (k == 1) {
			i++;
			continue;
		}
		if (i + 1 >= C.syn_optlen || C.syn_opt[i + 1] < 2)
			return false;
		if (k == 8 && C.syn_opt[i + 1] == 10)
			return true;
		i += C.syn_opt[i + 1];
	}
	return false;
}

/* Find the timestamp option in a received TCP header. */
static bool find_ts(const uint8_t *opt, size_t len, uint32_t *tsval)
{
	for (size_t i = 0; i < len;) {
		uint8_t k = opt[i];

		if (k == 0)
			return false;
		if (k == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			return false;
		if (k == 8 && opt[i + 1] == 10) {
			*tsval = get32(opt + i + 2);
			return true;
		}
		i += opt[i + 1];
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* connections                                                          */

static uint32_t rand32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)now_ns() * 2654435761u ^ (uint32_t)getpid();
	return v;
}

static uint32_t make_iss(void)
{
	/*
	 * Clock based like Linux (64 ns ticks), so that a new connection on
	 * a 4-tuple the server still holds in TIME_WAIT gets a higher ISN and
	 * is accepted.
	 */
	return (uint32_t)(now_ns() >> 6) + (rand32() & 0xffff);
}

static bool alloc_port(struct conn *c, long slot)
{
	if (C.sport >= 0 && !C.load) {
		c->sport = (uint16_t)C.sport;
	} else {
		/* Free ports first, then ones lingering after our close. */
		for (int tries = 0;; tries++) {
			if (tries > 2 * 65536)
				return false;
			if (P.next_port < 1024 || P.next_port > 65535)
				P.next_port = 1024;
			if (!P.portmap[P.next_port] ||
			    (tries > 65536 && P.portmap[P.next_port] == PORT_LINGER))
				break;
			P.next_port++;
		}
		c->sport = (uint16_t)P.next_port++;
	}
	P.portmap[c->sport] = (int32_t)(slot + 1);
	return true;
}

/* ------------------------------------------------------------------ */
/* --toa random: option lists from a PRNG, answers from kmod/parse.c      */

struct gen {
	uint64_t s;		/* xorshift64* state, never 0 */
	long idx;
	unsigned int k;		/* address-carrying options made so far */
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t gen_u32(struct gen *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return (uint32_t)((g->s * 0x2545f4914f6cdd1dull) >> 32);
}

static unsigned int gen_n(struct gen *g, unsigned int n)
{
	return gen_u32(g) % n;
}

/*
 * Port and address (18 bytes) for the next address-carrying option of the
 * connection, distinct from every other one of the run: n = idx * 32 + k;
 * port 1024 + n % 60000 (never 0xf989, the TFO magic); IPv4
 * 198.51.100.(1 + (n / 60000 + seed) % 254); IPv6
 * 2001:db8:c:SEED:0:k:IDX+1 (seed's low 16 bits, idx + 1 as 32 bits).
 */
static void gen_addr(struct gen *g, uint8_t *p, int family)
{
	static const uint8_t pfx[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0c };
	unsigned int k = g->k++ & 31;
	unsigned long n = (unsigned long)g->idx * 32 + k;

	memset(p, 0, 18);
	put16(p, (uint32_t)(1024 + n % 60000));
	if (family == 4) {
		p[2] = 198;
		p[3] = 51;
		p[4] = 100;
		p[5] = (uint8_t)(1 + (n / 60000 + C.seed) % 254);
		p[6] = (uint8_t)gen_u32(g);	/* what a length 9 carries */
	} else {
		memcpy(p + 2, pfx, 6);
		put16(p + 8, (uint32_t)C.seed);
		put16(p + 12, k);
		put32(p + 14, (uint32_t)(g->idx + 1));
	}
}

/* Ingredients of a random list and their weights. */
enum { G_NOP, G_EOL, G_TOA4, G_TOA6, G_K254_20, G_TFO, G_BADLEN, G_SILLY,
       G_OVERRUN, G_LONE, G_UNKNOWN, G_SACKPERM, G_NR };
static const uint8_t gen_weight[G_NR] = {
	[G_NOP] = 10, [G_EOL] = 4, [G_TOA4] = 16, [G_TOA6] = 8,
	[G_K254_20] = 6, [G_TFO] = 6, [G_BADLEN] = 8, [G_SILLY] = 3,
	[G_OVERRUN] = 3, [G_LONE] = 2, [G_UNKNOWN] = 10, [G_SACKPERM] = 5,
};

/*
 * One random option list into b (at most MAX_OPT bytes once padded);
 * returns its length, padded with EOL like --ack-opt. A SYN's list starts
 * with MSS 1460. Never kinds 2/3 (besides that MSS), 8 (timestamps: later
 * segments would have to carry them), 19 (MD5: the kernel drops the
 * segment), 29 (TCP-AO), 30 (MPTCP), 34 (TFO cookie).
 *
 * What breaks the list (a length of 0 or 1, an option running past the
 * end, a kind byte without its length) comes last and starts in the last
 * 4 bytes: from 6.7 on (TCP-AO) the kernel drops a segment whose option
 * list breaks where 5 or more bytes are left (tcp_inbound_hash(): 18 with
 * MD5 alone), before the module sees it; 6.1 and older take it. Junk after
 * an EOL is not looked at by anybody.
 */
static int gen_list(struct gen *g, uint8_t *b, bool syn)
{
	static const uint8_t mss[4] = { 0x02, 0x04, 0x05, 0xb4 };
	static const uint8_t badlen[][2] = {
		{ 254, 7 }, { 254, 9 }, { 254, 6 }, { 253, 19 }, { 253, 18 },
	};
	static const uint8_t junk_kind[4] = { 254, 253, 99, 200 };
	unsigned int total = 0, items;
	uint8_t a[18];
	int n = 0;

	if (syn) {
		memcpy(b, mss, sizeof(mss));
		n = sizeof(mss);
	}
	if (gen_n(g, 100) < 20)
		return n;	/* empty (a SYN: the MSS only) */
	for (int i = 0; i < G_NR; i++)
		total += gen_weight[i];
	items = 1 + gen_n(g, 6);
	for (unsigned int it = 0; it < items; it++) {
		unsigned int r = gen_n(g, total), w = 0, l;
		int room = MAX_OPT - n, p;

		while (r >= gen_weight[w])
			r -= gen_weight[w++];
		switch (w) {
		case G_NOP:
		case G_EOL:	/* whatever follows an EOL is padding */
			if (room >= 1)
				b[n++] = w == G_NOP ? 1 : 0;
			break;
		case G_TOA4:
			if (room < 8)
				break;
			b[n] = VTOA_OPT_KIND_V4;
			b[n + 1] = VTOA_OPT_LEN_V4;
			gen_addr(g, a, 4);
			memcpy(b + n + 2, a, 6);
			n += 8;
			break;
		case G_TOA6:
		case G_K254_20:
			if (room < 20)
				break;
			b[n] = w == G_TOA6 ? VTOA_OPT_KIND_V6 : VTOA_OPT_KIND_V4;
			b[n + 1] = 20;
			gen_addr(g, a, 6);
			memcpy(b + n + 2, a, 18);
			n += 20;
			break;
		case G_TFO:	/* RFC 7413 experimental option, cookie request */
			if (!syn || room < 4)
				break;
			b[n] = 254;
			b[n + 1] = 4;
			put16(b + n + 2, VTOA_TFO_MAGIC);
			n += 4;
			break;
		case G_BADLEN:	/* a TOA kind with a wrong length */
			r = gen_n(g, ARRAY_SIZE(badlen));
			l = badlen[r][1];
			if (room < (int)l)
				break;
			b[n] = badlen[r][0];
			b[n + 1] = (uint8_t)l;
			gen_addr(g, a, b[n] == VTOA_OPT_KIND_V4 ? 4 : 6);
			memcpy(b + n + 2, a, l - 2);
			n += (int)l;
			break;
		case G_SILLY:	/* length 0 or 1: the list is broken here */
		case G_OVERRUN:	/* the last option runs past the (padded) end */
			/* in the last 4 bytes (see above): NOP to get there */
			l = n % 4 == 3;
			if (room < (int)l + 2)
				break;
			if (l)
				b[n++] = 1;
			p = n;
			b[n] = junk_kind[gen_n(g, 4)];
			b[n + 1] = w == G_SILLY ? (uint8_t)gen_n(g, 2) : 0;
			n += 2;
			/* up to the end of this 4-byte block */
			for (l = gen_n(g, 3); l > 0 && n % 4; l--)
				b[n++] = (uint8_t)gen_u32(g);
			n = opt_pad(b, n);
			if (w == G_SILLY)
				return n;
			if (b[p] == VTOA_OPT_KIND_V4)
				b[p + 1] = VTOA_OPT_LEN_V4;	/* truncated TOA */
			else if (b[p] == VTOA_OPT_KIND_V6)
				b[p + 1] = VTOA_OPT_LEN_V6;
			else
				b[p + 1] = (uint8_t)(n - p + 1 + (int)gen_n(g, 6));
			return n;
		case G_UNKNOWN:
			l = 2 + gen_n(g, 5);
			if (room < (int)l)
				break;
			b[n] = gen_n(g, 2) ? 99 : 200;
			b[n + 1] = (uint8_t)l;
			for (unsigned int i = 2; i < l; i++)
				b[n + (int)i] = (uint8_t)gen_u32(g);
			n += (int)l;
			break;
		case G_SACKPERM:
			if (room < 2)
				break;
			b[n] = 4;
			b[n + 1] = 2;
			n += 2;
			break;
		case G_LONE:	/* a kind byte without its length, at the end */
			l = (unsigned int)(3 - n % 4);	/* NOPs first */
			if (room < (int)l + 1)
				break;
			while (l--)
				b[n++] = 1;
			b[n++] = gen_n(g, 2) ? junk_kind[gen_n(g, 4)] : 4;
			return n;
		}
	}
	return opt_pad(b, n);
}

/*
 * The lists of connection c (from seed and index alone) and the answer
 * the module must give: the first TOA kmod/parse.c finds on the SYN, else
 * on the handshake ACK, else (TCP_DEFER_ACCEPT only) on the data segment.
 */
static void gen_random(struct conn *c)
{
	uint64_t x = (uint64_t)C.seed << 32 ^ (uint64_t)c->idx;
	struct gen g = { .idx = c->idx };
	unsigned int fl = P.kind254 ? VTOA_PARSE_V6_KIND254 : 0;
	struct vtoa_parse_info info;
	struct vtoa_addr a;

	g.s = splitmix64(&x);
	if (!g.s)
		g.s = 1;
	c->syn_optlen = (uint8_t)gen_list(&g, c->syn_opt, true);
	c->ack_optlen = (uint8_t)gen_list(&g, c->ack_opt, false);
	c->data_optlen = (uint8_t)gen_list(&g, c->data_opt, false);
	memset(&c->exp, 0, sizeof(c->exp));
	c->exp_src = SRC_NONE;
	if (vtoa_parse_options(c->syn_opt, c->syn_optlen, fl | VTOA_PARSE_SYN,
			       &a, &info) == VTOA_PARSE_FOUND)
		c->exp_src = SRC_SYN;
	else if (vtoa_parse_options(c->ack_opt, c->ack_optlen, fl, &a,
				    &info) == VTOA_PARSE_FOUND)
		c->exp_src = SRC_ACK;
	else if (C.defer &&
		 vtoa_parse_options(c->data_opt, c->data_optlen, fl, &a,
				    &info) == VTOA_PARSE_FOUND)
		c->exp_src = SRC_DATA;
	if (c->exp_src != SRC_NONE)
		c->exp = a;
}

/* The options of c's segments, and the TOA expected on it. */
static void build_toa(struct conn *c)
{
	uint16_t port = (uint16_t)(1024 + c->idx % 60000);
	uint8_t *o = c->ack_opt;

	memset(&c->exp, 0, sizeof(c->exp));
	c->exp_src = SRC_NONE;
	if (C.toa == TOA_RANDOM) {
		gen_random(c);
		return;
	}
	memcpy(c->syn_opt, C.syn_opt, (size_t)C.syn_optlen);
	c->syn_optlen = (uint8_t)C.syn_optlen;
	memcpy(c->data_opt, C.data_opt, (size_t)C.data_optlen);
	c->data_optlen = (uint8_t)C.data_optlen;
	c->ack_optlen = 0;
	if (!C.load) {
		memcpy(c->ack_opt, C.ack_opt, (size_t)C.ack_optlen);
		c->ack_optlen = (uint8_t)C.ack_optlen;
		return;
	}
	if (C.toa == TOA_V4) {
		o[0] = VTOA_OPT_KIND_V4;
		o[1] = VTOA_OPT_LEN_V4;
		put16(o + 2, port);
		o[4] = 198;
		o[5] = 51;
		o[6] = 100;
		o[7] = (uint8_t)(1 + c->idx % 254);
		c->ack_optlen = 8;
		c->exp.family = 4;
		memcpy(c->exp.port, o + 2, 2);
		memcpy(c->exp.addr, o + 4, 4);
		c->exp_src = SRC_ACK;
	} else if (C.toa == TOA_V6) {
		static const uint8_t pfx[12] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c };

		o[0] = VTOA_OPT_KIND_V6;
		o[1] = VTOA_OPT_LEN_V6;
		put16(o + 2, port);
		memcpy(o + 4, pfx, 12);
		put32(o + 16, (uint32_t)(c->idx + 1));
		o[20] = o[21] = o[22] = o[23] = 0;	/* EOL padding */
		c->ack_optlen = 24;
		c->exp.family = 6;
		memcpy(c->exp.port, o + 2, 2);
		memcpy(c->exp.addr, o + 4, 16);
		c->exp_src = SRC_ACK;
	}
}

static void conn_start(long slot, long idx)
{
	struct conn *c = &P.slots[slot];
	uint8_t retries = c->state == S_SYN_SENT ? c->retries : 0;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->retries = retries;
	if (!alloc_port(c, slot))
		die("no free source port");
	build_toa(c);
	c->iss = make_iss();
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->state = S_SYN_SENT;
	c->t_start = c->t_progress = P.now;
	if (P.now + (uint64_t)(C.timeout * 1e9) < P.next_timer)
		P.next_timer = P.now + (uint64_t)(C.timeout * 1e9);
	tx_syn(c);
}

static void fmt_ep(char *buf, size_t n, bool sock6, int af, const void *addr,
		   unsigned port)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(af, addr, ip, sizeof(ip));
	if (af == AF_INET && !sock6)
		snprintf(buf, n, "4/%s:%u", ip, port);
	else if (af == AF_INET)
		snprintf(buf, n, "6/[::ffff:%s]:%u", ip, port);
	else
		snprintf(buf, n, "6/[%s]:%u", ip, port);
}

/* Value of " key=" in a report line, into out. */
static bool get_tok(const char *line, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	const char *p = line;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t l;

			p += kl + 1;
			l = strcspn(p, " \r\n");
			if (l >= n)
				l = n - 1;
			memcpy(out, p, l);
			out[l] = 0;
			return true;
		}
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return false;
}

/* Check a report line against what the kernel should have answered. */
static bool verify_line(struct conn *c, char *why, size_t whylen)
{
	char lst[16], got[ADDR_TOKEN_MAX], proxy[ADDR_TOKEN_MAX];
	char toa[ADDR_TOKEN_MAX], toapeer[ADDR_TOKEN_MAX], name[ADDR_TOKEN_MAX];
	const char *exp_opt, *exp_toa, *exp_peer;
	unsigned int tport = get16(c->exp.port);
	bool sock6, honoured;
	struct { const char *key; const char *want; } chk[5];
	int nchk = 0;

	if (!c->got_line) {
		snprintf(why, whylen, "no complete report line");
		return false;
	}
	if (!get_tok(c->line, "listener", lst, sizeof(lst))) {
		snprintf(why, whylen, "not a toa-server line");
		return false;
	}
	sock6 = strcmp(lst, "v4") != 0;
	fmt_ep(proxy, sizeof(proxy), sock6, C.src.af, &C.src.u, c->sport);
	fmt_ep(name, sizeof(name), sock6, C.dst.af, &C.dst.u, C.dport);
	/*
	 * getsockopt answers by the TOA's family; getpeername() in the
	 * socket's family, except that an IPv6 TOA on an AF_INET socket
	 * comes back as a sockaddr_in6.
	 */
	if (c->exp.family == 4) {
		fmt_ep(toa, sizeof(toa), false, AF_INET, c->exp.addr, tport);
		fmt_ep(toapeer, sizeof(toapeer), sock6, AF_INET, c->exp.addr,
		       tport);
	} else if (c->exp.family == 6) {
		fmt_ep(toa, sizeof(toa), true, AF_INET6, c->exp.addr, tport);
		strcpy(toapeer, toa);
	} else {
		strcpy(toa, proxy);
		strcpy(toapeer, proxy);
	}
	honoured = P.expect == EXP_TOA && c->exp.family != 0;
	if (!P.mod_gso) {
		exp_opt = "E/ENOPROTOOPT";
		exp_toa = "E/ENOPROTOOPT";
	} else if (honoured) {
		exp_opt = toa;
		exp_toa = toa;
	} else {
		exp_opt = proxy;
		exp_toa = P.enoent;
	}
	exp_peer = P.mod_gpn && honoured ? toapeer : proxy;
	/* eBPF: an IPv6 TOA cannot become an AF_INET socket's peer (bpf/README.md) */
	if (P.bpf && !sock6 && c->exp.family == 6)
		exp_peer = proxy;

	chk[nchk].key = "opt";
	chk[nchk++].want = exp_opt;
	if (C.verify == VERIFY_FULL) {
		chk[nchk].key = "toa";
		chk[nchk++].want = exp_toa;
		chk[nchk].key = "peer";
		chk[nchk++].want = exp_peer;
		chk[nchk].key = "accept";
		chk[nchk++].want = exp_peer;
		chk[nchk].key = "name";
		chk[nchk++].want = name;
	}
	for (int i = 0; i < nchk; i++) {
		if (!get_tok(c->line, chk[i].key, got, sizeof(got)))
			strcpy(got, "(missing)");
		if (strcmp(got, chk[i].want)) {
			snprintf(why, whylen, "%s=%s, expected %s", chk[i].key,
				 got, chk[i].want);
			return false;
		}
	}
	return true;
}

static const char *const src_name[SRC_NR] = { "syn", "ack", "data", "none" };

static void hex_opt(char *buf, const uint8_t *o, int len)
{
	for (int i = 0; i < len; i++)
		sprintf(buf + 2 * i, "%02x", o[i]);
	buf[2 * (len > 0 ? len : 0)] = 0;
}

/* --toa random: the lists of a connection that went wrong, to replay it. */
static void report_opts(const struct conn *c)
{
	char s[2 * MAX_OPT + 1], a[2 * MAX_OPT + 1], d[2 * MAX_OPT + 1];

	if (C.toa != TOA_RANDOM)
		return;
	hex_opt(s, c->syn_opt, c->syn_optlen);
	hex_opt(a, c->ack_opt, c->ack_optlen);
	hex_opt(d, c->data_opt, c->data_optlen);
	msg("conn %ld: --syn-opt '%s' --ack-opt '%s' --data-opt '%s' (TOA expected from: %s%s)",
	    c->idx, s, a, d, src_name[c->exp_src],
	    P.kind254 ? ", ipv6_kind254=1" : "");
}

static void conn_end(struct conn *c, bool success, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void conn_end(struct conn *c, bool success, const char *fmt, ...)
{
	char why[300] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (!C.load) {
		P.conn_ok = success;
		if (!success)
			msg("%s", why);
	} else if (!success) {
		P.failed++;
		if (P.reported++ < C.max_report) {
			msg("conn %ld (sport %u): failed: %s", c->idx, c->sport,
			    why);
			report_opts(c);
		}
	} else if (C.verify == VERIFY_NONE) {
		P.ok++;
	} else {
		char vwhy[300];

		if (verify_line(c, vwhy, sizeof(vwhy))) {
			P.ok++;
		} else {
			P.bad++;
			if (P.reported++ < C.max_report) {
				c->line[strcspn(c->line, "\n")] = 0;
				msg("conn %ld (sport %u): bad: %s: %s", c->idx,
				    c->sport, vwhy, c->line);
				report_opts(c);
			}
		}
	}
	if (C.verbose && C.load && success)
		fprintf(stderr, "%s", c->line);
	if (C.load)
		P.src_count[c->exp_src]++;
	P.portmap[c->sport] = 0;
	c->state = S_FREE;
	P.freelist[P.nfree++] = c - P.slots;
	P.finished++;
	P.active--;
}

static void deliver(struct conn *c, const uint8_t *d, size_t n)
{
	c->rcvd += n;
	if (!C.load) {
		if (memchr(d, '\n', n))
			c->got_line = true;
		while (n) {
			ssize_t w = write(1, d, n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				die("write to stdout: %s", strerror(errno));
			d += w;
			n -= (size_t)w;
		}
		return;
	}
	if (c->got_line)
		return;
	for (size_t i = 0; i < n; i++) {
		if (c->linelen < LINE_MAX_LEN - 1)
			c->line[c->linelen++] = (char)d[i];
		if (d[i] == '\n' || c->linelen >= LINE_MAX_LEN - 1) {
			c->got_line = true;
			break;
		}
	}
	c->line[c->linelen] = 0;
}

/* Reply complete? Then do the --close action. Returns false if c ended. */
static bool maybe_close(struct conn *c, bool need_ack)
{
	if (c->state == S_EST && !c->reply_done &&
	    (c->got_fin || (C.until == UNTIL_LINE && c->got_line))) {
		c->reply_done = true;
		switch (C.close_mode) {
		case CLOSE_FIN:
			c->fin_sent = true;
			c->snd_nxt++;
			c->state = S_FIN_WAIT;
			c->t_progress = P.now;
			tx_fin(c);
			need_ack = false;
			break;
		case CLOSE_RST:
			tx(c, TH_RST | TH_ACK, c->snd_nxt, NULL, 0, NULL, 0);
			conn_end(c, true, NULL);
			return false;
		case CLOSE_KEEP:
			if (need_ack)
				tx_ack(c);
			conn_end(c, true, NULL);
			return false;
		}
	}
	if (need_ack)
		tx_ack(c);
	if (c->state == S_FIN_WAIT && c->snd_una == c->snd_nxt) {
		uint16_t port = c->sport;

		if (c->got_fin) {
			conn_end(c, true, NULL);
			return false;
		}
		/*
		 * Our FIN is acked but the server keeps its half open (e.g.
		 * toa-server --hammer). load: done now, a later FIN from the
		 * server is acked statelessly (PORT_LINGER). conn: wait 1 s
		 * for it (see timers()).
		 */
		if (C.load) {
			conn_end(c, true, NULL);
			P.portmap[port] = PORT_LINGER;
			return false;
		}
	}
	return true;
}

static void conn_retry_port(struct conn *c)
{
	long slot = c - P.slots;
	long idx = c->idx;
	uint8_t r = c->retries;
	uint64_t t_start = c->t_start;

	P.portmap[c->sport] = 0;
	c->retries = (uint8_t)(r + 1);
	conn_start(slot, idx);
	c->t_start = t_start;	/* --timeout covers all attempts */
}

static void conn_input(struct conn *c, const uint8_t *th, size_t thl,
		       const uint8_t *data, size_t dlen)
{
	uint8_t fl = th[13];
	uint32_t seq = get32(th + 4), ack = get32(th + 8), tsval = 0;
	bool need_ack = false, has_ts;

	has_ts = find_ts(th + 20, thl - 20, &tsval);
	if (C.trace)
		trace_seg("<", c, th, thl, dlen);

	if (c->state == S_SYN_SENT) {
		if ((fl & TH_ACK) && ack != c->iss + 1) {
			if (fl & TH_RST)
				return;
			/* An old connection on this 4-tuple answered. */
			if ((C.load || C.sport < 0) && c->retries < 8) {
				P.port_retries++;
				conn_retry_port(c);
				return;
			}
			conn_end(c, false,
				 "got ACK %u for SYN %u: 4-tuple %u->%u already in use on the server",
				 ack, c->iss, c->sport, C.dport);
			return;
		}
		if (fl & TH_RST) {
			if (fl & TH_ACK)
				conn_end(c, false,
					 "connection refused (RST in reply to SYN, port %u)",
					 C.dport);
			return;
		}
		if ((fl & (TH_SYN | TH_ACK)) != (TH_SYN | TH_ACK))
			return;
		c->irs = seq;
		c->rcv_nxt = seq + 1;
		c->snd_una = c->iss + 1;
		if (has_ts && syn_has_ts()) {
			c->ts_ok = true;
			c->ts_recent = tsval;
		}
		c->state = S_EST;
		c->t_progress = P.now;
		tx_hs_ack(c);
		if (C.datalen) {
			tx_data(c);
			c->snd_nxt += (uint32_t)C.datalen;
		}
		return;
	}

	if (fl & TH_RST) {
		/* Acceptable if in the receive window. */
		if (SEQ_LT(seq, c->rcv_nxt) || SEQ_GT(seq, c->rcv_nxt + RCV_WINDOW))
			return;
		if (c->reply_done || c->rcvd)
			conn_end(c, true, NULL);
		else
			conn_end(c, false, "connection reset by the server before any reply");
		return;
	}
	if (fl & TH_SYN) {
		/* Retransmitted SYN-ACK: our handshake ACK got lost. */
		if (seq == c->irs && (fl & TH_ACK))
			tx_hs_ack(c);
		return;
	}
	if (!(fl & TH_ACK))
		return;
	if (SEQ_GT(ack, c->snd_una) && SEQ_LE(ack, c->snd_nxt)) {
		c->snd_una = ack;
		c->t_progress = P.now;
	}
	if (c->ts_ok && has_ts && SEQ_LE(seq, c->rcv_nxt))
		c->ts_recent = tsval;

	if (dlen || (fl & TH_FIN)) {
		uint32_t end = seq + (uint32_t)dlen;

		need_ack = true;
		if (SEQ_LE(seq, c->rcv_nxt) && SEQ_GT(end, c->rcv_nxt)) {
			uint32_t skip = c->rcv_nxt - seq;
			const uint8_t *d = data + skip;
			size_t n = dlen - skip;

			deliver(c, d, n);
			c->rcv_nxt = end;
			c->t_progress = P.now;
		}
		if ((fl & TH_FIN) && end == c->rcv_nxt && !c->got_fin) {
			c->got_fin = true;
			c->rcv_nxt++;
			c->t_progress = P.now;
		}
	}
	maybe_close(c, need_ack);
}

/* A segment for a connection we already closed: ACK its FIN, statelessly. */
static void linger_input(const uint8_t *th, size_t thl, size_t dlen)
{
	struct conn tmp;
	uint32_t tsval = 0;
	uint8_t fl = th[13];

	if (fl & TH_RST) {
		P.portmap[get16(th + 2)] = 0;
		return;
	}
	if (!(fl & TH_FIN) || !(fl & TH_ACK))
		return;
	memset(&tmp, 0, sizeof(tmp));
	tmp.sport = (uint16_t)get16(th + 2);
	tmp.rcv_nxt = get32(th + 4) + (uint32_t)dlen + 1;
	tmp.irs = tmp.rcv_nxt - 1;
	tmp.iss = get32(th + 8) - 1;
	if (syn_has_ts() && find_ts(th + 20, thl - 20, &tsval)) {
		tmp.ts_ok = true;
		tmp.ts_recent = tsval;
	}
	tx(&tmp, TH_ACK, get32(th + 8), NULL, 0, NULL, 0);
	P.portmap[tmp.sport] = 0;
}

static void handle_packet(const uint8_t *pkt, size_t len)
{
	const uint8_t *th;
	size_t iphl, tlen, thl;
	uint32_t sport, dport;
	int32_t slot;

	if (len < 20)
		return;
	if ((pkt[0] >> 4) == 4 && C.src.af == AF_INET) {
		iphl = (size_t)(pkt[0] & 0x0f) * 4;
		if (iphl < 20 || len < iphl + 20 || pkt[9] != IPPROTO_TCP)
			return;
		if (get16(pkt + 6) & 0x3fff)	/* fragment */
			return;
		if (memcmp(pkt + 12, &C.dst.u.v4, 4) ||
		    memcmp(pkt + 16, &C.src.u.v4, 4))
			return;
		tlen = get16(pkt + 2);
		if (tlen > len || tlen < iphl + 20)
			return;
		tlen -= iphl;
	} else if ((pkt[0] >> 4) == 6 && C.src.af == AF_INET6) {
		iphl = 40;
		if (len < 60 || pkt[6] != IPPROTO_TCP)
			return;
		if (memcmp(pkt + 8, &C.dst.u.v6, 16) ||
		    memcmp(pkt + 24, &C.src.u.v6, 16))
			return;
		tlen = get16(pkt + 4);
		if (tlen + 40 > len || tlen < 20)
			return;
	} else {
		return;
	}
	th = pkt + iphl;
	sport = get16(th);
	dport = get16(th + 2);
	thl = (size_t)(th[12] >> 4) * 4;
	if (sport != C.dport || thl < 20 || thl > tlen)
		return;
	slot = P.portmap[dport];
	if (!slot)
		return;		/* not ours: never answer (kept connections) */
	if (slot == PORT_LINGER) {
		linger_input(th, thl, tlen - thl);
		return;
	}
	conn_input(&P.slots[slot - 1], th, thl, th + thl, tlen - thl);
}

/* Retransmissions and timeouts; returns ms until the next deadline. */
static int timers(void)
{
	uint64_t next = P.now + 1000000000ull;
	uint64_t tmo = (uint64_t)(C.timeout * 1e9);

	/*
	 * Deadlines only move later (progress) or start at now + 1 s (new
	 * connections), so the earliest one from the last scan is a safe
	 * lower bound: no need to look at every connection every round.
	 */
	if (P.now < P.next_timer)
		return (int)((P.next_timer - P.now + 999999) / 1000000);
	for (long s = 0; s < P.nslots; s++) {
		struct conn *c = &P.slots[s];
		uint64_t d;

		if (c->state == S_FREE)
			continue;
		if (P.now - c->t_start >= tmo) {
			if (c->state == S_SYN_SENT)
				conn_end(c, false,
					 "timeout: no SYN-ACK from %s port %u after %.1f s",
					 C.dst.af == AF_INET ? "IPv4" : "IPv6",
					 C.dport, C.timeout);
			else if (!c->reply_done)
				conn_end(c, false,
					 "timeout after %.1f s waiting for the reply (%llu bytes received)",
					 C.timeout, (unsigned long long)c->rcvd);
			else
				conn_end(c, false,
					 "timeout after %.1f s closing the connection (%s)",
					 C.timeout, sname[c->state]);
			continue;
		}
		if (c->state == S_FIN_WAIT && c->snd_una == c->snd_nxt &&
		    P.now - c->t_progress >= RTO_NS) {
			conn_end(c, true, NULL);	/* server stays half open */
			continue;
		}
		if (P.now - c->t_progress >= RTO_NS) {
			c->t_progress = P.now;
			P.retrans++;
			if (c->state == S_SYN_SENT) {
				tx_syn(c);
			} else if (c->snd_una != c->snd_nxt) {
				if (C.datalen &&
				    SEQ_LT(c->snd_una, c->iss + 1 + (uint32_t)C.datalen))
					tx_data(c);
				if (c->fin_sent)
					tx_fin(c);
			}
		}
		d = c->t_progress + RTO_NS;
		if (c->t_start + tmo < d)
			d = c->t_start + tmo;
		if (d < next)
			next = d;
	}
	P.next_timer = next;
	if (next <= P.now)
		return 0;
	return (int)((next - P.now + 999999) / 1000000);
}

/* "vtoa-bpf get NAME" of the attached eBPF backend: 0 or 1, -1 unknown */
static int bpf_get(const char *name)
{
	char cmd[64], buf[16] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "vtoa-bpf get %s 2>/dev/null", name);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	pclose(f);
	return buf[0] == '1' ? 1 : buf[0] == '0' ? 0 : -1;
}

static void read_module_state(void)
{
	char buf[16];
	bool mod = access("/sys/module/vtoa", F_OK) == 0;

	P.bpf = !mod && access("/sys/fs/bpf/vtoa", F_OK) == 0;
	P.enoent = "E/ENOENT";
	if (P.bpf) {
		/* the eBPF backend: its switches through its loader */
		mod = true;
		P.kind254 = bpf_get("ipv6_kind254") == 1;
		P.mod_gso = bpf_get("getsockopt") != 0;
		P.mod_gpn = bpf_get("getpeername") != 0;
		if (bpf_get("sockopt_errno") == 0)
			P.enoent = "E/ENOPROTOOPT";
	} else {
		P.mod_gso = mod;
		P.mod_gpn = mod;
	}
	if (mod && !P.bpf) {
		static const char *const names[3] = {
			"/sys/module/vtoa/parameters/getsockopt",
			"/sys/module/vtoa/parameters/getpeername",
			"/sys/module/vtoa/parameters/ipv6_kind254",
		};
		for (int i = 0; i < 3; i++) {
			int fd = open(names[i], O_RDONLY | O_CLOEXEC);
			ssize_t n;

			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (i == 2)
				P.kind254 = n > 0 && (buf[0] == 'Y' || buf[0] == '1');
			else if (n > 0 && (buf[0] == 'N' || buf[0] == '0')) {
				if (i == 0)
					P.mod_gso = false;
				else
					P.mod_gpn = false;
			}
		}
	}
	P.expect = C.expect;
	if (!mod && (P.expect == EXP_TOA || P.expect == EXP_PROXY))
		P.mod_gso = P.mod_gpn = true;	/* asserted by the user */
	if (P.expect == EXP_AUTO)
		P.expect = !mod ? EXP_NOMOD : C.toa == TOA_NONE ? EXP_PROXY : EXP_TOA;
	if (P.expect == EXP_NOMOD)
		P.mod_gso = P.mod_gpn = false;
	if (C.load && C.verify != VERIFY_NONE && C.expect == EXP_AUTO && !mod)
		msg("note: vtoa module not loaded: expecting opt=E/ENOPROTOOPT and the proxy address as peer");
}

static int run(void)
{
	static uint8_t buf[65536];
	struct pollfd pfd;
	uint64_t t0;

	P.fd = tun_attach();
	if (fcntl(P.fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	P.nslots = C.parallel < C.count ? C.parallel : C.count;
	P.slots = calloc((size_t)P.nslots, sizeof(*P.slots));
	P.freelist = calloc((size_t)P.nslots, sizeof(*P.freelist));
	if (!P.slots || !P.freelist)
		die("out of memory");
	for (long s = P.nslots; s > 0; s--)
		P.freelist[P.nfree++] = s - 1;
	if (C.sport >= 0)
		P.next_port = (uint32_t)C.sport;
	else if (C.load)
		P.next_port = 1024 + rand32() % 64512;
	else
		P.next_port = 20000 + rand32() % 40000;
	read_module_state();

	/* Drop whatever the kernel queued before we came (RS, MLD, ...). */
	while (read(P.fd, buf, sizeof(buf)) > 0)
		;

	P.now = t0 = now_ns();
	pfd.fd = P.fd;
	pfd.events = POLLIN;
	while (P.finished < C.count) {
		/*
		 * Start at most 32 connections per round so that the kernel's
		 * answers never overflow the TUN queue before we read them.
		 */
		for (int n = 0; P.nfree && P.started < C.count && n < 32; n++) {
			conn_start(P.freelist[--P.nfree], P.started++);
			P.active++;
		}
		int to = timers();

		if (P.finished >= C.count)
			break;
		if (P.nfree && P.started < C.count)
			to = 0;		/* more to start: just collect answers */
		int n = poll(&pfd, 1, to);

		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		P.now = now_ns();
		for (int i = 0; n > 0 && i < 4096; i++) {
			ssize_t len = read(P.fd, buf, sizeof(buf));

			if (len < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die("read from %s: %s", C.dev, strerror(errno));
			}
			handle_packet(buf, (size_t)len);
			if ((i & 63) == 63)
				P.now = now_ns();
		}
		P.now = now_ns();
	}
	if ((C.load || C.trace) && (P.retrans || P.port_retries))
		msg("note: %llu retransmission timeouts, %llu source port changes",
		    (unsigned long long)P.retrans,
		    (unsigned long long)P.port_retries);
	if (!C.load)
		return P.conn_ok ? 0 : 1;

	double secs = (double)(now_ns() - t0) / 1e9;

	printf("load count=%ld ok=%ld bad=%ld failed=%ld seconds=%.3f rate=%.0f/s\n",
	       C.count, P.ok, P.bad, P.failed, secs,
	       secs > 0 ? (double)C.count / secs : 0.0);
	if (C.toa == TOA_RANDOM)
		printf("random seed=%lu toa_syn=%ld toa_ack=%ld toa_data=%ld none=%ld\n",
		       C.seed, P.src_count[SRC_SYN], P.src_count[SRC_ACK],
		       P.src_count[SRC_DATA], P.src_count[SRC_NONE]);
	fflush(stdout);
	return P.ok == C.count ? 0 : 1;
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	printf(
"Usage:\n"
"  toa-peer setup [--dev vtoa0]\n"
"  toa-peer teardown [--dev vtoa0]\n"
"  toa-peer conn --src IP --dst IP:PORT|[IP6]:PORT [options]\n"
"  toa-peer load --src IP --dst IP:PORT|[IP6]:PORT --count N [options]\n"
"\n"
"Plays a FULLNAT proxy over the TUN device: the kernel owns 192.0.2.1/24 and\n"
"2001:db8::1/64 on it, toa-peer speaks TCP from other addresses there.\n"
"\n"
"setup     create persistent TUN device, bring it up, add the addresses\n"
"teardown  remove it\n"
"conn      one connection; the server's reply bytes go to stdout\n"
"  --sport N          source port (default random)\n"
"  --syn-opt HEX      SYN options (default 020405b4 = MSS 1460; \"\" = none)\n"
"  --ack-opt HEX      options on the handshake ACK (e.g. 'fe08 1f90 c6336407')\n"
"  --data-opt HEX     options on the data segment\n"
"                     HEX: raw bytes, spaces/colons ignored, padded with 00\n"
"                     (EOL) to a multiple of 4, at most 40 bytes. If the SYN\n"
"                     carries timestamps and the server agrees, NOP NOP TS is\n"
"                     put in front of the options of every later segment\n"
"                     (dropped, with a warning, if it does not fit)\n"
"  --data STRING      request (default 'GET / HTTP/1.0\\r\\n\\r\\n'; escapes\n"
"                     \\r \\n \\t \\0 \\\\ \\xHH; \"\" = no data; max %d bytes)\n"
"  --until line|close reply complete at the first '\\n' (default) or only at\n"
"                     the server's FIN/RST\n"
"  --close fin|rst|keep  after the reply: send FIN (default), RST, or\n"
"                     leave the connection open and exit. fin ends when the\n"
"                     server's FIN/RST came and our FIN is acked; if the\n"
"                     server keeps its half open (toa-server --hammer), conn\n"
"                     waits 1 s for it, load ends at once and ACKs a late FIN\n"
"  --timeout SEC      give up after SEC seconds (default 10)\n"
"load      N connections from one event loop, distinct source ports; each\n"
"          carries a TOA on its handshake ACK derived from its number i\n"
"          (or random lists, --toa random)\n"
"  --count N          connections (required)\n"
"  --parallel P       at most P in flight (default 64)\n"
"  --toa v4|v6|none|random\n"
"                     v4: kind 254 198.51.100.(1+i%%254):(1024+i%%60000)\n"
"                     v6: kind 253 [2001:db8:c::(i+1)]:(1024+i%%60000)\n"
"                     random: random lists on the SYN (after MSS 1460), the\n"
"                     handshake ACK and the data segment: valid, malformed\n"
"                     and several TOAs (254/8 in 198.51.100.0/24, 253/20 and\n"
"                     254/20 in 2001:db8:c::/48), NOP, EOL, TFO (SYN), SACK-\n"
"                     permitted, unknown kinds, lengths 0/1, overruns; the\n"
"                     expected TOA is the first kmod/parse.c finds on the\n"
"                     SYN, else the ACK (else the data with --defer);\n"
"                     ipv6_kind254 is read from /sys\n"
"  --seed N           --toa random: lists depend on N and i only (default 0)\n"
"  --defer            --toa random: the server has TCP_DEFER_ACCEPT (toa-server\n"
"                     --defer), so a TOA on the data segment counts too\n"
"  --expect auto|toa|proxy|nomod  what the server must report (default auto:\n"
"                     nomod if neither /sys/module/vtoa nor the eBPF backend\n"
"                     (/sys/fs/bpf/vtoa, switches by vtoa-bpf get) is there, proxy for --toa\n"
"                     none, toa otherwise; module parameters getsockopt and\n"
"                     getpeername are honoured)\n"
"                     toa: opt=toa=TOA, peer=accept=TOA (if getpeername=1)\n"
"                     proxy: opt=proxy address, toa=E/ENOENT, peer=proxy\n"
"                     nomod: opt=toa=E/ENOPROTOOPT, peer=proxy\n"
"  --verify full|opt  check opt,toa,peer,accept,name (default) or only opt\n"
"  --no-verify        do not check the report lines\n"
"  --sport N          first source port (default random; ports 1024-65535)\n"
"  --report N         print at most N failures/mismatches (default 5)\n"
"  --verbose          print every report line on stderr\n"
"  also: --syn-opt --data-opt --data --until --close --timeout (per conn)\n"
"  prints: load count=N ok=N bad=N failed=N seconds=S rate=R/s\n"
"  and with --toa random: random seed=N toa_syn=N toa_ack=N toa_data=N none=N\n"
"                     (connections by the segment their TOA is expected from)\n"
"common:\n"
"  --dev NAME         TUN device (default vtoa0)\n"
"  --trace            print every segment sent (>) and received (<) on stderr\n"
"                     (relative seq/ack, flags FSRPAU, options in hex)\n"
"\n"
"Exit: 0 success; 1 failure (no SYN-ACK, RST in handshake, timeout, load\n"
"with ok != N); 2 usage error.\n",
	MAX_DATA);
}

int main(int argc, char **argv)
{
	const char *cmd;
	bool data_set = false, opt_set = false, seed_set = false;

	prog = "toa-peer";
	if (argc < 2)
		usage_die("missing command (setup, teardown, conn, load)");
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage();
		return 0;
	}
	if (strcmp(cmd, "setup") && strcmp(cmd, "teardown") &&
	    strcmp(cmd, "conn") && strcmp(cmd, "load"))
		usage_die("unknown command '%s'", cmd);
	C.load = !strcmp(cmd, "load");
	if (C.load)
		C.count = -1;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n;

#define NEEDV() do { if (!v) usage_die("%s needs a value", a); i++; } while (0)
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			return 0;
		} else if (!strcmp(a, "--dev")) {
			NEEDV();
			C.dev = v;
		} else if (!strcmp(a, "--src")) {
			NEEDV();
			if (!parse_ip(v, &C.src))
				usage_die("--src: bad address '%s'", v);
			C.have_src = true;
		} else if (!strcmp(a, "--dst")) {
			NEEDV();
			if (!parse_ipport(v, &C.dst, &C.dport))
				usage_die("--dst: expected IP:PORT or [IP6]:PORT, got '%s'", v);
			C.have_dst = true;
		} else if (!strcmp(a, "--sport")) {
			NEEDV();
			if (!parse_long(v, 1, 65535, &n))
				usage_die("--sport: bad port '%s'", v);
			C.sport = n;
		} else if (!strcmp(a, "--syn-opt")) {
			NEEDV();
			parse_hexopt(a, v, C.syn_opt, &C.syn_optlen);
			opt_set = true;
		} else if (!strcmp(a, "--ack-opt")) {
			NEEDV();
			parse_hexopt(a, v, C.ack_opt, &C.ack_optlen);
			opt_set = true;
		} else if (!strcmp(a, "--data-opt")) {
			NEEDV();
			parse_hexopt(a, v, C.data_opt, &C.data_optlen);
			opt_set = true;
		} else if (!strcmp(a, "--data")) {
			NEEDV();
			parse_data(v);
			data_set = true;
		} else if (!strcmp(a, "--close")) {
			NEEDV();
			if (!strcmp(v, "fin"))
				C.close_mode = CLOSE_FIN;
			else if (!strcmp(v, "rst"))
				C.close_mode = CLOSE_RST;
			else if (!strcmp(v, "keep"))
				C.close_mode = CLOSE_KEEP;
			else
				usage_die("--close: fin, rst or keep");
		} else if (!strcmp(a, "--until")) {
			NEEDV();
			if (!strcmp(v, "line"))
				C.until = UNTIL_LINE;
			else if (!strcmp(v, "close"))
				C.until = UNTIL_CLOSE;
			else
				usage_die("--until: line or close");
		} else if (!strcmp(a, "--timeout")) {
			NEEDV();
			if (!parse_seconds(v, &C.timeout))
				usage_die("--timeout: bad number of seconds '%s'", v);
		} else if (!strcmp(a, "--count") && C.load) {
			NEEDV();
			if (!parse_long(v, 1, 100000000, &n))
				usage_die("--count: bad number '%s'", v);
			C.count = n;
		} else if (!strcmp(a, "--parallel") && C.load) {
			NEEDV();
			if (!parse_long(v, 1, 30000, &n))
				usage_die("--parallel: 1..30000");
			C.parallel = n;
		} else if (!strcmp(a, "--toa") && C.load) {
			NEEDV();
			if (!strcmp(v, "v4"))
				C.toa = TOA_V4;
			else if (!strcmp(v, "v6"))
				C.toa = TOA_V6;
			else if (!strcmp(v, "none"))
				C.toa = TOA_NONE;
			else if (!strcmp(v, "random"))
				C.toa = TOA_RANDOM;
			else
				usage_die("--toa: v4, v6, none or random");
		} else if (!strcmp(a, "--seed") && C.load) {
			NEEDV();
			if (!parse_long(v, 0, 2147483647L, &n))
				usage_die("--seed: a number from 0 to 2147483647, got '%s'", v);
			C.seed = (unsigned long)n;
			seed_set = true;
		} else if (!strcmp(a, "--defer") && C.load) {
			C.defer = true;
		} else if (!strcmp(a, "--expect") && C.load) {
			NEEDV();
			if (!strcmp(v, "auto"))
				C.expect = EXP_AUTO;
			else if (!strcmp(v, "toa"))
				C.expect = EXP_TOA;
			else if (!strcmp(v, "proxy"))
				C.expect = EXP_PROXY;
			else if (!strcmp(v, "nomod"))
				C.expect = EXP_NOMOD;
			else
				usage_die("--expect: auto, toa, proxy or nomod");
		} else if (!strcmp(a, "--verify") && C.load) {
			NEEDV();
			if (!strcmp(v, "full"))
				C.verify = VERIFY_FULL;
			else if (!strcmp(v, "opt"))
				C.verify = VERIFY_OPT;
			else
				usage_die("--verify: full or opt");
		} else if (!strcmp(a, "--no-verify") && C.load) {
			C.verify = VERIFY_NONE;
		} else if (!strcmp(a, "--report") && C.load) {
			NEEDV();
			if (!parse_long(v, 0, 1000000, &n))
				usage_die("--report: bad number '%s'", v);
			C.max_report = (int)n;
		} else if (!strcmp(a, "--trace")) {
			C.trace = true;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			C.verbose = true;
		} else {
			usage_die("%s: unknown argument '%s'", cmd, a);
		}
#undef NEEDV
	}

	if (!strcmp(cmd, "setup"))
		return cmd_setup();
	if (!strcmp(cmd, "teardown"))
		return cmd_teardown();

	if (!C.have_src || !C.have_dst)
		usage_die("%s needs --src IP and --dst IP:PORT", cmd);
	if (C.src.af != C.dst.af)
		usage_die("--src and --dst must be the same address family");
	if (C.load && C.count < 0)
		usage_die("load needs --count N");
	if (C.toa == TOA_RANDOM && opt_set)
		usage_die("--toa random makes the options itself: no --syn-opt, --ack-opt or --data-opt");
	if (C.toa != TOA_RANDOM && (seed_set || C.defer))
		usage_die("--seed and --defer go with --toa random");
	if (!data_set) {
		static const char def[] = "GET / HTTP/1.0\r\n\r\n";

		memcpy(C.data, def, sizeof(def) - 1);
		C.datalen = sizeof(def) - 1;
	}
	return run();
}
