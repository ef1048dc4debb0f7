// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The simulated network of simnet.h. Frames in flight sit in an evq on
 * their arrival time (ties in send order); the clock jumps from event to
 * event, so a minute of virtual time with 50 ms RTTs costs milliseconds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "evq.h"
#include "frames.h"
#include "simnet.h"
#include "tcp/rng.h"
#include "tcp/tcp.h"

#define SEC 1000000000ULL
#define MS 1000000ULL
#define FRAME_CAP 2048

struct sim_frame {
	int to;
	uint32_t len;
	uint8_t data[];
};

struct sim;

struct sim_side {
	struct sim *sim;
	int idx;
	struct tcp_engine *e;
	uint8_t txbuf[FRAME_CAP];
	bool held;			/* tx_buf given, tx_send not yet */
	uint64_t total, sent, rcvd, bad;
	int connected, peer_closed, closed, reset;
	uint8_t salt;
};

struct sim {
	const struct sim_cfg *cfg;
	uint64_t rng, now;
	struct sim_side side[2];
	struct evq inflight;		/* struct sim_frame, by arrival time */
	uint64_t link_free[2];
	uint64_t qdep[2][SIM_QUEUE_MAX];	/* departures of queued frames */
	uint32_t qhead[2], qn[2];
	bool bad_state[2];
	uint64_t allocated, freed, tx_leaks;
	struct sim_result *r;
};

static struct sim *cur;		/* the app callbacks' way back */

static uint64_t rnd(uint64_t *x)
{
	return splitmix64(x);
}

static bool chance(uint64_t *x, uint32_t ppm)
{
	return ppm && rnd(x) % 1000000 < ppm;
}

static uint64_t below(uint64_t *x, uint64_t n)
{
	return n ? rnd(x) % n : 0;
}

static uint8_t pat(uint8_t salt, uint64_t i)
{
	return (uint8_t)((i * 131 + salt) ^ (i >> 11));
}

/* ---- frames in flight ---- */

static void enqueue(struct sim *s, int to, const uint8_t *buf, uint32_t len,
		    uint64_t at)
{
	struct sim_frame *f = malloc(sizeof(*f) + len);

	if (!f)
		abort();
	s->allocated++;
	f->to = to;
	f->len = len;
	memcpy(f->data, buf, len);
	if (evq_push(&s->inflight, at, f))
		abort();
}

/* The link from side d: bottleneck, loss, corruption, delay, reordering,
 * duplication, in that order. */
static void link_send(struct sim *s, int d, uint8_t *buf, uint32_t len)
{
	const struct sim_imp *im = &s->cfg->imp[d];
	uint64_t depart = s->now, at;

	s->r->frames++;
	if (s->cfg->tx)
		s->cfg->tx(s->cfg->arg, d, len, s->now);
	if (getenv("SIMNET_TRACE"))
		printf("%10.6f %c-> %u bytes\n", (double)(s->now % (1000 * SEC)) / SEC, 'A' + d, len);
	if (im->rate_bps) {
		uint64_t backlog_ns = s->link_free[d] > s->now ? s->link_free[d] - s->now : 0;
		uint32_t qmax = im->queue_pkts < SIM_QUEUE_MAX ? im->queue_pkts : SIM_QUEUE_MAX;

		/* frames whose last bit left are out of the queue */
		while (s->qn[d] && s->qdep[d][s->qhead[d]] <= s->now) {
			s->qhead[d] = (s->qhead[d] + 1) % SIM_QUEUE_MAX;
			s->qn[d]--;
		}
		if (backlog_ns * im->rate_bps / 8 / SEC > im->queue_bytes ||
		    (qmax && s->qn[d] >= qmax) || s->qn[d] == SIM_QUEUE_MAX) {
			if (getenv("SIMNET_TRACE"))
				printf("   queue full: backlog %llu ns\n", (unsigned long long)backlog_ns);
			s->r->lost++;		/* the queue is full */
			s->r->qdrops[d]++;
			return;
		}
		depart = (s->link_free[d] > s->now ? s->link_free[d] : s->now) +
			 (uint64_t)len * 8 * SEC / im->rate_bps;
		s->link_free[d] = depart;
		s->qdep[d][(s->qhead[d] + s->qn[d]) % SIM_QUEUE_MAX] = depart;
		s->qn[d]++;
		s->r->queued[d]++;
		s->r->qdelay_sum_ns[d] += backlog_ns;
		if (backlog_ns > s->r->qdelay_max_ns[d])
			s->r->qdelay_max_ns[d] = backlog_ns;
	}
	s->bad_state[d] = s->bad_state[d] ? chance(&s->rng, im->burst_stay)
					   : chance(&s->rng, im->burst);
	if (s->bad_state[d] || chance(&s->rng, im->loss)) {
		if (getenv("SIMNET_TRACE"))
			printf("   lost%s\n", s->bad_state[d] ? " (burst)" : "");
		s->r->lost++;
		return;
	}
	if (chance(&s->rng, im->corrupt) && len > 14 + 20) {
		/* any byte past Ethernet: the IP or TCP checksum must catch it */
		buf[14 + below(&s->rng, len - 14)] ^= (uint8_t)(1 + below(&s->rng, 255));
		s->r->corrupted++;
	}
	at = depart + im->delay_ns + below(&s->rng, im->jitter_ns + 1);
	if (chance(&s->rng, im->reorder))
		at += im->reorder_ns;
	if (getenv("SIMNET_TRACE"))
		printf("   arrives at %.6f\n", (double)(at % (1000 * SEC)) / SEC);
	enqueue(s, !d, buf, len, at);
	if (chance(&s->rng, im->dup)) {
		s->r->duplicated++;
		enqueue(s, !d, buf, len, at + below(&s->rng, im->jitter_ns + 1) + 1);
	}
}

/* ---- the engines' I/O ---- */

static uint8_t *io_tx_buf(void *ctx, uint32_t *cap)
{
	struct sim_side *sd = ctx;

	if (sd->held)
		sd->sim->tx_leaks++;	/* a buffer was taken and never sent */
	sd->held = true;
	*cap = FRAME_CAP;
	return sd->txbuf;
}

static void io_tx_send(void *ctx, uint8_t *buf, uint32_t len)
{
	struct sim_side *sd = ctx;

	sd->held = false;
	link_send(sd->sim, sd->idx, buf, len);
}

/* ---- the application on both ends ---- */

static void pump(struct tcp_conn *c, struct sim_side *sd)
{
	uint8_t buf[16384];
	size_t n, i;
	ssize_t w;

	while (sd->sent < sd->total && (n = tcp_send_space(c))) {
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > sd->total - sd->sent)
			n = sd->total - sd->sent;
		for (i = 0; i < n; i++)
			buf[i] = pat(sd->salt, sd->sent + i);
		w = tcp_send(c, buf, n);
		if (w <= 0)
			return;
		sd->sent += (uint64_t)w;
	}
	if (sd->sent == sd->total)
		tcp_shutdown(c);
}

static void app_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	struct sim_side *sd = *(struct sim_side **)ctx, *other;
	uint8_t buf[16384];
	size_t n, i;

	if (!sd) {	/* B's passive connection */
		sd = &cur->side[1];
		*(struct sim_side **)ctx = sd;
	}
	other = &cur->side[!sd->idx];
	switch (ev) {
	case TCP_EV_CONNECTED:
	case TCP_EV_ACCEPTED:
		sd->connected++;
		pump(c, sd);
		break;
	case TCP_EV_WRITABLE:
		pump(c, sd);
		break;
	case TCP_EV_READABLE:
		while ((n = tcp_recv(c, buf, sizeof(buf)))) {
			for (i = 0; i < n; i++)
				if (buf[i] != pat(other->salt, sd->rcvd + i))
					sd->bad++;
			sd->rcvd += n;
		}
		break;
	case TCP_EV_PEER_CLOSED:
		sd->peer_closed++;
		break;
	case TCP_EV_CLOSED:
		sd->closed++;
		break;
	case TCP_EV_RESET:
		sd->reset++;
		break;
	case TCP_EV_TIMER:	/* the simulated app arms none */
		break;
	}
}

static const struct tcp_app sim_app = {
	.name = "sim", .ctx_size = sizeof(void *), .event = app_event,
};

static int new_engine(struct sim *s, int idx)
{
	const struct sim_cfg *sc = s->cfg;
	struct sim_side *sd = &s->side[idx];
	struct tcp_cfg cfg;

	tcp_cfg_default(&cfg);
	cfg.max_conns = 4;
	cfg.app = &sim_app;
	cfg.time_wait_ns = 60 * SEC;	/* longer than the peer's retry chain */
	cfg.max_retries = cfg.syn_retries = 30;	/* bursts eat a dozen in a row */
	cfg.rto_max_ms = 4000;
	cfg.mss4 = sc->mss;
	cfg.sndbuf = sc->sndbuf;
	cfg.rcvbuf = sc->rcvbuf;
	cfg.syn_window = 65535;
	if (sc->cc)
		cfg.cc = sc->cc;
	cfg.sack = sc->sack;
	cfg.timestamps = sc->ts;
	cfg.no_pacing = sc->no_pacing;
	cfg.secret[0] = 42;
	cfg.seed = sc->seed * 2 + (uint64_t)idx + 1;
	cfg.io = (struct tcp_io){ .ctx = sd, .tx_buf = io_tx_buf, .tx_send = io_tx_send };
	sd->sim = s;
	sd->idx = idx;
	sd->total = sc->bytes[idx];
	sd->salt = (uint8_t)(17 + 74 * idx);
	return tcp_engine_new(&cfg, &sd->e);
}

/* ---- invariants while it runs ---- */

struct bounds_arg {
	const struct sim_cfg *cfg;
	char *why;
	size_t len;
	int bad;
};

static int check_conn(struct tcp_conn *c, void *arg)
{
	struct bounds_arg *b = arg;
	struct tcp_conn_info i;

	tcp_conn_get_info(c, &i);
	if (i.state < 3 /* ESTABLISHED */ || i.state == 9 /* TIME-WAIT */)
		return 0;
	if (i.cwnd < i.mss || i.cwnd > (1u << 30))
		snprintf(b->why, b->len, "cwnd %u out of [MSS %u, 2^30]", i.cwnd, i.mss);
	else if (i.snd_queued > b->cfg->sndbuf || i.rcv_queued > b->cfg->rcvbuf)
		snprintf(b->why, b->len, "buffers over their size: snd %u rcv %u",
			 i.snd_queued, i.rcv_queued);
	else if ((int32_t)(i.snd_nxt - (i.snd_una + i.snd_wnd + i.mss + 1)) > 0)
		snprintf(b->why, b->len, "sent past the peer's window: nxt %u una %u wnd %u",
			 i.snd_nxt, i.snd_una, i.snd_wnd);
	else if (i.rcv_wnd > b->cfg->rcvbuf)
		snprintf(b->why, b->len, "receive window %u over the buffer", i.rcv_wnd);
	else
		return 0;
	b->bad = 1;
	return 1;
}

static bool finished(const struct sim *s)
{
	for (int i = 0; i < 2; i++)
		if (s->side[i].closed + s->side[i].reset == 0 ||
		    tcp_conn_count(s->side[i].e))
			return false;
	return !s->inflight.n;
}

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int verdict(struct sim *s, char *why, size_t len)
{
	struct sim_side *a = &s->side[0], *b = &s->side[1];
	uint64_t na, nb;

	if (!a->connected || !b->connected)
		return fail(why, len, "not connected (A %d, B %d)", a->connected, b->connected);
	if (a->reset || b->reset)
		return fail(why, len, "reset (A %d, B %d)", a->reset, b->reset);
	if (a->rcvd != b->total || b->rcvd != a->total)
		return fail(why, len, "delivered A<-B %llu of %llu, B<-A %llu of %llu",
			    (unsigned long long)a->rcvd, (unsigned long long)b->total,
			    (unsigned long long)b->rcvd, (unsigned long long)a->total);
	if (a->bad || b->bad)
		return fail(why, len, "%llu bytes wrong", (unsigned long long)(a->bad + b->bad));
	if (a->peer_closed != 1 || b->peer_closed != 1 || a->closed != 1 || b->closed != 1)
		return fail(why, len, "close: peer_closed %d/%d closed %d/%d",
			    a->peer_closed, b->peer_closed, a->closed, b->closed);
	if (tcp_conn_count(a->e) || tcp_conn_count(b->e))
		return fail(why, len, "connections left: A %u, B %u",
			    tcp_conn_count(a->e), tcp_conn_count(b->e));
	na = tcp_timers(a->e, s->now);
	nb = tcp_timers(b->e, s->now);
	if (na || nb)
		return fail(why, len, "timers left armed");
	if (s->inflight.n || s->allocated != s->freed)
		return fail(why, len, "frames leaked: %zu in flight, %llu made, %llu freed",
			    s->inflight.n, (unsigned long long)s->allocated,
			    (unsigned long long)s->freed);
	if (s->tx_leaks || a->held || b->held)
		return fail(why, len, "a TX buffer was taken and not sent");
	return 0;
}

/* SIMNET_TRACE=1: every frame as it arrives, for a failing seed */
static void trace_frame(const struct sim *s, const struct sim_frame *f)
{
	struct frame_view v;

	if (frame_parse(f->data, f->len, &v)) {
		printf("%10.6f %c<- bad frame\n", (double)(s->now % (1000 * SEC)) / SEC, 'A' + f->to);
		return;
	}
	printf("%10.6f %c<- %c%c%c%c seq %u ack %u len %zu win %u%s\n",
	       (double)(s->now % (1000 * SEC)) / SEC, 'A' + f->to,
	       v.flags & TCPHDR_SYN ? 'S' : '.', v.flags & TCPHDR_FIN ? 'F' : '.',
	       v.flags & TCPHDR_RST ? 'R' : '.', v.flags & TCPHDR_ACK ? 'A' : '.',
	       v.seq, v.ack, v.tcp_len - v.doff * 4, v.window,
	       v.tcp_csum_ok ? "" : " (bad checksum)");
}

static int trace_conn(struct tcp_conn *c, void *arg)
{
	struct tcp_conn_info i;

	(void)arg;
	tcp_conn_get_info(c, &i);
	printf("           %s una %u nxt %u wnd %u rcv_nxt %u rcv_wnd %u cwnd %u ssthresh %u "
	       "rto %u%s queued %u/%u\n", tcp_state_name(i.state), i.snd_una, i.snd_nxt,
	       i.snd_wnd, i.rcv_nxt, i.rcv_wnd, i.cwnd, i.ssthresh, i.rto_ms,
	       i.in_recovery ? " recovery" : "", i.snd_queued, i.rcv_queued);
	return 0;
}

struct watch_arg {
	const struct sim_cfg *cfg;
	int side;
	uint64_t now;
};

static int watch_conn(struct tcp_conn *c, void *arg)
{
	struct watch_arg *w = arg;

	w->cfg->watch(w->cfg->arg, w->side, c, w->now);
	return 0;
}

int sim_run(const struct sim_cfg *cfg, struct sim_result *r, char *why,
	    size_t whylen, bool verbose)
{
	bool trace = verbose && getenv("SIMNET_TRACE");
	static const uint64_t start = 5000 * SEC;
	struct sim s = { .cfg = cfg, .r = r, .now = start };
	struct tcp_tuple t = { .l2_len = 14,
			       .l2 = { 2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 8, 0 } };
	struct bounds_arg bounds = { .cfg = cfg, .why = why, .len = whylen };
	struct tcp_conn *c;
	int err = -1;

	memset(r, 0, sizeof(*r));
	why[0] = 0;
	s.rng = cfg->seed ^ 0x5eed;
	cur = &s;
	if (new_engine(&s, 0) || new_engine(&s, 1)) {
		fail(why, whylen, "engine: cannot create");
		goto out;
	}
	tcp_listen(s.side[1].e, 80);
	t.key.client[2] = t.key.server[2] = htonl(0xffff);
	t.key.client[3] = htonl(0x0a000002);	/* B, the peer of A */
	t.key.server[3] = htonl(0x0a000001);	/* A */
	t.key.client_port = htons(80);
	t.key.server_port = htons(50000);
	if (tcp_connect(s.side[0].e, &t, &sim_app, s.now, &c)) {
		fail(why, whylen, "connect failed");
		goto out;
	}
	*(struct sim_side **)tcp_ctx(c) = &s.side[0];
	tcp_flush(s.side[0].e);

	for (;;) {
		uint64_t next = 0, n;

		while (s.inflight.n && evq_next(&s.inflight) <= s.now) {
			struct sim_frame *f = evq_pop(&s.inflight);

			if (trace)
				trace_frame(&s, f);
			tcp_input(s.side[f->to].e, f->data, f->len, NULL, s.now);
			tcp_flush(s.side[f->to].e);
			if (cfg->watch) {
				struct watch_arg w = { cfg, f->to, s.now };

				tcp_conn_foreach(s.side[f->to].e, watch_conn, &w);
			}
			if (trace)
				tcp_conn_foreach(s.side[f->to].e, trace_conn, NULL);
			free(f);
			s.freed++;
		}
		for (int i = 0; i < 2; i++) {
			n = tcp_timers(s.side[i].e, s.now);
			if (n && (!next || n < next))
				next = n;
			tcp_conn_foreach(s.side[i].e, check_conn, &bounds);
		}
		if (bounds.bad)
			goto out;
		if (!s.side[0].closed && !s.side[0].reset)
			r->end_ns = s.now - start;
		if (finished(&s))
			break;
		if (s.inflight.n && (!next || evq_next(&s.inflight) < next))
			next = evq_next(&s.inflight);
		if (!next)
			break;		/* nothing will ever happen again */
		if (next - start > cfg->limit_ns) {
			fail(why, whylen, "not done after %llu virtual s (A sent %llu rcvd %llu, B sent %llu rcvd %llu)",
			     (unsigned long long)(cfg->limit_ns / SEC),
			     (unsigned long long)s.side[0].sent, (unsigned long long)s.side[0].rcvd,
			     (unsigned long long)s.side[1].sent, (unsigned long long)s.side[1].rcvd);
			goto out;
		}
		s.now = next > s.now ? next : s.now;
	}
	err = verdict(&s, why, whylen);
out:
	for (int i = 0; i < 2; i++) {
		const struct xtcp_engine_stats *st;

		if (!s.side[i].e)
			continue;
		st = tcp_stats(s.side[i].e);
		if (verbose)
			printf("  %c: rst in %llu out %llu, retry aborts %llu, keepalive aborts %llu, "
			       "challenge ACKs %llu, PAWS %llu, unacceptable %llu, no conn %llu, "
			       "checksum %llu, RTOs %llu\n", 'A' + i,
			       (unsigned long long)st->rst_in, (unsigned long long)st->rst_out,
			       (unsigned long long)st->retry_aborts,
			       (unsigned long long)st->keepalive_aborts,
			       (unsigned long long)st->challenge_acks,
			       (unsigned long long)st->drop_paws,
			       (unsigned long long)st->drop_unacceptable,
			       (unsigned long long)st->drop_no_conn,
			       (unsigned long long)st->drop_csum,
			       (unsigned long long)st->rto_expiries);
		r->retransmits += st->retransmits;
		r->fast_retransmits += st->fast_retransmits;
		r->rto_expiries += st->rto_expiries;
		r->dsacks_in += st->dsacks_in;
		r->undos += st->undos;
		r->drop_csum += st->drop_csum + st->drop_malformed;
		tcp_engine_free(s.side[i].e);
	}
	if (verbose)
		printf("  %.3f virtual s, %llu frames, %llu lost, %llu corrupted, %llu duplicated; "
		       "%llu retransmits, %llu fast retransmits, %llu RTOs, %llu D-SACKs\n",
		       (double)r->end_ns / SEC, (unsigned long long)r->frames,
		       (unsigned long long)r->lost, (unsigned long long)r->corrupted,
		       (unsigned long long)r->duplicated, (unsigned long long)r->retransmits,
		       (unsigned long long)r->fast_retransmits,
		       (unsigned long long)r->rto_expiries, (unsigned long long)r->dsacks_in);
	for (int d = 0; d < 2 && verbose; d++)
		if (r->queued[d] || r->qdrops[d])
			printf("  bottleneck %s: %llu frames queued, wait mean %.3f ms max %.3f ms, "
			       "%llu dropped by the full queue\n", d ? "B->A" : "A->B",
			       (unsigned long long)r->queued[d],
			       r->queued[d] ? (double)r->qdelay_sum_ns[d] / r->queued[d] / MS : 0.0,
			       (double)r->qdelay_max_ns[d] / MS, (unsigned long long)r->qdrops[d]);
	while (s.inflight.n)
		free(evq_pop(&s.inflight));
	evq_free(&s.inflight);
	cur = NULL;
	return err;
}

void sim_cfg_random(struct sim_cfg *cfg, uint64_t seed)
{
	uint64_t x = seed;

	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = seed;
	for (int d = 0; d < 2; d++) {
		struct sim_imp *im = &cfg->imp[d];

		im->loss = (uint32_t)below(&x, 100000);		/* up to 10% */
		if (chance(&x, 250000)) {
			im->burst = (uint32_t)below(&x, 20000);
			im->burst_stay = (uint32_t)below(&x, 700000);
		}
		im->reorder = chance(&x, 500000) ? (uint32_t)below(&x, 200000) : 0;
		im->dup = chance(&x, 300000) ? (uint32_t)below(&x, 50000) : 0;
		im->corrupt = chance(&x, 300000) ? (uint32_t)below(&x, 20000) : 0;
		im->delay_ns = (1 + below(&x, 50)) * MS;
		im->jitter_ns = below(&x, 5 * MS);
		im->reorder_ns = below(&x, 10 * MS);
		if (chance(&x, 600000)) {
			im->rate_bps = (1 + below(&x, 200)) * 1000000;
			im->queue_bytes = (uint32_t)(8192 + below(&x, 256 * 1024));
		}
	}
	for (int d = 0; d < 2; d++)
		cfg->bytes[d] = chance(&x, 100000) ? 0 : below(&x, 300 * 1024);
	cfg->cc = chance(&x, 500000) ? &tcp_cc_cubic : &tcp_cc_newreno;
	cfg->sack = chance(&x, 750000);
	cfg->ts = chance(&x, 750000);
	cfg->mss = (uint16_t)(536 + below(&x, 1460 - 536 + 1));
	cfg->sndbuf = 65536u << below(&x, 3);
	cfg->rcvbuf = 65536u << below(&x, 3);
	cfg->limit_ns = 1200 * SEC;
}

static void imp_print(const char *dir, const struct sim_imp *im)
{
	printf("  %s: loss %.2f%% burst %.2f%%/%.0f%% reorder %.2f%% (+%llu ms) dup %.2f%% "
	       "corrupt %.2f%% delay %llu ms jitter %llu us rate %llu Mbit/s queue %u\n",
	       dir, im->loss / 1e4, im->burst / 1e4, im->burst_stay / 1e4,
	       im->reorder / 1e4, (unsigned long long)(im->reorder_ns / MS),
	       im->dup / 1e4, im->corrupt / 1e4,
	       (unsigned long long)(im->delay_ns / MS),
	       (unsigned long long)(im->jitter_ns / 1000),
	       (unsigned long long)(im->rate_bps / 1000000), im->queue_bytes);
}

void sim_cfg_print(const struct sim_cfg *cfg)
{
	printf("  seed %llu: A sends %llu, B sends %llu; cc %s, SACK %s, timestamps %s, "
	       "MSS %u, sndbuf %u, rcvbuf %u\n",
	       (unsigned long long)cfg->seed, (unsigned long long)cfg->bytes[0],
	       (unsigned long long)cfg->bytes[1], cfg->cc ? cfg->cc->name : "default",
	       cfg->sack ? "on" : "off", cfg->ts ? "on" : "off", cfg->mss,
	       cfg->sndbuf, cfg->rcvbuf);
	imp_print("A->B", &cfg->imp[0]);
	imp_print("B->A", &cfg->imp[1]);
}
