// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Pacing and delivery-rate estimation (rate.c, output.c) on the virtual
 * clock: paced departures never run ahead of the rate by more than one
 * quantum and keep up with it, the engine's default rate for CUBIC and
 * NewReno (cwnd/SRTT x2 in slow start, x1.2 after), the app-limited mark
 * of draft-cheng-iccrg-delivery-rate-estimation-02 3.4, the estimator
 * against a simulated bottleneck, CUBIC's share of that bottleneck and its
 * queueing delay paced and unpaced, slow start through a shallow queue
 * paced and unpaced, and the hooks of a model-based
 * congestion control (cong_control, event) driven by a stub that checks
 * the engine leaves its window alone.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "simnet.h"
#include "bare.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define MSS BARE_MSS

#define E bare_engine

/* ---- a stub model-based congestion control ---- */

/* what the stub saw, over every connection it ran */
static struct {
	uint64_t cong_calls, ack_calls, loss_calls, bad_cwnd, bad_sample;
	uint64_t ev[CC_EV_TX_START + 1], bad_order;
	uint64_t newly_acked;
	uint64_t pacing_rate;		/* set on every connection: 0 unpaced */
	uint32_t cwnd_segs;
} stub;

/* the stub's per-connection state, in the algorithms' union */
struct stub_state {
	uint32_t cwnd;			/* what it set last */
	uint8_t loss_pending;		/* loss() called, its event not yet */
};
_Static_assert(sizeof(struct stub_state) <= sizeof(union cc_state), "fits");

static struct stub_state *st(struct tcp_conn *c)
{
	return (struct stub_state *)(void *)&c->ccs;
}

static void stub_set(struct tcp_conn *c)
{
	c->cwnd = st(c)->cwnd = stub.cwnd_segs * c->mss;
	c->pacing_rate = stub.pacing_rate;
}

static void stub_init(struct tcp_conn *c)
{
	memset(st(c), 0, sizeof(struct stub_state));
	stub_set(c);
}

static void stub_ack(struct tcp_conn *c, uint32_t acked)
{
	(void)c;
	(void)acked;
	stub.ack_calls++;	/* never: cong_control replaces it */
}

static uint32_t stub_loss(struct tcp_conn *c)
{
	stub.loss_calls++;
	st(c)->loss_pending = 1;
	return c->cwnd / 2 > 2 * c->mss ? c->cwnd / 2 : 2 * c->mss;
}

static void stub_cong_control(struct tcp_conn *c, const struct tcp_rate_sample *rs)
{
	stub.cong_calls++;
	/* the engine made no window change of its own since (PRR, RFC 6582
	 * inflation, deflation, the full-ACK exit, a probe's response) */
	if (c->cwnd != st(c)->cwnd)
		stub.bad_cwnd++;
	if (!rs->newly_acked || (rs->interval_us && rs->delivered == 0) ||
	    (rs->interval_us && rs->prior_delivered + rs->delivered != c->delivered))
		stub.bad_sample++;
	stub.newly_acked += rs->newly_acked;
	st(c)->loss_pending = 0;	/* a probe's loss() has no event */
	stub_set(c);
}

static void stub_event(struct tcp_conn *c, enum tcp_cc_event ev)
{
	stub.ev[ev]++;
	switch (ev) {
	case CC_EV_RECOVERY:
		/* after loss(), in recovery, the window untouched */
		if (!st(c)->loss_pending || !c->in_recovery || c->cwnd != st(c)->cwnd)
			stub.bad_order++;
		st(c)->loss_pending = 0;
		break;
	case CC_EV_RECOVERED:
		if (c->in_recovery)
			stub.bad_order++;
		break;
	case CC_EV_RTO:
		/* the first timeout of the data calls loss() first */
		if ((c->retries == 1 && !st(c)->loss_pending) || c->cwnd != c->mss)
			stub.bad_order++;
		st(c)->loss_pending = 0;
		stub_set(c);	/* a model restores its own window */
		break;
	case CC_EV_UNDO:
		break;
	case CC_EV_TX_START:
		if (c->snd_una != c->snd_max)
			stub.bad_order++;
		break;
	}
}

static const struct tcp_cc stub_cc = {
	.name = "stub",
	.init = stub_init,
	.ack = stub_ack,
	.loss = stub_loss,
	.cong_control = stub_cong_control,
	.event = stub_event,
};

/* ---- a bare connection whose frames are timed ---- */

#define NTX 4096
static uint8_t txbuf[2048];
static uint64_t tx_ns[NTX];
static uint32_t tx_len[NTX];
static int ntx;

static __u8 *tx_buf(void *ctx, __u32 *cap)
{
	(void)ctx;
	*cap = sizeof(txbuf);
	return txbuf;
}

static void tx_send(void *ctx, __u8 *buf, __u32 len)
{
	(void)ctx;
	(void)buf;
	if (ntx < NTX) {
		tx_ns[ntx] = E->now;
		tx_len[ntx++] = len;
	}
}

/* An established connection (SACK off) with bytes queued. */
static struct tcp_conn *conn(const struct tcp_cc *cc, uint32_t bytes)
{
	static const struct tcp_io io = { .tx_buf = tx_buf, .tx_send = tx_send };
	static uint8_t data[256 * 1024];
	struct tcp_conn *c = bare_conn(cc, &io, 1000 * MS);

	ntx = 0;
	/* past its first 10 segments, which go unpaced (as Linux) */
	c->rate.free_segs = 10;
	conn_set_state(c, TCPS_ESTABLISHED);
	conn_cc_start(c);
	ring_write(&c->snd, data, bytes);
	c->snd_end += bytes;
	return c;
}

/* The driver's loop: flush, then sleep to the next deadline, until
 * nothing is left to send or the clock passes until. Returns wake-ups. */
static int drive(struct tcp_conn *c, uint64_t until)
{
	int wakes = 0;

	conn_mark(c);
	tcp_flush(E);
	while (seq_lt(c->snd_nxt, c->snd_end) && E->now < until) {
		uint64_t next = tcp_timers(E, E->now);

		if (!next || next > until)
			break;
		E->now = next;
		tcp_timers(E, E->now);
		wakes++;
	}
	return wakes;
}

static uint32_t payload(int i)
{
	return tx_len[i] - 40;	/* IPv4, TCP, no options (a bare tuple has no L2) */
}

/*
 * At a fixed rate, with cwnd and the peer's window wide open: no span of
 * departures carries more than rate * span + one quantum (+ the segment
 * that opens it), the whole transfer takes bytes/rate, and the wake-ups
 * are one per quantum, not one per segment.
 */
static void pace_at_rate(uint64_t rate, uint32_t bytes)
{
	struct tcp_conn *c;
	uint64_t qb, burst, total = 0, worst = 0, before = 0;
	double took, want;
	int wakes;

	memset(&stub, 0, sizeof(stub));
	stub.cwnd_segs = 1000;
	stub.pacing_rate = rate;
	c = conn(&stub_cc, bytes);
	qb = pacing_quantum_ns(c) * rate / SEC;
	wakes = drive(c, E->now + 10 * SEC);
	CHECK(c->snd_nxt == c->snd_end, "rate %llu: everything sent (%d frames)",
	      (unsigned long long)rate, ntx);
	for (int i = 0; i < ntx; i++) {
		uint64_t bytes_ij = 0;

		total += payload(i);
		for (int j = i; j < ntx; j++) {
			uint64_t allowed = (tx_ns[j] - tx_ns[i]) * rate / SEC + qb + MSS;

			bytes_ij += payload(j);
			if (bytes_ij > allowed && bytes_ij - allowed > worst)
				worst = bytes_ij - allowed;
		}
	}
	CHECK_EQ(total, bytes, "the payload");
	CHECK(!worst, "rate %llu B/s: a span of departures %llu bytes over rate x span + "
	      "quantum %llu", (unsigned long long)rate, (unsigned long long)worst,
	      (unsigned long long)qb);
	/* the last burst leaves when the bytes before it are paid for */
	for (int i = 0; i < ntx && tx_ns[i] < tx_ns[ntx - 1]; i++)
		before += payload(i);
	took = (double)(tx_ns[ntx - 1] - tx_ns[0]) / SEC;
	want = (double)before / (double)rate;
	CHECK(fabs(took - want) <= 0.02 * want,
	      "rate %llu B/s: the last burst at %.6f s, want %.6f: the bytes before it / rate",
	      (unsigned long long)rate, took, want);
	/* a burst is the quantum rounded up to whole segments; the first
	 * goes without a wake-up */
	burst = (qb + MSS - 1) / MSS * MSS;
	CHECK(abs(wakes - (int)((bytes + burst - 1) / burst - 1)) <= 1,
	      "rate %llu B/s: %d wake-ups for %u bytes in bursts of %llu",
	      (unsigned long long)rate, wakes, bytes, (unsigned long long)burst);
	CHECK_EQ(E->st->pacing_holds, (uint64_t)wakes, "each wake-up was a hold");
	printf("  %llu B/s: %d frames in %.3f ms, quantum %llu bytes, %d wake-ups\n",
	       (unsigned long long)rate, ntx, took * 1e3, (unsigned long long)qb, wakes);
}

static void test_pace_spacing(void)
{
	pace_at_rate(2500000, 200000);		/* 20 Mbit/s: 2 segments */
	pace_at_rate(12500000, 200000);		/* 100 Mbit/s: 12.5 KB, 1 ms */
	pace_at_rate(1250000000, 250000);	/* 10 Gbit/s: 64 KiB */
}

/* A held connection is woken by the release timer, not by its RTO; an
 * unpaced one sends its whole window at once; a new one its first ten
 * segments. */
static void test_pace_unpaced(void)
{
	struct tcp_conn *c;

	memset(&stub, 0, sizeof(stub));
	stub.cwnd_segs = 1000;
	c = conn(&stub_cc, 100000);
	conn_mark(c);
	tcp_flush(E);
	CHECK_EQ(ntx, 100, "unpaced: 100 segments at once");
	CHECK(!c->pace_wake_at, "no release timer");

	stub.pacing_rate = 1000000;
	c = conn(&stub_cc, 100000);
	conn_mark(c);
	tcp_flush(E);
	CHECK_EQ(ntx, 2, "paced at 1 MB/s: a quantum of two segments");
	CHECK(c->pace_wake_at == c->pace_at && c->pace_at == E->now + 2 * MS,
	      "the release timer at pace_at, 2 ms on");
	CHECK_EQ(tcp_timers(E, E->now), c->pace_at, "the engine's next deadline");
	E->now += 1 * MS;
	conn_mark(c);
	tcp_flush(E);
	CHECK_EQ(ntx, 2, "an ACK-clocked flush before then sends nothing");
	tcp_timers(E, E->now + 1 * MS);
	CHECK_EQ(ntx, 4, "the timer releases the next two");
	/* a new connection's first 10 segments (its initial window) go
	 * unpaced, as Linux's; pacing starts at the 11th */
	c = conn(&stub_cc, 100000);
	c->rate.free_segs = 0;
	conn_mark(c);
	tcp_flush(E);
	CHECK_EQ(ntx, 12, "10 unpaced, then a quantum of two");
}

/* A timeout's retransmission is not held by the rate clock: at a slow
 * rate the next release is seconds ahead, and each expiry held behind it
 * would back off and spend a retry for a segment never sent. */
/* A connection paced at 1 kB/s (a segment per 1.4 s) that sent its first
 * quantum: its next release is seconds ahead. */
static struct tcp_conn *held_at_low_rate(int *sent)
{
	struct tcp_conn *c;

	memset(&stub, 0, sizeof(stub));
	stub.cwnd_segs = 1000;
	stub.pacing_rate = 1000;
	c = conn(&stub_cc, 100000);
	conn_mark(c);
	tcp_flush(E);
	*sent = ntx;
	CHECK(*sent >= 1 && *sent <= 3, "a quantum: %d segments", *sent);
	CHECK(c->pace_at > E->now + 2 * SEC, "the next release seconds ahead");
	return c;
}

static void test_pace_rto(void)
{
	struct tcp_conn *c;
	uint64_t rto_at;
	int sent;

	c = held_at_low_rate(&sent);
	rto_at = c->main_at;
	CHECK(c->timer_kind == TIMER_RTO && rto_at < c->pace_at,
	      "the RTO due before the release");
	tcp_timers(E, rto_at);
	CHECK(ntx > sent, "the timeout's retransmission goes at once (%d frames, %d before)",
	      ntx, sent);
	CHECK_EQ(E->st->rto_expiries, 1, "one expiry");
	CHECK_EQ(c->retries, 1, "one retry spent");
}

/* The release time was set at a far lower rate; the rate has grown since:
 * the connection waits one quantum at the new rate, not seconds. */
static void test_pace_rate_rise(void)
{
	struct tcp_conn *c;
	int sent;

	c = held_at_low_rate(&sent);
	c->pacing_rate = 10000000;		/* 10 MB/s now */
	conn_mark(c);
	tcp_flush(E);
	tcp_timers(E, E->now + 5 * MS);
	CHECK(ntx > sent, "sent within 5 ms of the rise (%d frames, %d before)", ntx, sent);
}

static void queue(struct tcp_conn *c, uint32_t bytes);

/* A driver that hands the engine a stale time (the queue loop's top of
 * loop after an app's descriptor moved the clock on) does not turn it
 * back: send times, pacing and rate samples only see it go forward. */
static void test_clock_forward(void)
{
	struct tcp_conn *c;

	memset(&stub, 0, sizeof(stub));
	stub.cwnd_segs = 10;
	c = conn(&stub_cc, 0);
	tcp_timers(E, E->now + 5 * MS);
	tcp_timers(E, E->now - 2 * MS);
	CHECK_EQ(E->now, 1005 * MS, "the clock stays");
	queue(c, 2 * MSS);
	CHECK_EQ(c->rate.rec[0].sent_ns, 1005 * MS, "sent at the newest time");
}

/* Linux's tcp_update_pacing_rate: cwnd * MSS / SRTT, x2 while cwnd is
 * below half ssthresh, x1.2 after; none without an RTT or with
 * --no-pacing. */
static void test_default_rate(void)
{
	struct tcp_conn *c = conn(&tcp_cc_cubic, 0);

	CHECK_EQ(c->pacing_rate, 0, "no RTT yet: unpaced");
	c->srtt_us = 10000;
	c->cwnd = 10 * MSS;
	pacing_default(c);
	CHECK_EQ(c->pacing_rate, 2000000, "slow start: 10 KB / 10 ms x 2");
	c->ssthresh = 20 * MSS;
	pacing_default(c);
	CHECK_EQ(c->pacing_rate, 1200000, "cwnd >= ssthresh/2: x 1.2");
	E->cfg.no_pacing = true;
	pacing_default(c);
	CHECK_EQ(c->pacing_rate, 0, "--no-pacing");
}

/* An ACK as rcv_ack takes it, with the estimator's two calls. */
static void ack(struct tcp_conn *c, uint32_t ackno)
{
	struct tcp_seg s = { .flags = TCPHDR_ACK, .ack = ackno };
	bool news, dsack;

	rack_input(c, &s);
	rate_ack_begin(c, &s);
	if (seq_gt(ackno, c->snd_una)) {
		uint32_t acked = ackno - c->snd_una;

		ring_consume(&c->snd, acked);
		c->snd_una = ackno;
		sb_trim(c);
		recovery_ack(c, acked);
	}
	sack_input(c, &s, &news, &dsack);
	rack_detect(c);
	rate_ack_end(c);
}

/* The app writes bytes (tcp_send), the engine sends what it may. */
static void queue(struct tcp_conn *c, uint32_t bytes)
{
	static uint8_t data[64 * 1024];

	CHECK_EQ(tcp_send(c, data, bytes), bytes, "written");
	tcp_flush(E);
}

/*
 * 3.4: the app wrote two segments and nothing more: the window was not
 * full, so the connection is app-limited and the sample of that data says
 * so (a max filter must not take its low rate as the path's). Once the app
 * keeps the window full and the app-limited data is delivered, samples are
 * not app-limited, and they measure the ACK rate.
 */
static void test_app_limited(void)
{
	struct tcp_conn *c;
	uint32_t una;

	memset(&stub, 0, sizeof(stub));
	stub.cwnd_segs = 10;
	c = conn(&stub_cc, 0);
	queue(c, 2 * MSS);
	CHECK_EQ(ntx, 2, "two segments out");
	CHECK_EQ(c->rate.app_limited, 2 * MSS, "app-limited until 2000 bytes are delivered");
	E->now += 10 * MS;
	ack(c, c->snd_max);
	CHECK(c->rate.last.is_app_limited, "the sample is app-limited");
	CHECK_EQ(c->rate.last.delivered, 2 * MSS, "2000 bytes");
	CHECK_EQ(c->rate.last.interval_us, 10000, "over 10 ms");
	CHECK_EQ(c->rate.last.rtt_us, 10000, "RTT 10 ms");
	CHECK_EQ(c->delivered, 2 * MSS, "C.delivered");
	CHECK_EQ(E->st->rate_samples_app_limited, 1, "counted");

	/* the app now keeps the window full: 10 segments, then one ACK per
	 * segment each millisecond, each releasing one more */
	queue(c, 60 * MSS);
	CHECK_EQ(ntx, 12, "a window of 10 more");
	una = c->snd_una;
	for (int i = 1; i <= 40; i++) {
		E->now += 1 * MS;
		ack(c, una + (uint32_t)i * MSS);
		conn_mark(c);
		tcp_flush(E);
		if (i == 1)
			CHECK(c->rate.last.is_app_limited,
			      "data sent in the app-limited phase still says so");
	}
	CHECK(!c->rate.app_limited, "the phase ended once its data was delivered");
	CHECK(!c->rate.last.is_app_limited, "a window-limited sample is not app-limited");
	CHECK(c->rate.last.delivered * 1000000 / c->rate.last.interval_us == 1000000,
	      "it measures the ACK clock: %llu bytes in %llu us",
	      (unsigned long long)c->rate.last.delivered,
	      (unsigned long long)c->rate.last.interval_us);
	CHECK_EQ(stub.cong_calls, 41, "cong_control on every ACK that delivered data");
	CHECK(!stub.bad_sample, "consistent samples");
}

/* A pure duplicate ACK delivers nothing: no sample, no cong_control. */
static void test_no_delivery(void)
{
	struct tcp_conn *c;

	memset(&stub, 0, sizeof(stub));
	stub.cwnd_segs = 10;
	c = conn(&stub_cc, 0);
	queue(c, 5 * MSS);
	E->now += 5 * MS;
	ack(c, c->snd_una);
	CHECK_EQ(stub.cong_calls, 0, "a duplicate ACK: not called");
	CHECK_EQ(c->delivered, 0, "nothing delivered");
	ack(c, c->snd_una + MSS);
	CHECK_EQ(stub.cong_calls, 1, "an ACK of one segment: called");
	CHECK_EQ(c->delivered, MSS, "one segment delivered");
}

/* ---- over the simulated link ---- */

static struct {
	uint64_t n, samples, app_limited, after_ns, seen;
	double rates[8192];
	uint64_t max_pacing, rec_full;
} est;

/* A's connection after each frame it takes in: a new sample? */
static void watch(void *arg, int side, struct tcp_conn *c, uint64_t now)
{
	const struct tcp_rate_sample *rs = &c->rate.last;

	(void)arg;
	if (side != 0)
		return;
	if (c->pacing_rate > est.max_pacing)
		est.max_pacing = c->pacing_rate;
	est.rec_full = c->e->st->rate_rec_full;
	if (!rs->interval_us || c->e->st->rate_samples == est.seen)
		return;
	est.seen = c->e->st->rate_samples;
	est.samples++;
	if (rs->is_app_limited) {
		est.app_limited++;
		return;
	}
	if (now >= est.after_ns && est.n < 8192)
		est.rates[est.n++] = (double)rs->delivered * 1e6 / (double)rs->interval_us;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A bottleneck of 20 Mbit/s from A, 10 ms each way, a queue of 64 KB. */
static void bottleneck(struct sim_cfg *cfg, const struct tcp_cc *cc, uint64_t bytes)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 7;
	cfg->bytes[0] = bytes;
	cfg->sack = cfg->ts = true;
	cfg->mss = 1460;
	cfg->sndbuf = cfg->rcvbuf = 512 * 1024;
	cfg->limit_ns = 300 * SEC;
	cfg->cc = cc;
	for (int d = 0; d < 2; d++)
		cfg->imp[d].delay_ns = 10 * MS;
	cfg->imp[0].rate_bps = 20000000;
	cfg->imp[0].queue_bytes = 64 * 1024;
}

/* payload bytes per second through the bottleneck: 1448 of 1514 bytes
 * of frame (MSS 1460 less the timestamps) */
static double payload_rate(const struct sim_cfg *cfg)
{
	return (double)cfg->imp[0].rate_bps / 8 * 1448 / 1514;
}

/*
 * The estimator behind a bottleneck: once the pipe is full (after 1 s),
 * the samples that are not app-limited sit at the bottleneck's payload
 * rate (median within 5%, 90% of them within 15%), and none is far above
 * it: a max filter over them finds the bottleneck.
 */
static void test_estimator(void)
{
	struct sim_cfg cfg;
	struct sim_result r;
	char why[256];
	double want, med, hi;
	uint64_t within = 0;

	bottleneck(&cfg, &tcp_cc_cubic, 8 << 20);
	memset(&est, 0, sizeof(est));
	est.after_ns = 1 * SEC;
	cfg.watch = watch;
	CHECK(!sim_run(&cfg, &r, why, sizeof(why), true), "cubic, 20 Mbit/s: %s", why);
	want = payload_rate(&cfg);
	CHECK(est.n > 500, "%llu samples after the first second", (unsigned long long)est.n);
	if (est.n < 10)
		return;
	qsort(est.rates, est.n, sizeof(est.rates[0]), cmp_double);
	med = est.rates[est.n / 2];
	hi = est.rates[est.n - 1];
	for (uint64_t i = 0; i < est.n; i++)
		within += fabs(est.rates[i] - want) <= 0.15 * want;
	printf("  bottleneck payload rate %.0f B/s: %llu samples, median %.0f (%.3f), "
	       "max %.0f (%.3f), %.1f%% within 15%%; %llu app-limited; %llu sends on a "
	       "full record list\n", want, (unsigned long long)est.n, med, med / want, hi,
	       hi / want, 100.0 * within / est.n, (unsigned long long)est.app_limited,
	       (unsigned long long)est.rec_full);
	CHECK(fabs(med - want) <= 0.05 * want, "median sample %.0f B/s, bottleneck %.0f",
	      med, want);
	CHECK(within * 10 >= est.n * 9, "%llu of %llu samples within 15%%",
	      (unsigned long long)within, (unsigned long long)est.n);
	CHECK(hi <= 1.10 * want, "the largest sample %.0f B/s, bottleneck %.0f", hi, want);
}

/*
 * CUBIC through the bottleneck, paced (the default) and not: the share of
 * the bottleneck it gets, and the queueing delay it causes, reported. A
 * loss-based algorithm fills a drop-tail queue either way; pacing takes
 * the bursts out of it.
 */
static void test_cubic_bottleneck(void)
{
	static const struct tcp_cc *const ccs[] = { &tcp_cc_cubic, &tcp_cc_newreno };

	for (int k = 0; k < 2; k++)
		for (int paced = 1; paced >= 0; paced--) {
			struct sim_cfg cfg;
			struct sim_result r;
			char why[256];
			double share, mean;

			bottleneck(&cfg, ccs[k], 8 << 20);
			cfg.no_pacing = !paced;
			memset(&est, 0, sizeof(est));
			cfg.watch = watch;
			CHECK(!sim_run(&cfg, &r, why, sizeof(why), false), "%s: %s",
			      ccs[k]->name, why);
			share = (double)cfg.bytes[0] / ((double)r.end_ns / SEC) / payload_rate(&cfg);
			mean = r.queued[0] ? (double)r.qdelay_sum_ns[0] / r.queued[0] / MS : 0;
			printf("  %s %s: 8 MiB in %.3f s, %.1f%% of the bottleneck; queue wait "
			       "mean %.2f ms max %.2f ms; %llu dropped by the queue, %llu "
			       "retransmits, %llu RTOs\n", ccs[k]->name,
			       paced ? "paced" : "unpaced", (double)r.end_ns / SEC, 100 * share,
			       mean, (double)r.qdelay_max_ns[0] / MS,
			       (unsigned long long)r.qdrops[0],
			       (unsigned long long)r.retransmits,
			       (unsigned long long)r.rto_expiries);
			CHECK(share >= 0.85, "%s %s: %.1f%% of the bottleneck (want >= 85%%)",
			      ccs[k]->name, paced ? "paced" : "unpaced", 100 * share);
			CHECK(paced ? est.max_pacing > 0 : est.max_pacing == 0,
			      "%s: pacing rate %llu", paced ? "paced" : "--no-pacing",
			      (unsigned long long)est.max_pacing);
		}
}

/*
 * What pacing is for: a queue far shallower than the window (16 KB at
 * 50 Mbit/s and 40 ms, 6% of the path's BDP). Unpaced, slow start's
 * line-rate bursts overflow it long before the pipe is full and the
 * window is cut early; paced, the same data arrives spread out and slow
 * start runs on. 4 MiB, three seeds (with jitter), each congestion
 * control: paced at least 1.5 times as fast.
 */
static void test_shallow_queue(void)
{
	static const struct tcp_cc *const ccs[] = { &tcp_cc_cubic, &tcp_cc_newreno };

	for (int k = 0; k < 2; k++)
		for (uint64_t seed = 1; seed <= 3; seed++) {
			double t[2];

			for (int paced = 0; paced < 2; paced++) {
				struct sim_cfg cfg;
				struct sim_result r;
				char why[256];

				bottleneck(&cfg, ccs[k], 4 << 20);
				cfg.seed = seed;
				cfg.sndbuf = cfg.rcvbuf = 1024 * 1024;
				for (int d = 0; d < 2; d++) {
					cfg.imp[d].delay_ns = 20 * MS;
					cfg.imp[d].jitter_ns = 200000;
				}
				cfg.imp[0].rate_bps = 50000000;
				cfg.imp[0].queue_bytes = 16384;
				cfg.no_pacing = !paced;
				CHECK(!sim_run(&cfg, &r, why, sizeof(why), false), "%s: %s",
				      ccs[k]->name, why);
				t[paced] = (double)r.end_ns / SEC;
			}
			printf("  %s seed %llu, 16 KB queue: unpaced %.3f s, paced %.3f s\n",
			       ccs[k]->name, (unsigned long long)seed, t[0], t[1]);
			CHECK(t[1] * 1.5 <= t[0], "%s seed %llu: paced %.3f s, unpaced %.3f s",
			      ccs[k]->name, (unsigned long long)seed, t[1], t[0]);
		}
}

/*
 * The hooks, with the stub over a lossy bottleneck, with SACK (RACK and
 * PRR's path) and without (RFC 6582's), and with reordering (undo): every
 * ACK that delivered data reaches cong_control and the engine never
 * touches the stub's window; RECOVERY follows loss() in recovery,
 * RECOVERED leaves it, RTO after the loss window, TX_START with nothing in
 * flight; ack() is never called; the data arrives.
 */
static uint64_t undos;

static void hooks_run(const char *name, bool sack, uint32_t loss, uint32_t reorder)
{
	struct sim_cfg cfg;
	struct sim_result r;
	char why[256];

	memset(&stub, 0, sizeof(stub));
	stub.cwnd_segs = 20;
	stub.pacing_rate = 2000000;
	bottleneck(&cfg, &stub_cc, 2 << 20);
	cfg.bytes[1] = 256 * 1024;
	cfg.sack = sack;
	for (int d = 0; d < 2; d++) {
		cfg.imp[d].loss = loss;
		cfg.imp[d].reorder = reorder;
		cfg.imp[d].reorder_ns = 3 * MS;
	}
	CHECK(!sim_run(&cfg, &r, why, sizeof(why), false), "%s: %s", name, why);
	printf("  %s: %llu cong_control, %llu loss(), recovery %llu/%llu, RTO %llu, "
	       "undo %llu, tx_start %llu; %llu fast retransmits, %llu RTOs\n", name,
	       (unsigned long long)stub.cong_calls, (unsigned long long)stub.loss_calls,
	       (unsigned long long)stub.ev[CC_EV_RECOVERY],
	       (unsigned long long)stub.ev[CC_EV_RECOVERED],
	       (unsigned long long)stub.ev[CC_EV_RTO], (unsigned long long)stub.ev[CC_EV_UNDO],
	       (unsigned long long)stub.ev[CC_EV_TX_START],
	       (unsigned long long)r.fast_retransmits, (unsigned long long)r.rto_expiries);
	CHECK(stub.cong_calls > 300, "%s: cong_control called (%llu)", name,
	      (unsigned long long)stub.cong_calls);
	CHECK_EQ(stub.ack_calls, 0, "ack() never called");
	CHECK_EQ(stub.bad_cwnd, 0, "the engine left the window alone");
	CHECK_EQ(stub.bad_sample, 0, "samples consistent");
	CHECK_EQ(stub.bad_order, 0, "events in order and in their states");
	CHECK_EQ(stub.ev[CC_EV_RECOVERY], r.fast_retransmits, "RECOVERY per recovery");
	CHECK(stub.ev[CC_EV_RECOVERED] <= stub.ev[CC_EV_RECOVERY] &&
	      stub.ev[CC_EV_RECOVERED] + stub.ev[CC_EV_RTO] + 2 >= stub.ev[CC_EV_RECOVERY],
	      "%s: RECOVERED ends all but those a timeout ended", name);
	CHECK(stub.ev[CC_EV_RTO] <= r.rto_expiries, "RTO events <= timeouts");
	CHECK(stub.ev[CC_EV_TX_START] >= 2, "TX_START on both sides");
	CHECK(stub.newly_acked >= cfg.bytes[0] + cfg.bytes[1],
	      "%s: every byte delivered reached cong_control (%llu of %llu)", name,
	      (unsigned long long)stub.newly_acked,
	      (unsigned long long)(cfg.bytes[0] + cfg.bytes[1]));
	CHECK_EQ(stub.ev[CC_EV_UNDO], r.undos, "UNDO per undo");
	undos = r.undos;
}

static void test_hooks(void)
{
	hooks_run("stub, 2% loss, SACK", true, 20000, 0);
	CHECK(stub.ev[CC_EV_RECOVERY] > 0 && stub.ev[CC_EV_RECOVERED] > 0,
	      "recoveries began and ended");
	hooks_run("stub, 2% loss, no SACK", false, 20000, 0);
	CHECK(stub.ev[CC_EV_RECOVERY] > 0, "NewReno recoveries");
	hooks_run("stub, 10% reordering, SACK", true, 0, 100000);
	CHECK(undos > 0, "spurious recoveries undone (%llu)", (unsigned long long)undos);
}

static const struct check_case tests[] = {
	CHECK_CASE(test_pace_spacing),
	CHECK_CASE(test_pace_unpaced),
	CHECK_CASE(test_pace_rto),
	CHECK_CASE(test_pace_rate_rise),
	CHECK_CASE(test_clock_forward),
	CHECK_CASE(test_default_rate),
	CHECK_CASE(test_app_limited),
	CHECK_CASE(test_no_delivery),
	CHECK_CASE(test_estimator),
	CHECK_CASE(test_cubic_bottleneck),
	CHECK_CASE(test_shallow_queue),
	CHECK_CASE(test_hooks),
};

static void reset(void)
{
	if (E)
		tcp_engine_free(E);
	E = NULL;
}

int main(int argc, char **argv)
{
	return check_run("unit/tcp_pacing", tests, sizeof(tests) / sizeof(tests[0]),
			 reset, argc, argv);
}
