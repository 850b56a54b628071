// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-getpeername - attaches a cgroup getpeername eBPF program, as Cilium's
 * socket load balancer does, so `vtoa doctor` can be shown one.
 *
 *   bpf-getpeername attach [-6] [--rewrite IPV4] [CGROUP]
 *                                          load and attach one program
 *   bpf-getpeername detach [-6] [CGROUP]   detach every program it attached
 *   bpf-getpeername query  [-6] [CGROUP]   print the attached program ids
 *
 * CGROUP defaults to /sys/fs/cgroup (a cgroup v2 mount); -6 means
 * BPF_CGROUP_INET6_GETPEERNAME instead of ..._INET4_.... The program is
 * "r0 = 1; exit" (leave the address alone) of type
 * BPF_PROG_TYPE_CGROUP_SOCK_ADDR, named "vtoa_test_gpn", attached with
 * BPF_F_ALLOW_MULTI: the cgroup holds it after this program exits.
 * With --rewrite IPV4 (getpeername4 only) the program first sets the
 * address to IPV4, as a socket load balancer's reverse translation does
 * ("*(u32 *)(ctx + user_ip4) = IPV4"), so a test can see whose rewrite
 * getpeername() returns.
 * `detach` finds it again by that name (BPF_PROG_QUERY, then
 * BPF_PROG_GET_FD_BY_ID and BPF_OBJ_GET_INFO_BY_FD) and leaves other
 * programs alone. Raw bpf() system calls, no libbpf: a static binary.
 * Exit 0 on success, 1 on failure (the reason on stderr), 2 on usage.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROG_NAME "vtoa_test_gpn"
#define MAX_IDS 256

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int open_cgroup(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "bpf-getpeername: open %s: %s\n", path,
			strerror(errno));
	return fd;
}

static int attach(int cg, enum bpf_attach_type type, const char *rewrite)
{
	struct bpf_insn insns[4] = {
		/* r0 = 1 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		/* exit */
		{ .code = BPF_JMP | BPF_EXIT },
	};
	unsigned int ninsns = 2;
	uint32_t ip;

	if (rewrite) {
		struct in_addr a;

		if (type != BPF_CGROUP_INET4_GETPEERNAME || inet_pton(AF_INET, rewrite, &a) != 1) {
			fprintf(stderr, "bpf-getpeername: --rewrite takes an IPv4 address (getpeername4 only)\n");
			return 2;
		}
		memcpy(&ip, &a, sizeof(ip));	/* network order in memory */
		/* w2 = IP; *(u32 *)(r1 + user_ip4) = r2; r0 = 1; exit */
		insns[0] = (struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_K,
					      .dst_reg = BPF_REG_2, .imm = (int32_t)ip };
		insns[1] = (struct bpf_insn){ .code = BPF_STX | BPF_MEM | BPF_W,
					      .dst_reg = BPF_REG_1, .src_reg = BPF_REG_2,
					      .off = offsetof(struct bpf_sock_addr, user_ip4) };
		insns[2] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
					      .dst_reg = BPF_REG_0, .imm = 1 };
		insns[3] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
		ninsns = 4;
	}
	static char vlog[4096];
	union bpf_attr attr;
	int prog;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
	attr.expected_attach_type = type;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = ninsns;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	attr.log_buf = (uint64_t)(uintptr_t)vlog;
	attr.log_size = sizeof(vlog);
	attr.log_level = 1;
	memcpy(attr.prog_name, PROG_NAME, sizeof(PROG_NAME));
	prog = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0) {
		fprintf(stderr, "bpf-getpeername: BPF_PROG_LOAD: %s\n%s",
			strerror(errno), vlog);
		return 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cg;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = type;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
		fprintf(stderr, "bpf-getpeername: BPF_PROG_ATTACH: %s\n",
			strerror(errno));
		close(prog);
		return 1;
	}

	struct bpf_prog_info info;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)prog;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) == 0)
		printf("attached id=%u name=%s\n", info.id, PROG_NAME);
	else
		printf("attached name=%s\n", PROG_NAME);
	close(prog);	/* the cgroup keeps its own reference */
	return 0;
}

/* The ids attached to the cgroup for `type`; -1 on error. */
static int query(int cg, enum bpf_attach_type type, uint32_t *ids)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cg;
	attr.query.attach_type = type;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = MAX_IDS;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) {
		fprintf(stderr, "bpf-getpeername: BPF_PROG_QUERY: %s\n",
			strerror(errno));
		return -1;
	}
	return (int)attr.query.prog_cnt;
}

static int detach(int cg, enum bpf_attach_type type)
{
	uint32_t ids[MAX_IDS];
	int n = query(cg, type, ids), done = 0, rc = 0;

	if (n < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info;
		union bpf_attr attr;
		int fd;

		memset(&attr, 0, sizeof(attr));
		attr.prog_id = ids[i];
		fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;	/* gone meanwhile */
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = (uint32_t)fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (uint64_t)(uintptr_t)&info;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0 ||
		    strcmp(info.name, PROG_NAME) != 0) {
			close(fd);
			continue;
		}
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cg;
		attr.attach_bpf_fd = (uint32_t)fd;
		attr.attach_type = type;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0) {
			fprintf(stderr, "bpf-getpeername: BPF_PROG_DETACH id %u: %s\n",
				ids[i], strerror(errno));
			rc = 1;
		} else {
			printf("detached id=%u\n", ids[i]);
			done++;
		}
		close(fd);
	}
	if (!done && !rc)
		printf("nothing to detach\n");
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: bpf-getpeername attach|detach|query [-6] [--rewrite IPV4] [CGROUP]\n");
	return 2;
}

int main(int argc, char **argv)
{
	enum bpf_attach_type type = BPF_CGROUP_INET4_GETPEERNAME;
	const char *path = "/sys/fs/cgroup", *cmd, *rewrite = NULL;
	int i, cg, rc;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	for (i = 2; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-6") == 0)
			type = BPF_CGROUP_INET6_GETPEERNAME;
		else if (strcmp(argv[i], "--rewrite") == 0 && i + 1 < argc &&
			 strcmp(cmd, "attach") == 0)
			rewrite = argv[++i];
		else
			return usage();
	}
	if (i < argc)
		path = argv[i++];
	if (i < argc)
		return usage();
	if (strcmp(cmd, "attach") && strcmp(cmd, "detach") && strcmp(cmd, "query"))
		return usage();

	cg = open_cgroup(path);
	if (cg < 0)
		return 1;
	if (strcmp(cmd, "attach") == 0) {
		rc = attach(cg, type, rewrite);
	} else if (strcmp(cmd, "detach") == 0) {
		rc = detach(cg, type);
	} else {
		uint32_t ids[MAX_IDS];
		int n = query(cg, type, ids);

		rc = n < 0;
		for (int k = 0; k < n && k < MAX_IDS; k++)
			printf("%u\n", ids[k]);
	}
	close(cg);
	return rc;
}
