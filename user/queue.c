// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The queue loop: the production driver of the engine. One thread per RX
 * queue runs rx burst -> tcp_input -> tcp_flush -> timers -> tx kick, and
 * sleeps in epoll_pwait2() on the AF_XDP socket, and on the descriptors its
 * apps registered (apps/apploop.h: the proxy's backend sockets), when
 * there is nothing to do, until the engine's next deadline to the
 * microsecond (a pacing release is often sooner than a millisecond). Other threads reach its engine only through
 * queue_call. The engine core never sees a descriptor: the loop calls the
 * apps back, then flushes the engine as after a burst.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
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

/* A run of new data through the kernel's GSO. What AF_XDP holds is kicked
 * first, so it is handed to the device first; the two paths may still use
 * different TX queues, so the wire's order is not guaranteed (RACK takes
 * the reordering). */
static int io_tx_gso(void *ctx, const struct tcp_gso *g)
{
	struct queue *q = ctx;

	if (q->port.tx_queued)
		afxdp_tx_kick(&q->port);
	return gso_tx_send(&q->gso, g);
}

/* A flow this queue deleted: the XDP program's count goes down after the
 * delete, so it never says fewer flows than there are. */
static void flows_live_dec(struct queue *q)
{
	if (q->flows_live)
		__atomic_fetch_sub(q->flows_live, 1, __ATOMIC_RELAXED);
}

static void io_flow_gone(void *ctx, const struct xtcp_flow_key *key)
{
	struct queue *q = ctx;

	/* ENOENT: XDP never inserted it (an engine-side open) */
	if (!bpf_map_delete_elem(q->flows_fd, key))
		flows_live_dec(q);
}

/*
 * Housekeeping every TICK_NS: the socket's drop counters, and, when a
 * burst has emptied the RX ring, the sweep of flows no connection owns. A
 * flow is an orphan ORPHAN_NS after XDP inserted it: by then the frame
 * that inserted it has long been read (the ring was just drained), so its
 * third ACK was lost on a full ring, the connection was refused, or the
 * client went away.
 */
#define TICK_NS (500 * 1000000ULL)
#define ORPHAN_NS (1000 * 1000000ULL)
#define SWEEP_BATCH 1024

static bool key_v6(const struct xtcp_flow_key *k)
{
	return k->client[0] || k->client[1] || k->client[2] != htonl(0xffff);
}

/*
 * Ask the client of an orphan flow to speak: a bare ACK far outside any
 * window, which RFC 9293 3.10.7.4 says it must answer with an ACK of its
 * own (SEQ = ISN + 1, ACK = cookie + 1 if it sent nothing yet). That ACK
 * meets no flow, XDP validates its cookie and inserts the flow again, and
 * the engine is handed a new connection: a client waiting for the server
 * to speak first is served instead of hanging. A client that went away
 * answers nothing and nothing is left. Sent through the kernel (raw, send
 * only), which knows the route and the neighbour's MAC.
 */
static void orphan_prompt(struct queue *q, const struct xtcp_flow_key *k)
{
	struct tcp_tuple t = { .key = *k, .v6 = key_v6(k) };
	struct wire_out o = { .flags = TCPHDR_ACK, .wnd = 0 };
	struct sockaddr_storage ss = {};
	__u8 buf[128];
	size_t len;
	__u32 r[2];
	int fd = t.v6 ? q->raw6 : q->raw4;

	if (fd < 0 || getrandom(r, sizeof(r), 0) != sizeof(r))
		return;
	/* unknown to us, so random: in the client's window with odds of
	 * about window / 2^32, and then a bare ACK changes nothing there */
	o.seq = r[0];
	o.ack = r[1];
	len = wire_build(buf, sizeof(buf), &t, &o);
	if (t.v6) {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, k->client, 16);
	} else {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, &k->client[3], 4);
	}
	if (len && sendto(fd, buf, len, MSG_DONTWAIT, (void *)&ss,
			  t.v6 ? sizeof(struct sockaddr_in6)
			       : sizeof(struct sockaddr_in)) == (ssize_t)len)
		q->port.st->flows_prompted++;
}

/* Remove this queue's flows that no connection owns after ORPHAN_NS. */
static void sweep_orphans(struct queue *q, __u64 now)
{
	static __thread struct xtcp_flow_key keys[SWEEP_BATCH], gone[SWEEP_BATCH];
	static __thread struct xtcp_flow vals[SWEEP_BATCH];
	__u32 in = 0, out = 0, count, i, ngone;
	bool first = true;
	int err;

	do {
		count = SWEEP_BATCH;
		err = bpf_map_lookup_batch(q->flows_fd, first ? NULL : &in, &out,
					   keys, vals, &count, NULL);
		if (err && errno != ENOENT)
			return;
		first = false;
		in = out;
		ngone = 0;
		for (i = 0; i < count; i++) {
			if (vals[i].queue != q->queue ||
			    now - vals[i].created_ns < ORPHAN_NS ||
			    (__s64)(now - vals[i].created_ns) < 0 ||
			    tcp_flow_owned(q->eng, &keys[i]))
				continue;
			gone[ngone++] = keys[i];
		}
		/* deleted after the batch is read: the iteration goes on from
		 * its own cursor, whatever happened behind it */
		for (i = 0; i < ngone; i++) {
			if (bpf_map_delete_elem(q->flows_fd, &gone[i]))
				continue;
			flows_live_dec(q);
			q->port.st->flows_orphaned++;
			orphan_prompt(q, &gone[i]);
		}
	} while (!err);
}

static void housekeeping(struct queue *q, __u64 now, bool drained)
{
	if (now >= q->next_stats) {
		q->next_stats = now + TICK_NS;
		afxdp_read_stats(&q->port);
	}
	/* under a load that never drains the ring the sweep waits: a flow
	 * whose third ACK is still queued must not be taken for an orphan */
	if (drained && now >= q->next_sweep) {
		q->next_sweep = now + TICK_NS;
		sweep_orphans(q, now);
	}
}

/* The replay guard's entry for a connection that ended (bpf/xtcp.bpf.c
 * stage_replay reads it): the flow's tuple and client ISN. */
static int io_handshake_ended(void *ctx, const struct xtcp_flow_key *key,
			      uint32_t irs, uint64_t expires_tai_ns)
{
	struct queue *q = ctx;
	struct xtcp_replay_key k = { .flow = *key, .irs = irs };
	struct xtcp_replay v = { .expires_tai_ns = expires_tai_ns };

	if (q->replay_fd < 0)
		return 0;
	return bpf_map_update_elem(q->replay_fd, &k, &v, BPF_ANY) ? -errno : 0;
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
	uint32_t gso_max = cfg->io.gso_max;
	int err, i;

	memset(q, 0, sizeof(*q));
	q->ep = -1;
	q->gso.fd = -1;
	q->queue = xo->queue;
	q->flows_fd = flows_fd;
	q->replay_fd = -1;
	q->stop = stop;
	/* IPPROTO_RAW: send only (nothing is queued to it), header ours */
	q->raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	q->raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (q->raw4 < 0 || q->raw6 < 0)
		pr_warn("queue %u: raw socket: %s (orphan flows are removed, "
			"their clients not prompted)", q->queue, strerror(errno));
	q->ep = epoll_create1(EPOLL_CLOEXEC);
	if (q->ep < 0) {
		err = -errno;
		goto out_raw;
	}
	err = afxdp_open(&q->port, xo);
	if (err)
		goto out_ep;
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

		if (epoll_ctl(q->ep, EPOLL_CTL_ADD, xsk_socket__fd(q->port.xsk), &ev)) {
			err = -errno;
			afxdp_close(&q->port);
			goto out_ep;
		}
	}
	cfg->io = (struct tcp_io){
		.ctx = q,
		.tx_buf = io_tx_buf,
		.tx_send = io_tx_send,
		.flow_gone = io_flow_gone,
		.handshake_ended = io_handshake_ended,
	};
	if (gso_max) {
		err = gso_tx_open(&q->gso, xo->ifname);
		if (err)
			pr_warn("queue %u: GSO send path: %s (every segment through AF_XDP)",
				q->queue, strerror(-err));
		else {
			cfg->io.tx_gso = io_tx_gso;
			cfg->io.gso_max = gso_max;
		}
	}
	cfg->stats = xo->st;
	cfg->tai_offset_ns = tai_offset_ns();
	err = tcp_engine_new(cfg, &q->eng);
	if (err) {
		pr_err("queue %u: engine: %s", q->queue, strerror(-err));
		gso_tx_close(&q->gso);
		afxdp_close(&q->port);
		goto out_ep;
	}
	for (i = 0; i < nports; i++)
		tcp_listen(q->eng, ports[i]);
	return 0;
out_ep:
	close(q->ep);
	q->ep = -1;
out_raw:
	if (q->raw4 >= 0)
		close(q->raw4);
	if (q->raw6 >= 0)
		close(q->raw6);
	q->raw4 = q->raw6 = -1;
	return err;
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
		const struct xtcp_meta *m;
		__u32 len;
		/* NULL: a part of a jumbo frame, or a frame dropped (counted) */
		__u8 *pkt = afxdp_rx_frame(p, d, &len, &m);

		addrs[i] = d->addr;
		if (pkt)
			tcp_input(q->eng, pkt, len, m, now);
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

/*
 * Sleep until a descriptor is ready or the engine's next deadline (0:
 * none), at most WAIT_MAX_NS. epoll_pwait2 takes the timeout to the
 * nanosecond (Linux 5.11); epoll_wait's milliseconds, rounded up, where
 * it is missing.
 */
#define WAIT_MAX_NS (100 * 1000000ULL)

static int loop_wait(struct queue *q, struct epoll_event *evs, int max, __u64 next)
{
	static __thread bool no_pwait2;
	__u64 now = mono_ns(), wait = WAIT_MAX_NS;
	struct timespec ts;
	int n;

	if (next)
		wait = next > now ? next - now : 0;
	if (wait > WAIT_MAX_NS)
		wait = WAIT_MAX_NS;
	if (!no_pwait2) {
		ts.tv_sec = (time_t)(wait / 1000000000);
		ts.tv_nsec = (long)(wait % 1000000000);
		n = epoll_pwait2(q->ep, evs, max, &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = true;
	}
	return epoll_wait(q->ep, evs, max, (int)((wait + 999999) / 1000000));
}

static void *run(void *arg)
{
	struct queue *q = arg;
	struct epoll_event evs[64];
	__u64 now, next;
	__u32 n;
	int idle = 0, nev;

	/* wake-ups on time to the microsecond, not the default 50 us of
	 * timer slack: pacing releases segments by them */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
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
		/* calls and housekeeping first: what they send or arm is
		 * flushed and in `next` before the loop may sleep */
		answer_call(q);
		housekeeping(q, now, n < AFXDP_BATCH);	/* < a burst: drained */
		tcp_flush(q->eng);
		next = tcp_timers(q->eng, now);	/* O(1) when none is due */
		afxdp_tx_kick(&q->port);
		if (n) {
			idle = 0;
			continue;
		}
		/* spin a little before sleeping: a request's next segment
		 * usually follows within microseconds */
		if (++idle < 64)
			continue;
		nev = loop_wait(q, evs, 64, next);
		if (nev > 0) {
			loop_dispatch(q, evs, nev);
			idle = 0;
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
	gso_tx_close(&q->gso);
	afxdp_close(&q->port);
	if (q->raw4 >= 0)
		close(q->raw4);
	if (q->raw6 >= 0)
		close(q->raw6);
	q->raw4 = q->raw6 = -1;
	if (q->ep >= 0)
		close(q->ep);
	q->ep = -1;
	free(q->fds);
	q->fds = NULL;
	q->fds_cap = q->nfds = 0;
}
