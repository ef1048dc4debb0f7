// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Undo of spurious congestion responses on a bare connection block: every
 * retransmission of an episode reported by D-SACK (RFC 3708 3) restores
 * the window, one of two does not; an ACK echoing a timestamp from before
 * the first retransmission after a timeout restores it and resumes new
 * data (RFC 3522 2, RFC 4015 4); a later echo keeps the response.
 */
#include <string.h>

#include "check.h"
#include "bare.h"

#define MS 1000000ULL
#define MSS 1000u

#define E bare_engine


/* 20 segments in flight, cwnd 20 MSS, congestion avoidance. */
static struct tcp_conn *conn(const struct tcp_cc *cc)
{
	struct tcp_conn *c = bare_conn(cc, NULL, 1000 * MS);

	c->snd_end = 0;
	c->sack_ok = 1;
	conn_cc_start(c);
	c->snd_max = c->snd_nxt = c->snd_end = c->snd_una + 20 * MSS;
	c->cwnd = 20 * MSS;
	c->ssthresh = 30 * MSS;	/* above what a loss sets */
	return c;
}

static void dsack(struct tcp_conn *c, uint32_t lo, uint32_t hi)
{
	struct tcp_seg s = { .flags = TCPHDR_ACK, .ack = c->snd_una, .nsack = 1 };
	bool news, d;

	s.sack[0][0] = lo;
	s.sack[0][1] = hi;
	if (seq_gt(hi, s.ack)) {	/* RFC 2883 4: inside the next block */
		s.nsack = 2;
		s.sack[1][0] = lo;
		s.sack[1][1] = hi + MSS;
	}
	sack_input(c, &s, &news, &d);
}

static void test_dsack_undo(void)
{
	const struct tcp_cc *ccs[] = { &tcp_cc_newreno, &tcp_cc_cubic };

	for (int k = 0; k < 2; k++) {
		struct tcp_conn *c = conn(ccs[k]);
		uint32_t una = c->snd_una;

		recovery_enter(c);
		CHECK(c->cwnd < 20 * MSS, "%s: recovery halves the window", ccs[k]->name);
		undo_retransmit(c);
		undo_retransmit(c);
		c->snd_una += MSS;	/* the first hole's retransmission is acked */
		dsack(c, una, una + MSS);
		CHECK(c->cwnd < 20 * MSS && !c->undos, "%s: one of two D-SACKed: kept",
		      ccs[k]->name);
		dsack(c, una + 5 * MSS, una + 6 * MSS);
		CHECK_EQ(c->cwnd, 20 * MSS, "both D-SACKed: the window comes back");
		CHECK(c->ssthresh == 30 * MSS && c->undos == 1 && E->st->undos == 1,
		      "%s: ssthresh restored, counted", ccs[k]->name);
	}
}

/* A D-SACK for data from before the episode says nothing of it. */
static void test_dsack_old(void)
{
	struct tcp_conn *c = conn(&tcp_cc_newreno);
	uint32_t una = c->snd_una;

	c->snd_una += 2 * MSS;
	recovery_enter(c);
	undo_retransmit(c);
	dsack(c, una, una + MSS);
	CHECK(!c->undos && c->cwnd < 20 * MSS, "a D-SACK below the episode: no undo");
}

static void test_eifel_rto(void)
{
	struct tcp_conn *c = conn(&tcp_cc_cubic);
	struct tcp_seg s = { .flags = TCPHDR_ACK, .ts = 1 };
	uint32_t t0;

	c->ts_ok = 1;
	c->retries = 1;
	recovery_rto(c);
	CHECK_EQ(c->cwnd, MSS, "a timeout: the loss window");
	t0 = ts_now(E);
	undo_retransmit(c);			/* go-back-N starts */
	c->snd_nxt = c->snd_una + MSS;
	E->now += 50 * MS;
	s.ack = c->snd_una + MSS;
	s.tsecr = t0 - 30;			/* the original's echo */
	c->snd_una = s.ack;
	undo_ack(c, &s, false);
	CHECK(c->cwnd == 20 * MSS && c->undos == 1, "spurious timeout: window back");
	CHECK_EQ(c->snd_nxt, c->snd_max, "RFC 4015: new data next, no go-back-N");

	c = conn(&tcp_cc_cubic);
	c->ts_ok = 1;
	c->retries = 1;
	recovery_rto(c);
	t0 = ts_now(E);
	undo_retransmit(c);
	E->now += 50 * MS;
	s.ack = c->snd_una + MSS;
	s.tsecr = t0;				/* the retransmission's echo */
	c->snd_una = s.ack;
	undo_ack(c, &s, false);
	CHECK(c->cwnd == MSS && !c->undos && !c->undo.on, "a needed retransmission: kept");
}

/* In recovery, Eifel waits for the ACK that ends it. */
static void test_eifel_recovery(void)
{
	struct tcp_conn *c = conn(&tcp_cc_newreno);
	struct tcp_seg s = { .flags = TCPHDR_ACK, .ts = 1 };
	uint32_t t0;

	c->ts_ok = 1;
	recovery_enter(c);
	t0 = ts_now(E);
	undo_retransmit(c);
	E->now += 20 * MS;
	s.tsecr = t0 - 10;
	s.ack = c->snd_una + MSS;
	c->snd_una = s.ack;
	undo_ack(c, &s, false);
	CHECK(!c->undos, "a partial ACK: not yet");
	s.ack = c->snd_max;
	c->snd_una = s.ack;
	recovery_ack(c, 19 * MSS);
	undo_ack(c, &s, true);
	CHECK(c->undos == 1 && c->cwnd == 20 * MSS, "the full ACK echoes the original: undone");
}

int main(void)
{
	test_dsack_undo();
	test_dsack_old();
	test_eifel_rto();
	test_eifel_recovery();
	tcp_engine_free(E);
	E = NULL;
	return check_done("unit/tcp_undo");
}
