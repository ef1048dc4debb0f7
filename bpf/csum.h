/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internet checksum (RFC 1071) for the XDP program: sums of raw 16-bit
 * words, so byte order takes care of itself; folded and inverted at the end.
 */
#ifndef XTCP_BPF_CSUM_H
#define XTCP_BPF_CSUM_H

#include <linux/types.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Longest TCP segment whose checksum a SYN gets checked over. */
/*
 * Every offset into the frame is masked with PKT_OFF_MASK where it becomes
 * a pointer, so the verifier sees it bounded; bounds against data_end are
 * still checked. No offset the programs form reaches it: 22 bytes of L2,
 * then 60 of IPv4 header or 40 of IPv6 plus the extension headers
 * parse_ipv6 walks (it refuses an offset past the mask), then 60 of TCP.
 */
#define PKT_OFF_MASK 0x3ff

#define CSUM_MAX_BYTES 1520

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Sum of a stack buffer of constant, even length. By 32-bit words where the
 * length allows: 2^16 is 1 in the one's complement sum, so adding 32-bit
 * words into 64 bits and folding gives the sum of the 16-bit words.
 */
static __always_inline __u64 csum_buf(const void *buf, int len, __u64 sum)
{
	const __u16 *w = buf;
	const __u32 *d = buf;
	int i;

	if (!(len & 3)) {
#pragma unroll
		for (i = 0; i < len / 4; i++)
			sum += d[i];
		return sum;
	}
#pragma unroll
	for (i = 0; i < len / 2; i++)
		sum += w[i];
	return sum;
}

/*
 * Sum a run of 20 to 60 bytes of the packet at b, a multiple of 4 (an IPv4
 * header; a TCP header without payload: each SYN in a flood), by 32-bit
 * words as csum_buf does: one bound check for the whole run, then a jump
 * into a chain of loads at constant offsets. (Written out: as a loop per
 * length, clang merged the lengths into one loop of variable count, whose
 * loads the verifier cannot bound: "invalid access to packet".) Returns 0
 * if the frame is shorter.
 */
#define CSUM_W(k) (s += *(const __u32 *)(b + (k) * 4))
#define CSUM_RUN(n)							\
	case (n) * 4:							\
		if (b + (n) * 4 > (const __u8 *)data_end)		\
			return 0;					\
		goto w##n
static __always_inline int csum_words(const __u8 *b, const void *data_end,
				      __u32 len, __u64 *sum)
{
	__u64 s = *sum;

	switch (len) {
	CSUM_RUN(15); CSUM_RUN(14); CSUM_RUN(13); CSUM_RUN(12);
	CSUM_RUN(11); CSUM_RUN(10); CSUM_RUN(9); CSUM_RUN(8);
	CSUM_RUN(7); CSUM_RUN(6); CSUM_RUN(5);
	default:
		return 0;
	}
w15:	CSUM_W(14);
w14:	CSUM_W(13);
w13:	CSUM_W(12);
w12:	CSUM_W(11);
w11:	CSUM_W(10);
w10:	CSUM_W(9);
w9:	CSUM_W(8);
w8:	CSUM_W(7);
w7:	CSUM_W(6);
w6:	CSUM_W(5);
w5:	CSUM_W(4); CSUM_W(3); CSUM_W(2); CSUM_W(1); CSUM_W(0);
	*sum = s;
	return 1;
}
#undef CSUM_RUN
#undef CSUM_W

/* Pseudo-header sum (RFC 9293 3.1, RFC 8200 8.1); addresses as in the key. */
static __always_inline __u64 csum_pseudo(const __be32 *src, const __be32 *dst,
					 int v6, __u32 tcp_len)
{
	__u64 sum = bpf_htons(IPPROTO_TCP) + bpf_htons((__u16)tcp_len);

	if (v6) {
		sum += (__u64)src[0] + src[1] + src[2] + src[3];
		sum += (__u64)dst[0] + dst[1] + dst[2] + dst[3];
	} else {
		sum += (__u64)src[3] + dst[3];
	}
	return sum;
}

struct csum_walk {
	void *data;
	void *data_end;
	__u32 off;	/* next word, from the start of the frame */
	__u32 left;	/* bytes still to add */
	__u64 sum;
};

/* One 32-bit word of a long sum; the last 1..3 bytes are padded with zero. */
static long csum_step(__u32 i, void *arg)
{
	struct csum_walk *w = arg;
	__u8 *b = w->data + (w->off & 0x7ff);
	__u8 word[4] = {};

	if (w->left >= 4) {
		if ((void *)(b + 4) > w->data_end)
			return 1;
		__builtin_memcpy(word, b, 4);
		w->left -= 4;
	} else {
		if ((void *)(b + 3) <= w->data_end && w->left == 3) {
			word[2] = b[2];
			word[1] = b[1];
			word[0] = b[0];
		} else if ((void *)(b + 2) <= w->data_end && w->left == 2) {
			word[1] = b[1];
			word[0] = b[0];
		} else if ((void *)(b + 1) <= w->data_end && w->left == 1) {
			word[0] = b[0];
		}
		w->left = 0;
	}
	w->sum += *(__u32 *)word;
	w->off += 4;
	return w->left == 0;
}

/*
 * Add len bytes of the packet from off to *sum. A multiple of 4 up to 60
 * (an IPv4 header; every TCP header without payload: each SYN in a flood)
 * is summed by 32-bit words after one bound check, a case per length;
 * other lengths up to 60 even bytes are summed unrolled, each 16-bit word
 * at a constant offset the verifier can check; longer runs go through
 * bpf_loop, one word per step, at most CSUM_MAX_BYTES. Returns 0 if the
 * frame is shorter than off + len.
 */
static __always_inline int csum_pkt(void *data, void *data_end, __u32 off,
				    __u32 len, __u64 *sum)
{
	struct csum_walk w = { .data = data, .data_end = data_end,
			       .off = off, .left = len, .sum = *sum };
	__u8 *b = data + (off & PKT_OFF_MASK);
	__u64 s = *sum;
	__u32 i;

	if (len >= 20 && len <= 60 && !(len & 3))
		return csum_words(b, data_end, len, sum);
	if (len <= 60 && !(len & 1)) {
#pragma unroll
		for (i = 0; i < 30; i++) {
			if (i * 2 >= len)
				break;
			if (b + i * 2 + 2 > (__u8 *)data_end)
				return 0;
			s += *(__u16 *)(b + i * 2);
		}
		*sum = s;
		return 1;
	}
	if (len > CSUM_MAX_BYTES || off + len > (__u32)(data_end - data))
		return 0;
	bpf_loop((len + 3) / 4, csum_step, &w, 0);
	if (w.left)
		return 0;
	*sum = w.sum;
	return 1;
}

#endif /* XTCP_BPF_CSUM_H */
