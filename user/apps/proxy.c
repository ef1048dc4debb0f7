// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * proxy: every accepted connection is joined to a kernel TCP (or Unix
 * socket) connection to a backend, chosen round robin, and bytes flow both
 * ways until both sides are done. A backend that refuses or times out is
 * skipped for PROXY_DOWN_MS; when none answers, the client gets RST.
 * Half-closes cross over (client FIN -> shutdown(SHUT_WR); backend EOF ->
 * FIN), resets too (client RST -> backend RST by SO_LINGER 0; backend
 * reset -> tcp_abort). The PROXY protocol header (HAProxy's
 * doc/proxy-protocol.txt, v1 text or v2 binary) goes first to the backend.
 *
 * Backpressure, bounded memory: client bytes are read from the engine
 * (tcp_recv) only when the last PROXY_BUF were written to the backend, so
 * a slow backend leaves them in the engine's receive buffer and its window
 * closes; backend bytes are read only as far as tcp_send has room, so a
 * slow client leaves them in the kernel socket. Per connection: the
 * engine's rcvbuf + sndbuf, PROXY_BUF bytes here, and the kernel socket's
 * own buffers.
 *
 * The backend socket is registered with the queue's loop (apploop.h) and
 * its callback runs on the queue thread, like the engine's events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xtcp/abi.h"
#include "apploop.h"
#include "apps.h"

#define PROXY_BUF 16384		/* client->backend bytes held per connection */
#define PROXY_DOWN_MS 2000	/* a failed backend is skipped this long */

struct proxy_cfg proxy_cfg = { .connect_timeout_ms = 3000 };

/* when each backend may be tried again (CLOCK_MONOTONIC ns); written and
 * read by every queue thread: relaxed atomics, a hint only */
static uint64_t down_until[PROXY_MAX_BACKENDS];

enum proxy_phase { PX_CONNECTING = 1, PX_UP };

struct proxy {
	struct tcp_conn *c;
	int fd;			/* -1: none */
	uint8_t phase;
	uint8_t client_fin;	/* the client's FIN arrived, every byte read */
	uint8_t backend_eof;	/* read 0 from the backend: FIN sent on */
	uint8_t shut_wr;	/* shutdown(SHUT_WR) done */
	uint8_t wait_backend, wait_client;	/* as counted in the gauges */
	uint8_t tries;		/* backends tried for this client */
	int backend;		/* index in proxy_cfg */
	uint32_t off, len;	/* bytes of buf still to write */
	unsigned char *buf;	/* PROXY_BUF, from accept to the end */
	uint64_t to_backend, to_client;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- configuration: --backend HOST:PORT[,...] ---- */

static int parse_one(const char *s, struct proxy_backend *b)
{
	char host[128];
	const char *colon;
	unsigned long port;
	char *end;
	size_t hl;

	memset(b, 0, sizeof(*b));
	if (!strncmp(s, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&b->addr;

		if (!s[5] || strlen(s + 5) >= sizeof(un->sun_path))
			return -EINVAL;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, s + 5);
		b->len = sizeof(*un);
		return 0;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - s - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
	}
	host[hl] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || !port || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&b->addr;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		b->len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&b->addr;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		b->len = sizeof(*a4);
	}
	return 0;
}

int proxy_parse_backends(const char *arg)
{
	char buf[1024], *tok, *save;
	int n = 0;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == PROXY_MAX_BACKENDS || parse_one(tok, &proxy_cfg.backends[n]))
			return -EINVAL;
		n++;
	}
	if (!n)
		return -EINVAL;
	proxy_cfg.nbackends = n;
	return 0;
}

/* ---- PROXY protocol (HAProxy doc/proxy-protocol.txt) ---- */

/* Version 1 (section 2.1): one text line, at most 107 bytes. */
static size_t pp_v1(char *out, size_t cap, const struct xtcp_flow_key *k, bool v6)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = v6 ? AF_INET6 : AF_INET;
	const void *sa = v6 ? (const void *)k->client : (const void *)&k->client[3];
	const void *da = v6 ? (const void *)k->server : (const void *)&k->server[3];
	int n;

	inet_ntop(af, sa, src, sizeof(src));
	inet_ntop(af, da, dst, sizeof(dst));
	n = snprintf(out, cap, "PROXY %s %s %s %u %u\r\n", v6 ? "TCP6" : "TCP4",
		     src, dst, ntohs(k->client_port), ntohs(k->server_port));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Version 2 (section 2.2): the 12-byte signature, version 2 and command
 * PROXY (0x21), family TCP over IPv4 (0x11) or IPv6 (0x21), the length of
 * what follows, then source and destination addresses and ports. */
static size_t pp_v2(unsigned char *out, const struct xtcp_flow_key *k, bool v6)
{
	static const unsigned char sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };
	size_t alen = v6 ? 16 : 4, len = 2 * alen + 4;
	unsigned char *p = out + 16;

	memcpy(out, sig, sizeof(sig));
	out[12] = 0x21;
	out[13] = v6 ? 0x21 : 0x11;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)len;
	memcpy(p, v6 ? (const void *)k->client : (const void *)&k->client[3], alen);
	memcpy(p + alen, v6 ? (const void *)k->server : (const void *)&k->server[3], alen);
	memcpy(p + 2 * alen, &k->client_port, 2);
	memcpy(p + 2 * alen + 2, &k->server_port, 2);
	return 16 + len;
}

size_t proxy_header(int version, const struct xtcp_flow_key *k, bool v6,
		    unsigned char *out, size_t cap)
{
	if (version == 1)
		return pp_v1((char *)out, cap, k, v6);
	if (version == 2 && cap >= 16 + 36)
		return pp_v2(out, k, v6);
	return 0;
}

/* ---- the connection ---- */

static void gauge(struct proxy *st, uint8_t *flag, int idx, bool on)
{
	__u64 *g = (__u64 *)tcp_app_stats(st->c) + idx;

	if (*flag == on)
		return;
	*flag = on;
	if (on)
		(*g)++;
	else
		(*g)--;
}

#define STAT(st, name) (tcp_app_stats((st)->c)->name)

/* Let go of the backend socket; reset: with RST (SO_LINGER 0). */
static void drop_backend(struct proxy *st, bool reset)
{
	if (st->fd < 0)
		return;
	app_fd_del(st->fd);
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(st->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(st->fd);
	st->fd = -1;
	STAT(st, proxy_open)--;
}

/* The end of this side of the proxy: nothing of st is used after. */
static void finish(struct proxy *st, bool reset)
{
	gauge(st, &st->wait_backend, XTCP_ENGINE_proxy_wait_backend, false);
	gauge(st, &st->wait_client, XTCP_ENGINE_proxy_wait_client, false);
	drop_backend(st, reset);
	free(st->buf);
	st->buf = NULL;
}

static void backend_event(int fd, uint32_t events, void *arg);
static void pump(struct proxy *st);

static void fail_count(struct proxy *st, int err)
{
	if (err == ECONNREFUSED)
		STAT(st, proxy_fail_refused)++;
	else if (err == ETIMEDOUT)
		STAT(st, proxy_fail_timeout)++;
	else
		STAT(st, proxy_fail_other)++;
}

/* Try the backends from the next in turn; none: RST to the client. */
static void connect_next(struct proxy *st)
{
	static __thread unsigned rr;
	uint64_t now = now_ns();

	while (st->tries < proxy_cfg.nbackends) {
		int i = (int)(rr++ % (unsigned)proxy_cfg.nbackends);
		const struct proxy_backend *b = &proxy_cfg.backends[i];
		int fd, err, one = 1;

		if (__atomic_load_n(&down_until[i], __ATOMIC_RELAXED) > now &&
		    proxy_cfg.nbackends > 1) {
			st->tries++;
			continue;
		}
		st->tries++;
		st->backend = i;
		fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fail_count(st, errno);
			continue;
		}
		if (b->addr.ss_family != AF_UNIX)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (const struct sockaddr *)&b->addr, b->len) &&
		    errno != EINPROGRESS) {
			err = errno;
			close(fd);
			fail_count(st, err);
			__atomic_store_n(&down_until[i], now + PROXY_DOWN_MS * 1000000ULL,
					 __ATOMIC_RELAXED);
			continue;
		}
		err = app_fd_add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, backend_event, st);
		if (err) {
			close(fd);
			fail_count(st, -err);
			continue;
		}
		st->fd = fd;
		st->phase = PX_CONNECTING;
		STAT(st, proxy_open)++;
		if (proxy_cfg.connect_timeout_ms)
			tcp_set_app_timer(st->c, proxy_cfg.connect_timeout_ms);
		return;
	}
	/* every backend refused, timed out or is resting */
	STAT(st, proxy_no_backend)++;
	finish(st, false);
	tcp_abort(st->c);
}

static void connect_failed(struct proxy *st, int err)
{
	fail_count(st, err);
	__atomic_store_n(&down_until[st->backend], now_ns() + PROXY_DOWN_MS * 1000000ULL,
			 __ATOMIC_RELAXED);
	drop_backend(st, false);
	connect_next(st);
}

static void backend_event(int fd, uint32_t events, void *arg)
{
	struct proxy *st = arg;
	int err = 0;
	socklen_t sl = sizeof(err);

	(void)fd;
	if (st->phase == PX_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &sl) || err) {
			connect_failed(st, err ? err : errno);
			return;
		}
		/* a wake-up meant for an earlier socket of the same number
		 * (apploop.h allows it): not connected yet, wait on */
		{
			struct sockaddr_storage peer;
			socklen_t pl = sizeof(peer);

			if (getpeername(st->fd, (struct sockaddr *)&peer, &pl) &&
			    errno == ENOTCONN)
				return;
		}
		st->phase = PX_UP;
		tcp_set_app_timer(st->c, 0);
		STAT(st, proxy_conns)++;
	}
	pump(st);
}

/* The backend failed (reset, or died): the client is reset too. */
static void backend_broke(struct proxy *st)
{
	STAT(st, proxy_backend_resets)++;
	finish(st, true);
	tcp_abort(st->c);
}

/* Move what can move, both ways; close when both directions are done. */
static void pump(struct proxy *st)
{
	struct tcp_conn *c = st->c;
	unsigned char tmp[16384];
	size_t space = 0;
	ssize_t r;

	if (st->phase != PX_UP)
		return;
	/* client -> backend: the engine's bytes leave it only as fast as the
	 * backend takes them */
	for (;;) {
		if (st->len) {
			r = send(st->fd, st->buf + st->off, st->len, MSG_NOSIGNAL);
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				backend_broke(st);
				return;
			}
			st->off += (uint32_t)r;
			st->len -= (uint32_t)r;
			STAT(st, proxy_bytes_to_backend) += (__u64)r;
			st->to_backend += (uint64_t)r;
			continue;
		}
		st->off = 0;
		st->len = (uint32_t)tcp_recv(c, st->buf, PROXY_BUF);
		if (!st->len)
			break;
	}
	if (!st->len && st->client_fin && !st->shut_wr) {
		shutdown(st->fd, SHUT_WR);	/* the client's FIN, carried on */
		st->shut_wr = 1;
	}
	/* backend -> client: read no more than the engine will take */
	while (!st->backend_eof) {
		space = tcp_send_space(c);
		if (!space)
			break;
		r = recv(st->fd, tmp, space < sizeof(tmp) ? space : sizeof(tmp), 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			backend_broke(st);
			return;
		}
		if (!r) {
			st->backend_eof = 1;
			tcp_shutdown(c);	/* the backend's EOF: FIN to the client */
			break;
		}
		tcp_send(c, tmp, (size_t)r);
		STAT(st, proxy_bytes_to_client) += (__u64)r;
		st->to_client += (uint64_t)r;
	}
	gauge(st, &st->wait_backend, XTCP_ENGINE_proxy_wait_backend, st->len != 0);
	gauge(st, &st->wait_client, XTCP_ENGINE_proxy_wait_client,
	      !st->backend_eof && !space);
	if (st->shut_wr && st->backend_eof) {
		finish(st, false);
		tcp_close(c);
	}
}

/*
 * The engine ends a connection cleanly (TCP_EV_CLOSED) once both FINs are
 * through, even with client bytes still unread (our FIN went first, after
 * the backend's EOF, and a slow backend held the rest back). They are
 * readable during the event: the backend socket takes them along as an
 * orphan, which writes them out and closes. Bounded: what the engine's
 * receive buffer held, plus PROXY_BUF.
 */
struct proxy_orphan {
	int fd;
	uint32_t off, len;
	struct xtcp_engine_stats *st;
	unsigned char buf[];
};

static void orphan_event(int fd, uint32_t events, void *arg)
{
	struct proxy_orphan *o = arg;
	ssize_t r;

	(void)events;
	while (o->len) {
		r = send(fd, o->buf + o->off, o->len, MSG_NOSIGNAL);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r < 0)
			break;	/* the backend went: nothing to tell anyone */
		o->off += (uint32_t)r;
		o->len -= (uint32_t)r;
		o->st->proxy_bytes_to_backend += (__u64)r;
	}
	app_fd_del(fd);
	close(fd);	/* the kernel sends what it holds, then FIN */
	o->st->proxy_open--;
	free(o);
}

static void orphan_adopt(struct proxy *st)
{
	size_t avail = tcp_recv_avail(st->c);
	struct proxy_orphan *o;

	if (st->fd < 0 || st->phase != PX_UP || (!avail && !st->len))
		return;
	o = malloc(sizeof(*o) + st->len + avail);
	if (!o)
		return;		/* finish() resets the backend instead */
	o->fd = st->fd;
	o->st = tcp_app_stats(st->c);
	o->off = 0;
	memcpy(o->buf, st->buf + st->off, st->len);
	o->len = st->len + (uint32_t)tcp_recv(st->c, o->buf + st->len, avail);
	app_fd_del(st->fd);
	if (app_fd_add(o->fd, EPOLLOUT, orphan_event, o)) {
		free(o);
		return;
	}
	st->fd = -1;
	st->len = 0;
	orphan_event(o->fd, EPOLLOUT, o);
}

static void proxy_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	struct proxy *st = ctx;
	struct xtcp_flow_key k;
	bool v6;

	switch (ev) {
	case TCP_EV_ACCEPTED:
	case TCP_EV_CONNECTED:
		st->c = c;
		st->fd = -1;
		tcp_set_nodelay(c, true);	/* relay at once, as the backend wrote */
		st->buf = malloc(PROXY_BUF);
		if (!st->buf) {
			tcp_abort(c);
			return;
		}
		if (proxy_cfg.pp_version) {
			tcp_conn_key(c, &k, &v6);
			st->len = (uint32_t)proxy_header(proxy_cfg.pp_version, &k, v6,
							 st->buf, PROXY_BUF);
		}
		connect_next(st);
		break;
	case TCP_EV_PEER_CLOSED:
		st->client_fin = 1;
		/* fall through */
	case TCP_EV_READABLE:
	case TCP_EV_WRITABLE:
		pump(st);
		break;
	case TCP_EV_TIMER:
		if (st->phase == PX_CONNECTING)
			connect_failed(st, ETIMEDOUT);
		break;
	case TCP_EV_RESET:
		/* the client reset (or was aborted): so is the backend */
		if (st->fd >= 0)
			STAT(st, proxy_client_resets)++;
		finish(st, true);
		break;
	case TCP_EV_CLOSED:
		orphan_adopt(st);
		/* no orphan: everything was written; a failed one: RST */
		finish(st, st->fd >= 0 && (st->len || tcp_recv_avail(c)));
		break;
	}
}

/* `stats --conns`: the backend side of the connection. */
static int proxy_describe(const struct tcp_conn *c, const void *ctx, char *buf, size_t len)
{
	const struct proxy *st = ctx;
	const struct sockaddr_storage *a = &proxy_cfg.backends[st->backend].addr;
	char host[INET6_ADDRSTRLEN + 8] = "?";
	unsigned port = 0;
	int n;

	(void)c;
	if (a->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, host, sizeof(host));
		port = ntohs(((const struct sockaddr_in *)a)->sin_port);
	} else if (a->ss_family == AF_INET6) {
		host[0] = '[';
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, host + 1,
			  sizeof(host) - 2);
		strcat(host, "]");
		port = ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	} else {
		snprintf(host, sizeof(host), "unix");
	}
	n = snprintf(buf, len, "proxy backend:%s:%u %s to_backend:%llu to_client:%llu%s%s%s%s",
		     host, port, st->fd < 0 ? "none" : st->phase == PX_UP ? "up" : "connecting",
		     (unsigned long long)st->to_backend, (unsigned long long)st->to_client,
		     st->wait_backend ? " waiting:backend" : "",
		     st->wait_client ? " waiting:client" : "",
		     st->client_fin ? " client_fin" : "", st->backend_eof ? " backend_eof" : "");
	return n < 0 ? 0 : n;
}

const struct tcp_app app_proxy = {
	.name = "proxy",
	.ctx_size = sizeof(struct proxy),
	.event = proxy_event,
	.describe = proxy_describe,
};
