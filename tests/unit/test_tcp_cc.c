// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The sender's arithmetic, on a bare connection block: RFC 6298's RTO
 * estimator and backoff bounds, NewReno and CUBIC window evolution
 * against traces worked by hand from RFC 5681 and RFC 9438, and the SACK
 * scoreboard with RFC 6675's IsLost, pipe and NextSeg.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "bare.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define MSS 1000u

#define E bare_engine


/* A synchronized connection with a 1000-byte MSS and 100 KB in flight. */
static struct tcp_conn *conn(const struct tcp_cc *cc)
{
	struct tcp_conn *c = bare_conn(cc, NULL, 0);

	c->snd_end = 0;	/* nothing queued: these tests move SND.NXT by hand */
	conn_cc_start(c);
	return c;
}

/* RFC 6298 2.2-2.4 with K = 4, alpha 1/8, beta 1/4, G = 1 ms; the minimum
 * is configurable (default 200 ms), so these samples use larger values. */
static void test_rto(void)
{
	struct tcp_conn *c = conn(&tcp_cc_newreno);

	CHECK_EQ(c->rto_ms, 1000, "2.1: initial RTO 1 s");
	rtt_sample(c, 500000);				/* first R = 500 ms */
	CHECK_EQ(c->srtt_us, 500000, "2.2: SRTT = R");
	CHECK_EQ(c->rttvar_us, 250000, "2.2: RTTVAR = R/2");
	CHECK_EQ(c->rto_ms, 1500, "2.2: RTO = SRTT + 4*RTTVAR");
	rtt_sample(c, 900000);				/* R' = 900 ms */
	/* RTTVAR = 3/4*250 + 1/4*|500-900| = 287.5; SRTT = 7/8*500 + 1/8*900 = 550 */
	CHECK_EQ(c->rttvar_us, 287500, "2.3: RTTVAR, beta 1/4");
	CHECK_EQ(c->srtt_us, 550000, "2.3: SRTT, alpha 1/8");
	CHECK_EQ(c->rto_ms, 1700, "2.3: RTO = 550 + 4*287.5");
	rtt_sample(c, 550000);				/* R' = SRTT */
	CHECK_EQ(c->rttvar_us, 215625, "2.3: RTTVAR decays with a steady RTT");
	CHECK_EQ(c->rto_ms, 1412, "2.3: RTO follows (1412.5, truncated)");

	/* a 1 ms path: 4*RTTVAR below G, then the minimum applies */
	c = conn(&tcp_cc_newreno);
	rtt_sample(c, 1000);
	CHECK_EQ(c->rto_ms, E->cfg.rto_min_ms, "2.4: RTO rounded up to the minimum");
	E->cfg.rto_min_ms = 1;
	rtt_sample(c, 1000);
	CHECK_EQ(c->rto_ms, 2, "2.3: max(G, 4*RTTVAR) when RTTVAR is tiny");
	/* 2.5: the maximum bounds it */
	E->cfg.rto_max_ms = 3000;
	rtt_sample(c, 5000000);
	CHECK_EQ(c->rto_ms, 3000, "2.5: RTO capped at the maximum");
}

/* RFC 5681 3.1 with RFC 3465 (L = 2): IW10 (RFC 6928), slow start by at
 * most 2*MSS per ACK, congestion avoidance by one MSS per window. */
static void test_newreno(void)
{
	struct tcp_conn *c = conn(&tcp_cc_newreno);
	uint32_t w;

	CHECK_EQ(c->cwnd, 10 * MSS, "RFC 6928: IW = min(10*MSS, max(2*MSS, 14600))");
	c->ssthresh = 20 * MSS;
	recovery_ack(c, 3000);			/* a stretch ACK: at most L */
	CHECK_EQ(c->cwnd, 12 * MSS, "slow start: +2*MSS for a 3-MSS ACK (RFC 3465)");
	for (int i = 0; i < 8; i++)
		recovery_ack(c, MSS);
	CHECK_EQ(c->cwnd, 20 * MSS, "slow start stops at ssthresh");
	/* congestion avoidance: 20 ACKs of one MSS = one window -> +1 MSS */
	for (int i = 0; i < 19; i++)
		recovery_ack(c, MSS);
	CHECK_EQ(c->cwnd, 20 * MSS, "CA: not before a whole window is acked");
	recovery_ack(c, MSS);
	CHECK_EQ(c->cwnd, 21 * MSS, "CA: +1 MSS per window acked");
	for (int i = 0; i < 21; i++)
		recovery_ack(c, MSS);
	CHECK_EQ(c->cwnd, 22 * MSS, "CA: the next window is 21 ACKs");

	/* fast retransmit with 30 KB in flight: ssthresh = flight/2 */
	c->snd_max = c->snd_una + 30000;
	c->snd_nxt = c->snd_max;
	c->sack_ok = 0;
	for (int i = 0; i < 2; i++)
		recovery_dupack(c);
	CHECK(!c->in_recovery, "two dupacks: limited transmit, no recovery");
	recovery_dupack(c);
	CHECK(c->in_recovery, "third dupack: fast retransmit (RFC 5681 3.2)");
	CHECK_EQ(c->ssthresh, 15000, "eq. (4): ssthresh = FlightSize/2");
	CHECK_EQ(c->cwnd, 18000, "RFC 6582: cwnd = ssthresh + 3*MSS");
	recovery_dupack(c);
	CHECK_EQ(c->cwnd, 19000, "RFC 6582 step 4: +MSS per further dupack");
	/* partial ACK of 5000: deflate by it, add one MSS back */
	c->snd_una += 5000;
	recovery_ack(c, 5000);
	CHECK(c->in_recovery && c->rexmit_una, "partial ACK: the next hole goes");
	CHECK_EQ(c->cwnd, 15000, "RFC 6582 step 5: 19000 - 5000 + 1000");
	/* full ACK: recovery ends, cwnd min(ssthresh, flight + MSS) */
	w = c->ssthresh;
	c->snd_una = c->recover;
	recovery_ack(c, 25000);
	CHECK(!c->in_recovery, "full ACK ends recovery");
	CHECK_EQ(c->cwnd, 2 * MSS, "no burst: max(flight 0, MSS) + MSS");
	CHECK_EQ(c->ssthresh, w, "ssthresh kept");
	/* dupacks for data sent before recover do not start another one */
	c->recover = c->snd_una + 1000;
	c->snd_max = c->snd_una + 5000;
	for (int i = 0; i < 3; i++)
		recovery_dupack(c);
	CHECK(!c->in_recovery, "RFC 6582 step 2: not again below recover");

	/* a timeout: ssthresh from the flight, cwnd one segment, go back */
	c = conn(&tcp_cc_newreno);
	c->snd_max = c->snd_nxt = c->snd_una + 40000;
	c->retries = 1;
	recovery_rto(c);
	CHECK_EQ(c->ssthresh, 20000, "RTO: ssthresh = FlightSize/2");
	CHECK_EQ(c->cwnd, MSS, "RTO: loss window of one MSS");
	CHECK_EQ(c->snd_nxt, c->snd_una, "RTO: resend from SND.UNA");
	CHECK_EQ(c->recover, c->snd_max, "RTO: recover = SND.MAX");
	c->retries = 2;
	c->snd_nxt = c->snd_una + 1000;
	recovery_rto(c);
	CHECK_EQ(c->ssthresh, 20000, "eq. (4): a second timeout keeps ssthresh");
}

/* RFC 9438 with C = 0.4, beta = 0.7: a loss at W = 100 segments leaves
 * cwnd 70 and K = cbrt(100 * 0.3 / 0.4) = 4.2172 s; W_cubic(K) = 100,
 * W_cubic(2K) = 0.4*K^3 + 100 = 130. The trace acks one window per
 * 100 ms RTT and reads the window at those instants. */
static void test_cubic(void)
{
	struct tcp_conn *c = conn(&tcp_cc_cubic);
	uint64_t t0;
	double k = cbrt(100 * 0.3 / 0.4), at_k = 0, at_2k = 0, early = 0;
	uint32_t th;

	CHECK(fabs(k - 4.2172) < 1e-3, "K for W_max 100");
	c->cwnd = 100 * MSS;
	c->srtt_us = 100000;
	c->snd_max = c->snd_una + 100 * MSS;
	th = c->cc->loss(c);
	CHECK_EQ(th, 70 * MSS, "4.6: ssthresh = 0.7 * cwnd");
	c->cwnd = c->ssthresh = th;
	CHECK(fabs(c->ccs.cubic.w_max - 100) < 1e-9, "W_max = cwnd at the loss");
	t0 = E->now = 100 * SEC;
	for (int rtt = 0; rtt <= 90; rtt++) {
		uint32_t segs = c->cwnd / MSS;

		E->now = t0 + (uint64_t)rtt * 100 * MS;
		if (rtt == 10)
			early = (double)c->cwnd / MSS;
		if (rtt == 42)
			at_k = (double)c->cwnd / MSS;
		if (rtt == 84)
			at_2k = (double)c->cwnd / MSS;
		for (uint32_t i = 0; i < segs; i++)
			c->cc->ack(c, MSS);
	}
	/* concave: fast at first, flat near W_max, convex after */
	CHECK(early > 85 && early < 95, "1 s in: most of the way back (%.1f)", early);
	CHECK(at_k > 98 && at_k < 102, "t = K: W_max again (%.1f)", at_k);
	CHECK(at_2k > 125 && at_2k < 135, "t = 2K: W_cubic = 130 (%.1f)", at_2k);

	/* fast convergence (4.7): a loss below the last W_max lowers it */
	c->cwnd = 90 * MSS;
	c->cc->loss(c);
	CHECK(fabs(c->ccs.cubic.w_max - 90 * 1.7 / 2) < 1e-9, "4.7: W_max = cwnd * (1 + beta) / 2");

	/* Reno-friendly region (4.3): a short RTT and a small window, where
	 * W_cubic grows slower than Reno's one segment per RTT would */
	c = conn(&tcp_cc_cubic);
	c->cwnd = 10 * MSS;
	c->srtt_us = 1000;
	c->snd_max = c->snd_una + 10 * MSS;
	c->cwnd = c->ssthresh = c->cc->loss(c);
	E->now = 200 * SEC;
	for (int rtt = 0; rtt < 200; rtt++) {
		uint32_t segs = c->cwnd / MSS;

		E->now += MS;
		for (uint32_t i = 0; i < segs; i++)
			c->cc->ack(c, MSS);
	}
	/* in 0.2 s W_cubic barely moves from 7; W_est adds 0.53/RTT, then 1/RTT past W_max */
	CHECK(c->cwnd > 100 * MSS, "4.3: Reno-friendly growth (%u segments)", c->cwnd / MSS);
}

/* RFC 2018 / RFC 6675: the scoreboard, IsLost, pipe, NextSeg; D-SACK.
 * RFC 6675's loss detection is the one without RACK (cfg.no_rack). */
static void test_scoreboard(void)
{
	struct tcp_conn *c = conn(&tcp_cc_newreno);
	struct tcp_seg s = { .flags = TCPHDR_ACK };
	uint32_t una = c->snd_una, seq, len;
	bool news, dsack;

	E->cfg.no_rack = true;
	c->sack_ok = 1;
	c->snd_max = c->snd_nxt = una + 10 * MSS;
	s.ack = una;
	/* segment 0 lost, 1 and 2 SACKed: two blocks' worth is not "lost" */
	s.nsack = 1;
	s.sack[0][0] = una + MSS;
	s.sack[0][1] = una + 3 * MSS;
	sack_input(c, &s, &news, &dsack);
	CHECK(news && c->nsb == 1, "a SACK block is new information");
	CHECK_EQ(recovery_pipe(c), 8 * MSS, "pipe: the hole is not lost yet");
	CHECK(!recovery_next(c, false, &seq, &len), "NextSeg: nothing lost yet");
	sack_input(c, &s, &news, &dsack);
	CHECK(!news, "the same block again is not new");
	/* segment 4 SACKed too: more than 2*MSS above the hole -> lost */
	s.sack[0][0] = una + 4 * MSS;
	s.sack[0][1] = una + 5 * MSS;
	sack_input(c, &s, &news, &dsack);
	CHECK_EQ(c->nsb, 2, "a second, disjoint range");
	CHECK(recovery_next(c, false, &seq, &len) && seq == una && len == MSS,
	      "NextSeg rule 1: the lost first segment");
	/* pipe: holes [0,1) lost, [3,4) not lost (1 MSS above), tail [5,10) */
	CHECK_EQ(recovery_pipe(c), 6 * MSS, "pipe: 1 + 5 segments in flight");
	c->high_rxt = una + MSS;		/* segment 0 retransmitted */
	CHECK_EQ(recovery_pipe(c), 7 * MSS, "pipe: a retransmission counts");
	CHECK(!recovery_next(c, false, &seq, &len), "NextSeg: nothing else lost");
	CHECK(recovery_next(c, true, &seq, &len) && seq == una + 3 * MSS && len == MSS,
	      "NextSeg rule 3: the hole below SACKed data");
	/* blocks merge */
	s.sack[0][0] = una + 3 * MSS;
	s.sack[0][1] = una + 4 * MSS;
	sack_input(c, &s, &news, &dsack);
	CHECK(c->nsb == 1 && c->sb[0][0] == una + MSS && c->sb[0][1] == una + 5 * MSS,
	      "adjacent ranges merge into one");
	/* blocks outside [SND.UNA, SND.MAX] are ignored */
	s.sack[0][0] = una + 20 * MSS;
	s.sack[0][1] = una + 21 * MSS;
	sack_input(c, &s, &news, &dsack);
	CHECK(!news && c->nsb == 1, "a block beyond SND.MAX is ignored");
	/* the cumulative ACK trims the scoreboard */
	c->snd_una = una + 2 * MSS;
	sb_trim(c);
	CHECK(c->nsb == 1 && c->sb[0][0] == una + 2 * MSS, "trimmed at SND.UNA");
	c->snd_una = una + 5 * MSS;
	sb_trim(c);
	CHECK_EQ(c->nsb, 0, "all acked: the scoreboard is empty");

	/* D-SACK (RFC 2883): a first block below the ACK, or inside the second */
	s.ack = c->snd_una;
	s.nsack = 1;
	s.sack[0][0] = una;
	s.sack[0][1] = una + MSS;
	sack_input(c, &s, &news, &dsack);
	CHECK(!news && dsack && c->dsacks_in == 1 && c->nsb == 0, "D-SACK below the ACK");
	s.nsack = 2;
	s.sack[0][0] = c->snd_una + MSS;
	s.sack[0][1] = c->snd_una + 2 * MSS;
	s.sack[1][0] = c->snd_una + MSS;
	s.sack[1][1] = c->snd_una + 3 * MSS;
	sack_input(c, &s, &news, &dsack);
	CHECK(c->dsacks_in == 2 && c->nsb == 1, "D-SACK inside the second block; the second counts");

	/* SACK recovery enters on IsLost before three dupacks (RFC 6675 5) */
	c = conn(&tcp_cc_newreno);
	E->cfg.no_rack = true;
	c->sack_ok = 1;
	una = c->snd_una;
	c->snd_max = c->snd_nxt = una + 10 * MSS;
	s.ack = una;
	s.nsack = 1;
	s.sack[0][0] = una + MSS;
	s.sack[0][1] = una + 4 * MSS;
	sack_input(c, &s, &news, &dsack);
	recovery_dupack(c);
	CHECK(c->in_recovery, "3 MSS SACKed above SND.UNA: recovery at the first dupack");
	CHECK_EQ(c->cwnd, c->ssthresh, "RFC 6675: cwnd = ssthresh, no inflation");
}

int main(void)
{
	test_rto();
	test_newreno();
	test_cubic();
	test_scoreboard();
	tcp_engine_free(E);
	E = NULL;
	return check_done("unit/tcp_cc");
}
