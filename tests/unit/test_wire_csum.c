// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Internet checksum (wire_csum_add, wire_csum_fold) against RFC 1071
 * done the slow way, 16 bits at a time in network order: every length up
 * to 2 KiB at every alignment, data that carries on every add (all ones),
 * random data, and a running sum carried in from a pseudo-header.
 */
#include <string.h>

#include "check.h"
#include "tcp/rng.h"
#include "tcp/wire.h"

/* RFC 1071: one's complement sum of 16-bit words, big-endian, an odd
 * byte padded with zero; complemented; as the bytes of the field. */
static void reference(const uint8_t *p, size_t len, uint32_t start, uint8_t out[2])
{
	uint32_t sum = start;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	out[0] = (uint8_t)(sum >> 8);
	out[1] = (uint8_t)sum;
}

static int run(const uint8_t *buf, size_t maxlen)
{
	int bad = 0;

	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= maxlen; len++) {
			uint8_t want[2], got[2];
			uint16_t c = wire_csum_fold(wire_csum_add(buf + off, len, 0));

			reference(buf + off, len, 0, want);
			memcpy(got, &c, 2);
			bad += memcmp(want, got, 2) != 0;
		}
	return bad;
}

int main(void)
{
	static uint8_t buf[2056];
	uint64_t x = 7;
	int bad;

	memset(buf, 0xff, sizeof(buf));
	bad = run(buf, sizeof(buf));
	CHECK(!bad, "all ones: %d of every length and alignment wrong", bad);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)splitmix64(&x);
	bad = run(buf, sizeof(buf));
	CHECK(!bad, "random: %d of every length and alignment wrong", bad);
	memset(buf, 0, sizeof(buf));
	bad = run(buf, 64);
	CHECK(!bad, "zeros: %d wrong", bad);

	/* a sum carried in, as the pseudo-header's is: 0x1234 0x5678 first */
	{
		static const uint8_t pre[4] = { 0x12, 0x34, 0x56, 0x78 };
		uint8_t cat[4 + 1500], want[2], got[2];
		uint16_t c;

		memcpy(cat, pre, 4);
		memcpy(cat + 4, buf + 3, 1500);
		for (int i = 0; i < 1500; i++)
			cat[4 + i] = (uint8_t)splitmix64(&x);
		reference(cat, sizeof(cat), 0, want);
		c = wire_csum_fold(wire_csum_add(cat + 4, 1500, wire_csum_add(pre, 4, 0)));
		memcpy(got, &c, 2);
		CHECK(!memcmp(want, got, 2), "a running sum carried in");
	}
	return check_done("unit/wire_csum");
}
