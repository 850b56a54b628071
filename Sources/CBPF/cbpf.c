/* bpf() for `vtoa doctor`: see include/cbpf.h. No libbpf: three commands. */
#define _GNU_SOURCE
#include "cbpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(VTOA_BPF_CGROUP_INET4_GETPEERNAME == BPF_CGROUP_INET4_GETPEERNAME,
	       "attach type of getpeername4");
_Static_assert(VTOA_BPF_CGROUP_INET6_GETPEERNAME == BPF_CGROUP_INET6_GETPEERNAME,
	       "attach type of getpeername6");

static int sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	long r = syscall(__NR_bpf, cmd, attr, size);

	return r < 0 ? -errno : (int)r;
}

int vtoa_bpf_query_cgroup(const char *cgroup_path, uint32_t attach_type,
			  uint32_t *ids, uint32_t capacity, uint32_t *count)
{
	union bpf_attr attr;
	uint32_t cap = capacity, *buf = NULL;
	int fd, r;

	fd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.query.target_fd = (uint32_t)fd;
		attr.query.attach_type = attach_type;
		attr.query.prog_cnt = cap;
		attr.query.prog_ids = (uint64_t)(uintptr_t)(cap == capacity ? ids : buf);
		r = sys_bpf(BPF_PROG_QUERY, &attr, sizeof(attr));
		/* more programs than room: the kernel says how many (prog_cnt) */
		if (r != -ENOSPC || attr.query.prog_cnt <= cap)
			break;
		free(buf);
		cap = attr.query.prog_cnt;
		buf = calloc(cap, sizeof(*buf));
		if (!buf) {
			r = -ENOMEM;
			break;
		}
	}
	if (r >= 0) {
		*count = attr.query.prog_cnt;
		if (buf)
			memcpy(ids, buf, capacity * sizeof(*ids));
		r = 0;
	}
	free(buf);
	close(fd);
	return r;
}

int vtoa_bpf_prog_name(uint32_t id, char *name, size_t size)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	int fd, r;

	if (size == 0)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr));
	close(fd);
	if (r < 0)
		return r;
	size_t n = strnlen(info.name, sizeof(info.name));
	if (n >= size)
		n = size - 1;
	memcpy(name, info.name, n);
	name[n] = '\0';
	return 0;
}
