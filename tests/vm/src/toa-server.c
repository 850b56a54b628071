// SPDX-License-Identifier: GPL-2.0
/*
 * toa-server - test server for vtoa.
 *
 * Listens on up to three kinds of TCP listeners (AF_INET, dual-stack
 * AF_INET6, IPV6_V6ONLY AF_INET6). For every accepted connection it writes
 * one report line to the connection (and to stdout / --log):
 *
 *   listener=v4|dual|v6only accept=A peer=P name=N opt=O toa=T
 *
 * A: address from accept(), P: getpeername(), N: getsockname(),
 * O: getsockopt(IPPROTO_IP, VTOA_SO_GET_ADDR), T: ... VTOA_SO_GET_TOA.
 * Then it discards whatever the client sends and closes on EOF/RST
 * (SO_LINGER {1,0}: close sends RST and frees the socket at once).
 *
 * --hammer keeps every socket open and calls getpeername() and
 * getsockopt(VTOA_SO_GET_ADDR) on all of them in a busy loop, checking
 * that the answers stay sane. Single-threaded epoll loop.
 */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"

enum { L_V4, L_DUAL, L_V6ONLY, L_NR };
static const char *const lname[L_NR] = { "v4", "dual", "v6only" };

struct ent {
	bool used;
	bool in_epoll;
	uint8_t lidx;
	struct addr_ans peer;	/* getpeername() at accept time */
	struct addr_ans opt;	/* getsockopt(VTOA_SO_GET_ADDR) at accept time */
};

static struct {
	int port[L_NR];
	int lfd[L_NR];
	bool hammer;
	bool quiet;
	bool close_first;
	bool saved_syn;
	int defer;
	int backlog;
	int logfd;
	int epfd;

	struct ent *ents;	/* indexed by fd */
	int nents;		/* allocated */
	int maxfd;		/* highest used fd + 1 */
	long open;		/* accepted sockets open */
	long accepted;

	/* hammer statistics */
	unsigned long long calls, good, bad;
	int bad_reported;
	int cursor;

	uint64_t paused_until;	/* EMFILE back-off for the listeners */
} S = {
	.port = { -1, -1, -1 },
	.lfd = { -1, -1, -1 },
	.backlog = 4096,
	.logfd = -1,
	.epfd = -1,
};

static volatile sig_atomic_t stop_sig, dump_sig;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump_sig = 1;
	else
		stop_sig = sig;
}

static void usage(void)
{
	printf(
"Usage: toa-server [--v4 PORT] [--dual PORT] [--v6only PORT] [options]\n"
"\n"
"Test server for vtoa. With no listener flag: --v4 8004 --dual 8006 --v6only 8066.\n"
"  --v4 PORT       AF_INET listener on 0.0.0.0:PORT\n"
"  --dual PORT     AF_INET6 listener on [::]:PORT, IPV6_V6ONLY=0\n"
"  --v6only PORT   AF_INET6 listener on [::]:PORT, IPV6_V6ONLY=1\n"
"  --hammer        keep all sockets open and call getpeername()/getsockopt(%d)\n"
"                  on them in a loop; on SIGTERM print\n"
"                  'hammer calls=N good=N bad=N' and exit 1 if bad > 0\n"
"  --close-first   behave like nginx: after the report line shut down the\n"
"                  sending side (FIN) and close normally on the client's EOF\n"
"                  (no SO_LINGER {1,0})\n"
"  --saved-syn     append ' syn=HEX' to each line: the TCP options of the\n"
"                  client's SYN as the kernel saved it (TCP_SAVE_SYN)\n"
"  --defer SEC     TCP_DEFER_ACCEPT on the listeners (nginx 'deferred'): the\n"
"                  kernel drops the bare handshake ACK and creates the\n"
"                  connection from the first data segment\n"
"  --backlog N     listen() backlog (default 4096)\n"
"  --quiet         do not print report lines on stdout\n"
"  --log FILE      append report lines to FILE\n"
"  --help          this text\n"
"\n"
"Per connection it writes one line to the client and to stdout:\n"
"  listener=v4|dual|v6only accept=A peer=P name=N opt=O toa=T\n"
"Addresses: 4/a.b.c.d:port, 6/[addr]:port, suffix !len=N on an unexpected\n"
"length, E/ERRNAME on error, ?FAMILY for an unknown family.\n"
"Prints 'ready' once all listeners listen. SIGTERM/SIGINT: close all, exit.\n"
"SIGUSR1: print 'now listener=L opt=O' for each listener and\n"
"'now fd=N peer=P opt=O toa=T opt16=LEN:HEX' for every open socket, asked\n"
"again at that moment (opt16: 1348 into a 16-byte buffer), then 'now end'.\n",
	VTOA_SO_GET_ADDR);
}

/* " syn=HEX": the options of the SYN saved by TCP_SAVE_SYN (IPv4 or IPv6
 * header without extension headers, then the TCP header); " syn=E/ERR"
 * when the kernel kept none.
 */
static void fmt_saved_syn(char *buf, size_t n, int fd)
{
	unsigned char b[512];
	socklen_t len = sizeof(b);
	size_t ip, doff, i;
	int off;

	if (getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, b, &len) < 0) {
		snprintf(buf, n, " syn=E/%s", errname(errno));
		return;
	}
	ip = len > 0 && b[0] >> 4 == 4 ? (size_t)(b[0] & 15) * 4 : 40;
	if (len < ip + 20 || (doff = (size_t)(b[ip + 12] >> 4) * 4) < 20 ||
	    len < ip + doff) {
		snprintf(buf, n, " syn=E/short:%u", (unsigned int)len);
		return;
	}
	off = snprintf(buf, n, " syn=");
	for (i = ip + 20; i < ip + doff && off + 3 < (int)n; i++)
		off += snprintf(buf + off, n - (size_t)off, "%02x", b[i]);
}

static void query(struct addr_ans *a, int fd, int what)
{
	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->ss);
	int rc;

	if (what == 0)
		rc = getpeername(fd, (struct sockaddr *)&a->ss, &a->len);
	else if (what == 1)
		rc = getsockname(fd, (struct sockaddr *)&a->ss, &a->len);
	else
		rc = getsockopt(fd, IPPROTO_IP, what, &a->ss, &a->len);
	a->err = rc < 0 ? errno : 0;
}

static void ent_reserve(int fd)
{
	if (fd < S.nents)
		return;
	int n = S.nents ? S.nents : 1024;

	while (n <= fd)
		n *= 2;
	struct ent *e = realloc(S.ents, (size_t)n * sizeof(*e));

	if (!e)
		die("out of memory");
	memset(e + S.nents, 0, (size_t)(n - S.nents) * sizeof(*e));
	S.ents = e;
	S.nents = n;
}

static void close_conn(int fd)
{
	struct ent *e = &S.ents[fd];

	if (!e->used)
		return;
	e->used = false;
	e->in_epoll = false;
	close(fd);		/* removes it from epoll as well */
	S.open--;
	while (S.maxfd > 0 && !S.ents[S.maxfd - 1].used)
		S.maxfd--;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void handle_accept(int lidx)
{
	for (int budget = 256; budget > 0; budget--) {
		struct addr_ans acc = { 0 };

		acc.len = sizeof(acc.ss);
		int fd = accept4(S.lfd[lidx], (struct sockaddr *)&acc.ss,
				 &acc.len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				struct rlimit rl = { 0, 0 };

				getrlimit(RLIMIT_NOFILE, &rl);
				msg("accept: %s (%ld sockets open, RLIMIT_NOFILE %llu); pausing listeners for 1 s",
				    strerror(errno), S.open,
				    (unsigned long long)rl.rlim_cur);
				for (int i = 0; i < L_NR; i++)
					if (S.lfd[i] >= 0)
						epoll_ctl(S.epfd, EPOLL_CTL_DEL,
							  S.lfd[i], NULL);
				S.paused_until = now_ns() + 1000000000ull;
				return;
			}
			die("accept on %s listener: %s", lname[lidx],
			    strerror(errno));
		}
		S.accepted++;

		if (!S.close_first) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
				       sizeof(lg)) < 0)
				msg("SO_LINGER: %s", strerror(errno));
		}

		struct addr_ans peer, name, opt, toa;

		query(&peer, fd, 0);
		query(&name, fd, 1);
		query(&opt, fd, VTOA_SO_GET_ADDR);
		query(&toa, fd, VTOA_SO_GET_TOA);

		char a1[ADDR_TOKEN_MAX], a2[ADDR_TOKEN_MAX], a3[ADDR_TOKEN_MAX];
		char a4[ADDR_TOKEN_MAX], a5[ADDR_TOKEN_MAX], line[600];
		char syn[100] = "";

		if (S.saved_syn)
			fmt_saved_syn(syn, sizeof(syn), fd);
		int len = snprintf(line, sizeof(line),
			"listener=%s accept=%s peer=%s name=%s opt=%s toa=%s%s\n",
			lname[lidx],
			fmt_ans(a1, sizeof(a1), &acc),
			fmt_ans(a2, sizeof(a2), &peer),
			fmt_ans(a3, sizeof(a3), &name),
			fmt_ans(a4, sizeof(a4), &opt),
			fmt_ans(a5, sizeof(a5), &toa), syn);

		if (len < 0 || (size_t)len >= sizeof(line))
			len = (int)strlen(line);

		/* Fresh socket, empty send buffer: one send() takes it all. */
		if (send(fd, line, (size_t)len, MSG_NOSIGNAL) < 0 &&
		    errno != ECONNRESET && errno != EPIPE)
			msg("send: %s", strerror(errno));
		if (S.close_first)
			shutdown(fd, SHUT_WR);
		if (!S.quiet)
			fputs(line, stdout);
		if (S.logfd >= 0)
			write_all(S.logfd, line, (size_t)len);

		ent_reserve(fd);
		struct ent *e = &S.ents[fd];

		memset(e, 0, sizeof(*e));
		e->used = true;
		e->lidx = (uint8_t)lidx;
		e->peer = peer;
		e->opt = opt;
		S.open++;
		if (fd + 1 > S.maxfd)
			S.maxfd = fd + 1;

		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLRDHUP,
			.data.u64 = (uint64_t)fd,
		};
		if (epoll_ctl(S.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl: %s", strerror(errno));
		e->in_epoll = true;
	}
}

static void handle_conn(int fd, uint32_t events)
{
	struct ent *e;
	char buf[4096];
	bool gone = false;

	if (fd < 0 || fd >= S.nents || !S.ents[fd].used)
		return;
	e = &S.ents[fd];
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (events & (EPOLLHUP | EPOLLERR))
				gone = true;
			break;
		}
		gone = true;	/* EOF or error (ECONNRESET, ...) */
		break;
	}
	if (!gone)
		return;
	if (!S.hammer) {
		close_conn(fd);
		return;
	}
	/* Hammer mode: keep the socket, stop watching it. */
	if (e->in_epoll) {
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, fd, NULL);
		e->in_epoll = false;
	}
}

static bool same_ans(const struct addr_ans *a, const struct addr_ans *b)
{
	if (a->err || b->err)
		return a->err == b->err;
	if (a->len != b->len || a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss;
		const struct sockaddr_in *y = (const void *)&b->ss;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->ss;
		const struct sockaddr_in6 *y = (const void *)&b->ss;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return false;
}

/* The proxy's own ranges: 192.0.2.0/24, 2001:db8::/32 minus 2001:db8:c::/48. */
static bool in_proxy_range(const struct addr_ans *a)
{
	if (a->err)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&a->ss;
		uint32_t ip = ntohl(s->sin_addr.s_addr);

		return a->len == sizeof(*s) && s->sin_port &&
		       (ip & 0xffffff00u) == 0xc0000200u && (ip & 0xff) &&
		       (ip & 0xff) != 0xff;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&a->ss;
		const uint8_t *b = s->sin6_addr.s6_addr;
		static const uint8_t db8[4] = { 0x20, 0x01, 0x0d, 0xb8 };

		if (a->len != sizeof(*s) || !s->sin6_port)
			return false;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			return b[12] == 192 && b[13] == 0 && b[14] == 2 &&
			       b[15] && b[15] != 0xff;
		if (memcmp(b, db8, 4))
			return false;
		if (b[4] == 0 && b[5] == 0x0c)	/* 2001:db8:c::/48 */
			return false;
		for (int i = 8; i < 16; i++)
			if (b[i])
				return true;
		return false;	/* 2001:db8:x:y:: subnet-router anycast */
	}
	return false;
}

static bool tcp_closed(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return false;
	return ti.tcpi_state == TCP_CLOSE;
}

static void hammer_one(int fd, struct ent *e, int what)
{
	struct addr_ans now;
	bool ok;

	query(&now, fd, what);
	S.calls++;
	if (same_ans(&now, &e->peer) || same_ans(&now, &e->opt))
		ok = true;
	else if (!now.err)
		ok = in_proxy_range(&now);
	else if (now.err == ENOTCONN)
		ok = tcp_closed(fd);	/* reset by the client */
	else if (now.err == ENOPROTOOPT && what != 0)
		ok = true;		/* vtoa unloaded or getsockopt=0 */
	else
		ok = false;
	if (ok) {
		S.good++;
		return;
	}
	S.bad++;
	if (S.bad_reported++ < 10) {
		char a[ADDR_TOKEN_MAX], b[ADDR_TOKEN_MAX], c[ADDR_TOKEN_MAX];

		msg("hammer: bad %s on fd %d (%s): %s (at accept: peer=%s opt=%s)",
		    what == 0 ? "getpeername" : "getsockopt", fd,
		    lname[e->lidx], fmt_ans(a, sizeof(a), &now),
		    fmt_ans(b, sizeof(b), &e->peer),
		    fmt_ans(c, sizeof(c), &e->opt));
	}
}

/* One bounded round of hammering (at most 512 sockets), round robin. */
static void hammer_round(void)
{
	int done = 0;

	if (!S.open)
		return;
	for (int scanned = 0; scanned < S.maxfd && done < 512; scanned++) {
		if (S.cursor >= S.maxfd)
			S.cursor = 0;
		int fd = S.cursor++;
		struct ent *e = &S.ents[fd];

		if (!e->used)
			continue;
		hammer_one(fd, e, 0);
		hammer_one(fd, e, VTOA_SO_GET_ADDR);
		done++;
	}
}

static int open_listener(int lidx, int port)
{
	int one = 1, fd;

	if (lidx == L_V4)
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	else
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket(%s): %s", lidx == L_V4 ? "AF_INET" : "AF_INET6",
		    strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR: %s", strerror(errno));
	if (lidx == L_V4) {
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_port = htons((uint16_t)port),
			.sin_addr.s_addr = htonl(INADDR_ANY),
		};
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("bind 0.0.0.0:%d: %s", port, strerror(errno));
	} else {
		int v6only = lidx == L_V6ONLY;
		struct sockaddr_in6 sin6 = {
			.sin6_family = AF_INET6,
			.sin6_port = htons((uint16_t)port),
			.sin6_addr = IN6ADDR_ANY_INIT,
		};
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			       sizeof(v6only)) < 0)
			die("IPV6_V6ONLY: %s", strerror(errno));
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0)
			die("bind [::]:%d (%s): %s", port, lname[lidx],
			    strerror(errno));
	}
	if (S.saved_syn &&
	    setsockopt(fd, IPPROTO_TCP, TCP_SAVE_SYN, &one, sizeof(one)) < 0)
		die("TCP_SAVE_SYN: %s", strerror(errno));
	if (S.defer && setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &S.defer,
				  sizeof(S.defer)) < 0)
		die("TCP_DEFER_ACCEPT: %s", strerror(errno));
	if (listen(fd, S.backlog) < 0)
		die("listen on port %d: %s", port, strerror(errno));
	return fd;
}

static void listeners_watch(void)
{
	for (int i = 0; i < L_NR; i++) {
		if (S.lfd[i] < 0)
			continue;
		struct epoll_event ev = {
			.events = EPOLLIN,
			.data.u64 = (1ull << 32) | (uint64_t)i,
		};
		if (epoll_ctl(S.epfd, EPOLL_CTL_ADD, S.lfd[i], &ev) < 0 &&
		    errno != EEXIST)
			die("epoll_ctl: %s", strerror(errno));
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void parse_args(int argc, char **argv)
{
	bool any = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long v;
		int lidx = -1;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			exit(0);
		} else if (!strcmp(a, "--v4")) {
			lidx = L_V4;
		} else if (!strcmp(a, "--dual")) {
			lidx = L_DUAL;
		} else if (!strcmp(a, "--v6only")) {
			lidx = L_V6ONLY;
		} else if (!strcmp(a, "--hammer")) {
			S.hammer = true;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			S.quiet = true;
		} else if (!strcmp(a, "--close-first")) {
			S.close_first = true;
		} else if (!strcmp(a, "--saved-syn")) {
			S.saved_syn = true;
		} else if (!strcmp(a, "--defer")) {
			if (i + 1 >= argc || !parse_long(argv[i + 1], 1, 3600, &v))
				usage_die("--defer needs seconds (1-3600)");
			S.defer = (int)v;
			i++;
		} else if (!strcmp(a, "--backlog")) {
			if (i + 1 >= argc || !parse_long(argv[i + 1], 1, 1 << 20, &v))
				usage_die("--backlog needs a number");
			S.backlog = (int)v;
			i++;
		} else if (!strcmp(a, "--log")) {
			if (i + 1 >= argc)
				usage_die("--log needs a file name");
			S.logfd = open(argv[++i], O_WRONLY | O_CREAT | O_APPEND |
				       O_CLOEXEC, 0644);
			if (S.logfd < 0)
				die("cannot open %s: %s", argv[i], strerror(errno));
		} else {
			usage_die("unknown argument '%s'", a);
		}
		if (lidx >= 0) {
			if (i + 1 >= argc || !parse_long(argv[i + 1], 1, 65535, &v))
				usage_die("%s needs a port (1-65535)", a);
			S.port[lidx] = (int)v;
			any = true;
			i++;
		}
	}
	if (!any) {
		S.port[L_V4] = 8004;
		S.port[L_DUAL] = 8006;
		S.port[L_V6ONLY] = 8066;
	}
}

/*
 * getsockopt(1348) into a 16-byte buffer (the product doc's
 * struct sockaddr): "<returned len>:<the 16 bytes in hex>" or E/ERRNAME.
 */
static void fmt_opt16(char *buf, size_t n, int fd)
{
	unsigned char b[16];
	socklen_t len = sizeof(b);
	struct addr_ans e;

	memset(b, 0xee, sizeof(b));
	if (getsockopt(fd, IPPROTO_IP, VTOA_SO_GET_ADDR, b, &len) < 0) {
		memset(&e, 0, sizeof(e));
		e.err = errno;
		fmt_ans(buf, n, &e);
		return;
	}
	int off = snprintf(buf, n, "%u:", (unsigned int)len);

	for (size_t i = 0; i < sizeof(b) && off > 0 && (size_t)off < n; i++)
		off += snprintf(buf + off, n - (size_t)off, "%02x", b[i]);
}

/* SIGUSR1: the answers of every open socket, as they are now */
static void dump_open(void)
{
	for (int i = 0; i < L_NR; i++) {
		char a1[ADDR_TOKEN_MAX];
		struct addr_ans opt;

		if (S.lfd[i] < 0)
			continue;
		query(&opt, S.lfd[i], VTOA_SO_GET_ADDR);
		printf("now listener=%s opt=%s\n", lname[i],
		       fmt_ans(a1, sizeof(a1), &opt));
	}
	for (int fd = 0; fd < S.maxfd; fd++) {
		char a1[ADDR_TOKEN_MAX], a2[ADDR_TOKEN_MAX], a3[ADDR_TOKEN_MAX];
		struct addr_ans peer, opt, toa;

		if (!S.ents[fd].used)
			continue;
		query(&peer, fd, 0);
		query(&opt, fd, VTOA_SO_GET_ADDR);
		query(&toa, fd, VTOA_SO_GET_TOA);
		char o16[64];

		fmt_opt16(o16, sizeof(o16), fd);
		printf("now fd=%d peer=%s opt=%s toa=%s opt16=%s\n", fd,
		       fmt_ans(a1, sizeof(a1), &peer),
		       fmt_ans(a2, sizeof(a2), &opt),
		       fmt_ans(a3, sizeof(a3), &toa), o16);
	}
	printf("now end\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct sigaction sa;

	prog = "toa-server";
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupt epoll_wait */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	S.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (S.epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	for (int i = 0; i < L_NR; i++)
		if (S.port[i] > 0)
			S.lfd[i] = open_listener(i, S.port[i]);
	listeners_watch();
	printf("ready\n");
	fflush(stdout);

	while (!stop_sig) {
		int timeout = 1000;

		if (S.hammer && S.open)
			timeout = 0;
		if (S.paused_until) {
			uint64_t t = now_ns();

			if (t >= S.paused_until) {
				S.paused_until = 0;
				listeners_watch();
			} else if (timeout) {
				timeout = (int)((S.paused_until - t) / 1000000) + 1;
			}
		}
		int n = epoll_wait(S.epfd, evs, ARRAY_SIZE(evs), timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;

			if (d >> 32)
				handle_accept((int)(d & 0xffffffffu));
			else
				handle_conn((int)d, evs[i].events);
		}
		if (S.hammer)
			hammer_round();
		if (dump_sig) {
			dump_sig = 0;
			dump_open();
		}
	}

	for (int fd = 0; fd < S.maxfd; fd++)
		if (S.ents[fd].used)
			close_conn(fd);
	for (int i = 0; i < L_NR; i++)
		if (S.lfd[i] >= 0)
			close(S.lfd[i]);
	if (S.hammer) {
		printf("hammer calls=%llu good=%llu bad=%llu\n",
		       S.calls, S.good, S.bad);
		fflush(stdout);
		return S.bad ? 1 : 0;
	}
	fflush(stdout);
	return 0;
}
