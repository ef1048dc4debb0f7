// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The SYN-flood generator, run by BPF_PROG_TEST_RUN in live-frames mode:
 * every run returns XDP_TX, which sends the frame out of the device given
 * as the ingress interface. Pages come back from the receiver with its
 * rewrites in them, so every run rewrites the whole frame from the template
 * and then draws a random source address, source port and sequence number,
 * patching both checksums incrementally (RFC 1624).
 *
 * Paced (pace != 0), a run whose frame is not yet due returns XDP_DROP
 * before touching it: a test-run call costs milliseconds to set up and
 * tear down (its page pool), so pacing by the size of the calls would send
 * bursts at the full rate with gaps between; spacing frames here keeps the
 * flood even. Behind schedule (the CPU was busy), it catches up at most
 * `burst` worth of frames at the full rate.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xtcp/bench.h"
#include "csum.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct xtcp_flood_tmpl tmpl;
/* time in ns << 8, so a gap of a few hundred ns keeps its fraction */
__u64 pace;		/* between two frames; 0: unpaced */
__u64 burst;		/* the most catching up allowed */
__u64 next_due;
__u64 sent;		/* frames XDP_TX'd */

SEC("xdp")
int xdp_flood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(ip + 1);
	__u32 saddr = tmpl.net | (bpf_get_prandom_u32() & tmpl.host_mask);
	__u32 seq = bpf_get_prandom_u32();
	__u16 sport = bpf_htons((__u16)bpf_get_prandom_u32() | 1024);
	__u64 sum, now;

	if (pace) {
		now = bpf_ktime_get_ns() << 8;
		if (now < next_due)
			return XDP_DROP;
		if (next_due + burst < now)
			next_due = now - burst;
		next_due += pace;
	}
	if (data + XTCP_FLOOD_FRAME_LEN > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, tmpl.frame, XTCP_FLOOD_FRAME_LEN);
	ip->saddr = saddr;
	th->source = sport;
	th->seq = seq;
	/* the template's checksums cover zeros in these fields */
	sum = (__u16)~ip->check;
	sum += (saddr & 0xffff) + (saddr >> 16);
	ip->check = ~csum_fold(sum);
	sum = (__u16)~th->check;
	sum += (saddr & 0xffff) + (saddr >> 16) + sport + (seq & 0xffff) +
	       (seq >> 16);
	th->check = ~csum_fold(sum);
	__sync_fetch_and_add(&sent, 1);
	return XDP_TX;
}
