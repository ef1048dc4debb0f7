// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BBR (draft-ietf-ccwg-bbr-04) on a bare connection block and a virtual
 * clock: the hooks are called directly with synthetic delivery-rate
 * samples, one packet-timed round per call of round_trip. Traces: Startup
 * to Drain on a three-round plateau, Drain to ProbeBW once inflight is
 * under the BDP, the ProbeBW cycle DOWN, CRUISE, REFILL, UP and back with
 * its gains, the max_bw filter forgetting after two cycles, ProbeRTT after
 * 5 s without a lower RTT and out after 200 ms and a round, pacing rate
 * and cwnd from the model, the loss responses (inflight_longterm while
 * probing, the short-term model in CRUISE, Startup's high-loss exit),
 * recovery's packet conservation and restore, timeouts, undo and restart
 * from idle.
 */
#include <string.h>

#include "check.h"
#include "bare.h"
#include "simnet.h"

#define US 1000ULL
#define MS 1000000ULL
#define SEC 1000000000ULL
#define MSS 1000u
#define ACKED 2000u		/* every ACK covers two segments */
#define RTT 20000u		/* microseconds */

#define E bare_engine

static const char *mode(const struct tcp_conn *c)
{
	struct tcp_conn_info i;

	tcp_conn_get_info(c, &i);
	return i.bbr_mode ? i.bbr_mode : "(none)";
}

#define CHECK_MODE(c, want, what)					\
	CHECK(!strcmp(mode(c), want), "%s: mode %s, want %s", what, mode(c), want)

static struct bbr_state *B(struct tcp_conn *c)
{
	return &c->ccs.bbr;
}

/* Bytes in flight, as the engine's pipe will count them (no SACK). */
static void set_inflight(struct tcp_conn *c, uint32_t inflight)
{
	c->snd_max = c->snd_nxt = c->snd_una + inflight;
}

/* A path: what the samples of a round say. */
struct path {
	uint64_t rate;		/* bytes/s delivered */
	uint32_t rtt_us;
	uint32_t inflight;	/* after each ACK */
	uint32_t lost;		/* bytes marked lost in the round, */
	uint32_t loss_events;	/* over this many ACKs */
	bool app_limited;
};

/* One ACK of ACKED bytes: the packet it covers was sent when
 * C.delivered was prior (the ACK before it ended the last round). */
static void ack1(struct tcp_conn *c, const struct path *p, uint64_t prior,
		 uint64_t gap_ns, uint32_t lost)
{
	struct tcp_rate_sample rs = { 0 };
	uint64_t per_round = p->rate * p->rtt_us / 1000000;

	E->now += gap_ns;
	c->delivered += ACKED;
	c->delivered_ns = E->now;
	rs.prior_delivered = prior;
	rs.delivered = per_round;	/* a round's worth over an RTT: rate */
	rs.interval_us = p->rtt_us;
	rs.rtt_us = p->rtt_us;
	rs.newly_acked = ACKED;
	rs.newly_lost = lost;
	rs.prior_in_flight = p->inflight + ACKED + lost;
	rs.is_app_limited = p->app_limited;
	set_inflight(c, p->inflight);
	c->cc->cong_control(c, &rs);
}

/* One packet-timed round: a round's worth of ACKs over rtt_us, every one
 * for data sent after the round before ended; losses spread evenly, the
 * first half a step in. */
static void round_trip(struct tcp_conn *c, const struct path *p)
{
	uint64_t d0 = c->delivered, per_round = p->rate * p->rtt_us / 1000000;
	uint32_t n = (uint32_t)(per_round / ACKED), left = p->lost;

	if (!n)
		n = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t lost = 0;

		uint32_t step = p->loss_events && n / p->loss_events ? n / p->loss_events : 1;

		if (p->loss_events && i % step == step / 2 && left) {
			lost = p->lost / p->loss_events;
			if (lost > left)
				lost = left;
			left -= lost;
		}
		ack1(c, p, d0, p->rtt_us * US / n, lost);
	}
}

/* A fresh BBR connection, Startup, the clock at 1000 s. */
static struct tcp_conn *conn(void)
{
	struct tcp_conn *c = bare_conn(&tcp_cc_bbr, NULL, 1000 * SEC);

	c->snd_end = 0;
	conn_cc_start(c);
	return c;
}

/* Startup at 10, 20, 40 MB/s, then flat at 40 MB/s until Drain; 20 ms. */
static struct tcp_conn *to_drain(void)
{
	struct tcp_conn *c = conn();
	struct path p = { .rtt_us = RTT, .inflight = 1600000 };

	for (uint64_t r = 10000000; r <= 40000000; r *= 2) {
		p.rate = r;
		round_trip(c, &p);
	}
	for (int k = 0; k < 3; k++)
		round_trip(c, &p);
	return c;
}

/* ... and on into ProbeBW_CRUISE: inflight under the BDP (800 KB). */
static struct tcp_conn *to_cruise(void)
{
	struct tcp_conn *c = to_drain();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };

	round_trip(c, &p);
	return c;
}

/* Rounds of p until the mode changes; how many. */
static int rounds_in(struct tcp_conn *c, const struct path *p, const char *m, int max)
{
	int n = 0;

	while (!strcmp(mode(c), m) && n < max) {
		round_trip(c, p);
		n++;
	}
	return n;
}

static void test_bbr_table(void)
{
	CHECK(tcp_cc_find("bbr") == &tcp_cc_bbr, "--cc bbr finds BBR");
	CHECK(strstr(tcp_cc_names(), "bbr") != NULL, "listed: %s", tcp_cc_names());
	CHECK(tcp_cc_bbr.cong_control && tcp_cc_bbr.event, "model-based hooks");
}

/* 5.2.1, 5.6.2 BBRInitPacingRate: 2.77 * IW / 1 ms with no RTT yet. */
static void test_bbr_init(void)
{
	struct tcp_conn *c = conn();
	struct tcp_conn_info i;

	CHECK_MODE(c, "Startup", "a new connection");
	CHECK_EQ(B(c)->pacing_gain, 277, "Startup pacing gain 2.77");
	CHECK_EQ(B(c)->cwnd_gain, 200, "Startup cwnd gain 2");
	CHECK_EQ(c->cwnd, 10 * MSS, "the initial window");
	CHECK_EQ(c->pacing_rate, 10000ULL * 1000 * 277 / 100, "2.77 * IW / 1 ms");
	tcp_conn_get_info(c, &i);
	CHECK_EQ(i.bbr_inflight_hi, UINT32_MAX, "no inflight_longterm yet");
	CHECK_EQ(i.bbr_min_rtt_us, 0, "no min_rtt yet");
}

/* 5.3.1.2: Startup grows on every round of 25% more, ends after three
 * rounds without; pacing = 2.77 * max_bw * 0.99, never down in Startup. */
static void test_bbr_startup_plateau_to_drain(void)
{
	struct tcp_conn *c = conn();
	struct path p = { .rtt_us = RTT, .inflight = 1600000 };

	p.rate = 10000000;
	round_trip(c, &p);
	CHECK_EQ(B(c)->min_rtt_us, RTT, "min_rtt from the samples");
	CHECK_EQ(c->pacing_rate, 10000ULL * 1000 * 277 / 100,
		 "10 MB/s * 2.77 is below the initial rate: kept");
	p.rate = 20000000;
	round_trip(c, &p);
	p.rate = 40000000;
	round_trip(c, &p);
	CHECK_EQ(c->pacing_rate, 40000000ULL * 277 / 100 * 99 / 100,
		 "pacing = 2.77 * max_bw, 1%% under");
	CHECK_MODE(c, "Startup", "bandwidth doubling");
	round_trip(c, &p);
	round_trip(c, &p);
	CHECK_MODE(c, "Startup", "two flat rounds");
	CHECK(!B(c)->full_bw_reached, "not full after two flat rounds");
	round_trip(c, &p);
	CHECK_MODE(c, "Drain", "three flat rounds");
	CHECK(B(c)->full_bw_reached, "the pipe is full");
	CHECK_EQ(B(c)->pacing_gain, 35, "Drain pacing gain 0.35");
	/* the next ACK sets the rate from the Drain gain */
	round_trip(c, &p);
	CHECK_MODE(c, "Drain", "inflight 1.6 MB above the 800 KB BDP");
	CHECK_EQ(c->pacing_rate, 40000000ULL * 35 / 100 * 99 / 100,
		 "pacing = 0.35 * bw in Drain, down too");
}

/* Growth under 25% of the baseline is a plateau: 40, 42, 44.1, 46.3. */
static void test_bbr_startup_slow_growth(void)
{
	struct tcp_conn *c = conn();
	struct path p = { .rtt_us = RTT, .inflight = 1600000, .rate = 40000000 };

	round_trip(c, &p);
	for (int k = 0; k < 3; k++) {
		p.rate = p.rate * 105 / 100;
		round_trip(c, &p);
	}
	CHECK_MODE(c, "Drain", "three rounds of 5% growth");
	CHECK_EQ(B(c)->max_bw[0] > B(c)->max_bw[1] ? B(c)->max_bw[0] : B(c)->max_bw[1],
		 p.rate, "max_bw is the highest sample");
}

/* Application-limited rounds do not count toward a plateau. */
static void test_bbr_startup_app_limited(void)
{
	struct tcp_conn *c = conn();
	struct path p = { .rtt_us = RTT, .inflight = 100000, .rate = 10000000 };

	round_trip(c, &p);
	p.app_limited = true;
	for (int k = 0; k < 6; k++)
		round_trip(c, &p);
	CHECK_MODE(c, "Startup", "six app-limited rounds");
}

/* 5.3.2: Drain ends when inflight is at most the BDP; ProbeBW begins. */
static void test_bbr_drain_to_probe_bw(void)
{
	struct tcp_conn *c = to_drain();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 900000 };

	round_trip(c, &p);
	CHECK_MODE(c, "Drain", "900 KB in flight, BDP 800 KB");
	p.inflight = 800000;
	ack1(c, &p, 0, 10 * US, 0);
	CHECK(!strncmp(mode(c), "ProbeBW_", 8), "inflight = BDP: ProbeBW (%s)", mode(c));
	CHECK_EQ(B(c)->cwnd_gain, 200, "ProbeBW cwnd gain 2");
}

/* 5.3.3: DOWN -> CRUISE -> REFILL (Reno bound: 62-63 rounds here) ->
 * UP after a round -> DOWN after three flat rounds -> CRUISE once inflight
 * is under the BDP; the gains of each; the cycle advances the filter. */
static void test_bbr_probe_bw_cycle(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };
	uint64_t bw = 40000000;
	int n, cycle;

	CHECK_MODE(c, "ProbeBW_CRUISE", "inflight under the BDP");
	CHECK_EQ(B(c)->pacing_gain, 100, "CRUISE pacing gain 1");
	round_trip(c, &p);
	CHECK_EQ(c->pacing_rate, bw * 99 / 100, "CRUISE paces at bw, 1%% under");
	n = rounds_in(c, &p, "ProbeBW_CRUISE", 200);
	CHECK(n >= 61 && n <= 63, "REFILL after %d rounds (min(BDP in segments, 63), "
	      "less the random 0-1)", n);
	CHECK_MODE(c, "ProbeBW_REFILL", "time to probe");
	CHECK_EQ(B(c)->pacing_gain, 100, "REFILL pacing gain 1");
	CHECK_EQ(B(c)->bw_shortterm, UINT64_MAX, "REFILL resets the short-term model");
	round_trip(c, &p);
	CHECK_MODE(c, "ProbeBW_UP", "one round of REFILL");
	CHECK_EQ(B(c)->pacing_gain, 125, "UP pacing gain 1.25");
	CHECK_EQ(B(c)->cwnd_gain, 225, "UP cwnd gain 2.25");
	CHECK_EQ(c->pacing_rate, bw * 125 / 100 * 99 / 100, "UP paces at 1.25 bw");
	CHECK_EQ(ST(E, bbr_bw_probes), 1, "one bandwidth probe counted");
	cycle = B(c)->cycle_count;
	p.inflight = 1000000;	/* 1.25 bw fills the queue */
	n = rounds_in(c, &p, "ProbeBW_UP", 20);
	CHECK_EQ(n, 3, "UP ends after three rounds without growth");
	CHECK_MODE(c, "ProbeBW_DOWN", "bandwidth saturated");
	CHECK_EQ(B(c)->pacing_gain, 90, "DOWN pacing gain 0.9");
	round_trip(c, &p);
	CHECK_MODE(c, "ProbeBW_DOWN", "1 MB in flight over the 800 KB BDP");
	CHECK_EQ(c->pacing_rate, bw * 90 / 100 * 99 / 100, "DOWN paces at 0.9 bw");
	CHECK(B(c)->cycle_count != cycle, "a round into DOWN: the filter advanced");
	p.inflight = 700000;
	round_trip(c, &p);
	CHECK_MODE(c, "ProbeBW_CRUISE", "drained");
}

/* 5.5.3: a high sample stays in max_bw for its cycle and the next, then
 * goes. */
static void test_bbr_max_bw_filter(void)
{
	struct tcp_conn *c = to_cruise();
	struct bbr_state *b = B(c);

	/* three cycles, each DOWN entry a round later advancing the filter */
	for (int k = 0; k < 3; k++) {
		if (k == 0)
			b->max_bw[b->cycle_count] = 50000000;	/* a probe's sample */
		if (k == 1)
			CHECK(b->max_bw[0] == 50000000 || b->max_bw[1] == 50000000,
			      "the previous cycle's 50 MB/s kept");
		b->ack_phase = 4;	/* ACKS_PROBE_STOPPING, as DOWN sets it */
		round_trip(c, &(struct path){ .rate = 30000000, .rtt_us = RTT,
					      .inflight = 500000 });
	}
	CHECK_EQ(b->max_bw[0] > b->max_bw[1] ? b->max_bw[0] : b->max_bw[1], 30000000,
		 "two cycles on: 50 MB/s forgotten, 30 MB/s it is");
}

/* 5.3.4: ProbeRTT 5 s after the last lower RTT sample, cwnd to half the
 * BDP; left after inflight got there, 200 ms and a round, to CRUISE with
 * cwnd restored; min_rtt itself expires after 10 s. */
static void test_bbr_probe_rtt(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };
	uint64_t since = B(c)->probe_rtt_min_stamp, t;
	uint32_t before;

	/* the same RTT is not lower: the stamp stays */
	while (E->now + 25 * MS < since + 5 * SEC && !strncmp(mode(c), "ProbeBW_", 8))
		round_trip(c, &p);
	CHECK(!strncmp(mode(c), "ProbeBW_", 8), "ProbeBW until 5 s (%s at %.3f s)",
	      mode(c), (double)(E->now - since) / SEC);
	before = c->cwnd;
	p.inflight = 700000;
	while (strcmp(mode(c), "ProbeRTT") && E->now < since + 6 * SEC)
		ack1(c, &p, 0, 1 * MS, 0);
	CHECK_MODE(c, "ProbeRTT", "5 s without a lower RTT");
	CHECK(E->now > since + 5 * SEC && E->now <= since + 5 * SEC + 1 * MS,
	      "entered at %.3f s", (double)(E->now - since) / SEC);
	CHECK_EQ(ST(E, bbr_probe_rtts), 1, "counted");
	CHECK_EQ(B(c)->cwnd_gain, 50, "ProbeRTT cwnd gain 0.5");
	CHECK_EQ(B(c)->pacing_gain, 100, "ProbeRTT pacing gain 1");
	CHECK(c->cwnd <= 400000, "cwnd %u at most half the BDP", c->cwnd);
	CHECK(B(c)->prior_cwnd >= before - 2 * ACKED, "the cwnd of before saved (%u, %u)",
	      B(c)->prior_cwnd, before);
	/* inflight comes down to 400 KB: the 200 ms start */
	p.inflight = 400000;
	round_trip(c, &p);
	t = B(c)->probe_rtt_done_stamp;
	CHECK(t, "200 ms timer armed once inflight <= 0.5 BDP");
	while (E->now + 25 * MS < t) {
		round_trip(c, &p);
		CHECK_MODE(c, "ProbeRTT", "before 200 ms");
	}
	while (!strcmp(mode(c), "ProbeRTT") && E->now < t + SEC)
		round_trip(c, &p);
	CHECK_MODE(c, "ProbeBW_CRUISE", "after 200 ms and a round, pipe full: CRUISE");
	CHECK(E->now > t && E->now <= t + 2 * RTT * US, "left at %.3f ms past the 200",
	      (double)(E->now - t) / MS);
	CHECK(c->cwnd > 400000, "cwnd restored (%u)", c->cwnd);
	CHECK(B(c)->probe_rtt_min_stamp > since + 5 * SEC, "the next ProbeRTT 5 s on");
	/* min_rtt: a higher RTT replaces it only once it is 10 s old */
	p.rtt_us = 30000;
	p.inflight = 700000;
	while (E->now < B(c)->min_rtt_stamp + 9 * SEC)
		round_trip(c, &p);
	CHECK_EQ(B(c)->min_rtt_us, RTT, "min_rtt kept within 10 s");
	while (E->now < B(c)->min_rtt_stamp + 11 * SEC && B(c)->min_rtt_us == RTT)
		round_trip(c, &p);
	CHECK_EQ(B(c)->min_rtt_us, 30000, "a 10 s old min_rtt gives way");
}

/* An RTT sample under RACK's per-segment minimum is not the path's. */
static void test_bbr_min_rtt_floor(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = 15000, .inflight = 700000 };

	c->rack.min_rtt_us = 19000;
	round_trip(c, &p);
	CHECK_EQ(B(c)->min_rtt_us, 19000, "15 ms sample, RACK's minimum 19 ms");
	c->rack.min_rtt_us = 0;		/* no RACK (no SACK): taken as it is */
	round_trip(c, &p);
	CHECK_EQ(B(c)->min_rtt_us, 15000, "without RACK's minimum");
}

/* ProbeRTT waits for a round, not only 200 ms: a 300 ms RTT. */
static void test_bbr_probe_rtt_waits_a_round(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 300000 };
	uint64_t prior;

	B(c)->probe_rtt_min_stamp = E->now - 6 * SEC;	/* expired */
	ack1(c, &p, 0, 10 * US, 0);
	CHECK_MODE(c, "ProbeRTT", "expired");
	CHECK(B(c)->probe_rtt_done_stamp, "inflight low: timer armed");
	prior = c->delivered;	/* data sent now ends the round */
	for (int k = 0; k < 30; k++)
		ack1(c, &p, prior - 1, 10 * MS, 0);	/* 300 ms, same round */
	CHECK_MODE(c, "ProbeRTT", "300 ms but no round yet");
	ack1(c, &p, prior, 10 * MS, 0);	/* the round ends */
	ack1(c, &p, prior, 1 * MS, 0);
	CHECK_MODE(c, "ProbeBW_CRUISE", "200 ms and a round");
}

/* 5.6.4.2: cwnd = cwnd_gain * BDP (+ extra_acked, the quantization
 * budget), reached by growing on ACKs; pacing = gain * bw in CRUISE. */
static void test_bbr_cwnd_from_bdp(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };
	struct bbr_state *b = B(c);
	uint32_t extra, want;

	for (int k = 0; k < 4; k++)
		round_trip(c, &p);
	extra = b->extra_acked[0] > b->extra_acked[1] ? b->extra_acked[0] : b->extra_acked[1];
	want = 2 * 800000 + extra;
	CHECK_EQ(c->cwnd, want, "cwnd = 2 * BDP + extra_acked");
	CHECK(extra <= 2 * ACKED, "evenly spaced ACKs: little aggregation (%u)", extra);
	CHECK_EQ(c->pacing_rate, 40000000ULL * 99 / 100, "pacing = bw");
	/* half the bandwidth, for two cycles: both follow */
	p.rate = 20000000;
	for (int k = 0; k < 2; k++) {
		b->ack_phase = 4;
		round_trip(c, &p);
	}
	round_trip(c, &p);
	CHECK_EQ(c->pacing_rate, 20000000ULL * 99 / 100, "pacing follows bw down");
	CHECK(c->cwnd <= 2 * 400000 + 3 * ACKED + 2 * MSS, "cwnd down to 2 * the new BDP (%u)",
	      c->cwnd);
	CHECK(c->cwnd >= 4 * MSS, "at least 4 segments");
}

/* cwnd never under 4 segments: a BDP of 4 KB leaves the offload budget
 * (3 quanta of 2 segments), a short-term bound of 1 KB leaves 4. */
static void test_bbr_min_cwnd(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 4000000, .rtt_us = 1000, .inflight = 1000 };

	B(c)->max_bw[0] = B(c)->max_bw[1] = 0;
	B(c)->min_rtt_us = B(c)->probe_rtt_min_us = 1000;
	for (int k = 0; k < 30; k++)
		round_trip(c, &p);
	CHECK(c->cwnd >= 6 * MSS && c->cwnd <= 8 * MSS + 2 * ACKED,
	      "cwnd %u: 2 * 4 KB, 3 quanta, an ACK's aggregation", c->cwnd);
	B(c)->inflight_shortterm = 1000;
	round_trip(c, &p);
	CHECK_EQ(c->cwnd, 4 * MSS, "BBR.MinPipeCwnd under a 1 KB bound");
}

/* Into ProbeBW_UP: REFILL brought on by the wall clock. */
static struct tcp_conn *to_up(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };

	B(c)->cycle_stamp = E->now - 4 * SEC;	/* time to probe */
	round_trip(c, &p);
	round_trip(c, &p);
	return c;
}

/* 5.5.10.2: loss over 2% of what was in flight, in a round of probing,
 * sets inflight_longterm and ends UP; cwnd is bounded by it. */
static void test_bbr_loss_while_probing(void)
{
	struct tcp_conn *c = to_up();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 1000000 };

	CHECK_MODE(c, "ProbeBW_UP", "probing");
	CHECK(B(c)->bw_probe_samples, "its samples are the probe's");
	/* 0.1% lost: tolerated */
	p.lost = 1000;
	p.loss_events = 1;
	round_trip(c, &p);
	CHECK_MODE(c, "ProbeBW_UP", "0.1% lost: still probing");
	CHECK_EQ(B(c)->inflight_longterm, UINT32_MAX, "no bound yet");
	/* 3% lost */
	p.lost = 30000;
	p.loss_events = 10;
	round_trip(c, &p);
	CHECK_MODE(c, "ProbeBW_DOWN", "3% lost: the probe ends");
	CHECK(B(c)->inflight_longterm >= 1000000 && B(c)->inflight_longterm <= 1010000,
	      "inflight_longterm = what was in flight (%u)", B(c)->inflight_longterm);
	CHECK_EQ(ST(E, bbr_inflight_cuts), 1, "counted once");
	CHECK(c->cwnd <= B(c)->inflight_longterm, "cwnd %u bounded by it", c->cwnd);
	/* CRUISE keeps 15% headroom under it */
	p.lost = p.loss_events = 0;
	p.inflight = 600000;
	round_trip(c, &p);
	round_trip(c, &p);
	CHECK_MODE(c, "ProbeBW_CRUISE", "drained");
	CHECK(c->cwnd <= (uint64_t)B(c)->inflight_longterm * 85 / 100 + 1,
	      "CRUISE: cwnd %u under 0.85 * inflight_longterm %u", c->cwnd,
	      B(c)->inflight_longterm);
}

/* 5.5.10.3: not probing, each loss round of congestion pulls the
 * short-term model toward the latest delivery, by Beta (0.7) at most. A
 * loss round runs from the round before the first loss to the round
 * after it. */
static void test_bbr_loss_in_cruise(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };
	uint32_t in[5];
	uint64_t bw[5];

	round_trip(c, &p);
	p.rate = 20000000;		/* the path halved, a queue, drops */
	p.rtt_us = 30000;
	p.lost = 20000;			/* 3.3% of 600 KB a round */
	p.loss_events = 5;
	for (int k = 0; k < 5; k++) {
		round_trip(c, &p);
		bw[k] = B(c)->bw_shortterm;
		in[k] = B(c)->inflight_shortterm;
		CHECK(c->cwnd <= in[k], "round %d: cwnd %u bounded by %u", k, c->cwnd, in[k]);
	}
	CHECK_MODE(c, "ProbeBW_CRUISE", "CRUISE does not leave on loss");
	CHECK_EQ(B(c)->inflight_longterm, UINT32_MAX, "no long-term bound from CRUISE");
	CHECK_EQ(bw[0], UINT64_MAX, "first lossy round: not yet over");
	CHECK_EQ(bw[1], 28000000, "0.7 max_bw: the latest 20 MB/s is below");
	CHECK_EQ(bw[2], 20000000, "then the latest rate, above 0.7 * 28");
	CHECK_EQ(c->pacing_rate, 20000000ULL * 99 / 100, "pacing follows bw_shortterm");
	CHECK_EQ(in[2], (uint32_t)((uint64_t)in[1] * 70 / 100), "inflight down by 0.7 a round");
	CHECK_EQ(in[4], 600000, "down to the latest delivered volume");
	/* clean rounds: the bounds hold until REFILL resets them */
	p.lost = p.loss_events = 0;
	round_trip(c, &p);
	round_trip(c, &p);
	CHECK_EQ(B(c)->bw_shortterm, 20000000, "no loss: held");
}

/* Deviation: random loss on an empty queue, or a single lost segment,
 * leaves the short-term model alone; the same loss with a queue does
 * not (test_bbr_loss_in_cruise). */
static void test_bbr_random_loss_in_cruise(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000,
			  .lost = 24000, .loss_events = 8 };	/* 3% */

	for (int k = 0; k < 4; k++)
		round_trip(c, &p);
	CHECK_EQ(B(c)->bw_shortterm, UINT64_MAX, "3%% lost, no queue: bw kept");
	CHECK_EQ(B(c)->inflight_shortterm, UINT32_MAX, "and inflight");
	CHECK_EQ(c->pacing_rate, 40000000ULL * 99 / 100, "pacing at bw");
	p.lost = p.loss_events = 0;	/* two clean rounds end the loss round */
	round_trip(c, &p);
	round_trip(c, &p);
	p.rtt_us = 30000;	/* with a queue: congestion */
	p.lost = MSS;		/* but one segment a round */
	p.loss_events = 1;
	p.rate = 1000000;	/* 30 KB a round: 3.3% */
	for (int k = 0; k < 4; k++)
		round_trip(c, &p);
	CHECK_EQ(B(c)->bw_shortterm, UINT64_MAX, "one segment a round: kept");
	p.lost = 2 * MSS;
	p.loss_events = 2;
	for (int k = 0; k < 3; k++)
		round_trip(c, &p);
	CHECK(B(c)->bw_shortterm < 40000000, "two segments, 6.7%%, a queue: cut (%llu)",
	      (unsigned long long)B(c)->bw_shortterm);
}

/* Deviation: one lost segment is over 2% of a 40 KB flight, but does not
 * end a bandwidth probe; two do. */
static void test_bbr_probe_one_loss(void)
{
	for (int segs = 1; segs <= 2; segs++) {
		struct tcp_conn *c = to_up();
		struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 40000,
				  .lost = segs * MSS, .loss_events = (uint32_t)segs };

		round_trip(c, &p);
		if (segs == 1) {
			CHECK_MODE(c, "ProbeBW_UP", "one segment lost: still probing");
			CHECK_EQ(B(c)->inflight_longterm, UINT32_MAX, "no bound");
		} else {
			CHECK(strcmp(mode(c), "ProbeBW_UP"), "two lost: the probe ends (%s)",
			      mode(c));
			CHECK(B(c)->inflight_longterm != UINT32_MAX, "bound set (%u)",
			      B(c)->inflight_longterm);
		}
	}
}

/* 5.3.1.3: Startup leaves on loss: a full round in recovery with more
 * than 2% lost in six or more pieces; five are not enough. */
static void test_bbr_startup_high_loss(void)
{
	for (int events = 5; events <= 6; events++) {
		struct tcp_conn *c = conn();
		struct path p = { .rtt_us = RTT, .inflight = 1600000 };
		uint64_t r = 2000000;

		for (int k = 0; k < 3; k++, r *= 2) {
			p.rate = r;
			round_trip(c, &p);
		}
		CHECK_EQ(c->cc->loss(c), c->cwnd, "loss(): ssthresh is the cwnd of now");
		c->cc->event(c, CC_EV_RECOVERY);
		p.rate = r;
		p.lost = 12000;		/* of 16 MB/s * 20 ms = 320 KB: 3.6% */
		p.loss_events = (uint32_t)events;
		round_trip(c, &p);
		p.rate = r * 2;
		p.lost = p.loss_events = 0;
		round_trip(c, &p);
		if (events < 6) {
			CHECK_MODE(c, "Startup", "five lost pieces: Startup goes on");
			continue;
		}
		CHECK_MODE(c, "Drain", "six lost pieces over 2%: Drain");
		CHECK(B(c)->inflight_longterm != UINT32_MAX,
		      "inflight_longterm set (%u)", B(c)->inflight_longterm);
		CHECK_EQ(ST(E, bbr_inflight_cuts), 1, "counted");
	}
}

/* Fast recovery: loss() keeps cwnd; one round of packet conservation
 * (cwnd = inflight + delivered, lost bytes off); the end gives back the
 * cwnd of before, which the model then bounds. */
static void test_bbr_recovery(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };
	uint32_t before, ss;
	uint64_t prior;

	for (int k = 0; k < 3; k++)
		round_trip(c, &p);
	before = c->cwnd;
	ss = c->cc->loss(c);
	CHECK_EQ(ss, before, "ssthresh = the saved cwnd");
	CHECK_EQ(c->cwnd, before, "no multiplicative decrease");
	c->in_recovery = 1;
	c->cc->event(c, CC_EV_RECOVERY);
	CHECK_EQ(c->cwnd, 700000 + MSS, "conservation: inflight + 1 segment");
	prior = c->delivered - 1;	/* sent before the recovery began */
	p.inflight = 697000;	/* 2000 delivered, 1000 lost */
	ack1(c, &p, prior, 10 * US, 1000);
	CHECK_EQ(c->cwnd, 700000, "the lost bytes off cwnd, no growth");
	p.inflight = 699000;	/* 4000 sent since */
	ack1(c, &p, prior, 10 * US, 0);
	CHECK_EQ(c->cwnd, 701000, "conservation: one out per one delivered");
	c->in_recovery = 0;
	c->cc->event(c, CC_EV_RECOVERED);
	CHECK_EQ(c->cwnd, before, "recovered: the cwnd of before");
	/* a longer one: after a round, cwnd grows on ACKs again */
	c->cc->loss(c);
	c->in_recovery = 1;
	c->cc->event(c, CC_EV_RECOVERY);
	round_trip(c, &p);	/* the recovery's first round ends */
	round_trip(c, &p);
	CHECK(c->cwnd > 701000 + 2 * ACKED, "after a round, cwnd grows again (%u)", c->cwnd);
}

/* A timeout: cwnd = inflight + 1 segment; back when SND.UNA passes what
 * had been sent. */
static void test_bbr_rto(void)
{
	struct tcp_conn *c = to_cruise();
	struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 700000 };
	uint32_t before;

	round_trip(c, &p);
	before = c->cwnd;
	c->cc->loss(c);
	c->cwnd = MSS;		/* what the engine does */
	p.inflight = 4000;	/* (no SACK here: the pipe counts all but 4 KB as lost) */
	set_inflight(c, p.inflight);
	c->cc->event(c, CC_EV_RTO);
	CHECK_EQ(c->cwnd, 4000 + MSS, "RTO: inflight + 1 segment");
	ack1(c, &p, c->delivered - 1, 100 * US, 0);
	CHECK(c->cwnd < before, "still recovering (%u)", c->cwnd);
	c->snd_una = c->snd_max;	/* the timeout's data acknowledged */
	p.inflight = 0;
	ack1(c, &p, c->delivered - 1, 100 * US, 0);
	CHECK(c->cwnd >= before, "the cwnd of before the timeout (%u, %u)", c->cwnd, before);
}

/* An undo: the short-term model learnt from the losses goes. */
static void test_bbr_undo(void)
{
	struct tcp_conn *c = to_cruise();

	B(c)->bw_shortterm = 1000;
	B(c)->inflight_shortterm = 5000;
	c->cc->event(c, CC_EV_UNDO);
	CHECK_EQ(B(c)->bw_shortterm, UINT64_MAX, "bw_shortterm reset");
	CHECK_EQ(B(c)->inflight_shortterm, UINT32_MAX, "inflight_shortterm reset");
}

/* 5.4.1: sending after idle paces at bw in ProbeBW, and an expired
 * min_rtt is refreshed from the first sample instead of a ProbeRTT. */
static void test_bbr_idle_restart(void)
{
	for (int ev = 0; ev < 2; ev++) {
		struct tcp_conn *c = to_up();
		struct path p = { .rate = 40000000, .rtt_us = RTT, .inflight = 100000 };

		CHECK_MODE(c, "ProbeBW_UP", "probing");
		E->now += 6 * SEC;	/* idle */
		if (ev) {
			c->cc->event(c, CC_EV_TX_START);
			CHECK_EQ(c->pacing_rate, 40000000ULL * 99 / 100,
				 "restart: pacing at bw, not 1.25 bw");
		}
		ack1(c, &p, c->delivered, 10 * US, 0);
		if (ev)
			CHECK(strcmp(mode(c), "ProbeRTT"), "idle drained the queue: no ProbeRTT");
		else
			CHECK_MODE(c, "ProbeRTT", "6 s without an idle restart: ProbeRTT");
	}
}

/* What stats --conns shows. */
static void test_bbr_info(void)
{
	struct tcp_conn *c = to_cruise();
	struct tcp_conn_info i;

	tcp_conn_get_info(c, &i);
	CHECK(!strcmp(i.cc, "bbr"), "cc %s", i.cc);
	CHECK(!strcmp(i.bbr_mode, "ProbeBW_CRUISE"), "mode %s", i.bbr_mode);
	CHECK_EQ(i.bbr_bw, 40000000, "max_bw");
	CHECK_EQ(i.bbr_min_rtt_us, RTT, "min_rtt");
	CHECK_EQ(i.bbr_pacing_gain, 100, "pacing gain");
	c = bare_conn(&tcp_cc_cubic, NULL, 0);
	conn_cc_start(c);
	tcp_conn_get_info(c, &i);
	CHECK(i.bbr_mode == NULL, "no BBR line under CUBIC");
}

/* ---- through the simulated network (tests/lib/simnet.h) ---- */

/* A sends bytes to B through 20 Mbit/s behind a 64 KiB drop-tail queue,
 * 10 ms each way, loss ppm lost at random on the way there. */
static void bottleneck(struct sim_cfg *cfg, const struct tcp_cc *cc, uint64_t seed,
		       uint64_t bytes, uint32_t loss)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = seed;
	cfg->bytes[0] = bytes;
	cfg->sack = cfg->ts = true;
	cfg->mss = 1460;
	cfg->sndbuf = cfg->rcvbuf = 1024 * 1024;
	cfg->limit_ns = 600 * SEC;
	cfg->cc = cc;
	for (int d = 0; d < 2; d++)
		cfg->imp[d].delay_ns = 10 * MS;
	cfg->imp[0].rate_bps = 20000000;
	cfg->imp[0].queue_bytes = 64 * 1024;
	cfg->imp[0].loss = loss;
}

/* payload bytes per second through the bottleneck: 1448 of 1514 bytes
 * of frame (MSS 1460 less the timestamps) */
static double payload_rate(const struct sim_cfg *cfg)
{
	return (double)cfg->imp[0].rate_bps / 8 * 1448 / 1514;
}

/* One run: the share of the bottleneck's payload rate the transfer got
 * (handshake to close), and the queue's mean and largest wait. */
static double share_of(const struct sim_cfg *cfg, struct sim_result *r, double *mean_ms)
{
	char why[256];

	if (sim_run(cfg, r, why, sizeof(why), false)) {
		CHECK(0, "%s seed %llu: %s", cfg->cc->name, (unsigned long long)cfg->seed, why);
		return 0;
	}
	*mean_ms = r->queued[0] ? (double)r->qdelay_sum_ns[0] / r->queued[0] / MS : 0;
	return (double)cfg->bytes[0] / ((double)r->end_ns / SEC) / payload_rate(cfg);
}

/*
 * The goal: BBR with 1% random loss gets at least 90% of the
 * bottleneck (16 MiB at 20 Mbit/s, 20 ms RTT, three seeds), where a
 * loss-based algorithm cannot (CUBIC beside it, reported); and the queue
 * it keeps is small: mean wait under a quarter of the RTT. Clean, the
 * same transfer also gets 90%.
 */
static void test_bbr_bottleneck_loss(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		for (int k = 0; k < 3; k++) {
			const struct tcp_cc *cc = k == 2 ? &tcp_cc_cubic : &tcp_cc_bbr;
			uint32_t loss = k == 0 ? 0 : 10000;
			struct sim_cfg cfg;
			struct sim_result r;
			double share, mean = 0;

			bottleneck(&cfg, cc, seed, 16 << 20, loss);
			share = share_of(&cfg, &r, &mean);
			printf("  seed %llu %s, %s: %.1f%% of the bottleneck in %.2f s; queue wait "
			       "mean %.2f ms, max %.2f ms; %llu lost, %llu dropped by the queue, "
			       "%llu retransmits, %llu RTOs\n", (unsigned long long)seed,
			       cc->name, loss ? "1% loss" : "no loss", 100 * share,
			       (double)r.end_ns / SEC, mean, (double)r.qdelay_max_ns[0] / MS,
			       (unsigned long long)r.lost, (unsigned long long)r.qdrops[0],
			       (unsigned long long)r.retransmits,
			       (unsigned long long)r.rto_expiries);
			if (cc != &tcp_cc_bbr)
				continue;
			CHECK(share >= 0.90, "seed %llu, %s: BBR got %.1f%% of the bottleneck",
			      (unsigned long long)seed, loss ? "1%% loss" : "no loss", 100 * share);
			CHECK(mean < 10.0, "seed %llu: mean queue wait %.2f ms, under half the "
			      "20 ms RTT", (unsigned long long)seed, mean);
		}
	}
}

static const struct check_case tests[] = {
	CHECK_CASE(test_bbr_table),
	CHECK_CASE(test_bbr_init),
	CHECK_CASE(test_bbr_startup_plateau_to_drain),
	CHECK_CASE(test_bbr_startup_slow_growth),
	CHECK_CASE(test_bbr_startup_app_limited),
	CHECK_CASE(test_bbr_drain_to_probe_bw),
	CHECK_CASE(test_bbr_probe_bw_cycle),
	CHECK_CASE(test_bbr_max_bw_filter),
	CHECK_CASE(test_bbr_probe_rtt),
	CHECK_CASE(test_bbr_probe_rtt_waits_a_round),
	CHECK_CASE(test_bbr_min_rtt_floor),
	CHECK_CASE(test_bbr_cwnd_from_bdp),
	CHECK_CASE(test_bbr_min_cwnd),
	CHECK_CASE(test_bbr_loss_while_probing),
	CHECK_CASE(test_bbr_loss_in_cruise),
	CHECK_CASE(test_bbr_random_loss_in_cruise),
	CHECK_CASE(test_bbr_probe_one_loss),
	CHECK_CASE(test_bbr_startup_high_loss),
	CHECK_CASE(test_bbr_recovery),
	CHECK_CASE(test_bbr_rto),
	CHECK_CASE(test_bbr_undo),
	CHECK_CASE(test_bbr_idle_restart),
	CHECK_CASE(test_bbr_info),
	CHECK_CASE(test_bbr_bottleneck_loss),
};

static void reset(void)
{
	if (E)
		tcp_engine_free(E);
	E = NULL;
}

int main(int argc, char **argv)
{
	return check_run("unit/tcp_bbr", tests, sizeof(tests) / sizeof(tests[0]),
			 reset, argc, argv);
}
