// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Runs of new data through an AF_PACKET socket and the kernel's GSO: see
 * gso_tx.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "log.h"
#include "gso_tx.h"

int gso_tx_open(struct gso_tx *g, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int one = 1, sndbuf = 4 << 20, err;

	g->fd = -1;
	g->broken = false;
	g->ifindex = (int)if_nametoindex(ifname);
	if (!g->ifindex)
		return -errno;
	/* protocol 0: nothing is ever queued to it for reading */
	g->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (g->fd < 0)
		return -errno;
	sll.sll_ifindex = g->ifindex;
	if (bind(g->fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(g->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) {
		err = -errno;
		gso_tx_close(g);
		return err;
	}
	/*
	 * Not PACKET_QDISC_BYPASS: its direct transmit drops a frame that
	 * needs segmenting. A NIC holds a run until it completes: room for
	 * a few dozen (a send that finds none falls back to AF_XDP).
	 */
	if (setsockopt(g->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(g->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return 0;
}

void gso_tx_close(struct gso_tx *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

int gso_tx_send(struct gso_tx *g, const struct tcp_gso *s)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = s->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = (__u16)s->hdr_len,
		.gso_size = s->seg,
		.csum_start = s->l4_off,
		.csum_offset = 16,	/* the TCP checksum */
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(s->v6 ? ETH_P_IPV6 : ETH_P_IP),
		.sll_ifindex = g->ifindex,
	};
	struct iovec iov[4] = {
		{ &vh, sizeof(vh) },
		{ (void *)s->hdr, s->hdr_len },
		{ (void *)s->data[0], s->data_len[0] },
		{ (void *)s->data[1], s->data_len[1] },
	};
	struct msghdr mh = {
		.msg_name = &sll,
		.msg_namelen = sizeof(sll),
		.msg_iov = iov,
		.msg_iovlen = s->data_len[1] ? 4 : 3,
	};
	int err;
	ssize_t len = (ssize_t)(sizeof(vh) + s->hdr_len + s->data_len[0] + s->data_len[1]), n;

	if (g->fd < 0 || g->broken)
		return -ENOTCONN;
	/* VLAN tags: the kernel would cut them right, but the socket's
	 * protocol would have to be the tag's; not worth it */
	if (s->l3_off != ETH_HLEN)
		return -EOPNOTSUPP;
	n = sendmsg(g->fd, &mh, MSG_DONTWAIT);
	if (n == len)
		return 0;
	/* a packet socket sends all or nothing; a short count would leave
	 * errno stale (0: taken for success, EINVAL: the path broken) */
	if (n >= 0)
		return -EIO;
	err = errno;
	if (err != EINVAL && err != EOPNOTSUPP && err != EMSGSIZE &&
	    err != EPERM && err != EACCES)
		return -err;	/* full, or the link down: this run by AF_XDP */
	/* the device refuses runs: AF_XDP from now on */
	pr_warn("GSO send path: %s; every segment through AF_XDP from now on",
		strerror(err));
	g->broken = true;
	return -err;
}
