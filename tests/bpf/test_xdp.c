// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The XDP program through BPF_PROG_TEST_RUN (root, no interface): the exact
 * SYN-ACK for each kind of SYN, checked field by field with checksums from
 * independent code and the cookie from the host build; the third ACK; and a
 * table of malformed frames, each with its verdict and counter. The
 * redirect cases bind an AF_XDP socket to the loopback of a private network
 * namespace, so the xskmap holds a real socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "frames.h"
#include "xsk_lo.h"
#include "xtcp.skel.h"
#include "xtcp/cookie.h"
#include "xtcp/handoff.h"
#include "acl.h"

static struct xtcp *skel;
#define KPORT 8080	/* served --to kernel */
static const __u64 master[2] = { 0x1111222233334444ULL, 0x5555666677778888ULL };
static int ncpus;

struct run {
	int retval;
	__u8 out[16384];	/* a jumbo frame and its metadata */
	__u32 out_len;
	struct xdp_md ctx_out;
	int stat;		/* the one counter that moved, -1 if not one */
};

static void read_stats(struct xtcp_stats *sum)
{
	struct xtcp_stats pc[ncpus];
	__u32 zero = 0;
	int c, i;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map__lookup_elem(skel->maps.xtcp_stats, &zero, sizeof(zero), pc,
				 sizeof(pc), 0))
		return;
	for (c = 0; c < ncpus; c++)
		for (i = 0; i < XTCP_STAT__MAX; i++)
			((__u64 *)sum)[i] += ((__u64 *)&pc[c])[i];
}

static int run_frame(const __u8 *frame, size_t len, struct run *r)
{
	struct xdp_md ctx_in = { .data_end = (__u32)len };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &r->ctx_out,
		    .ctx_size_out = sizeof(r->ctx_out), .repeat = 1);
	struct xtcp_stats before, after;
	int err, i, moved = 0;

	read_stats(&before);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xtcp_xdp), &o);
	read_stats(&after);
	r->retval = (int)o.retval;
	r->out_len = o.data_size_out;
	r->stat = -1;
	for (i = 0; i < XTCP_STAT__MAX; i++) {
		__u64 d = ((__u64 *)&after)[i] - ((__u64 *)&before)[i];

		if (d) {
			moved++;
			r->stat = d == 1 ? i : -1;
		}
	}
	if (moved != 1)
		r->stat = -1;
	return err ? -errno : 0;
}

/* The frame proper in the output, past any metadata in front of it. */
static const __u8 *run_data(const struct run *r, __u32 *len)
{
	__u32 meta = r->ctx_out.data - r->ctx_out.data_meta;

	*len = r->out_len - meta;
	return r->out + meta;
}

static __u32 period_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return xtcp_cookie_period((__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

static void set_config(__u8 flags)
{
	struct xtcp_config cfg = { .mss4 = 1460, .mss6 = 1440, .window = 65535,
				   .wscale = 7, .flags = flags };
	__u32 zero = 0;

	bpf_map__update_elem(skel->maps.xtcp_config, &zero, sizeof(zero), &cfg,
			     sizeof(cfg), 0);
}

static int setup(void)
{
	struct xtcp_keys keys = { .master = { master[0], master[1] },
				  .generation = 42 };
	__u32 zero = 0, port = 80;
	__u8 one = 1;

	ncpus = libbpf_num_possible_cpus();
	skel = xtcp__open_and_load();
	if (!skel) {
		fprintf(stderr, "loading the XDP program: %s\n", strerror(errno));
		return -1;
	}
	set_config(XTCP_CFG_ECN);
	bpf_map__update_elem(skel->maps.xtcp_ports, &port, sizeof(port), &one,
			     sizeof(one), 0);
	port = 443;
	bpf_map__update_elem(skel->maps.xtcp_ports, &port, sizeof(port), &one,
			     sizeof(one), 0);
	port = KPORT;
	one = XTCP_PORT_KERNEL;
	bpf_map__update_elem(skel->maps.xtcp_ports, &port, sizeof(port), &one,
			     sizeof(one), 0);
	bpf_map__update_elem(skel->maps.xtcp_keys, &zero, sizeof(zero), &keys,
			     sizeof(keys), 0);
	return 0;
}

static int cookie_valid(const struct frame_spec *s, __u32 cookie, __u32 *idx)
{
	struct xtcp_flow_key fk;
	__u32 now = period_now();
	__u64 cur[2], prev[2];

	frame_flow_key(s, &fk);
	xtcp_cookie_key(master, now, cur);
	xtcp_cookie_key(master, now - 1, prev);
	return xtcp_cookie_check(cur, prev, now, &fk, s->v6, s->seq, cookie,
				 idx) == XTCP_COOKIE_OK;
}

/*
 * Send the SYN of spec s and check every field of the SYN-ACK. Returns the
 * SYN-ACK view in *v for the caller to complete the handshake with.
 */
static void check_syn_ack(const char *name, const struct frame_spec *s,
			  struct frame_view *v)
{
	__u8 frame[2048];
	size_t len = frame_build(s, frame, sizeof(frame));
	struct frame_view in;
	const __u8 *out;
	struct run r;
	__u32 out_len, idx = 99;
	int want_ts = s->ts, want_ws = s->ts && s->wscale >= 0;
	int want_ecn = s->ts && (s->flags & (TCPHDR_ECE | TCPHDR_CWR)) == (TCPHDR_ECE | TCPHDR_CWR);
	int expect_opt;

	frame_parse(frame, len, &in);
	CHECK(!run_frame(frame, len, &r), "%s: test run", name);
	CHECK_EQ(r.retval, XDP_TX, name);
	CHECK_EQ(r.stat, XTCP_STAT_syn_ack, name);
	out = run_data(&r, &out_len);
	if (frame_parse(out, out_len, v)) {
		CHECK(0, "%s: SYN-ACK does not parse", name);
		return;
	}
	CHECK(!memcmp(v->eth_dst, in.eth_src, 6) &&
	      !memcmp(v->eth_src, in.eth_dst, 6), "%s: MACs swapped", name);
	CHECK_EQ(v->vlan, s->vlan, "VLAN tag kept");
	CHECK_EQ(v->v6, s->v6, "family");
	CHECK(!memcmp(v->src_addr, s->dst_addr, s->v6 ? 16 : 4) &&
	      !memcmp(v->dst_addr, s->src_addr, s->v6 ? 16 : 4),
	      "%s: addresses swapped", name);
	CHECK_EQ(v->l4_off - v->l3_off, s->v6 ? 40 : 20, "IP header, no options");
	CHECK_EQ(v->ttl, 64, "TTL");
	CHECK_EQ(v->tos & 3, 0, "SYN-ACK not ECT");
	if (!s->v6)
		CHECK_EQ(v->frag, 0x4000, "DF, no fragment");
	CHECK(v->ip_csum_ok, "%s: IPv4 header checksum", name);
	CHECK(v->tcp_csum_ok, "%s: TCP checksum", name);
	CHECK_EQ(v->sport, s->dport, "source port");
	CHECK_EQ(v->dport, s->sport, "destination port");
	CHECK_EQ(v->ack, s->seq + 1, "ack = client ISN + 1");
	CHECK_EQ(v->flags, TCPHDR_SYN | TCPHDR_ACK | (want_ecn ? TCPHDR_ECE : 0), "flags");
	CHECK_EQ(v->window, 65535, "window");
	CHECK_EQ(v->tcp_len, v->doff * 4u, "no payload");
	CHECK_EQ(v->mss, s->v6 ? 1440 : 1460, "MSS option");
	CHECK_EQ(v->ts, want_ts, "timestamps");
	CHECK_EQ(v->sack, s->ts && s->sack, "SACK-permitted");
	CHECK_EQ(v->wscale, want_ws ? 7 : -1, "window scale");
	expect_opt = 4 + (want_ts ? 12 : 0) + (want_ws ? 4 : 0);
	CHECK_EQ(v->opt_len, expect_opt, "option bytes");
	if (want_ts) {
		struct xtcp_syn_opts so;

		CHECK_EQ(v->tsecr, s->tsval, "TSecr = client TSval");
		xtcp_syn_opts_decode(s->v6, 0, 1, v->tsval, &so);
		CHECK_EQ(so.wscale, s->wscale >= 0 ? s->wscale : XTCP_WSCALE_NONE,
			 "TSval carries the client's window scale");
		CHECK_EQ(so.sack, s->sack, "TSval carries SACK");
		CHECK_EQ(so.ecn, want_ecn, "TSval carries ECN");
	}
	CHECK(cookie_valid(s, v->seq, &idx), "%s: cookie validates on the host",
	      name);
	CHECK_EQ(xtcp_mss_value(s->v6, idx),
		 xtcp_mss_value(s->v6, xtcp_mss_index(s->v6, s->mss)),
		 "cookie carries the client's MSS");
}

static void spec_all_opts(struct frame_spec *s, int v6)
{
	frame_spec_default(s, v6);
	s->mss = v6 ? 1440 : 1460;
	s->sack = 1;
	s->ts = 1;
	s->tsval = 0xabcdef01;
	s->wscale = 7;
}

/* One SYN's SYN-ACK ISN, or 0 if no SYN-ACK came. */
static __u32 syn_ack_isn(const struct frame_spec *s)
{
	__u8 frame[256];
	size_t len = frame_build(s, frame, sizeof(frame));
	struct frame_view v;
	const __u8 *out;
	struct run r;
	__u32 out_len;

	if (run_frame(frame, len, &r) || r.retval != XDP_TX)
		return 0;
	out = run_data(&r, &out_len);
	return frame_parse(out, out_len, &v) ? 0 : v.seq;
}

/*
 * The XDP program keeps SipHash's state after a cookie's server words per
 * CPU and family (bpf/xtcp.bpf.c syn_cookie): a SYN of another service,
 * MSS or family, or a new master, must not reuse it. Each SYN-ACK's cookie
 * is checked on the host, which computes the MAC whole; after the master
 * changes, it validates under the new master and not the old.
 */
static void test_cookie_prefix(void)
{
	static const __u64 other[2] = { 0x0badc0ffee0ddf00ULL, 0x1234567890abcdefULL };
	struct xtcp_keys keys = { .master = { other[0], other[1] },
				  .generation = 43 };
	struct xtcp_flow_key fk;
	struct frame_spec s;
	__u64 cur[2], prev[2];
	__u32 zero = 0, now, isn, idx;
	int i, v6;

	for (i = 0; i < 12; i++) {
		char name[64];

		spec_all_opts(&s, i % 2);
		s.dport = i % 4 < 2 ? 80 : 443;
		s.mss = i % 6 < 3 ? s.mss : 536;
		s.seq = 1000 + i;
		isn = syn_ack_isn(&s);
		snprintf(name, sizeof(name), "SYN %d (v%d, port %d, mss %d)", i,
			 s.v6 ? 6 : 4, s.dport, s.mss);
		CHECK(isn && cookie_valid(&s, isn, &idx),
		      "%s: cookie validates on the host", name);
	}
	bpf_map__update_elem(skel->maps.xtcp_keys, &zero, sizeof(zero), &keys,
			     sizeof(keys), 0);
	for (v6 = 0; v6 <= 1; v6++) {
		spec_all_opts(&s, v6);
		isn = syn_ack_isn(&s);
		now = period_now();
		frame_flow_key(&s, &fk);
		xtcp_cookie_key(other, now, cur);
		xtcp_cookie_key(other, now - 1, prev);
		CHECK(isn && xtcp_cookie_check(cur, prev, now, &fk, s.v6, s.seq,
					       isn, &idx) == XTCP_COOKIE_OK,
		      "v%d: new master: cookie under the new master", v6 ? 6 : 4);
		CHECK(!cookie_valid(&s, isn, &idx),
		      "v%d: new master: not under the old", v6 ? 6 : 4);
	}
	keys.master[0] = master[0];
	keys.master[1] = master[1];
	keys.generation = 44;
	bpf_map__update_elem(skel->maps.xtcp_keys, &zero, sizeof(zero), &keys,
			     sizeof(keys), 0);
	spec_all_opts(&s, 0);
	isn = syn_ack_isn(&s);
	CHECK(isn && cookie_valid(&s, isn, &idx), "master back: cookie validates");
}

/*
 * The SYN option layouts read without the walk (bpf/parse.h
 * parse_tcp_opts_linux): the test frames put the NOP after the window
 * scale; Linux puts it before. Both, with a shift above 14 (used as 14,
 * RFC 7323 2.3), answer as the walk would.
 */
static void test_syn_opt_layouts(void)
{
	static const __u8 shifts[] = { 7, 15 };
	unsigned int i, k;

	for (i = 0; i < 2 * sizeof(shifts); i++) {
		int linux_order = i / sizeof(shifts);
		__u8 ws = shifts[i % sizeof(shifts)], frame[256], *o;
		struct frame_spec s;
		struct frame_view in, v;
		struct xtcp_syn_opts so;
		const __u8 *out;
		struct run r;
		__u32 out_len, sum;
		size_t len;
		char name[64];

		spec_all_opts(&s, 0);
		s.wscale = ws;
		len = frame_build(&s, frame, sizeof(frame));
		frame_parse(frame, len, &in);
		o = frame + in.l4_off + 20;
		if (linux_order) {	/* 03 03 ws 01 -> 01 03 03 ws */
			o[16] = TCPO_NOP;
			o[17] = TCPO_WSCALE;
			o[18] = 3;
			o[19] = ws;
		}
		frame[in.l4_off + 16] = frame[in.l4_off + 17] = 0;
		sum = 6 + (__u32)in.tcp_len;
		for (k = 0; k < 4; k += 2)
			sum += ((__u32)s.src_addr[k] << 8 | s.src_addr[k + 1]) +
			       ((__u32)s.dst_addr[k] << 8 | s.dst_addr[k + 1]);
		sum = inet_csum(frame + in.l4_off, in.tcp_len, sum);
		frame[in.l4_off + 16] = (__u8)(sum >> 8);
		frame[in.l4_off + 17] = (__u8)sum;
		snprintf(name, sizeof(name), "%s order, shift %u",
			 linux_order ? "Linux's NOP-first" : "NOP-last", ws);
		CHECK(!run_frame(frame, len, &r), "%s: test run", name);
		CHECK_EQ(r.stat, XTCP_STAT_syn_ack, name);
		out = run_data(&r, &out_len);
		if (frame_parse(out, out_len, &v)) {
			CHECK(0, "%s: SYN-ACK does not parse", name);
			continue;
		}
		CHECK(v.tcp_csum_ok, "%s: TCP checksum", name);
		CHECK_EQ(v.mss, 1460, "MSS option");
		CHECK_EQ(v.sack, 1, "SACK-permitted");
		CHECK_EQ(v.tsecr, s.tsval, "TSecr = client TSval");
		CHECK_EQ(v.wscale, 7, "our window scale");
		xtcp_syn_opts_decode(0, 0, 1, v.tsval, &so);
		CHECK_EQ(so.wscale, ws > 14 ? 14 : ws,
			 "TSval carries the client's shift, at most 14");
		CHECK_EQ(so.sack, 1, "TSval carries SACK");
	}
}

static void test_syn_variants(void)
{
	struct frame_spec s;
	struct frame_view v;
	int v6, combo;

	/* every option combination a client can offer, both families */
	for (combo = 0; combo < 2 * 2 * 2 * 4 * 2 * 2; combo++) {
		static const int wscales[] = { -1, 0, 7, 14 };
		char name[96];
		int c = combo;

		frame_spec_default(&s, c % 2);
		c /= 2;
		s.mss = c % 2 ? (s.v6 ? 1440 : 1460) : 0;
		c /= 2;
		s.sack = c % 2;
		c /= 2;
		s.ts = c % 2;
		s.tsval = 0xabcdef01;
		c /= 2;
		s.wscale = wscales[c % 4];
		c /= 4;
		if (c % 2)
			s.flags |= TCPHDR_ECE | TCPHDR_CWR;
		snprintf(name, sizeof(name), "v%d mss %d sack %d ts %d ws %d ecn %d",
			 s.v6 ? 6 : 4, s.mss, s.sack, s.ts, s.wscale, c % 2);
		check_syn_ack(name, &s, &v);
	}
	/* framing and payload, both families */
	for (v6 = 0; v6 <= 1; v6++) {
		spec_all_opts(&s, v6);
		s.vlan = 42;
		check_syn_ack("802.1Q", &s, &v);
		spec_all_opts(&s, v6);
		s.payload_len = 100;
		check_syn_ack("SYN with payload", &s, &v);
		s.payload_len = 101;
		check_syn_ack("SYN with odd payload", &s, &v);
		spec_all_opts(&s, v6);
		s.dport = 443;
		check_syn_ack("second port", &s, &v);
	}
	spec_all_opts(&s, 0);
	s.ip_opts = 8;
	check_syn_ack("IPv4 with IP options", &s, &v);
	s.ip_opts = 40;
	s.vlan = 7;
	check_syn_ack("IPv4 with 40 bytes of IP options, tagged", &s, &v);
	spec_all_opts(&s, 0);
	s.tos = 0xbb;	/* DSCP kept, ECN bits cleared */
	check_syn_ack("TOS", &s, &v);
	CHECK_EQ(v.tos, 0xb8, "DSCP kept");
	/* ECN disabled by configuration */
	set_config(0);
	spec_all_opts(&s, 0);
	s.flags |= TCPHDR_ECE | TCPHDR_CWR;
	{
		__u8 frame[256];
		size_t len = frame_build(&s, frame, sizeof(frame));
		struct run r;
		const __u8 *o;
		__u32 ol;

		run_frame(frame, len, &r);
		o = run_data(&r, &ol);
		frame_parse(o, ol, &v);
		CHECK_EQ(v.flags, TCPHDR_SYN | TCPHDR_ACK, "--ecn off: no ECE");
	}
	set_config(XTCP_CFG_ECN);
}

static int xsk_setup(void)
{
	return xsk_lo_open(bpf_map__fd(skel->maps.xtcp_xsks));
}

static void xsk_teardown(void)
{
	xsk_lo_close(bpf_map__fd(skel->maps.xtcp_xsks));
}

static int flow_exists(const struct frame_spec *s)
{
	struct xtcp_flow_key fk;
	struct xtcp_flow f;

	frame_flow_key(s, &fk);
	return !bpf_map__lookup_elem(skel->maps.xtcp_flows, &fk, sizeof(fk), &f,
				     sizeof(f), 0);
}

/*
 * The XDP program's count of flows (xtcp_flows_live): up by one when a
 * third ACK inserts a flow, not for a repeated one; while it is 0 the
 * flows map is not looked up, which is why the count may never be below
 * the map's entries: with a flow in the map and the count forced to 0, a
 * SYN on it gets a SYN-ACK instead of going to the engine.
 */
static void test_flows_live(void)
{
	struct frame_spec s, a, syn;
	struct frame_view v;
	struct xtcp_flow_key fk;
	__u8 frame[2048];
	__s64 before;
	size_t len;
	struct run r;
	int err;

	err = xsk_setup();
	CHECK(!err, "flows count: AF_XDP socket: %s", strerror(-err));
	if (err)
		return;
	spec_all_opts(&s, 0);
	s.sport = 45000;
	check_syn_ack("flows count: SYN", &s, &v);
	frame_third_ack(&s, &v, &a);
	len = frame_build(&a, frame, sizeof(frame));
	before = skel->bss->xtcp_flows_live;
	run_frame(frame, len, &r);
	CHECK_EQ(r.stat, XTCP_STAT_flow_new, "flows count: third ACK");
	CHECK_EQ(skel->bss->xtcp_flows_live, before + 1, "flows count: one up");
	run_frame(frame, len, &r);	/* now a segment of the flow */
	CHECK_EQ(r.stat, XTCP_STAT_flow, "flows count: repeated third ACK");
	CHECK_EQ(skel->bss->xtcp_flows_live, before + 1, "flows count: unchanged");

	syn = s;
	len = frame_build(&syn, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK(r.retval == XDP_REDIRECT && r.stat == XTCP_STAT_flow,
	      "flows count: SYN on the flow to the engine (%d %d)", r.retval, r.stat);
	skel->bss->xtcp_flows_live = 0;
	run_frame(frame, len, &r);
	CHECK(r.retval == XDP_TX && r.stat == XTCP_STAT_syn_ack,
	      "flows count forced to 0: the lookup is skipped (%d %d)",
	      r.retval, r.stat);
	skel->bss->xtcp_flows_live = before + 1;
	frame_flow_key(&s, &fk);
	bpf_map__delete_elem(skel->maps.xtcp_flows, &fk, sizeof(fk), 0);
	skel->bss->xtcp_flows_live--;	/* as the engine does */
	xsk_teardown();
}

/*
 * A SYN in the common layout (IPv4 without options or IPv6, Linux's 20
 * option bytes, no payload) is answered in place with both checksums
 * updated from the SYN's, not verified first (bpf/xtcp.bpf.c
 * syn_ack_in_place): a SYN corrupted on the way must get a SYN-ACK whose
 * checksum fails where the corruption was covered, so the client's stack
 * drops it. The SYN's own bytes flipped one at a time: the TCP sequence
 * number, a TCP checksum byte, an option, the IPv4 TTL (header checksum
 * only), the client address (both: the pseudo-header covers it); IPv6
 * too. Other layouts are still verified and dropped (test_malformed).
 */
static void test_syn_corrupt(void)
{
	static const struct {
		const char *name;
		int v6, off, ip_bad, tcp_bad;	/* off: from the IP header */
	} c[] = {
		{ "v4: sequence number", 0, 20 + 4, 0, 1 },
		{ "v4: TCP checksum byte", 0, 20 + 16, 0, 1 },
		{ "v4: timestamp option", 0, 20 + 20 + 9, 0, 1 },
		{ "v4: urgent pointer", 0, 20 + 18, 0, 1 },
		{ "v4: TTL", 0, 8, 1, 0 },
		{ "v4: IP header checksum byte", 0, 10, 1, 0 },
		{ "v4: client address", 0, 12, 1, 1 },
		{ "v6: sequence number", 1, 40 + 4, 0, 1 },
		{ "v6: client address", 1, 8 + 5, 0, 1 },
		{ "v6: window scale", 1, 40 + 20 + 18, 0, 1 },
	};
	struct frame_spec s;
	struct frame_view v;
	__u8 f[256];
	const __u8 *out;
	struct run r;
	__u32 out_len;
	size_t len, i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		spec_all_opts(&s, c[i].v6);
		len = frame_build(&s, f, sizeof(f));
		f[14 + c[i].off] ^= 0x04;
		run_frame(f, len, &r);
		CHECK(r.retval == XDP_TX && r.stat == XTCP_STAT_syn_ack,
		      "%s corrupted: answered (%d %d)", c[i].name, r.retval, r.stat);
		out = run_data(&r, &out_len);
		if (frame_parse(out, out_len, &v)) {
			CHECK(0, "%s corrupted: SYN-ACK does not parse", c[i].name);
			continue;
		}
		if (!c[i].v6)
			CHECK_EQ(!v.ip_csum_ok, c[i].ip_bad, c[i].name);
		CHECK_EQ(!v.tcp_csum_ok, c[i].tcp_bad, c[i].name);
	}
	/* the same SYNs uncorrupted: both checksums right (and every field,
	 * by check_syn_ack) */
	spec_all_opts(&s, 0);
	check_syn_ack("common layout, v4", &s, &v);
	spec_all_opts(&s, 1);
	check_syn_ack("common layout, v6", &s, &v);
}

static void test_handshake(void)
{
	struct frame_spec s, a;
	struct frame_view v;
	struct xtcp_meta m;
	__u8 frame[2048];
	size_t len;
	struct run r;
	int err, v6;

	/* Without a socket on the queue: dropped, counted, no flow. */
	spec_all_opts(&s, 0);
	check_syn_ack("handshake SYN", &s, &v);
	frame_third_ack(&s, &v, &a);
	len = frame_build(&a, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK_EQ(r.retval, XDP_DROP, "third ACK, no AF_XDP socket");
	CHECK_EQ(r.stat, XTCP_STAT_drop_no_xsk, "counted as drop_no_xsk");
	CHECK(!flow_exists(&a), "no flow without a socket");

	err = xsk_setup();
	CHECK(!err, "AF_XDP socket on a private loopback: %s", strerror(-err));
	if (err)
		return;
	for (v6 = 0; v6 <= 1; v6++) {
		const char *accepted[] = { "ACK", "ACK|PSH with data", "ACK|FIN" };
		__u8 flags[] = { TCPHDR_ACK, TCPHDR_ACK | TCPHDR_PSH, TCPHDR_ACK | TCPHDR_FIN };
		int k;

		for (k = 0; k < 3; k++) {
			spec_all_opts(&s, v6);
			s.sport = (__u16)(41000 + k + 10 * v6);
			s.flags |= TCPHDR_ECE | TCPHDR_CWR;
			check_syn_ack("handshake SYN", &s, &v);
			frame_third_ack(&s, &v, &a);
			a.flags = flags[k];
			a.payload_len = k == 1 ? 300 : 0;
			len = frame_build(&a, frame, sizeof(frame));
			err = run_frame(frame, len, &r);
			CHECK(!err, "%s: test run: %s", accepted[k], strerror(-err));
			CHECK_EQ(r.retval, XDP_REDIRECT, accepted[k]);
			CHECK_EQ(r.stat, XTCP_STAT_flow_new, accepted[k]);
			CHECK(flow_exists(&a), "%s: flow inserted", accepted[k]);
			CHECK_EQ(r.ctx_out.data - r.ctx_out.data_meta, sizeof(m),
				 "metadata in front of the frame");
			memcpy(&m, r.out, sizeof(m));
			CHECK_EQ(m.magic, XTCP_META_MAGIC, "meta magic");
			CHECK_EQ(m.flags, XTCP_META_NEW | XTCP_META_SACK |
					  XTCP_META_TS | XTCP_META_ECN,
				 "meta flags");
			CHECK_EQ(m.iss, v.seq, "meta ISS = cookie");
			CHECK_EQ(m.irs, s.seq, "meta IRS = client ISN");
			CHECK_EQ(m.mss, v6 ? 1440 : 1460, "meta MSS");
			CHECK_EQ(m.snd_wscale, 7, "meta client wscale");
			CHECK_EQ(m.rcv_wscale, 7, "meta our wscale");
			CHECK_EQ(m.ts_ecr, v.tsval, "meta TSecr");
			CHECK_EQ(m.ts_val, a.tsval, "meta TSval");
		}
		/* the flow's next segment is redirected as a known flow */
		a.seq += 1;
		a.flags = TCPHDR_ACK;
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.retval, XDP_REDIRECT, "flow segment");
		CHECK_EQ(r.stat, XTCP_STAT_flow, "counted as flow");
		memcpy(&m, r.out, sizeof(m));
		CHECK_EQ(m.flags, 0, "known flow: meta without NEW");
		/* a SYN on a known flow goes to the engine (RFC 5961 4) */
		s.flags = TCPHDR_SYN;
		len = frame_build(&s, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_flow, "SYN on a known flow");
	}
	/* a wrong ack number: no flow, dropped */
	spec_all_opts(&s, 0);
	s.sport = 42000;
	check_syn_ack("SYN", &s, &v);
	frame_third_ack(&s, &v, &a);
	a.ack += 1;
	len = frame_build(&a, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK_EQ(r.retval, XDP_DROP, "wrong ack number");
	CHECK_EQ(r.stat, XTCP_STAT_drop_bad_cookie, "counted as bad cookie");
	CHECK(!flow_exists(&a), "no flow for a wrong ack");
	/* --bad-ack rst: RFC 9293 3.10.7.1 <SEQ=SEG.ACK><CTL=RST> */
	set_config(XTCP_CFG_ECN | XTCP_CFG_BAD_ACK_RST);
	a.ip_opts = 4;
	a.payload_len = 10;
	len = frame_build(&a, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK_EQ(r.retval, XDP_TX, "bad ACK answered");
	CHECK_EQ(r.stat, XTCP_STAT_rst_bad_ack, "counted as rst_bad_ack");
	{
		__u32 ol;
		const __u8 *o = run_data(&r, &ol);

		CHECK(!frame_parse(o, ol, &v), "RST parses");
		CHECK_EQ(v.flags, TCPHDR_RST, "RST flags");
		CHECK_EQ(v.seq, a.ack, "RST seq = SEG.ACK");
		CHECK_EQ(v.tcp_len, 20, "RST carries nothing");
		CHECK(v.ip_csum_ok && v.tcp_csum_ok, "RST checksums");
	}
	/* draining (serve --drain after SIGTERM): a valid third ACK gets
	 * <SEQ=SEG.ACK><CTL=RST> and no flow; SYNs are still answered */
	set_config(XTCP_CFG_ECN | XTCP_CFG_DRAIN);
	for (v6 = 0; v6 <= 1; v6++) {
		spec_all_opts(&s, v6);
		s.sport = (__u16)(43000 + v6);
		check_syn_ack("SYN while draining", &s, &v);
		frame_third_ack(&s, &v, &a);
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.retval, XDP_TX, "draining: valid third ACK answered");
		CHECK_EQ(r.stat, XTCP_STAT_rst_drain, "counted as rst_drain");
		CHECK(!flow_exists(&a), "draining: no flow");
		{
			__u32 ol;
			const __u8 *o = run_data(&r, &ol);

			CHECK(!frame_parse(o, ol, &v), "drain RST parses");
			CHECK_EQ(v.flags, TCPHDR_RST, "drain RST flags");
			CHECK_EQ(v.seq, a.ack, "drain RST seq = SEG.ACK");
			CHECK(v.ip_csum_ok && v.tcp_csum_ok, "drain RST checksums");
		}
	}
	set_config(XTCP_CFG_ECN);
	xsk_teardown();
}

/*
 * Multi-buffer frames (the program is xdp.frags): BPF_PROG_TEST_RUN puts
 * what passes about 3,500 bytes in frags, as veth does at a jumbo MTU.
 * Lengths count the frags; replies shrink them away; a SYN into frags is
 * a long one.
 */
static void test_multibuffer(void)
{
	static __u8 frame[9100];
	struct frame_spec s, a;
	struct frame_view v;
	const __u8 *o;
	size_t len;
	struct run r;
	__u32 ol;
	int err, v6;

	err = xsk_setup();
	CHECK(!err, "AF_XDP socket on a private loopback: %s", strerror(-err));
	if (err)
		return;
	for (v6 = 0; v6 <= 1; v6++) {
		spec_all_opts(&s, v6);
		s.sport = (__u16)(44000 + v6);
		check_syn_ack("jumbo: SYN", &s, &v);
		frame_third_ack(&s, &v, &a);
		a.flags = TCPHDR_ACK | TCPHDR_PSH;
		a.payload_len = v6 ? 8928 : 8948;	/* MTU 9000 with timestamps */
		len = frame_build(&a, frame, sizeof(frame));
		CHECK_EQ(len, 9014, "jumbo: a frame of MTU 9000");
		run_frame(frame, len, &r);
		CHECK_EQ(r.retval, XDP_REDIRECT, "jumbo: third ACK with 8948 bytes");
		CHECK_EQ(r.stat, XTCP_STAT_flow_new, "jumbo: counted as flow_new");
		o = run_data(&r, &ol);
		CHECK(ol == len && !memcmp(o, frame, len), "jumbo: frame kept whole");
		a.seq += (__u32)a.payload_len;
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.retval, XDP_REDIRECT, "jumbo: next segment of the flow");
		CHECK_EQ(r.stat, XTCP_STAT_flow, "jumbo: counted as flow");
		o = run_data(&r, &ol);
		CHECK(ol == len && !memcmp(o, frame, len), "jumbo: segment kept whole");
	}
	/* an IP length past the whole frame is still a bad length */
	spec_all_opts(&a, 0);
	a.payload_len = 8948;
	len = frame_build(&a, frame, sizeof(frame));
	frame[16] = 0x23;	/* IPv4 total length 9000 -> 9024 (frame 9014) */
	frame[17] = 0x40;
	run_frame(frame, len, &r);
	CHECK_EQ(r.stat, XTCP_STAT_drop_ip_len, "jumbo: IP length past the frame");
	/* a jumbo ACK with a bad cookie: the RST is 54 bytes, frags gone */
	set_config(XTCP_CFG_ECN | XTCP_CFG_BAD_ACK_RST);
	spec_all_opts(&a, 0);
	a.sport = 44100;
	a.flags = TCPHDR_ACK;
	a.ack = 12345;
	a.payload_len = 8948;
	len = frame_build(&a, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK_EQ(r.retval, XDP_TX, "jumbo: bad ACK answered");
	CHECK_EQ(r.stat, XTCP_STAT_rst_bad_ack, "jumbo: counted as rst_bad_ack");
	o = run_data(&r, &ol);
	CHECK_EQ(ol, 54, "jumbo: RST of 54 bytes, frags dropped");
	CHECK(!frame_parse(o, ol, &v) && v.flags == TCPHDR_RST && v.tcp_len == 20 &&
	      v.ip_csum_ok && v.tcp_csum_ok, "jumbo: RST parses, checksums right");
	set_config(XTCP_CFG_ECN);
	/* a SYN with a jumbo payload: too long to checksum here */
	spec_all_opts(&s, 0);
	s.sport = 44200;
	s.payload_len = 8000;
	len = frame_build(&s, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK(r.retval == XDP_DROP && r.stat == XTCP_STAT_drop_syn_long,
	      "jumbo: SYN with 8000 bytes dropped as drop_syn_long");
	/* not ours: passed untouched */
	spec_all_opts(&s, 0);
	s.dport = 8081;	/* neither 80, 443 nor KPORT */
	s.flags = TCPHDR_ACK;
	s.payload_len = 8948;
	len = frame_build(&s, frame, sizeof(frame));
	run_frame(frame, len, &r);
	o = run_data(&r, &ol);
	CHECK(r.retval == XDP_PASS && r.stat == XTCP_STAT_pass_port && ol == len &&
	      !memcmp(o, frame, len), "jumbo: unserved port passed whole (%d %d %u/%zu)",
	      r.retval, r.stat, ol, len);
	xsk_teardown();
}

static __u64 tai_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* What the engine does when a connection ends (user/queue.c
 * io_handshake_ended after user/tcp/listen.c conn_guard): remember the
 * tuple and client ISN until the cookie expires, then forget the flow. */
static void engine_ended(const struct frame_spec *s, __u32 cookie,
			 __u64 expires)
{
	struct xtcp_replay_key k = { .irs = s->seq };
	struct xtcp_replay r = {
		.expires_tai_ns = expires ? expires
					  : xtcp_cookie_expiry_ns(cookie, tai_now_ns()),
	};

	frame_flow_key(s, &k.flow);
	bpf_map__update_elem(skel->maps.xtcp_replay, &k, sizeof(k), &r,
			     sizeof(r), BPF_ANY);
	bpf_map__delete_elem(skel->maps.xtcp_flows, &k.flow, sizeof(k.flow), 0);
}

/* SYN, SYN-ACK, then the third ACK built (not run) into frame. */
static size_t handshake(struct frame_spec *s, struct frame_spec *a,
			struct frame_view *v, int v6, __u16 sport, __u32 isn,
			__u8 *frame, size_t cap)
{
	spec_all_opts(s, v6);
	s->sport = sport;
	s->seq = isn;
	check_syn_ack("replay SYN", s, v);
	frame_third_ack(s, v, a);
	return frame_build(a, frame, cap);
}

/*
 * The replay guard: once the engine reports a connection gone, a copy of
 * its third ACK (or of its first data segment) opens nothing while the
 * cookie still validates; a new ISN on the same tuple does; an RST|ACK
 * with a valid cookie closes a half-open handshake the same way.
 */
static void test_replay(void)
{
	struct frame_spec s, a;
	struct frame_view v;
	__u8 frame[2048];
	size_t len;
	struct run r;
	int v6, err;

	err = xsk_setup();
	CHECK(!err, "AF_XDP socket on a private loopback: %s", strerror(-err));
	if (err)
		return;
	for (v6 = 0; v6 <= 1; v6++) {
		len = handshake(&s, &a, &v, v6, (__u16)(47000 + v6), 1000000, frame,
				sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_flow_new, "replay: first third ACK opens");
		engine_ended(&s, v.seq, 0);
		run_frame(frame, len, &r);
		CHECK_EQ(r.retval, XDP_DROP, "replayed third ACK dropped");
		CHECK_EQ(r.stat, XTCP_STAT_drop_replay, "counted as drop_replay");
		CHECK(!flow_exists(&a), "replay: no flow");
		/* the first data segment, replayed: seq ISN + 1, data */
		a.flags = TCPHDR_ACK | TCPHDR_PSH;
		a.payload_len = 100;
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_drop_replay, "replayed data segment dropped");
		CHECK(!flow_exists(&a), "replayed data: no flow");
		/* --bad-ack rst answers it <SEQ=SEG.ACK><CTL=RST> */
		set_config(XTCP_CFG_ECN | XTCP_CFG_BAD_ACK_RST);
		run_frame(frame, len, &r);
		CHECK_EQ(r.retval, XDP_TX, "replay answered with --bad-ack rst");
		CHECK_EQ(r.stat, XTCP_STAT_rst_replay, "counted as rst_replay");
		set_config(XTCP_CFG_ECN);
		/* a new connection on the same tuple: new ISN, new cookie */
		len = handshake(&s, &a, &v, v6, (__u16)(47000 + v6), 2000000, frame,
				sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_flow_new, "new ISN on the same tuple opens");
		CHECK(flow_exists(&a), "new ISN: flow inserted");
		/* an entry past its time no longer refuses */
		engine_ended(&s, v.seq, tai_now_ns() - 1);
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_flow_new, "expired guard entry ignored");
		engine_ended(&s, v.seq, 0);
	}
	/* the client abandons the handshake: RST|ACK seq ISN + 1, ack cookie + 1 */
	for (v6 = 0; v6 <= 1; v6++) {
		len = handshake(&s, &a, &v, v6, (__u16)(45000 + v6), 3000000, frame,
				sizeof(frame));
		a.flags = TCPHDR_RST | TCPHDR_ACK;
		a.ack += 1;	/* a wrong cookie: nothing remembered */
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_drop_rst, "RST|ACK with a bad cookie: drop_rst");
		a.ack -= 1;
		a.flags = TCPHDR_RST;	/* no ACK: no cookie to check */
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_drop_rst, "RST alone: drop_rst");
		a.flags = TCPHDR_RST | TCPHDR_ACK;
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.retval, XDP_DROP, "RST|ACK with a valid cookie dropped");
		CHECK_EQ(r.stat, XTCP_STAT_drop_rst_handshake,
			 "counted as drop_rst_handshake");
		a.flags = TCPHDR_ACK | TCPHDR_PSH;
		a.payload_len = 50;
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK_EQ(r.stat, XTCP_STAT_drop_replay,
			 "data with an abandoned handshake's cookie: drop_replay");
		CHECK(!flow_exists(&a), "abandoned handshake: no flow");
	}
	xsk_teardown();
}

static void acl(const char *cidr, __u32 verdict)
{
	struct xtcp_acl_key k;
	int fd = bpf_map__fd(skel->maps.xtcp_acl);

	CHECK(!acl_parse(cidr, &k), "ACL prefix %s parses", cidr);
	if (verdict)
		CHECK(!acl_add(fd, &k, verdict), "ACL add %s", cidr);
	else
		CHECK(!acl_del(fd, &k), "ACL del %s", cidr);
}

/* One SYN from addr (IPv4 a.b.c.d in the last byte varied); its stat. */
static int syn_from(int v6, __u8 last, __u16 sport)
{
	struct frame_spec s;
	__u8 frame[256];
	size_t len;
	struct run r;

	spec_all_opts(&s, v6);
	s.src_addr[v6 ? 15 : 3] = last;
	s.sport = sport;
	len = frame_build(&s, frame, sizeof(frame));
	run_frame(frame, len, &r);
	return r.stat;
}

/* --allow/--deny in XDP: before a SYN is answered and a third ACK opens. */
static void test_acl(void)
{
	struct frame_spec s, a;
	struct frame_view v;
	__u8 frame[2048];
	size_t len;
	struct run r;
	int err;

	CHECK_EQ(syn_from(0, 2, 46000), XTCP_STAT_syn_ack, "no ACL: SYN answered");
	acl("10.0.0.2/32", XTCP_ACL_DENY);
	CHECK_EQ(syn_from(0, 2, 46000), XTCP_STAT_drop_acl_deny, "denied SYN dropped");
	CHECK_EQ(syn_from(0, 3, 46000), XTCP_STAT_syn_ack, "10.0.0.3 not denied");
	CHECK_EQ(syn_from(1, 2, 46000), XTCP_STAT_syn_ack, "IPv6 not denied");
	/* a third ACK from a cookie handed out before the deny opens nothing */
	err = xsk_setup();
	CHECK(!err, "AF_XDP socket: %s", strerror(-err));
	acl("10.0.0.2/32", 0);
	len = handshake(&s, &a, &v, 0, 46001, 5000000, frame, sizeof(frame));
	acl("10.0.0.2/32", XTCP_ACL_DENY);
	run_frame(frame, len, &r);
	CHECK_EQ(r.stat, XTCP_STAT_drop_acl_deny, "denied third ACK dropped");
	CHECK(!flow_exists(&a), "denied third ACK: no flow");
	/* an allow list: everyone else is denied; the longest prefix decides */
	acl("10.0.0.0/8", XTCP_ACL_ALLOW);
	CHECK_EQ(syn_from(0, 3, 46002), XTCP_STAT_syn_ack, "allowed 10/8 answered");
	CHECK_EQ(syn_from(0, 2, 46002), XTCP_STAT_drop_acl_deny,
		 "deny /32 inside allow /8 wins");
	CHECK_EQ(syn_from(1, 2, 46002), XTCP_STAT_drop_acl_not_allowed,
		 "IPv6 outside the allow list dropped");
	acl("fd00::/64", XTCP_ACL_ALLOW);
	CHECK_EQ(syn_from(1, 2, 46002), XTCP_STAT_syn_ack, "allowed fd00::/64 answered");
	acl("10.0.0.0/8", 0);
	acl("fd00::/64", 0);
	CHECK_EQ(syn_from(1, 2, 46003), XTCP_STAT_syn_ack,
		 "no allow prefix left: no implied deny");
	acl("10.0.0.2/32", 0);
	CHECK_EQ(syn_from(0, 2, 46003), XTCP_STAT_syn_ack, "ACL empty again");
	/* a flow already open is not cut by a later deny */
	len = handshake(&s, &a, &v, 0, 46004, 6000000, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK_EQ(r.stat, XTCP_STAT_flow_new, "allowed third ACK opens");
	acl("10.0.0.0/24", XTCP_ACL_DENY);
	a.seq += 1;
	len = frame_build(&a, frame, sizeof(frame));
	run_frame(frame, len, &r);
	CHECK_EQ(r.stat, XTCP_STAT_flow, "open flow kept after a deny");
	acl("10.0.0.0/24", 0);
	if (!err)
		xsk_teardown();
}

static int cases;

/* Run one crafted frame; check its verdict and its one counter. */
static void expect(const char *name, int verdict, int stat, const __u8 *frame,
		   size_t len)
{
	struct run r;

	cases++;
	run_frame(frame, len, &r);
	CHECK(r.retval == verdict && r.stat == stat,
	      "%s: verdict %d stat %d, want %d %d", name, r.retval, r.stat,
	      verdict, stat);
}

/*
 * A segment the server sent on the flow of the client spec c: addresses
 * and ports swapped, a full MSS of data, as a router would quote it.
 */
static size_t server_segment(const struct frame_spec *c, __u8 *buf, size_t cap)
{
	struct frame_spec o = *c;

	memcpy(o.src_addr, c->dst_addr, 16);
	memcpy(o.dst_addr, c->src_addr, 16);
	o.sport = c->dport;
	o.dport = c->sport;
	o.flags = TCPHDR_ACK | TCPHDR_PSH;
	o.seq = 777000;
	o.mss = 0;
	o.payload_len = c->v6 ? 1440 : 1460;
	return frame_build(&o, buf, cap);
}

static void put_flow(const struct frame_spec *c, __u32 queue)
{
	struct xtcp_flow_key fk;
	struct xtcp_flow f = { .queue = queue };

	frame_flow_key(c, &fk);
	bpf_map__update_elem(skel->maps.xtcp_flows, &fk, sizeof(fk), &f,
			     sizeof(f), 0);
}

/* RFC 1191 / RFC 8201 errors quoting a flow go to its engine; the rest pass. */
static void test_icmp(void)
{
	__u8 ours[2048], f[2048];
	struct xtcp_meta m;
	struct frame_spec c;
	size_t ol, len;
	struct run r;
	int err, v6;

	err = xsk_setup();
	CHECK(!err, "ICMP: AF_XDP socket: %s", strerror(-err));
	if (err)
		return;
	for (v6 = 0; v6 <= 1; v6++) {
		const char *fam = v6 ? "ICMPv6 packet too big" : "ICMP frag needed";

		frame_spec_default(&c, v6);
		c.sport = 43000;
		put_flow(&c, 0);
		ol = server_segment(&c, ours, sizeof(ours));
		len = frame_icmp_too_big(ours, ol, 1280, v6 ? 1232 : 548, f, sizeof(f));
		run_frame(f, len, &r);
		CHECK(r.retval == XDP_REDIRECT && r.stat == XTCP_STAT_icmp_flow,
		      "%s quoting a live flow: redirected (%d, stat %d)", fam,
		      r.retval, r.stat);
		memcpy(&m, r.out, sizeof(m));
		CHECK(r.ctx_out.data - r.ctx_out.data_meta == sizeof(m) &&
		      m.magic == XTCP_META_MAGIC && m.flags == XTCP_META_ICMP,
		      "%s: metadata says ICMP", fam);
		/* the least a router must quote: IP header and 8 bytes */
		len = frame_icmp_too_big(ours, ol, 1280, (v6 ? 40 : 20) + 8, f, sizeof(f));
		expect(fam, XDP_REDIRECT, XTCP_STAT_icmp_flow, f, len);
		len = frame_icmp_too_big(ours, ol, 1280, (v6 ? 40 : 20) + 7, f, sizeof(f));
		expect("ICMP quote one byte short of the seq", XDP_PASS,
		       XTCP_STAT_pass_icmp_trunc, f, len);
		len = frame_icmp_too_big(ours, ol, 1280, 10, f, sizeof(f));
		expect("ICMP quote without a whole IP header", XDP_PASS,
		       XTCP_STAT_pass_icmp_trunc, f, len);
		len = frame_icmp_too_big(ours, 14 + 20, 1280, 548, f, sizeof(f));
		expect("ICMP quoting an IP header only", XDP_PASS,
		       XTCP_STAT_pass_icmp_trunc, f, len);
		/* the flow on another queue: an AF_XDP socket cannot take it */
		put_flow(&c, 1);
		len = frame_icmp_too_big(ours, ol, 1280, 548, f, sizeof(f));
		expect("ICMP for another queue's flow", XDP_PASS, XTCP_STAT_pass_icmp,
		       f, len);
		put_flow(&c, 0);
		/* no such flow: the kernel's business */
		c.sport = 43001;
		ol = server_segment(&c, ours, sizeof(ours));
		len = frame_icmp_too_big(ours, ol, 1280, 548, f, sizeof(f));
		expect("ICMP quoting no flow", XDP_PASS, XTCP_STAT_pass_icmp, f, len);
		/* quoted UDP, not TCP */
		ours[14 + (v6 ? 6 : 9)] = 17;
		len = frame_icmp_too_big(ours, ol, 1280, 548, f, sizeof(f));
		expect("ICMP quoting UDP", XDP_PASS, XTCP_STAT_pass_icmp, f, len);
		/* other ICMP types and codes pass as before */
		c.sport = 43000;
		ol = server_segment(&c, ours, sizeof(ours));
		len = frame_icmp_too_big(ours, ol, 1280, 548, f, sizeof(f));
		f[14 + (v6 ? 40 : 20)] = v6 ? 1 : 3;	/* destination unreachable */
		f[14 + (v6 ? 40 : 20) + 1] = v6 ? 4 : 3; /* port unreachable */
		expect("ICMP port unreachable", XDP_PASS, XTCP_STAT_pass_not_tcp, f, len);
		f[14 + (v6 ? 40 : 20)] = v6 ? 128 : 8;	/* echo request */
		f[14 + (v6 ? 40 : 20) + 1] = 0;
		expect("ICMP echo request", XDP_PASS, XTCP_STAT_pass_not_tcp, f, len);
		len = 14 + (v6 ? 40 : 20) + 4;
		f[14 + (v6 ? 40 : 20)] = v6 ? 2 : 3;
		f[14 + (v6 ? 40 : 20) + 1] = v6 ? 0 : 4;
		expect("ICMP header cut short", XDP_PASS, XTCP_STAT_pass_not_tcp, f, len);
	}
	/* an IPv4 fragment of an ICMP error is not read */
	frame_spec_default(&c, 0);
	c.sport = 43000;
	ol = server_segment(&c, ours, sizeof(ours));
	len = frame_icmp_too_big(ours, ol, 1280, 548, f, sizeof(f));
	f[14 + 6] = 0x20;	/* MF */
	expect("ICMP in a fragment", XDP_PASS, XTCP_STAT_pass_not_tcp, f, len);

	/* mutated ICMP errors: each counted exactly once, none crashes */
	{
		unsigned int seed = 777;
		int i, j, counted = 0, n = 1000;

		for (i = 0; i < n; i++) {
			frame_spec_default(&c, i & 1);
			c.sport = 43000;
			ol = server_segment(&c, ours, sizeof(ours));
			len = frame_icmp_too_big(ours, ol, 1280, 60 + rand_r(&seed) % 200,
						 f, sizeof(f));
			for (j = 0; j < 1 + (int)(rand_r(&seed) % 4); j++)
				f[14 + rand_r(&seed) % (len - 14)] = (__u8)rand_r(&seed);
			if (i % 3 == 0)
				len = 14 + rand_r(&seed) % (len - 14);
			run_frame(f, len, &r);
			counted += r.stat >= 0;
		}
		CHECK_EQ(counted, n, "every mutated ICMP error counted exactly once");
	}
	xsk_teardown();
}

static void test_malformed(void)
{
	struct frame_spec s;
	struct frame_view v;
	__u8 f[2048];
	size_t len;
#define CASE(nm, verd, st) nm, XDP_##verd, XTCP_STAT_##st
#define PASS(st) XDP_PASS, XTCP_STAT_##st
#define DROP(st) XDP_DROP, XTCP_STAT_##st
#define BUILD(v6) (frame_spec_default(&s, v6), s.mss = 1460)

	/*
	 * One well-formed SYN (10.0.0.2 -> 10.0.0.1:80, MSS option; IPv4 header
	 * at 14, TCP at 34; IPv6 TCP at 54), then nb bytes overwritten at off,
	 * or the frame cut at len.
	 */
	static const struct {
		const char *name;
		int v6, vlan, off, nb, len;
		__u8 b[4];
		int verdict, stat;
	} bad[] = {
		/* BPF_PROG_TEST_RUN refuses frames shorter than ETH_HLEN */
		{ "Ethernet header alone", 0, 0, 0, 0, 14, {}, PASS(pass_malformed_ip) },
		{ "ARP", 0, 0, 12, 2, 0, { 0x08, 0x06 }, PASS(pass_not_ip) },
		{ "double VLAN tag", 0, 5, 16, 2, 0, { 0x81, 0x00 }, PASS(pass_not_ip) },
		{ "ICMP", 0, 0, 14 + 9, 1, 0, { 1 }, PASS(pass_not_tcp) },
		{ "UDP to port 80", 0, 0, 14 + 9, 1, 0, { 17 }, PASS(pass_not_tcp) },
		{ "IPv6 UDP", 1, 0, 14 + 6, 1, 0, { 17 }, PASS(pass_not_tcp) },
		{ "non-first IPv4 fragment", 0, 0, 14 + 6, 2, 0, { 0x00, 0x10 },
		  PASS(pass_frag) },
		{ "first IPv4 fragment, served port", 0, 0, 14 + 6, 2, 0,
		  { 0x20, 0x00 }, DROP(drop_ip_frag) },
		{ "IPv4 ihl 4", 0, 0, 14, 1, 0, { 0x44 }, PASS(pass_malformed_ip) },
		{ "IP version 5", 0, 0, 14, 1, 0, { 0x55 }, PASS(pass_malformed_ip) },
		{ "IPv4 total length past the frame", 0, 0, 14 + 2, 2, 0,
		  { 0x05, 0xdc }, DROP(drop_ip_len) },
		{ "IPv6 payload length past the frame", 1, 0, 14 + 4, 1, 0, { 0x05 },
		  DROP(drop_ip_len) },
		{ "TCP doff 4", 0, 0, 34 + 12, 1, 0, { 0x40 }, DROP(drop_tcp_doff) },
		{ "TCP doff past the segment", 0, 0, 34 + 12, 1, 0, { 0xf0 },
		  DROP(drop_tcp_doff) },
		{ "frame ends inside the TCP header", 0, 0, 0, 0, 34 + 10, {},
		  DROP(drop_tcp_trunc) },
		{ "frame ends inside the ports", 0, 0, 0, 0, 34 + 3, {},
		  DROP(drop_tcp_trunc) },
		/* the MSS option claims more than the 4-byte option area */
		{ "option runs past the header", 0, 0, 34 + 21, 1, 0, { 8 },
		  DROP(drop_tcp_opt) },
		{ "option length 1", 0, 0, 34 + 21, 1, 0, { 1 }, DROP(drop_tcp_opt) },
		{ "option length 0", 0, 0, 34 + 21, 1, 0, { 0 }, DROP(drop_tcp_opt) },
		{ "option kind in the last byte", 0, 0, 34 + 20, 4, 0, { 1, 1, 1, 3 },
		  DROP(drop_tcp_opt) },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		BUILD(bad[i].v6);
		s.vlan = bad[i].vlan;
		len = frame_build(&s, f, sizeof(f));
		memcpy(f + bad[i].off, bad[i].b, bad[i].nb);
		expect(bad[i].name, bad[i].verdict, bad[i].stat, f,
		       bad[i].len ? (size_t)bad[i].len : len);
	}

	BUILD(0);
	s.dport = 22;
	len = frame_build(&s, f, sizeof(f));
	expect(CASE("SYN to an unserved port", PASS, pass_port), f, len);
	s.flags = TCPHDR_ACK;
	len = frame_build(&s, f, sizeof(f));
	expect(CASE("ACK to an unserved port", PASS, pass_port), f, len);

	{
		static const struct { const char *n; __u8 fl; int st; } fl[] = {
			{ "SYN|FIN", TCPHDR_SYN | TCPHDR_FIN, XTCP_STAT_drop_syn_fin },
			{ "SYN|FIN|ACK", TCPHDR_SYN | TCPHDR_FIN | TCPHDR_ACK, XTCP_STAT_drop_syn_fin },
			{ "SYN|RST", TCPHDR_SYN | TCPHDR_RST, XTCP_STAT_drop_syn_rst },
			{ "SYN|ACK", TCPHDR_SYN | TCPHDR_ACK, XTCP_STAT_drop_syn_ack },
			{ "bare RST", TCPHDR_RST, XTCP_STAT_drop_rst },
			{ "RST|ACK", TCPHDR_RST | TCPHDR_ACK, XTCP_STAT_drop_rst },
			{ "bare FIN", TCPHDR_FIN, XTCP_STAT_drop_not_ack },
			{ "no flags", 0, XTCP_STAT_drop_not_ack },
			{ "ACK with a bad cookie", TCPHDR_ACK, XTCP_STAT_drop_bad_cookie },
		};
		for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
			BUILD(0);
			s.flags = fl[i].fl;
			/* a cookie of this period (so not "expired") but forged */
			s.ack = (0x55555500 | (period_now() & 3) << 3 | 6) + 1;
			len = frame_build(&s, f, sizeof(f));
			expect(fl[i].n, XDP_DROP, fl[i].st, f, len);
		}
	}

	BUILD(0);
	len = frame_build(&s, f, sizeof(f));
	f[34 + 16] ^= 0x01;
	expect(CASE("SYN with a bad TCP checksum", DROP, drop_tcp_csum), f, len);
	BUILD(1);
	s.payload_len = 33;
	len = frame_build(&s, f, sizeof(f));
	f[len - 1] ^= 0x80;
	expect(CASE("IPv6 SYN, payload corrupted", DROP, drop_tcp_csum), f, len);
	BUILD(0);
	len = frame_build(&s, f, sizeof(f));
	f[14 + 10] ^= 0x01;
	expect(CASE("SYN with a bad IP checksum", DROP, drop_ip_csum), f, len);
	BUILD(0);
	s.payload_len = 1600;
	len = frame_build(&s, f, sizeof(f));
	expect(CASE("SYN too long to checksum", DROP, drop_syn_long), f, len);

	/* IPv6 extension headers: dropped if they hide a served port */
	BUILD(1);
	len = frame_build(&s, f, sizeof(f));
	memmove(f + 54 + 8, f + 54, len - 54);
	memset(f + 54, 0, 8);
	f[54] = 6;		/* hop-by-hop: next header TCP, length 0 */
	f[14 + 6] = 0;
	f[14 + 5] += 8;
	expect(CASE("IPv6 hop-by-hop to a served port", DROP, drop_ipv6_ext),
	       f, len + 8);
	f[54 + 8 + 3] = 22;	/* destination port 22 */
	expect(CASE("IPv6 hop-by-hop to port 22", PASS, pass_port), f, len + 8);
	{
		/* five hop-by-hop headers: more than the program walks */
		__u8 g[2048];
		size_t n = len + 8 * 5;
		int k;

		memcpy(g, f, 54);
		for (k = 0; k < 5; k++) {
			memset(g + 54 + 8 * k, 0, 8);
			g[54 + 8 * k] = k < 4 ? 0 : 6;
		}
		memcpy(g + 54 + 40, f + 54 + 8, len - 54);
		g[14 + 4] = (__u8)((n - 54) >> 8);
		g[14 + 5] = (__u8)((n - 54) & 0xff);
		expect(CASE("IPv6 five extension headers", DROP, drop_ipv6_ext), g,
		       n);
	}
	f[54] = 44;		/* then a fragment header, non-first */
	expect(CASE("IPv6 chain into a non-first fragment", PASS, pass_frag), f,
	       len + 8);

	/* an expired cookie: made two periods ago */
	{
		struct xtcp_flow_key fk;
		__u32 old = period_now() - 2;
		__u64 key[2];

		BUILD(0);
		s.flags = TCPHDR_ACK;
		s.seq = 1001;
		frame_flow_key(&s, &fk);
		xtcp_cookie_key(master, old, key);
		s.ack = xtcp_cookie_make(key, old, &fk, 0, 1000, 6) + 1;
		len = frame_build(&s, f, sizeof(f));
		expect(CASE("ACK with an expired cookie", DROP,
			     drop_cookie_expired), f, len);
		/* one period ago still validates (no socket here: no_xsk) */
		xtcp_cookie_key(master, old + 1, key);
		s.ack = xtcp_cookie_make(key, old + 1, &fk, 0, 1000, 6) + 1;
		len = frame_build(&s, f, sizeof(f));
		expect(CASE("ACK with last period's cookie", DROP, drop_no_xsk), f,
		       len);
		/* forged: random MAC and period bits; all bad, none expired
		 * (only a MAC that verifies under an older key is expired) */
		{
			__u32 x = 0x9e3779b9, forged_bad = 0;

			for (int k = 0; k < 200; k++) {
				struct run r;

				x = x * 1103515245u + 12345u;
				s.ack = x;
				len = frame_build(&s, f, sizeof(f));
				run_frame(f, len, &r);
				forged_bad += r.retval == XDP_DROP &&
				       r.stat == XTCP_STAT_drop_bad_cookie;
			}
			CHECK_EQ(forged_bad, 200, "200 forged third ACKs: all drop_bad_cookie");
		}
	}
	(void)v;
	CHECK(cases >= 20, "malformed table has %d cases", cases);
#undef CASE
#undef PASS
#undef DROP
#undef BUILD
}

/* A TCP socket listening on KPORT of the family's any address. */
static int listen_on(int v6)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(KPORT) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(KPORT) };
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((v6 ? bind(fd, (void *)&a6, sizeof(a6)) :
		  bind(fd, (void *)&a4, sizeof(a4))) ||
	    listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A fresh network namespace with lo up: the sockets here are the test's. */
static int private_netns(void)
{
	struct ifreq ifr = {};
	int fd, err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP;
	err = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 0;
	close(fd);
	return err;
}

/* The SYN-ACK for s, then the frame of its third ACK into frame. */
static size_t third_ack(struct frame_spec *s, struct frame_spec *a,
			__u8 *frame, size_t cap, struct frame_view *v)
{
	check_syn_ack("kernel port SYN", s, v);
	frame_third_ack(s, v, a);
	return frame_build(a, frame, cap);
}

/*
 * Kernel ports: the segments of the kernel's own sockets pass whatever
 * they carry; a valid third ACK passes with handoff metadata when a
 * listener exists and is answered with RST when none does; a forged one
 * is dropped. bpf_skc_lookup_tcp runs in the test's namespace (the test
 * run's device is its loopback), so the sockets made here are the ones
 * the program sees.
 */
static void test_kernel_port(void)
{
	struct frame_spec s, a;
	struct frame_view v;
	struct bpf_tcp_req_attrs at = {};
	struct xtcp_meta m;
	__u8 frame[2048];
	const __u8 *o;
	__u32 ol;
	size_t len;
	struct run r;
	int v6, lfd[2], cfd, afd, err;

	err = private_netns();
	CHECK(!err, "kernel port: private netns: %s", strerror(-err));
	if (err)
		return;

	/* nothing listens: the valid third ACK gets the kernel's RST */
	spec_all_opts(&s, 0);
	s.dport = KPORT;
	len = third_ack(&s, &a, frame, sizeof(frame), &v);
	run_frame(frame, len, &r);
	CHECK_EQ(r.retval, XDP_TX, "kernel port, no listener: answered");
	CHECK_EQ(r.stat, XTCP_STAT_rst_no_listener, "counted as rst_no_listener");
	o = run_data(&r, &ol);
	CHECK(!frame_parse(o, ol, &v) && v.flags == TCPHDR_RST && v.seq == a.ack &&
	      v.ip_csum_ok && v.tcp_csum_ok,
	      "no listener: <SEQ=SEG.ACK><CTL=RST>, checksums right");

	lfd[0] = listen_on(0);
	lfd[1] = listen_on(1);
	CHECK(lfd[0] >= 0 && lfd[1] >= 0, "listeners on port %d", KPORT);
	for (v6 = 0; v6 <= 1; v6++) {
		const char *fam = v6 ? "IPv6" : "IPv4";

		spec_all_opts(&s, v6);
		s.dport = KPORT;
		s.sport = (__u16)(43000 + v6);
		s.flags |= TCPHDR_ECE | TCPHDR_CWR;
		len = third_ack(&s, &a, frame, sizeof(frame), &v);
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_PASS && r.stat == XTCP_STAT_handoff,
		      "%s: valid third ACK to the kernel: XDP_PASS, handoff", fam);
		CHECK_EQ(r.ctx_out.data - r.ctx_out.data_meta, sizeof(m),
			 "handoff metadata in front of the frame");
		memcpy(&m, r.out, sizeof(m));
		CHECK_EQ(m.flags, XTCP_META_NEW | XTCP_META_KERNEL | XTCP_META_SACK |
				  XTCP_META_TS | XTCP_META_ECN, "handoff meta flags");
		CHECK_EQ(m.iss, v.seq, "handoff ISS = cookie");
		CHECK_EQ(m.irs, s.seq, "handoff IRS = client ISN");
		CHECK(!xtcp_handoff_attrs(&m, &at), "%s: attrs from the metadata", fam);
		CHECK_EQ(at.mss, v6 ? 1440 : 1460, "attrs MSS");
		CHECK(at.wscale_ok && at.snd_wscale == 7 && at.rcv_wscale == 7,
		      "%s: attrs window scales", fam);
		CHECK(at.sack_ok && at.tstamp_ok && at.ecn_ok,
		      "%s: attrs SACK, timestamps, ECN", fam);
		CHECK_EQ(at.rcv_tsecr, v.tsval, "attrs TSecr = our SYN-ACK TSval");
		CHECK_EQ(at.rcv_tsval, a.tsval, "attrs TSval = client's");
		/* first data in place of a lost third ACK: the same */
		a.flags = TCPHDR_ACK | TCPHDR_PSH;
		a.payload_len = 200;
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_PASS && r.stat == XTCP_STAT_handoff,
		      "%s: first data before the third ACK: handoff", fam);
		/* forged: dropped in XDP, the kernel never sees it */
		a.ack ^= 0x100;
		len = frame_build(&a, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_DROP && r.stat == XTCP_STAT_drop_bad_cookie,
		      "%s: forged ACK to a kernel port dropped", fam);
		/* a SYN still gets a cookie SYN-ACK, the kernel no SYN */
		s.flags = TCPHDR_SYN;
		len = frame_build(&s, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_TX && r.stat == XTCP_STAT_syn_ack,
		      "%s: SYN to a kernel port answered from XDP", fam);
	}

	/* an established kernel connection: every segment passes */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(KPORT),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof(sa);
		static const struct { const char *n; __u8 fl; } segs[] = {
			{ "ACK with a wrong ack", TCPHDR_ACK },
			{ "RST", TCPHDR_RST },
			{ "FIN without ACK", TCPHDR_FIN },
			{ "SYN (RFC 5961: the kernel's to answer)", TCPHDR_SYN },
			{ "SYN|FIN", TCPHDR_SYN | TCPHDR_FIN },
		};
		size_t i;

		cfd = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(!connect(cfd, (void *)&sa, sizeof(sa)), "loopback connect");
		afd = accept(lfd[0], NULL, NULL);
		getsockname(cfd, (void *)&sa, &sl);
		for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
			frame_spec_default(&s, 0);
			inet_pton(AF_INET, "127.0.0.1", s.src_addr);
			inet_pton(AF_INET, "127.0.0.1", s.dst_addr);
			s.sport = ntohs(sa.sin_port);
			s.dport = KPORT;
			s.flags = segs[i].fl;
			s.ack = 0x5555;
			len = frame_build(&s, frame, sizeof(frame));
			run_frame(frame, len, &r);
			CHECK(r.retval == XDP_PASS && r.stat == XTCP_STAT_pass_kernel_conn,
			      "established kernel connection, %s: passed", segs[i].n);
		}
		/* the same tuple with another client port: nobody's, dropped */
		s.sport = (__u16)(s.sport + 1);
		s.flags = TCPHDR_ACK;
		/* a cookie of this period (so not "expired") but forged */
		s.ack = (0x55555500 | (period_now() & 3) << 3 | 6) + 1;
		len = frame_build(&s, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_DROP && r.stat == XTCP_STAT_drop_bad_cookie,
		      "ACK of no connection on a kernel port: dropped");
		close(afd);
		close(cfd);
	}
	close(lfd[0]);
	close(lfd[1]);
}

/* Random and mutated frames: every one gets exactly one counter. */
static void test_fuzz(void)
{
	struct frame_spec s;
	__u8 f[512];
	unsigned int seed = 12345;
	int i, j, counted = 0, n = 3000;
	struct run r;

	for (i = 0; i < n; i++) {
		size_t len;

		spec_all_opts(&s, i & 1);
		s.flags = (__u8)rand_r(&seed);
		len = frame_build(&s, f, sizeof(f));
		for (j = 0; j < 1 + (int)(rand_r(&seed) % 4); j++)
			f[rand_r(&seed) % len] = (__u8)rand_r(&seed);
		if (i % 3 == 0)	/* test runs need at least ETH_HLEN */
			len = 14 + rand_r(&seed) % (len - 14);
		run_frame(f, len, &r);
		counted += r.stat >= 0;
	}
	CHECK_EQ(counted, n, "every mutated frame counted exactly once");
}

/*
 * XTCP_CFG_ADDRS: a served port answers only on the addresses in `addrs`;
 * the same SYN to another address is the kernel's (pass_addr), in both
 * families, and an empty map serves nothing.
 */
static void test_addrs(void)
{
	struct xtcp_addr a4 = { { 0, 0, htonl(0xffff), htonl(0x0a000001) } }, a6 = {};
	struct frame_spec s;
	struct frame_view v;
	__u8 frame[512];
	struct run r;
	__u8 one = 1;
	int v6;

	inet_pton(AF_INET6, "fd00::1", a6.a);
	set_config(XTCP_CFG_ECN | XTCP_CFG_ADDRS);
	for (v6 = 0; v6 <= 1; v6++) {
		size_t len;

		spec_all_opts(&s, v6);
		s.sport = (__u16)(44000 + v6);
		len = frame_build(&s, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_PASS && r.stat == XTCP_STAT_pass_addr,
		      "v%d: empty addrs: SYN passed as pass_addr (%d %d)", v6 ? 6 : 4,
		      r.retval, r.stat);
		bpf_map__update_elem(skel->maps.xtcp_addrs, v6 ? &a6 : &a4, sizeof(a4),
				     &one, sizeof(one), 0);
		/* Each CPU keeps its last answer for the jiffy it got it in
		 * (xtcp_addr_memo): a change applies within a tick. Until
		 * then the same SYN is still refused, after it answered. */
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_PASS || r.stat == XTCP_STAT_syn_ack,
		      "v%d: address added: passed or answered", v6 ? 6 : 4);
		usleep(2 * 1000000 / 100);	/* two ticks at HZ >= 100 */
		check_syn_ack("SYN to a served address", &s, &v);
		/* the same SYN to an address next to it */
		s.dst_addr[v6 ? 15 : 3] ^= 0x40;
		len = frame_build(&s, frame, sizeof(frame));
		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_PASS && r.stat == XTCP_STAT_pass_addr,
		      "v%d: SYN to an address not served passed (%d %d)", v6 ? 6 : 4,
		      r.retval, r.stat);
	}
	/* removed: refused again once the memo's tick is over */
	bpf_map__delete_elem(skel->maps.xtcp_addrs, &a4, sizeof(a4), 0);
	bpf_map__delete_elem(skel->maps.xtcp_addrs, &a6, sizeof(a6), 0);
	usleep(2 * 1000000 / 100);
	spec_all_opts(&s, 0);
	s.sport = 44000;
	{
		size_t len = frame_build(&s, frame, sizeof(frame));

		run_frame(frame, len, &r);
		CHECK(r.retval == XDP_PASS && r.stat == XTCP_STAT_pass_addr,
		      "address removed: SYN passed as pass_addr (%d %d)",
		      r.retval, r.stat);
	}
	set_config(XTCP_CFG_ECN);
}

int main(void)
{
	if (geteuid()) {
		printf("bpf/xdp: needs root (skipped)\n");
		return 77;
	}
	if (setup())
		return EXIT_FAILURE;
	test_syn_variants();
	test_syn_opt_layouts();
	test_cookie_prefix();
	test_syn_corrupt();
	test_handshake();
	test_flows_live();
	test_addrs();
	test_multibuffer();
	test_replay();
	test_acl();
	test_malformed();
	test_icmp();
	test_kernel_port();
	test_fuzz();
	xtcp__destroy(skel);
	return check_done("bpf/xdp");
}
