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
#define VTOA_STAT(n, kind, help) \
	[VTOA_STAT_##n] = #n,
#define VTOA_GLOBAL_STAT(n, kind, help)
#include "include/uapi/vtoa_stats.h"
#undef VTOA_GLOBAL_STAT
#undef VTOA_STAT
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
