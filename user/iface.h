/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What xtcp needs to know about the interface it serves. */
#ifndef XTCP_IFACE_H
#define XTCP_IFACE_H

/*
 * The RX queues of ifname that RSS can spread flows over: ethtool's
 * channels (rx + combined, as `ethtool -l` shows them). A negative errno
 * when the driver does not say (-EOPNOTSUPP).
 */
int iface_rx_queues(const char *ifname);

/* The MTU of ifname, or a negative errno. */
int iface_mtu(const char *ifname);

/* A veth's peer, as far as this namespace can see it. */
struct veth_peer {
	int ifindex;		/* in the peer's own namespace */
	int visible;		/* the peer is in this namespace too */
	char name[16];		/* when visible */
	int has_xdp;		/* when visible: an XDP program is attached */
	int tx_csum;		/* when visible: TX checksum offload is on */
};

/* 1 and *p when ifname is a veth, 0 when it is not, or a negative errno. */
int iface_veth_peer(const char *ifname, struct veth_peer *p);

#endif /* XTCP_IFACE_H */
