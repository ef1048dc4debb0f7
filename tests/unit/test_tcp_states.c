// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The engine against a scripted peer, in the spirit of packetdrill: inject
 * this segment, expect that one. Organised as smoltcp's socket tests are:
 * a factory puts a connection in each RFC 9293 state (estab(),
 * close_wait(), fin_wait_1(), ...), and each test is one event in one
 * state, named test_<state>_<event>. `test_tcp_states NAME` runs one test
 * (or every test whose name contains NAME), `--list` names them all.
 * Virtual clock; no I/O.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>

#include "capture.h"
#include "check.h"
#include "frames.h"
#include "xtcp/cookie.h"
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
	int flows_gone;
	/* the replay guard: what the engine asked the driver to remember */
	int guards, guard_before_gone;
	__u32 guard_irs;
	__u64 guard_expires;
	/* what the recording app saw */
	struct tcp_conn *conn;
	int ev[8];
	__u8 rx[1 << 20];
	size_t rxlen;
	bool autoread;
	bool close_on_peer_close;
	__u32 iss;		/* our ISS on an active open */
} H;


static void io_flow_gone(void *ctx, const struct xtcp_flow_key *k)
{
	(void)ctx;
	(void)k;
	H.flows_gone++;
}

static int io_handshake_ended(void *ctx, const struct xtcp_flow_key *k,
			      uint32_t irs, uint64_t expires_tai_ns)
{
	(void)ctx;
	(void)k;
	H.guards++;
	H.guard_before_gone = H.flows_gone == 0;
	H.guard_irs = irs;
	H.guard_expires = expires_tai_ns;
	return 0;
}

static void rec_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	(void)ctx;
	H.ev[ev]++;
	switch (ev) {
	case TCP_EV_ACCEPTED:
	case TCP_EV_CONNECTED:
		H.conn = c;
		break;
	case TCP_EV_READABLE:
		if (H.autoread)
			H.rxlen += tcp_recv(c, H.rx + H.rxlen, sizeof(H.rx) - H.rxlen);
		break;
	case TCP_EV_PEER_CLOSED:
		if (H.close_on_peer_close)
			tcp_close(c);
		break;
	case TCP_EV_RESET:
	case TCP_EV_CLOSED:
		H.conn = NULL;
		break;
	default:
		break;
	}
}

static const struct tcp_app rec_app = { .name = "rec", .event = rec_event };

/* A test's own settings on top of setup()'s, for its next setups. */
static void (*cfg_tweak)(struct tcp_cfg *cfg);

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
	H.cfg.max_retries = 3;
	H.cfg.delack_ms = 0;	/* every data segment ACKed: the scripts expect it */
	/* the scripts answer at once on a clock that stands still: a paced
	 * segment would wait for time that never passes (test_tcp_pacing) */
	H.cfg.no_pacing = true;
	H.cfg.app = &rec_app;
	H.cfg.secret[0] = 0x0123456789abcdefULL;
	H.cfg.secret[1] = 0xfedcba9876543210ULL;
	H.cfg.io = (struct tcp_io){ .flow_gone = io_flow_gone,
				    .handshake_ended = io_handshake_ended };
	capture_io(&H.cap, &H.cfg.io);
	H.autoread = true;
	H.now = 1000 * SEC;
	if (cfg_tweak)
		cfg_tweak(&H.cfg);
	if (tcp_engine_new(&H.cfg, &H.e))
		abort();
	tcp_listen(H.e, 80);
}

struct segopt {
	__u16 sport, dport;
	int mss, wscale, sack, ts;
	__u32 tsval, tsecr;
	__u8 tos;
	bool bad_csum;
};

static void inject(__u8 flags, __u32 seq, __u32 ack, __u16 wnd,
		   const void *data, size_t len, const struct xtcp_meta *m,
		   const struct segopt *o)
{
	struct frame_spec s;
	__u8 buf[2048];
	size_t n;

	frame_spec_default(&s, 0);
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.window = wnd;
	s.payload = data;
	s.payload_len = len;
	if (o) {
		if (o->sport)
			s.sport = o->sport;
		if (o->dport)
			s.dport = o->dport;
		s.mss = o->mss;
		s.wscale = o->wscale ? o->wscale : -1;
		s.sack = o->sack;
		s.ts = o->ts;
		s.tsval = o->tsval;
		s.tsecr = o->tsecr;
		s.tos = o->tos;
	}
	n = frame_build(&s, buf, sizeof(buf));
	if (o && o->bad_csum)
		buf[n - 1] ^= 0x40;
	tcp_input(H.e, buf, n, m, H.now);
	tcp_flush(H.e);
}

static void seg(__u8 flags, __u32 seq, __u32 ack, __u16 wnd, const void *d,
		size_t len)
{
	inject(flags, seq, ack, wnd, d, len, NULL, NULL);
}

static void advance(__u64 ns)
{
	H.now += ns;
	tcp_timers(H.e, H.now);
}

/* The next frame the engine sent; false (and a failure) when none. */
static bool next_out(struct frame_view *v, const char *what)
{
	if (H.cap.rd >= H.cap.nout) {
		CHECK(0, "%s: expected a segment, none was sent", what);
		return false;
	}
	CHECK(!frame_parse(H.cap.out[H.cap.rd], H.cap.outlen[H.cap.rd], v), "%s: parses", what);
	H.cap.rd++;
	CHECK(v->ip_csum_ok && v->tcp_csum_ok, "%s: checksums", what);
	return true;
}

static size_t payload_len(const struct frame_view *v)
{
	return v->tcp_len - v->doff * 4u;
}

static const __u8 *payload(const struct frame_view *v, int idx)
{
	return H.cap.out[idx] + v->l4_off + v->doff * 4u;
}

static void expect(__u8 flags, __u32 seq, __u32 ack, size_t len,
		   const char *what)
{
	struct frame_view v;

	if (!next_out(&v, what))
		return;
	CHECK(v.flags == flags, "%s: flags 0x%02x, want 0x%02x", what, v.flags, flags);
	CHECK(v.seq == seq, "%s: seq %u, want %u", what, v.seq, seq);
	CHECK(v.ack == ack, "%s: ack %u, want %u", what, v.ack, ack);
	CHECK(payload_len(&v) == len, "%s: %zu payload bytes, want %zu", what,
	      payload_len(&v), len);
}

static void expect_none(const char *what)
{
	CHECK(H.cap.rd == H.cap.nout, "%s: %d unexpected segment(s)", what, H.cap.nout - H.cap.rd);
	H.cap.rd = H.cap.nout;
}

static __u64 stat(size_t off)
{
	return *(const __u64 *)((const __u8 *)tcp_stats(H.e) + off);
}
#define STAT(name) stat(offsetof(struct xtcp_engine_stats, name))

/* What the XDP program puts in front of a third ACK. */
static struct xtcp_meta meta_new(__u8 flags)
{
	return (struct xtcp_meta){
		.iss = ISS, .irs = IRS, .mss = 1460,
		.snd_wscale = XTCP_WSCALE_NONE, .rcv_wscale = XTCP_WSCALE_NONE,
		.flags = XTCP_META_NEW | flags, .magic = XTCP_META_MAGIC,
	};
}

/* The connection the XDP program hands over: third ACK + metadata. */
static void establish_opts(__u16 wnd, __u8 flags, const void *data, size_t len)
{
	struct xtcp_meta m = meta_new(0);

	inject(flags, IRS + 1, ISS + 1, wnd, data, len, &m, NULL);
}

/* A third ACK with metadata from client port sport. */
static void accept_from(__u16 sport, __u8 meta_flags)
{
	struct xtcp_meta m = meta_new(meta_flags);
	struct segopt o = { .sport = sport };

	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, NULL, 0, &m, &o);
}

/* Accept from sport, close first, take the peer's ACK and FIN: TIME-WAIT. */
static void time_wait_from(__u16 sport)
{
	struct segopt o = { .sport = sport };

	accept_from(sport, 0);
	tcp_shutdown(H.conn);
	tcp_flush(H.e);
	inject(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 2, 65535, NULL, 0, NULL, &o);
}

static int conn_state(void)
{
	struct tcp_conn_info i;

	if (!H.conn)
		return -1;
	tcp_conn_get_info(H.conn, &i);
	return i.state;
}

/* The conn_* gauge of a state: how many connections are in it. */
static __u64 gauge(enum tcp_state s)
{
	return ((const __u64 *)tcp_stats(H.e))[TCPS_GAUGE(s)];
}

/* Everything sent so far is read: the next expect() sees what follows. */
static void drain(void)
{
	tcp_flush(H.e);
	H.cap.rd = H.cap.nout;
}

static __u8 pattern[200000];

/*
 * State factories, in RFC 9293 order. Each builds a fresh engine with one
 * connection in its state (the app still attached, H.conn set, unless
 * the state has no app left), reads what was sent on the way, and fails
 * the test that called it if the state was not reached.
 */

/* LISTEN: an engine serving port 80; the cookie stands in for the TCB. */
static void listening(void)
{
	setup(4);
}

/* The peer of an active open: 10.0.0.2:40000, as frame_spec_default. */
static struct tcp_tuple peer_tuple(void)
{
	struct tcp_tuple t = { .l2_len = 14,
			       .l2 = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0 } };

	t.key.client[2] = htonl(0xffff);
	t.key.client[3] = htonl(0x0a000002);
	t.key.server[2] = htonl(0xffff);
	t.key.server[3] = htonl(0x0a000001);
	t.key.client_port = htons(40000);
	t.key.server_port = htons(80);
	return t;
}

/* SYN-SENT: tcp_connect to the peer; H.iss is the ISS of our SYN. */
static void syn_sent(void)
{
	struct tcp_tuple t = peer_tuple();
	struct frame_view v;
	struct tcp_conn *c;

	setup(4);
	tcp_connect(H.e, &t, NULL, H.now, &c);
	if (next_out(&v, "syn_sent(): SYN"))
		H.iss = v.seq;
	CHECK_EQ(gauge(TCPS_SYN_SENT), 1, "syn_sent(): in SYN-SENT");
}

/* SYN-RECEIVED: our SYN and the peer's crossed (simultaneous open). */
static void syn_received(void)
{
	syn_sent();
	seg(TCPHDR_SYN, IRS, 0, 65535, NULL, 0);
	drain();
	CHECK_EQ(gauge(TCPS_SYN_RECEIVED), 1, "syn_received(): in SYN-RECEIVED");
}

/* ESTABLISHED: the third ACK with XDP's metadata, our ISS, the peer's IRS. */
static void estab(void)
{
	setup(4);
	establish_opts(65535, TCPHDR_ACK, NULL, 0);
	CHECK_EQ(gauge(TCPS_ESTABLISHED), 1, "estab(): in ESTABLISHED");
}

/* CLOSE-WAIT: the peer's FIN taken (RCV.NXT = IRS + 2). */
static void close_wait(void)
{
	estab();
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 1, 65535, NULL, 0);
	drain();
	CHECK_EQ(gauge(TCPS_CLOSE_WAIT), 1, "close_wait(): in CLOSE-WAIT");
}

/* LAST-ACK: then the app's shutdown; our FIN unacknowledged (SND.NXT = ISS + 2). */
static void last_ack(void)
{
	close_wait();
	tcp_shutdown(H.conn);
	drain();
	CHECK_EQ(gauge(TCPS_LAST_ACK), 1, "last_ack(): in LAST-ACK");
}

/* FIN-WAIT-1: the app's shutdown, our FIN unacknowledged. */
static void fin_wait_1(void)
{
	estab();
	tcp_shutdown(H.conn);
	drain();
	CHECK_EQ(gauge(TCPS_FIN_WAIT_1), 1, "fin_wait_1(): in FIN-WAIT-1");
}

/* FIN-WAIT-2: our FIN acknowledged, the peer's not sent. */
static void fin_wait_2(void)
{
	fin_wait_1();
	seg(TCPHDR_ACK, IRS + 1, ISS + 2, 65535, NULL, 0);
	drain();
	CHECK_EQ(gauge(TCPS_FIN_WAIT_2), 1, "fin_wait_2(): in FIN-WAIT-2");
}

/* CLOSING: the peer's FIN crossed ours (it does not acknowledge ours). */
static void closing(void)
{
	fin_wait_1();
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 1, 65535, NULL, 0);
	drain();
	CHECK_EQ(gauge(TCPS_CLOSING), 1, "closing(): in CLOSING");
}

/* TIME-WAIT: we closed first; the app got TCP_EV_CLOSED on the way in. */
static void time_wait(void)
{
	fin_wait_2();
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 2, 65535, NULL, 0);
	drain();
	CHECK_EQ(gauge(TCPS_TIME_WAIT), 1, "time_wait(): in TIME-WAIT");
}

/*
 * RST in the synchronized states (RFC 9293 3.10.7.4 with RFC 5961 3.2):
 * exactly RCV.NXT resets, elsewhere in the window earns a challenge ACK,
 * outside it is dropped in silence. What the app hears of an accepted RST
 * depends on the state: TCP_EV_RESET while it has had no final event,
 * nothing more in TIME-WAIT (it had TCP_EV_CLOSED entering it).
 */
struct rst_case {
	const char *name;
	enum tcp_state state;
	void (*enter)(void);
	__u32 rcv_nxt, snd_nxt;
};

static const struct rst_case rst_established = {
	"ESTABLISHED", TCPS_ESTABLISHED, estab, IRS + 1, ISS + 1 };
static const struct rst_case rst_close_wait = {
	"CLOSE-WAIT", TCPS_CLOSE_WAIT, close_wait, IRS + 2, ISS + 1 };
static const struct rst_case rst_last_ack = {
	"LAST-ACK", TCPS_LAST_ACK, last_ack, IRS + 2, ISS + 2 };
static const struct rst_case rst_fin_wait_1 = {
	"FIN-WAIT-1", TCPS_FIN_WAIT_1, fin_wait_1, IRS + 1, ISS + 2 };
static const struct rst_case rst_fin_wait_2 = {
	"FIN-WAIT-2", TCPS_FIN_WAIT_2, fin_wait_2, IRS + 1, ISS + 2 };
static const struct rst_case rst_closing = {
	"CLOSING", TCPS_CLOSING, closing, IRS + 2, ISS + 2 };
static const struct rst_case rst_time_wait = {
	"TIME-WAIT", TCPS_TIME_WAIT, time_wait, IRS + 2, ISS + 2 };

static void rst_enter(const struct rst_case *k)
{
	char what[64];

	k->enter();
	snprintf(what, sizeof(what), "%s: reached", k->name);
	CHECK_EQ(gauge(k->state), 1, what);
}

/* In the window, not exactly RCV.NXT: a challenge ACK, the connection lives. */
static void rst_in_window(const struct rst_case *k)
{
	char what[64];

	rst_enter(k);
	seg(TCPHDR_RST, k->rcv_nxt + 10, 0, 0, NULL, 0);
	snprintf(what, sizeof(what), "%s: RST off RCV.NXT challenged", k->name);
	CHECK(H.cap.nout - H.cap.rd == 1, "%s", what);
	expect(TCPHDR_ACK, k->snd_nxt, k->rcv_nxt, 0, what);
	CHECK_EQ(tcp_conn_count(H.e), 1, "challenge leaves it alive");
	CHECK_EQ(gauge(k->state), 1, "and in its state");
	CHECK_EQ(STAT(rst_in), 0, "a challenged RST is not counted as taken");
	CHECK(H.ev[TCP_EV_RESET] == 0, "%s: the app is told nothing", k->name);
}

/* Outside the window: ignored silently. */
static void rst_outside_window(const struct rst_case *k)
{
	char what[64];

	rst_enter(k);
	seg(TCPHDR_RST, k->rcv_nxt + 200000, 0, 0, NULL, 0);
	snprintf(what, sizeof(what), "%s: RST outside the window ignored", k->name);
	CHECK(H.cap.nout == H.cap.rd && tcp_conn_count(H.e) == 1, "%s", what);
	CHECK_EQ(STAT(rst_in), 0, "an ignored RST is not counted as taken");
	CHECK(H.ev[TCP_EV_RESET] == 0, "%s: the app is told nothing", k->name);
}

/* Exactly RCV.NXT: the connection is freed, and the app told exactly once. */
static void rst_at_rcv_nxt(const struct rst_case *k)
{
	bool tw = k->state == TCPS_TIME_WAIT;
	char what[64];

	rst_enter(k);
	CHECK_EQ(H.ev[TCP_EV_CLOSED], tw, "before the RST: TCP_EV_CLOSED only in TIME-WAIT");
	seg(TCPHDR_RST, k->rcv_nxt, 0, 0, NULL, 0);
	snprintf(what, sizeof(what), "%s: RST at RCV.NXT frees", k->name);
	CHECK(tcp_conn_count(H.e) == 0 && H.flows_gone == 1, "%s", what);
	expect_none("nothing answers an acceptable RST");
	snprintf(what, sizeof(what), "%s: rst_in counted", k->name);
	CHECK_EQ(STAT(rst_in), 1, what);
	snprintf(what, sizeof(what), "%s: TCP_EV_RESET to the app", k->name);
	CHECK_EQ(H.ev[TCP_EV_RESET], !tw, what);
	snprintf(what, sizeof(what), "%s: no TCP_EV_CLOSED after it", k->name);
	CHECK_EQ(H.ev[TCP_EV_CLOSED], tw, what);
	CHECK(H.conn == NULL, "%s: the app let go of the connection", k->name);
}

/* ---- CLOSED: no connection for the segment ---- */

/* Unknown connection with XDP metadata (freed while queued), no valid
 * cookie: refused without RST, the flow removed; a cookie-valid one is born
 * (tests/unit/test_tcp_birth.c). */
static void test_closed_ack_with_meta_refused(void)
{
	struct xtcp_meta m = { .magic = XTCP_META_MAGIC };
	struct segopt o = { .sport = 40001 };

	estab();	/* another connection is unharmed (seen by expect) */
	inject(TCPHDR_ACK, 1, 2, 100, NULL, 0, &m, &o);
	expect_none("unknown flow: no RST");
	CHECK_EQ(H.flows_gone, 1, "its flows entry removed");
	CHECK_EQ(tcp_conn_count(H.e), 1, "the other connection lives");
}

/* Unserved port, no metadata: RST for an ACK (RFC 9293 3.10.7.1). */
static void test_closed_ack_unserved_port_rst(void)
{
	struct segopt o = { .sport = 40002, .dport = 81 };

	listening();
	inject(TCPHDR_ACK | TCPHDR_PSH, 9, 1, 100, "x", 1, NULL, &o);
	expect(TCPHDR_RST, 1, 0, 0, "ACK to an unserved port: RST");
}

/* Unserved port: RST|ACK for a SYN. */
static void test_closed_syn_unserved_port_rst_ack(void)
{
	struct segopt o = { .sport = 40002, .dport = 81 };

	listening();
	inject(TCPHDR_SYN, 9, 0, 100, NULL, 0, NULL, &o);
	expect(TCPHDR_RST | TCPHDR_ACK, 0, 10, 0, "SYN to an unserved port: RST|ACK");
}

/* The app's active open sends a SYN with our options. */
static void test_closed_connect_sends_syn(void)
{
	struct tcp_tuple t = peer_tuple();
	struct frame_view v;
	struct tcp_conn *c;

	setup(4);
	CHECK_EQ(tcp_connect(H.e, &t, NULL, H.now, &c), 0, "connect");
	if (!next_out(&v, "SYN"))
		return;
	CHECK_EQ(v.flags, TCPHDR_SYN, "SYN flags");
	CHECK(v.mss == 1460 && v.sack && v.ts && v.wscale == 7, "SYN options");
	CHECK_EQ(STAT(conn_syn_sent), 1, "SYN-SENT");
}

/* ---- LISTEN: the cookie or XDP's metadata stands in for the TCB ---- */

static void test_listen_third_ack_accepts(void)
{
	listening();
	establish_opts(65535, TCPHDR_ACK, NULL, 0);
	CHECK_EQ(H.ev[TCP_EV_ACCEPTED], 1, "accepted event");
	CHECK_EQ(conn_state(), TCPS_ESTABLISHED, "ESTABLISHED from the third ACK");
	CHECK_EQ(STAT(conn_established), 1, "gauge established");
	CHECK_EQ(STAT(accepted), 1, "accepted counter");
	expect_none("a bare third ACK needs no answer");
	CHECK_EQ(tcp_conn_count(H.e), 1, "one connection");
}

/* The first data segment stands in for a lost third ACK. */
static void test_listen_third_ack_with_data(void)
{
	listening();
	establish_opts(65535, TCPHDR_ACK | TCPHDR_PSH, "GET", 3);
	CHECK_EQ(H.ev[TCP_EV_ACCEPTED], 1, "accepted from a data segment");
	CHECK(H.rxlen == 3 && !memcmp(H.rx, "GET", 3), "its data delivered");
	expect(TCPHDR_ACK, ISS + 1, IRS + 4, 0, "data of the third ACK acked");
}

static void test_listen_third_ack_with_fin(void)
{
	listening();
	establish_opts(65535, TCPHDR_ACK | TCPHDR_FIN, "x", 1);
	CHECK_EQ(conn_state(), TCPS_CLOSE_WAIT, "third ACK with FIN: CLOSE-WAIT");
	CHECK_EQ(H.ev[TCP_EV_PEER_CLOSED], 1, "peer closed event");
	expect(TCPHDR_ACK, ISS + 1, IRS + 3, 0, "data and FIN acked");
}

/* The engine's own cookie path gives the same connection XDP would. */
static const struct segopt cookie_syn = { .mss = 1460, .wscale = 7, .sack = 1, .ts = 1,
					  .tsval = 777, .tos = 0 };

/* A SYN with ECN setup and every option; the SYN-ACK in *v. */
static bool cookie_syn_ack(struct frame_view *v)
{
	listening();
	inject(TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR, IRS, 0, 64240, NULL, 0, NULL,
	       &cookie_syn);
	return next_out(v, "SYN-ACK");
}

static void test_listen_syn_cookie_syn_ack(void)
{
	struct frame_view v;
	struct xtcp_flow_key fk;
	struct frame_spec fs;
	__u32 idx, tai_s;
	__u64 k[2], kp[2];

	if (!cookie_syn_ack(&v))
		return;
	CHECK_EQ(v.flags, TCPHDR_SYN | TCPHDR_ACK | TCPHDR_ECE, "SYN-ACK flags (ECN setup)");
	CHECK_EQ(v.ack, IRS + 1, "SYN-ACK acks the SYN");
	CHECK_EQ(v.mss, 1460, "SYN-ACK MSS");
	CHECK_EQ(v.wscale, 7, "SYN-ACK wscale");
	CHECK(v.sack && v.ts, "SYN-ACK SACK-permitted and timestamps");
	CHECK_EQ(v.tsecr, 777, "SYN-ACK echoes TSval");
	CHECK_EQ(v.tsval & XTCP_TS_WSCALE_MASK, 7, "client wscale in TSval");
	/* check the cookie with the host build of cookie.h */
	frame_spec_default(&fs, 0);
	frame_flow_key(&fs, &fk);
	tai_s = xtcp_cookie_period(H.now);
	xtcp_cookie_key(H.cfg.secret, tai_s, k);
	xtcp_cookie_key(H.cfg.secret, tai_s - 1, kp);
	CHECK_EQ(xtcp_cookie_check(k, kp, tai_s, &fk, 0, IRS, v.seq, &idx),
		 XTCP_COOKIE_OK, "engine cookie validates");
	CHECK_EQ(STAT(syn_ack_sw), 1, "counted");
	CHECK_EQ(tcp_conn_count(H.e), 0, "a SYN makes no connection");
}

/* A forged ACK is dropped and counted. */
static void test_listen_ack_bad_cookie_dropped(void)
{
	struct segopt o = cookie_syn;
	struct frame_view v;

	if (!cookie_syn_ack(&v))
		return;
	o.tsecr = v.tsval;
	o.tsval = 778;
	inject(TCPHDR_ACK, IRS + 1, v.seq + 2, 502, NULL, 0, NULL, &o);
	CHECK_EQ(STAT(drop_bad_cookie), 1, "bad cookie counted");
	CHECK_EQ(tcp_conn_count(H.e), 0, "no connection from a bad cookie");
	expect_none("nothing answers a bad cookie");
	CHECK_EQ(H.ev[TCP_EV_ACCEPTED], 0, "the app hears nothing");
}

static void test_listen_ack_good_cookie_accepts(void)
{
	struct segopt o = cookie_syn;
	struct frame_view v;
	struct tcp_conn_info i;

	if (!cookie_syn_ack(&v))
		return;
	o.tsecr = v.tsval;
	o.tsval = 778;
	inject(TCPHDR_ACK, IRS + 1, v.seq + 1, 502, NULL, 0, NULL, &o);
	CHECK_EQ(H.ev[TCP_EV_ACCEPTED], 1, "valid cookie: accepted");
	if (!H.conn)
		return;
	tcp_conn_get_info(H.conn, &i);
	CHECK_EQ(i.snd_wnd, 502u << 7, "peer window scaled by its shift");
	CHECK_EQ(i.snd_una, v.seq + 1, "SND.UNA = cookie + 1");
	tcp_send(H.conn, "hi", 2);
	tcp_flush(H.e);
	if (next_out(&v, "data with timestamps")) {
		CHECK(v.ts && v.tsecr == 778, "TSecr echoes TS.Recent");
		CHECK_EQ(v.window, 65535 >> 7, "our window scaled by our shift (SWS: edge kept)");
	}
}

static void test_listen_third_ack_max_conns_refused(void)
{
	struct segopt o = { 0 };
	int i;

	setup(2);
	for (i = 0; i < 3; i++)
		accept_from((__u16)(41000 + i), 0);
	CHECK_EQ(tcp_conn_count(H.e), 2, "two admitted");
	CHECK_EQ(STAT(refused_max_conns), 1, "third refused");
	expect(TCPHDR_RST, ISS + 1, 0, 0, "refused with RST");
	CHECK_EQ(H.flows_gone, 1, "refused flow removed");
	o.sport = 41000;
	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, "ok", 2, NULL, &o);
	expect(TCPHDR_ACK, ISS + 1, IRS + 3, 0, "an admitted one is unharmed");
}

/* A full pool recycles its oldest TIME-WAIT rather than refuse a peer. */
static void test_listen_third_ack_recycles_time_wait(void)
{
	struct xtcp_meta m = meta_new(0);
	struct segopt o = { 0 };
	int i;

	setup(2);
	for (i = 0; i < 2; i++) {	/* two connections, both to TIME-WAIT */
		time_wait_from((__u16)(43000 + i));
		H.now += MS;
	}
	/* the older one's FIN comes again: it becomes the younger */
	o.sport = 43000;
	inject(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 2, 65535, NULL, 0, NULL, &o);
	CHECK_EQ(STAT(conn_time_wait), 2, "pool full of TIME-WAIT");
	H.cap.rd = H.cap.nout;
	o.sport = 43002;
	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, "hi", 2, &m, &o);
	CHECK_EQ(STAT(refused_max_conns), 0, "not refused");
	CHECK_EQ(STAT(time_wait_recycled), 1, "a TIME-WAIT recycled");
	CHECK_EQ(STAT(conn_time_wait), 1, "one TIME-WAIT left");
	CHECK_EQ(STAT(conn_established), 1, "the newcomer admitted");
	expect(TCPHDR_ACK, ISS + 1, IRS + 3, 0, "and served");
	/* the one recycled was 43001 (oldest by its last FIN): 43000 lives */
	o.sport = 43000;
	inject(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 2, 65535, NULL, 0, NULL, &o);
	expect(TCPHDR_ACK, ISS + 2, IRS + 2, 0, "the restarted TIME-WAIT still answers");
	CHECK_EQ(H.flows_gone, 1, "the recycled one's flows entry removed");
}

/* ---- SYN-SENT ---- */

static void test_syn_sent_timeout_retransmits(void)
{
	syn_sent();
	advance(1001 * MS);
	expect(TCPHDR_SYN, H.iss, 0, 0, "SYN retransmitted");
}

static void test_syn_sent_connect_tuple_in_use(void)
{
	struct tcp_tuple t = peer_tuple();

	syn_sent();
	CHECK_EQ(tcp_connect(H.e, &t, NULL, H.now, NULL), -EADDRINUSE, "tuple in use");
}

static void test_syn_sent_syn_ack_connects(void)
{
	syn_sent();
	advance(1001 * MS);	/* after a retransmission, as a slow peer */
	H.cap.rd = H.cap.nout;
	seg(TCPHDR_SYN | TCPHDR_ACK, IRS, H.iss + 1, 65535, NULL, 0);
	expect(TCPHDR_ACK, H.iss + 1, IRS + 1, 0, "handshake's ACK");
	CHECK_EQ(H.ev[TCP_EV_CONNECTED], 1, "connected event");
	CHECK_EQ(STAT(connected), 1, "connected counted");
	seg(TCPHDR_ACK, IRS + 1, H.iss + 1, 65535, "abc", 3);
	CHECK(H.rxlen == 3, "data after an active open");
}

static void test_syn_sent_rst_ack_refused(void)
{
	syn_sent();
	seg(TCPHDR_RST | TCPHDR_ACK, 0, H.iss + 1, 0, NULL, 0);
	CHECK(H.ev[TCP_EV_RESET] == 1 && tcp_conn_count(H.e) == 0, "RST|ACK: refused");
}

/* Simultaneous open (RFC 9293 3.5, figure 7). */
static void test_syn_sent_syn_simultaneous_open(void)
{
	syn_sent();
	seg(TCPHDR_SYN, IRS, 0, 65535, NULL, 0);
	expect(TCPHDR_SYN | TCPHDR_ACK, H.iss, IRS + 1, 0, "simultaneous open: SYN-ACK");
	CHECK_EQ(STAT(conn_syn_received), 1, "SYN-RECEIVED");
}

/* No answer at all: given up after syn_retries. */
static void test_syn_sent_timeout_gives_up(void)
{
	syn_sent();
	for (int i = 0; i < 10; i++)
		advance(70 * SEC);
	CHECK(H.ev[TCP_EV_RESET] == 1 && tcp_conn_count(H.e) == 0, "SYN retries exhausted");
}

/* ---- SYN-RECEIVED ---- */

static void test_syn_received_ack_connects(void)
{
	syn_received();
	seg(TCPHDR_ACK, IRS + 1, H.iss + 1, 65535, NULL, 0);
	CHECK_EQ(H.ev[TCP_EV_CONNECTED], 1, "connected from SYN-RECEIVED");
	CHECK_EQ(conn_state(), TCPS_ESTABLISHED, "ESTABLISHED");
}

/* ---- ESTABLISHED ---- */

static void test_established_data_in_order(void)
{
	estab();
	seg(TCPHDR_ACK | TCPHDR_PSH, IRS + 1, ISS + 1, 65535, pattern, 1000);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1001, 0, "data acked");
	CHECK(H.rxlen == 1000 && !memcmp(H.rx, pattern, 1000), "data read in order");
	CHECK_EQ(STAT(bytes_in), 1000, "bytes_in");
}

/* An old duplicate: re-ACKed, not delivered twice. */
static void test_established_data_duplicate(void)
{
	estab();
	seg(TCPHDR_ACK | TCPHDR_PSH, IRS + 1, ISS + 1, 65535, pattern, 1000);
	drain();
	seg(TCPHDR_ACK | TCPHDR_PSH, IRS + 1, ISS + 1, 65535, pattern, 1000);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1001, 0, "duplicate re-acked");
	CHECK_EQ(H.rxlen, 1000, "duplicate not delivered");
}

/* Overlapping: only the new part is delivered. */
static void test_established_data_overlap(void)
{
	estab();
	seg(TCPHDR_ACK | TCPHDR_PSH, IRS + 1, ISS + 1, 65535, pattern, 1000);
	drain();
	seg(TCPHDR_ACK, IRS + 501, ISS + 1, 65535, pattern + 500, 1000);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1501, 0, "overlap trimmed");
	CHECK(H.rxlen == 1500 && !memcmp(H.rx, pattern, 1500), "overlap bytes exact");
}

static void test_established_data_out_of_order(void)
{
	estab();
	seg(TCPHDR_ACK, IRS + 1001, ISS + 1, 65535, pattern + 1000, 1000);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 0, "hole: duplicate ACK");
	seg(TCPHDR_ACK, IRS + 3001, ISS + 1, 65535, pattern + 3000, 500);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 0, "second hole: duplicate ACK");
	CHECK_EQ(H.rxlen, 0, "nothing readable across a hole");
	CHECK_EQ(STAT(ooo_segs), 2, "out-of-order segments counted");
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 1000);
	expect(TCPHDR_ACK, ISS + 1, IRS + 2001, 0, "first hole filled");
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 3501, ISS + 1, 65535, pattern + 3500, 100);
	expect(TCPHDR_ACK, ISS + 1, IRS + 2001, 0, "FIN beyond a hole");
	CHECK_EQ(conn_state(), TCPS_ESTABLISHED, "FIN beyond a hole waits");
	seg(TCPHDR_ACK, IRS + 2001, ISS + 1, 65535, pattern + 2000, 1000);
	expect(TCPHDR_ACK, ISS + 1, IRS + 3602, 0, "all filled, FIN consumed");
	CHECK(H.rxlen == 3600 && !memcmp(H.rx, pattern, 3600), "bytes exact after fill");
	CHECK_EQ(conn_state(), TCPS_CLOSE_WAIT, "FIN taken once in order");
}

/* The SACK blocks of a frame we sent (RFC 2018 3); their count. */
static int sack_blocks(const struct frame_view *v, int idx, __u32 (*b)[2])
{
	const __u8 *o = H.cap.out[idx] + v->l4_off + 20, *end = o + v->doff * 4u - 20;
	int n = 0;

	while (o < end) {
		if (*o == 0)
			break;
		if (*o == 1) {
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2)
			break;
		if (o[0] == 5)
			for (int k = 0; k + 8 <= o[1] - 2 && n < 4; k += 8, n++) {
				b[n][0] = (__u32)o[2 + k] << 24 | (__u32)o[3 + k] << 16 |
					  (__u32)o[4 + k] << 8 | o[5 + k];
				b[n][1] = (__u32)o[6 + k] << 24 | (__u32)o[7 + k] << 16 |
					  (__u32)o[8 + k] << 8 | o[9 + k];
			}
		o += o[1];
	}
	return n;
}

/* ESTABLISHED with SACK permitted by the peer's SYN. */
static void estab_sack(void)
{
	struct xtcp_meta m = meta_new(XTCP_META_SACK);

	setup(4);
	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, NULL, 0, &m, NULL);
	CHECK_EQ(gauge(TCPS_ESTABLISHED), 1, "estab_sack(): in ESTABLISHED");
}

/* RFC 2018 4: blocks for out-of-order data, the newest first; RFC 2883:
 * a duplicate is reported in the first block. */
static void test_established_data_out_of_order_sack(void)
{
	struct frame_view v;
	__u32 b[4][2];
	int idx;

	estab_sack();
	seg(TCPHDR_ACK, IRS + 1001, ISS + 1, 65535, pattern, 500);
	idx = H.cap.rd;
	if (next_out(&v, "out of order: ACK at once")) {
		CHECK_EQ(v.ack, IRS + 1, "acks RCV.NXT");
		CHECK(sack_blocks(&v, idx, b) == 1 && b[0][0] == IRS + 1001 &&
		      b[0][1] == IRS + 1501, "one SACK block for the segment");
	}
	seg(TCPHDR_ACK, IRS + 3001, ISS + 1, 65535, pattern, 500);
	idx = H.cap.rd;
	if (next_out(&v, "second hole")) {
		CHECK(sack_blocks(&v, idx, b) == 2 && b[0][0] == IRS + 3001 &&
		      b[1][0] == IRS + 1001, "the newest block first, then the other");
	}
	seg(TCPHDR_ACK, IRS + 1001, ISS + 1, 65535, pattern, 500);
	idx = H.cap.rd;
	if (next_out(&v, "a duplicate")) {
		CHECK(sack_blocks(&v, idx, b) >= 2 && b[0][0] == IRS + 1001 &&
		      b[0][1] == IRS + 1501, "D-SACK: the duplicate first");
	}
	CHECK_EQ(STAT(dsacks_out), 1, "D-SACK counted");
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 1000);
	idx = H.cap.rd;
	if (next_out(&v, "hole filled")) {
		CHECK_EQ(v.ack, IRS + 1501, "cumulative ACK past the first block");
		CHECK(sack_blocks(&v, idx, b) == 1 && b[0][0] == IRS + 3001,
		      "the remaining block only");
	}
	/* an old segment, entirely below RCV.NXT: D-SACK below the ACK */
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 100);
	idx = H.cap.rd;
	if (next_out(&v, "old duplicate"))
		CHECK(sack_blocks(&v, idx, b) >= 1 && b[0][0] == IRS + 1 &&
		      b[0][1] == IRS + 101, "D-SACK for the old segment");
}

/* Data segments leave room for the SACK blocks: payload + options <= MSS. */
static void test_established_send_with_sack_blocks(void)
{
	struct frame_view v;
	__u32 b[4][2];
	int idx;

	estab_sack();
	seg(TCPHDR_ACK, IRS + 1001, ISS + 1, 65535, pattern, 500);	/* a hole */
	drain();
	tcp_send(H.conn, pattern, 3000);
	tcp_flush(H.e);
	idx = H.cap.rd;
	if (next_out(&v, "data with a SACK block")) {
		CHECK(sack_blocks(&v, idx, b) >= 1, "the data segment carries the block");
		CHECK(payload_len(&v) + v.doff * 4u - 20 <= 1460,
		      "payload %zu + options %u within the MSS", payload_len(&v),
		      v.doff * 4u - 20);
	}
}

/* The receive window fills, then opens as the app reads (SWS avoidance). */
static void test_established_data_fills_window(void)
{
	__u32 seq = IRS + 1;
	struct frame_view v;
	int i;

	estab();
	H.autoread = false;
	for (i = 0; i < 44; i++, seq += 1460)	/* 64240 bytes */
		seg(TCPHDR_ACK, seq, ISS + 1, 65535, pattern, 1460);
	H.cap.rd = H.cap.nout;
	seg(TCPHDR_ACK, seq, ISS + 1, 65535, pattern, 1296);	/* fills 65536 */
	if (next_out(&v, "ACK of the last byte"))
		CHECK_EQ(v.window, 0, "window closed");
	seq += 1296;
	seg(TCPHDR_ACK, seq, ISS + 1, 65535, pattern, 100);
	expect(TCPHDR_ACK, ISS + 1, seq, 0, "beyond a closed window: re-ACK");
	CHECK_EQ(STAT(drop_unacceptable), 0, "a probe at RCV.NXT is not unacceptable");
	/* the app reads a little: no update (SWS avoidance) */
	tcp_recv(H.conn, H.rx, 100);
	tcp_flush(H.e);
	expect_none("no window update for 100 bytes");
	/* the app reads a lot: update */
	tcp_recv(H.conn, H.rx, 40000);
	tcp_flush(H.e);
	if (next_out(&v, "window update")) {
		CHECK_EQ(v.ack, seq, "update acks RCV.NXT");
		CHECK_EQ(v.window, 40100, "update opens the window");
	}
}

static void test_established_send(void)
{
	struct frame_view v;
	int first;

	estab();
	CHECK_EQ(tcp_send(H.conn, pattern, 5000), 5000, "send takes 5000");
	tcp_flush(H.e);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 1460, "segment 1");
	expect(TCPHDR_ACK, ISS + 1461, IRS + 1, 1460, "segment 2");
	expect(TCPHDR_ACK, ISS + 2921, IRS + 1, 1460, "segment 3");
	first = H.cap.rd;
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 4381, IRS + 1, 620, "last segment pushes");
	CHECK(!frame_parse(H.cap.out[first], H.cap.outlen[first], &v) &&
	      !memcmp(payload(&v, first), pattern + 4380, 620), "payload bytes");
	seg(TCPHDR_ACK, IRS + 1, ISS + 5001, 65535, NULL, 0);
	expect_none("an ACK of everything needs no answer");
	CHECK_EQ(H.ev[TCP_EV_WRITABLE], 1, "writable after the ACK");
}

/* The peer's window limits what goes out. */
static uint32_t tcp_conn_info_snd_wnd(void)
{
	struct tcp_conn_info i;

	tcp_conn_get_info(H.conn, &i);
	return i.snd_wnd;
}

static void test_established_send_peer_window(void)
{
	setup(4);
	establish_opts(2000, TCPHDR_ACK, NULL, 0);
	tcp_send(H.conn, pattern, 5000);
	tcp_flush(H.e);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 1460, "window: first");
	/* RFC 9293 3.8.6.2.1: 540 bytes of window is under both the MSS and
	 * half the largest window offered: no silly segment */
	expect_none("SWS: 540 bytes of window wait");
	seg(TCPHDR_ACK, IRS + 1, ISS + 1461, 4000, NULL, 0);
	expect(TCPHDR_ACK, ISS + 1461, IRS + 1, 1460, "window opened: more");
	expect(TCPHDR_ACK, ISS + 2921, IRS + 1, 1460, "window opened: more");
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 4381, IRS + 1, 620, "the rest");
}

/* An ACK too old to take the window from (its SEG.SEQ below SND.WL1: the
 * peer's earlier segment, reordered) moves SND.UNA, and the peer's right
 * edge stays where the last window put it (RFC 9293 3.10.7.4). */
static void test_established_old_ack_keeps_right_edge(void)
{
	setup(4);
	establish_opts(2000, TCPHDR_ACK, NULL, 0);
	tcp_send(H.conn, pattern, 5000);
	tcp_flush(H.e);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 1460, "window: first");
	expect_none("SWS: 540 bytes of window wait");
	/* the peer's second segment first: out of order, its window taken */
	seg(TCPHDR_ACK, IRS + 11, ISS + 1, 2000, pattern, 10);
	expect(TCPHDR_ACK, ISS + 1461, IRS + 1, 0, "duplicate ACK for the hole");
	/* then its first, acknowledging our 1460 bytes: the right edge is
	 * still ISS + 2001, 540 bytes beyond SND.UNA, not 2000 */
	seg(TCPHDR_ACK, IRS + 1, ISS + 1461, 2000, pattern, 10);
	expect(TCPHDR_ACK, ISS + 1461, IRS + 21, 0, "the hole filled: ACK, no data");
	expect_none("nothing sent past the peer's window");
	CHECK_EQ(tcp_conn_info_snd_wnd(), 540, "SND.WND: the edge kept");
}

/* A full send buffer takes what fits. */
static void test_established_send_buffer_full(void)
{
	estab();
	CHECK_EQ(tcp_send(H.conn, pattern, sizeof(pattern)), 65536, "send buffer bound");
	CHECK_EQ(tcp_send_space(H.conn), 0, "no space left");
}

/* Nagle (RFC 9293 3.7.4, Minshall's form) and tcp_set_nodelay. */
static void test_established_send_nagle(void)
{
	estab();
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 1, IRS + 1, 100, "a small segment with nothing in flight");
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	expect_none("a second small one waits for the ACK");
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	expect_none("and coalesces");
	seg(TCPHDR_ACK, IRS + 1, ISS + 101, 65535, NULL, 0);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 101, IRS + 1, 200, "the ACK releases both as one");
	tcp_set_nodelay(H.conn, true);
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 301, IRS + 1, 100, "nodelay: at once");
}

/* A large write's tail is not held (Minshall). */
static void test_established_send_nagle_large_write(void)
{
	estab();
	tcp_send(H.conn, pattern, 3000);
	tcp_flush(H.e);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 1460, "full segment");
	expect(TCPHDR_ACK, ISS + 1461, IRS + 1, 1460, "full segment");
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 2921, IRS + 1, 80, "the tail goes: no short one is out");
}

/* A frame could not be had: counted, then recovered by the RTO. */
static void test_established_send_no_tx_frame(void)
{
	estab();
	H.cap.starved = true;
	tcp_send(H.conn, pattern, 10);
	tcp_flush(H.e);
	CHECK_EQ(STAT(drop_no_tx_frame), 1, "no TX frame counted");
	H.cap.starved = false;
	advance(1100 * MS);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 1, IRS + 1, 10, "sent once a frame is free");
}

static void test_established_rto_retransmits(void)
{
	estab();
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 1, IRS + 1, 100, "sent");
	advance(999 * MS);
	expect_none("before the RTO");
	advance(2 * MS);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 1, IRS + 1, 100, "retransmitted after 1 s");
	advance(2001 * MS);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 1, IRS + 1, 100, "backed off to 2 s");
	seg(TCPHDR_ACK, IRS + 1, ISS + 101, 65535, NULL, 0);
	advance(10 * SEC);
	expect_none("acked: timer stopped");
	CHECK_EQ(STAT(retransmits), 2, "retransmits counted");
}

/* A peer that vanishes: aborted after max_retries with RST. */
static void test_established_rto_retries_exhausted(void)
{
	struct frame_view v;

	estab();
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	for (int i = 0; i < 5; i++)
		advance(70 * SEC);
	CHECK_EQ(tcp_conn_count(H.e), 0, "aborted after the retry limit");
	CHECK_EQ(H.ev[TCP_EV_RESET], 1, "app told");
	CHECK_EQ(STAT(aborted), 1, "aborted counted");
	CHECK(H.cap.nout > 0 && !frame_parse(H.cap.out[H.cap.nout - 1], H.cap.outlen[H.cap.nout - 1], &v) &&
	      (v.flags & TCPHDR_RST), "last segment is a RST");
}

static void test_established_zero_window_persists(void)
{
	estab();
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 0, NULL, 0);	/* window closed */
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	expect_none("zero window: nothing sent");
	advance(1001 * MS);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 1, "persist probe: one byte of new data");
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 0, NULL, 0);	/* probe answered, still 0 */
	advance(10 * SEC);
	CHECK(H.cap.nout > H.cap.rd, "probes continue while the window is closed");
	CHECK_EQ(tcp_conn_count(H.e), 1, "a live peer with a closed window is kept");
	H.cap.rd = H.cap.nout;
	seg(TCPHDR_ACK, IRS + 1, ISS + 2, 65535, NULL, 0);	/* opens, acks the probe */
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 2, IRS + 1, 99, "the rest once it opens");
}

/* RFC 9293 3.8.6.1: probes back off, a live peer is kept, and a peer that
 * stops answering is aborted after the retry limit. */
static void test_established_zero_window_backoff(void)
{
	__u64 last = 0, gaps[4] = { 0 };
	int n = 0;

	estab();
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 0, NULL, 0);
	tcp_send(H.conn, pattern, 100);
	tcp_flush(H.e);
	for (int t = 0; t < 1600 && n < 4; t++) {
		advance(10 * MS);
		if (H.cap.rd < H.cap.nout) {
			H.cap.rd = H.cap.nout;
			if (last)
				gaps[n++] = H.now - last;
			last = H.now;
			seg(TCPHDR_ACK, IRS + 1, ISS + 1, 0, NULL, 0);	/* still closed */
		}
	}
	CHECK(n == 4, "four probe intervals seen");
	CHECK(gaps[0] > 0 && gaps[1] >= 2 * gaps[0] - 20 * MS &&
	      gaps[2] >= 2 * gaps[1] - 20 * MS,
	      "intervals double: %llu %llu %llu ms", (unsigned long long)(gaps[0] / MS),
	      (unsigned long long)(gaps[1] / MS), (unsigned long long)(gaps[2] / MS));
	CHECK(STAT(persist_probes) >= 1, "probes counted");
	CHECK_EQ(tcp_conn_count(H.e), 1, "a peer that answers is kept");
	/* the peer vanishes: retries run out (max_retries 3 here) */
	for (int t = 0; t < 600; t++)
		advance(SEC);
	CHECK_EQ(tcp_conn_count(H.e), 0, "a silent peer is aborted");
	CHECK_EQ(STAT(retry_aborts), 1, "after the retry limit");
	CHECK_EQ(H.ev[TCP_EV_RESET], 1, "the app is told");
}

static void delack_40(struct tcp_cfg *cfg)
{
	cfg->delack_ms = 40;
}

/* RFC 9293 3.8.6.3: at most every second full segment, at most 40 ms. */
static void test_established_data_delayed_ack(void)
{
	cfg_tweak = delack_40;
	estab();
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 1000);
	expect_none("one segment: the ACK waits");
	advance(39 * MS);
	expect_none("not before 40 ms");
	advance(2 * MS);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1001, 0, "delayed ACK at 40 ms");
	CHECK_EQ(STAT(delayed_acks), 1, "counted");
	seg(TCPHDR_ACK, IRS + 1001, ISS + 1, 65535, pattern, 1460);
	expect_none("first full segment: waits");
	seg(TCPHDR_ACK, IRS + 2461, ISS + 1, 65535, pattern, 1460);
	expect(TCPHDR_ACK, ISS + 1, IRS + 3921, 0, "second full segment: ACK now");
	advance(50 * MS);
	expect_none("the timer has nothing left to do");
	/* data going out carries the ACK: no separate one later */
	seg(TCPHDR_ACK, IRS + 3921, ISS + 1, 65535, pattern, 100);
	tcp_send(H.conn, pattern, 10);
	tcp_flush(H.e);
	expect(TCPHDR_ACK | TCPHDR_PSH, ISS + 1, IRS + 4021, 10, "the reply carries the ACK");
	advance(50 * MS);
	expect_none("no delayed ACK after a piggybacked one");
	/* out of order: at once */
	seg(TCPHDR_ACK, IRS + 9000, ISS + 11, 65535, pattern, 100);
	expect(TCPHDR_ACK, ISS + 11, IRS + 4021, 0, "out of order: ACK at once");
}

/* ESTABLISHED with timestamps, TS.Recent = tsval. */
static void estab_ts(__u32 tsval)
{
	struct xtcp_meta m = meta_new(XTCP_META_TS);
	struct segopt o = { .ts = 1, .tsval = tsval };

	m.ts_val = tsval;
	setup(4);
	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, NULL, 0, &m, &o);
	CHECK_EQ(gauge(TCPS_ESTABLISHED), 1, "estab_ts(): in ESTABLISHED");
}

/* RFC 7323 5: PAWS. */
static void test_established_data_paws(void)
{
	struct segopt o = { .ts = 1 };

	estab_ts(5000);
	o.tsval = 6000;
	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 100, NULL, &o);
	expect(TCPHDR_ACK, ISS + 1, IRS + 101, 0, "a newer timestamp: taken");
	o.tsval = 5500;
	inject(TCPHDR_ACK, IRS + 101, ISS + 1, 65535, pattern, 100, NULL, &o);
	expect(TCPHDR_ACK, ISS + 1, IRS + 101, 0, "an older timestamp: ACK, data dropped");
	CHECK_EQ(STAT(drop_paws), 1, "PAWS counted");
	CHECK_EQ(H.rxlen, 100, "the old segment's data was not taken");
	o.tsval = 6000;
	inject(TCPHDR_ACK, IRS + 101, ISS + 1, 65535, pattern, 100, NULL, &o);
	expect(TCPHDR_ACK, ISS + 1, IRS + 201, 0, "an equal timestamp passes");
	/* a TS.Recent older than 24 days is not trusted (5.5) */
	advance(25ULL * 24 * 3600 * SEC);
	H.cap.rd = H.cap.nout;
	o.tsval = 100;
	inject(TCPHDR_ACK, IRS + 201, ISS + 1, 65535, pattern, 100, NULL, &o);
	expect(TCPHDR_ACK, ISS + 1, IRS + 301, 0, "after 24 idle days an old timestamp passes");
	/* PAWS never drops a RST */
	o.tsval = 50;
	inject(TCPHDR_RST, IRS + 301, 0, 0, NULL, 0, NULL, &o);
	CHECK_EQ(tcp_conn_count(H.e), 0, "a RST with an old timestamp still resets");
}

/* RFC 5961 5.2: ACKs outside SND.UNA - MAX.SND.WND .. SND.NXT; and 7:
 * challenge ACKs are rate-limited. */
static void test_established_ack_out_of_range_challenged(void)
{
	estab();
	tcp_send(H.conn, pattern, 1000);
	tcp_flush(H.e);
	H.cap.rd = H.cap.nout;
	seg(TCPHDR_ACK, IRS + 1, ISS + 1001, 65535, NULL, 0);
	expect_none("a good ACK needs no answer");
	seg(TCPHDR_ACK, IRS + 1, ISS + 1001 - 100, 65535, NULL, 0);
	expect_none("a slightly old ACK is ignored (RFC 9293)");
	seg(TCPHDR_ACK, IRS + 1, ISS + 1001 - 70000, 65535, pattern, 10);
	expect(TCPHDR_ACK, ISS + 1001, IRS + 1, 0,
	       "an ACK below SND.UNA - MAX.SND.WND: challenge, data dropped");
	CHECK_EQ(H.rxlen, 0, "its data was not taken");
	CHECK_EQ(STAT(challenge_acks), 1, "challenge counted");
	advance(600 * MS);	/* past the per-connection gap */
	seg(TCPHDR_ACK, IRS + 1, ISS + 5001, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 1001, IRS + 1, 0, "an ACK above SND.NXT: challenge");
	/* one per 500 ms per connection: a flood of SYNs gets nothing more
	 * (tests/unit/test_tcp_birth.c has the engine-wide budget) */
	for (int i = 0; i < 1010; i++)
		seg(TCPHDR_SYN, IRS + 7 + (__u32)i, 0, 65535, NULL, 0);
	CHECK_EQ(STAT(challenge_acks), 2, "challenge ACKs stop at the limit");
	CHECK_EQ(STAT(challenge_acks_limited), 1010, "the rest counted as limited");
	advance(SEC);
	H.cap.rd = H.cap.nout = 0;	/* the record is full of the flood's answers */
	seg(TCPHDR_SYN, IRS + 5, 0, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 1001, IRS + 1, 0, "a new second: challenged again");
	CHECK_EQ(tcp_conn_count(H.e), 1, "the connection survived it all");
}

/* An ACK of data never sent: an ACK back (RFC 9293 3.10.7.4). */
static void test_established_ack_unsent_data(void)
{
	estab();
	seg(TCPHDR_ACK, IRS + 1, ISS + 100, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 0, "ACK of unsent data: ACK back");
}

/* RFC 5961 4.2: a SYN on a synchronized connection earns a challenge ACK. */
static void test_established_syn_challenged(void)
{
	estab();
	seg(TCPHDR_SYN, IRS + 77, 0, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 1, IRS + 1, 0, "SYN on ESTABLISHED: challenge ACK");
	CHECK_EQ(STAT(challenge_acks), 1, "challenge counted");
	CHECK_EQ(conn_state(), TCPS_ESTABLISHED, "still ESTABLISHED");
}

static void test_established_bad_checksum_dropped(void)
{
	struct segopt bad = { .bad_csum = true };

	estab();
	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 10, NULL, &bad);
	expect_none("bad checksum: silence");
	CHECK_EQ(STAT(drop_csum), 1, "bad checksum counted");
	CHECK_EQ(H.rxlen, 0, "bad checksum: no data");
}

static void test_established_junk_frame_dropped(void)
{
	__u8 junk[30] = { 0 };

	estab();
	tcp_input(H.e, junk, sizeof(junk), NULL, H.now);
	CHECK_EQ(STAT(drop_malformed), 1, "junk frame counted");
	CHECK_EQ(tcp_conn_count(H.e), 1, "the connection is unharmed");
}

/* RFC 3168 6.1.3: CE is echoed with ECE until the peer's CWR. */
static void test_established_ce_echoed(void)
{
	struct segopt ce = { .tos = 3 }, plain = { 0 };

	setup(4);
	accept_from(0, XTCP_META_ECN);
	inject(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 10, NULL, &ce);
	expect(TCPHDR_ACK | TCPHDR_ECE, ISS + 1, IRS + 11, 0, "CE echoed with ECE");
	inject(TCPHDR_ACK, IRS + 11, ISS + 1, 65535, pattern, 10, NULL, &plain);
	expect(TCPHDR_ACK | TCPHDR_ECE, ISS + 1, IRS + 21, 0, "ECE until CWR");
	inject(TCPHDR_ACK | TCPHDR_CWR, IRS + 21, ISS + 1, 65535, pattern, 10, NULL, &plain);
	expect(TCPHDR_ACK, ISS + 1, IRS + 31, 0, "CWR stops ECE");
}

static void keepalive_on(struct tcp_cfg *cfg)
{
	cfg->keepalive_idle_ms = 1000;
	cfg->keepalive_intvl_ms = 500;
	cfg->keepalive_probes = 3;
}

static void test_established_idle_no_keepalive(void)
{
	estab();
	advance(3600 * SEC);
	expect_none("keepalive is off by default");
}

/* RFC 9293 3.8.4 (RFC 1122 4.2.3.6) on the virtual clock. */
static void test_established_idle_keepalive(void)
{
	cfg_tweak = keepalive_on;
	estab();
	advance(999 * MS);
	expect_none("not before the idle time");
	advance(2 * MS);
	expect(TCPHDR_ACK, ISS, IRS + 1, 0, "probe: SEG.SEQ = SND.UNA - 1");
	CHECK_EQ(STAT(keepalive_probes), 1, "probe counted");
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, NULL, 0);	/* the answer */
	advance(600 * MS);
	expect_none("answered: idle again");
	advance(500 * MS);
	expect(TCPHDR_ACK, ISS, IRS + 1, 0, "next probe after another idle period");
	/* no answers: two more probes at the interval, then abort */
	advance(500 * MS);
	expect(TCPHDR_ACK, ISS, IRS + 1, 0, "second probe after the interval");
	advance(500 * MS);
	expect(TCPHDR_ACK, ISS, IRS + 1, 0, "third probe");
	advance(500 * MS);
	expect(TCPHDR_RST | TCPHDR_ACK, ISS + 1, IRS + 1, 0, "three unanswered: RST");
	CHECK_EQ(STAT(keepalive_aborts), 1, "abort counted");
	CHECK_EQ(H.ev[TCP_EV_RESET], 1, "the app is told");
	CHECK_EQ(tcp_conn_count(H.e), 0, "nothing left");
}

/* Traffic keeps keepalive quiet. */
static void test_established_data_defers_keepalive(void)
{
	cfg_tweak = keepalive_on;
	estab();
	for (int i = 0; i < 10; i++) {
		advance(900 * MS);
		seg(TCPHDR_ACK, IRS + 1 + (__u32)i, ISS + 1, 65535, pattern, 1);
	}
	CHECK_EQ(STAT(keepalive_probes), 0, "no probe while the peer talks");
}

/* The peer's FIN: CLOSE-WAIT, the app told. */
static void test_established_fin(void)
{
	estab();
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 1, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 1, IRS + 2, 0, "FIN acked");
	CHECK_EQ(conn_state(), TCPS_CLOSE_WAIT, "CLOSE-WAIT");
	CHECK_EQ(H.ev[TCP_EV_PEER_CLOSED], 1, "peer closed");
}

static void test_established_fin_with_data(void)
{
	estab();
	seg(TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN, IRS + 1, ISS + 1, 65535, pattern, 10);
	expect(TCPHDR_ACK, ISS + 1, IRS + 12, 0, "data+FIN acked");
	CHECK(H.rxlen == 10 && H.ev[TCP_EV_PEER_CLOSED] == 1, "data then peer closed");
}

/* The app closes inside TCP_EV_PEER_CLOSED: our FIN rides on the ACK. */
static void test_established_fin_app_closes(void)
{
	estab();
	H.close_on_peer_close = true;
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 1, 65535, NULL, 0);
	expect(TCPHDR_ACK | TCPHDR_FIN, ISS + 1, IRS + 2, 0, "FIN answers FIN");
	seg(TCPHDR_ACK, IRS + 2, ISS + 2, 65535, NULL, 0);
	CHECK_EQ(tcp_conn_count(H.e), 0, "freed");
}

/* The app's close: our FIN, FIN-WAIT-1. */
static void test_established_close(void)
{
	estab();
	tcp_close(H.conn);
	H.conn = NULL;
	tcp_flush(H.e);
	expect(TCPHDR_ACK | TCPHDR_FIN, ISS + 1, IRS + 1, 0, "our FIN");
	CHECK_EQ(STAT(conn_fin_wait_1), 1, "FIN-WAIT-1");
}

/* The app's shutdown (SHUT_WR): our FIN, FIN-WAIT-1, the app still reads. */
static void test_established_shutdown(void)
{
	estab();
	CHECK_EQ(tcp_shutdown(H.conn), 0, "shutdown");
	tcp_flush(H.e);
	expect(TCPHDR_ACK | TCPHDR_FIN, ISS + 1, IRS + 1, 0, "FIN");
	CHECK_EQ(conn_state(), TCPS_FIN_WAIT_1, "FIN-WAIT-1, the app attached");
	CHECK_EQ(tcp_send(H.conn, "x", 1), -EPIPE, "no sending after shutdown");
}

/* Unread data at close: RST, not FIN (RFC 2525 2.17). */
static void test_established_close_unread_data_rst(void)
{
	estab();
	H.autoread = false;
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 10);
	H.cap.rd = H.cap.nout;
	tcp_close(H.conn);
	tcp_flush(H.e);
	expect(TCPHDR_RST | TCPHDR_ACK, ISS + 1, IRS + 11, 0, "close with unread data: RST");
	CHECK_EQ(tcp_conn_count(H.e), 0, "and freed");
}

static void test_established_rst_in_window(void) { rst_in_window(&rst_established); }
static void test_established_rst_outside_window(void) { rst_outside_window(&rst_established); }
static void test_established_rst_at_rcv_nxt(void) { rst_at_rcv_nxt(&rst_established); }

/*
 * The replay guard: a connection born from a cookie asks the driver, when
 * it ends, to refuse copies of its third ACK until the cookie expires. ISS
 * 1000 has period bits 1; the TAI clock is set 1 s into period 17 (17 & 3
 * == 1), so the cookie is valid until period 19 begins.
 */
#define GUARD_EXPIRES (19ULL * 60 * SEC)
static void tai_period_17(struct tcp_cfg *cfg)
{
	cfg->tai_offset_ns = (int64_t)(17 * 60 * SEC + SEC) - (int64_t)(1000 * SEC);
}

static void test_established_rst_guards_replay(void)
{
	cfg_tweak = tai_period_17;
	estab();
	seg(TCPHDR_RST, IRS + 1, 0, 0, NULL, 0);
	CHECK_EQ(tcp_conn_count(H.e), 0, "RST at RCV.NXT: freed");
	CHECK_EQ(H.guards, 1, "the ended handshake goes to the replay guard");
	CHECK_EQ(H.guard_irs, IRS, "keyed by the client ISN");
	CHECK_EQ(H.guard_expires, GUARD_EXPIRES, "until the cookie expires");
	CHECK(H.guard_before_gone, "before the flow is forgotten");
	CHECK_EQ(STAT(replay_guarded), 1, "counted");
}

static void test_established_long_lived_no_guard(void)
{
	cfg_tweak = tai_period_17;
	estab();
	advance(120 * SEC);	/* past period 19: the cookie is dead already */
	seg(TCPHDR_RST, IRS + 1, 0, 0, NULL, 0);
	CHECK_EQ(tcp_conn_count(H.e), 0, "RST at RCV.NXT: freed");
	CHECK_EQ(H.guards, 0, "outlived its cookie: nothing to guard");
}

/* ---- CLOSE-WAIT ---- */

/* CLOSE-WAIT may still send; the app's close sends data and FIN. */
static void test_close_wait_close(void)
{
	close_wait();
	tcp_send(H.conn, "bye", 3);
	tcp_close(H.conn);
	H.conn = NULL;
	tcp_flush(H.e);
	expect(TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN, ISS + 1, IRS + 2, 3, "data and FIN");
	CHECK_EQ(STAT(conn_last_ack), 1, "LAST-ACK");
}

static void test_close_wait_rst_in_window(void) { rst_in_window(&rst_close_wait); }
static void test_close_wait_rst_outside_window(void) { rst_outside_window(&rst_close_wait); }
static void test_close_wait_rst_at_rcv_nxt(void) { rst_at_rcv_nxt(&rst_close_wait); }

/* ---- LAST-ACK ---- */

/* The ACK of our FIN frees the connection; an attached app hears CLOSED. */
static void test_last_ack_ack_frees(void)
{
	last_ack();
	seg(TCPHDR_ACK, IRS + 2, ISS + 2, 65535, NULL, 0);
	expect_none("nothing after the last ACK");
	CHECK_EQ(tcp_conn_count(H.e), 0, "freed after LAST-ACK");
	CHECK_EQ(H.flows_gone, 1, "flows entry removed");
	CHECK_EQ(STAT(conn_last_ack), 0, "gauge back to 0");
	CHECK_EQ(STAT(closed), 1, "closed counted");
	CHECK(H.ev[TCP_EV_CLOSED] == 1 && H.ev[TCP_EV_RESET] == 0,
	      "the app is told it closed cleanly");
}

/* After the app's tcp_close: the same, and no event. */
static void test_last_ack_ack_frees_closed_app(void)
{
	close_wait();
	tcp_close(H.conn);
	H.conn = NULL;
	drain();
	seg(TCPHDR_ACK, IRS + 2, ISS + 2, 65535, NULL, 0);
	expect_none("nothing after the last ACK");
	CHECK_EQ(tcp_conn_count(H.e), 0, "freed after LAST-ACK");
	CHECK_EQ(H.flows_gone, 1, "flows entry removed");
	CHECK(H.ev[TCP_EV_CLOSED] == 0 && H.ev[TCP_EV_RESET] == 0,
	      "an app that closed hears nothing more");
}

static void test_last_ack_rst_in_window(void) { rst_in_window(&rst_last_ack); }
static void test_last_ack_rst_outside_window(void) { rst_outside_window(&rst_last_ack); }
static void test_last_ack_rst_at_rcv_nxt(void) { rst_at_rcv_nxt(&rst_last_ack); }

/* ---- FIN-WAIT-1 ---- */

static void test_fin_wait_1_ack(void)
{
	fin_wait_1();
	seg(TCPHDR_ACK, IRS + 1, ISS + 2, 65535, NULL, 0);
	CHECK_EQ(STAT(conn_fin_wait_2), 1, "FIN-WAIT-2");
	expect_none("an ACK of our FIN needs no answer");
}

/* FIN+ACK of our FIN: straight to TIME-WAIT. */
static void test_fin_wait_1_fin_ack(void)
{
	fin_wait_1();
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 2, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 2, IRS + 2, 0, "FIN+ACK acked");
	CHECK_EQ(STAT(conn_time_wait), 1, "FIN-WAIT-1 -> TIME-WAIT");
	CHECK_EQ(H.ev[TCP_EV_CLOSED], 1, "closed event at TIME-WAIT");
}

/* Simultaneous close: the peer's FIN crosses ours. */
static void test_fin_wait_1_fin(void)
{
	fin_wait_1();
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 1, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 2, IRS + 2, 0, "their FIN acked");
	CHECK_EQ(conn_state(), TCPS_CLOSING, "CLOSING");
}

/* Data after the app closed: nobody will read it, RST (RFC 9293 3.10.4). */
static void test_fin_wait_1_data_closed_app_rst(void)
{
	estab();
	tcp_close(H.conn);
	H.conn = NULL;
	drain();
	seg(TCPHDR_ACK, IRS + 1, ISS + 1, 65535, pattern, 10);
	expect(TCPHDR_RST | TCPHDR_ACK, ISS + 2, IRS + 1, 0, "data to a closed app: RST");
	CHECK_EQ(tcp_conn_count(H.e), 0, "and freed");
}

static void test_fin_wait_1_rst_in_window(void) { rst_in_window(&rst_fin_wait_1); }
static void test_fin_wait_1_rst_outside_window(void) { rst_outside_window(&rst_fin_wait_1); }
static void test_fin_wait_1_rst_at_rcv_nxt(void) { rst_at_rcv_nxt(&rst_fin_wait_1); }

/* ---- FIN-WAIT-2 ---- */

static void test_fin_wait_2_fin(void)
{
	fin_wait_2();
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 2, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 2, IRS + 2, 0, "their FIN acked");
	CHECK_EQ(STAT(conn_time_wait), 1, "TIME-WAIT");
	CHECK_EQ(H.ev[TCP_EV_CLOSED], 1, "closed event at TIME-WAIT");
}

/* Half close: after our FIN, data still flows in. */
static void test_fin_wait_2_data(void)
{
	fin_wait_2();
	seg(TCPHDR_ACK, IRS + 1, ISS + 2, 65535, pattern, 100);
	expect(TCPHDR_ACK, ISS + 2, IRS + 101, 0, "data in FIN-WAIT-2 acked");
	CHECK_EQ(H.rxlen, 100, "half-close: still readable");
}

/* An app-less FIN-WAIT-2 does not live forever. */
static void test_fin_wait_2_orphan_times_out(void)
{
	estab();
	tcp_close(H.conn);
	tcp_flush(H.e);
	seg(TCPHDR_ACK, IRS + 1, ISS + 2, 65535, NULL, 0);
	CHECK_EQ(STAT(conn_fin_wait_2), 1, "FIN-WAIT-2");
	advance(1100 * MS);
	CHECK_EQ(tcp_conn_count(H.e), 0, "orphan FIN-WAIT-2 times out");
}

static void test_fin_wait_2_rst_in_window(void) { rst_in_window(&rst_fin_wait_2); }
static void test_fin_wait_2_rst_outside_window(void) { rst_outside_window(&rst_fin_wait_2); }
static void test_fin_wait_2_rst_at_rcv_nxt(void) { rst_at_rcv_nxt(&rst_fin_wait_2); }

/* ---- CLOSING ---- */

static void test_closing_ack(void)
{
	closing();
	seg(TCPHDR_ACK, IRS + 2, ISS + 2, 65535, NULL, 0);
	CHECK_EQ(STAT(conn_time_wait), 1, "CLOSING -> TIME-WAIT");
	advance(1100 * MS);
	CHECK_EQ(tcp_conn_count(H.e), 0, "gone");
}

static void test_closing_rst_in_window(void) { rst_in_window(&rst_closing); }
static void test_closing_rst_outside_window(void) { rst_outside_window(&rst_closing); }
static void test_closing_rst_at_rcv_nxt(void) { rst_at_rcv_nxt(&rst_closing); }

/* ---- TIME-WAIT ---- */

/* A retransmitted FIN is re-ACKed and restarts 2MSL (RFC 9293 3.10.7.4). */
static void test_time_wait_fin_restarts_2msl(void)
{
	time_wait();
	advance(800 * MS);
	seg(TCPHDR_ACK | TCPHDR_FIN, IRS + 1, ISS + 2, 65535, NULL, 0);
	expect(TCPHDR_ACK, ISS + 2, IRS + 2, 0, "retransmitted FIN re-acked");
	advance(800 * MS);
	CHECK_EQ(STAT(conn_time_wait), 1, "2MSL restarted by the FIN");
	advance(300 * MS);
	CHECK_EQ(tcp_conn_count(H.e), 0, "gone after TIME-WAIT");
	CHECK_EQ(H.flows_gone, 1, "flows entry removed after TIME-WAIT");
}

/* A new SYN reopens the tuple (RFC 9293 3.10.7.4, RFC 6191). */
static void test_time_wait_syn_reopens(void)
{
	struct frame_view v;

	time_wait();
	seg(TCPHDR_SYN, IRS + 100000, 0, 65535, NULL, 0);
	if (next_out(&v, "new SYN in TIME-WAIT"))
		CHECK_EQ(v.flags, TCPHDR_SYN | TCPHDR_ACK, "answered with a fresh SYN-ACK");
	CHECK_EQ(tcp_conn_count(H.e), 0, "old incarnation gone");
	CHECK_EQ(H.flows_gone, 1, "its flows entry removed");
}

/* Many connections with timers at once: each fires at its own time. */
/* TIME-WAIT's end is an end too: the guard takes it then. */
static void test_time_wait_end_guards_replay(void)
{
	cfg_tweak = tai_period_17;
	time_wait();
	CHECK_EQ(H.guards, 0, "not while in TIME-WAIT (the flow is still known)");
	advance(2 * SEC);
	CHECK_EQ(gauge(TCPS_TIME_WAIT), 0, "TIME-WAIT over");
	CHECK_EQ(H.guards, 1, "then guarded");
	CHECK_EQ(H.guard_irs, IRS, "keyed by the client ISN");
	CHECK_EQ(H.guard_expires, GUARD_EXPIRES, "until the cookie expires");
}

static void test_time_wait_timeout_many(void)
{
	int i, n = 64, left;

	setup((__u32)n);	/* TIME-WAIT is 1 s */
	for (i = 0; i < n; i++) {
		time_wait_from((__u16)(42000 + i));	/* staggered by 10 ms */
		H.now += 10 * MS;
	}
	CHECK_EQ(STAT(conn_time_wait), n, "all in TIME-WAIT");
	/* the first expires at +1 s of its own entry; one leaves every 10 ms */
	H.now -= 10 * MS * (__u64)n;
	for (i = 0; i < n; i++) {
		advance(i ? 10 * MS : 1 * SEC + 5 * MS);
		left = (int)tcp_conn_count(H.e);
		if (left != n - i - 1) {
			CHECK(0, "after %d expiries %d connections left, want %d",
			      i + 1, left, n - i - 1);
			break;
		}
	}
	CHECK_EQ(tcp_conn_count(H.e), 0, "every TIME-WAIT expired");
	CHECK_EQ(tcp_timers(H.e, H.now), 0, "no timer left armed");
	CHECK_EQ(H.flows_gone, n, "every flows entry removed");
}

static void test_time_wait_rst_outside_window(void) { rst_outside_window(&rst_time_wait); }
static void test_time_wait_rst_at_rcv_nxt(void) { rst_at_rcv_nxt(&rst_time_wait); }

static const struct check_case tests[] = {
	CHECK_CASE(test_closed_ack_with_meta_refused),
	CHECK_CASE(test_closed_ack_unserved_port_rst),
	CHECK_CASE(test_closed_syn_unserved_port_rst_ack),
	CHECK_CASE(test_closed_connect_sends_syn),
	CHECK_CASE(test_listen_third_ack_accepts),
	CHECK_CASE(test_listen_third_ack_with_data),
	CHECK_CASE(test_listen_third_ack_with_fin),
	CHECK_CASE(test_listen_syn_cookie_syn_ack),
	CHECK_CASE(test_listen_ack_bad_cookie_dropped),
	CHECK_CASE(test_listen_ack_good_cookie_accepts),
	CHECK_CASE(test_listen_third_ack_max_conns_refused),
	CHECK_CASE(test_listen_third_ack_recycles_time_wait),
	CHECK_CASE(test_syn_sent_timeout_retransmits),
	CHECK_CASE(test_syn_sent_connect_tuple_in_use),
	CHECK_CASE(test_syn_sent_syn_ack_connects),
	CHECK_CASE(test_syn_sent_rst_ack_refused),
	CHECK_CASE(test_syn_sent_syn_simultaneous_open),
	CHECK_CASE(test_syn_sent_timeout_gives_up),
	CHECK_CASE(test_syn_received_ack_connects),
	CHECK_CASE(test_established_data_in_order),
	CHECK_CASE(test_established_data_duplicate),
	CHECK_CASE(test_established_data_overlap),
	CHECK_CASE(test_established_data_out_of_order),
	CHECK_CASE(test_established_data_out_of_order_sack),
	CHECK_CASE(test_established_send_with_sack_blocks),
	CHECK_CASE(test_established_data_fills_window),
	CHECK_CASE(test_established_send),
	CHECK_CASE(test_established_send_peer_window),
	CHECK_CASE(test_established_old_ack_keeps_right_edge),
	CHECK_CASE(test_established_send_buffer_full),
	CHECK_CASE(test_established_send_nagle),
	CHECK_CASE(test_established_send_nagle_large_write),
	CHECK_CASE(test_established_send_no_tx_frame),
	CHECK_CASE(test_established_rto_retransmits),
	CHECK_CASE(test_established_rto_retries_exhausted),
	CHECK_CASE(test_established_zero_window_persists),
	CHECK_CASE(test_established_zero_window_backoff),
	CHECK_CASE(test_established_data_delayed_ack),
	CHECK_CASE(test_established_data_paws),
	CHECK_CASE(test_established_ack_out_of_range_challenged),
	CHECK_CASE(test_established_ack_unsent_data),
	CHECK_CASE(test_established_syn_challenged),
	CHECK_CASE(test_established_bad_checksum_dropped),
	CHECK_CASE(test_established_junk_frame_dropped),
	CHECK_CASE(test_established_ce_echoed),
	CHECK_CASE(test_established_idle_no_keepalive),
	CHECK_CASE(test_established_idle_keepalive),
	CHECK_CASE(test_established_data_defers_keepalive),
	CHECK_CASE(test_established_fin),
	CHECK_CASE(test_established_fin_with_data),
	CHECK_CASE(test_established_fin_app_closes),
	CHECK_CASE(test_established_close),
	CHECK_CASE(test_established_shutdown),
	CHECK_CASE(test_established_close_unread_data_rst),
	CHECK_CASE(test_established_rst_in_window),
	CHECK_CASE(test_established_rst_outside_window),
	CHECK_CASE(test_established_rst_at_rcv_nxt),
	CHECK_CASE(test_established_rst_guards_replay),
	CHECK_CASE(test_established_long_lived_no_guard),
	CHECK_CASE(test_close_wait_close),
	CHECK_CASE(test_close_wait_rst_in_window),
	CHECK_CASE(test_close_wait_rst_outside_window),
	CHECK_CASE(test_close_wait_rst_at_rcv_nxt),
	CHECK_CASE(test_last_ack_ack_frees),
	CHECK_CASE(test_last_ack_ack_frees_closed_app),
	CHECK_CASE(test_last_ack_rst_in_window),
	CHECK_CASE(test_last_ack_rst_outside_window),
	CHECK_CASE(test_last_ack_rst_at_rcv_nxt),
	CHECK_CASE(test_fin_wait_1_ack),
	CHECK_CASE(test_fin_wait_1_fin_ack),
	CHECK_CASE(test_fin_wait_1_fin),
	CHECK_CASE(test_fin_wait_1_data_closed_app_rst),
	CHECK_CASE(test_fin_wait_1_rst_in_window),
	CHECK_CASE(test_fin_wait_1_rst_outside_window),
	CHECK_CASE(test_fin_wait_1_rst_at_rcv_nxt),
	CHECK_CASE(test_fin_wait_2_fin),
	CHECK_CASE(test_fin_wait_2_data),
	CHECK_CASE(test_fin_wait_2_orphan_times_out),
	CHECK_CASE(test_fin_wait_2_rst_in_window),
	CHECK_CASE(test_fin_wait_2_rst_outside_window),
	CHECK_CASE(test_fin_wait_2_rst_at_rcv_nxt),
	CHECK_CASE(test_closing_ack),
	CHECK_CASE(test_closing_rst_in_window),
	CHECK_CASE(test_closing_rst_outside_window),
	CHECK_CASE(test_closing_rst_at_rcv_nxt),
	CHECK_CASE(test_time_wait_fin_restarts_2msl),
	CHECK_CASE(test_time_wait_syn_reopens),
	CHECK_CASE(test_time_wait_timeout_many),
	CHECK_CASE(test_time_wait_end_guards_replay),
	CHECK_CASE(test_time_wait_rst_outside_window),
	CHECK_CASE(test_time_wait_rst_at_rcv_nxt),
};

/* Each test starts from nothing: no engine, no settings of another test's. */
static void reset(void)
{
	if (H.e)
		tcp_engine_free(H.e);
	H.e = NULL;
	cfg_tweak = NULL;
}

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (__u8)(i * 31 + 7);
	return check_run("unit/tcp_states", tests, sizeof(tests) / sizeof(tests[0]),
			 reset, argc, argv);
}
