/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) over whole 64-bit words, for
 * the BPF program and the host alike. Inputs here are always a multiple of
 * 8 bytes, so the final block is the length byte alone; for such inputs
 * the result equals the reference SipHash-2-4 of the little-endian bytes.
 */
#ifndef XTCP_SIPHASH_H
#define XTCP_SIPHASH_H

#include <linux/types.h>

#ifdef __bpf__
#define XTCP_INLINE static __attribute__((always_inline)) inline
#else
#define XTCP_INLINE static inline
#endif

#define XTCP_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define XTCP_SIPROUND(v0, v1, v2, v3)					\
	do {								\
		v0 += v1; v1 = XTCP_ROTL64(v1, 13); v1 ^= v0;		\
		v0 = XTCP_ROTL64(v0, 32);				\
		v2 += v3; v3 = XTCP_ROTL64(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = XTCP_ROTL64(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = XTCP_ROTL64(v1, 17); v1 ^= v2;		\
		v2 = XTCP_ROTL64(v2, 32);				\
	} while (0)

/*
 * SipHash's state between words, so that a caller can keep the state after
 * words that repeat (the server side of a cookie's message) and go on from
 * there: init, absorb the words, final with the count of all of them; the
 * same function as xtcp_siphash, split.
 */
struct xtcp_sip {
	__u64 v0, v1, v2, v3;
};

XTCP_INLINE void xtcp_sip_init(struct xtcp_sip *s, const __u64 k[2])
{
	s->v0 = k[0] ^ 0x736f6d6570736575ULL;
	s->v1 = k[1] ^ 0x646f72616e646f6dULL;
	s->v2 = k[0] ^ 0x6c7967656e657261ULL;
	s->v3 = k[1] ^ 0x7465646279746573ULL;
}

/* The compression rounds (2 per word) of n words. */
XTCP_INLINE void xtcp_sip_absorb(struct xtcp_sip *s, const __u64 *m, int n)
{
	__u64 v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;
	int i;

#ifdef __bpf__
#pragma unroll
#endif
	for (i = 0; i < n; i++) {
		v3 ^= m[i];
		XTCP_SIPROUND(v0, v1, v2, v3);
		XTCP_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	s->v0 = v0;
	s->v1 = v1;
	s->v2 = v2;
	s->v3 = v3;
}

/* The last block (the length byte alone: n words in all) and the 4
 * finalization rounds. */
XTCP_INLINE __u64 xtcp_sip_final(const struct xtcp_sip *s, int n)
{
	__u64 v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;
	__u64 b = (__u64)(n * 8) << 56;

	v3 ^= b;
	XTCP_SIPROUND(v0, v1, v2, v3);
	XTCP_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	XTCP_SIPROUND(v0, v1, v2, v3);
	XTCP_SIPROUND(v0, v1, v2, v3);
	XTCP_SIPROUND(v0, v1, v2, v3);
	XTCP_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* SipHash-2-4 of n (at most 31) little-endian words m[] under key k[2]. */
XTCP_INLINE __u64 xtcp_siphash(const __u64 k[2], const __u64 *m, int n)
{
	struct xtcp_sip s;

	xtcp_sip_init(&s, k);
	xtcp_sip_absorb(&s, m, n);
	return xtcp_sip_final(&s, n);
}

#endif /* XTCP_SIPHASH_H */
