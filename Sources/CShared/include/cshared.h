#ifndef VTOA_CSHARED_H
#define VTOA_CSHARED_H
/*
 * What the tool shares with the module, read from the module's own
 * headers (kmod/include/uapi/vtoa.h and vtoa_params.h) at build time: the
 * version and the parameter table. Swift reads it through VTOACore's
 * ParameterSpec and vtoaVersion.
 */
#include <stdint.h>

enum vtoa_param_type {
	VTOA_PARAM_TYPE_BOOL = 0,
	VTOA_PARAM_TYPE_UINT = 1,
	VTOA_PARAM_TYPE_CIDRS = 2,
};

struct vtoa_param_info {
	const char *name;
	enum vtoa_param_type type;
	uint64_t def;
	uint64_t min;
	uint64_t max;
	int config;
};

/* The parameters in vtoa_params.h order. */
unsigned int vtoa_param_count(void);
const struct vtoa_param_info *vtoa_param_at(unsigned int i);
enum vtoa_stat_kind {
	VTOA_STAT_KIND_COUNTER = 0,
	VTOA_STAT_KIND_GAUGE = 1,
};

struct vtoa_stat_info {
	const char *name;
	enum vtoa_stat_kind kind;
	const char *help;
	int global;	/* shared by all namespaces (probe_missed) */
};

/* The counters in /proc/net/vtoa_stats order (vtoa_stats.h). */
unsigned int vtoa_stat_count(void);
const struct vtoa_stat_info *vtoa_stat_at(unsigned int i);

/* VTOA_VERSION */
const char *vtoa_shared_version(void);

#endif
