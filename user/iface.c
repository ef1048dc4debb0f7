// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Interface facts from the kernel, read through a socket of the calling
 * thread's network namespace (never through /sys, which `nsenter --net`
 * leaves showing the host's interfaces).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/libbpf.h>

#include "iface.h"

/* One SIOCETHTOOL request on ifname; 0 or a negative errno. */
static int ethtool(const char *ifname, void *cmd)
{
	struct ifreq ifr = {};
	int fd, err;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = cmd;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	return err;
}

int iface_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int err = ethtool(ifname, &ch);

	if (err)
		return err;
	/* RX-only channels and combined ones both have an RX queue */
	return (int)(ch.rx_count + ch.combined_count) ?: -EOPNOTSUPP;
}

int iface_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	mtu = ioctl(fd, SIOCGIFMTU, &ifr) ? -errno : ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* The "peer_ifindex" statistic a veth reports (`ethtool -S`), or 0. */
static int veth_peer_ifindex(const char *ifname)
{
	/* the header and its one data word, in a buffer: a struct holding
	 * ethtool_sset_info (flexible array) is a GNU extension clang refuses */
	__u64 buf[(sizeof(struct ethtool_sset_info) + sizeof(__u32) + 7) / 8] = {};
	struct ethtool_sset_info *sset = (void *)buf;
	struct ethtool_gstrings *names = NULL;
	struct ethtool_stats *stats = NULL;
	int ret = 0;
	__u32 i, n;

	sset->cmd = ETHTOOL_GSSET_INFO;
	sset->sset_mask = 1ULL << ETH_SS_STATS;
	if (ethtool(ifname, sset) || !sset->sset_mask)
		return 0;
	n = sset->data[0];
	if (!n || n > 4096)
		return 0;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(__u64));
	if (!names || !stats)
		goto out;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	if (ethtool(ifname, names) || ethtool(ifname, stats))
		goto out;
	for (i = 0; i < n && i < names->len && i < stats->n_stats; i++)
		if (!strncmp((char *)names->data + (size_t)i * ETH_GSTRING_LEN,
			     "peer_ifindex", ETH_GSTRING_LEN))
			ret = (int)stats->data[i];
out:
	free(names);
	free(stats);
	return ret;
}

int iface_veth_peer(const char *ifname, struct veth_peer *p)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_value tx = { .cmd = ETHTOOL_GTXCSUM };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char peer[IF_NAMESIZE];
	int err = ethtool(ifname, &drv);

	memset(p, 0, sizeof(*p));
	if (err)
		return err == -EOPNOTSUPP ? 0 : err;
	if (strcmp(drv.driver, "veth"))
		return 0;
	p->ifindex = veth_peer_ifindex(ifname);
	/* the same index here is the peer only if that veth points back at
	 * us: indexes of other namespaces may name anything here */
	if (!p->ifindex || !if_indextoname((unsigned)p->ifindex, peer) ||
	    veth_peer_ifindex(peer) != (int)if_nametoindex(ifname))
		return 1;
	p->visible = 1;
	snprintf(p->name, sizeof(p->name), "%s", peer);
	p->has_xdp = !bpf_xdp_query(p->ifindex, 0, &q) && q.attach_mode != XDP_ATTACHED_NONE;
	p->tx_csum = !ethtool(peer, &tx) && tx.data;
	return 1;
}
