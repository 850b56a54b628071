#ifndef VTOA_CSELFTEST_H
#define VTOA_CSELFTEST_H
/*
 * The few system calls of `vtoa selftest` that need C structures (struct
 * ifreq, the TUN ioctl): all return 0 (or an fd) on success, -errno on
 * failure. The packets themselves are built and parsed in Swift.
 */
#include <stdint.h>
#include <stddef.h>

/* unshare(CLONE_NEWNET) for the calling thread only. */
int vtoa_st_unshare_net(void);
/* Opens /dev/net/tun and creates the TUN device `name` (IFF_TUN|IFF_NO_PI). */
int vtoa_st_tun_open(const char *name);
/* Sets IFF_UP on the interface. */
int vtoa_st_if_up(const char *name);
/* Sets an IPv4 address and netmask (both in network byte order). */
int vtoa_st_if_addr(const char *name, uint32_t addr_be, uint32_t mask_be);

#endif
