// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Two engines over the simulated network (tests/lib/simnet.h): named
 * scenarios first (a clean link, loss with each congestion control with
 * and without SACK, reordering), then --seeds random networks drawn from
 * consecutive seeds. Every run moves data both ways and closes; simnet
 * checks delivery, that nothing is left behind, and the window bounds.
 *
 *   test_tcp_sim [--seeds N] [--start S]   the random runs (default 1000),
 *                                          with the drawn cc, then with BBR
 *   test_tcp_sim --seed S                  one seed, told in detail
 *   --cc NAME                              every run with that cc
 */
#include <getopt.h>
#include <string.h>

#include "check.h"
#include "simnet.h"
#include "tcp/tcp.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static void base(struct sim_cfg *c, uint64_t seed, uint64_t bytes)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->bytes[0] = c->bytes[1] = bytes;
	c->sack = c->ts = true;
	c->mss = 1460;
	c->sndbuf = c->rcvbuf = 256 * 1024;
	c->limit_ns = 600 * SEC;
	for (int d = 0; d < 2; d++)
		c->imp[d].delay_ns = 100000;	/* 0.1 ms each way */
}

static int run(const char *name, const struct sim_cfg *c, struct sim_result *r)
{
	char why[256];
	int err;

	printf("%s\n", name);
	err = sim_run(c, r, why, sizeof(why), true);
	CHECK(!err, "%s: %s", name, why);
	return err;
}

static void clean_link(void)
{
	struct sim_cfg c;
	struct sim_result r;

	base(&c, 1, 10 << 20);
	if (run("clean link, 10 MB each way", &c, &r))
		return;
	CHECK_EQ(r.retransmits, 0, "a clean link needs no retransmission");
	CHECK_EQ(r.lost + r.corrupted + r.duplicated, 0, "the link was clean");
}

/* Loss on a bottleneck: recovery must be fast retransmits, not only
 * timeouts, for NewReno, CUBIC and BBR, with SACK (RFC 6675) and without
 * (RFC 6582 partial ACKs). */
static void lossy(void)
{
	static const struct tcp_cc *const ccs[] = { &tcp_cc_newreno, &tcp_cc_cubic,
						    &tcp_cc_bbr };

	for (int k = 0; k < 3; k++)
		for (int sack = 0; sack < 2; sack++) {
			struct sim_cfg c;
			struct sim_result r;
			char name[96];

			base(&c, 100 + (uint64_t)(k * 2 + sack), 2 << 20);
			c.cc = ccs[k];
			c.sack = sack;
			for (int d = 0; d < 2; d++) {
				c.imp[d].loss = 20000;		/* 2% */
				c.imp[d].delay_ns = 10 * MS;
				c.imp[d].rate_bps = 20000000;
				c.imp[d].queue_bytes = 64 * 1024;
			}
			snprintf(name, sizeof(name), "2%% loss, 20 Mbit/s, 20 ms RTT: %s, SACK %s",
				 ccs[k]->name, sack ? "on" : "off");
			if (run(name, &c, &r))
				continue;
			CHECK(r.lost > 0 && r.retransmits > 0, "%s: losses retransmitted", name);
			CHECK(r.fast_retransmits > 0, "%s: fast retransmit used", name);
			CHECK(r.fast_retransmits * 2 > r.rto_expiries,
			      "%s: mostly fast recovery (%llu fast, %llu RTOs)", name,
			      (unsigned long long)r.fast_retransmits,
			      (unsigned long long)r.rto_expiries);
			/* 4 MB at 20 Mbit/s both ways is under 2 s on a clean link */
			CHECK(r.end_ns < 60 * SEC, "%s: done in %.1f virtual s (bound 60)",
			      name, (double)r.end_ns / SEC);
		}
}

/* Reordering without loss: what is retransmitted for nothing comes back
 * as D-SACKs (RFC 2883), and the data arrives. */
static void reordering(void)
{
	struct sim_cfg c;
	struct sim_result r;

	base(&c, 200, 2 << 20);
	for (int d = 0; d < 2; d++) {
		c.imp[d].reorder = 100000;		/* 10% */
		c.imp[d].reorder_ns = 3 * MS;
		c.imp[d].delay_ns = 5 * MS;
	}
	if (run("10% reordering by 3 ms", &c, &r))
		return;
	CHECK(r.dsacks_in > 0, "spurious retransmissions reported by D-SACK");
}

/* Corruption and duplication: checksums drop the damaged frames. */
static void corrupt_dup(void)
{
	struct sim_cfg c;
	struct sim_result r;

	base(&c, 300, 1 << 20);
	for (int d = 0; d < 2; d++) {
		c.imp[d].corrupt = 20000;
		c.imp[d].dup = 50000;
		c.imp[d].delay_ns = 2 * MS;
	}
	if (run("2% corruption, 5% duplication", &c, &r))
		return;
	CHECK(r.corrupted > 0 && r.drop_csum >= r.corrupted / 2,
	      "corrupted frames dropped by checksum (%llu of %llu)",
	      (unsigned long long)r.drop_csum, (unsigned long long)r.corrupted);
	CHECK(r.dsacks_in > 0, "duplicates reported by D-SACK");
}

/* The seeds' networks, each with the cc it draws, or with cc. */
static int seeds(uint64_t start, uint64_t n, const struct tcp_cc *cc)
{
	uint64_t failed = 0;

	for (uint64_t s = start; s < start + n; s++) {
		struct sim_cfg c;
		struct sim_result r;
		char why[256];

		sim_cfg_random(&c, s);
		if (cc)
			c.cc = cc;
		if (!sim_run(&c, &r, why, sizeof(why), false)) {
			check_passed++;
			continue;
		}
		check_failed++;
		failed++;
		fprintf(stderr, "FAIL seed %llu: %s\n", (unsigned long long)s, why);
		sim_cfg_print(&c);
		fprintf(stderr, "  reproduce: build/tests/unit/test_tcp_sim --seed %llu%s%s\n",
			(unsigned long long)s, cc ? " --cc " : "", cc ? cc->name : "");
	}
	printf("%llu random seeds from %llu%s%s: %llu failed\n", (unsigned long long)n,
	       (unsigned long long)start, cc ? ", cc " : "", cc ? cc->name : "",
	       (unsigned long long)failed);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seeds", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 'f' },
		{ "cc", required_argument, NULL, 'c' },
		{}
	};
	const struct tcp_cc *cc = NULL;
	uint64_t start = 1, n = 1000;
	int c, one = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			start = strtoull(optarg, NULL, 0);
			one = 1;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			start = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			cc = tcp_cc_find(optarg);
			if (!cc) {
				fprintf(stderr, "--cc %s: not one of %s\n", optarg, tcp_cc_names());
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [--seeds N] [--start S] | --seed S [--cc NAME]\n",
				argv[0]);
			return 2;
		}
	}
	if (one) {
		struct sim_cfg cfg;
		struct sim_result r;
		char why[256];

		sim_cfg_random(&cfg, start);
		if (cc)
			cfg.cc = cc;
		sim_cfg_print(&cfg);
		CHECK(!sim_run(&cfg, &r, why, sizeof(why), true), "seed %llu: %s",
		      (unsigned long long)start, why);
		return check_done("unit/tcp_sim");
	}
	clean_link();
	lossy();
	reordering();
	corrupt_dup();
	seeds(start, n, cc);
	if (!cc)
		seeds(start, n, &tcp_cc_bbr);
	return check_done("unit/tcp_sim");
}
