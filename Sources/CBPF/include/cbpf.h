#ifndef VTOA_CBPF_H
#define VTOA_CBPF_H
/*
 * The bpf() system calls of `vtoa doctor`: which programs are attached to a
 * cgroup for an attach type (BPF_PROG_QUERY), and a program's name. All
 * return 0 on success, -errno on failure (-ENOSYS: no bpf() in this kernel).
 */
#include <stdint.h>
#include <stddef.h>

/* enum bpf_attach_type values, as in <linux/bpf.h>. */
#define VTOA_BPF_CGROUP_INET4_GETPEERNAME 29
#define VTOA_BPF_CGROUP_INET6_GETPEERNAME 30

/*
 * Opens the cgroup directory `cgroup_path` (O_RDONLY|O_DIRECTORY) and asks
 * for the programs attached to it for `attach_type`. On success *count is
 * the number of programs (which may exceed `capacity`; only the first
 * `capacity` ids are stored in `ids`).
 */
int vtoa_bpf_query_cgroup(const char *cgroup_path, uint32_t attach_type,
			  uint32_t *ids, uint32_t capacity, uint32_t *count);

/* The program's name (BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD),
 * NUL-terminated in `name` (at least 17 bytes). */
int vtoa_bpf_prog_name(uint32_t id, char *name, size_t size);

#endif
