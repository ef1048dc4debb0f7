// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The SYN-flood generator, run by BPF_PROG_TEST_RUN in live-frames mode:
 * every run returns XDP_TX, which sends the frame out of the device given
 * as the ingress interface. Pages come back from the receiver with its
 * rewrites in them, so every run rewrites the whole frame from the template
 * and then draws a random source address, source port and sequence number,
 * patching both checksums incrementally (RFC 1624).
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
	__u64 sum;

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
	return XDP_TX;
}
