// SPDX-License-Identifier: GPL-2.0
/*
 * vtoa: give applications behind a FULLNAT proxy the real client address
 * carried in the TCP option address (TOA). See include/uapi/vtoa.h for
 * what applications see and README.md for how it is built.
 */
#include <linux/module.h>

#include "compat.h"
#include "vtoa.h"

#if defined(VTOA_PLANT_LEAK) || defined(VTOA_PLANT_OOB)
#include <linux/slab.h>

/*
 * Test builds only (Kbuild's VTOA_PLANT=leak|oob, never the shipped module):
 * one deliberate bug at load that the VM bench's debug kernel must report,
 * to prove its checks can fail (make vm-test-debug-selftest).
 */
static void vtoa_plant(void)
{
	size_t len = 13;
	char *p;

	OPTIMIZER_HIDE_VAR(len);	/* no compile-time bounds check */
	p = kmalloc(len, GFP_KERNEL);
	if (!p)
		return;
	memset(p, 0x5a, len);
#ifdef VTOA_PLANT_OOB
	p[len] = 1;		/* one byte past the 13 asked for: KASAN */
	kfree(p);
	pr_info("vtoa: planted bug: out-of-bounds write\n");
#else
	OPTIMIZER_HIDE_VAR(p);	/* forgotten, never freed: kmemleak */
	pr_info("vtoa: planted bug: leak of %zu bytes\n", (size_t)len);
#endif
}
#else
static inline void vtoa_plant(void) { }
#endif

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
	vtoa_plant();
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
