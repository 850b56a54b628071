// SPDX-License-Identifier: GPL-2.0
/*
 * vtoa-bpf - loader of the eBPF backend (vtoa.bpf.o, embedded).
 *
 *   vtoa-bpf attach [--trusted CIDRS] [--getpeername 0|1] [--getsockopt 0|1]
 *                   [--ipv6-kind254 0|1]
 *   vtoa-bpf detach
 *   vtoa-bpf stats                 "name value" lines, as /proc/net/vtoa_stats
 *   vtoa-bpf set NAME VALUE        getpeername, getsockopt, ipv6_kind254 (0|1),
 *                                  trusted_sources (comma-separated CIDRs, "" = all)
 *   vtoa-bpf get NAME              print a switch as set/get would show it;
 *                                  sockopt_errno (read-only): 1 when the kernel
 *                                  lets the getsockopt program fail a call with
 *                                  its own error (5.18+), 0: ENOPROTOOPT instead
 *   vtoa-bpf status                exit 0 when attached (pinned), 1 when not
 *
 * attach loads the programs, attaches them to the cgroup v2 root with
 * BPF_F_ALLOW_MULTI and pins programs and maps under /sys/fs/bpf/vtoa, so
 * they outlive this process; detach detaches and unpins them. A failed
 * load or attach prints one line naming the program and the verifier's
 * reason (the whole log in the file the line names) and leaves nothing
 * attached or pinned. Exit 0 ok, 1 failure (one line on stderr), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vtoa.h"
#include "vtoa-bpf.h"

__asm__(".section .rodata\n"
	".global vtoa_obj_start\n"
	"vtoa_obj_start:\n"
	".incbin \"" VTOA_BPF_OBJ "\"\n"
	".global vtoa_obj_end\n"
	"vtoa_obj_end:\n"
	".previous\n");
extern const char vtoa_obj_start[], vtoa_obj_end[];

#define BPFFS		"/sys/fs/bpf"
#define PIN_DIR		BPFFS "/vtoa"
#define CG_PRIVATE	"/run/vtoa-bpf-cgroup2"
#define VLOG_FILE	"/run/vtoa-bpf-verifier.log"

static const char *const stat_names[VTOA_NSTATS] = {
#define VTOA_X(n) [VTOA_STAT_##n] = #n,
	VTOA_BPF_STATS(VTOA_X)
#undef VTOA_X
};

static const char *const cfg_names[VTOA_NCFG] = {
	[VTOA_CFG_getpeername] = "getpeername",
	[VTOA_CFG_getsockopt] = "getsockopt",
	[VTOA_CFG_ipv6_kind254] = "ipv6_kind254",
	[VTOA_CFG_trusted] = NULL,	/* set through trusted_sources */
};

static const struct {
	const char *prog;
	enum bpf_attach_type type;
} progs[] = {
	{ "vtoa_sockops", BPF_CGROUP_SOCK_OPS },
	{ "vtoa_getpeername4", BPF_CGROUP_INET4_GETPEERNAME },
	{ "vtoa_getpeername6", BPF_CGROUP_INET6_GETPEERNAME },
	{ "vtoa_getsockopt", BPF_CGROUP_GETSOCKOPT },
};
#define NPROGS (sizeof(progs) / sizeof(progs[0]))
static const char *const maps[] = { "toa", "cfg", "stats", "trusted", "trusted_text" };
#define NMAPS (sizeof(maps) / sizeof(maps[0]))

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vtoa-bpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* ------------------------------------------------------------ mounts */

static int is_fs(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

static void ensure_bpffs(void)
{
	if (is_fs(BPFFS, BPF_FS_MAGIC))
		return;
	mkdir(BPFFS, 0700);
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		die(1, "mount bpffs on %s: %s", BPFFS, strerror(errno));
}

/* the cgroup v2 root: a mount of it, or our own private one */
static int open_cgroup_root(void)
{
	char dev[256], dir[4096], type[64];
	const char *path = NULL;
	FILE *f = fopen("/proc/self/mounts", "re");
	int fd;

	static char found[4096];

	while (f && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(found, sizeof(found), "%s", dir);
			path = found;
			break;
		}
	}
	if (f)
		fclose(f);
	if (!path) {
		mkdir(CG_PRIVATE, 0700);
		if (!is_fs(CG_PRIVATE, CGROUP2_SUPER_MAGIC) &&
		    mount("cgroup2", CG_PRIVATE, "cgroup2", 0, NULL))
			die(1, "mount cgroup2 on %s: %s", CG_PRIVATE, strerror(errno));
		path = CG_PRIVATE;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(1, "open cgroup v2 root %s: %s", path, strerror(errno));
	return fd;
}

/* ------------------------------------------------------------ pinned maps */

static int pinned_map(const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), PIN_DIR "/%s", name);
	fd = bpf_obj_get(p);
	if (fd < 0) {
		if (errno == ENOENT)
			die(1, "not attached (no %s; run vtoa-bpf attach)", p);
		die(1, "open %s: %s", p, strerror(errno));
	}
	return fd;
}

/* ------------------------------------------------------------ trusted_sources */

struct cidr_list {
	int n;
	struct vtoa_bpf_cidr c[256];
	char text[VTOA_BPF_TEXT_MAX];
};

/* parse "A/N, B, ..." into *l; 0 ok, -1 with the message printed */
static int parse_cidrs(const char *s, struct cidr_list *l)
{
	char buf[VTOA_BPF_TEXT_MAX], *tok, *save = NULL;
	size_t tl = 0;

	memset(l, 0, sizeof(*l));
	if (strlen(s) >= sizeof(buf)) {
		fprintf(stderr, "vtoa-bpf: trusted_sources: longer than %d bytes\n",
			VTOA_BPF_TEXT_MAX - 1);
		return -1;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *slash, *end, addr[64], out[80];
		struct vtoa_bpf_cidr *c;
		unsigned char a[16];
		long len;
		int v6;

		while (*tok == ' ' || *tok == '\t' || *tok == '\n')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
			*--end = 0;
		if (!*tok)
			continue;
		slash = strchr(tok, '/');
		snprintf(addr, sizeof(addr), "%.*s",
			 (int)(slash ? slash - tok : (long)strlen(tok)), tok);
		if (inet_pton(AF_INET, addr, a) == 1) {
			v6 = 0;
		} else if (inet_pton(AF_INET6, addr, a) == 1) {
			v6 = 1;
		} else {
			fprintf(stderr, "vtoa-bpf: trusted_sources: '%s' is not an IPv4/IPv6 address or CIDR\n", tok);
			return -1;
		}
		len = v6 ? 128 : 32;
		if (slash) {
			errno = 0;
			len = strtol(slash + 1, &end, 10);
			if (errno || end == slash + 1 || *end || len < 0 ||
			    len > (v6 ? 128 : 32)) {
				fprintf(stderr, "vtoa-bpf: trusted_sources: '%s': bad prefix length\n", tok);
				return -1;
			}
		}
		if (l->n >= 256) {
			fprintf(stderr, "vtoa-bpf: trusted_sources: more than 256 entries\n");
			return -1;
		}
		c = &l->c[l->n++];
		if (v6) {
			memcpy(c->addr, a, 16);
			c->prefixlen = len;
		} else {
			c->addr[10] = c->addr[11] = 0xff;
			memcpy(&c->addr[12], a, 4);
			c->prefixlen = 96 + len;
		}
		snprintf(out, sizeof(out), "%s%s/%ld", l->n > 1 ? "," : "", addr, len);
		if (tl + strlen(out) >= sizeof(l->text)) {
			fprintf(stderr, "vtoa-bpf: trusted_sources: too long\n");
			return -1;
		}
		memcpy(l->text + tl, out, strlen(out) + 1);
		tl += strlen(out);
	}
	return 0;
}

static int in_list(const struct cidr_list *l, const struct vtoa_bpf_cidr *k)
{
	for (int i = 0; i < l->n; i++)
		if (l->c[i].prefixlen == k->prefixlen && !memcmp(l->c[i].addr, k->addr, 16))
			return 1;
	return 0;
}

/*
 * Replace the trie's contents without a moment of "trust all" or "trust
 * none": the new entries go in first, then the switch, then the old
 * entries that are not in the new list come out.
 */
static int apply_trusted(int cfg_fd, int trie_fd, int text_fd, const struct cidr_list *l)
{
	struct vtoa_bpf_cidr k, next, dels[512];
	__u32 key = VTOA_CFG_trusted, on = l->n > 0, zero = 0;
	__u8 one = 1;
	int nd = 0, i;
	void *prev = NULL;

	for (i = 0; i < l->n; i++)
		if (bpf_map_update_elem(trie_fd, &l->c[i], &one, BPF_ANY))
			return -errno;
	if (bpf_map_update_elem(cfg_fd, &key, &on, BPF_ANY))
		return -errno;
	while (nd < 512 && !bpf_map_get_next_key(trie_fd, prev, &next)) {
		if (!in_list(l, &next))
			dels[nd++] = next;
		k = next;
		prev = &k;
	}
	for (i = 0; i < nd; i++)
		bpf_map_delete_elem(trie_fd, &dels[i]);
	if (bpf_map_update_elem(text_fd, &zero, l->text, BPF_ANY))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------ attach */

static FILE *vlog;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (vlog)
		return vfprintf(vlog, fmt, ap);
	return 0;
}

/* the one-line reason of a failed load, from the log libbpf wrote */
static void report_load_failure(int err)
{
	char line[1024], prog[128] = "?", reason[1024] = "";
	int in_log = 0;
	FILE *f;

	fflush(vlog);
	f = fopen(VLOG_FILE, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *p;

		line[strcspn(line, "\n")] = 0;
		if ((p = strstr(line, "prog '")) && strstr(line, "load failed")) {
			sscanf(p, "prog '%127[^']'", prog);
			if (!*reason)
				snprintf(reason, sizeof(reason), "%s", strstr(line, "load failed"));
		}
		if (strstr(line, "-- BEGIN PROG LOAD LOG --")) {
			in_log = 1;
			continue;
		}
		if (strstr(line, "-- END PROG LOAD LOG --")) {
			in_log = 0;
			continue;
		}
		if (in_log && *line && strncmp(line, "processed ", 10) &&
		    strncmp(line, "verification time", 17))
			snprintf(reason, sizeof(reason), "%s", line);
	}
	if (f)
		fclose(f);
	die(1, "load of program %s failed: %s (%s; verifier log in %s)", prog,
	    *reason ? reason : "?", strerror(-err), VLOG_FILE);
}

static void unpin_all(void)
{
	char p[256];
	size_t i;

	for (i = 0; i < NPROGS; i++) {
		snprintf(p, sizeof(p), PIN_DIR "/%s", progs[i].prog);
		unlink(p);
	}
	for (i = 0; i < NMAPS; i++) {
		snprintf(p, sizeof(p), PIN_DIR "/%s", maps[i]);
		unlink(p);
	}
	rmdir(PIN_DIR);
}

static int set_switch(int cfg_fd, const char *name, const char *val)
{
	__u32 k, v;

	for (k = 0; k < VTOA_NCFG; k++)
		if (cfg_names[k] && !strcmp(cfg_names[k], name))
			break;
	if (k == VTOA_NCFG)
		return -ENOENT;
	if (strcmp(val, "0") && strcmp(val, "1") && strcmp(val, "0\n") && strcmp(val, "1\n"))
		return -EINVAL;
	v = val[0] == '1';
	if (bpf_map_update_elem(cfg_fd, &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Can the getsockopt program fail a call with its own error (5.18+), or does
 * the kernel turn that into EFAULT? Asked of the attached programs on an
 * unconnected TCP socket, which they answer with ENOTCONN; the answer goes
 * into VTOA_CFG_errno (0: the programs leave the kernel's ENOPROTOOPT).
 */
static void probe_sockopt_errno(int cfg_fd)
{
	__u32 k_err = VTOA_CFG_errno, k_so = VTOA_CFG_getsockopt;
	__u32 one = 1, zero = 0, so = 1;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	bpf_map_update_elem(cfg_fd, &k_err, &one, BPF_ANY);
	bpf_map_lookup_elem(cfg_fd, &k_so, &so);
	bpf_map_update_elem(cfg_fd, &k_so, &one, BPF_ANY);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (getsockopt(fd, IPPROTO_IP, VTOA_SO_GET_ADDR, &ss, &len) < 0 &&
		    errno == EFAULT)
			bpf_map_update_elem(cfg_fd, &k_err, &zero, BPF_ANY);
		close(fd);
	}
	bpf_map_update_elem(cfg_fd, &k_so, &so, BPF_ANY);
}

static int cmd_attach(int argc, char **argv)
{
	const char *sw_name[8], *sw_val[8], *trusted = "";
	int nsw = 0, i, err, cg, attached = 0, cfg_fd;
	struct bpf_object *obj;
	struct cidr_list l;
	struct stat st;
	char p[256];

	for (i = 0; i < argc; i++) {
		if (i + 1 >= argc)
			die(2, "%s needs a value", argv[i]);
		if (!strcmp(argv[i], "--trusted")) {
			trusted = argv[++i];
		} else if (!strcmp(argv[i], "--getpeername") ||
			   !strcmp(argv[i], "--getsockopt") ||
			   !strcmp(argv[i], "--ipv6-kind254")) {
			if (nsw >= 8)
				die(2, "too many switches");
			sw_name[nsw] = argv[i] + 2;
			sw_val[nsw++] = argv[++i];
		} else {
			die(2, "attach: unknown argument '%s'", argv[i]);
		}
	}
	if (parse_cidrs(trusted, &l))
		return 1;
	for (i = 0; i < nsw; i++) {
		if (strcmp(sw_val[i], "0") && strcmp(sw_val[i], "1"))
			die(2, "--%s wants 0 or 1, got '%s'", sw_name[i], sw_val[i]);
	}

	ensure_bpffs();
	if (stat(PIN_DIR, &st) == 0)
		die(1, "already attached (%s exists; vtoa-bpf detach first)", PIN_DIR);
	cg = open_cgroup_root();

	vlog = fopen(VLOG_FILE, "we");
	libbpf_set_print(libbpf_print);
	obj = bpf_object__open_mem(vtoa_obj_start, vtoa_obj_end - vtoa_obj_start, NULL);
	err = libbpf_get_error(obj);
	if (err)
		die(1, "open the embedded BPF object: %s", strerror(-err));
	err = bpf_object__load(obj);
	if (err)
		report_load_failure(err);

	cfg_fd = bpf_object__find_map_fd_by_name(obj, "cfg");
	{
		__u32 k = VTOA_CFG_getpeername, one = 1;

		bpf_map_update_elem(cfg_fd, &k, &one, BPF_ANY);
		k = VTOA_CFG_getsockopt;
		bpf_map_update_elem(cfg_fd, &k, &one, BPF_ANY);
	}
	for (i = 0; i < nsw; i++) {
		char n[32];

		snprintf(n, sizeof(n), "%s", sw_name[i]);
		for (char *c = n; *c; c++)
			if (*c == '-')
				*c = '_';
		if ((err = set_switch(cfg_fd, n, sw_val[i])))
			die(1, "set %s: %s", n, strerror(-err));
	}
	err = apply_trusted(cfg_fd, bpf_object__find_map_fd_by_name(obj, "trusted"),
			    bpf_object__find_map_fd_by_name(obj, "trusted_text"), &l);
	if (err)
		die(1, "fill trusted_sources: %s", strerror(-err));

	if (mkdir(PIN_DIR, 0700))
		die(1, "mkdir %s: %s", PIN_DIR, strerror(errno));
	for (i = 0; i < (int)NMAPS; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, maps[i]);

		snprintf(p, sizeof(p), PIN_DIR "/%s", maps[i]);
		if (!m || bpf_obj_pin(bpf_map__fd(m), p)) {
			err = -errno;
			unpin_all();
			die(1, "pin map %s: %s", maps[i], strerror(-err));
		}
	}
	for (i = 0; i < (int)NPROGS; i++) {
		struct bpf_program *pr = bpf_object__find_program_by_name(obj, progs[i].prog);
		int fd = pr ? bpf_program__fd(pr) : -1;

		snprintf(p, sizeof(p), PIN_DIR "/%s", progs[i].prog);
		if (fd < 0 || bpf_obj_pin(fd, p))
			goto attach_fail;
		if (bpf_prog_attach(fd, cg, progs[i].type, BPF_F_ALLOW_MULTI))
			goto attach_fail;
		attached++;
	}
	probe_sockopt_errno(cfg_fd);
	bpf_object__close(obj);
	close(cg);
	if (vlog)
		fclose(vlog);
	unlink(VLOG_FILE);
	return 0;

attach_fail:
	err = errno;
	for (int j = 0; j < attached; j++) {
		struct bpf_program *pr = bpf_object__find_program_by_name(obj, progs[j].prog);

		bpf_prog_detach2(bpf_program__fd(pr), cg, progs[j].type);
	}
	unpin_all();
	die(1, "attach of program %s to the cgroup v2 root failed: %s", progs[i].prog,
	    strerror(err));
	return 1;
}

static int cmd_detach(void)
{
	char p[256];
	int cg, bad = 0;
	size_t i;
	struct stat st;

	if (stat(PIN_DIR, &st))
		die(1, "not attached (no %s)", PIN_DIR);
	cg = open_cgroup_root();
	for (i = 0; i < NPROGS; i++) {
		int fd;

		snprintf(p, sizeof(p), PIN_DIR "/%s", progs[i].prog);
		fd = bpf_obj_get(p);
		if (fd < 0)
			continue;
		if (bpf_prog_detach2(fd, cg, progs[i].type) && errno != ENOENT) {
			fprintf(stderr, "vtoa-bpf: detach %s: %s\n", progs[i].prog, strerror(errno));
			bad = 1;
		}
		close(fd);
	}
	unpin_all();
	close(cg);
	return bad;
}

static int cmd_stats(void)
{
	int fd = pinned_map("stats"), ncpu = libbpf_num_possible_cpus();
	__u64 *v;
	__u32 k;

	if (ncpu <= 0)
		die(1, "cannot count CPUs: %s", strerror(-ncpu));
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		die(1, "out of memory");
	for (k = 0; k < VTOA_NSTATS; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &k, v))
			die(1, "read stats: %s", strerror(errno));
		for (int c = 0; c < ncpu; c++)
			sum += v[c];
		if (k == VTOA_STAT_entries_live)
			printf("%s %lld\n", stat_names[k], (long long)sum);
		else
			printf("%s %llu\n", stat_names[k], (unsigned long long)sum);
	}
	free(v);
	return 0;
}

static int cmd_set(const char *name, const char *val)
{
	int cfg_fd = pinned_map("cfg"), err;

	if (!strcmp(name, "trusted_sources")) {
		struct cidr_list l;

		if (parse_cidrs(val, &l))
			return 1;
		err = apply_trusted(cfg_fd, pinned_map("trusted"), pinned_map("trusted_text"), &l);
	} else {
		err = set_switch(cfg_fd, name, val);
		if (err == -ENOENT)
			die(1, "set: no switch '%s' (getpeername, getsockopt, ipv6_kind254, trusted_sources)", name);
		if (err == -EINVAL)
			die(1, "set %s: wants 0 or 1, got '%s'", name, val);
	}
	if (err)
		die(1, "set %s: %s", name, strerror(-err));
	return 0;
}

static int cmd_get(const char *name)
{
	int cfg_fd = pinned_map("cfg");
	__u32 k;

	if (!strcmp(name, "trusted_sources")) {
		char text[VTOA_BPF_TEXT_MAX];

		k = 0;
		if (bpf_map_lookup_elem(pinned_map("trusted_text"), &k, text))
			die(1, "read trusted_sources: %s", strerror(errno));
		text[sizeof(text) - 1] = 0;
		printf("%s\n", text);
		return 0;
	}
	for (k = 0; k < VTOA_NCFG; k++) {
		__u32 v;

		if (k == VTOA_CFG_errno && !strcmp(name, "sockopt_errno"))
			; /* read-only: what the attach probe found */
		else if (!cfg_names[k] || strcmp(cfg_names[k], name))
			continue;
		if (bpf_map_lookup_elem(cfg_fd, &k, &v))
			die(1, "read %s: %s", name, strerror(errno));
		printf("%u\n", v);
		return 0;
	}
	die(1, "get: no switch '%s'", name);
	return 1;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc - 2, argv + 2);
	if (!strcmp(cmd, "detach") && argc == 2)
		return cmd_detach();
	if (!strcmp(cmd, "stats") && argc == 2)
		return cmd_stats();
	if (!strcmp(cmd, "set") && argc == 4)
		return cmd_set(argv[2], argv[3]);
	if (!strcmp(cmd, "get") && argc == 3)
		return cmd_get(argv[2]);
	if (!strcmp(cmd, "status") && argc == 2) {
		struct stat st;

		return stat(PIN_DIR, &st) ? 1 : 0;
	}
	fprintf(stderr, "usage: vtoa-bpf attach [--trusted CIDRS] [--getpeername 0|1] [--getsockopt 0|1] [--ipv6-kind254 0|1]\n"
			"       vtoa-bpf detach | stats | status | set NAME VALUE | get NAME\n");
	return 2;
}
