// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The cookie, host build: SipHash against the reference vectors, round
 * trips of everything a SYN negotiates, single-bit alterations, expiry and
 * the previous-key window.
 */
#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "xtcp/cookie.h"

static const __u64 master[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

/* SipHash-2-4 reference vectors: key 00..0f, message 00 01 02 .. (n bytes). */
static void test_siphash_vectors(void)
{
	static const __u64 want[] = {
		0x726fdb47dd0e0e31ULL, 0x93f5f5799a932462ULL,
		0x3f2acc7f57c29bdbULL, 0xb8ad50c6f649af94ULL,
		0x7127512f72f27cceULL, 0x0e3ea96b5304a7d0ULL,
		0xe612a3cb9ecba951ULL,
	};
	const __u64 key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	__u64 m[6];
	__u8 bytes[48];
	int i;

	for (i = 0; i < 48; i++)
		bytes[i] = (__u8)i;
	memcpy(m, bytes, sizeof(m));	/* little-endian words, as on the wire */
	for (i = 0; i <= 6; i++)
		CHECK_EQ(xtcp_siphash(key, m, i), want[i], "siphash vector");
}

static void tuple(struct xtcp_flow_key *fk, int v6)
{
	struct frame_spec s;

	frame_spec_default(&s, v6);
	frame_flow_key(&s, fk);
}

static int check_at(__u32 made, __u32 now, const struct xtcp_flow_key *fk,
		    int v6, __u32 isn, __u32 cookie, __u32 *idx)
{
	__u64 cur[2], prev[2], old2[2], old3[2];

	(void)made;
	xtcp_cookie_key(master, now, cur);
	xtcp_cookie_key(master, now - 1, prev);
	xtcp_cookie_key(master, now - 2, old2);
	xtcp_cookie_key(master, now - 3, old3);
	return xtcp_cookie_check_aged(cur, prev, old2, old3, now, fk, v6, isn,
				      cookie, idx);
}

/* Every MSS index, both families; the index decodes to the table value. */
static void test_roundtrip_mss(void)
{
	struct xtcp_flow_key fk;
	__u32 period = 29000000, idx, cookie, got;
	__u64 key[2];
	int v6;

	xtcp_cookie_key(master, period, key);
	for (v6 = 0; v6 <= 1; v6++) {
		tuple(&fk, v6);
		for (idx = 0; idx < XTCP_COOKIE_MSS_SLOTS; idx++) {
			__u16 mss = xtcp_mss_value(v6, idx);

			CHECK_EQ(xtcp_mss_index(v6, mss), idx, "index of table MSS");
			cookie = xtcp_cookie_make(key, period, &fk, v6, 1000 + idx,
						  xtcp_mss_index(v6, mss));
			got = 99;
			CHECK_EQ(check_at(period, period, &fk, v6, 1000 + idx,
					  cookie, &got), XTCP_COOKIE_OK,
				 "cookie validates");
			CHECK_EQ(got, idx, "MSS index round trip");
			CHECK_EQ(xtcp_mss_value(v6, got), mss, "MSS round trip");
		}
	}
	/* rounding is always down, and below the table means the default */
	CHECK_EQ(xtcp_mss_value(0, xtcp_mss_index(0, 1459)), 1440, "1459 -> 1440");
	CHECK_EQ(xtcp_mss_value(0, xtcp_mss_index(0, 100)), 536, "100 -> 536");
	CHECK_EQ(xtcp_mss_value(0, xtcp_mss_index(0, 65535)), 8960, "max v4");
	CHECK_EQ(xtcp_mss_value(1, xtcp_mss_index(1, 1439)), 1420, "1439 -> 1420");
	CHECK_EQ(xtcp_mss_value(1, xtcp_mss_index(1, 0)), 1220, "no MSS v6");
}

/* Window scale 0-14 and none, SACK and ECN, with and without timestamps. */
static void test_roundtrip_ts_opts(void)
{
	struct xtcp_syn_opts o;
	__u32 now, tsval;
	int ws, sack, ecn, ts;

	for (ts = 0; ts <= 1; ts++)
		for (ws = 0; ws <= 15; ws++)
			for (sack = 0; sack <= 1; sack++)
				for (ecn = 0; ecn <= 1; ecn++) {
					__u8 w = ws == 15 ? XTCP_WSCALE_NONE : (__u8)ws;

					now = 0x10000000u + (__u32)(ws * 7 + sack * 3 + ecn);
					tsval = xtcp_ts_encode(now, w, sack, ecn);
					CHECK((__s32)(tsval - now) <= 0,
					      "TSval %u ahead of clock %u", tsval, now);
					CHECK(now - tsval < 64, "TSval %u too far behind %u",
					      tsval, now);
					xtcp_syn_opts_decode(0, 0, ts, tsval, &o);
					CHECK_EQ(o.ts, ts, "ts");
					CHECK_EQ(o.wscale, ts ? w : XTCP_WSCALE_NONE, "wscale");
					CHECK_EQ(o.sack, ts && sack, "sack");
					CHECK_EQ(o.ecn, ts && ecn, "ecn");
				}
	/* the clock's low bits never push TSval ahead, at any phase */
	for (now = 1000; now < 1000 + 128; now++)
		CHECK((__s32)(xtcp_ts_encode(now, 14, 1, 1) - now) <= 0,
		      "TSval ahead at %u", now);
}

/* One flipped bit anywhere in the tuple, the ISN or the cookie fails. */
static void test_bit_flips(void)
{
	struct xtcp_flow_key fk, bad;
	__u32 period = 29000001, isn = 0xdeadbeef, cookie, idx, bit;
	__u64 key[2];
	int v6, byte, failures;

	xtcp_cookie_key(master, period, key);
	for (v6 = 0; v6 <= 1; v6++) {
		tuple(&fk, v6);
		cookie = xtcp_cookie_make(key, period, &fk, v6, isn, 6);
		failures = 0;
		for (byte = 0; byte < (int)sizeof(fk); byte++) {
			/* IPv4 hashes only the last address word: skip the rest */
			if (!v6 && ((byte < 12) || (byte >= 16 && byte < 28)))
				continue;
			for (bit = 0; bit < 8; bit++) {
				bad = fk;
				((__u8 *)&bad)[byte] ^= (__u8)(1u << bit);
				failures += check_at(period, period, &bad, v6, isn,
						     cookie, &idx) != XTCP_COOKIE_OK;
			}
		}
		CHECK_EQ(failures, v6 ? 36 * 8 : 12 * 8, "tuple bit flips refused");
		failures = 0;
		for (bit = 0; bit < 32; bit++)
			failures += check_at(period, period, &fk, v6,
					     isn ^ (1u << bit), cookie, &idx) !=
				    XTCP_COOKIE_OK;
		CHECK_EQ(failures, 32, "client ISN bit flips refused");
		failures = 0;
		for (bit = 0; bit < 32; bit++)
			failures += check_at(period, period, &fk, v6, isn,
					     cookie ^ (1u << bit), &idx) !=
				    XTCP_COOKIE_OK;
		CHECK_EQ(failures, 32, "cookie (ack - 1) bit flips refused");
		CHECK_EQ(check_at(period, period, &fk, !v6, isn, cookie, &idx),
			 XTCP_COOKIE_BAD, "other family refused");
	}
}

/* The previous period's key validates; older cookies are refused. */
static void test_age(void)
{
	struct xtcp_flow_key fk;
	__u32 p = 29000002, isn = 7, cookie, idx;
	__u64 key[2], other[2];
	const __u64 master2[2] = { 1, 2 };

	tuple(&fk, 0);
	xtcp_cookie_key(master, p, key);
	cookie = xtcp_cookie_make(key, p, &fk, 0, isn, 3);
	CHECK_EQ(check_at(p, p, &fk, 0, isn, cookie, &idx), XTCP_COOKIE_OK,
		 "current period");
	CHECK_EQ(check_at(p, p + 1, &fk, 0, isn, cookie, &idx), XTCP_COOKIE_OK,
		 "previous key still validates");
	CHECK_EQ(check_at(p, p + 2, &fk, 0, isn, cookie, &idx),
		 XTCP_COOKIE_EXPIRED, "two periods old: expired");
	CHECK_EQ(check_at(p, p + 3, &fk, 0, isn, cookie, &idx),
		 XTCP_COOKIE_EXPIRED, "three periods old: expired");
	CHECK_EQ(check_at(p, p + 4, &fk, 0, isn, cookie, &idx), XTCP_COOKIE_BAD,
		 "four periods old: counter wrapped, key differs");
	CHECK_EQ(check_at(p, p - 1, &fk, 0, isn, cookie, &idx),
		 XTCP_COOKIE_BAD, "cookie from the future: not proven, bad");
	/* with only the two keys that validate, old is not proven either */
	{
		__u64 cur[2], prev[2];

		xtcp_cookie_key(master, p + 2, cur);
		xtcp_cookie_key(master, p + 1, prev);
		CHECK_EQ(xtcp_cookie_check(cur, prev, p + 2, &fk, 0, isn, cookie, &idx),
			 XTCP_COOKIE_BAD, "two keys: an old cookie is bad");
	}
	/* forged cookies with random period bits: never "expired" */
	{
		__u32 x = 12345, expired = 0, ok = 0;

		for (int i = 0; i < 100000; i++) {
			x = x * 1103515245u + 12345u;
			switch (check_at(p, p, &fk, 0, isn, x, &idx)) {
			case XTCP_COOKIE_EXPIRED: expired++; break;
			case XTCP_COOKIE_OK: ok++; break;
			}
		}
		CHECK_EQ(expired, 0, "100000 forged cookies: none counted expired");
		CHECK(ok <= 1, "and (all but chance) none valid: %u", ok);
	}
	/* keys differ by period and by master; derivation is deterministic */
	xtcp_cookie_key(master, p + 1, other);
	CHECK(memcmp(key, other, sizeof(key)), "period keys differ");
	xtcp_cookie_key(master2, p, other);
	CHECK(memcmp(key, other, sizeof(key)), "master keys differ");
	xtcp_cookie_key(master, p, other);
	CHECK(!memcmp(key, other, sizeof(key)), "derivation deterministic");
	CHECK_EQ(xtcp_cookie_period(60000000000ULL * 5 + 59999999999ULL), 5,
		 "period of a time");
}

int main(void)
{
	test_siphash_vectors();
	test_roundtrip_mss();
	test_roundtrip_ts_opts();
	test_bit_flips();
	test_age();
	return check_done("unit/cookie");
}
