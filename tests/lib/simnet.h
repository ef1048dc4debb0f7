/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A deterministic network for the engine: two engines, A (connects) and B
 * (answers from its cookie path), joined by a link that loses, loses in
 * bursts, reorders, duplicates, delays with jitter, corrupts and queues at
 * a bottleneck, all drawn from one seed, on a virtual clock. Each side
 * sends a byte pattern and checks what it receives, then both close.
 */
#ifndef XTCP_TEST_SIMNET_H
#define XTCP_TEST_SIMNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_cc;
struct tcp_conn;

/* One direction's impairments; probabilities in parts per million. */
struct sim_imp {
	uint32_t loss, burst, burst_stay;	/* Gilbert-Elliott: enter, stay */
	uint32_t reorder, dup, corrupt;
	uint64_t delay_ns, jitter_ns, reorder_ns;
	/* the bottleneck: a link of rate_bps (bits/s of whole frames) behind
	 * a drop-tail queue of queue_bytes, and of queue_pkts frames when
	 * that is not 0 (at most SIM_QUEUE_MAX) */
	uint64_t rate_bps;			/* 0: no bottleneck */
	uint32_t queue_bytes;			/* drop-tail beyond */
	uint32_t queue_pkts;
};

#define SIM_QUEUE_MAX 4096

struct sim_cfg {
	uint64_t seed;
	struct sim_imp imp[2];		/* [0]: A to B, [1]: B to A */
	uint64_t bytes[2];		/* what A sends, what B sends */
	const struct tcp_cc *cc;
	bool sack, ts;			/* what A offers */
	uint16_t mss;
	uint32_t sndbuf, rcvbuf;
	uint64_t limit_ns;		/* virtual time allowed */
	bool no_pacing;			/* both engines: tcp_cfg.no_pacing */
	/* optional: after every frame a side takes in, each of its
	 * connections; and every frame a side sends, as it leaves */
	void (*watch)(void *arg, int side, struct tcp_conn *c, uint64_t now);
	void (*tx)(void *arg, int side, uint32_t len, uint64_t now);
	void *arg;
};

struct sim_result {
	uint64_t end_ns;		/* virtual time the transfer took */
	uint64_t frames, lost, corrupted, duplicated;
	uint64_t retransmits, fast_retransmits, rto_expiries, dsacks_in;
	uint64_t drop_csum, undos;
	/* the bottleneck, per direction: frames dropped by its full queue,
	 * frames that went through it and their waits in the queue */
	uint64_t qdrops[2], queued[2], qdelay_sum_ns[2], qdelay_max_ns[2];
};

/* Draw a configuration from a seed: the fuzz-like mix of make test. */
void sim_cfg_random(struct sim_cfg *cfg, uint64_t seed);
void sim_cfg_print(const struct sim_cfg *cfg);

/* Run one transfer and check every invariant; 0, or -1 with why filled. */
int sim_run(const struct sim_cfg *cfg, struct sim_result *r, char *why,
	    size_t whylen, bool verbose);

#endif /* XTCP_TEST_SIMNET_H */
