// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The proxy app's byte moving on a simulated link: engine A (a client
 * sending and checking a pattern) and engine B serving app_proxy, whose
 * backend is a fake on a Unix socket driven by the test from a seed (reads
 * and writes of random sizes, slow when asked, resets when asked). The
 * test is the driver: it binds an app loop (apps/apploop.h) that polls
 * the registered descriptors, refreshes B's clock before calling back and
 * flushes it after, as user/queue.c does with epoll. Checked: every byte
 * both ways, the PROXY v2 header, half-close in both orders, backpressure
 * (the slow backend's bytes wait in the engine: proxy_wait_backend), a
 * backend reset reaching the client, nothing left (connections, sockets).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "apps/apploop.h"
#include "apps/apps.h"
#include "check.h"
#include "evq.h"
#include "tcp/rng.h"
#include "tcp/tcp.h"

#define US 1000ULL
#define MS 1000000ULL
#define SEC 1000000000ULL
#define FRAME_CAP 2048
#define V1 "PROXY TCP4 10.0.0.1 10.0.0.2 50000 80\r\n"

struct scen {
	const char *name;
	uint64_t seed;
	uint64_t bytes[2];	/* client -> backend, backend -> client */
	uint32_t loss_ppm;
	int slow;		/* the backend reads rarely and little */
	int client_waits;	/* the client sends only after the backend's EOF */
	int backend_waits;	/* the backend sends only after the client's EOF */
	int backend_reset;	/* the backend resets after this many bytes (+1) */
	int pp;			/* PROXY protocol version */
};

struct frame {
	int to;
	uint32_t len;
	uint8_t data[];
};

static struct {
	const struct scen *sc;
	uint64_t rng, now;
	struct tcp_engine *e[2];
	uint8_t txbuf[2][FRAME_CAP];
	struct evq link;
	/* the client, on A */
	struct tcp_conn *cli;
	uint64_t c_sent, c_rcvd, c_bad;
	int c_peer_closed, c_closed, c_reset, c_shut;
	/* the fake backend */
	int lfd, bfd;
	uint64_t b_sent, b_rcvd, b_bad;
	int b_eof, b_shut, b_done;
	unsigned char hdr[64];
	size_t hdr_len, hdr_want;
	int wait_seen;
	/* the app loop */
	struct { int fd; app_fd_fn fn; void *arg; } fds[8];
	int nfds;
} S;

static uint8_t pat(int dir, uint64_t i)
{
	return (uint8_t)((i * 131 + 17 + 74 * dir) ^ (i >> 11));
}

static uint64_t rnd(void)
{
	return splitmix64(&S.rng);
}

/* ---- the link: fixed delay, seeded loss ---- */

static uint8_t *io_tx_buf(void *ctx, uint32_t *cap)
{
	*cap = FRAME_CAP;
	return S.txbuf[(intptr_t)ctx];
}

static void io_tx_send(void *ctx, uint8_t *buf, uint32_t len)
{
	int from = (int)(intptr_t)ctx;
	struct frame *f;

	if (S.sc->loss_ppm && rnd() % 1000000 < S.sc->loss_ppm)
		return;
	f = malloc(sizeof(*f) + len);
	if (!f)
		abort();
	f->to = !from;
	f->len = len;
	memcpy(f->data, buf, len);
	if (evq_push(&S.link, S.now + 100 * US, f))
		abort();
}

/* ---- the app loop the proxy registers its backend socket with ---- */

static int loop_add(void *loop, int fd, uint32_t events, app_fd_fn fn, void *arg)
{
	(void)loop;
	(void)events;
	if (S.nfds == 8)
		return -ENOMEM;
	S.fds[S.nfds].fd = fd;
	S.fds[S.nfds].fn = fn;
	S.fds[S.nfds].arg = arg;
	S.nfds++;
	return 0;
}

static int loop_del(void *loop, int fd)
{
	(void)loop;
	for (int i = 0; i < S.nfds; i++)
		if (S.fds[i].fd == fd) {
			S.fds[i] = S.fds[--S.nfds];
			return 0;
		}
	return -ENOENT;
}

static const struct app_loop_ops ops = { .add = loop_add, .del = loop_del };

/* Level-triggered: a callback for every ready descriptor; returns how many. */
static int loop_poll(void)
{
	struct pollfd p[8];
	int n = S.nfds, fired = 0;

	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = S.fds[i].fd, .events = POLLIN | POLLOUT };
	if (!n || poll(p, (nfds_t)n, 0) <= 0)
		return 0;
	tcp_timers(S.e[1], S.now);
	for (int i = 0; i < n; i++) {
		/* a callback may have deleted (and closed) later entries */
		int j;

		if (!p[i].revents)
			continue;
		for (j = 0; j < S.nfds && S.fds[j].fd != p[i].fd; j++)
			;
		if (j == S.nfds)
			continue;
		/* POLLOUT is always there on an idle socket: count only input */
		if (p[i].revents & ~POLLOUT)
			fired++;
		S.fds[j].fn(p[i].fd, p[i].revents, S.fds[j].arg);
	}
	tcp_flush(S.e[1]);
	return fired;
}

/* ---- the client on A ---- */

static void client_pump(struct tcp_conn *c)
{
	uint8_t buf[8192];
	size_t n, i;

	if (S.sc->client_waits && !S.c_peer_closed)
		return;
	while (S.c_sent < S.sc->bytes[0] && (n = tcp_send_space(c))) {
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > S.sc->bytes[0] - S.c_sent)
			n = S.sc->bytes[0] - S.c_sent;
		for (i = 0; i < n; i++)
			buf[i] = pat(0, S.c_sent + i);
		S.c_sent += (uint64_t)tcp_send(c, buf, n);
	}
	if (S.c_sent == S.sc->bytes[0] && !S.c_shut) {
		tcp_shutdown(c);
		S.c_shut = 1;
	}
}

static void client_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	uint8_t buf[16384];
	size_t n, i;

	(void)ctx;
	switch (ev) {
	case TCP_EV_CONNECTED:
	case TCP_EV_WRITABLE:
		client_pump(c);
		break;
	case TCP_EV_READABLE:
		while ((n = tcp_recv(c, buf, sizeof(buf)))) {
			for (i = 0; i < n; i++)
				S.c_bad += buf[i] != pat(1, S.c_rcvd + i);
			S.c_rcvd += n;
		}
		break;
	case TCP_EV_PEER_CLOSED:
		S.c_peer_closed = 1;
		client_pump(c);
		break;
	case TCP_EV_CLOSED:
		S.c_closed = 1;
		break;
	case TCP_EV_RESET:
		S.c_reset = 1;
		break;
	default:
		break;
	}
}

static const struct tcp_app client_app = { .name = "client", .ctx_size = 8,
					   .event = client_event };

/* ---- the fake backend ---- */

static void backend_step(void)
{
	unsigned char buf[32768];
	ssize_t r;
	size_t n, i;

	if (S.bfd < 0) {
		S.bfd = accept(S.lfd, NULL, NULL);
		if (S.bfd < 0)
			return;
	}
	if (S.b_done)
		return;
	/* read: a random amount, rarely and little when slow */
	if (!S.b_eof && (!S.sc->slow || rnd() % 8 == 0)) {
		n = 1 + rnd() % (S.sc->slow ? 2048 : sizeof(buf));
		r = recv(S.bfd, buf, n, MSG_DONTWAIT);
		if (r == 0) {
			S.b_eof = 1;
		} else if (r > 0) {
			i = 0;
			while (S.hdr_len < S.hdr_want && i < (size_t)r)
				S.hdr[S.hdr_len++] = buf[i++];
			for (; i < (size_t)r; i++)
				S.b_bad += buf[i] != pat(0, S.b_rcvd++);
			if (S.sc->backend_reset && S.b_rcvd >= (uint64_t)S.sc->backend_reset) {
				struct linger lg = { .l_onoff = 1, .l_linger = 0 };

				setsockopt(S.bfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				close(S.bfd);
				S.bfd = -1;
				S.b_done = 1;
				return;
			}
		}
	}
	/* write: a random amount of the pattern */
	if (S.b_sent < S.sc->bytes[1] && (!S.sc->backend_waits || S.b_eof)) {
		n = 1 + rnd() % sizeof(buf);
		if (n > S.sc->bytes[1] - S.b_sent)
			n = S.sc->bytes[1] - S.b_sent;
		for (i = 0; i < n; i++)
			buf[i] = pat(1, S.b_sent + i);
		r = send(S.bfd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0)
			S.b_sent += (uint64_t)r;
	}
	if (S.b_sent == S.sc->bytes[1] && !S.b_shut && (!S.sc->backend_waits || S.b_eof)) {
		shutdown(S.bfd, SHUT_WR);
		S.b_shut = 1;
	}
	if (S.b_shut && S.b_eof) {
		close(S.bfd);
		S.bfd = -1;
		S.b_done = 1;
	}
}

/* ---- one scenario ---- */

static struct tcp_engine *engine(int idx)
{
	struct tcp_cfg cfg;
	struct tcp_engine *e;

	tcp_cfg_default(&cfg);
	cfg.max_conns = 4;
	cfg.app = idx ? &app_proxy : &client_app;
	cfg.mss4 = 1460;
	cfg.sndbuf = cfg.rcvbuf = 65536;	/* small: the windows close */
	cfg.syn_window = 65535;
	cfg.sack = cfg.timestamps = true;
	cfg.secret[0] = 42;
	cfg.time_wait_ns = 1 * SEC;
	cfg.seed = S.sc->seed * 2 + (uint64_t)idx + 1;
	cfg.io = (struct tcp_io){ .ctx = (void *)(intptr_t)idx, .tx_buf = io_tx_buf,
				  .tx_send = io_tx_send };
	return tcp_engine_new(&cfg, &e) ? NULL : e;
}

static void run(const struct scen *sc)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&proxy_cfg.backends[0].addr;
	struct tcp_tuple t = { .l2_len = 14,
			       .l2 = { 2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 8, 0 } };
	const struct xtcp_engine_stats *st;
	static const unsigned char v2sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
						 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };
	socklen_t len;
	uint64_t limit;

	memset(&S, 0, sizeof(S));
	S.sc = sc;
	S.rng = sc->seed;
	S.now = 1000 * SEC;
	S.bfd = -1;
	printf("%s (seed %llu)\n", sc->name, (unsigned long long)sc->seed);

	/* the backend: an abstract Unix socket, named per process */
	memset(&proxy_cfg, 0, sizeof(proxy_cfg));
	un->sun_family = AF_UNIX;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  (size_t)snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1,
					   "xtcp-proxy-test-%d", getpid()));
	proxy_cfg.backends[0].len = len;
	proxy_cfg.nbackends = 1;
	proxy_cfg.pp_version = sc->pp;
	proxy_cfg.connect_timeout_ms = 1000;
	S.hdr_want = sc->pp == 2 ? 16 + 12 : sc->pp == 1 ? strlen(V1) : 0;
	S.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (S.lfd < 0 || bind(S.lfd, (struct sockaddr *)un, len) || listen(S.lfd, 4)) {
		CHECK(0, "%s: backend socket: %s", sc->name, strerror(errno));
		return;
	}
	app_loop_bind(&ops, NULL);
	S.e[0] = engine(0);
	S.e[1] = engine(1);
	tcp_listen(S.e[1], 80);
	t.key.client[2] = t.key.server[2] = htonl(0xffff);
	t.key.client[3] = htonl(0x0a000002);	/* B */
	t.key.server[3] = htonl(0x0a000001);	/* A */
	t.key.client_port = htons(80);
	t.key.server_port = htons(50000);
	if (tcp_connect(S.e[0], &t, &client_app, S.now, &S.cli)) {
		CHECK(0, "%s: connect", sc->name);
		goto out;
	}
	tcp_flush(S.e[0]);

	limit = S.now + 300 * SEC;
	while (S.now < limit) {
		uint64_t next = 0, n;
		int busy = 0;

		while (S.link.n && evq_next(&S.link) <= S.now) {
			struct frame *f = evq_pop(&S.link);

			tcp_input(S.e[f->to], f->data, f->len, NULL, S.now);
			tcp_flush(S.e[f->to]);
			free(f);
			busy = 1;
		}
		backend_step();
		busy |= loop_poll() > 0;
		if (tcp_stats(S.e[1])->proxy_wait_backend)
			S.wait_seen = 1;
		for (int i = 0; i < 2; i++) {
			n = tcp_timers(S.e[i], S.now);
			tcp_flush(S.e[i]);
			if (n && (!next || n < next))
				next = n;
		}
		if ((S.c_closed || S.c_reset) && S.b_done && !tcp_conn_count(S.e[1]) &&
		    !S.link.n)
			break;
		if (S.link.n && (!next || evq_next(&S.link) < next))
			next = evq_next(&S.link);
		/* the backend and the proxy's socket move in small steps of
		 * virtual time; otherwise jump to the next event */
		if (busy || (S.bfd >= 0 && !S.b_done) || !next || next > S.now + 10 * US)
			next = next && next < S.now + 10 * US ? next : S.now + 10 * US;
		S.now = next > S.now ? next : S.now + 1;
	}
	st = tcp_stats(S.e[1]);
	printf("  %.3f virtual s; client sent %llu got %llu, backend got %llu sent %llu; "
	       "proxy: %llu to backend, %llu to client, wait seen %d\n",
	       (double)(S.now - 1000 * SEC) / SEC, (unsigned long long)S.c_sent,
	       (unsigned long long)S.c_rcvd, (unsigned long long)S.b_rcvd,
	       (unsigned long long)S.b_sent, (unsigned long long)st->proxy_bytes_to_backend,
	       (unsigned long long)st->proxy_bytes_to_client, S.wait_seen);
	if (sc->backend_reset) {
		CHECK(S.c_reset, "%s: the backend's reset did not reach the client", sc->name);
		CHECK_EQ(st->proxy_backend_resets, 1, "proxy_backend_resets");
	} else {
		CHECK(S.c_closed && !S.c_reset, "%s: client closed %d reset %d", sc->name,
		      S.c_closed, S.c_reset);
		CHECK_EQ(S.b_rcvd, sc->bytes[0], "bytes the backend got");
		CHECK_EQ(S.c_rcvd, sc->bytes[1], "bytes the client got");
		CHECK_EQ(S.b_bad + S.c_bad, 0, "bytes wrong");
		CHECK(S.b_eof && S.c_peer_closed, "%s: half-closes carried: backend EOF %d, "
		      "client FIN %d", sc->name, S.b_eof, S.c_peer_closed);
		CHECK_EQ(st->proxy_conns, 1, "proxy_conns");
	}
	if (sc->pp == 2) {
		CHECK(S.hdr_len == 28 && !memcmp(S.hdr, v2sig, 12) && S.hdr[12] == 0x21 &&
		      S.hdr[13] == 0x11 && S.hdr[15] == 12 &&
		      !memcmp(S.hdr + 16, "\x0a\x00\x00\x01\x0a\x00\x00\x02\xc3\x50\x00\x50", 12),
		      "%s: PROXY v2 header: the client's address 10.0.0.1:50000 to "
		      "10.0.0.2:80", sc->name);
	}
	if (sc->pp == 1)
		CHECK(S.hdr_len == strlen(V1) && !memcmp(S.hdr, V1, strlen(V1)),
		      "%s: PROXY v1 header: %.*s", sc->name, (int)S.hdr_len, S.hdr);
	if (sc->slow && sc->bytes[0] >= (1 << 20))
		CHECK(S.wait_seen, "%s: a slow backend never made the proxy wait", sc->name);
	CHECK_EQ(tcp_conn_count(S.e[1]), 0, "proxy connections left");
	CHECK_EQ(st->proxy_open, 0, "backend sockets left open");
	CHECK_EQ(S.nfds, 0, "descriptors left in the loop");
	CHECK_EQ(st->proxy_wait_backend + st->proxy_wait_client, 0, "wait gauges back at 0");
out:
	while (S.link.n)
		free(evq_pop(&S.link));
	evq_free(&S.link);
	tcp_engine_free(S.e[0]);
	tcp_engine_free(S.e[1]);
	if (S.bfd >= 0)
		close(S.bfd);
	close(S.lfd);
	app_loop_bind(NULL, NULL);
}

int main(int argc, char **argv)
{
	static const struct scen fixed[] = {
		{ "clean link, 2 MB each way, PROXY v2", 1, { 2 << 20, 2 << 20 }, 0, 0, 0, 0, 0, 2 },
		{ "2% loss, slow backend: backpressure", 2, { 1 << 20, 256 << 10 }, 20000, 1, 0, 0, 0, 0 },
		{ "client FIN first, then 512 KB from the backend", 3, { 0, 512 << 10 }, 0, 0, 0, 1, 0, 0 },
		{ "backend EOF first, then 512 KB from the client", 4, { 512 << 10, 0 }, 0, 0, 1, 0, 0, 0 },
		{ "backend resets mid-transfer", 5, { 4 << 20, 0 }, 0, 0, 0, 0, 300000, 0 },
	};
	uint64_t seeds = argc > 1 ? strtoull(argv[1], NULL, 0) : 20;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		run(&fixed[i]);
	for (uint64_t s = 100; s < 100 + seeds; s++) {
		struct scen sc = { .name = "random", .seed = s };
		uint64_t x = s;

		sc.bytes[0] = splitmix64(&x) % (600 << 10);
		sc.bytes[1] = splitmix64(&x) % (600 << 10);
		sc.loss_ppm = (uint32_t)(splitmix64(&x) % 30000);
		sc.slow = splitmix64(&x) % 3 == 0;
		sc.client_waits = splitmix64(&x) % 4 == 0;
		sc.backend_waits = !sc.client_waits && splitmix64(&x) % 4 == 0;
		sc.pp = (int)(splitmix64(&x) % 3);
		sc.slow = sc.slow && !sc.bytes[0] ? 0 : sc.slow;
		run(&sc);
	}
	return check_done("unit/proxy_sim");
}
