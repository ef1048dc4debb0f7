// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Birth of a connection whose third ACK XDP accepted but the engine never
 * saw (the AF_XDP RX ring was full): the client's next segment arrives as a
 * known flow without the NEW mark and must be born from its cookie; one
 * whose cookie does not verify is refused and its flow given back. Also the
 * sweep's question (does a connection own this flow?), and what a segment
 * the engine refuses may draw: ACKs to bogus segments at most one per
 * 500 ms per connection, challenge ACKs that tell an off-path prober
 * nothing. Virtual clock, a scripted peer, no I/O.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "capture.h"
#include "check.h"
#include "frames.h"
#include "xtcp/cookie.h"
#include "tcp/tcp.h"

#define IRS 5000u
#define SEC 1000000000ULL
#define MS 1000000ULL

static struct {
	struct tcp_engine *e;
	struct tcp_cfg cfg;
	struct capture cap;	/* what the engine sent */
	__u64 now;
	int flows_gone;
	struct xtcp_flow_key gone_key;
	int accepted, peer_closed, resets;
	bool abort_on_reset;	/* the app aborts a connection that reset */
	__u8 rx[4096];
	size_t rxlen;
} H;


static void io_flow_gone(void *ctx, const struct xtcp_flow_key *k)
{
	(void)ctx;
	H.flows_gone++;
	H.gone_key = *k;
}

static void rec_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	(void)ctx;
	if (ev == TCP_EV_ACCEPTED)
		H.accepted++;
	if (ev == TCP_EV_PEER_CLOSED)
		H.peer_closed++;
	if (ev == TCP_EV_RESET) {
		H.resets++;
		if (H.abort_on_reset)
			tcp_abort(c);
	}
	if (ev == TCP_EV_READABLE)
		H.rxlen += tcp_recv(c, H.rx + H.rxlen, sizeof(H.rx) - H.rxlen);
}

static const struct tcp_app rec_app = { .name = "rec", .event = rec_event };

static void setup_n(__u32 max_conns, __u32 challenge_limit)
{
	if (H.e)
		tcp_engine_free(H.e);
	memset(&H, 0, sizeof(H));
	tcp_cfg_default(&H.cfg);
	H.cfg.max_conns = max_conns;
	H.cfg.challenge_ack_limit = challenge_limit;
	H.cfg.sndbuf = H.cfg.rcvbuf = 65536;
	H.cfg.delack_ms = 0;
	H.cfg.app = &rec_app;
	H.cfg.secret[0] = 0x1122334455667788ULL;
	H.cfg.secret[1] = 0x99aabbccddeeff00ULL;
	H.cfg.io = (struct tcp_io){ .flow_gone = io_flow_gone };
	capture_io(&H.cap, &H.cfg.io);
	H.now = 5000 * SEC;	/* tai_offset 0: TAI = this clock */
	if (tcp_engine_new(&H.cfg, &H.e))
		abort();
	/* no tcp_listen: with XDP in front the engine answers no SYN, and a
	 * known flow must be born without the listen bitmap's help */
}

static void setup(void)
{
	setup_n(4, 0);
}

/* The cookie XDP's SYN-ACK carried for the default client's SYN `irs`,
 * made `age` periods ago. */
static __u32 cookie_for(__u32 irs, __u32 age)
{
	struct frame_spec fs;
	struct xtcp_flow_key fk;
	__u32 period = xtcp_cookie_period(H.now) - age;
	__u64 k[2];

	frame_spec_default(&fs, 0);
	frame_flow_key(&fs, &fk);
	xtcp_cookie_key(H.cfg.secret, period, k);
	return xtcp_cookie_make(k, period, &fk, 0, irs, xtcp_mss_index(0, 1460));
}

/* A segment of a flow XDP knows: metadata without the NEW mark. */
static void known(__u8 flags, __u32 seq, __u32 ack, const void *d, size_t len,
		  int ts, __u32 tsecr)
{
	struct xtcp_meta m = { .magic = XTCP_META_MAGIC };
	struct frame_spec s;
	__u8 buf[2048];
	size_t n;

	frame_spec_default(&s, 0);
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.window = 1000;
	s.wscale = -1;
	s.payload = d;
	s.payload_len = len;
	s.ts = ts;
	s.tsval = 4242;
	s.tsecr = tsecr;
	n = frame_build(&s, buf, sizeof(buf));
	tcp_input(H.e, buf, n, &m, H.now);
	tcp_flush(H.e);
}

/* A segment from client port sport; with new_conn, the third ACK XDP
 * validated (ISN 1000, cookie 5000 stand in). */
static void from_port(__u16 sport, __u8 flags, __u32 seq, __u32 ack,
		      size_t len, bool new_conn)
{
	struct xtcp_meta m = { .iss = 1000, .irs = IRS, .mss = 1460,
			       .snd_wscale = XTCP_WSCALE_NONE,
			       .rcv_wscale = XTCP_WSCALE_NONE,
			       .flags = new_conn ? XTCP_META_NEW : 0,
			       .magic = XTCP_META_MAGIC };
	struct frame_spec s;
	__u8 buf[2048];
	size_t n;

	frame_spec_default(&s, 0);
	s.sport = sport;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.window = 65535;
	s.wscale = -1;
	s.payload_len = len;
	n = frame_build(&s, buf, sizeof(buf));
	tcp_input(H.e, buf, n, &m, H.now);
	tcp_flush(H.e);
}

/* Frames sent to client port sport since out_mark. */
static int sent_to(__u16 sport, int from)
{
	struct frame_view v;
	int i, n = 0;

	for (i = from; i < H.cap.nout; i++)
		if (!frame_parse(H.cap.out[i], H.cap.outlen[i], &v) && v.dport == sport)
			n++;
	return n;
}

static bool next_out(struct frame_view *v)
{
	if (H.cap.rd >= H.cap.nout)
		return false;
	if (frame_parse(H.cap.out[H.cap.rd], H.cap.outlen[H.cap.rd], v))
		return false;
	H.cap.rd++;
	return true;
}

static __u64 stat(size_t off)
{
	return *(const __u64 *)((const __u8 *)tcp_stats(H.e) + off);
}
#define STAT(name) stat(offsetof(struct xtcp_engine_stats, name))

static bool owned(void)
{
	struct frame_spec fs;
	struct xtcp_flow_key fk;

	frame_spec_default(&fs, 0);
	frame_flow_key(&fs, &fk);
	return tcp_flow_owned(H.e, &fk);
}

/* The third ACK was lost; the client's first data segment comes next. */
static void test_established_lost_third_ack_data(void)
{
	__u32 c;
	struct frame_view v;

	setup();
	c = cookie_for(IRS, 0);
	CHECK(!owned(), "no connection owns the flow before");
	known(TCPHDR_ACK | TCPHDR_PSH, IRS + 1, c + 1, "GET /", 5, 0, 0);
	CHECK_EQ(H.accepted, 1, "born from the data segment's cookie");
	CHECK_EQ(STAT(accepted), 1, "accepted counted");
	CHECK_EQ(STAT(accepted_late), 1, "accepted_late counted");
	CHECK_EQ(STAT(drop_no_conn), 0, "not refused");
	CHECK_EQ(H.flows_gone, 0, "its flow kept");
	CHECK(H.rxlen == 5 && !memcmp(H.rx, "GET /", 5), "its data delivered");
	CHECK(owned(), "a connection owns the flow now");
	CHECK(next_out(&v) && v.flags == TCPHDR_ACK && v.seq == c + 1 &&
	      v.ack == IRS + 6, "ACK <SEQ=cookie+1><ACK=data end>");
}

static int pick(struct tcp_conn *x, void *arg)
{
	tcp_conn_get_info(x, arg);
	return 1;
}

/* A retransmitted bare third ACK, a FIN, and timestamps with options. */
static void test_established_lost_third_ack_other(void)
{
	__u32 c, tsecr;

	setup();
	known(TCPHDR_ACK, IRS + 1, cookie_for(IRS, 1) + 1, NULL, 0, 0, 0);
	CHECK_EQ(H.accepted, 1, "bare ACK with last period's cookie: born");
	CHECK_EQ(H.cap.nout, 0, "a bare ACK needs no answer");

	setup();
	known(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, cookie_for(IRS, 0) + 1, NULL, 0, 0, 0);
	CHECK_EQ(H.accepted, 1, "FIN|ACK: born");
	CHECK_EQ(H.peer_closed, 1, "and the FIN taken");

	/* what the SYN negotiated comes back in TSecr, as for XDP's path */
	setup();
	c = cookie_for(IRS, 0);
	tsecr = xtcp_ts_encode((__u32)(H.now / 1000000) - 5, 9, 1, 0);
	known(TCPHDR_ACK, IRS + 1, c + 1, NULL, 0, 1, tsecr);
	CHECK_EQ(H.accepted, 1, "with timestamps: born");
	{
		struct tcp_conn_info i;

		memset(&i, 0, sizeof(i));
		tcp_conn_foreach(H.e, pick, &i);
		CHECK(i.ts_ok && i.sack_ok && i.ws_ok, "timestamps, SACK, window scale from TSecr");
		CHECK_EQ(i.snd_wnd, 1000u << 9, "peer window scaled by its shift");
	}
}

/* Without a cookie that verifies: refused, flow given back, no answer. */
static void test_established_known_flow_refused(void)
{
	struct frame_view v;
	__u32 c;

	setup();
	c = cookie_for(IRS, 0);
	known(TCPHDR_ACK | TCPHDR_PSH, IRS + 1, c + 2, "x", 1, 0, 0);
	CHECK_EQ(H.accepted, 0, "bad cookie: not born");
	CHECK_EQ(STAT(drop_no_conn), 1, "counted");
	CHECK_EQ(H.flows_gone, 1, "flow_gone called");
	CHECK(!next_out(&v), "no RST: a live client retransmits from ISN + 1");
	CHECK(!owned(), "nothing owns the flow");

	/* a later segment of a connection: SEQ past ISN + 1 proves nothing */
	setup();
	known(TCPHDR_ACK, IRS + 101, c + 1, "y", 1, 0, 0);
	CHECK(H.accepted == 0 && H.flows_gone == 1, "SEQ off the ISN: refused");
	CHECK_EQ(H.cap.nout, 0, "silently: its client's retransmission from ISN + 1 is born");
	known(TCPHDR_ACK, IRS + 1, c + 1, "x", 1, 0, 0);
	CHECK_EQ(H.accepted, 1, "the retransmission from ISN + 1: born");

	/* a cookie two periods old has expired */
	setup();
	known(TCPHDR_ACK, IRS + 1, cookie_for(IRS, 2) + 1, NULL, 0, 0, 0);
	CHECK(H.accepted == 0 && H.flows_gone == 1, "expired cookie: refused");

	/* a SYN or an RST on a known flow is never a birth */
	setup();
	known(TCPHDR_RST | TCPHDR_ACK, IRS + 1, c + 1, NULL, 0, 0, 0);
	CHECK(H.accepted == 0 && H.flows_gone == 1, "RST|ACK: not born");
}

/* Bogus ACKs on a live 4-tuple (a spoofer's flood): one answer per
 * 500 ms, as Linux's tcp_invalid_ratelimit; data is always answered. */
static void test_established_oow_ack_limit(void)
{
	int i;

	setup();
	from_port(40000, TCPHDR_ACK, IRS + 1, 1001, 0, true);
	CHECK_EQ(H.accepted, 1, "connection up");
	for (i = 0; i < 1000; i++)	/* far outside the window */
		from_port(40000, TCPHDR_ACK, IRS + 1 + 0x40000000u + (__u32)i * 977,
			  1001, 0, false);
	CHECK_EQ(sent_to(40000, 0), 1, "1000 bogus ACKs: one ACK back");
	CHECK_EQ(STAT(oow_acks_limited), 999, "the rest counted");
	H.now += 499 * MS;
	from_port(40000, TCPHDR_ACK, IRS + 0x50000000u, 1001, 0, false);
	CHECK_EQ(sent_to(40000, 0), 1, "still silent at 499 ms");
	H.now += 2 * MS;
	from_port(40000, TCPHDR_ACK, IRS + 0x50000000u, 1001, 0, false);
	CHECK_EQ(sent_to(40000, 0), 2, "one more after 500 ms");
	/* an old data segment (a retransmission) is always acknowledged */
	from_port(40000, TCPHDR_ACK, IRS - 99, 1001, 10, false);
	from_port(40000, TCPHDR_ACK, IRS - 99, 1001, 10, false);
	CHECK_EQ(sent_to(40000, 0), 4, "old data: ACKed every time");
	CHECK_EQ(tcp_conn_count(H.e), 1, "the connection lives");
}

/*
 * CVE-2016-5696: an off-path prober sends a RST (or SYN) with a guessed
 * 4-tuple, then counts the challenge ACKs its own connections draw; with
 * one engine-wide budget, a live guessed tuple spent one of them. What the
 * prober sees must not depend on whether the tuple is live.
 */
static int probe(bool victim_live, __u32 limit, int own_conns)
{
	int i, mark, seen = 0;

	setup_n((__u32)own_conns + 1, limit);
	if (victim_live)
		from_port(40000, TCPHDR_ACK, IRS + 1, 1001, 0, true);
	for (i = 0; i < own_conns; i++)
		from_port((__u16)(50000 + i), TCPHDR_ACK, IRS + 1, 1001, 0, true);
	H.now += 2 * SEC;
	mark = H.cap.nout;
	/* the spoofed RST in the victim's window, off RCV.NXT, and a SYN */
	from_port(40000, TCPHDR_RST, IRS + 100, 0, 0, false);
	from_port(40000, TCPHDR_SYN, IRS + 5000, 0, 0, false);
	/* then 100 challenge-drawing SYNs on each of its own connections */
	for (int k = 0; k < 100; k++)
		for (i = 0; i < own_conns; i++)
			from_port((__u16)(50000 + i), TCPHDR_SYN, IRS + 7 + (__u32)k, 0, 0, false);
	for (i = 0; i < own_conns; i++)
		seen += sent_to((__u16)(50000 + i), mark);
	return seen;
}

static void test_established_challenge_side_channel(void)
{
	int live, dead, distinct = 0, last = -1;

	live = probe(true, 0, 1);
	CHECK(H.accepted == 2, "victim and prober connected");
	dead = probe(false, 0, 1);
	CHECK_EQ(live, dead, "one connection: the prober sees the same either way");
	CHECK_EQ(live, 1, "one challenge ACK per 500 ms on its connection");
	/* a small engine-wide budget the prober could drain: still the same */
	live = probe(true, 10, 1);
	dead = probe(false, 10, 1);
	CHECK_EQ(live, dead, "budget of 10: the prober sees the same either way");
	live = probe(true, 0, 50);
	dead = probe(false, 0, 50);
	CHECK_EQ(live, dead, "50 connections, no engine-wide budget: the same");
	CHECK_EQ(live, 50, "each answered once");

	/* with an engine-wide budget it is drawn anew each second, so the
	 * prober's count varies by more than the one a live tuple takes */
	setup_n(60, 10);
	for (int i = 0; i < 60; i++)
		from_port((__u16)(50000 + i), TCPHDR_ACK, IRS + 1, 1001, 0, true);
	for (int sec = 0; sec < 20; sec++) {
		int mark, n = 0;

		H.now += SEC;
		mark = H.cap.nout;
		for (int i = 0; i < 60; i++)
			from_port((__u16)(50000 + i), TCPHDR_SYN, IRS + 9, 0, 0, false);
		for (int i = 0; i < 60; i++)
			n += sent_to((__u16)(50000 + i), mark);
		CHECK(n >= 5 && n < 15, "budget %d in [limit/2, limit*3/2)", n);
		distinct += n != last;
		last = n;
		H.cap.nout = 0;
	}
	CHECK(distinct >= 5, "the budget is random: %d changes in 20 s", distinct);
}

/* xtcp_serve_stop frees the engine with connections open: their apps
 * must hear the end, or the proxy's backend sockets stay open. */
static void test_established_engine_freed(void)
{
	__u32 c;

	setup();
	c = cookie_for(IRS, 0);
	known(TCPHDR_ACK, IRS + 1, c + 1, NULL, 0, 0, 0);
	CHECK_EQ(H.accepted, 1, "born");
	tcp_engine_free(H.e);
	H.e = NULL;
	CHECK_EQ(H.resets, 1, "the app heard TCP_EV_RESET as the engine went away");
}

/* An app that lets go of its connection inside the RESET (tcp_abort
 * unlinks it from the engine's lists) must not cut the walk short: every
 * other connection's app hears the end too. */
static void test_established_engine_freed_app_aborts(void)
{
	setup();
	from_port(50000, TCPHDR_ACK, IRS + 1, 1001, 0, true);
	from_port(50001, TCPHDR_ACK, IRS + 1, 1001, 0, true);
	from_port(50002, TCPHDR_ACK, IRS + 1, 1001, 0, true);
	CHECK_EQ(H.accepted, 3, "three born");
	H.abort_on_reset = true;
	tcp_engine_free(H.e);
	H.e = NULL;
	CHECK_EQ(H.resets, 3, "every app heard TCP_EV_RESET");
}

int main(void)
{
	test_established_lost_third_ack_data();
	test_established_lost_third_ack_other();
	test_established_known_flow_refused();
	test_established_oow_ack_limit();
	test_established_challenge_side_channel();
	test_established_engine_freed();
	test_established_engine_freed_app_aborts();
	return check_done("unit/tcp_birth");
}
