/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing for the XDP program. Each parser advances over one header,
 * checks every byte it reads against data_end, and fills the per-packet
 * context. What is parsed, and its limits:
 *   Ethernet, at most one 802.1Q or 802.1ad tag (a second tag is "not IP");
 *   IPv4 with options (ihl 5..15), IPv6 with up to XTCP_V6_EXT_MAX extension
 *   headers walked only to learn whether they hide TCP to a served port;
 *   TCP with doff 5..15 and its options (MSS, window scale, SACK-permitted,
 *   timestamps; others skipped by their length).
 * Headers are read from the linear part of the frame only (data..data_end);
 * a multi-buffer (jumbo) frame's payload may go on into frags, which only
 * the lengths (frame_len) count. A header that reaches into frags reads as
 * truncated.
 */
#ifndef XTCP_BPF_PARSE_H
#define XTCP_BPF_PARSE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xtcp/abi.h"
#include "xtcp/proto.h"
#include "csum.h"

#define XTCP_V6_EXT_MAX 4

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff


/* What the returns of the stages mean beside an enum xtcp_stat. */
#define XTCP_CONTINUE (-1)

struct tcp_opts {
	__u32 tsval;
	__u32 tsecr;
	__u16 mss;	/* 0: no MSS option */
	__u8 wscale;	/* XTCP_WSCALE_NONE: no window scale option */
	__u8 sack;
	__u8 ts;
	__u8 linux_syn;	/* the 20 bytes of parse_tcp_opts_linux */
};

/* Per-packet context, filled by the parsers and read by the stages. */
struct pkt {
	struct xdp_md *ctx;
	void *data;
	void *data_end;
	__u32 l3_off;		/* ETH_HLEN, or ETH_HLEN + 4 behind a tag */
	__u32 l4_off;		/* start of the TCP header */
	__u32 ip_hlen;		/* IPv4 ihl * 4, or 40 */
	__u32 tcp_len;		/* TCP header + payload, per the IP length */
	__u32 tcp_hlen;		/* doff * 4 */
	__u32 frame_len;	/* the whole frame: the linear part (data to
				 * data_end, where every header must be) and
				 * any frags of a multi-buffer frame */
	__u32 seq;		/* host order */
	__u32 ack;
	__u16 window;
	__u8 v6;
	__u8 flags;		/* TCPHDR_* */
	__u8 tos;		/* IPv4 TOS / IPv6 traffic class */
	__s16 pending_drop;	/* drop that applies once the port is served */
	__u8 port_mode;		/* XTCP_PORT_* of the destination port */
	__u8 listener;		/* kernel port: a listener takes this tuple */
	struct xtcp_flow_key fk;
	struct tcp_opts opt;
};

/*
 * Ethernet and one VLAN tag. Sets l3_off and v6; returns XTCP_CONTINUE for
 * IPv4 and IPv6, else the pass verdict.
 */
static __always_inline int parse_eth(struct pkt *p)
{
	struct ethhdr *eth = p->data;
	__u16 proto;

	if ((void *)(eth + 1) > p->data_end)
		return XTCP_STAT_pass_not_ip;
	proto = bpf_ntohs(eth->h_proto);
	p->l3_off = ETH_HLEN;
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		__be16 *inner = p->data + ETH_HLEN + 2;

		if ((void *)(inner + 1) > p->data_end)
			return XTCP_STAT_pass_not_ip;
		proto = bpf_ntohs(*inner);
		p->l3_off = ETH_HLEN + 4;
	}
	if (proto == ETH_P_IP)
		p->v6 = 0;
	else if (proto == ETH_P_IPV6)
		p->v6 = 1;
	else
		return XTCP_STAT_pass_not_ip;
	return XTCP_CONTINUE;
}

static __always_inline int parse_ipv4(struct pkt *p, __u32 *ip_len)
{
	struct iphdr *iph = p->data + p->l3_off;
	__u16 frag;

	if ((void *)(iph + 1) > p->data_end || iph->version != 4 ||
	    iph->ihl < 5)
		return XTCP_STAT_pass_malformed_ip;
	if (iph->protocol != IPPROTO_TCP)
		return XTCP_STAT_pass_not_tcp;
	frag = bpf_ntohs(iph->frag_off);
	if (frag & IP_OFFSET)
		return XTCP_STAT_pass_frag;
	p->ip_hlen = iph->ihl * 4;
	p->l4_off = p->l3_off + p->ip_hlen;
	p->tos = iph->tos;
	*ip_len = bpf_ntohs(iph->tot_len);
	p->fk.client[0] = 0;
	p->fk.client[1] = 0;
	p->fk.client[2] = bpf_htonl(0xffff);
	p->fk.client[3] = iph->saddr;
	p->fk.server[0] = 0;
	p->fk.server[1] = 0;
	p->fk.server[2] = bpf_htonl(0xffff);
	p->fk.server[3] = iph->daddr;
	/* A first fragment still shows its ports: dropped only if served. */
	p->pending_drop = frag & IP_MF ? XTCP_STAT_drop_ip_frag : XTCP_CONTINUE;
	return XTCP_CONTINUE;
}

static __always_inline int ipv6_ext_hdr(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
	       next == IPPROTO_FRAGMENT || next == IPPROTO_DSTOPTS ||
	       next == IPPROTO_AH || next == IPPROTO_MH;
}

/*
 * IPv6: extension headers are walked (at most XTCP_V6_EXT_MAX) only to find
 * out whether TCP hides behind them; if it does, the packet is dropped once
 * its port turns out to be served, so no header can bypass the cookie.
 */
static __always_inline int parse_ipv6(struct pkt *p, __u32 *ip_len)
{
	struct ipv6hdr *ip6 = p->data + p->l3_off;
	__u32 off = p->l3_off + sizeof(*ip6);
	int ext = 0, i;
	__u8 next;

	if ((void *)(ip6 + 1) > p->data_end || ip6->version != 6)
		return XTCP_STAT_pass_malformed_ip;
	next = ip6->nexthdr;
	p->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	*ip_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	__builtin_memcpy(p->fk.client, &ip6->saddr, 16);
	__builtin_memcpy(p->fk.server, &ip6->daddr, 16);

#pragma unroll
	for (i = 0; i < XTCP_V6_EXT_MAX; i++) {
		__u8 *h = p->data + (off & PKT_OFF_MASK);

		if (next == IPPROTO_TCP)
			break;
		if (!ipv6_ext_hdr(next))
			return XTCP_STAT_pass_not_tcp;
		if (off > PKT_OFF_MASK || (void *)(h + 8) > p->data_end)
			return XTCP_STAT_pass_malformed_ip;
		if (next == IPPROTO_FRAGMENT) {
			if (bpf_ntohs(*(__be16 *)(h + 2)) & 0xfff8)
				return XTCP_STAT_pass_frag;
			off += 8;
		} else if (next == IPPROTO_AH) {
			off += (h[1] + 2) * 4;
		} else {
			off += (h[1] + 1) * 8;
		}
		next = h[0];
		ext = 1;
	}
	/*
	 * A chain longer than we walk, or ending past what we read, may hide
	 * TCP to a served port: such a packet is dropped, never passed.
	 */
	if (ipv6_ext_hdr(next))
		return XTCP_STAT_drop_ipv6_ext;
	if (next != IPPROTO_TCP)
		return XTCP_STAT_pass_not_tcp;
	if (off > PKT_OFF_MASK)
		return XTCP_STAT_drop_ipv6_ext;
	p->ip_hlen = off - p->l3_off;
	p->l4_off = off;
	p->pending_drop = ext ? XTCP_STAT_drop_ipv6_ext : XTCP_CONTINUE;
	return XTCP_CONTINUE;
}

/*
 * The TCP header's fixed part. Runs once the destination port is known to
 * be served; every length is checked against both the IP length and the
 * frame.
 */
static __always_inline int parse_tcp(struct pkt *p, __u32 ip_len)
{
	struct tcphdr *th = p->data + (p->l4_off & PKT_OFF_MASK);

	if ((void *)(th + 1) > p->data_end)
		return XTCP_STAT_drop_tcp_trunc;
	if (ip_len < p->ip_hlen + sizeof(*th) || p->l3_off + ip_len > p->frame_len)
		return XTCP_STAT_drop_ip_len;
	p->tcp_len = ip_len - p->ip_hlen;
	p->tcp_hlen = th->doff * 4;
	if (th->doff < 5 || p->tcp_hlen > p->tcp_len)
		return XTCP_STAT_drop_tcp_doff;
	p->flags = ((__u8 *)th)[13];
	p->seq = bpf_ntohl(th->seq);
	p->ack = bpf_ntohl(th->ack_seq);
	p->window = bpf_ntohs(th->window);
	return XTCP_CONTINUE;
}

/* State of one walk over the TCP options, shared with the bpf_loop step. */
struct opt_walk {
	struct pkt *p;
	__u32 off;	/* next option, from the start of the frame */
	__u32 end;	/* end of the TCP header */
	int ret;	/* XTCP_CONTINUE, or the drop reason */
};

/*
 * One TCP option (RFC 9293 3.1, RFC 7323, RFC 2018). Unknown kinds are
 * skipped by their length; a known kind with a wrong length is ignored, as
 * Linux does; an option whose length byte or body runs past the header is an
 * error. Returns 1 to stop the walk.
 */
static long parse_tcp_opt(__u32 i, void *arg)
{
	struct opt_walk *w = arg;
	struct pkt *p = w->p;
	__u32 off = w->off;
	__u8 *o = p->data + (off & PKT_OFF_MASK);
	__u8 kind, len;

	if (off >= w->end)
		return 1;
	if ((void *)(o + 1) > p->data_end)
		goto bad;
	kind = o[0];
	if (kind == TCPO_EOL)
		return 1;
	if (kind == TCPO_NOP) {
		w->off = off + 1;
		return 0;
	}
	if (off + 2 > w->end || (void *)(o + 2) > p->data_end)
		goto bad;
	len = o[1];
	if (len < 2 || off + len > w->end)
		goto bad;
	if (kind == TCPO_MSS && len == 4) {
		if ((void *)(o + 4) > p->data_end)
			goto bad;
		p->opt.mss = ((__u16)o[2] << 8) | o[3];
	} else if (kind == TCPO_WSCALE && len == 3) {
		if ((void *)(o + 3) > p->data_end)
			goto bad;
		/* RFC 7323 2.3: a shift above 14 is used as 14 */
		p->opt.wscale = o[2] > 14 ? 14 : o[2];
	} else if (kind == TCPO_SACK_PERM && len == 2) {
		p->opt.sack = 1;
	} else if (kind == TCPO_TS && len == 10) {
		if ((void *)(o + 10) > p->data_end)
			goto bad;
		p->opt.ts = 1;
		p->opt.tsval = ((__u32)o[2] << 24) | ((__u32)o[3] << 16) |
			       ((__u32)o[4] << 8) | o[5];
		p->opt.tsecr = ((__u32)o[6] << 24) | ((__u32)o[7] << 16) |
			       ((__u32)o[8] << 8) | o[9];
	}
	w->off = off + len;
	return 0;
bad:
	w->ret = XTCP_STAT_drop_tcp_opt;
	return 1;
}

/*
 * The 20 option bytes of a Linux SYN (MSS, SACK-permitted, timestamps, NOP,
 * window scale; or the NOP last, as the test frames and the flood have it), the layout of nearly every SYN a server sees and of every
 * one in a flood from Linux tools, read in one go: the walk below costs a
 * bpf_loop call and a callback per option. Fills exactly what the walk
 * would from the same bytes; returns 0 (nothing written) for any other
 * layout, which then takes the walk.
 */
static __always_inline int parse_tcp_opts_linux(struct pkt *p)
{
	__u8 *o = p->data + ((p->l4_off + sizeof(struct tcphdr)) & PKT_OFF_MASK);

	__u8 ws;

	if ((void *)(o + 20) > p->data_end ||
	    o[0] != TCPO_MSS || o[1] != 4 || o[4] != TCPO_SACK_PERM ||
	    o[5] != 2 || o[6] != TCPO_TS || o[7] != 10)
		return 0;
	if (o[16] == TCPO_NOP && o[17] == TCPO_WSCALE && o[18] == 3)
		ws = o[19];
	else if (o[16] == TCPO_WSCALE && o[17] == 3 && o[19] == TCPO_NOP)
		ws = o[18];	/* the NOP padding last */
	else
		return 0;
	p->opt.mss = ((__u16)o[2] << 8) | o[3];
	p->opt.sack = 1;
	p->opt.ts = 1;
	p->opt.tsval = ((__u32)o[8] << 24) | ((__u32)o[9] << 16) |
		       ((__u32)o[10] << 8) | o[11];
	p->opt.tsecr = ((__u32)o[12] << 24) | ((__u32)o[13] << 16) |
		       ((__u32)o[14] << 8) | o[15];
	/* RFC 7323 2.3: a shift above 14 is used as 14 */
	p->opt.wscale = ws > 14 ? 14 : ws;
	p->opt.linux_syn = 1;
	return 1;
}

/* NOP, NOP, timestamps (or the NOPs last): every later segment of a Linux
 * connection, the third ACK among them, the same way. */
static __always_inline int parse_tcp_opts_ts(struct pkt *p)
{
	__u8 *o = p->data + ((p->l4_off + sizeof(struct tcphdr)) & PKT_OFF_MASK);
	__u8 *t;

	if ((void *)(o + 12) > p->data_end)
		return 0;
	if (o[0] == TCPO_NOP && o[1] == TCPO_NOP && o[2] == TCPO_TS && o[3] == 10)
		t = o + 2;
	else if (o[0] == TCPO_TS && o[1] == 10 && o[10] == TCPO_NOP &&
		 o[11] == TCPO_NOP)
		t = o;
	else
		return 0;
	if ((void *)(t + 10) > p->data_end)
		return 0;
	p->opt.ts = 1;
	p->opt.tsval = ((__u32)t[2] << 24) | ((__u32)t[3] << 16) |
		       ((__u32)t[4] << 8) | t[5];
	p->opt.tsecr = ((__u32)t[6] << 24) | ((__u32)t[7] << 16) |
		       ((__u32)t[8] << 8) | t[9];
	return 1;
}

/*
 * All TCP options: at most 40 bytes, so at most 40 options. bpf_loop, not a
 * plain loop: unrolled, the NOP and length branches multiply verifier
 * states until "BPF program is too large. Processed 1000001 insn".
 */
static __always_inline int parse_tcp_opts(struct pkt *p)
{
	struct opt_walk w = {
		.p = p,
		.off = p->l4_off + sizeof(struct tcphdr),
		.end = p->l4_off + p->tcp_hlen,
		.ret = XTCP_CONTINUE,
	};

	p->opt.mss = 0;
	p->opt.wscale = XTCP_WSCALE_NONE;
	p->opt.sack = 0;
	p->opt.ts = 0;
	p->opt.tsval = 0;
	p->opt.tsecr = 0;
	p->opt.linux_syn = 0;
	if (p->tcp_hlen == sizeof(struct tcphdr) + 20 && parse_tcp_opts_linux(p))
		return XTCP_CONTINUE;
	if (p->tcp_hlen == sizeof(struct tcphdr) + 12 && parse_tcp_opts_ts(p))
		return XTCP_CONTINUE;
	bpf_loop(40, parse_tcp_opt, &w, 0);
	return w.ret;
}

#endif /* XTCP_BPF_PARSE_H */
