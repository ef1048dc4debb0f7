// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Interface facts from the kernel, read through a socket of the calling
 * thread's network namespace (never through /sys, which `nsenter --net`
 * leaves showing the host's interfaces).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "iface.h"

int iface_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = {};
	int fd, err;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (void *)&ch;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	/* RX-only channels and combined ones both have an RX queue */
	return (int)(ch.rx_count + ch.combined_count) ?: -EOPNOTSUPP;
}
