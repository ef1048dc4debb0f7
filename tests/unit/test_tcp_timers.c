// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Bounds on how long a connection may hold its slot, on the virtual clock:
 * the application's timer (tcp_set_app_timer, TCP_EV_TIMER), the orphan
 * bound for closed connections whose peer vanished or keeps its window
 * shut (LAST-ACK, FIN-WAIT-1), and the reclaim of idle connections when
 * the pool is full. The peer is scripted; no I/O.
 */
#include <stdbool.h>
#include <string.h>

#include "capture.h"
#include "check.h"
#include "frames.h"
#include "tcp/tcp.h"

#define ISS 1000u
#define IRS 5000u
#define MS 1000000ULL
#define SEC 1000000000ULL

static struct {
	struct tcp_engine *e;
	struct tcp_cfg cfg;
	struct capture cap;	/* what the engine sent */
	__u64 now;
	/* what the app saw and does */
	struct tcp_conn *conn;
	int ev[8];
	__u64 timer_at[8];	/* when TCP_EV_TIMER came, in order */
	int ntimer;
	__u32 arm_on_accept;	/* ms, 0: none */
	__u32 rearm_on_timer;
	bool abort_on_timer, close_on_timer;
} H;


static void app_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	(void)ctx;
	H.ev[ev]++;
	switch (ev) {
	case TCP_EV_ACCEPTED:
		H.conn = c;
		if (H.arm_on_accept)
			tcp_set_app_timer(c, H.arm_on_accept);
		break;
	case TCP_EV_TIMER:
		if (H.ntimer < 8)
			H.timer_at[H.ntimer++] = H.now;
		if (H.rearm_on_timer)
			tcp_set_app_timer(c, H.rearm_on_timer);
		if (H.abort_on_timer) {
			tcp_abort(c);
			H.conn = NULL;
		} else if (H.close_on_timer) {
			tcp_close(c);
			H.conn = NULL;
		}
		break;
	case TCP_EV_RESET:
	case TCP_EV_CLOSED:
		if (H.conn == c)
			H.conn = NULL;
		break;
	default:
		break;
	}
}

static const struct tcp_app app = { .name = "timers", .event = app_event };

static void setup(__u32 max_conns)
{
	if (H.e)
		tcp_engine_free(H.e);
	memset(&H, 0, sizeof(H));
	tcp_cfg_default(&H.cfg);
	H.cfg.max_conns = max_conns;
	H.cfg.sndbuf = 65536;
	H.cfg.rcvbuf = 65536;
	H.cfg.time_wait_ns = 1 * SEC;
	H.cfg.delack_ms = 0;
	H.cfg.app = &app;
	capture_io(&H.cap, &H.cfg.io);
	H.now = 1000 * SEC;
}

static void finish(void)
{
	tcp_engine_free(H.e);
	H.e = NULL;
}

static void start(void)
{
	if (tcp_engine_new(&H.cfg, &H.e))
		abort();
}

static void inject(__u16 sport, __u8 flags, __u32 seq, __u32 ack, __u16 wnd,
		   const void *data, size_t len, bool born)
{
	struct xtcp_meta m = {
		.iss = ISS, .irs = IRS, .mss = 1460,
		.snd_wscale = XTCP_WSCALE_NONE, .rcv_wscale = XTCP_WSCALE_NONE,
		.flags = XTCP_META_NEW, .magic = XTCP_META_MAGIC,
	};
	struct frame_spec s;
	__u8 buf[2048];
	size_t n;

	frame_spec_default(&s, 0);
	s.sport = sport;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.window = wnd;
	s.payload = data;
	s.payload_len = len;
	n = frame_build(&s, buf, sizeof(buf));
	tcp_input(H.e, buf, n, born ? &m : NULL, H.now);
	tcp_flush(H.e);
}

/* The third ACK from client port sport: a connection is born. */
static void accept_from(__u16 sport)
{
	inject(sport, TCPHDR_ACK, IRS + 1, ISS + 1, 65535, NULL, 0, true);
}

/* Run the clock to now + ns, firing every deadline on the way in order. */
static void advance(__u64 ns)
{
	__u64 until = H.now + ns, next;

	for (;;) {
		next = tcp_timers(H.e, H.now);
		if (!next || next > until)
			break;
		H.now = next;
	}
	H.now = until;
	tcp_timers(H.e, H.now);
}

static __u64 stat(size_t off)
{
	return *(const __u64 *)((const __u8 *)tcp_stats(H.e) + off);
}
#define STAT(name) stat(offsetof(struct xtcp_engine_stats, name))

/* Frames sent since the last look with any of flags set; marks them read. */
static int sent_with(__u8 flags)
{
	struct frame_view v;
	int n = 0;

	for (; H.cap.rd < H.cap.nout; H.cap.rd++)
		if (!frame_parse(H.cap.out[H.cap.rd], H.cap.outlen[H.cap.rd], &v) && (v.flags & flags))
			n++;
	return n;
}

static void test_app_timer(void)
{
	__u64 t0;

	setup(4);
	start();
	H.arm_on_accept = 100;
	t0 = H.now;
	accept_from(40000);
	advance(99 * MS);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 0, "not before its time");
	advance(1 * MS);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 1, "TCP_EV_TIMER at 100 ms");
	CHECK_EQ(H.timer_at[0] - t0, 100 * MS, "exactly then");
	advance(10 * SEC);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 1, "once: not periodic");

	/* arming again moves it; 0 disarms it */
	tcp_set_app_timer(H.conn, 50);
	tcp_set_app_timer(H.conn, 300);
	advance(299 * MS);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 1, "moved, not fired at the old time");
	advance(1 * MS);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 2, "fired at the new time");
	tcp_set_app_timer(H.conn, 100);
	tcp_set_app_timer(H.conn, 0);
	advance(1 * SEC);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 2, "0 disarms");

	/* re-armed from inside its own event: periodic if the app wants */
	H.rearm_on_timer = 200;
	tcp_set_app_timer(H.conn, 200);
	advance(1 * SEC);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 7, "re-armed from its event: every 200 ms");
	H.rearm_on_timer = 0;
	advance(1 * SEC);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 8, "and stops when not re-armed");

	/* beside the retransmission timer: both run on one heap */
	setup(4);
	start();
	H.arm_on_accept = 5000;
	accept_from(40000);
	tcp_send(H.conn, "data", 4);
	tcp_flush(H.e);
	H.cap.rd = H.cap.nout;
	advance(4 * SEC);
	CHECK(STAT(rto_expiries) >= 2, "RTOs fire while the app timer waits (%llu)",
	      (unsigned long long)STAT(rto_expiries));
	CHECK_EQ(H.ev[TCP_EV_TIMER], 0, "the app timer still waits");
	advance(1 * SEC);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 1, "and fires at 5 s");

	/* tcp_close disarms it: no event after the app let go */
	setup(4);
	start();
	H.arm_on_accept = 100;
	accept_from(40000);
	tcp_close(H.conn);
	tcp_flush(H.e);
	advance(1 * SEC);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 0, "no event after tcp_close");

	/* nor after a final event */
	setup(4);
	start();
	H.arm_on_accept = 100;
	accept_from(40000);
	inject(40000, TCPHDR_RST, IRS + 1, 0, 0, NULL, 0, false);
	CHECK_EQ(H.ev[TCP_EV_RESET], 1, "reset");
	advance(1 * SEC);
	CHECK_EQ(H.ev[TCP_EV_TIMER], 0, "no event after TCP_EV_RESET");

	/* the app may abort inside the event: an idle timeout */
	setup(4);
	start();
	H.arm_on_accept = 100;
	H.abort_on_timer = true;
	accept_from(40000);
	H.cap.rd = H.cap.nout;
	advance(100 * MS);
	CHECK_EQ(sent_with(TCPHDR_RST), 1, "aborted from TCP_EV_TIMER: RST");
	CHECK_EQ(tcp_conn_count(H.e), 0, "and freed");
	finish();
}

/* Time from now until the last connection is gone, stepping the clock;
 * the peer says nothing (it vanished) unless answer_wnd0 is set, then it
 * answers every segment with a zero window and no progress. */
static __u64 time_to_gone(__u16 sport, bool answer_wnd0, __u64 limit)
{
	__u64 t0 = H.now, next;
	struct frame_view v;

	while (tcp_conn_count(H.e) && H.now - t0 < limit) {
		next = tcp_timers(H.e, H.now);
		if (!next)
			break;
		H.now = next;
		tcp_timers(H.e, H.now);
		for (; H.cap.rd < H.cap.nout; H.cap.rd++)
			if (answer_wnd0 && !frame_parse(H.cap.out[H.cap.rd], H.cap.outlen[H.cap.rd], &v) &&
			    !(v.flags & TCPHDR_RST) && tcp_conn_count(H.e))
				inject(sport, TCPHDR_ACK, IRS + 1, ISS + 1, 0, NULL, 0, false);
		H.cap.rd = H.cap.nout = 0;	/* all looked at: room for an hour of them */
	}
	return H.now - t0;
}

/* LAST-ACK: the peer closed, the app closed, the peer vanished. */
static void last_ack_vanished(__u32 orphan_retries)
{
	setup(4);
	H.cfg.orphan_retries = orphan_retries;
	start();
	accept_from(40000);
	inject(40000, TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 1, 65535, NULL, 0, false);
	tcp_close(H.conn);
	tcp_flush(H.e);
	CHECK_EQ(STAT(conn_last_ack), 1, "LAST-ACK");
}

static void test_orphan_last_ack(void)
{
	__u64 t;

	/* as Linux's tcp_orphan_retries: 8 timeouts, then RST */
	last_ack_vanished(8);
	H.cap.rd = H.cap.nout;
	t = time_to_gone(40000, false, 3600 * SEC);
	CHECK_EQ(tcp_conn_count(H.e), 0, "vanished peer: LAST-ACK ends");
	CHECK_EQ(STAT(orphan_aborts), 1, "counted as an orphan abort");
	CHECK_EQ(STAT(retry_aborts), 0, "before the retry limit");
	CHECK_EQ(STAT(rto_expiries), 8, "after 8 retransmissions (the 9th timeout aborts)");
	CHECK(t >= 200 * SEC && t <= 300 * SEC,
	      "gone after 1+2+...+256 s (RTO from 1 s): %llu ms", (unsigned long long)(t / MS));
	CHECK_EQ(STAT(rst_out), 1, "the abort sends RST");
	finish();

	/* without the bound, only --retries (15) ends it, much later */
	last_ack_vanished(0);
	t = time_to_gone(40000, false, 3600 * SEC);
	CHECK_EQ(STAT(orphan_aborts), 0, "orphan_retries 0: no orphan abort");
	CHECK_EQ(STAT(retry_aborts), 1, "the retry limit ends it");
	CHECK(t > 600 * SEC, "after over 10 minutes: %llu s", (unsigned long long)(t / SEC));
	finish();
}

/* FIN-WAIT-1 with data queued to a peer that keeps its window shut and
 * answers every probe: kept while the app holds it (RFC 9293 3.8.6.1),
 * bounded once the app let go. */
static void zero_window_fin_wait_1(bool app_closes)
{
	static __u8 data[20000];

	setup(4);
	H.cfg.rto_max_ms = 2000;	/* 8 timeouts within 20 s */
	start();
	accept_from(40000);
	inject(40000, TCPHDR_ACK, IRS + 1, ISS + 1, 0, NULL, 0, false);
	CHECK_EQ(tcp_send(H.conn, data, sizeof(data)), sizeof(data), "queued");
	if (app_closes)
		tcp_close(H.conn);
	else
		tcp_shutdown(H.conn);
	tcp_flush(H.e);
	CHECK_EQ(STAT(conn_fin_wait_1), 1, "FIN-WAIT-1");
	H.cap.rd = H.cap.nout;
}

static void test_orphan_zero_window(void)
{
	__u64 t;

	zero_window_fin_wait_1(true);
	t = time_to_gone(40000, true, 3600 * SEC);
	CHECK_EQ(tcp_conn_count(H.e), 0, "orphan with a shut window ends");
	CHECK_EQ(STAT(orphan_aborts), 1, "counted");
	CHECK(t <= 20 * SEC, "after 8 probes, within 20 s: %llu s", (unsigned long long)(t / SEC));
	finish();

	/* the same peer, while the app still holds the connection */
	zero_window_fin_wait_1(false);
	t = time_to_gone(40000, true, 3600 * SEC);
	CHECK_EQ(tcp_conn_count(H.e), 1, "kept while its app holds it");
	CHECK_EQ(STAT(orphan_aborts), 0, "no orphan abort");
	CHECK(STAT(persist_probes) + STAT(rto_expiries) > 20, "probed all along");
	finish();

	/* stuck long before its app let go: not given the whole count again
	 * (at the longest RTO), the next timeout ends it */
	zero_window_fin_wait_1(false);
	time_to_gone(40000, true, 60 * SEC);
	CHECK_EQ(tcp_conn_count(H.e), 1, "held by its app for a minute of probes");
	tcp_close(H.conn);
	tcp_flush(H.e);
	t = time_to_gone(40000, true, 3600 * SEC);
	CHECK_EQ(STAT(orphan_aborts), 1, "ends once its app lets go");
	CHECK(t <= 2 * SEC, "at the next timeout: %llu ms", (unsigned long long)(t / MS));
	finish();

	/* progress restarts the count: a slow reader is not an orphan to kill */
	zero_window_fin_wait_1(true);
	for (int i = 1; i <= 12; i++) {
		struct tcp_conn_info ci;

		time_to_gone(40000, true, 5 * SEC);	/* two or three timeouts */
		if (!tcp_conn_count(H.e))
			break;
		/* the peer takes the probe's byte, and shuts the window again */
		tcp_conn_get_info(H.conn, &ci);
		inject(40000, TCPHDR_ACK, IRS + 1, ci.snd_nxt, 0, NULL, 0, false);
	}
	CHECK_EQ(tcp_conn_count(H.e), 1, "a peer taking a little now and then stays");
	CHECK_EQ(STAT(orphan_aborts), 0, "no abort while SND.UNA moves");
	CHECK(STAT(rto_expiries) > 16, "though over twice orphan_retries timeouts (%llu)",
	      (unsigned long long)STAT(rto_expiries));
	finish();
}

/* A full pool: the longest-idle connection with nothing in flight, or
 * whose app let go, makes room if idle beyond reclaim_idle_ms; otherwise
 * the newcomer is refused. */
static void test_reclaim_idle(void)
{
	struct tcp_conn *c0;
	struct frame_view v;
	int rsts = 0, rst_port = 0;

	setup(3);
	H.cfg.reclaim_idle_ms = 10000;
	start();
	accept_from(40000);
	c0 = H.conn;
	H.now += SEC;
	accept_from(40001);
	H.now += SEC;
	accept_from(40002);
	tcp_send(c0, "x", 1);	/* 40000: data in flight, never acknowledged */
	tcp_flush(H.e);
	H.now += 5 * SEC;	/* t = 7 s: 40001 speaks, the youngest now */
	inject(40001, TCPHDR_ACK, IRS + 1, ISS + 1, 65535, "hi", 2, false);
	accept_from(40003);
	CHECK_EQ(STAT(refused_max_conns), 1, "nobody idle 10 s yet: refused");
	CHECK_EQ(STAT(idle_reclaimed), 0, "nothing reclaimed");

	H.now += 6 * SEC;	/* t = 13 s: 40000 idle 13 s but in flight, 40002 11 s */
	H.cap.rd = H.cap.nout;
	accept_from(40004);
	CHECK_EQ(STAT(idle_reclaimed), 1, "the longest idle with nothing in flight reclaimed");
	CHECK_EQ(STAT(refused_max_conns), 1, "the newcomer admitted");
	CHECK_EQ(tcp_conn_count(H.e), 3, "pool still full");
	CHECK_EQ(H.ev[TCP_EV_RESET], 1, "its app told");
	for (; H.cap.rd < H.cap.nout; H.cap.rd++)
		if (!frame_parse(H.cap.out[H.cap.rd], H.cap.outlen[H.cap.rd], &v) && (v.flags & TCPHDR_RST)) {
			rsts++;
			rst_port = v.dport;
		}
	CHECK_EQ(rsts, 1, "one RST");
	CHECK_EQ(rst_port, 40002, "to 40002 (40000 has data in flight)");
	accept_from(40005);
	CHECK_EQ(STAT(refused_max_conns), 2, "40001 idle only 6 s: refused");
	H.now += 5 * SEC;	/* t = 18 s: 40001 idle 11 s */
	accept_from(40006);
	CHECK_EQ(STAT(idle_reclaimed), 2, "now 40001 goes");
	CHECK_EQ(STAT(refused_max_conns), 2, "and the newcomer is in");
	finish();

	/* an orphan retransmitting to a vanished peer goes, in flight or not */
	setup(2);
	H.cfg.reclaim_idle_ms = 10000;
	start();
	accept_from(40000);
	tcp_send(H.conn, "x", 1);
	tcp_close(H.conn);	/* FIN-WAIT-1, data and FIN in flight, app gone */
	tcp_flush(H.e);
	H.now += SEC;
	accept_from(40001);	/* idle as long, nearly, but its app holds it */
	H.now += 10 * SEC;
	H.cap.rd = H.cap.nout;
	accept_from(40002);
	CHECK_EQ(STAT(idle_reclaimed), 1, "the silent orphan reclaimed");
	CHECK_EQ(STAT(refused_max_conns), 0, "the newcomer admitted");
	rst_port = 0;
	for (; H.cap.rd < H.cap.nout; H.cap.rd++)
		if (!frame_parse(H.cap.out[H.cap.rd], H.cap.outlen[H.cap.rd], &v) && (v.flags & TCPHDR_RST))
			rst_port = v.dport;
	CHECK_EQ(rst_port, 40000, "RST to the orphan");
	finish();

	/* 0 turns it off */
	setup(1);
	H.cfg.reclaim_idle_ms = 0;
	start();
	accept_from(40000);
	H.now += 3600 * SEC;
	accept_from(40001);
	CHECK_EQ(STAT(refused_max_conns), 1, "reclaim off: refused");
	finish();
}

int main(void)
{
	test_app_timer();
	test_orphan_last_ack();
	test_orphan_zero_window();
	test_reclaim_idle();
	return check_done("unit/tcp_timers");
}
