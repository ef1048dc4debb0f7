// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The client side of the SYN-flood benchmark: counts the answers to flood
 * SYNs (addressed to the flood's source network) per CPU and drops them, so
 * the client's own stack never spends time on them. Everything else passes,
 * so a real client can connect through the same veth during the flood.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xtcp/bench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtcp_sink_stats);
} sink_stats SEC(".maps");

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	struct xtcp_sink_stats *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&sink_stats, &zero);
	if (!s)
		return XDP_PASS;
	/* the reflector and the kernel send no IP options; anything
	 * longer is simply not a flood answer */
	if ((void *)(th + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    (bpf_ntohl(ip->daddr) & XTCP_FLOOD_MASK) != XTCP_FLOOD_NET) {
		s->passed++;
		return XDP_PASS;
	}
	if (ip->protocol == IPPROTO_TCP && ip->ihl == 5 && th->syn && th->ack)
		s->syn_ack++;
	else if (ip->protocol == IPPROTO_TCP && ip->ihl == 5 && th->rst)
		s->rst++;
	else
		s->other_flood++;
	return XDP_DROP;
}
