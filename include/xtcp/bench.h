/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the benchmark's BPF programs and their userspace share: the flood
 * generator's frame template and the client-side sink's counters.
 */
#ifndef XTCP_BENCH_H
#define XTCP_BENCH_H

#include <linux/types.h>
#include "xtcp/abi.h"

/* Flood sources are drawn from 10.200.0.0/16 unless told otherwise; the
 * sink drops what is addressed there so the client's stack never sees it. */
#define XTCP_FLOOD_NET  0x0ac80000u	/* host order */
#define XTCP_FLOOD_MASK 0xffff0000u

/* An IPv4 SYN with Linux's options (MSS, SACK-permitted, timestamps,
 * window scale): 14 + 20 + 40 bytes. */
#define XTCP_FLOOD_FRAME_LEN 74

/* The SYN the generator sends, built by userspace; checksums are computed
 * with the source address, source port and sequence number all zero, and
 * the BPF program adds them in per frame. */
struct xtcp_flood_tmpl {
	__u8 frame[80];
	__u32 net;	/* network byte order */
	__u32 host_mask;	/* network byte order: the random bits */
};

/* Per-CPU counts of what reached the client veth. */
struct xtcp_sink_stats {
	__u64 syn_ack;		/* SYN|ACK to a flood address */
	__u64 rst;		/* RST to a flood address */
	__u64 other_flood;	/* anything else to a flood address */
	__u64 passed;		/* everything else, left to the stack */
};

/* The frame bpf/xdpcost.bpf.c restores before each timed run. */
#define XTCP_COST_FRAME_MAX 128	/* a power of two: the length is masked */
struct xtcp_cost_frame {
	__u8 frame[XTCP_COST_FRAME_MAX];
	__u32 len;
	__u32 forget_flow;	/* delete `key` from xtcp's flows map first */
	struct xtcp_flow_key key;
};

/*
 * The points a SYN can be stopped at (XDP_DROP) in xtcp's program loaded
 * with xtcp_cost_stop = n, for xtcp-xdpcost --stages: the time to point n
 * minus the time to point n - 1 is stage n's cost. X(name, description),
 * in the order a SYN passes them; 0 stops nowhere.
 */
#define XTCP_COST_STAGES(X)						\
	X(parse, "Ethernet, IP, served port and address, TCP header")	\
	X(flows, "SYN on a known flow? (RFC 5961 4)")			\
	X(acl, "ACL (--allow, --deny)")					\
	X(clock, "CLOCK_TAI read")					\
	X(options, "TCP options of the SYN")				\
	X(csum, "checksums of the SYN")					\
	X(keys, "period keys")						\
	X(siphash, "the cookie: SipHash-2-4")				\
	X(opts_out, "TSval (with the options it carries)")		\
	X(build, "the SYN-ACK: headers, options, checksums")

enum xtcp_cost_stage {
	XTCP_COST_none,
#define XTCP_COST_ENUM(name, desc) XTCP_COST_##name,
	XTCP_COST_STAGES(XTCP_COST_ENUM)
#undef XTCP_COST_ENUM
	XTCP_COST__MAX
};

#endif /* XTCP_BENCH_H */
