// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as frames into an engine that holds
 * connections in every state (SYN-SENT, SYN-RECEIVED, ESTABLISHED with
 * data both ways and SACK/timestamps, CLOSE-WAIT, LAST-ACK, FIN-WAIT-1/2,
 * CLOSING, TIME-WAIT). The input is a script of records:
 *
 *   0 LEN16 BYTES...       a raw frame, as it came off the wire
 *   1 CONN FLAGS SEQ32 ACK32 WND16 OPTLEN OPTS... PAYLEN16
 *                          a well-formed segment from CONN's peer (valid
 *                          checksums) with SEQ/ACK relative to what the
 *                          engine expects, and raw TCP options
 *   2 MS16                 advance the clock and run the timers
 *   3 CONN OP ARG16        an application call (send, recv, shutdown,
 *                          close, abort, nodelay)
 *
 * so mutations reach deep into the state machine instead of dying at the
 * checksum. make fuzz runs it; make test replays tests/fuzz/corpus.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tcp/tcp.h"

#define SEC 1000000000ULL
#define MS 1000000ULL
#define NCONN 16

static struct {
	struct tcp_engine *e;
	uint64_t now;
	uint8_t tx[2048];
	struct tcp_conn *conn[NCONN];	/* by slot; NULL once final */
	struct tcp_tuple t[NCONN];	/* the engine's view: client = peer */
	int accepting;			/* the slot a third ACK is for */
	uint8_t sink[65536];
} F;

static uint8_t *io_tx_buf(void *ctx, uint32_t *cap)
{
	(void)ctx;
	*cap = sizeof(F.tx);
	return F.tx;
}

static void io_tx_send(void *ctx, uint8_t *buf, uint32_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
}

static void app_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	int *slot = ctx;

	switch (ev) {
	case TCP_EV_ACCEPTED:
		*slot = F.accepting;
		if (F.accepting >= 0 && F.accepting < NCONN)
			F.conn[F.accepting] = c;
		break;
	case TCP_EV_READABLE:
		while (tcp_recv(c, F.sink, sizeof(F.sink)))
			;
		break;
	case TCP_EV_PEER_CLOSED:
		if (*slot == 3)		/* this one closes back: LAST-ACK */
			tcp_shutdown(c);
		break;
	case TCP_EV_RESET:
	case TCP_EV_CLOSED:
		if (*slot >= 0 && *slot < NCONN)
			F.conn[*slot] = NULL;
		break;
	default:
		break;
	}
}

static const struct tcp_app app = { .name = "fuzz", .ctx_size = sizeof(int),
				    .event = app_event };

static void tuple(int i, uint16_t peer_port, uint16_t our_port)
{
	struct tcp_tuple *t = &F.t[i];

	memset(t, 0, sizeof(*t));
	t->l2_len = 14;
	t->l2[12] = 8;
	t->key.client[2] = t->key.server[2] = htonl(0xffff);
	t->key.client[3] = htonl(0x0a000002);
	t->key.server[3] = htonl(0x0a000001);
	t->key.client_port = htons(peer_port);
	t->key.server_port = htons(our_port);
}

/* A segment from slot i's peer: the engine's tuple, turned around. */
static void peer_seg(int i, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		     const struct wire_opts *opts, uint32_t paylen,
		     const struct xtcp_meta *meta)
{
	static const uint8_t bytes[1500];
	struct tcp_tuple t = F.t[i];
	struct wire_out o = { .seq = seq, .ack = ack, .flags = flags, .wnd = wnd,
			      .opts = opts };
	uint8_t buf[2048];
	size_t len;

	memcpy(t.key.client, F.t[i].key.server, 16);
	memcpy(t.key.server, F.t[i].key.client, 16);
	t.key.client_port = F.t[i].key.server_port;
	t.key.server_port = F.t[i].key.client_port;
	o.data[0] = bytes;
	o.data_len[0] = paylen > sizeof(bytes) ? sizeof(bytes) : paylen;
	len = wire_build(buf, sizeof(buf), &t, &o);
	if (len)
		tcp_input(F.e, buf, len, meta, F.now);
	tcp_flush(F.e);
}

/* Slot i accepted from the XDP path: a third ACK with metadata. */
static void accept_slot(int i, uint8_t meta_flags)
{
	struct xtcp_meta m = {
		.iss = 1000000u * (uint32_t)i, .irs = 5000000u * (uint32_t)i,
		.mss = 1460, .snd_wscale = 7, .rcv_wscale = 7, .ts_val = 100,
		.flags = XTCP_META_NEW | meta_flags, .magic = XTCP_META_MAGIC,
	};
	struct wire_opts opts = { .len = 0 };

	tuple(i, (uint16_t)(40000 + i), 80);
	if (meta_flags & XTCP_META_TS)
		wire_opt_ts(&opts, 100, 0);
	F.accepting = i;
	peer_seg(i, TCPHDR_ACK, m.irs + 1, m.iss + 1, 512, &opts, 0, &m);
	F.accepting = -1;
}

static bool info(int i, struct tcp_conn_info *ci)
{
	if (!F.conn[i])
		return false;
	tcp_conn_get_info(F.conn[i], ci);
	return true;
}

/* The peer acks everything and sends flags (FIN, say) at RCV.NXT. */
static void peer_says(int i, uint8_t flags, uint32_t paylen)
{
	struct tcp_conn_info ci;

	if (info(i, &ci))
		peer_seg(i, flags, ci.rcv_nxt, ci.snd_nxt, 512, NULL, paylen, NULL);
}

static void advance(uint64_t ns)
{
	F.now += ns;
	tcp_timers(F.e, F.now);
}

/* Connections in every state, data in flight both ways. */
static void populate(void)
{
	static const uint8_t data[20000];
	struct tcp_cfg cfg;

	tcp_cfg_default(&cfg);
	cfg.max_conns = NCONN + 4;
	cfg.sndbuf = cfg.rcvbuf = 65536;
	cfg.app = &app;
	cfg.seed = 7;
	cfg.time_wait_ns = 60 * SEC;
	cfg.keepalive_idle_ms = 5000;
	cfg.keepalive_intvl_ms = 1000;
	cfg.keepalive_probes = 3;
	cfg.max_retries = 4;
	cfg.secret[0] = 42;
	cfg.io = (struct tcp_io){ .tx_buf = io_tx_buf, .tx_send = io_tx_send };
	memset(&F, 0, sizeof(F));
	F.now = 1000 * SEC;
	F.accepting = -1;
	if (tcp_engine_new(&cfg, &F.e))
		abort();
	tcp_listen(F.e, 80);
	accept_slot(0, XTCP_META_SACK | XTCP_META_TS);	/* ESTABLISHED, busy */
	if (F.conn[0])
		tcp_send(F.conn[0], data, sizeof(data));
	tcp_flush(F.e);
	peer_says(0, TCPHDR_ACK, 1000);
	accept_slot(1, 0);				/* ESTABLISHED, plain */
	accept_slot(2, XTCP_META_SACK);			/* CLOSE-WAIT */
	peer_says(2, TCPHDR_ACK | TCPHDR_FIN, 0);
	accept_slot(3, XTCP_META_TS);			/* LAST-ACK */
	peer_says(3, TCPHDR_ACK | TCPHDR_FIN, 10);
	accept_slot(4, XTCP_META_SACK);			/* FIN-WAIT-1 */
	if (F.conn[4])
		tcp_send(F.conn[4], data, 3000), tcp_shutdown(F.conn[4]);
	accept_slot(5, 0);				/* FIN-WAIT-2 */
	if (F.conn[5])
		tcp_shutdown(F.conn[5]);
	tcp_flush(F.e);
	peer_says(5, TCPHDR_ACK, 0);
	accept_slot(6, 0);				/* CLOSING */
	if (F.conn[6])
		tcp_shutdown(F.conn[6]);
	tcp_flush(F.e);
	{
		struct tcp_conn_info ci;

		if (info(6, &ci))	/* FIN that does not ack ours */
			peer_seg(6, TCPHDR_ACK | TCPHDR_FIN, ci.rcv_nxt, ci.snd_una, 512, NULL, 0, NULL);
	}
	accept_slot(7, XTCP_META_TS);			/* TIME-WAIT */
	if (F.conn[7])
		tcp_shutdown(F.conn[7]);
	tcp_flush(F.e);
	peer_says(7, TCPHDR_ACK | TCPHDR_FIN, 0);
	/* active opens: SYN-SENT, and SYN-RECEIVED by simultaneous open */
	tuple(8, 9000, 50008);
	tcp_connect(F.e, &F.t[8], &app, F.now, &F.conn[8]);
	tuple(9, 9001, 50009);
	tcp_connect(F.e, &F.t[9], &app, F.now, &F.conn[9]);
	peer_seg(9, TCPHDR_SYN, 777, 0, 512, NULL, 0, NULL);
	for (int i = 8; i <= 9; i++)
		if (F.conn[i])
			*(int *)tcp_ctx(F.conn[i]) = i;
	tcp_flush(F.e);
}

static uint32_t get(const uint8_t **p, const uint8_t *end, int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | (*p < end ? *(*p)++ : 0);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	static const uint8_t payload[4096];

	populate();
	while (p < end) {
		uint8_t op = (uint8_t)(get(&p, end, 1) % 4);
		struct tcp_conn_info ci;
		int i;

		switch (op) {
		case 0: {
			uint32_t n = get(&p, end, 2) % 2048;

			if (n > (size_t)(end - p))
				n = (uint32_t)(end - p);
			tcp_input(F.e, p, n, NULL, F.now);
			tcp_flush(F.e);
			p += n;
			break;
		}
		case 1: {
			struct wire_opts opts = { .len = 0 };
			uint8_t flags;
			uint32_t seq, ack, paylen;
			uint16_t wnd;

			i = (int)(get(&p, end, 1) % NCONN);
			flags = (uint8_t)get(&p, end, 1);
			seq = get(&p, end, 4);
			ack = get(&p, end, 4);
			wnd = (uint16_t)get(&p, end, 2);
			opts.len = (uint8_t)(get(&p, end, 1) % 11 * 4);
			for (int k = 0; k < opts.len; k++)
				opts.b[k] = (uint8_t)get(&p, end, 1);
			paylen = get(&p, end, 2) % 1500;
			if (!info(i, &ci))
				continue;
			/* small deltas are the interesting ones: around the
			 * window edges, SND.UNA and SND.MAX */
			peer_seg(i, flags, ci.rcv_nxt + (uint32_t)(int16_t)seq * ((seq >> 16) & 7),
				 ci.snd_una + (uint32_t)(int16_t)ack * ((ack >> 16) & 7), wnd,
				 &opts, paylen, NULL);
			break;
		}
		case 2:
			advance((get(&p, end, 2) % 10000) * MS);
			break;
		case 3: {
			uint8_t what;
			uint16_t arg;

			i = (int)(get(&p, end, 1) % NCONN);
			what = (uint8_t)get(&p, end, 1);
			arg = (uint16_t)get(&p, end, 2);
			if (!F.conn[i])
				continue;
			switch (what % 6) {
			case 0:
				tcp_send(F.conn[i], payload, arg % sizeof(payload));
				break;
			case 1:
				tcp_recv(F.conn[i], F.sink, arg);
				break;
			case 2:
				tcp_shutdown(F.conn[i]);
				break;
			case 3:
				tcp_close(F.conn[i]);
				F.conn[i] = NULL;
				break;
			case 4:
				tcp_abort(F.conn[i]);
				F.conn[i] = NULL;
				break;
			case 5:
				tcp_set_nodelay(F.conn[i], arg & 1);
				break;
			}
			tcp_flush(F.e);
			break;
		}
		}
	}
	/* let every timer run its course: retries, keepalives, TIME-WAIT */
	for (int k = 0; k < 200; k++)
		advance(SEC);
	tcp_engine_free(F.e);
	return 0;
}
