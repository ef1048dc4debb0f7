// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Runs of new data as one super-segment (tcp/gso.c, wire_build_gso): the
 * headers and partial checksum, cut as the kernel's GSO cuts them, give
 * frames byte for byte what wire_build gives for each segment (IPv4 and
 * IPv6, with options, FIN and PSH on the last only); the sender makes runs
 * of whole segments within gso_max, cwnd and the peer's window, the tail
 * waiting for Nagle as alone; a refused run goes segment by segment; and
 * transfers over the simulated link with loss and reordering complete
 * byte-exact with both ends sending runs.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "check.h"
#include "gso_cut.h"
#include "simnet.h"
#include "bare.h"

#define MS 1000000ULL
#define MSS BARE_MSS

#define E bare_engine

static uint8_t payload[200000];

static void fill_payload(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + i / 251);
}

static void tuple(struct tcp_tuple *t, bool v6)
{
	static const uint8_t c6[16] = { 0xfd, 0x77, 0, 1, [15] = 2 };
	static const uint8_t s6[16] = { 0xfd, 0x77, 0, 1, [15] = 1 };

	memset(t, 0, sizeof(*t));
	t->v6 = v6;
	t->l2_len = 14;
	memcpy(t->l2, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	t->l2[12] = v6 ? 0x86 : 0x08;
	t->l2[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		memcpy(t->key.client, c6, 16);
		memcpy(t->key.server, s6, 16);
	} else {
		t->key.client[2] = t->key.server[2] = htonl(0xffff);
		t->key.client[3] = htonl(0x0a4d0102);
		t->key.server[3] = htonl(0x0a4d0101);
	}
	t->key.client_port = htons(40000);
	t->key.server_port = htons(80);
}

/* ---- the frames a cut run gives ---- */

struct cut {
	const struct tcp_tuple *t;
	const struct wire_out *o;	/* the whole run */
	uint32_t seg, off;
	int frames, same, parsed;
};

static void compare(void *arg, uint8_t *frame, uint32_t len)
{
	struct cut *k = arg;
	struct wire_out s = *k->o;
	uint32_t plen = k->o->data_len[0] + k->o->data_len[1];
	uint32_t n = plen - k->off < k->seg ? plen - k->off : k->seg;
	static uint8_t ref[GSO_CUT_FRAME];
	struct tcp_seg seg;
	size_t rlen;

	/* the run's payload is one piece here */
	s.seq = k->o->seq + k->off;
	s.data[0] = k->o->data[0] + k->off;
	s.data_len[0] = n;
	s.data[1] = NULL;
	s.data_len[1] = 0;
	if (k->off)
		s.flags &= (uint8_t)~TCPHDR_CWR;
	if (k->off + n < plen)
		s.flags &= (uint8_t)~(TCPHDR_FIN | TCPHDR_PSH);
	rlen = wire_build(ref, sizeof(ref), k->t, &s);
	k->same += rlen == len && !memcmp(ref, frame, len);
	k->parsed += wire_parse(frame, len, &seg) == WIRE_OK && seg.len == n &&
		     seg.seq == s.seq;
	k->off += n;
	k->frames++;
}

/* A run of plen bytes (in two pieces when split) cut in segments of seg;
 * flip: the partial checksum complemented, as an engine getting the
 * convention wrong would write it. Returns frames equal to wire_build's. */
static int cut_run(bool v6, uint32_t plen, uint32_t seg, bool split, bool flip,
		   int *frames, int *parsed)
{
	struct tcp_tuple t;
	struct wire_opts opts = { .len = 0 };
	struct wire_out o = {
		.seq = 0xfffff000u,	/* wraps inside the run */
		.ack = 12345,
		.flags = TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN | TCPHDR_CWR,
		.wnd = 512,
		.opts = &opts,
		.data = { payload, NULL },
		.data_len = { plen, 0 },
	};
	uint8_t hdr[128];
	struct tcp_gso g;
	struct cut k = { .t = &t, .o = &o, .seg = seg };
	size_t hlen;

	tuple(&t, v6);
	wire_opt_ts(&opts, 777, 888);
	hlen = wire_build_gso(hdr, sizeof(hdr), &t, &o);
	if (!hlen)
		return -1;
	if (flip)
		hdr[14 + (v6 ? 40 : 20) + 16] ^= 0xff, hdr[14 + (v6 ? 40 : 20) + 17] ^= 0xff;
	g = (struct tcp_gso){
		.hdr = hdr, .hdr_len = (uint32_t)hlen, .l3_off = 14,
		.l4_off = (uint8_t)(14 + (v6 ? 40 : 20)), .v6 = v6, .seg = (uint16_t)seg,
		.data = { payload, NULL }, .data_len = { plen, 0 },
	};
	if (split) {	/* the send ring wrapped: two pieces */
		g.data_len[0] = plen / 3;
		g.data[1] = payload + plen / 3;
		g.data_len[1] = plen - plen / 3;
	}
	if (gso_cut(&g, compare, &k) < 0)
		return -1;
	*frames = k.frames;
	*parsed = k.parsed;
	return k.same;
}

static void test_wire_cut(void)
{
	for (int v6 = 0; v6 < 2; v6++) {
		int frames, parsed, same;

		same = cut_run(v6, 10 * 1448 + 700, 1448, false, false, &frames, &parsed);
		CHECK(same == 11 && frames == 11 && parsed == 11,
		      "IPv%d: 11 frames, each wire_build's: %d same, %d parse", v6 ? 6 : 4,
		      same, parsed);
		same = cut_run(v6, 7 * 8948, 8948, true, false, &frames, &parsed);
		CHECK(same == 7 && parsed == 7, "IPv%d jumbo, two pieces: %d same, %d parse",
		      v6 ? 6 : 4, same, parsed);
		same = cut_run(v6, 44 * 1448, 1448, true, false, &frames, &parsed);
		CHECK(same == 44, "IPv%d, 44 segments: %d same", v6 ? 6 : 4, same);
		/* the test would see a wrong partial checksum */
		same = cut_run(v6, 4 * 1448, 1448, false, true, &frames, &parsed);
		CHECK(same == 0 && parsed == 0,
		      "IPv%d: a complemented partial checksum fails: %d parse", v6 ? 6 : 4, parsed);
	}
	{
		int frames, parsed;

		CHECK(cut_run(false, WIRE_GSO_MAX + 1, 1448, false, false, &frames, &parsed) < 0,
		      "a run longer than WIRE_GSO_MAX is refused");
	}
}

/* ---- the sender making runs ---- */

static uint8_t txbuf[2048];
static struct {
	uint32_t seq, len, seg;
	uint8_t flags;
} runs[64], frames[256];
static int nruns, nframes, gso_err;
static uint8_t got[sizeof(payload)];	/* the payload as the wire carries it */
static uint32_t got_base;

static uint8_t *tx(void *ctx, uint32_t *cap)
{
	(void)ctx;
	*cap = sizeof(txbuf);
	return txbuf;
}

static void record(uint8_t *f, uint32_t len)
{
	struct tcp_seg s;

	if (wire_parse(f, len, &s) != WIRE_OK || nframes >= 256)
		return;
	frames[nframes].seq = s.seq;
	frames[nframes].len = s.len;
	frames[nframes++].flags = s.flags;
	if (s.len && s.seq - got_base + s.len <= sizeof(got))
		memcpy(got + (s.seq - got_base), s.data, s.len);
}

static void tx_send(void *ctx, uint8_t *buf, uint32_t len)
{
	(void)ctx;
	record(buf, len);
}

static void cut_record(void *arg, uint8_t *f, uint32_t len)
{
	(void)arg;
	record(f, len);
}

static int tx_gso(void *ctx, const struct tcp_gso *g)
{
	const uint8_t *th = g->hdr + g->l4_off;

	(void)ctx;
	if (gso_err)
		return gso_err;
	if (nruns < 64) {
		runs[nruns].seq = (uint32_t)th[4] << 24 | th[5] << 16 | th[6] << 8 | th[7];
		runs[nruns].len = g->data_len[0] + g->data_len[1];
		runs[nruns].seg = g->seg;
		runs[nruns++].flags = th[13];
	}
	return gso_cut(g, cut_record, NULL) < 0 ? -EINVAL : 0;
}

/* An established connection, bytes of payload queued, the driver's runs
 * at most gso_max; the tuple one that parses. */
static struct tcp_conn *sender(uint32_t bytes, uint32_t gso_max, uint32_t cwnd)
{
	static struct tcp_io io = { .tx_buf = tx, .tx_send = tx_send, .tx_gso = tx_gso };
	struct tcp_conn *c;

	io.gso_max = gso_max;
	c = bare_conn(&tcp_cc_newreno, &io, 1000 * MS);
	{	/* an Ethernet header, so that frames parse; the key (hashed
		 * in the engine's table) stays */
		struct tcp_tuple t;

		tuple(&t, false);
		c->t.l2_len = t.l2_len;
		memcpy(c->t.l2, t.l2, sizeof(t.l2));
	}
	conn_set_state(c, TCPS_ESTABLISHED);
	conn_cc_start(c);
	c->cwnd = cwnd;
	ring_write(&c->snd, payload, bytes);
	c->snd_end += bytes;
	nruns = nframes = gso_err = 0;
	got_base = c->snd_una;
	memset(got, 0, sizeof(got));
	return c;
}

static void test_runs(void)
{
	struct tcp_conn *c = sender(50500, 64000, 100 * MSS);

	tcp_output(c);
	CHECK(nruns == 1 && runs[0].seq == 1001 && runs[0].len == 50000 &&
	      runs[0].seg == MSS, "one run of 50 whole segments: %d runs, %u bytes",
	      nruns, nruns ? runs[0].len : 0);
	CHECK(nruns == 1 && !(runs[0].flags & TCPHDR_PSH), "no PSH: the run does not end the queue");
	CHECK(nframes == 51 && frames[50].seq == 51001 && frames[50].len == 500 &&
	      (frames[50].flags & TCPHDR_PSH), "the 500-byte tail alone, with PSH: %d frames",
	      nframes);
	CHECK(!memcmp(got, payload, 50500), "every byte on the wire in order");
	CHECK_EQ(E->st->tx_gso, 1, "tx_gso");
	CHECK_EQ(E->st->tx_gso_segs, 50, "tx_gso_segs");
	CHECK_EQ(E->st->segs_out, 51, "segs_out counts the run's segments");
	CHECK_EQ(E->st->bytes_out, 50500, "bytes_out");
	CHECK_EQ(c->snd_nxt, 1001 + 50500, "SND.NXT");

	/* runs bounded by the driver */
	c = sender(50500, 20000, 100 * MSS);
	tcp_output(c);
	CHECK(nruns == 3 && runs[0].len == 20000 && runs[1].len == 20000 &&
	      runs[2].len == 10000 && runs[1].seq == 21001 && runs[2].seq == 41001,
	      "gso_max 20000: runs of 20, 20 and 10 segments (%d runs)", nruns);

	/* by congestion control: 10 segments */
	c = sender(50500, 64000, 10 * MSS);
	tcp_output(c);
	CHECK(nruns == 1 && runs[0].len == 10 * MSS && nframes == 10,
	      "cwnd of 10 segments: one run of 10 (%d runs, %d frames)", nruns, nframes);

	/* by the peer's window: 3.5 segments are 3, the half waits (SWS) */
	c = sender(50500, 64000, 100 * MSS);
	c->snd_wnd = 3500;
	c->max_sndwnd = 65535;
	tcp_output(c);
	CHECK(nruns == 1 && runs[0].len == 3 * MSS && nframes == 3,
	      "a window of 3.5 segments: a run of 3 (%d runs, %d frames)", nruns, nframes);

	/* the end of the stream: FIN on the run's last segment only */
	c = sender(5000, 64000, 100 * MSS);
	c->fin_queued = 1;
	tcp_output(c);
	CHECK(nruns == 1 && (runs[0].flags & TCPHDR_FIN) && nframes == 5 &&
	      !(frames[3].flags & (TCPHDR_FIN | TCPHDR_PSH)) &&
	      (frames[4].flags & TCPHDR_FIN) && (frames[4].flags & TCPHDR_PSH),
	      "FIN and PSH on the last segment only (%d frames)", nframes);

	/* paced: a run is one pacing quantum (rate >> 10: 5 segments) */
	c = sender(50500, 64000, 100 * MSS);
	c->pacing_rate = 5 * MSS * 1024;
	tcp_output(c);
	{
		bool short_runs = nruns >= 2 && runs[0].len == 5 * MSS;

		for (int i = 0; i < nruns; i++)
			short_runs &= runs[i].len <= 5 * MSS;
		CHECK(short_runs, "paced at 5 segments a ms: runs of 5 segments at most "
		      "(%d runs, the first %u bytes)", nruns, nruns ? runs[0].len : 0);
	}

	/* no GSO in the driver: segment by segment as ever */
	c = sender(50500, 0, 100 * MSS);
	tcp_output(c);
	CHECK(nruns == 0 && nframes == 51 && E->st->tx_gso == 0, "gso_max 0: 51 frames, no run");
}

/* A refused run goes segment by segment, as the kernel would have cut it. */
static void test_fallback(void)
{
	struct tcp_conn *c = sender(50500, 64000, 100 * MSS);
	int psh = 0, i;

	gso_err = -EAGAIN;
	tcp_output(c);
	for (i = 0; i < nframes; i++)
		psh += !!(frames[i].flags & TCPHDR_PSH);
	CHECK(nframes == 51 && frames[49].len == MSS && frames[49].seq == 1001 + 49 * MSS,
	      "51 frames through tx_buf: %d", nframes);
	CHECK(psh == 1 && (frames[50].flags & TCPHDR_PSH), "PSH on the last only");
	CHECK(!memcmp(got, payload, 50500), "every byte on the wire in order");
	CHECK_EQ(E->st->tx_gso_fallback, 1, "tx_gso_fallback");
	CHECK_EQ(E->st->tx_gso, 0, "tx_gso");
	CHECK_EQ(E->st->segs_out, 51, "segs_out");
	CHECK_EQ(c->snd_nxt, 1001 + 50500, "SND.NXT");
}

/* Both ends sending runs over a link that loses and reorders. */
static void test_sim(void)
{
	char why[256];

	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct sim_cfg cfg;
		struct sim_result r;

		memset(&cfg, 0, sizeof(cfg));
		cfg.seed = seed;
		cfg.bytes[0] = cfg.bytes[1] = 2 << 20;
		cfg.sack = cfg.ts = seed != 3;
		cfg.mss = 1460;
		cfg.sndbuf = cfg.rcvbuf = 1 << 20;
		cfg.limit_ns = 600 * 1000 * MS;
		cfg.cc = seed & 1 ? &tcp_cc_cubic : &tcp_cc_newreno;
		cfg.gso = true;
		for (int d = 0; d < 2; d++) {
			cfg.imp[d].delay_ns = 5 * MS;
			cfg.imp[d].loss = seed > 1 ? 10000 : 0;
			cfg.imp[d].reorder = seed > 4 ? 50000 : 0;
			cfg.imp[d].reorder_ns = 2 * MS;
			cfg.imp[d].rate_bps = 200000000;
			cfg.imp[d].queue_bytes = 200000;
		}
		CHECK(!sim_run(&cfg, &r, why, sizeof(why), false), "seed %llu: %s",
		      (unsigned long long)seed, why);
		CHECK(r.gso_runs > 100, "seed %llu: %llu runs sent",
		      (unsigned long long)seed, (unsigned long long)r.gso_runs);
		if (seed > 1)
			CHECK(r.retransmits > 0, "seed %llu: losses repaired (%llu retransmits)",
			      (unsigned long long)seed, (unsigned long long)r.retransmits);
	}
}

int main(void)
{
	fill_payload();
	test_wire_cut();
	test_runs();
	test_fallback();
	test_sim();
	tcp_engine_free(E);
	return check_done("unit/tcp_gso");
}
