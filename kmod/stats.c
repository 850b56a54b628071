// SPDX-License-Identifier: GPL-2.0
/*
 * Counters: per network namespace, per CPU, no locks on the hot path.
 * /proc/net/vtoa_stats in each namespace shows that namespace's sockets.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "vtoa.h"

unsigned int vtoa_net_id __read_mostly;

static const char * const vtoa_stat_names[VTOA_STAT_MAX] = {
	[VTOA_STAT_syn_recv_sock_toa] = "syn_recv_sock_toa",
	[VTOA_STAT_syn_recv_sock_no_toa] = "syn_recv_sock_no_toa",
	[VTOA_STAT_getname_toa_ok] = "getname_toa_ok",
	[VTOA_STAT_getname_toa_mismatch] = "getname_toa_mismatch",
	[VTOA_STAT_getname_toa_bypass] = "getname_toa_bypass",
	[VTOA_STAT_getname_toa_empty] = "getname_toa_empty",
	[VTOA_STAT_toa_v4] = "toa_v4",
	[VTOA_STAT_toa_v6] = "toa_v6",
	[VTOA_STAT_toa_malformed] = "toa_malformed",
	[VTOA_STAT_toa_untrusted] = "toa_untrusted",
	[VTOA_STAT_toa_multiple] = "toa_multiple",
	[VTOA_STAT_toa_tfo] = "toa_tfo",
	[VTOA_STAT_toa_kind254_len20] = "toa_kind254_len20",
	[VTOA_STAT_toa_over_cap] = "toa_over_cap",
	[VTOA_STAT_toa_alloc_fail] = "toa_alloc_fail",
	[VTOA_STAT_getsockopt_toa] = "getsockopt_toa",
	[VTOA_STAT_getsockopt_no_toa] = "getsockopt_no_toa",
	[VTOA_STAT_entries_live] = "entries_live",
	[VTOA_STAT_toa_syn] = "toa_syn",
	[VTOA_STAT_toa_deferred] = "toa_deferred",
	[VTOA_STAT_toa_req_dropped] = "toa_req_dropped",
	[VTOA_STAT_toa_syn_cookie] = "toa_syn_cookie",
	[VTOA_STAT_toa_stale] = "toa_stale",
	[VTOA_STAT_reqs_live] = "reqs_live",
};

static int vtoa_stats_show(struct seq_file *seq, void *v)
{
	struct vtoa_net *vn = net_generic(seq_file_single_net(seq),
					  vtoa_net_id);
	unsigned int i;
	int cpu;

	for (i = 0; i < VTOA_STAT_MAX; i++) {
		s64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(vn->stats, cpu)->v[i];
		seq_printf(seq, "%s %lld\n", vtoa_stat_names[i], sum);
	}
	/* global: the hooking mechanism is shared by all namespaces */
	seq_printf(seq, "probe_missed %lu\n", vtoa_probe_missed());
	return 0;
}

static int __net_init vtoa_net_init(struct net *net)
{
	struct vtoa_net *vn = net_generic(net, vtoa_net_id);

	vn->stats = alloc_percpu(struct vtoa_stats);
	if (!vn->stats)
		return -ENOMEM;
	if (!proc_create_net_single("vtoa_stats", 0444, net->proc_net,
				    vtoa_stats_show, NULL)) {
		free_percpu(vn->stats);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit vtoa_net_exit(struct net *net)
{
	struct vtoa_net *vn = net_generic(net, vtoa_net_id);

	remove_proc_entry("vtoa_stats", net->proc_net);
	free_percpu(vn->stats);
}

static struct pernet_operations vtoa_net_ops = {
	.init = vtoa_net_init,
	.exit = vtoa_net_exit,
	.id = &vtoa_net_id,
	.size = sizeof(struct vtoa_net),
};

int vtoa_stats_init(void)
{
	return register_pernet_subsys(&vtoa_net_ops);
}

void vtoa_stats_exit(void)
{
	unregister_pernet_subsys(&vtoa_net_ops);
}
