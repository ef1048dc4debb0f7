// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * RACK-TLP (RFC 8985) on a bare connection block and the virtual clock:
 * a hole waits out the reordering window before it is lost (6.2), a
 * reordered segment sets RACK.reordering_seen, a lost retransmission is
 * found without the RTO, D-SACKs widen the window, and the tail loss probe
 * is armed at 2*SRTT and sends the last segment again (7.2, 7.3).
 */
#include <string.h>

#include "check.h"
#include "simnet.h"
#include "bare.h"

#define MS 1000000ULL
#define MSS 1000u

#define E bare_engine
static uint8_t txbuf[2048];
static int sent;

static __u8 *tx(void *ctx, __u32 *cap)
{
	(void)ctx;
	*cap = sizeof(txbuf);
	return txbuf;
}

static void tx_send(void *ctx, __u8 *buf, __u32 len)
{
	(void)ctx;
	(void)len;
	(void)buf;
	sent++;
}

/* An established connection with SACK and 20 segments of data queued. */
static struct tcp_conn *conn(void)
{
	static const struct tcp_io io = { .tx_buf = tx, .tx_send = tx_send };
	static uint8_t data[20 * MSS];
	struct tcp_conn *c = bare_conn(&tcp_cc_newreno, &io, 1000 * MS);

	c->sack_ok = 1;
	conn_set_state(c, TCPS_ESTABLISHED);
	conn_cc_start(c);
	c->cwnd = 100 * MSS;
	ring_write(&c->snd, data, sizeof(data));
	c->snd_end += sizeof(data);
	return c;
}

/* Segment i ([una + i*MSS, +MSS)) goes out at the engine's now. */
static void send_seg(struct tcp_conn *c, int i)
{
	uint32_t s = c->iss + 1 + (uint32_t)i * MSS;

	rack_sent(c, s, s + MSS);
	if (seq_gt(s + MSS, c->snd_max))
		c->snd_max = c->snd_nxt = s + MSS;
}

/* An ACK as rcv_ack takes it: RACK first, then SND.UNA and the
 * scoreboard, then loss detection. */
static void ack(struct tcp_conn *c, uint32_t ackno, int nsack, const uint32_t (*b)[2])
{
	struct tcp_seg s = { .flags = TCPHDR_ACK, .ack = ackno, .nsack = (uint8_t)nsack };
	bool news, dsack;

	if (nsack)
		memcpy(s.sack, b, (size_t)nsack * sizeof(b[0]));
	rack_input(c, &s);
	if (seq_gt(ackno, c->snd_una)) {
		ring_consume(&c->snd, ackno - c->snd_una);
		c->snd_una = ackno;
		sb_trim(c);
		recovery_ack(c, 0);
	}
	sack_input(c, &s, &news, &dsack);
	rack_detect(c);
}

static uint32_t seg(const struct tcp_conn *c, int i)
{
	return c->iss + 1 + (uint32_t)i * MSS;
}

/* RFC 8985 6.2: P1 lost, P2 SACKed one RTT later. The hole is sent
 * before P2 but waits RACK.rtt + reo_wnd (min_rtt/4) from its own send. */
static void test_reo_window(void)
{
	struct tcp_conn *c = conn();
	uint32_t b[1][2], q, n;

	send_seg(c, 0);
	E->now += 1 * MS;
	send_seg(c, 1);
	E->now += 1 * MS;
	send_seg(c, 2);
	E->now += 10 * MS;		/* t = 12 ms: P2 (sent at 1) SACKed */
	b[0][0] = seg(c, 1);
	b[0][1] = seg(c, 2);
	ack(c, c->snd_una, 1, b);
	CHECK_EQ(c->rack.rtt_us, 11000, "RACK.rtt from P2's send");
	CHECK_EQ(c->rack.reo_wnd_us, 2750, "reo_wnd = min_rtt / 4");
	CHECK(!c->in_recovery, "P1 is not lost yet");
	CHECK_EQ(c->rack.reo_at, 1000 * MS + 11 * MS + 2750000,
		 "reordering timer at P1's send + RACK.rtt + reo_wnd");
	CHECK(rack_arm(c) || 1, "armed");
	CHECK_EQ(c->timer_kind, TIMER_RACK, "the reordering timer is the main timer");
	E->now = c->rack.reo_at;
	rack_reo_fire(c);
	CHECK(c->in_recovery, "the window passed: recovery");
	CHECK(rack_next(c, &q, &n) && q == seg(c, 0) && n == MSS, "P1 is what is lost");
	CHECK_EQ(rack_pipe(c), MSS, "pipe: P3 alone is in flight");
}

/* The hole arrives within the window: reordering, not loss (6.2 step 3). */
static void test_reordering_seen(void)
{
	struct tcp_conn *c = conn();
	uint32_t b[1][2];

	for (int i = 0; i < 3; i++) {
		send_seg(c, i);
		E->now += 1 * MS;
	}
	E->now += 9 * MS;
	b[0][0] = seg(c, 1);
	b[0][1] = seg(c, 3);
	ack(c, c->snd_una, 1, b);
	CHECK(!c->in_recovery && c->rack.reo_at, "P2, P3 SACKed, P1 waits");
	E->now += 1 * MS;
	ack(c, seg(c, 3), 0, b);
	CHECK(c->rack.reo_seen, "P1 delivered below RACK.fack, never resent: reordering");
	CHECK(!c->in_recovery && !c->fast_rexmits, "no recovery, nothing resent");
	CHECK_EQ(c->rack.reo_at, 0, "nothing outstanding: no timer");
	/* with reordering seen, three SACKed segments no longer zero the window */
	for (int i = 3; i < 8; i++)
		send_seg(c, i);
	E->now += 10 * MS;
	b[0][0] = seg(c, 4);
	b[0][1] = seg(c, 8);
	ack(c, c->snd_una, 1, b);
	CHECK(c->rack.reo_wnd_us > 0 && !c->in_recovery,
	      "reo_wnd %u us with 4 segments SACKed", c->rack.reo_wnd_us);
}

/* Without reordering seen, DupThresh SACKed segments zero the window
 * (6.2 step 4): the hole is lost at once, as with RFC 6675. */
static void test_dupthresh_zero(void)
{
	struct tcp_conn *c = conn();
	uint32_t b[1][2];

	for (int i = 0; i < 5; i++)
		send_seg(c, i);
	E->now += 10 * MS;
	b[0][0] = seg(c, 1);
	b[0][1] = seg(c, 4);
	ack(c, c->snd_una, 1, b);
	CHECK_EQ(c->rack.reo_wnd_us, 0, "3 SACKed, no reordering: reo_wnd 0");
	CHECK(c->in_recovery && c->fast_rexmits == 1, "recovery at once");
}

/* A lost retransmission is found by RACK, not by the RTO (RFC 8985 3.3). */
static void test_lost_retransmission(void)
{
	struct tcp_conn *c = conn();
	uint32_t b[1][2], q, n;

	for (int i = 0; i < 5; i++)
		send_seg(c, i);
	E->now += 10 * MS;
	b[0][0] = seg(c, 1);
	b[0][1] = seg(c, 4);
	ack(c, c->snd_una, 1, b);
	CHECK(c->in_recovery, "recovery");
	E->now += 1 * MS;
	send_seg(c, 0);			/* the retransmission */
	CHECK(!rack_next(c, &q, &n), "P1 resent: not lost again yet");
	E->now += 1 * MS;
	send_seg(c, 5);			/* new data after it */
	E->now += 10 * MS;
	b[0][0] = seg(c, 1);
	b[0][1] = seg(c, 4);
	uint32_t b2[2][2] = { { seg(c, 5), seg(c, 6) }, { seg(c, 1), seg(c, 4) } };

	ack(c, c->snd_una, 2, (const uint32_t (*)[2])b2);
	CHECK(rack_next(c, &q, &n) && q == seg(c, 0),
	      "P1's retransmission lost: P6, sent after it, was delivered");
}

/* D-SACK: the window grows by min_rtt/4 once per round trip (6.2 step 4). */
static void test_dsack_widens(void)
{
	struct tcp_conn *c = conn();
	uint32_t b[1][2];
	uint32_t w;

	for (int i = 0; i < 3; i++) {
		send_seg(c, i);
		E->now += 1 * MS;
	}
	E->now += 9 * MS;
	ack(c, seg(c, 1), 0, b);
	c->rack.reo_seen = 1;
	b[0][0] = seg(c, 2);
	b[0][1] = seg(c, 3);
	ack(c, seg(c, 1), 1, b);
	w = c->rack.reo_wnd_us;
	b[0][0] = seg(c, 0);
	b[0][1] = seg(c, 1);		/* below the ACK: a D-SACK */
	ack(c, seg(c, 1), 1, b);
	CHECK_EQ(c->rack.reo_mult, 1, "one D-SACK: multiplier 2");
	CHECK_EQ(c->rack.reo_wnd_us, 2 * w, "the window doubled");
	ack(c, seg(c, 1), 1, b);
	CHECK_EQ(c->rack.reo_mult, 1, "a second D-SACK in the same round: no more");
}

/* RFC 8985 7.2, 7.3: the probe timeout, then the last segment again. */
static void test_tlp(void)
{
	struct tcp_conn *c = conn();

	c->srtt_us = 10000;
	c->rto_ms = 300;
	for (int i = 0; i < 4; i++)
		send_seg(c, i);
	c->snd_end = c->snd_max;	/* nothing new to send */
	CHECK(rack_arm(c) && c->timer_kind == TIMER_TLP, "PTO armed");
	CHECK_EQ(c->main_at, E->now + 20 * MS, "PTO = 2 * SRTT");
	E->now = c->main_at;
	sent = 0;
	tcp_output_tlp(c);
	CHECK(sent == 1 && c->rack.nrxr == 1 && c->rack.rxr[0][0] == seg(c, 3) &&
	      c->rack.rxr[0][1] == seg(c, 4) && c->rack.rxr_ns[0] == E->now,
	      "the probe is the last segment, sent again now");
	CHECK(c->rack.tlp_active && c->rack.tlp_rexmit, "a probe episode, a retransmission");
	CHECK_EQ(c->timer_kind, TIMER_RTO, "the RTO follows");
	CHECK(!rack_arm(c), "no second probe in the episode");
	/* the probe's ACK without a D-SACK: it repaired a tail loss */
	E->now += 10 * MS;
	ack(c, seg(c, 4), 0, NULL);
	CHECK(!c->rack.tlp_active && E->st->tlp_recoveries == 1 && c->cwnd < 100 * MSS,
	      "the loss is answered: cwnd %u", c->cwnd);
	/* a single segment in flight waits for a delayed ACK too */
	c = conn();
	c->srtt_us = 10000;
	c->rto_ms = 1000;
	send_seg(c, 0);
	CHECK(rack_arm(c) && c->main_at == E->now + 20 * MS + 200 * MS,
	      "PTO = 2 * SRTT + WCDelAckT for one segment");
}

/* The simulated link: 10% of segments late by 3 ms on a 10 ms round trip
 * (the reordering path), 4 MB each way over 10 seeds. RACK keeps
 * needless retransmissions under 1% of the segments. */
static void test_sim_reordering(void)
{
	uint64_t rexmit = 0, segs = 0;
	char why[256];

	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct sim_cfg cfg;
		struct sim_result r;

		memset(&cfg, 0, sizeof(cfg));
		cfg.seed = seed;
		cfg.bytes[0] = cfg.bytes[1] = 4 << 20;
		cfg.sack = cfg.ts = true;
		cfg.mss = 1460;
		cfg.sndbuf = cfg.rcvbuf = 1 << 20;
		cfg.limit_ns = 600 * 1000 * MS;
		cfg.cc = &tcp_cc_cubic;
		for (int d = 0; d < 2; d++) {
			cfg.imp[d].delay_ns = 5 * MS;
			cfg.imp[d].reorder = 100000;
			cfg.imp[d].reorder_ns = 3 * MS;
		}
		CHECK(!sim_run(&cfg, &r, why, sizeof(why), false), "seed %llu: %s",
		      (unsigned long long)seed, why);
		rexmit += r.retransmits;
		segs += 2 * (4 << 20) / 1448;
	}
	printf("  10%% reordering: %llu retransmits for %llu segments (%.2f%%)\n",
	       (unsigned long long)rexmit, (unsigned long long)segs, 100.0 * rexmit / segs);
	CHECK(rexmit * 100 < segs, "spurious retransmissions under 1%% of segments");
}

int main(void)
{
	test_reo_window();
	test_reordering_seen();
	test_dupthresh_zero();
	test_lost_retransmission();
	test_dsack_widens();
	test_tlp();
	test_sim_reordering();
	tcp_engine_free(E);
	return check_done("unit/tcp_rack");
}
