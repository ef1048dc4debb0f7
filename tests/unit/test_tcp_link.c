// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Two engines on a simulated link: one connects (active open), the other
 * answers from its cookie path, and each sends 10 MB that the other checks
 * byte by byte; both then close and wait out TIME-WAIT. Virtual clock.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "check.h"
#include "tcp/tcp.h"

#define TOTAL (10u << 20)
#define QCAP 4096
#define US 1000ULL
#define SEC 1000000000ULL

struct inbox {
	__u8 frame[QCAP][2048];
	__u32 len[QCAP];
	__u32 head, tail;
};

struct side {
	const char *name;
	struct tcp_engine *e;
	struct inbox *to;	/* the other side's inbox */
	__u8 txbuf[2048];
	__u64 sent, rcvd, bad_bytes;
	int peer_closed, closed, reset, connected;
	__u8 salt;		/* each direction has its own byte pattern */
};

static struct inbox box_a, box_b;
static struct side A = { .name = "A", .to = &box_b, .salt = 17 },
		   B = { .name = "B", .to = &box_a, .salt = 91 };
static __u64 frames_dropped;

static __u8 pat(__u8 salt, __u64 i)
{
	return (__u8)((i * 131 + salt) ^ (i >> 11));
}

static __u8 *tx_buf(void *ctx, __u32 *cap)
{
	struct side *s = ctx;

	*cap = sizeof(s->txbuf);
	return s->txbuf;
}

static void tx_send(void *ctx, __u8 *buf, __u32 len)
{
	struct side *s = ctx;
	struct inbox *q = s->to;

	if (q->tail - q->head == QCAP) {
		frames_dropped++;	/* a full link drops, as a ring would */
		return;
	}
	memcpy(q->frame[q->tail % QCAP], buf, len);
	q->len[q->tail % QCAP] = len;
	q->tail++;
}

static void pump(struct tcp_conn *c, struct side *s)
{
	__u8 buf[32768];
	size_t n, i;

	while (s->sent < TOTAL && (n = tcp_send_space(c))) {
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > TOTAL - s->sent)
			n = TOTAL - s->sent;
		for (i = 0; i < n; i++)
			buf[i] = pat(s->salt, s->sent + i);
		s->sent += (size_t)tcp_send(c, buf, n);
	}
	if (s->sent == TOTAL)
		tcp_shutdown(c);
}

static void bulk_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	struct side *s = *(struct side **)ctx, *other;
	__u8 buf[32768];
	size_t n, i;

	if (!s) {	/* B's passive connection: bind it to B */
		s = &B;
		*(struct side **)ctx = s;
	}
	other = s == &A ? &B : &A;
	switch (ev) {
	case TCP_EV_CONNECTED:
	case TCP_EV_ACCEPTED:
		s->connected++;
		pump(c, s);
		break;
	case TCP_EV_WRITABLE:
		pump(c, s);
		break;
	case TCP_EV_READABLE:
		while ((n = tcp_recv(c, buf, sizeof(buf)))) {
			for (i = 0; i < n; i++)
				if (buf[i] != pat(other->salt, s->rcvd + i))
					s->bad_bytes++;
			s->rcvd += n;
		}
		break;
	case TCP_EV_PEER_CLOSED:
		s->peer_closed++;
		break;
	case TCP_EV_CLOSED:
		s->closed++;
		break;
	case TCP_EV_RESET:
		s->reset++;
		break;
	}
}

static const struct tcp_app bulk = {
	.name = "bulk", .ctx_size = sizeof(void *), .event = bulk_event,
};

static void engine(struct side *s)
{
	struct tcp_cfg cfg;

	tcp_cfg_default(&cfg);
	cfg.max_conns = 8;
	cfg.app = &bulk;
	cfg.time_wait_ns = 60 * SEC;
	cfg.secret[0] = 42;
	cfg.io = (struct tcp_io){ .ctx = s, .tx_buf = tx_buf, .tx_send = tx_send };
	if (tcp_engine_new(&cfg, &s->e))
		abort();
}

static void deliver(struct inbox *q, struct side *s, __u64 now)
{
	while (q->head != q->tail) {
		tcp_input(s->e, q->frame[q->head % QCAP], q->len[q->head % QCAP],
			  NULL, now);
		q->head++;
	}
	tcp_flush(s->e);
}

int main(void)
{
	struct tcp_tuple t = { .l2_len = 14,
			       .l2 = { 2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 8, 0 } };
	struct tcp_conn *c;
	__u64 now = 5000 * SEC, end;
	int rounds = 0;

	engine(&A);
	engine(&B);
	tcp_listen(B.e, 80);
	t.key.client[2] = t.key.server[2] = htonl(0xffff);
	t.key.client[3] = htonl(0x0a000002);	/* B, the peer of A */
	t.key.server[3] = htonl(0x0a000001);	/* A */
	t.key.client_port = htons(80);
	t.key.server_port = htons(50000);
	CHECK_EQ(tcp_connect(A.e, &t, &bulk, now, &c), 0, "A connects to B");
	*(struct side **)tcp_ctx(c) = &A;
	tcp_flush(A.e);

	/* 100 us per round trip leg; at most 10 virtual minutes */
	end = now + 600 * SEC;
	while (now < end && (A.closed + A.reset == 0 || B.closed + B.reset == 0)) {
		deliver(&box_b, &B, now);
		deliver(&box_a, &A, now);
		now += 100 * US;
		tcp_timers(A.e, now);
		tcp_timers(B.e, now);
		rounds++;
	}
	CHECK_EQ(A.connected + B.connected, 2, "both ends connected");
	CHECK_EQ(A.rcvd, TOTAL, "A received 10 MB");
	CHECK_EQ(B.rcvd, TOTAL, "B received 10 MB");
	CHECK_EQ(A.bad_bytes + B.bad_bytes, 0, "every byte exact");
	CHECK(A.peer_closed == 1 && B.peer_closed == 1, "both saw the other's FIN");
	CHECK(A.closed == 1 && B.closed == 1, "both closed cleanly");
	CHECK_EQ(A.reset + B.reset, 0, "no reset");
	CHECK_EQ(frames_dropped, 0, "the link never overflowed");
	/* TIME-WAIT on the side that closed second is waited out */
	for (int i = 0; i < 200; i++) {
		now += SEC;
		tcp_timers(A.e, now);
		tcp_timers(B.e, now);
		deliver(&box_b, &B, now);
		deliver(&box_a, &A, now);
	}
	CHECK_EQ(tcp_conn_count(A.e) + tcp_conn_count(B.e), 0, "no connection left");
	CHECK_EQ(tcp_timers(A.e, now) + tcp_timers(B.e, now), 0, "no timer armed");
	CHECK_EQ(tcp_stats(A.e)->retransmits + tcp_stats(B.e)->retransmits, 0,
		 "a clean link needs no retransmission");
	printf("link: %d rounds, %.3f virtual s, %llu segments A->B\n", rounds,
	       rounds * 100e-6, (unsigned long long)tcp_stats(A.e)->segs_out);
	tcp_engine_free(A.e);
	tcp_engine_free(B.e);
	return check_done("unit/tcp_link");
}
