// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The kernel handoff's attributes, host build of include/xtcp/handoff.h:
 * for every cookie variant (each MSS index, window scale none and 0-14,
 * SACK, ECN, with and without timestamps, both families, three shifts of
 * ours) the path the XDP and tc programs take, SYN to SYN-ACK to third ACK
 * to metadata to struct bpf_tcp_req_attrs, yields exactly what the SYN
 * negotiated, and nothing the kernel's bpf_sk_assign_tcp_reqsk() refuses.
 */
#include <string.h>

#include "check.h"
#include "frames.h"
#include "xtcp/handoff.h"

static const __u64 master[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

/* What the kernel refuses with EINVAL (net/core/filter.c), sysctls on. */
static int kernel_refuses(const struct bpf_tcp_req_attrs *a, int v6)
{
	if (a->reserved[0] || a->reserved[1] || a->reserved[2])
		return 1;
	if (a->mss < (v6 ? 1280 - 60 : 536))
		return 1;
	if (a->wscale_ok && (a->snd_wscale > 14 || a->rcv_wscale > 14))
		return 1;
	return 0;
}

struct variant {
	int v6, idx, ws, sack, ecn, ts, ours;
};

/* SYN with v's options; cookie and TSval as stage_syn makes them. */
static void one_variant(const struct variant *v, int *cases)
{
	struct frame_spec s;
	struct xtcp_flow_key fk;
	struct xtcp_syn_opts so;
	struct xtcp_meta m;
	struct bpf_tcp_req_attrs a;
	__u64 key[2];
	__u32 period = 123456, now_ms = 0x12345678, client_isn = 0xdeadbeef;
	__u32 client_mss = xtcp_mss_value(v->v6, (__u32)v->idx) + 3;
	__u32 mss_idx, cookie, tsval = 0, idx = 99;
	int ws = v->ts && v->ws >= 0, ecn = v->ts && v->ecn;
	char name[128];

	snprintf(name, sizeof(name), "v%d idx %d ws %d sack %d ecn %d ts %d ours %d",
		 v->v6 ? 6 : 4, v->idx, v->ws, v->sack, v->ecn, v->ts, v->ours);
	frame_spec_default(&s, v->v6);
	frame_flow_key(&s, &fk);
	xtcp_cookie_key(master, period, key);
	mss_idx = xtcp_mss_index(v->v6, client_mss);
	cookie = xtcp_cookie_make(key, period, &fk, v->v6, client_isn, mss_idx);
	if (v->ts)
		tsval = xtcp_ts_encode(now_ms, v->ws >= 0 ? (__u8)v->ws :
							  XTCP_WSCALE_NONE,
				       v->sack, ecn);

	/* third ACK: TSecr echoes our TSval; decode as stage_ack does */
	CHECK(xtcp_cookie_check(key, key, period, &fk, v->v6, client_isn,
				cookie, &idx) == XTCP_COOKIE_OK,
	      "%s: cookie validates", name);
	xtcp_syn_opts_decode(v->v6, idx, v->ts, tsval, &so);
	memset(&m, 0xa5, sizeof(m));
	xtcp_meta_fill(&m, &so, cookie, client_isn, 777, tsval, (__u8)v->ours, 1);
	memset(&a, 0xa5, sizeof(a));
	CHECK(!xtcp_handoff_attrs(&m, &a), "%s: attrs built", name);

	CHECK_EQ(a.mss, xtcp_mss_value(v->v6, (__u32)v->idx), name);
	CHECK(a.mss <= client_mss, "%s: MSS never rounded up", name);
	CHECK_EQ(a.wscale_ok, ws, name);
	CHECK_EQ(a.snd_wscale, ws ? v->ws : 0, name);
	CHECK_EQ(a.rcv_wscale, ws ? v->ours : 0, name);
	CHECK_EQ(a.sack_ok, v->ts && v->sack, name);
	CHECK_EQ(a.ecn_ok, ecn, name);
	CHECK_EQ(a.tstamp_ok, v->ts, name);
	/* the kernel's TS offset makes its TSvals continue this one */
	CHECK_EQ(a.rcv_tsecr, v->ts ? tsval : 0, name);
	CHECK_EQ(a.rcv_tsval, v->ts ? 777 : 0, name);
	CHECK(!v->ts || (__s32)(a.rcv_tsecr - now_ms) <= 0,
	      "%s: TSecr not ahead of our clock", name);
	CHECK_EQ(a.usec_ts_ok, 0, name);
	CHECK(!kernel_refuses(&a, v->v6), "%s: the kernel accepts it", name);
	(*cases)++;
}

static void test_every_variant(void)
{
	static const int ours[] = { 0, 7, 14 };
	struct variant v;
	int cases = 0, o;

	for (v.v6 = 0; v.v6 <= 1; v.v6++)
		for (v.idx = 0; v.idx < (int)XTCP_COOKIE_MSS_SLOTS; v.idx++)
			for (v.ws = -1; v.ws <= XTCP_WSCALE_MAX; v.ws++)
				for (v.sack = 0; v.sack <= 1; v.sack++)
					for (v.ecn = 0; v.ecn <= 1; v.ecn++)
						for (v.ts = 0; v.ts <= 1; v.ts++)
							for (o = 0; o < 3; o++) {
								v.ours = ours[o];
								one_variant(&v, &cases);
							}
	CHECK_EQ(cases, 2 * 8 * 16 * 2 * 2 * 2 * 3, "variants covered");
}

/* Metadata that is not a handoff, or not from a valid cookie, is refused. */
static void test_refused_meta(void)
{
	struct xtcp_syn_opts so = { .mss = 1460, .wscale = 7, .sack = 1, .ts = 1 };
	struct bpf_tcp_req_attrs a;
	struct xtcp_meta m;

	xtcp_meta_fill(&m, &so, 1, 2, 3, 4, 7, 0);
	CHECK(xtcp_handoff_attrs(&m, &a), "engine metadata is not a handoff");
	xtcp_meta_fill(&m, &so, 1, 2, 3, 4, 7, 1);
	CHECK(!xtcp_handoff_attrs(&m, &a), "handoff metadata");
	m.magic ^= 1;
	CHECK(xtcp_handoff_attrs(&m, &a), "wrong magic refused");
	xtcp_meta_fill(&m, &so, 1, 2, 3, 4, 7, 1);
	m.flags &= (__u8)~XTCP_META_NEW;
	CHECK(xtcp_handoff_attrs(&m, &a), "a known flow's metadata refused");
	xtcp_meta_fill(&m, &so, 1, 2, 3, 4, 7, 1);
	m.rcv_wscale = 15 + 1;
	CHECK(xtcp_handoff_attrs(&m, &a), "a shift over 14 refused");
	so.wscale = XTCP_WSCALE_NONE;
	xtcp_meta_fill(&m, &so, 1, 2, 3, 4, 7, 1);
	CHECK(!xtcp_handoff_attrs(&m, &a) && !a.wscale_ok && !a.snd_wscale &&
	      !a.rcv_wscale, "no window scaling: both shifts 0, not ok");
}

int main(void)
{
	test_every_variant();
	test_refused_meta();
	return check_done("unit/handoff");
}
