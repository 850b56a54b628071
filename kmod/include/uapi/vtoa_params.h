/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The module parameters, defined once for the module and the vtoa tool.
 * Like the kernel's bpf_types.h this file has no include guard: define
 * VTOA_PARAM(name, type, def, min, max, config) and include it to expand
 * each line. The module (params.c) and the tool (its CShared target) both
 * do, so a parameter is added by one line here and the code that uses it.
 *
 *   name    /sys/module/vtoa/parameters/<name> and, when config is 1, the
 *           key in /etc/vtoa/vtoa.conf; the order is the order the tool
 *           passes them to the module
 *   type    BOOL (0 or 1; sysfs shows Y/N), UINT (a decimal from min to
 *           max), CIDRS (comma-separated IPv4/IPv6 CIDRs, at most max;
 *           host bits are cleared, so 10.0.0.1/8 reads back as 10.0.0.0/8,
 *           a bare address as /32 or /128, IPv6 compressed)
 *   def     the default (CIDRS: 0, the empty list: trust every source)
 *   config  1 when vtoa.conf sets it; 0 when the tool sets it from the
 *           kernel policy (getsockopt)
 *
 * Every parameter can be changed at run time by writing its sysfs file.
 */
VTOA_PARAM(getpeername, BOOL, 1, 0, 1, 1)
VTOA_PARAM(getsockopt, BOOL, 1, 0, 1, 0)
VTOA_PARAM(trusted_sources, CIDRS, 0, 0, 64, 1)
VTOA_PARAM(max_entries, UINT, 1048576, 1, 67108864, 1)
VTOA_PARAM(ipv6_kind254, BOOL, 0, 0, 1, 1)
