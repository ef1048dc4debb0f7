// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The path changes under a connection: ICMP "fragmentation needed" and
 * "packet too big" (RFC 1191, RFC 8201) lower the MSS and resend from
 * SND.UNA, only when they quote data in flight (RFC 5927 4.1); timeouts in
 * a row fall back to the floor MSS (RFC 4821 black hole); an interface MTU
 * change lowers live connections and new SYN-ACKs. The engine against a
 * scripted peer on a virtual clock, as test_tcp_states.c does it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

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
	struct tcp_conn *conn;
	int v6;
	size_t sent;		/* bytes of the pattern handed to tcp_send */
} H;

static __u8 pattern[200000];
static __u32 bh_rtos = 3;	/* blackhole_rtos of the next establish() */


static void rec_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	(void)ctx;
	if (ev == TCP_EV_ACCEPTED)
		H.conn = c;
	if (ev == TCP_EV_RESET || ev == TCP_EV_CLOSED)
		H.conn = NULL;
}

static const struct tcp_app rec_app = { .name = "rec", .event = rec_event };

static void setup(int v6, __u32 blackhole_rtos)
{
	if (H.e)
		tcp_engine_free(H.e);
	memset(&H, 0, sizeof(H));
	tcp_cfg_default(&H.cfg);
	H.cfg.max_conns = 4;
	H.cfg.sndbuf = 131072;
	H.cfg.rcvbuf = 65536;
	H.cfg.delack_ms = 0;
	H.cfg.blackhole_rtos = blackhole_rtos;
	/* the scripts answer at once on a clock that stands still: a paced
	 * segment would wait for time that never passes (test_tcp_pacing) */
	H.cfg.no_pacing = true;
	H.cfg.app = &rec_app;
	capture_io(&H.cap, &H.cfg.io);
	H.now = 1000 * SEC;
	H.v6 = v6;
	if (tcp_engine_new(&H.cfg, &H.e))
		abort();
	tcp_listen(H.e, 80);
}

static void inject_spec(struct frame_spec *s, const struct xtcp_meta *m)
{
	__u8 buf[2048];
	size_t n = frame_build(s, buf, sizeof(buf));

	tcp_input(H.e, buf, n, m, H.now);
	tcp_flush(H.e);
}

/* An ACK from the peer (client port 40000 unless sport). */
static void ack(__u32 a, __u16 sport)
{
	struct frame_spec s;

	frame_spec_default(&s, H.v6);
	s.flags = TCPHDR_ACK;
	s.seq = IRS + 1;
	s.ack = a;
	s.window = 65535;
	if (sport)
		s.sport = sport;
	inject_spec(&s, NULL);
}

/* The XDP program's third ACK: a connection with MSS 1460, no options. */
static void establish(int v6, __u8 meta_flags)
{
	struct xtcp_meta m = {
		.iss = ISS, .irs = IRS, .mss = 1460,
		.snd_wscale = XTCP_WSCALE_NONE, .rcv_wscale = XTCP_WSCALE_NONE,
		.flags = XTCP_META_NEW | meta_flags, .magic = XTCP_META_MAGIC,
	};
	struct frame_spec s;

	setup(v6, bh_rtos);
	frame_spec_default(&s, v6);
	s.flags = TCPHDR_ACK;
	s.seq = IRS + 1;
	s.ack = ISS + 1;
	s.window = 65535;
	if (meta_flags & XTCP_META_TS) {
		s.ts = 1;
		s.tsval = 100;
		s.tsecr = 1;
	}
	inject_spec(&s, &m);
}

static struct tcp_conn_info info(void)
{
	struct tcp_conn_info i = {};

	if (H.conn)
		tcp_conn_get_info(H.conn, &i);
	return i;
}

static __u64 stat(size_t off)
{
	return *(const __u64 *)((const __u8 *)tcp_stats(H.e) + off);
}
#define STAT(name) stat(offsetof(struct xtcp_engine_stats, name))

/*
 * A router's ICMP error quoting frame idx we sent, with its first quote
 * bytes of IP (RFC 1812 asks for as many as fit in 576). seq_delta shifts
 * the quoted seq; corrupt breaks the ICMP checksum.
 */
static void icmp_too_big(int idx, __u32 mtu, size_t quote, __u32 seq_delta,
			 bool corrupt)
{
	struct xtcp_meta m = { .flags = XTCP_META_ICMP, .magic = XTCP_META_MAGIC };
	__u8 ours[2048], f[2048], *th;
	size_t n;
	__u32 seq;

	memcpy(ours, H.cap.out[idx], H.cap.outlen[idx]);
	th = ours + 14 + (H.v6 ? 40 : 20);
	seq = ((__u32)th[4] << 24 | (__u32)th[5] << 16 | (__u32)th[6] << 8 | th[7]) +
	      seq_delta;
	th[4] = seq >> 24;
	th[5] = (__u8)(seq >> 16);
	th[6] = (__u8)(seq >> 8);
	th[7] = (__u8)seq;
	n = frame_icmp_too_big(ours, H.cap.outlen[idx], mtu, quote, f, sizeof(f));
	if (corrupt)
		f[n - 1] ^= 0x10;
	tcp_input(H.e, f, n, &m, H.now);
	tcp_flush(H.e);
}

static bool parse_out(int idx, struct frame_view *v)
{
	return idx < H.cap.nout && !frame_parse(H.cap.out[idx], H.cap.outlen[idx], v);
}

static size_t plen(const struct frame_view *v)
{
	return v->tcp_len - v->doff * 4u;
}

/* Send the next len bytes of the pattern, flush; returns the first new
 * frame. */
static int send_data(size_t len)
{
	int first = H.cap.nout;

	tcp_send(H.conn, pattern + H.sent, len);
	H.sent += len;
	tcp_flush(H.e);
	return first;
}

/* Every frame from idx on: data at most max_payload, IP packet at most
 * max_ip; returns how many carried data. */
static int check_sizes(int idx, size_t max_payload, size_t max_ip, const char *what)
{
	struct frame_view v;
	int n = 0;

	for (int i = idx; i < H.cap.nout; i++) {
		if (!parse_out(i, &v)) {
			CHECK(0, "%s: frame %d parses", what, i);
			continue;
		}
		CHECK(plen(&v) <= max_payload, "%s: frame %d carries %zu > %zu",
		      what, i, plen(&v), max_payload);
		CHECK(H.cap.outlen[i] - 14 <= max_ip, "%s: frame %d is %u bytes of IP",
		      what, i, H.cap.outlen[i] - 14);
		n += plen(&v) > 0;
	}
	return n;
}

/* The peer ACKs everything as it comes, until SND.UNA reaches end; every
 * byte it got must be the pattern's. */
static bool drain(__u32 end)
{
	struct frame_view v;

	for (int rounds = 0; rounds < 200; rounds++) {
		__u32 hi = 0;

		for (; H.cap.rd < H.cap.nout; H.cap.rd++) {
			if (!parse_out(H.cap.rd, &v))
				return false;
			if (plen(&v) && memcmp(H.cap.out[H.cap.rd] + v.l4_off + v.doff * 4u,
					       pattern + (v.seq - ISS - 1), plen(&v)))
				return false;
			if (v.seq + plen(&v) > hi)	/* no wrap: ISS is small */
				hi = v.seq + (__u32)plen(&v);
		}
		if (info().snd_una == end)
			return true;
		if (!hi)
			return false;
		ack(hi, 0);
	}
	return false;
}

static void test_established_frag_needed(void)
{
	struct tcp_conn_info before, after;
	struct frame_view v;
	int first, resent;

	establish(0, 0);
	CHECK_EQ(info().mss, 1460, "MSS from the third ACK");
	first = send_data(20000);
	CHECK_EQ(check_sizes(first, 1460, 1500, "before"), 10, "ten full segments in flight");
	before = info();
	H.cap.rd = H.cap.nout;

	/* a router on the way has an MTU of 1280 now */
	icmp_too_big(first + 3, 1280, 548, 0, false);
	after = info();
	CHECK_EQ(STAT(icmp_in), 1, "the ICMP is seen");
	CHECK_EQ(STAT(pmtu_updates), 1, "the MSS is lowered");
	CHECK_EQ(after.mss, 1240, "MSS = 1280 - 40");
	CHECK_EQ(after.cwnd, before.cwnd, "no congestion signal: cwnd kept");
	CHECK_EQ(after.ssthresh, before.ssthresh, "ssthresh kept");
	resent = H.cap.rd;
	CHECK(parse_out(resent, &v) && v.seq == ISS + 1 && plen(&v) == 1240,
	      "resent at once from SND.UNA at the new size");
	CHECK(check_sizes(resent, 1240, 1280, "after") >= 11,
	      "a window of smaller segments goes again");
	CHECK(STAT(retransmits) > 0, "counted as retransmissions");
	CHECK(drain(ISS + 1 + 20000), "every byte arrives, acknowledged, in order");
	CHECK_EQ(STAT(rto_expiries), 0, "no timeout was needed");
	CHECK_EQ(STAT(fast_retransmits), 0, "nor a fast retransmit");

	/* the same news again (later quotes of the old window) changes nothing */
	first = send_data(3000);
	icmp_too_big(first, 1280, 548, 0, false);
	CHECK_EQ(STAT(pmtu_updates), 1, "an ICMP that lowers nothing is no update");
	CHECK_EQ(info().mss, 1240, "MSS stays");
}

/* RFC 5927 4.1: an ICMP not quoting data in flight is ignored and counted. */
static void test_established_icmp_invalid(void)
{
	int first;

	establish(0, 0);
	first = send_data(5000);
	icmp_too_big(first, 1280, 548, 100000, false);
	CHECK_EQ(STAT(drop_icmp), 1, "quoted seq above SND.MAX: dropped");
	icmp_too_big(first, 1280, 548, (__u32)-10, false);
	CHECK_EQ(STAT(drop_icmp), 2, "quoted seq below SND.UNA: dropped");
	CHECK_EQ(info().mss, 1460, "the MSS is untouched");
	icmp_too_big(first, 1280, 548, 0, true);
	CHECK_EQ(STAT(drop_icmp), 3, "bad ICMP checksum: dropped");
	icmp_too_big(first, 1280, 20 + 4, 0, false);
	CHECK_EQ(STAT(drop_icmp), 4, "a quote without the seq: dropped");
	icmp_too_big(first, 1600, 548, 0, false);
	CHECK_EQ(STAT(drop_icmp), 5, "an MTU the packet fitted: ignored");
	CHECK_EQ(info().mss, 1460, "the MSS is still untouched");
	CHECK_EQ(STAT(pmtu_updates), 0, "no update");
	CHECK_EQ(STAT(icmp_in), 5, "each one seen");
	CHECK_EQ(STAT(segs_in), 1, "none counted as a segment");

	/* a quote of a connection we do not have */
	ack(ISS + 1 + 5000, 0);
	first = send_data(2000);
	memcpy(H.cap.out[first] + 14 + 20 + 2, "\x9c\x41", 2); /* client port 40001 */
	icmp_too_big(first, 1280, 548, 0, false);
	CHECK_EQ(STAT(drop_icmp), 6, "no such connection: dropped");
	CHECK_EQ(info().mss, 1460, "ours untouched");

	/* what the data validated: an ICMP still quoting acked data is stale */
	ack(ISS + 1 + 7000, 0);
	icmp_too_big(first, 1280, 548, 0, false);
	CHECK_EQ(STAT(drop_icmp), 7, "quote of acknowledged data: dropped");
}

static void test_established_mtu_odd(void)
{
	int first;

	/* below the floor: 536 at least (RFC 9293 3.7.1) */
	establish(0, 0);
	first = send_data(5000);
	icmp_too_big(first, 300, 548, 0, false);
	CHECK_EQ(info().mss, 536, "a tiny MTU is floored at MSS 536");

	/* an old router says no MTU: the plateau below 1500 (RFC 1191 7) */
	establish(0, 0);
	first = send_data(5000);
	icmp_too_big(first, 0, 548, 0, false);
	CHECK_EQ(info().mss, 1492 - 40, "no next-hop MTU: plateau 1492");
	CHECK_EQ(STAT(pmtu_updates), 1, "counted");

	/* timestamps take their 12 bytes off the new MSS too */
	establish(0, XTCP_META_TS);
	CHECK_EQ(info().mss, 1448, "MSS with timestamps");
	first = send_data(5000);
	icmp_too_big(first, 1280, 548, 0, false);
	CHECK_EQ(info().mss, 1228, "1280 - 40 - 12 with timestamps");
	CHECK(check_sizes(first + 4, 1228, 1280, "timestamps") > 0, "resent to fit");
}

static void test_established_v6_packet_too_big(void)
{
	int first;

	establish(1, 0);
	CHECK_EQ(info().mss, 1440, "IPv6 MSS: ours, 1500 - 60");
	first = send_data(20000);
	H.cap.rd = H.cap.nout;
	icmp_too_big(first + 1, 1280, 1232, 0, false);
	CHECK_EQ(STAT(pmtu_updates), 1, "packet too big applied");
	CHECK_EQ(info().mss, 1220, "1280 - 60");
	CHECK(check_sizes(H.cap.rd, 1220, 1280, "v6") > 0, "resent at 1280 bytes of IPv6");
	CHECK(drain(ISS + 1 + 20000), "every byte arrives");
	establish(1, 0);
	first = send_data(5000);
	icmp_too_big(first, 600, 1232, 0, false);
	CHECK_EQ(info().mss, 1220, "IPv6 never goes below 1280 (RFC 8200 5)");
}

/* A path that drops big packets without a word (RFC 4821 2). */
static void test_established_blackhole(void)
{
	struct frame_view v;
	int i;

	establish(0, 0);
	send_data(20000);
	H.cap.rd = H.cap.nout;
	for (i = 0; i < 2; i++)
		tcp_timers(H.e, H.now += 70 * SEC);
	CHECK_EQ(STAT(rto_expiries), 2, "two timeouts");
	CHECK_EQ(info().mss, 1460, "two timeouts keep the MSS");
	H.cap.rd = H.cap.nout;
	tcp_timers(H.e, H.now += 70 * SEC);
	CHECK_EQ(STAT(pmtu_blackholes), 1, "the third in a row lowers it");
	CHECK_EQ(info().mss, 536, "to the floor");
	CHECK(parse_out(H.cap.rd, &v) && v.seq == ISS + 1 && plen(&v) == 536,
	      "the timeout resends SND.UNA at 536");
	CHECK(drain(ISS + 1 + 20000), "and the transfer completes");
	CHECK_EQ(STAT(pmtu_blackholes), 1, "once");

	/* a second later the old size is tried again (RFC 4821 7.2) */
	tcp_timers(H.e, H.now += 900 * MS);
	send_data(3000);
	CHECK_EQ(info().mss, 536, "not before a second");
	CHECK(drain(ISS + 1 + 23000), "acknowledged");
	H.cap.rd = H.cap.nout;
	tcp_timers(H.e, H.now += 200 * MS);
	send_data(20000);
	CHECK_EQ(STAT(pmtu_raised), 1, "after a second: the old size again");
	CHECK(parse_out(H.cap.rd, &v) && plen(&v) == 1460, "new data goes at 1460");
	/* it is a real black hole: it falls back again, and waits longer */
	H.cap.rd = H.cap.nout;
	for (i = 0; i < 3; i++)
		tcp_timers(H.e, H.now += 70 * SEC);
	CHECK_EQ(STAT(pmtu_blackholes), 2, "the trial fails: down again");
	CHECK_EQ(info().mss, 536, "at the floor");
	CHECK(drain(ISS + 1 + 43000), "the transfer completes");
	tcp_timers(H.e, H.now += 1100 * MS);
	send_data(3000);
	CHECK_EQ(info().mss, 536, "the next trial waits 2 s, not 1");
	CHECK(drain(ISS + 1 + 46000), "acknowledged");
	tcp_timers(H.e, H.now += 1000 * MS);
	send_data(3000);
	CHECK_EQ(info().mss, 1460, "after 2 s: tried again");
	CHECK_EQ(STAT(pmtu_raised), 2, "counted");
	/* this time it was loss: the big segments are acknowledged */
	CHECK(drain(ISS + 1 + 49000), "acknowledged at 1460");
	send_data(20000);
	for (i = 0; i < 3; i++)
		tcp_timers(H.e, H.now += 70 * SEC);
	CHECK_EQ(STAT(pmtu_blackholes), 3, "a later streak falls back again");
	tcp_timers(H.e, H.now += 1100 * MS);
	send_data(100);
	CHECK_EQ(info().mss, 1460, "and is tried after 1 s: the trial passed");

	/* off: blackhole_rtos = 0 */
	bh_rtos = 0;
	establish(0, 0);
	bh_rtos = 3;
	send_data(20000);
	for (i = 0; i < 5; i++)
		tcp_timers(H.e, H.now += 70 * SEC);
	CHECK_EQ(info().mss, 1460, "blackhole_rtos 0: the MSS stays");
	CHECK_EQ(STAT(pmtu_blackholes), 0, "nothing counted");

	/* small segments lost prove nothing about the MTU */
	establish(0, 0);
	send_data(300);
	for (i = 0; i < 4; i++)
		tcp_timers(H.e, H.now += 70 * SEC);
	CHECK_EQ(info().mss, 1460, "300 bytes in flight: the MSS stays");
}

/* The interface MTU changes under live connections (serve sees it). */
static void test_established_if_mtu(void)
{
	struct frame_spec s;
	struct frame_view v;
	int first;

	establish(0, 0);
	first = send_data(20000);
	H.cap.rd = H.cap.nout;
	tcp_set_mss(H.e, 1240, 1220);
	tcp_flush(H.e);
	CHECK_EQ(STAT(pmtu_if_mtu), 1, "the live connection lowered");
	CHECK_EQ(info().mss, 1240, "to the new interface MSS");
	CHECK(check_sizes(H.cap.rd, 1240, 1280, "if mtu") > 0, "in-flight data resent to fit");
	CHECK(drain(ISS + 1 + 20000), "every byte arrives");
	(void)first;

	/* a new connection's SYN-ACK offers the new MSS */
	frame_spec_default(&s, 0);
	s.sport = 41000;
	s.seq = IRS;
	s.mss = 1460;
	H.cap.rd = H.cap.nout;
	inject_spec(&s, NULL);
	CHECK(parse_out(H.cap.rd, &v) && (v.flags & TCPHDR_SYN) && v.mss == 1240,
	      "SYN-ACK MSS follows the interface");

	/* raising it back leaves live connections as they are */
	tcp_set_mss(H.e, 1460, 1440);
	CHECK_EQ(info().mss, 1240, "a live connection is not raised");
	CHECK_EQ(STAT(pmtu_if_mtu), 1, "nothing more counted");
}

/* Mutated and cut ICMP errors: each counted once, nothing read out of
 * bounds (the sanitizer build runs this too), the connection unharmed. */
static void test_established_icmp_fuzz(void)
{
	struct xtcp_meta m = { .flags = XTCP_META_ICMP, .magic = XTCP_META_MAGIC };
	unsigned int seed = 4242;
	__u8 good[2048], f[2048];
	size_t n, len;
	int first, i, j;

	establish(0, 0);
	first = send_data(5000);
	n = frame_icmp_too_big(H.cap.out[first], H.cap.outlen[first], 1400, 548, good,
			       sizeof(good));
	for (i = 0; i < 2000; i++) {
		memcpy(f, good, n);
		len = n;
		for (j = 0; j < 1 + (int)(rand_r(&seed) % 4); j++)
			f[rand_r(&seed) % len] = (__u8)rand_r(&seed);
		if (i % 3 == 0)
			len = rand_r(&seed) % len;
		tcp_input(H.e, f, len, &m, H.now);
		tcp_flush(H.e);
	}
	CHECK_EQ(STAT(icmp_in), 2000, "every mutated ICMP seen");
	CHECK_EQ(STAT(drop_icmp) + STAT(pmtu_updates) <= 2000, 1, "each counted at most once");
	CHECK(info().mss >= 536 && info().mss <= 1460, "the MSS stays sane");
	CHECK(drain(ISS + 1 + 5000), "the connection still delivers");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (__u8)(i * 31 + 7);
	test_established_frag_needed();
	test_established_icmp_invalid();
	test_established_mtu_odd();
	test_established_v6_packet_too_big();
	test_established_blackhole();
	test_established_if_mtu();
	test_established_icmp_fuzz();
	tcp_engine_free(H.e);
	return check_done("unit/tcp_pmtu");
}
