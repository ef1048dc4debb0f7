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

/* SipHash-2-4 of n (at most 31) little-endian words m[] under key k[2]. */
XTCP_INLINE __u64 xtcp_siphash(const __u64 k[2], const __u64 *m, int n)
{
	__u64 v0 = k[0] ^ 0x736f6d6570736575ULL;
	__u64 v1 = k[1] ^ 0x646f72616e646f6dULL;
	__u64 v2 = k[0] ^ 0x6c7967656e657261ULL;
	__u64 v3 = k[1] ^ 0x7465646279746573ULL;
	__u64 b = (__u64)(n * 8) << 56;
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

#endif /* XTCP_SIPHASH_H */
