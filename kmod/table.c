// SPDX-License-Identifier: GPL-2.0
/*
 * The side tables: socket -> TOA address, for the sockets that received a
 * believed TOA, and request socket -> TOA address, for handshakes in
 * progress that saw one on their SYN or on a bare ACK held back by
 * TCP_DEFER_ACCEPT. Lookups are lock-free (RCU); entries are added in
 * softirq and removed when their (request) socket is destroyed. Nothing
 * is stored in the socket itself.
 *
 * Sockets come from SLAB_TYPESAFE_BY_RCU caches: a freed address is
 * reused at once. So the pointer alone never identifies a connection:
 * every entry also records the socket's cookie (a request: its ISN and
 * ports) and its network namespace, and every lookup compares them with
 * the socket it is asked about. An entry that does not match belonged to
 * a socket whose destruction was not seen: it is dropped and counted in
 * toa_stale, never answered.
 *
 * Entries carry no rcu_head: a removed entry is put on vtoa_free_list,
 * whose link overwrites its key, and a work item frees what it takes off
 * that list after a grace period. A reader that found the entry before
 * its removal reads it unchanged, but for the key, which then holds a
 * pointer to another entry waiting there (or NULL) and so matches no
 * socket's address; the id and netns checks stand anyway.
 */
#include <linux/llist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/sock_diag.h>
#include <net/inet_sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "vtoa.h"

static struct kmem_cache *vtoa_cache;
static struct rhashtable vtoa_socks;
static struct rhashtable vtoa_reqs;

static const struct rhashtable_params vtoa_socks_params = {
	.key_len = sizeof(const void *),
	.key_offset = offsetof(struct vtoa_entry, key),
	.head_offset = offsetof(struct vtoa_entry, node),
	.automatic_shrinking = true,
	/* 8 KB of buckets: no resizing while a few hundred sockets come and go */
	.min_size = 1024,
};

static const struct rhashtable_params vtoa_reqs_params = {
	.key_len = sizeof(const void *),
	.key_offset = offsetof(struct vtoa_entry, key),
	.head_offset = offsetof(struct vtoa_entry, node),
	.automatic_shrinking = true,
	.min_size = 64,
};

void vtoa_count_netns(u32 inum, enum vtoa_stat s, int d)
{
	struct net *net;

	rcu_read_lock();
	for_each_net_rcu(net) {
		if (net->ns.inum == inum) {
			vtoa_count(net, s, d);
			break;
		}
	}
	rcu_read_unlock();
}

static LLIST_HEAD(vtoa_free_list);

static void vtoa_free_batch(struct llist_node *batch)
{
	struct vtoa_entry *e, *t;

	llist_for_each_entry_safe(e, t, batch, free)
		kmem_cache_free(vtoa_cache, e);
}

/*
 * Every entry on the list was removed from its table before it was added;
 * once the list is taken, one grace period covers every reader that can
 * still hold one of them.
 */
static void vtoa_free_work_fn(struct work_struct *work)
{
	struct llist_node *batch = llist_del_all(&vtoa_free_list);

	if (!batch)
		return;
	synchronize_rcu();
	vtoa_free_batch(batch);
}

static DECLARE_WORK(vtoa_free_work, vtoa_free_work_fn);

/* e is out of its table: free it after a grace period (any context) */
static void vtoa_entry_free_later(struct vtoa_entry *e)
{
	if (llist_add(&e->free, &vtoa_free_list))
		queue_work(system_unbound_wq, &vtoa_free_work);
}

/* A socket's identity: its cookie, given to it when its TOA is recorded. */
static u64 vtoa_sock_id(const struct sock *sk)
{
	return atomic64_read(&sk->sk_cookie);
}

/* A request's identity: the client's ISN and both ports. */
static u64 vtoa_req_id(const struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);

	return (u64)tcp_rsk(req)->rcv_isn << 32 |
	       (u64)ntohs(ireq->ir_rmt_port) << 16 | ireq->ir_num;
}

static bool vtoa_over_cap(void)
{
	return atomic_read(&vtoa_socks.nelems) + atomic_read(&vtoa_reqs.nelems) >=
	       vtoa_param(max_entries);
}

static struct vtoa_entry *vtoa_entry_new(const void *key, u64 id,
					 const struct net *net,
					 const struct vtoa_addr *addr)
{
	struct vtoa_entry *e;

	if (vtoa_over_cap())
		return ERR_PTR(-ENOSPC);
	e = kmem_cache_alloc(vtoa_cache, GFP_ATOMIC);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->key = key;
	e->id = id;
	e->netns = net->ns.inum;
	e->addr = *addr;
	return e;
}

/* gauge live of e's namespace, which is usually net's */
static void vtoa_count_entry(const struct vtoa_entry *e, const struct net *net,
			     enum vtoa_stat live, int d)
{
	if (e->netns == net->ns.inum)
		vtoa_count(net, live, d);
	else
		vtoa_count_netns(e->netns, live, d);
}

/*
 * Drop entry e (found in ht) if it is still there: the caller holds
 * rcu_read_lock(). live is the gauge it was counted in, net the namespace
 * of the socket that led to it. True if this call removed it.
 */
static bool vtoa_entry_drop(struct rhashtable *ht,
			    const struct rhashtable_params params,
			    struct vtoa_entry *e, const struct net *net,
			    enum vtoa_stat live)
{
	if (rhashtable_remove_fast(ht, &e->node, params))
		return false;
	vtoa_count_entry(e, net, live, -1);
	vtoa_entry_free_later(e);
	return true;
}

/*
 * Insert e; an entry already under its key is stale (its owner died
 * unseen, since the callers add only for a key that has no valid entry)
 * and is replaced.
 */
static int vtoa_insert(struct rhashtable *ht,
		       const struct rhashtable_params params,
		       struct vtoa_entry *e, const struct net *net,
		       enum vtoa_stat live)
{
	struct vtoa_entry *old;
	int err = 0;

	rcu_read_lock();
	old = rhashtable_lookup_get_insert_fast(ht, &e->node, params);
	if (IS_ERR(old)) {
		err = PTR_ERR(old);
	} else if (old) {
		if (rhashtable_replace_fast(ht, &old->node, &e->node, params)) {
			err = -EEXIST;
		} else {
			vtoa_count_entry(old, net, live, -1);
			vtoa_count(net, VTOA_STAT_toa_stale, 1);
			vtoa_entry_free_later(old);
		}
	}
	rcu_read_unlock();

	if (err) {
		kmem_cache_free(vtoa_cache, e);
		return err;
	}
	vtoa_count(net, live, 1);
	return 0;
}

/* Called in softirq, child socket locked and not yet visible to users. */
int vtoa_table_add(struct sock *sk, const struct vtoa_addr *addr)
{
	struct vtoa_entry *e;
	u32 cookie[2];

	sock_diag_save_cookie(sk, cookie);
	e = vtoa_entry_new(sk, (u64)cookie[1] << 32 | cookie[0], sock_net(sk),
			   addr);
	if (IS_ERR(e))
		return PTR_ERR(e);
	return vtoa_insert(&vtoa_socks, vtoa_socks_params, e, sock_net(sk),
			   VTOA_STAT_entries_live);
}

/*
 * The entry under key in ht if it belongs to the (request) socket whose
 * identity is id in net; the caller holds rcu_read_lock(). An entry under
 * the key that does not match is stale: it is dropped, counted in
 * toa_stale, and NULL returned.
 */
static __always_inline struct vtoa_entry *
vtoa_lookup_valid(struct rhashtable *ht, const struct rhashtable_params params,
		  const void *key, u64 id, const struct net *net,
		  enum vtoa_stat live)
{
	struct vtoa_entry *e = rhashtable_lookup(ht, &key, params);

	if (!e || (e->id == id && e->netns == net->ns.inum))
		return e;
	if (vtoa_entry_drop(ht, params, e, net, live))
		vtoa_count(net, VTOA_STAT_toa_stale, 1);
	return NULL;
}

bool vtoa_table_get(const struct sock *sk, struct vtoa_addr *addr)
{
	struct vtoa_entry *e;
	bool found = false;

	if (!atomic_read(&vtoa_socks.nelems))
		return false;
	rcu_read_lock();
	e = vtoa_lookup_valid(&vtoa_socks, vtoa_socks_params, sk,
			      vtoa_sock_id(sk), sock_net(sk),
			      VTOA_STAT_entries_live);
	if (e) {
		*addr = e->addr;
		found = true;
	}
	rcu_read_unlock();
	return found;
}

/* The socket is being destroyed: drop its entry, if any. */
void vtoa_table_del(const struct sock *sk)
{
	struct vtoa_entry *e;

	if (!atomic_read(&vtoa_socks.nelems))
		return;
	rcu_read_lock();
	e = vtoa_lookup_valid(&vtoa_socks, vtoa_socks_params, sk,
			      vtoa_sock_id(sk), sock_net(sk),
			      VTOA_STAT_entries_live);
	if (e)
		vtoa_entry_drop(&vtoa_socks, vtoa_socks_params, e, sock_net(sk),
				VTOA_STAT_entries_live);
	rcu_read_unlock();
}

bool vtoa_reqs_empty(void)
{
	return !atomic_read(&vtoa_reqs.nelems);
}

/* Called in softirq with the request not yet visible (SYN) or hashed. */
int vtoa_req_add(const struct request_sock *req, const struct net *net,
		 const struct vtoa_addr *addr)
{
	struct vtoa_entry *e = vtoa_entry_new(req, vtoa_req_id(req), net, addr);

	if (IS_ERR(e))
		return PTR_ERR(e);
	return vtoa_insert(&vtoa_reqs, vtoa_reqs_params, e, net,
			   VTOA_STAT_reqs_live);
}

/*
 * Look up the request's entry: with take, move its address to *addr and
 * drop it. A stale entry under the same key is dropped either way.
 */
static bool vtoa_req_lookup(const struct request_sock *req,
			    const struct net *net, struct vtoa_addr *addr,
			    bool take)
{
	struct vtoa_entry *e;
	bool found = false;

	if (vtoa_reqs_empty())
		return false;
	rcu_read_lock();
	e = vtoa_lookup_valid(&vtoa_reqs, vtoa_reqs_params, req,
			      vtoa_req_id(req), net, VTOA_STAT_reqs_live);
	if (e && take) {
		*addr = e->addr;
		found = vtoa_entry_drop(&vtoa_reqs, vtoa_reqs_params, e, net,
					VTOA_STAT_reqs_live);
	} else {
		found = e;
	}
	rcu_read_unlock();
	return found;
}

bool vtoa_req_has(const struct request_sock *req, const struct net *net)
{
	return vtoa_req_lookup(req, net, NULL, false);
}

bool vtoa_req_take(const struct request_sock *req, const struct net *net,
		   struct vtoa_addr *addr)
{
	return vtoa_req_lookup(req, net, addr, true);
}

/*
 * The request socket is being freed: drop its entry. True when it had a
 * valid one, i.e. a TOA that never reached a connection.
 */
bool vtoa_req_del(const struct request_sock *req)
{
	const struct net *net = vtoa_req_net(req);
	struct vtoa_entry *e;
	bool valid = false;

	if (vtoa_reqs_empty())
		return false;
	rcu_read_lock();
	e = vtoa_lookup_valid(&vtoa_reqs, vtoa_reqs_params, req,
			      vtoa_req_id(req), net, VTOA_STAT_reqs_live);
	if (e)
		valid = vtoa_entry_drop(&vtoa_reqs, vtoa_reqs_params, e, net,
					VTOA_STAT_reqs_live);
	rcu_read_unlock();
	return valid;
}

int vtoa_table_init(void)
{
	int err;

	vtoa_cache = kmem_cache_create("vtoa_entry", sizeof(struct vtoa_entry),
				       0, VTOA_SLAB_FLAGS, NULL);
	if (!vtoa_cache)
		return -ENOMEM;
	err = rhashtable_init(&vtoa_socks, &vtoa_socks_params);
	if (err)
		goto cache;
	err = rhashtable_init(&vtoa_reqs, &vtoa_reqs_params);
	if (err)
		goto socks;
	return 0;

socks:
	rhashtable_destroy(&vtoa_socks);
cache:
	kmem_cache_destroy(vtoa_cache);
	return err;
}

static void vtoa_entry_free(void *ptr, void *arg)
{
	/* e->key is not touched: the per-netns counters go with the module */
	kmem_cache_free(vtoa_cache, ptr);
}

/*
 * Module exit, after every hook is gone and every RCU reader has left:
 * the remaining entries belong to live sockets, which never point to
 * them, so they are simply freed. The sockets go on with their real
 * peer address. Nothing adds to vtoa_free_list any more: what is still
 * on it is freed once the work item is done.
 */
void vtoa_table_exit(void)
{
	struct llist_node *batch;

	rhashtable_free_and_destroy(&vtoa_reqs, vtoa_entry_free, NULL);
	rhashtable_free_and_destroy(&vtoa_socks, vtoa_entry_free, NULL);
	flush_work(&vtoa_free_work);
	batch = llist_del_all(&vtoa_free_list);
	if (batch) {
		synchronize_rcu();
		vtoa_free_batch(batch);
	}
	kmem_cache_destroy(vtoa_cache);
}
