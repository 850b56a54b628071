// SPDX-License-Identifier: GPL-2.0
/*
 * vtoa: give applications behind a FULLNAT proxy the real client address
 * carried in the TCP option address (TOA). See include/uapi/vtoa.h for
 * what applications see and README.md for how it is built.
 */
#include <linux/module.h>

#include "compat.h"
#include "vtoa.h"

static int __init vtoa_init(void)
{
	int err;

	err = vtoa_params_init();
	if (err)
		goto out;
	err = vtoa_stats_init();
	if (err)
		goto out;
	err = vtoa_table_init();
	if (err)
		goto stats;
	err = vtoa_sockopt_init();
	if (err)
		goto table;
	err = vtoa_hooks_init();
	if (err)
		goto sockopt;
	pr_info("vtoa: %s loaded (getpeername=%d getsockopt=%d, getname by %s, getsockopt by %s)\n",
		VTOA_VERSION, vtoa_param(getpeername), vtoa_param(getsockopt),
		vtoa_getname_hook(), vtoa_sockopt_hook());
	return 0;

sockopt:
	vtoa_sockopt_exit();
table:
	vtoa_table_exit();
stats:
	vtoa_stats_exit();
out:
	vtoa_params_exit();
	return err;
}

static void __exit vtoa_exit(void)
{
	vtoa_sockopt_exit();
	vtoa_hooks_exit();
	vtoa_table_exit();
	vtoa_params_exit();
	vtoa_stats_exit();
	pr_info("vtoa: unloaded\n");
}

module_init(vtoa_init);
module_exit(vtoa_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(VTOA_VERSION);
MODULE_DESCRIPTION("Real client address from the TCP option address (TOA)");
