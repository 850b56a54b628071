// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters, all writable at run time through
 * /sys/module/vtoa/parameters/. Every value is validated; a bad one is
 * refused with -EINVAL and one kernel log line naming the parameter.
 */
#include <linux/moduleparam.h>
#include <linux/inet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/if_ether.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vtoa.h"

/*
 * Values, defaults and ranges come from include/uapi/vtoa_params.h, the
 * table the tool reads too; BOOL parameters are kept as 0/1.
 */
unsigned int vtoa_param_val[VTOA_P_MAX] = {
#define VTOA_PARAM(p, type, def, lo, hi, config) \
	[VTOA_P_##p] = (def),
#include "include/uapi/vtoa_params.h"
#undef VTOA_PARAM
};

struct vtoa_param_spec {
	const char *name;
	unsigned int min, max;
};

static const struct vtoa_param_spec vtoa_param_specs[VTOA_P_MAX] = {
#define VTOA_PARAM(p, type, def, lo, hi, config) \
	[VTOA_P_##p] = { .name = #p, .min = (lo), .max = (hi) },
#include "include/uapi/vtoa_params.h"
#undef VTOA_PARAM
};

#define VTOA_MAX_TRUSTED	(vtoa_param_specs[VTOA_P_trusted_sources].max)

static const struct vtoa_param_spec *vtoa_spec(const struct kernel_param *kp)
{
	unsigned int i = (unsigned int *)kp->arg - vtoa_param_val;

	return i < VTOA_P_MAX ? &vtoa_param_specs[i] : NULL;
}

/* length of a written value without its trailing newline, for logs */
static int vtoa_len(const char *val)
{
	return val ? (int)strcspn(val, "\n") : 0;
}

static int vtoa_set_bool(const char *val, const struct kernel_param *kp)
{
	bool v;

	if (!val || kstrtobool(val, &v)) {
		pr_warn("vtoa: %s: '%.*s' is not a boolean (use 0/1, y/n)\n",
			kp->name, vtoa_len(val), val ? val : "");
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static int vtoa_get_bool(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", READ_ONCE(*(unsigned int *)kp->arg) ? 'Y' : 'N');
}

static const struct kernel_param_ops vtoa_ops_BOOL = {
	.set = vtoa_set_bool,
	.get = vtoa_get_bool,
};

static int vtoa_set_uint(const char *val, const struct kernel_param *kp)
{
	const struct vtoa_param_spec *spec = vtoa_spec(kp);
	unsigned int v;

	if (WARN_ON_ONCE(!spec))
		return -EINVAL;
	if (!val || kstrtouint(val, 10, &v) || v < spec->min || v > spec->max) {
		pr_warn("vtoa: %s: '%.*s' is not a number from %u to %u\n",
			kp->name, vtoa_len(val), val ? val : "",
			spec->min, spec->max);
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops vtoa_ops_UINT = {
	.set = vtoa_set_uint,
	.get = param_get_uint,
};

/* trusted_sources: an RCU-protected list of CIDRs; NULL trusts all. */
struct vtoa_cidr {
	u8 family;		/* 4 or 6 */
	u8 prefix;
	u8 addr[16];
};

struct vtoa_trust {
	struct rcu_head rcu;
	unsigned int n;
	struct vtoa_cidr cidr[];
};

static struct vtoa_trust __rcu *vtoa_trust;

static bool vtoa_prefix_match(const u8 *a, const u8 *net, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, net, bytes))
		return false;
	if (!bits)
		return true;
	return !((a[bytes] ^ net[bytes]) & (0xff00 >> bits));
}

/* Is the handshake segment from a trusted proxy address? */
bool vtoa_trusted(const struct sk_buff *skb)
{
	const struct vtoa_trust *t;
	const u8 *src;
	bool ok = false;
	unsigned int i;
	u8 family;

	if (!rcu_access_pointer(vtoa_trust))
		return true;

	if (skb->protocol == htons(ETH_P_IP)) {
		family = 4;
		src = (const u8 *)&ip_hdr(skb)->saddr;
	} else {
		family = 6;
		src = ipv6_hdr(skb)->saddr.s6_addr;
	}

	rcu_read_lock();
	t = rcu_dereference(vtoa_trust);
	if (!t)
		ok = true;
	for (i = 0; t && !ok && i < t->n; i++)
		ok = t->cidr[i].family == family &&
		     vtoa_prefix_match(src, t->cidr[i].addr,
				       t->cidr[i].prefix);
	rcu_read_unlock();
	return ok;
}

static int vtoa_parse_cidr(char *s, struct vtoa_cidr *c)
{
	char *slash = strchr(s, '/');
	unsigned int max, plen;
	const char *end;

	if (slash)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (in4_pton(s, -1, c->addr, -1, &end) && !*end) {
		c->family = 4;
		max = 32;
	} else if (in6_pton(s, -1, c->addr, -1, &end) && !*end) {
		c->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash && (kstrtouint(slash + 1, 10, &plen) || plen > max))
		return -EINVAL;
	c->prefix = plen;
	/* clear host bits so matching and printing are canonical */
	if (plen < max) {
		c->addr[plen / 8] &= 0xff00 >> (plen % 8);
		memset(c->addr + plen / 8 + 1, 0, max / 8 - plen / 8 - 1);
	}
	return 0;
}

static int vtoa_set_trusted(const char *val, const struct kernel_param *kp)
{
	struct vtoa_trust *t = NULL, *old;
	char *buf, *p, *tok;
	int err = 0;

	buf = kstrdup(val ? val : "", GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	p = strim(buf);
	if (*p) {
		t = kzalloc(struct_size(t, cidr, VTOA_MAX_TRUSTED), GFP_KERNEL);
		if (!t) {
			err = -ENOMEM;
			goto out;
		}
		while ((tok = strsep(&p, ",")) != NULL) {
			tok = strim(tok);
			if (!*tok)
				continue;
			if (t->n == VTOA_MAX_TRUSTED) {
				pr_warn("vtoa: trusted_sources: more than %d entries\n",
					VTOA_MAX_TRUSTED);
				err = -EINVAL;
				goto out;
			}
			if (vtoa_parse_cidr(tok, &t->cidr[t->n])) {
				pr_warn("vtoa: trusted_sources: '%s' is not an IPv4/IPv6 address or CIDR\n",
					tok);
				err = -EINVAL;
				goto out;
			}
			t->n++;
		}
		if (!t->n) {
			kfree(t);
			t = NULL;
		}
	}
	old = rcu_replace_pointer(vtoa_trust, t, true);
	t = NULL;
	if (old)
		kfree_rcu(old, rcu);
out:
	kfree(t);
	kfree(buf);
	return err;
}

static int vtoa_get_trusted(char *buf, const struct kernel_param *kp)
{
	const struct vtoa_trust *t;
	unsigned int i;
	int len = 0;

	rcu_read_lock();
	t = rcu_dereference(vtoa_trust);
	for (i = 0; t && i < t->n; i++) {
		const struct vtoa_cidr *c = &t->cidr[i];

		len += scnprintf(buf + len, PAGE_SIZE - len,
				 c->family == 4 ? "%s%pI4/%u" : "%s%pI6c/%u",
				 i ? "," : "", c->addr, c->prefix);
	}
	rcu_read_unlock();
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops vtoa_ops_CIDRS = {
	.set = vtoa_set_trusted,
	.get = vtoa_get_trusted,
};

/*
 * The registrations, one per line of vtoa_params.h (a macro cannot
 * declare them and stay checkpatch-clean); vtoa_params_init() refuses to
 * load when they and the table disagree.
 */
module_param_cb(getpeername, &vtoa_ops_BOOL,
		&vtoa_param_val[VTOA_P_getpeername], 0644);
MODULE_PARM_DESC(getpeername,
		 "Return the TOA address from getpeername()/accept() (default 1)");
module_param_cb(getsockopt, &vtoa_ops_BOOL,
		&vtoa_param_val[VTOA_P_getsockopt], 0644);
MODULE_PARM_DESC(getsockopt,
		 "Answer getsockopt(IPPROTO_IP, 1348/1349) (default 1)");
module_param_cb(trusted_sources, &vtoa_ops_CIDRS,
		&vtoa_param_val[VTOA_P_trusted_sources], 0644);
MODULE_PARM_DESC(trusted_sources,
		 "Comma-separated proxy CIDRs whose TOA is believed (empty: all)");
module_param_cb(max_entries, &vtoa_ops_UINT,
		&vtoa_param_val[VTOA_P_max_entries], 0644);
MODULE_PARM_DESC(max_entries,
		 "Most sockets carrying a TOA at once; beyond, TOA is ignored");
module_param_cb(ipv6_kind254, &vtoa_ops_BOOL,
		&vtoa_param_val[VTOA_P_ipv6_kind254], 0644);
MODULE_PARM_DESC(ipv6_kind254,
		 "Also take kind 254 length 20 as an IPv6 TOA (dpvs; default 0)");

static const struct kernel_param_ops *const vtoa_type_ops[] = {
#define VTOA_PARAM(p, type, def, lo, hi, config) \
	[VTOA_P_##p] = &vtoa_ops_##type,
#include "include/uapi/vtoa_params.h"
#undef VTOA_PARAM
};

/* the test build's own switches (hooks.c), which are not in the table */
static bool vtoa_fault_param(const struct kernel_param *kp)
{
#ifdef VTOA_FAULT_INJECT
	return !strncmp(kp->name, "fault_", 6);
#else
	return false;
#endif
}

/* each table line registered once, with the ops of its type */
int vtoa_params_init(void)
{
	const struct kernel_param *kp = THIS_MODULE->kp;
	unsigned int i, n = THIS_MODULE->num_kp, faults = 0;

	for (i = 0; i < n; i++) {
		const struct vtoa_param_spec *spec;

		if (vtoa_fault_param(&kp[i])) {
			faults++;
			continue;
		}
		spec = vtoa_spec(&kp[i]);
		if (!spec || strcmp(spec->name, kp[i].name) ||
		    kp[i].ops != vtoa_type_ops[spec - vtoa_param_specs])
			break;
	}
	if (i < n || n - faults != VTOA_P_MAX) {
		pr_err("vtoa: %u parameters registered, %u in vtoa_params.h, first mismatch at %u: build error\n",
		       n - faults, VTOA_P_MAX, i);
		return -EINVAL;
	}
	return 0;
}

void vtoa_params_exit(void)
{
	struct vtoa_trust *t = rcu_replace_pointer(vtoa_trust, NULL, true);

	synchronize_rcu();
	kfree(t);
}
