// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Proportional Rate Reduction (RFC 6937) on a bare connection block: the
 * RFC's example of one loss in a window of 20 with ssthresh 10 (a segment
 * for every other ACK while pipe is above ssthresh), PRR-SSRB below it
 * (at most one segment more than delivered), the fast retransmit always
 * going; and the simulated link with loss finishing under PRR with each
 * congestion control.
 */
#include <string.h>

#include "check.h"
#include "simnet.h"
#include "bare.h"

#define MS 1000000ULL
#define MSS 1000u

#define E bare_engine


static struct tcp_conn *conn(void)
{
	struct tcp_conn *c = bare_conn(NULL, NULL, 0);

	c->snd_max = c->snd_nxt = c->snd_una + 20 * MSS;
	c->ssthresh = 10 * MSS;
	c->in_recovery = 1;
	prr_start(c);
	return c;
}

/* RFC 6937 section 6 (and its figure): 20 in flight, one lost, ssthresh
 * 10: each ACK delivers one segment, pipe stays above ssthresh, PRR sends
 * on every other ACK, 10 in 19 ACKs... here the first 10 ACKs send 5. */
static void test_proportional(void)
{
	struct tcp_conn *c = conn();
	uint32_t pipe = 19 * MSS, total = 0;
	char pattern[16] = "";

	CHECK_EQ(c->prr.recover_fs, 20 * MSS, "RecoverFS = SND.NXT - SND.UNA");
	for (int k = 0; k < 10; k++) {
		uint32_t n = prr_sndcnt(c, MSS, pipe -= MSS);

		n = n / MSS * MSS;	/* whole segments go */
		prr_sent(c, n);
		pipe += n;
		total += n;
		pattern[k] = (char)('0' + n / MSS);
	}
	CHECK(!strcmp(pattern, "1010101010"), "a segment every other ACK: %s", pattern);
	CHECK_EQ(total, 5 * MSS, "half of what was delivered");
	CHECK_EQ(c->prr.delivered, 10 * MSS, "prr_delivered");
}

/* RFC 6937 3, PRR-SSRB: pipe below ssthresh after more losses. */
static void test_ssrb(void)
{
	struct tcp_conn *c = conn();
	uint32_t n;

	n = prr_sndcnt(c, MSS, 19 * MSS);
	prr_sent(c, n);
	CHECK_EQ(n, MSS, "the fast retransmit");
	n = prr_sndcnt(c, MSS, 5 * MSS);
	CHECK_EQ(n, 2 * MSS, "SSRB: delivered (1) + one segment");
	n = prr_sndcnt(c, 4 * MSS, 9 * MSS);
	CHECK_EQ(n, MSS, "never past ssthresh: 10 - 9");
	n = prr_sndcnt(c, 0, 10 * MSS);
	CHECK_EQ(n, 0, "at ssthresh, nothing delivered: nothing");
}

/* The first ACK of recovery lets the retransmission out even when the
 * proportion rounds to nothing (a large RecoverFS). */
static void test_first(void)
{
	struct tcp_conn *c = conn();

	c->prr.recover_fs = 1000 * MSS;
	CHECK_EQ(prr_sndcnt(c, 1, 999 * MSS), MSS, "the fast retransmit goes");
}

/* 1% loss both ways, 20 ms RTT, 20 Mbit/s bottleneck, 3 seeds: every
 * transfer completes with each congestion control. */
static void test_sim(void)
{
	const struct tcp_cc *ccs[] = { &tcp_cc_newreno, &tcp_cc_cubic };
	char why[256];

	for (int k = 0; k < 2; k++)
		for (uint64_t seed = 1; seed <= 3; seed++) {
			struct sim_cfg cfg;
			struct sim_result r;

			memset(&cfg, 0, sizeof(cfg));
			cfg.seed = seed;
			cfg.bytes[0] = cfg.bytes[1] = 2 << 20;
			cfg.sack = cfg.ts = true;
			cfg.mss = 1460;
			cfg.sndbuf = cfg.rcvbuf = 512 * 1024;
			cfg.limit_ns = 600 * 1000 * MS;
			cfg.cc = ccs[k];
			for (int d = 0; d < 2; d++) {
				cfg.imp[d].delay_ns = 10 * MS;
				cfg.imp[d].loss = 10000;
				cfg.imp[d].rate_bps = 20000000;
				cfg.imp[d].queue_bytes = 100000;
			}
			CHECK(!sim_run(&cfg, &r, why, sizeof(why), false), "%s seed %llu: %s",
			      ccs[k]->name, (unsigned long long)seed, why);
			printf("  %s seed %llu: %.3f s, %llu retransmits, %llu RTOs\n",
			       ccs[k]->name, (unsigned long long)seed, (double)r.end_ns / 1e9,
			       (unsigned long long)r.retransmits, (unsigned long long)r.rto_expiries);
		}
}

int main(void)
{
	test_proportional();
	test_ssrb();
	test_first();
	test_sim();
	tcp_engine_free(E);
	return check_done("unit/tcp_prr");
}
