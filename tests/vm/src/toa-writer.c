// SPDX-License-Identifier: GPL-2.0
/*
 * toa-writer - loads toa-writer.bpf.o (a sock_ops program, embedded in this
 * binary) with libbpf and attaches it to a cgroup v2 directory: the guest
 * kernel's own TCP stack then writes a TOA option on every connection made
 * from that cgroup.
 *
 *   toa-writer --cgroup DIR --mode lvs|dpvs|all --addr ADDR --port PORT
 *              [--kind 253|254]
 *
 * ADDR IPv4: kind 254, length 8. ADDR IPv6: kind 253 (default) or 254
 * (--kind 254, the dpvs layout), length 20. It prints "ready" once the
 * program is attached, stays until SIGTERM or SIGINT, then detaches it and
 * prints one "stat NAME VALUE" line per counter and "done".
 * Exit 0 on success, 1 on failure (one line on stderr), 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "toa-writer.h"

/* the object file, built by clang -target bpf (see Makefile) */
__asm__(".section .rodata\n"
	".global tw_obj_start\n"
	"tw_obj_start:\n"
	".incbin \"" TW_BPF_OBJ "\"\n"
	".global tw_obj_end\n"
	"tw_obj_end:\n"
	".previous\n");
extern const char tw_obj_start[], tw_obj_end[];

static const char *const stat_names[TW_NSTATS] = {
	[TW_SYN] = "written_syn",
	[TW_ACK] = "written_ack",
	[TW_PSH] = "written_psh",
	[TW_FIN] = "written_fin",
	[TW_STOPPED] = "stopped_server_data",
	[TW_NOSPACE] = "no_space",
	[TW_STORE_ERR] = "store_error",
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("toa-writer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* a whole decimal number in [lo, hi], else a usage error naming OPT */
static long number(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die(2, "%s wants a number from %ld to %ld, got '%s'", opt, lo,
		    hi, s);
	return v;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL, *mode = NULL, *addr = NULL;
	long port = -1, kind = 0;
	struct toa_writer_cfg c = { 0 };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, old;
	int cg, pfd, cfd, sfd, err, i;
	__u32 key = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			die(2, "%s needs a value (see the header of toa-writer.c)", a);
		if (!strcmp(a, "--cgroup"))
			cgroup = argv[++i];
		else if (!strcmp(a, "--mode"))
			mode = argv[++i];
		else if (!strcmp(a, "--addr"))
			addr = argv[++i];
		else if (!strcmp(a, "--port"))
			port = number(a, argv[++i], 1, 65535);
		else if (!strcmp(a, "--kind"))
			kind = number(a, argv[++i], 253, 254);
		else
			die(2, "unknown argument '%s'", a);
	}
	if (!cgroup || !mode || !addr || port < 0)
		die(2, "usage: toa-writer --cgroup DIR --mode lvs|dpvs|all --addr ADDR --port PORT [--kind 253|254]");
	if (!strcmp(mode, "lvs"))
		c.mode = TW_MODE_LVS;
	else if (!strcmp(mode, "dpvs"))
		c.mode = TW_MODE_DPVS;
	else if (!strcmp(mode, "all"))
		c.mode = TW_MODE_ALL;
	else
		die(2, "--mode '%s': want lvs, dpvs or all", mode);
	c.port[0] = port >> 8;
	c.port[1] = port & 0xff;
	if (inet_pton(AF_INET, addr, c.addr) == 1) {
		if (kind && kind != 254)
			die(2, "an IPv4 TOA is kind 254 (got --kind %ld)", kind);
		c.kind = 254;
		c.len = 8;
	} else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
		c.kind = kind ? kind : 253;
		c.len = 20;
	} else {
		die(2, "--addr '%s' is not an IPv4 or IPv6 address", addr);
	}

	libbpf_set_print(quiet_libbpf);
	cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		die(1, "open %s: %s (a cgroup v2 directory?)", cgroup, strerror(errno));
	obj = bpf_object__open_mem(tw_obj_start, tw_obj_end - tw_obj_start, NULL);
	err = libbpf_get_error(obj);
	if (err)
		die(1, "open the embedded BPF object: %s", strerror(-err));
	err = bpf_object__load(obj);
	if (err)
		die(1, "load the BPF program: %s (kernel without BPF_SOCK_OPS_WRITE_HDR_OPT_CB, 5.10+?)",
		    strerror(-err));
	prog = bpf_object__find_program_by_name(obj, "toa_writer");
	cfd = bpf_object__find_map_fd_by_name(obj, "cfg");
	sfd = bpf_object__find_map_fd_by_name(obj, "stats");
	if (!prog || cfd < 0 || sfd < 0)
		die(1, "the BPF object lacks toa_writer, cfg or stats");
	pfd = bpf_program__fd(prog);
	if (bpf_map_update_elem(cfd, &key, &c, BPF_ANY))
		die(1, "fill the cfg map: %s", strerror(errno));
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (bpf_prog_attach(pfd, cg, BPF_CGROUP_SOCK_OPS, 0))
		die(1, "attach to %s: %s", cgroup, strerror(errno));
	printf("ready mode=%s kind=%u len=%u addr=%s port=%ld\n", mode, c.kind,
	       c.len, addr, port);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	if (bpf_prog_detach2(pfd, cg, BPF_CGROUP_SOCK_OPS))
		die(1, "detach from %s: %s", cgroup, strerror(errno));
	for (key = 0; key < TW_NSTATS; key++) {
		__u64 v = 0;

		if (bpf_map_lookup_elem(sfd, &key, &v))
			die(1, "read the stats map: %s", strerror(errno));
		printf("stat %s %llu\n", stat_names[key], (unsigned long long)v);
	}
	printf("done\n");
	bpf_object__close(obj);
	close(cg);
	return 0;
}
