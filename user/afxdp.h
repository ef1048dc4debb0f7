/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One AF_XDP socket on one RX queue, with its own UMEM: rx_frames of the
 * frames feed the fill ring (RX), the rest are a stack of free TX frames. Every frame
 * is always in exactly one place (fill ring or RX in hand, TX free stack,
 * TX ring or completion ring), and the engine counters say where.
 */
#ifndef XTCP_XSK_H
#define XTCP_XSK_H

#include <stdbool.h>
#include <xdp/xsk.h>

#include "xtcp/abi.h"

#define AFXDP_FRAME_SIZE 2048	/* one MTU-1500 frame with headroom, two per page */
#define AFXDP_BATCH 64

struct afxdp {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	void *area;
	size_t area_size;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	__u32 nframes;
	__u32 nrx;		/* frames [0, nrx) feed RX, the rest are TX's */
	__u64 *tx_free;		/* stack of free TX frame addresses */
	__u32 ntx_free;
	__u32 tx_queued;	/* reserved on the TX ring, not yet submitted */
	struct xtcp_engine_stats *st;
};

struct afxdp_opts {
	const char *ifname;
	__u32 queue;
	__u32 nframes;		/* UMEM frames, a power of two >= 64 */
	__u32 rx_frames;	/* of them for RX: the RX and fill ring size,
				 * a power of two < nframes (0: half) */
	__u16 bind_flags;	/* XDP_COPY, XDP_ZEROCOPY or 0 (kernel picks) */
	int xsks_map_fd;	/* the socket goes in at index queue */
	struct xtcp_engine_stats *st;
};

int afxdp_open(struct afxdp *p, const struct afxdp_opts *o);
void afxdp_close(struct afxdp *p);

/* A free TX frame (cap = frame size), or NULL. */
__u8 *afxdp_tx_buf(struct afxdp *p, __u32 *cap);
/* Queue the frame built at buf for sending. */
void afxdp_tx_send(struct afxdp *p, __u8 *buf, __u32 len);
/* Submit queued TX descriptors, wake the kernel, reclaim completions. */
void afxdp_tx_kick(struct afxdp *p);
/* Give RX frames back to the fill ring. */
void afxdp_refill(struct afxdp *p, const __u64 *addrs, __u32 n);
/* The socket's own drop counters (XDP_STATISTICS) into the engine slot. */
void afxdp_read_stats(struct afxdp *p);

#endif /* XTCP_XSK_H */
