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

static void account(struct afxdp *p)
{
	p->st->umem_frames = p->nframes;
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
		.frame_size = AFXDP_FRAME_SIZE,
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
	p->area_size = (size_t)o->nframes * AFXDP_FRAME_SIZE;
	p->area = mmap(NULL, p->area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->area == MAP_FAILED) {
		p->area = NULL;
		err = -errno;
		pr_err("%s: UMEM of %u frames: %s", o->ifname, o->nframes,
		       strerror(-err));
		return err;
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
		       err == -EINVAL ? " (does the interface have that queue?)" : "");
		goto out;
	}
	/* frames [0, nrx) feed RX, [nrx, nframes) are TX's */
	if (xsk_ring_prod__reserve(&p->fq, nrx, &idx) != nrx) {
		err = -ENOSPC;
		goto out;
	}
	for (i = 0; i < nrx; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx + i) = (__u64)i * AFXDP_FRAME_SIZE;
	xsk_ring_prod__submit(&p->fq, nrx);
	for (i = 0; i < ntx; i++)
		p->tx_free[i] = (__u64)(nrx + i) * AFXDP_FRAME_SIZE;
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

__u8 *afxdp_tx_buf(struct afxdp *p, __u32 *cap)
{
	if (!p->ntx_free)
		reclaim(p);
	if (!p->ntx_free)
		return NULL;
	*cap = AFXDP_FRAME_SIZE;
	return xsk_umem__get_data(p->area, p->tx_free[p->ntx_free - 1]);
}

void afxdp_tx_send(struct afxdp *p, __u8 *buf, __u32 len)
{
	struct xdp_desc *d;
	__u32 idx;

	/* buf is the frame tx_buf handed out: the top of the free stack */
	if (xsk_ring_prod__reserve(&p->tx, 1, &idx) != 1) {
		p->st->drop_no_tx_frame++;	/* ring full: the frame stays free */
		return;
	}
	d = xsk_ring_prod__tx_desc(&p->tx, idx);
	d->addr = (__u64)(buf - (__u8 *)p->area);
	d->len = len;
	d->options = 0;
	p->ntx_free--;
	p->tx_queued++;
	p->st->tx_frames++;
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
			addrs[i] & ~(__u64)(AFXDP_FRAME_SIZE - 1);
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
