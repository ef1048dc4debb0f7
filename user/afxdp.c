// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* AF_XDP socket and UMEM of one queue (libxdp's xsk API). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "log.h"
#include "afxdp.h"

static __u32 pow2_ceil(__u32 n)
{
	__u32 c = 1;

	while (c < n)
		c <<= 1;
	return c;
}

/* room in front of a gathered frame for its metadata, keeping the frame
 * cache-line aligned as in UMEM */
#define GATHER_META 64
_Static_assert(sizeof(struct xtcp_meta) <= GATHER_META, "metadata room");

__u32 afxdp_frame_size(__u32 mtu)
{
	return mtu + AFXDP_L2_EXTRA + AFXDP_HEADROOM <= 2048 ? 2048 : 4096;
}

/* The frame geometry for o->mtu, and the buffers of a jumbo MTU. */
static int geometry(struct afxdp *p, const struct afxdp_opts *o)
{
	p->frame_size = afxdp_frame_size(o->mtu);
	p->max_frame = o->mtu + AFXDP_L2_EXTRA;
	p->sg = p->max_frame + AFXDP_HEADROOM > p->frame_size;
	if (!p->sg)
		return 0;
	p->tx_scratch = aligned_alloc(64, p->max_frame + 63 - (p->max_frame + 63) % 64);
	p->rx_gather = aligned_alloc(64, GATHER_META + p->max_frame +
					 63 - (p->max_frame + 63) % 64);
	return p->tx_scratch && p->rx_gather ? 0 : -ENOMEM;
}

static void account(struct afxdp *p)
{
	p->st->umem_frames = p->nframes;
	p->st->umem_bytes = (__u64)p->nframes * p->frame_size;
	p->st->umem_tx_free = p->ntx_free;
	p->st->umem_tx_busy = p->nframes - p->nrx - p->ntx_free;
}

int afxdp_open(struct afxdp *p, const struct afxdp_opts *o)
{
	/*
	 * The RX ring and the fill ring hold every RX frame: a burst the
	 * engine has not read yet waits there, and what does not fit is
	 * dropped by the kernel (XDP_STATISTICS rx_dropped). TX rings round
	 * up to hold every TX frame.
	 */
	__u32 nrx = o->rx_frames ? o->rx_frames : o->nframes / 2;
	__u32 ntx = o->nframes - nrx;
	struct xsk_umem_config ucfg = {
		.fill_size = nrx,
		.comp_size = pow2_ceil(ntx),
		.frame_size = afxdp_frame_size(o->mtu),
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = nrx,
		.tx_size = pow2_ceil(ntx),
		/* xtcp attaches its own program and fills its own xskmap */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = o->bind_flags | XDP_USE_NEED_WAKEUP,
	};
	__u32 i, idx;
	int err;

	memset(p, 0, sizeof(*p));
	if (nrx >= o->nframes || (nrx & (nrx - 1))) {
		pr_err("%s: %u RX frames of %u: not a power of two below the UMEM",
		       o->ifname, nrx, o->nframes);
		return -EINVAL;
	}
	p->nframes = o->nframes;
	p->nrx = nrx;
	p->st = o->st;
	if (o->mtu > AFXDP_MTU_MAX) {
		pr_err("%s: MTU %u is above the %d xtcp serves", o->ifname, o->mtu,
		       AFXDP_MTU_MAX);
		return -EMSGSIZE;
	}
	err = geometry(p, o);
	if (err)
		goto out;
	if (p->sg)
		scfg.bind_flags |= XDP_USE_SG;
	p->area_size = (size_t)o->nframes * p->frame_size;
	p->area = mmap(NULL, p->area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->area == MAP_FAILED) {
		p->area = NULL;
		err = -errno;
		pr_err("%s: UMEM of %u frames of %u bytes: %s", o->ifname,
		       o->nframes, p->frame_size, strerror(-err));
		goto out;
	}
	p->tx_free = calloc(ntx, sizeof(*p->tx_free));
	if (!p->tx_free) {
		err = -ENOMEM;
		goto out;
	}
	err = xsk_umem__create(&p->umem, p->area, p->area_size, &p->fq, &p->cq,
			       &ucfg);
	if (err) {
		pr_err("%s: AF_XDP UMEM: %s", o->ifname, strerror(-err));
		goto out;
	}
	err = xsk_socket__create(&p->xsk, o->ifname, o->queue, p->umem, &p->rx,
				 &p->tx, &scfg);
	if (err) {
		pr_err("%s: AF_XDP socket on queue %u: %s%s", o->ifname, o->queue,
		       strerror(-err),
		       err == -EINVAL ? " (does the interface have that queue?)" :
		       err == -EOPNOTSUPP && p->sg ?
		       " (MTU above 3818: the driver has no multi-buffer AF_XDP"
		       " in this mode; try --xsk-mode copy)" : "");
		goto out;
	}
	/* frames [0, nrx) feed RX, [nrx, nframes) are TX's */
	if (xsk_ring_prod__reserve(&p->fq, nrx, &idx) != nrx) {
		err = -ENOSPC;
		goto out;
	}
	for (i = 0; i < nrx; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx + i) = (__u64)i * p->frame_size;
	xsk_ring_prod__submit(&p->fq, nrx);
	for (i = 0; i < ntx; i++)
		p->tx_free[i] = (__u64)(nrx + i) * p->frame_size;
	p->ntx_free = ntx;
	p->st->umem_fill = nrx;
	account(p);
	err = xsk_socket__update_xskmap(p->xsk, o->xsks_map_fd);
	if (err) {
		pr_err("%s: registering the AF_XDP socket of queue %u: %s",
		       o->ifname, o->queue, strerror(-err));
		goto out;
	}
	return 0;
out:
	afxdp_close(p);
	return err;
}

void afxdp_close(struct afxdp *p)
{
	if (p->xsk)
		xsk_socket__delete(p->xsk);
	if (p->umem)
		xsk_umem__delete(p->umem);
	if (p->area)
		munmap(p->area, p->area_size);
	free(p->tx_free);
	free(p->tx_scratch);
	free(p->rx_gather);
	memset(p, 0, sizeof(*p));
}

static void reclaim(struct afxdp *p)
{
	__u32 idx, n, i;

	n = xsk_ring_cons__peek(&p->cq, p->nframes - p->nrx, &idx);
	for (i = 0; i < n; i++)
		p->tx_free[p->ntx_free++] = *xsk_ring_cons__comp_addr(&p->cq, idx + i);
	xsk_ring_cons__release(&p->cq, n);
}

/* The metadata in front of the frame at UMEM address addr, or NULL: without
 * it the frame did not come from xtcp's XDP program. */
static const struct xtcp_meta *rx_meta(const struct afxdp *p, __u64 addr)
{
	const struct xtcp_meta *m =
		(const void *)((__u8 *)xsk_umem__get_data(p->area, addr) - sizeof(*m));

	if ((addr & (p->frame_size - 1)) < sizeof(*m) || m->magic != XTCP_META_MAGIC)
		return NULL;
	return m;
}

/* One part of a multi-buffer frame, appended to the gather buffer. */
static void rx_gather_part(struct afxdp *p, const struct xdp_desc *d)
{
	const struct xtcp_meta *m;

	if (!p->rx_partial) {	/* the first part carries the metadata */
		p->rx_partial = true;
		m = rx_meta(p, d->addr);
		if (!m) {
			p->st->drop_meta++;
			p->rx_dropping = true;
			return;
		}
		/* no socket without XDP_USE_SG is handed parts */
		if (!p->rx_gather) {
			p->st->drop_rx_long++;
			p->rx_dropping = true;
			return;
		}
		memcpy(p->rx_gather + GATHER_META - sizeof(*m), m, sizeof(*m));
	}
	if (p->rx_dropping)
		return;
	/* never more than the MTU allows, unless it grew under a running serve */
	if (d->len > p->max_frame - p->rx_len) {
		p->st->drop_rx_long++;
		p->rx_dropping = true;
		return;
	}
	memcpy(p->rx_gather + GATHER_META + p->rx_len,
	       xsk_umem__get_data(p->area, d->addr), d->len);
	p->rx_len += d->len;
}

__u8 *afxdp_rx_frame(struct afxdp *p, const struct xdp_desc *d, __u32 *len,
		     const struct xtcp_meta **m)
{
	bool dropped;

	/* the common case: the whole frame in one UMEM frame, read in place */
	if (!p->rx_partial && !(d->options & XDP_PKT_CONTD)) {
		*m = rx_meta(p, d->addr);
		if (!*m) {
			p->st->drop_meta++;
			return NULL;
		}
		*len = d->len;
		return xsk_umem__get_data(p->area, d->addr);
	}
	/* a jumbo frame in parts: the engine parses a contiguous frame */
	rx_gather_part(p, d);
	if (d->options & XDP_PKT_CONTD)
		return NULL;
	dropped = p->rx_dropping;
	*len = p->rx_len;
	p->rx_partial = p->rx_dropping = false;
	p->rx_len = 0;
	if (dropped)
		return NULL;
	p->st->rx_multi++;
	*m = (const void *)(p->rx_gather + GATHER_META - sizeof(**m));
	return p->rx_gather + GATHER_META;
}

/* TX frames one frame of max_frame bytes may take. */
static __u32 tx_parts_max(const struct afxdp *p)
{
	return p->sg ? (p->max_frame + p->frame_size - 1) / p->frame_size : 1;
}

__u8 *afxdp_tx_buf(struct afxdp *p, __u32 *cap)
{
	if (p->ntx_free < tx_parts_max(p))
		reclaim(p);
	if (p->ntx_free < tx_parts_max(p))
		return NULL;
	if (p->sg) {
		*cap = p->max_frame;
		return p->tx_scratch;
	}
	*cap = p->frame_size;
	return xsk_umem__get_data(p->area, p->tx_free[p->ntx_free - 1]);
}

void afxdp_tx_send(struct afxdp *p, __u8 *buf, __u32 len)
{
	__u32 parts = 1, idx, i, off, n;
	struct xdp_desc *d;

	/* a jumbo frame goes in parts of one UMEM frame, XDP_PKT_CONTD on
	 * all but the last; afxdp_tx_buf made sure there are TX frames */
	if (buf == p->tx_scratch && len > p->frame_size)
		parts = (len + p->frame_size - 1) / p->frame_size;
	if (xsk_ring_prod__reserve(&p->tx, parts, &idx) != parts) {
		p->st->drop_no_tx_frame++;	/* ring full: the frames stay free */
		return;
	}
	for (i = 0, off = 0; i < parts; i++, off += n) {
		__u64 addr = p->tx_free[--p->ntx_free];

		n = len - off < p->frame_size ? len - off : p->frame_size;
		d = xsk_ring_prod__tx_desc(&p->tx, idx + i);
		d->addr = addr;
		d->len = n;
		d->options = i + 1 < parts ? XDP_PKT_CONTD : 0;
		/* else buf is the frame tx_buf handed out: the top of the
		 * free stack, built in place */
		if (buf == p->tx_scratch)
			memcpy(xsk_umem__get_data(p->area, addr), buf + off, n);
	}
	p->tx_queued += parts;
	p->st->tx_frames += parts;
	if (parts > 1)
		p->st->tx_multi++;
}

void afxdp_tx_kick(struct afxdp *p)
{
	int tries;

	if (p->tx_queued) {
		xsk_ring_prod__submit(&p->tx, p->tx_queued);
		p->tx_queued = 0;
	}
	/* copy mode sends a bounded batch per syscall: kick until the ring
	 * is drained or the kernel says it is busy */
	for (tries = 0; tries < 64; tries++) {
		reclaim(p);
		if (p->ntx_free == p->nframes - p->nrx)
			break;
		if (!xsk_ring_prod__needs_wakeup(&p->tx) && tries)
			break;
		if (sendto(xsk_socket__fd(p->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
		    errno != EAGAIN && errno != EBUSY && errno != ENOBUFS)
			break;
	}
	account(p);
}

void afxdp_refill(struct afxdp *p, const __u64 *addrs, __u32 n)
{
	__u32 idx, i;

	/* the fill ring holds every RX frame: there is always room; if
	 * that ever breaks, the loss shows in the counters */
	if (xsk_ring_prod__reserve(&p->fq, n, &idx) != n) {
		p->st->umem_lost += n;
		return;
	}
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx + i) =
			addrs[i] & ~(__u64)(p->frame_size - 1);
	xsk_ring_prod__submit(&p->fq, n);
}

void afxdp_read_stats(struct afxdp *p)
{
	struct xdp_statistics xs;
	socklen_t len = sizeof(xs);

	if (getsockopt(xsk_socket__fd(p->xsk), SOL_XDP, XDP_STATISTICS, &xs, &len))
		return;
	p->st->xsk_rx_dropped = xs.rx_dropped;
	p->st->xsk_rx_ring_full = xs.rx_ring_full;
	p->st->xsk_fill_ring_empty = xs.rx_fill_ring_empty_descs;
	p->st->xsk_tx_ring_empty = xs.tx_ring_empty_descs;
}
