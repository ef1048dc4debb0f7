// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "clock.h"
#include "ctl.h"
#include "log.h"
#include "serve.h"

static __s64 tai_offset_ns(void)
{
	struct timespec tai, mono;

	clock_gettime(CLOCK_TAI, &tai);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((__s64)tai.tv_sec - mono.tv_sec) * 1000000000LL +
	       (tai.tv_nsec - mono.tv_nsec);
}

static __u8 *io_tx_buf(void *ctx, __u32 *cap)
{
	struct serve_queue *q = ctx;

	return xsk_port_tx_buf(&q->port, cap);
}

static void io_tx_send(void *ctx, __u8 *buf, __u32 len)
{
	struct serve_queue *q = ctx;

	xsk_port_tx_send(&q->port, buf, len);
	/* keep the TX ring from filling up inside one long flush */
	if (q->port.tx_queued >= XSK_BATCH)
		xsk_port_tx_kick(&q->port);
}

static void io_flow_gone(void *ctx, const struct xtcp_flow_key *key)
{
	struct serve_queue *q = ctx;

	/* ENOENT: XDP never inserted it (an engine-side open) */
	bpf_map_delete_elem(q->flows_fd, key);
}

int serve_queue_open(struct serve_queue *q, const struct xsk_port_opts *xo,
		     struct tcp_cfg *cfg, const __u16 *ports, int nports,
		     int flows_fd, volatile sig_atomic_t *stop)
{
	int err, i;

	memset(q, 0, sizeof(*q));
	q->queue = xo->queue;
	q->flows_fd = flows_fd;
	q->stop = stop;
	err = xsk_port_open(&q->port, xo);
	if (err)
		return err;
	cfg->io = (struct tcp_io){
		.ctx = q,
		.tx_buf = io_tx_buf,
		.tx_send = io_tx_send,
		.flow_gone = io_flow_gone,
	};
	cfg->stats = xo->st;
	cfg->tai_offset_ns = tai_offset_ns();
	err = tcp_engine_new(cfg, &q->eng);
	if (err) {
		pr_err("queue %u: engine: %s", q->queue, strerror(-err));
		xsk_port_close(&q->port);
		return err;
	}
	for (i = 0; i < nports; i++)
		tcp_listen(q->eng, ports[i]);
	return 0;
}

/* One RX burst through the engine; returns the frames read. */
static __u32 rx_burst(struct serve_queue *q, __u64 now)
{
	struct xsk_port *p = &q->port;
	__u64 addrs[XSK_BATCH];
	__u32 idx, n, i;

	n = xsk_ring_cons__peek(&p->rx, XSK_BATCH, &idx);
	if (!n)
		return 0;
	p->st->umem_fill -= n;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);
		__u8 *pkt = xsk_umem__get_data(p->area, d->addr);
		const struct xtcp_meta *m = (const void *)(pkt - sizeof(*m));

		addrs[i] = d->addr;
		/* the XDP program puts metadata in front of every frame it
		 * redirects; without it the frame did not come from xtcp */
		if ((d->addr & (XSK_FRAME_SIZE - 1)) < sizeof(*m) ||
		    m->magic != XTCP_META_MAGIC) {
			p->st->drop_meta++;
			continue;
		}
		tcp_input(q->eng, pkt, d->len, m, now);
	}
	xsk_ring_cons__release(&p->rx, n);
	p->st->rx_frames += n;
	xsk_port_refill(p, addrs, n);
	p->st->umem_fill += n;
	return n;
}

/* On the queue's own thread: the engine is not shared. */
static void answer_dump(struct serve_queue *q)
{
	size_t len = 0;
	FILE *f;

	if (__atomic_load_n(&q->dump_state, __ATOMIC_ACQUIRE) != 1)
		return;
	q->dump = NULL;
	f = open_memstream(&q->dump, &len);
	if (f) {
		ctl_dump_engine(q->eng, q->queue, q->dump_json, f);
		fclose(f);
	}
	__atomic_store_n(&q->dump_state, 2, __ATOMIC_RELEASE);
}

void serve_queue_request_dump(struct serve_queue *q, bool json)
{
	if (__atomic_load_n(&q->dump_state, __ATOMIC_ACQUIRE) == 2) {
		free(q->dump);		/* an answer nobody waited for */
		q->dump = NULL;
	}
	q->dump_json = json;
	__atomic_store_n(&q->dump_state, 1, __ATOMIC_RELEASE);
}

char *serve_queue_wait_dump(struct serve_queue *q)
{
	double until = mono_s() + 2;
	char *text;

	while (__atomic_load_n(&q->dump_state, __ATOMIC_ACQUIRE) != 2) {
		if (mono_s() > until)
			return NULL;	/* the thread answers later: dropped */
		usleep(1000);
	}
	text = q->dump;
	q->dump = NULL;
	__atomic_store_n(&q->dump_state, 0, __ATOMIC_RELEASE);
	return text;
}

static void *run(void *arg)
{
	struct serve_queue *q = arg;
	struct pollfd pfd = { .fd = xsk_socket__fd(q->port.xsk), .events = POLLIN };
	__u64 now, next;
	__u32 n;
	int idle = 0;

	while (!*q->stop) {
		now = mono_ns();
		n = rx_burst(q, now);
		tcp_flush(q->eng);
		next = tcp_timers(q->eng, now);	/* O(1) when none is due */
		xsk_port_tx_kick(&q->port);
		answer_dump(q);
		if (n) {
			idle = 0;
			continue;
		}
		/* spin a little before sleeping: a request's next segment
		 * usually follows within microseconds */
		if (++idle < 64)
			continue;
		{
			__u64 wait = next && next > now ? (next - now) / 1000000 + 1 : 100;

			poll(&pfd, 1, wait > 100 ? 100 : (int)wait);
		}
	}
	return NULL;
}

int serve_queue_start(struct serve_queue *q)
{
	int err = pthread_create(&q->thread, NULL, run, q);

	if (err) {
		pr_err("queue %u: thread: %s", q->queue, strerror(err));
		return -err;
	}
	q->running = true;
	return 0;
}

void serve_queue_close(struct serve_queue *q)
{
	if (q->running)
		pthread_join(q->thread, NULL);
	q->running = false;
	tcp_engine_free(q->eng);
	q->eng = NULL;
	free(q->dump);
	q->dump = NULL;
	xsk_port_close(&q->port);
}
