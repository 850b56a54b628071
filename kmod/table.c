// SPDX-License-Identifier: GPL-2.0
/*
 * The side table: socket pointer -> TOA address, for the sockets that
 * received a believed TOA. Lookups are lock-free (RCU); entries are
 * added in softirq when the child socket is created and removed when the
 * socket's memory is destroyed, so an entry lives exactly as long as its
 * socket. Nothing is stored in the socket itself.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/atomic.h>

#include "compat.h"
#include "vtoa.h"

static struct kmem_cache *vtoa_cache;
static struct rhashtable vtoa_rht;
static atomic_t vtoa_nr = ATOMIC_INIT(0);

static const struct rhashtable_params vtoa_rht_params = {
	.key_len = sizeof(const struct sock *),
	.key_offset = offsetof(struct vtoa_entry, sk),
	.head_offset = offsetof(struct vtoa_entry, node),
	.automatic_shrinking = true,
	/* 8 KB of buckets: no resizing while a few hundred sockets come and go */
	.min_size = 1024,
};

static void vtoa_entry_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(vtoa_cache, container_of(head, struct vtoa_entry, rcu));
}

bool vtoa_table_empty(void)
{
	return atomic_read(&vtoa_nr) == 0;
}

/* Called in softirq, child socket locked and not yet visible to users. */
int vtoa_table_add(const struct sock *sk, const struct vtoa_addr *addr)
{
	struct vtoa_entry *e, *old;

	if (atomic_inc_return(&vtoa_nr) > READ_ONCE(vtoa_param_max_entries)) {
		atomic_dec(&vtoa_nr);
		return -ENOSPC;
	}
	e = kmem_cache_alloc(vtoa_cache, GFP_ATOMIC);
	if (!e) {
		atomic_dec(&vtoa_nr);
		return -ENOMEM;
	}
	e->sk = sk;
	e->addr = *addr;

	rcu_read_lock();
	old = rhashtable_lookup_get_insert_fast(&vtoa_rht, &e->node,
						vtoa_rht_params);
	if (old && !IS_ERR(old)) {
		/*
		 * A stale entry for this address: its socket's destruction
		 * was not seen. The new socket's TOA replaces it.
		 */
		if (!rhashtable_replace_fast(&vtoa_rht, &old->node, &e->node,
					     vtoa_rht_params)) {
			atomic_dec(&vtoa_nr);
			call_rcu(&old->rcu, vtoa_entry_free_rcu);
			old = NULL;
		}
	}
	rcu_read_unlock();

	if (old) {
		kmem_cache_free(vtoa_cache, e);
		atomic_dec(&vtoa_nr);
		return IS_ERR(old) ? PTR_ERR(old) : -EEXIST;
	}
	vtoa_count(sock_net(sk), VTOA_STAT_entries_live, 1);
	return 0;
}

bool vtoa_table_get(const struct sock *sk, struct vtoa_addr *addr)
{
	struct vtoa_entry *e;
	bool found = false;

	if (vtoa_table_empty())
		return false;
	rcu_read_lock();
	e = rhashtable_lookup(&vtoa_rht, &sk, vtoa_rht_params);
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

	if (vtoa_table_empty())
		return;
	rcu_read_lock();
	e = rhashtable_lookup(&vtoa_rht, &sk, vtoa_rht_params);
	if (e && !rhashtable_remove_fast(&vtoa_rht, &e->node,
					 vtoa_rht_params)) {
		atomic_dec(&vtoa_nr);
		vtoa_count(sock_net(sk), VTOA_STAT_entries_live, -1);
		call_rcu(&e->rcu, vtoa_entry_free_rcu);
	}
	rcu_read_unlock();
}

int vtoa_table_init(void)
{
	int err;

	vtoa_cache = kmem_cache_create("vtoa_entry", sizeof(struct vtoa_entry),
				       0, VTOA_SLAB_FLAGS, NULL);
	if (!vtoa_cache)
		return -ENOMEM;
	err = rhashtable_init(&vtoa_rht, &vtoa_rht_params);
	if (err)
		kmem_cache_destroy(vtoa_cache);
	return err;
}

static void vtoa_entry_free(void *ptr, void *arg)
{
	/* e->sk is not touched: the per-netns counters go with the module */
	kmem_cache_free(vtoa_cache, ptr);
}

/*
 * Module exit, after every hook is gone and every RCU reader has left:
 * the remaining entries belong to live sockets, which never point to
 * them, so they are simply freed. The sockets go on with their real
 * peer address.
 */
void vtoa_table_exit(void)
{
	rhashtable_free_and_destroy(&vtoa_rht, vtoa_entry_free, NULL);
	atomic_set(&vtoa_nr, 0);
	rcu_barrier();
	kmem_cache_destroy(vtoa_cache);
}
