/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Turning a received segment into our reply in place (the SYN-ACK, or the
 * RST for a bad third ACK): addresses and ports swapped, IPv4 options and
 * any payload dropped, TCP options written, both checksums computed from
 * scratch. The frame is resized with bpf_xdp_adjust_head/tail; growing can
 * fail (veth's socket-traffic path has little tailroom), in which case the
 * reply goes without its first option (the MSS; RFC 9293 3.7.1 lets the
 * peer assume a default), which always fits in the frame it replaces.
 */
#ifndef XTCP_BPF_REPLY_H
#define XTCP_BPF_REPLY_H

#include "parse.h"
#include "csum.h"

#define REPLY_OPT_MAX 20

struct reply {
	__u8 opts[REPLY_OPT_MAX];	/* zero past optlen; first, so that
					 * it is copied by words */
	__u32 seq;
	__u32 ack;
	__u16 window;
	__u8 flags;		/* TH_* */
	__u8 optlen;		/* multiple of 4, at most REPLY_OPT_MAX */
	__u8 mss_first;		/* opts starts with a 4-byte MSS option */
} __attribute__((aligned(8)));

/* Drop the leading MSS option: the fallback when the frame cannot grow. */
static __always_inline void reply_drop_mss(struct reply *r)
{
	int i;

#pragma unroll
	for (i = 0; i < REPLY_OPT_MAX - 4; i++)
		r->opts[i] = r->opts[i + 4];
#pragma unroll
	for (i = REPLY_OPT_MAX - 4; i < REPLY_OPT_MAX; i++)
		r->opts[i] = 0;
	r->optlen -= 4;
	r->mss_first = 0;
}

/*
 * Size the frame for the reply. The IPv4 options are cut from the front
 * (the TCP header stays where it is), the rest from or onto the tail.
 * Returns XTCP_CONTINUE, XTCP_STAT_syn_ack_no_mss when the MSS option had
 * to go, or XTCP_STAT_drop_resize.
 */
static __always_inline int reply_resize(struct pkt *p, struct reply *r)
{
	__u32 ip_new = p->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	int front = p->ip_hlen - ip_new, delta, ret = XTCP_CONTINUE;
	__u32 len = p->frame_len;

	if (front > 0) {
		if (bpf_xdp_adjust_head(p->ctx, front))
			return XTCP_STAT_drop_resize;
		len -= front;
	}
	/* against the whole frame (frame_len, less what the head lost): on a
	 * multi-buffer frame, shrinking the tail drops frags first, and the
	 * reply fits in the linear part */
	delta = (int)(p->l3_off + ip_new + sizeof(struct tcphdr) + r->optlen) -
		(int)len;
	if (delta && bpf_xdp_adjust_tail(p->ctx, delta)) {
		if (delta < 0 || !r->mss_first)
			return XTCP_STAT_drop_resize;
		reply_drop_mss(r);
		delta -= 4;
		if (delta > 0 || (delta && bpf_xdp_adjust_tail(p->ctx, delta)))
			return XTCP_STAT_drop_resize;
		ret = XTCP_STAT_syn_ack_no_mss;
	}
	return ret;
}

static __always_inline void reply_ipv4(struct pkt *p, struct iphdr *ip,
				       __u32 tcp_len)
{
	struct iphdr h = {};

	h.version = 4;
	h.ihl = 5;
	h.tos = p->tos & ~0x3;	/* not-ECT: RFC 3168 6.1.1 */
	h.tot_len = bpf_htons(sizeof(h) + tcp_len);
	h.frag_off = bpf_htons(0x4000);	/* DF */
	h.ttl = 64;
	h.protocol = IPPROTO_TCP;
	h.saddr = p->fk.server[3];
	h.daddr = p->fk.client[3];
	h.check = ~csum_fold(csum_buf(&h, sizeof(h), 0));
	__builtin_memcpy(ip, &h, sizeof(h));
}

static __always_inline void reply_ipv6(struct pkt *p, struct ipv6hdr *ip,
				       __u32 tcp_len)
{
	struct ipv6hdr h = {};
	__u8 tc = p->tos & ~0x3;

	h.version = 6;
	h.priority = tc >> 4;
	h.flow_lbl[0] = (tc & 0xf) << 4;
	h.payload_len = bpf_htons(tcp_len);
	h.nexthdr = IPPROTO_TCP;
	h.hop_limit = 64;
	__builtin_memcpy(&h.saddr, p->fk.server, 16);
	__builtin_memcpy(&h.daddr, p->fk.client, 16);
	__builtin_memcpy(ip, &h, sizeof(h));
}

/* Copy n (constant) option bytes if the frame holds them. */
#define REPLY_COPY_OPTS(n)						\
	case (n):							\
		if ((void *)(o + (n)) > data_end)			\
			return XTCP_STAT_drop_resize;			\
		__builtin_memcpy(o, t.opts, (n));			\
		break

/*
 * Build the reply r in place of the segment in p. Returns what
 * reply_resize returns. Every packet pointer is re-derived here, after the
 * resize.
 */
static __always_inline int reply_build(struct pkt *p, struct reply *r)
{
	struct {
		struct tcphdr th;
		__u8 opts[REPLY_OPT_MAX];
	} t = {};
	/* the MACs swapped and the tag, by 16-bit words (struct ethhdr is
	 * packed: through it, clang moves them byte by byte) */
	__u16 macs[ETH_ALEN], tag[2] = {};
	void *data, *data_end, *l3;
	__u16 *eth = p->data;
	__u32 tcp_len;
	__u8 *o;
	int ret;

	if ((void *)(eth + 7) > p->data_end)
		return XTCP_STAT_drop_resize;
	macs[0] = eth[3];
	macs[1] = eth[4];
	macs[2] = eth[5];
	macs[3] = eth[0];
	macs[4] = eth[1];
	macs[5] = eth[2];
	if (p->l3_off > ETH_HLEN) {
		if ((void *)(eth + 9) > p->data_end)
			return XTCP_STAT_drop_resize;
		tag[0] = eth[6];	/* TPID and TCI, kept as they are */
		tag[1] = eth[7];
	}

	ret = reply_resize(p, r);
	if (ret != XTCP_CONTINUE && ret != XTCP_STAT_syn_ack_no_mss)
		return ret;

	data = (void *)(long)p->ctx->data;
	data_end = (void *)(long)p->ctx->data_end;
	p->data = data;
	p->data_end = data_end;
	eth = data;
	if ((void *)(eth + 7) > data_end)
		return XTCP_STAT_drop_resize;
	eth[0] = macs[0];
	eth[1] = macs[1];
	eth[2] = macs[2];
	eth[3] = macs[3];
	eth[4] = macs[4];
	eth[5] = macs[5];
	if (p->l3_off > ETH_HLEN) {
		if ((void *)(eth + 9) > data_end)
			return XTCP_STAT_drop_resize;
		eth[6] = tag[0];
		eth[7] = tag[1];
		eth[8] = bpf_htons(p->v6 ? ETH_P_IPV6 : ETH_P_IP);
		l3 = data + ETH_HLEN + 4;
	} else {
		eth[6] = bpf_htons(p->v6 ? ETH_P_IPV6 : ETH_P_IP);
		l3 = data + ETH_HLEN;
	}

	tcp_len = sizeof(struct tcphdr) + r->optlen;
	t.th.source = p->fk.server_port;
	t.th.dest = p->fk.client_port;
	t.th.seq = bpf_htonl(r->seq);
	t.th.ack_seq = bpf_htonl(r->ack);
	((__u8 *)&t.th)[12] = (__u8)(tcp_len / 4) << 4;
	((__u8 *)&t.th)[13] = r->flags;
	t.th.window = bpf_htons(r->window);
	__builtin_memcpy(t.opts, r->opts, REPLY_OPT_MAX);
	/* options past optlen are zero and add nothing to the sum */
	t.th.check = ~csum_fold(csum_buf(&t, sizeof(t),
					 csum_pseudo(p->fk.server, p->fk.client,
						     p->v6, tcp_len)));

	if (p->v6) {
		struct ipv6hdr *ip6 = l3;
		struct tcphdr *th = (void *)(ip6 + 1);

		if ((void *)(th + 1) > data_end)
			return XTCP_STAT_drop_resize;
		reply_ipv6(p, ip6, tcp_len);
		__builtin_memcpy(th, &t.th, sizeof(t.th));
		o = (void *)(th + 1);
	} else {
		struct iphdr *ip = l3;
		struct tcphdr *th = (void *)(ip + 1);

		if ((void *)(th + 1) > data_end)
			return XTCP_STAT_drop_resize;
		reply_ipv4(p, ip, tcp_len);
		__builtin_memcpy(th, &t.th, sizeof(t.th));
		o = (void *)(th + 1);
	}

	switch (r->optlen) {
	case 0:
		break;
	REPLY_COPY_OPTS(4);
	REPLY_COPY_OPTS(8);
	REPLY_COPY_OPTS(12);
	REPLY_COPY_OPTS(16);
	REPLY_COPY_OPTS(20);
	default:
		return XTCP_STAT_drop_internal;
	}
	return ret;
}

#endif /* XTCP_BPF_REPLY_H */
