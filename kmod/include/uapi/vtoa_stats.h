/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The counters of /proc/net/vtoa_stats ("name value" lines, per network
 * namespace, in this order), defined once for the module and the vtoa
 * tool. Like vtoa_params.h this file has no include guard: define
 * VTOA_STAT(name, kind, help) and VTOA_GLOBAL_STAT(name, kind, help) and
 * include it. kind is COUNTER (only goes up) or GAUGE (a live count; the
 * per-CPU sum can be read as -1 for a moment); help is the line the tool
 * prints (Prometheus # HELP). VTOA_GLOBAL_STAT lines are shared by all
 * namespaces and printed after the others.
 */
VTOA_STAT(syn_recv_sock_toa, COUNTER,
	  "Handshakes completed with a TOA option.")
VTOA_STAT(syn_recv_sock_no_toa, COUNTER,
	  "Handshakes completed without a TOA option.")
VTOA_STAT(getname_toa_ok, COUNTER,
	  "getpeername()/accept() calls answered with the TOA address.")
VTOA_STAT(getname_toa_mismatch, COUNTER,
	  "getpeername()/accept() calls whose TOA could not be expressed for the caller (the real peer was returned).")
VTOA_STAT(getname_toa_bypass, COUNTER,
	  "getpeername() calls answered with the real peer (kernel callers or getpeername=0).")
VTOA_STAT(getname_toa_empty, COUNTER,
	  "getpeername() calls on sockets without a TOA.")
VTOA_STAT(toa_v4, COUNTER,
	  "IPv4 TOA options accepted.")
VTOA_STAT(toa_v6, COUNTER,
	  "IPv6 TOA options accepted.")
VTOA_STAT(toa_malformed, COUNTER,
	  "TOA options ignored because the option list or the TOA was malformed.")
VTOA_STAT(toa_untrusted, COUNTER,
	  "TOA options ignored because the packet did not come from trusted_sources.")
VTOA_STAT(toa_multiple, COUNTER,
	  "Segments carrying more than one TOA option (the first valid one wins).")
VTOA_STAT(toa_tfo, COUNTER,
	  "Kind-254 options ignored as TCP Fast Open cookies.")
VTOA_STAT(toa_kind254_len20, COUNTER,
	  "Kind-254 length-20 options ignored because ipv6_kind254 is off.")
VTOA_STAT(toa_over_cap, COUNTER,
	  "TOA options ignored because max_entries sockets already carry one.")
VTOA_STAT(toa_alloc_fail, COUNTER,
	  "TOA options dropped because memory could not be allocated.")
VTOA_STAT(getsockopt_toa, COUNTER,
	  "getsockopt(1348/1349) calls answered with a TOA address.")
VTOA_STAT(getsockopt_no_toa, COUNTER,
	  "getsockopt(1348/1349) calls on sockets without a TOA.")
VTOA_STAT(entries_live, GAUGE,
	  "Sockets currently carrying a TOA address.")
VTOA_STAT(toa_syn, COUNTER,
	  "TOA options read from a SYN and kept until the connection was created.")
VTOA_STAT(toa_deferred, COUNTER,
	  "TOA options read from a bare ACK held back by TCP_DEFER_ACCEPT and kept until the connection was created.")
VTOA_STAT(toa_req_dropped, COUNTER,
	  "Kept TOA options whose handshake was abandoned or reset before a connection existed.")
VTOA_STAT(toa_syn_cookie, COUNTER,
	  "TOA options on a SYN answered with a SYN cookie: the kernel keeps no state, so they are lost.")
VTOA_STAT(toa_stale, COUNTER,
	  "Entries dropped because their socket was gone (a missed destruction); never answered.")
VTOA_STAT(reqs_live, GAUGE,
	  "Handshakes in progress holding a TOA address.")
VTOA_GLOBAL_STAT(probe_missed, COUNTER,
		 "Kernel probe hits the module missed.")
