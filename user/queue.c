// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The queue loop: the production driver of the engine. One thread per RX
 * queue runs rx burst -> tcp_input -> tcp_flush -> timers -> tx kick, and
 * sleeps in epoll_wait() on the AF_XDP socket, and on the descriptors its
 * apps registered (apps/apploop.h: the proxy's backend sockets), when
 * there is nothing to do. Other threads reach its engine only through
 * queue_call. The engine core never sees a descriptor: the loop calls the
 * apps back, then flushes the engine as after a burst.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "apps/apploop.h"
#include "clock.h"
#include "log.h"
#include "queue.h"

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
	struct queue *q = ctx;

	return afxdp_tx_buf(&q->port, cap);
}

static void io_tx_send(void *ctx, __u8 *buf, __u32 len)
{
	struct queue *q = ctx;

	afxdp_tx_send(&q->port, buf, len);
	/* keep the TX ring from filling up inside one long flush */
	if (q->port.tx_queued >= AFXDP_BATCH)
		afxdp_tx_kick(&q->port);
}

static void io_flow_gone(void *ctx, const struct xtcp_flow_key *key)
{
	struct queue *q = ctx;

	/* ENOENT: XDP never inserted it (an engine-side open) */
	bpf_map_delete_elem(q->flows_fd, key);
}

/*
 * The apps' descriptors: epoll's data is fd + 1 (0 is the AF_XDP socket),
 * and the callback is looked up here by fd. An event of this batch for a
 * descriptor deleted meanwhile finds no callback, or (its number reused
 * at once) a callback told something "may" be ready: harmless.
 */
struct queue_fd {
	app_fd_fn fn;
	void *arg;
};

static int loop_add(void *loop, int fd, uint32_t events, app_fd_fn fn, void *arg)
{
	struct queue *q = loop;
	struct epoll_event ev = { .events = events | EPOLLET, .data.u64 = (__u64)fd + 1 };

	if (fd < 0)
		return -EBADF;
	if ((unsigned)fd >= q->fds_cap) {
		unsigned cap = q->fds_cap ? q->fds_cap : 256;
		struct queue_fd *t;

		while (cap <= (unsigned)fd)
			cap *= 2;
		t = realloc(q->fds, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + q->fds_cap, 0, (cap - q->fds_cap) * sizeof(*t));
		q->fds = t;
		q->fds_cap = cap;
	}
	if (epoll_ctl(q->ep, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	q->fds[fd] = (struct queue_fd){ .fn = fn, .arg = arg };
	q->nfds++;
	return 0;
}

static int loop_del(void *loop, int fd)
{
	struct queue *q = loop;

	if (fd < 0 || (unsigned)fd >= q->fds_cap || !q->fds[fd].fn)
		return -ENOENT;
	epoll_ctl(q->ep, EPOLL_CTL_DEL, fd, NULL);
	q->fds[fd].fn = NULL;
	q->nfds--;
	return 0;
}

static const struct app_loop_ops queue_loop_ops = {
	.add = loop_add,
	.del = loop_del,
};

/* Call the apps back for what epoll reported; the engine's clock first. */
static void loop_dispatch(struct queue *q, const struct epoll_event *evs, int n)
{
	bool timed = false;
	int i;

	for (i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64 - 1;

		if (fd < 0 || (unsigned)fd >= q->fds_cap || !q->fds[fd].fn)
			continue;
		if (!timed) {
			tcp_timers(q->eng, mono_ns());
			timed = true;
		}
		q->fds[fd].fn(fd, evs[i].events, q->fds[fd].arg);
	}
}

int queue_open(struct queue *q, const struct afxdp_opts *xo,
		     struct tcp_cfg *cfg, const __u16 *ports, int nports,
		     int flows_fd, volatile sig_atomic_t *stop)
{
	int err, i;

	memset(q, 0, sizeof(*q));
	q->ep = -1;
	q->queue = xo->queue;
	q->flows_fd = flows_fd;
	q->stop = stop;
	q->ep = epoll_create1(EPOLL_CLOEXEC);
	if (q->ep < 0)
		return -errno;
	err = afxdp_open(&q->port, xo);
	if (err) {
		close(q->ep);
		return err;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

		if (epoll_ctl(q->ep, EPOLL_CTL_ADD, xsk_socket__fd(q->port.xsk), &ev)) {
			err = -errno;
			afxdp_close(&q->port);
			close(q->ep);
			return err;
		}
	}
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
		afxdp_close(&q->port);
		close(q->ep);
		return err;
	}
	for (i = 0; i < nports; i++)
		tcp_listen(q->eng, ports[i]);
	return 0;
}

/* One RX burst through the engine; returns the frames read. */
static __u32 rx_burst(struct queue *q, __u64 now)
{
	struct afxdp *p = &q->port;
	__u64 addrs[AFXDP_BATCH];
	__u32 idx, n, i;

	n = xsk_ring_cons__peek(&p->rx, AFXDP_BATCH, &idx);
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
		if ((d->addr & (AFXDP_FRAME_SIZE - 1)) < sizeof(*m) ||
		    m->magic != XTCP_META_MAGIC) {
			p->st->drop_meta++;
			continue;
		}
		tcp_input(q->eng, pkt, d->len, m, now);
	}
	xsk_ring_cons__release(&p->rx, n);
	p->st->rx_frames += n;
	afxdp_refill(p, addrs, n);
	p->st->umem_fill += n;
	return n;
}

enum queue_call_state {
	CALL_IDLE,
	CALL_POSTED,	/* the caller waits; the queue thread may take it */
	CALL_RUNNING,	/* taken: the caller must wait for it to finish */
	CALL_DONE,
};

/* On the queue's own thread, between bursts. */
static void answer_call(struct queue *q)
{
	int posted = CALL_POSTED;

	if (!__atomic_compare_exchange_n(&q->call_state, &posted, CALL_RUNNING,
					 false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	q->call_fn(q->eng, q->queue, q->call_arg);
	__atomic_store_n(&q->call_state, CALL_DONE, __ATOMIC_RELEASE);
}

int queue_call(struct queue *q,
	       void (*fn)(struct tcp_engine *e, unsigned queue, void *arg),
	       void *arg, int timeout_ms)
{
	double until = mono_s() + timeout_ms / 1000.0;
	int posted = CALL_POSTED;

	q->call_fn = fn;
	q->call_arg = arg;
	__atomic_store_n(&q->call_state, CALL_POSTED, __ATOMIC_RELEASE);
	while (__atomic_load_n(&q->call_state, __ATOMIC_ACQUIRE) != CALL_DONE) {
		/* withdraw the call only if the thread has not taken it:
		 * once running, it finishes within one burst */
		if (mono_s() > until &&
		    __atomic_compare_exchange_n(&q->call_state, &posted, CALL_IDLE,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return -ETIMEDOUT;
		posted = CALL_POSTED;
		usleep(200);
	}
	__atomic_store_n(&q->call_state, CALL_IDLE, __ATOMIC_RELAXED);
	return 0;
}

static void *run(void *arg)
{
	struct queue *q = arg;
	struct epoll_event evs[64];
	__u64 now, next;
	__u32 n;
	int idle = 0, nev;

	app_loop_bind(&queue_loop_ops, q);
	while (!*q->stop) {
		now = mono_ns();
		n = rx_burst(q, now);
		/* busy: the apps' descriptors are looked at every burst too */
		if (q->nfds) {
			nev = epoll_wait(q->ep, evs, 64, 0);
			if (nev > 0) {
				loop_dispatch(q, evs, nev);
				n += (__u32)nev;
			}
		}
		tcp_flush(q->eng);
		next = tcp_timers(q->eng, now);	/* O(1) when none is due */
		afxdp_tx_kick(&q->port);
		answer_call(q);
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

			nev = epoll_wait(q->ep, evs, 64, wait > 100 ? 100 : (int)wait);
			if (nev > 0) {
				loop_dispatch(q, evs, nev);
				idle = 0;
			}
		}
	}
	app_loop_bind(NULL, NULL);
	return NULL;
}

int queue_start(struct queue *q)
{
	int err = pthread_create(&q->thread, NULL, run, q);

	if (err) {
		pr_err("queue %u: thread: %s", q->queue, strerror(err));
		return -err;
	}
	q->running = true;
	return 0;
}

void queue_close(struct queue *q)
{
	if (q->running)
		pthread_join(q->thread, NULL);
	q->running = false;
	tcp_engine_free(q->eng);
	q->eng = NULL;
	afxdp_close(&q->port);
	if (q->ep >= 0)
		close(q->ep);
	q->ep = -1;
	free(q->fds);
	q->fds = NULL;
	q->fds_cap = q->nfds = 0;
}
