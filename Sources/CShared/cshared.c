#include "cshared.h"

/* kmod/include/uapi, through the target's header search path */
#include "vtoa.h"

static const struct vtoa_param_info table[] = {
#define VTOA_PARAM(p, type, def, lo, hi, config) \
	{ #p, VTOA_PARAM_TYPE_##type, (def), (lo), (hi), (config) },
#include "vtoa_params.h"
#undef VTOA_PARAM
};

unsigned int vtoa_param_count(void)
{
	return sizeof(table) / sizeof(table[0]);
}

const struct vtoa_param_info *vtoa_param_at(unsigned int i)
{
	return i < vtoa_param_count() ? &table[i] : 0;
}

static const struct vtoa_stat_info stats[] = {
#define VTOA_STAT(n, kind, help) { #n, VTOA_STAT_KIND_##kind, help, 0 },
#define VTOA_GLOBAL_STAT(n, kind, help) { #n, VTOA_STAT_KIND_##kind, help, 1 },
#include "vtoa_stats.h"
#undef VTOA_GLOBAL_STAT
#undef VTOA_STAT
};

unsigned int vtoa_stat_count(void)
{
	return sizeof(stats) / sizeof(stats[0]);
}

const struct vtoa_stat_info *vtoa_stat_at(unsigned int i)
{
	return i < vtoa_stat_count() ? &stats[i] : 0;
}

const char *vtoa_shared_version(void)
{
	return VTOA_VERSION;
}
