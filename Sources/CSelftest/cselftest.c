#define _GNU_SOURCE
#include "cselftest.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_tun.h>

int vtoa_st_unshare_net(void)
{
	return unshare(CLONE_NEWNET) == 0 ? 0 : -errno;
}

static int fill_ifreq(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
	return 0;
}

int vtoa_st_tun_open(const char *name)
{
	struct ifreq ifr;
	int fd, err = fill_ifreq(&ifr, name);

	if (err)
		return err;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int with_inet_socket(int (*body)(int, struct ifreq *, const void *), const char *name, const void *arg)
{
	struct ifreq ifr;
	int s, err = fill_ifreq(&ifr, name);

	if (err)
		return err;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	err = body(s, &ifr, arg);
	close(s);
	return err;
}

static int up_body(int s, struct ifreq *ifr, const void *arg)
{
	(void)arg;
	if (ioctl(s, SIOCGIFFLAGS, ifr) < 0)
		return -errno;
	ifr->ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, ifr) < 0 ? -errno : 0;
}

int vtoa_st_if_up(const char *name)
{
	return with_inet_socket(up_body, name, NULL);
}

static int addr_body(int s, struct ifreq *ifr, const void *arg)
{
	const uint32_t *am = arg;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = am[0];
	if (ioctl(s, SIOCSIFADDR, ifr) < 0)
		return -errno;
	sin = (struct sockaddr_in *)&ifr->ifr_netmask;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = am[1];
	return ioctl(s, SIOCSIFNETMASK, ifr) < 0 ? -errno : 0;
}

int vtoa_st_if_addr(const char *name, uint32_t addr_be, uint32_t mask_be)
{
	uint32_t am[2] = { addr_be, mask_be };

	return with_inet_socket(addr_body, name, am);
}
