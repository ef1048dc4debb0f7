/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One AF_XDP socket on one RX queue, with its own UMEM: rx_frames of the
 * frames feed the fill ring (RX), the rest are a stack of free TX frames. Every frame
 * is always in exactly one place (fill ring or RX in hand, TX free stack,
 * TX ring or completion ring), and the engine counters say where.
 *
 * The frame size follows the MTU: 2048 bytes (two frames a page) while a
 * frame and the kernel's RX headroom fit, 4096 above (MTU 1,771 and up).
 * Above 3,818 a frame no longer fits one UMEM frame: the socket is bound
 * with XDP_USE_SG, a frame arrives as several RX descriptors (XDP_PKT_CONTD
 * on all but the last), gathered into one buffer for the engine, and goes
 * out from a scratch buffer split the same way.
 */
#ifndef XTCP_XSK_H
#define XTCP_XSK_H

#include <stdbool.h>
#include <xdp/xsk.h>

#include "xtcp/abi.h"

#define AFXDP_BATCH 64
#define AFXDP_HEADROOM 256	/* XDP_PACKET_HEADROOM, in front of each RX frame */
#define AFXDP_L2_EXTRA 22	/* a frame beyond its MTU: Ethernet, two VLAN tags */
/*
 * The largest MTU served: the usual jumbo ceiling of switches, three UMEM
 * frames a frame (the kernel's copy mode takes up to 18).
 */
#define AFXDP_MTU_MAX 9216

/* linux/if_xdp.h of 6.6 and later, beyond the distribution's headers */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

struct afxdp {
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	void *area;
	size_t area_size;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	__u32 nframes;
	__u32 nrx;		/* frames [0, nrx) feed RX, the rest are TX's */
	__u32 frame_size;	/* 2048, or 4096 for a jumbo MTU */
	__u32 max_frame;	/* the longest frame the MTU allows */
	bool sg;		/* XDP_USE_SG: a frame may span UMEM frames */
	__u64 *tx_free;		/* stack of free TX frame addresses */
	__u32 ntx_free;
	__u32 tx_queued;	/* reserved on the TX ring, not yet submitted */
	/* sg only: frames are built here, then copied into TX frames */
	__u8 *tx_scratch;
	/* sg only: a frame of several RX descriptors is gathered here, with
	 * its metadata in front as in a UMEM frame */
	__u8 *rx_gather;
	__u32 rx_len;		/* bytes gathered so far */
	bool rx_partial;	/* in the middle of a frame (XDP_PKT_CONTD) */
	bool rx_dropping;	/* the rest of this frame is dropped */
	struct xtcp_engine_stats *st;
};

struct afxdp_opts {
	const char *ifname;
	__u32 queue;
	__u32 nframes;		/* UMEM frames, a power of two >= 64 */
	__u32 rx_frames;	/* of them for RX: the RX and fill ring size,
				 * a power of two < nframes (0: half) */
	__u32 mtu;		/* of the interface, at most AFXDP_MTU_MAX */
	__u16 bind_flags;	/* XDP_COPY, XDP_ZEROCOPY or 0 (kernel picks) */
	int xsks_map_fd;	/* the socket goes in at index queue */
	struct xtcp_engine_stats *st;
};

int afxdp_open(struct afxdp *p, const struct afxdp_opts *o);
void afxdp_close(struct afxdp *p);

/* Bytes per UMEM frame for an MTU. */
__u32 afxdp_frame_size(__u32 mtu);

/*
 * The frame RX descriptor d completes, *len bytes with the XDP program's
 * metadata (checked) in *m; or NULL when d is one part of a frame still
 * incomplete, or the frame is dropped (counted). Valid until the next call
 * or until d goes back to the fill ring, whichever is first.
 */
__u8 *afxdp_rx_frame(struct afxdp *p, const struct xdp_desc *d, __u32 *len,
		     const struct xtcp_meta **m);
/* A buffer for one frame (cap bytes: a free TX frame, or the scratch
 * buffer of a jumbo MTU), or NULL when no TX frame is free. */
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
