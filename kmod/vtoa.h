/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _VTOA_H
#define _VTOA_H

#include <linux/types.h>
#include <linux/llist.h>
#include <linux/rhashtable-types.h>
#include <linux/percpu.h>
#include <net/sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/request_sock.h>

#include "parse.h"

/*
 * One entry per socket that received a believed TOA, or per request
 * socket (handshake in progress) that saw one on its SYN or on a bare ACK
 * held back by TCP_DEFER_ACCEPT: 48 bytes. The key is never dereferenced;
 * every lookup also checks id and netns against the socket it is asked
 * about, so an entry whose socket died unseen is never answered.
 *
 * No rcu_head: a removed entry waits for its grace period on a list whose
 * link takes the place of the key (table.c), so nothing but the key ever
 * changes under a reader, and the key then holds no socket's address.
 */
struct vtoa_entry {
	struct rhash_head node;
	union {
		const void *key;	/* struct sock * or struct request_sock * */
		struct llist_node free;	/* removed: waiting to be freed */
	};
	u64 id;				/* socket cookie; request: ISN and ports */
	struct vtoa_addr addr;
	u32 netns;			/* inode number of the socket's netns */
};

static_assert(sizeof(struct vtoa_entry) == 48,
	      "vtoa: struct vtoa_entry is meant to be 48 bytes");

/* Counters, from include/uapi/vtoa_stats.h; the first six are the classic TOA names. */
enum vtoa_stat {
#define VTOA_STAT(n, kind, help) VTOA_STAT_##n,
#define VTOA_GLOBAL_STAT(n, kind, help)
#include "include/uapi/vtoa_stats.h"
#undef VTOA_GLOBAL_STAT
#undef VTOA_STAT
	VTOA_STAT_MAX
};

struct vtoa_stats {
	s64 v[VTOA_STAT_MAX];
};

struct vtoa_net {
	struct vtoa_stats __percpu *stats;
};

extern unsigned int vtoa_net_id;

static inline void vtoa_count(const struct net *net, enum vtoa_stat s, int d)
{
	struct vtoa_net *vn = net_generic(net, vtoa_net_id);

	this_cpu_add(vn->stats->v[s], d);
}

/* a request socket starts with a struct sock_common, as sockets do */
static inline struct net *vtoa_req_net(const struct request_sock *req)
{
	return sock_net((const struct sock *)req);
}

/* the same, for the namespace with that inode number, if it still exists */
void vtoa_count_netns(u32 inum, enum vtoa_stat s, int d);

/* params.c */
/* the parameters of include/uapi/vtoa_params.h, by index */
enum vtoa_param_id {
#define VTOA_PARAM(p, type, def, lo, hi, config) VTOA_P_##p,
#include "include/uapi/vtoa_params.h"
#undef VTOA_PARAM
	VTOA_P_MAX
};

extern unsigned int vtoa_param_val[VTOA_P_MAX];
#define vtoa_param(name) READ_ONCE(vtoa_param_val[VTOA_P_##name])
int vtoa_params_init(void);
bool vtoa_trusted(const struct sk_buff *skb);
void vtoa_params_exit(void);

/* table.c */
int vtoa_table_init(void);
void vtoa_table_exit(void);
int vtoa_table_add(struct sock *sk, const struct vtoa_addr *addr);
bool vtoa_table_get(const struct sock *sk, struct vtoa_addr *addr);
void vtoa_table_del(const struct sock *sk);
bool vtoa_reqs_empty(void);
int vtoa_req_add(const struct request_sock *req, const struct net *net,
		 const struct vtoa_addr *addr);
bool vtoa_req_has(const struct request_sock *req, const struct net *net);
bool vtoa_req_take(const struct request_sock *req, const struct net *net,
		   struct vtoa_addr *addr);
bool vtoa_req_del(const struct request_sock *req);
#ifdef VTOA_FAULT_INJECT
extern bool vtoa_fault_skip_destruct;
#endif

/* hooks.c */
int vtoa_hooks_init(void);
void vtoa_hooks_exit(void);
const char *vtoa_getname_hook(void);
const char *vtoa_sockopt_hook(void);
unsigned long vtoa_probe_missed(void);

/* sockopt.c */
int vtoa_sockopt_init(void);
void vtoa_sockopt_exit(void);
int vtoa_fill_sockaddr(const struct vtoa_addr *a, unsigned short family,
		       struct sockaddr_storage *ss);
int vtoa_real_peer(const struct sock *sk, struct sockaddr_storage *ss);
int vtoa_sockopt_get(struct sock *sk, int optval, void __user *user, int *len);

/* stats.c */
int vtoa_stats_init(void);
void vtoa_stats_exit(void);

#endif /* _VTOA_H */
