/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One AF_XDP socket on one RX queue, with its own UMEM: half the frames
 * feed the fill ring (RX), half are a stack of free TX frames. Every frame
 * is always in exactly one place (fill ring or RX in hand, TX free stack,
 * TX ring or completion ring), and the engine counters say where.
 */
#ifndef XTCP_XSK_H
#define XTCP_XSK_H

#include <stdbool.h>
#include <xdp/xsk.h>

#include "xtcp/abi.h"

#define XSK_FRAME_SIZE 2048	/* one MTU-1500 frame with headroom, two per page */
#define XSK_BATCH 64

struct xsk_port {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	void *area;
	size_t area_size;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	__u32 nframes;
	__u64 *tx_free;		/* stack of free TX frame addresses */
	__u32 ntx_free;
	__u32 tx_queued;	/* reserved on the TX ring, not yet submitted */
	struct xtcp_engine_stats *st;
};

struct xsk_port_opts {
	const char *ifname;
	__u32 queue;
	__u32 nframes;		/* UMEM frames, a power of two >= 64 */
	__u16 bind_flags;	/* XDP_COPY, XDP_ZEROCOPY or 0 (kernel picks) */
	int xsks_map_fd;	/* the socket goes in at index queue */
	struct xtcp_engine_stats *st;
};

int xsk_port_open(struct xsk_port *p, const struct xsk_port_opts *o);
void xsk_port_close(struct xsk_port *p);

/* A free TX frame (cap = frame size), or NULL. */
__u8 *xsk_port_tx_buf(struct xsk_port *p, __u32 *cap);
/* Queue the frame built at buf for sending. */
void xsk_port_tx_send(struct xsk_port *p, __u8 *buf, __u32 len);
/* Submit queued TX descriptors, wake the kernel, reclaim completions. */
void xsk_port_tx_kick(struct xsk_port *p);
/* Give RX frames back to the fill ring. */
void xsk_port_refill(struct xsk_port *p, const __u64 *addrs, __u32 n);

#endif /* XTCP_XSK_H */
