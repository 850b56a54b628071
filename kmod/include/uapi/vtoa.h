/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vtoa - real client address of FULLNAT/TOA connections.
 *
 * A FULLNAT proxy (Anti-DDoS proxy, CDN node, FULLNAT load balancer)
 * replaces the client's source address with its own and carries the
 * client's address in a TCP option ("TOA") on the handshake:
 *
 *   IPv4 TOA: kind 254, length 8:  port (2 bytes), IPv4 address (4 bytes)
 *   IPv6 TOA: kind 253, length 20: port (2 bytes), IPv6 address (16 bytes)
 *
 * all in network byte order. With the module parameter ipv6_kind254=1,
 * kind 254 length 20 is also taken as an IPv6 TOA (what dpvs-style
 * proxies send). A kind-254 option carrying the TCP Fast Open magic
 * 0xF989 on a SYN is never a TOA.
 *
 * Where it is read: the SYN, the ACK completing the handshake and, with
 * TCP_DEFER_ACCEPT on the listener (the kernel then holds back the bare
 * ACK), the first data segment, which creates the connection. For a TCP
 * Fast Open connection (created from its SYN) also the ACK completing
 * the handshake. The first believed TOA of a connection wins: the SYN's
 * over the ACK's, the ACK's over the data's; an address, once given to
 * the application, never changes. A SYN the kernel answers with a SYN
 * cookie leaves no state behind, so a TOA on that SYN alone is lost
 * (counted in toa_syn_cookie); the ACK's is read as usual.
 *
 * When one segment carries several TOA options, the first valid one wins.
 * When the option list of the segment is malformed anywhere (a length of
 * 0 or 1, an option running past the header, a truncated list), or a TOA
 * option has the wrong length, the TOA is ignored exactly as if the
 * module were not loaded.
 *
 * Applications read the address with
 *
 *	struct sockaddr_storage ss;
 *	socklen_t len = sizeof(ss);
 *	getsockopt(fd, IPPROTO_IP, VTOA_SO_GET_ADDR, &ss, &len);
 *
 * on an accepted TCP socket (AF_INET or AF_INET6):
 *
 * VTOA_SO_GET_ADDR (1348) fills a struct sockaddr_in for an IPv4 TOA and
 *	a struct sockaddr_in6 for an IPv6 TOA (by the TOA kind, not by the
 *	socket's family) and sets len to its size. Without a TOA it returns
 *	the socket's ordinary peer address, as getpeername() would without
 *	the module. A buffer smaller than the address gets it truncated and
 *	len set to the full size, like getpeername(). A listening or
 *	unconnected socket gets ENOTCONN; a socket that is not TCP gets
 *	ENOPROTOOPT.
 *
 * VTOA_SO_GET_TOA (1349) is the same, but fails with ENOENT when no TOA
 *	was received on the socket, so an application can tell a proxied
 *	connection from a direct one.
 *
 * getpeername() and accept() return the TOA address too while the module
 * parameter getpeername=1 (the default): an IPv4 TOA on an AF_INET6
 * socket comes back v4-mapped (::ffff:a.b.c.d), an IPv6 TOA on an
 * AF_INET socket comes back as a struct sockaddr_in6 (as Alibaba Cloud's
 * VTOA does): only to user tasks, whose getpeername()/accept() pass a
 * struct sockaddr_storage. Every other caller (kernel threads such as
 * nfsd or an iSCSI target, io_uring workers, anything outside task
 * context) gets the real peer in its socket's own family. getsockname()
 * is never changed.
 *
 * Module parameters (/sys/module/vtoa/parameters/, writable at run time;
 * types, defaults and ranges in vtoa_params.h, which the tool reads too):
 *	getpeername	 rewrite getpeername()/accept().
 *	getsockopt	 answer VTOA_SO_GET_ADDR/_TOA (when 0, they fail with
 *			 ENOPROTOOPT as on a kernel without vtoa).
 *	trusted_sources	 comma-separated IPv4/IPv6 CIDRs; when not empty a
 *			 TOA is only believed on connections whose packets come
 *			 from one of them (the proxy's back-to-origin ranges).
 *	max_entries	 hard cap on sockets carrying a TOA; beyond it TOA is
 *			 ignored and counted.
 *	ipv6_kind254	 accept kind 254 length 20 as IPv6.
 *
 * Counters: /proc/net/vtoa_stats, "name value" lines, per network
 * namespace.
 */
#ifndef _UAPI_LINUX_VTOA_H
#define _UAPI_LINUX_VTOA_H

/* the version of the module, the tool and this header */
#define VTOA_VERSION		"0.1.0"

#define VTOA_SO_BASE		1348
#define VTOA_SO_GET_ADDR	(VTOA_SO_BASE + 0)	/* TOA or real peer */
#define VTOA_SO_GET_TOA		(VTOA_SO_BASE + 1)	/* TOA or ENOENT */
#define VTOA_SO_MAX		(VTOA_SO_BASE + 2)	/* exclusive bound */

#define VTOA_OPT_KIND_V4	254
#define VTOA_OPT_LEN_V4		8
#define VTOA_OPT_KIND_V6	253
#define VTOA_OPT_LEN_V6		20
#define VTOA_TFO_MAGIC		0xF989

#endif /* _UAPI_LINUX_VTOA_H */
