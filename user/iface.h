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

#endif /* XTCP_IFACE_H */
