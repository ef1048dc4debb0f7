// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The tc ingress half of the kernel handoff (Linux 6.9+). The XDP program
 * validated the third ACK's cookie and passed the frame with the cookie's
 * parameters in XDP metadata (include/xtcp/handoff.h); here, at skb level,
 * the listener is found and the segment is given a request socket built
 * from them with bpf_sk_assign_tcp_reqsk(). The kernel then completes the
 * connection as for one of its own syncookies (cookie_bpf_check), with our
 * cookie as its ISN, and accept() returns it. Nothing else is kept: no
 * per-flow state, no sequence translation.
 *
 *   no xtcp metadata (every other frame) ───────────► TC_ACT_OK, uncounted
 *   metadata ─► listener? ─► assign request socket ─► TC_ACT_OK (handed)
 *                  └ none, or a socket already ─────► TC_ACT_OK (the kernel
 *                                                     answers as it would)
 *   assign ENOMEM ──────────────────────────────────► TC_ACT_SHOT (the client
 *                                                     repeats its segment)
 */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xtcp/abi.h"
#include "xtcp/handoff.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The kernel's struct sock, opaque here. Defined, not just declared:
 * libbpf matches the kfunc's prototype against the kernel's, and a forward
 * declaration is not compatible with a struct ("func_proto incompatible
 * with kernel").
 */
struct sock {
	int opaque;
};
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs,
				   int attrs__sz) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtcp_handoff_stats);
} xtcp_handoff SEC(".maps");

static __always_inline void count(int stat)
{
	__u64 *c, idx = (__u32)stat;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&xtcp_handoff, &zero);
	asm volatile("" : "+r"(idx));	/* as stat_count in xtcp.bpf.c */
	if (c && idx < XTCP_HANDOFF__MAX)
		c[idx]++;
}

/*
 * The 4-tuple, seq and ack of the frame. The XDP program already parsed
 * and checked it (Ethernet, one VLAN tag, IPv4 with options, IPv6 without
 * extension headers: a served port never passes with them).
 */
static __always_inline int parse(struct __sk_buff *skb,
				 struct bpf_sock_tuple *t, __u32 *size,
				 __u32 *seq, __u32 *ack)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u32 off = ETH_HLEN;
	__u16 proto;

	if ((void *)(eth + 1) > end)
		return -1;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		__be16 *inner = data + ETH_HLEN + 2;

		if ((void *)(inner + 1) > end)
			return -1;
		proto = *inner;
		off += 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = data + off;

		if ((void *)(iph + 1) > end)
			return -1;
		t->ipv4.saddr = iph->saddr;
		t->ipv4.daddr = iph->daddr;
		off += (iph->ihl & 0xf) * 4;
		*size = sizeof(t->ipv4);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(t->ipv6.saddr, &ip6->saddr, 16);
		__builtin_memcpy(t->ipv6.daddr, &ip6->daddr, 16);
		off += sizeof(*ip6);
		*size = sizeof(t->ipv6);
	} else {
		return -1;
	}
	th = data + (off & 0xff);
	if ((void *)(th + 1) > end)
		return -1;
	/* sport and dport sit at the same offsets in both tuple layouts */
	if (*size == sizeof(t->ipv4)) {
		t->ipv4.sport = th->source;
		t->ipv4.dport = th->dest;
	} else {
		t->ipv6.sport = th->source;
		t->ipv6.dport = th->dest;
	}
	*seq = bpf_ntohl(th->seq);
	*ack = bpf_ntohl(th->ack_seq);
	return 0;
}

static __always_inline int assign_failed(int err)
{
	switch (err) {
	case -EINVAL:
		return XTCP_HANDOFF_fail_einval;
	case -ENOMEM:
		return XTCP_HANDOFF_fail_enomem;
	case -ENETUNREACH:
		return XTCP_HANDOFF_fail_netns;
	default:
		return XTCP_HANDOFF_fail_other;
	}
}

SEC("tc")
int xtcp_tc(struct __sk_buff *skb)
{
	struct xtcp_meta *m = (void *)(long)skb->data_meta;
	struct bpf_sock_tuple t = {};
	struct bpf_tcp_req_attrs attrs;
	struct bpf_sock *skc;
	struct tcp_sock *tp;
	__u32 size = 0, seq = 0, ack = 0;
	int ret;

	/* the one test every other frame pays: XDP metadata of ours? */
	if ((void *)(m + 1) > (void *)(long)skb->data ||
	    m->magic != XTCP_META_MAGIC || !(m->flags & XTCP_META_KERNEL))
		return TC_ACT_OK;
	if (xtcp_handoff_attrs(m, &attrs)) {
		count(XTCP_HANDOFF_bad_meta);
		return TC_ACT_OK;
	}
	if (parse(skb, &t, &size, &seq, &ack)) {
		count(XTCP_HANDOFF_short_frame);
		return TC_ACT_OK;
	}
	/* the metadata names this segment, or it is not for us to act on */
	if (m->iss != ack - 1 || m->irs != seq - 1) {
		count(XTCP_HANDOFF_bad_meta);
		return TC_ACT_OK;
	}
	skc = bpf_skc_lookup_tcp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!skc) {
		count(XTCP_HANDOFF_no_listener);
		return TC_ACT_OK;
	}
	if (skc->state != BPF_TCP_LISTEN) {
		bpf_sk_release(skc);
		count(XTCP_HANDOFF_has_socket);
		return TC_ACT_OK;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp) {
		bpf_sk_release(skc);
		count(XTCP_HANDOFF_fail_other);
		return TC_ACT_OK;
	}
	ret = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)tp, &attrs,
				      sizeof(attrs));
	bpf_sk_release(skc);
	if (ret) {
		count(assign_failed(ret));
		return ret == -ENOMEM ? TC_ACT_SHOT : TC_ACT_OK;
	}
	count(XTCP_HANDOFF_handed);
	return TC_ACT_OK;
}
