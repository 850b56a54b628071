// SPDX-License-Identifier: GPL-2.0
/*
 * getsockopt(fd, IPPROTO_IP, VTOA_SO_GET_ADDR / VTOA_SO_GET_TOA), through
 * the kernel's own netfilter sockopt registry. IPPROTO_IP options of
 * AF_INET6 TCP sockets reach the same PF_INET handler.
 */
#include <linux/netfilter.h>
#include <linux/uaccess.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/tcp_states.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>

#include "vtoa.h"

/*
 * Build the sockaddr an application sees for a TOA. family AF_UNSPEC
 * means "by the TOA itself" (getsockopt); otherwise the socket's family
 * decides how an IPv4 TOA is shown (getpeername: v4-mapped on AF_INET6).
 * Returns the length; every byte of *ss up to it is initialised.
 */
int vtoa_fill_sockaddr(const struct vtoa_addr *a, unsigned short family,
		       struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == 4 && family != AF_INET6) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_port, a->port, 2);
		memcpy(&sin->sin_addr, a->addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_port, a->port, 2);
	if (a->family == 4) {
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12], a->addr, 4);
	} else {
		memcpy(&sin6->sin6_addr, a->addr, 16);
	}
	return sizeof(*sin6);
}

/*
 * The socket's ordinary peer, as getpeername() shows it without vtoa
 * (for the rare paths that must answer without calling the kernel's own
 * getname). Returns the length; every byte up to it is initialised.
 */
int vtoa_real_peer(const struct sock *sk, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = sk->sk_dport;
		sin6->sin6_addr = sk->sk_v6_daddr;
		sin6->sin6_scope_id = ipv6_iface_scope_id(&sin6->sin6_addr,
							  sk->sk_bound_dev_if);
		return sizeof(*sin6);
	}
#endif
	sin->sin_family = AF_INET;
	sin->sin_port = sk->sk_dport;
	sin->sin_addr.s_addr = sk->sk_daddr;
	return sizeof(*sin);
}

int vtoa_sockopt_get(struct sock *sk, int optval, void __user *user, int *len)
{
	struct sockaddr_storage ss;
	struct vtoa_addr a;
	struct socket *sock;
	int alen;

	if (!vtoa_param(getsockopt) || sk->sk_type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (*len < 0)
		return -EINVAL;
	if (!inet_sk(sk)->inet_dport ||
	    ((1 << READ_ONCE(sk->sk_state)) &
	     (TCPF_CLOSE | TCPF_SYN_SENT | TCPF_LISTEN)))
		return -ENOTCONN;

	if (vtoa_table_get(sk, &a)) {
		alen = vtoa_fill_sockaddr(&a, AF_UNSPEC, &ss);
		vtoa_count(sock_net(sk), VTOA_STAT_getsockopt_toa, 1);
	} else {
		vtoa_count(sock_net(sk), VTOA_STAT_getsockopt_no_toa, 1);
		if (optval == VTOA_SO_GET_TOA)
			return -ENOENT;
		/* no TOA: the ordinary peer address, as getpeername() */
		sock = sk->sk_socket;
		if (!sock)
			return -ENOTCONN;
		memset(&ss, 0, sizeof(ss));
		alen = sock->ops->getname(sock, (struct sockaddr *)&ss, 1);
		if (alen < 0)
			return alen;
	}

	if (copy_to_user(user, &ss, min(*len, alen)))
		return -EFAULT;
	*len = alen;
	return 0;
}

static struct nf_sockopt_ops vtoa_sockopt_ops = {
	.pf = PF_INET,
	.get_optmin = VTOA_SO_BASE,
	.get_optmax = VTOA_SO_MAX,
	.get = vtoa_sockopt_get,
	.owner = THIS_MODULE,
};

int vtoa_sockopt_init(void)
{
	int err = nf_register_sockopt(&vtoa_sockopt_ops);

	if (err)
		pr_err("vtoa: getsockopt %d-%d already taken (%d): is another TOA module (e.g. the kernel's own vtoa) loaded?\n",
		       VTOA_SO_BASE, VTOA_SO_MAX - 1, err);
	return err;
}

void vtoa_sockopt_exit(void)
{
	nf_unregister_sockopt(&vtoa_sockopt_ops);
}
