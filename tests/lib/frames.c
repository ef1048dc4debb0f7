// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Test frames: build client segments, parse the XDP program's replies. */
#include <arpa/inet.h>
#include <string.h>

#include "frames.h"

static const __u8 mac_client[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 mac_server[6] = { 0x02, 0, 0, 0, 0, 0x01 };

__u16 inet_csum(const __u8 *buf, size_t len, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (__u32)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __u32 pseudo_sum(int v6, const __u8 *src, const __u8 *dst,
			size_t tcp_len)
{
	size_t alen = v6 ? 16 : 4, i;
	__u32 sum = 6 + (__u32)tcp_len;

	for (i = 0; i < alen; i += 2) {
		sum += (__u32)src[i] << 8 | src[i + 1];
		sum += (__u32)dst[i] << 8 | dst[i + 1];
	}
	return sum;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)get16(p) << 16 | get16(p + 2);
}

void frame_spec_default(struct frame_spec *s, int v6)
{
	memset(s, 0, sizeof(*s));
	s->v6 = v6;
	if (v6) {
		inet_pton(AF_INET6, "fd00::2", s->src_addr);
		inet_pton(AF_INET6, "fd00::1", s->dst_addr);
	} else {
		inet_pton(AF_INET, "10.0.0.2", s->src_addr);
		inet_pton(AF_INET, "10.0.0.1", s->dst_addr);
	}
	s->sport = 40000;
	s->dport = 80;
	s->seq = 0x12345678;
	s->flags = TCPHDR_SYN;
	s->window = 64240;
	s->wscale = -1;
}

size_t frame_build(const struct frame_spec *s, __u8 *buf, size_t cap)
{
	__u8 opts[40];
	size_t ol = 0, l3, l4, iph, tcp_len, len, i;

	if (s->mss) {
		opts[ol++] = 2;
		opts[ol++] = 4;
		put16(opts + ol, (__u16)s->mss);
		ol += 2;
	}
	if (s->sack) {
		opts[ol++] = 4;
		opts[ol++] = 2;
	}
	if (s->ts) {
		opts[ol++] = 8;
		opts[ol++] = 10;
		put32(opts + ol, s->tsval);
		put32(opts + ol + 4, s->tsecr);
		ol += 8;
	}
	if (s->wscale >= 0) {
		opts[ol++] = 3;
		opts[ol++] = 3;
		opts[ol++] = (__u8)s->wscale;
	}
	while (ol % 4)
		opts[ol++] = 1;	/* NOP padding */

	l3 = 14 + (s->vlan ? 4 : 0);
	iph = s->v6 ? 40 : 20 + (size_t)s->ip_opts;
	l4 = l3 + iph;
	tcp_len = 20 + ol + s->payload_len;
	len = l4 + tcp_len;
	if (len > cap)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, mac_server, 6);
	memcpy(buf + 6, mac_client, 6);
	if (s->vlan) {
		put16(buf + 12, 0x8100);
		put16(buf + 14, (__u16)s->vlan);
	}
	put16(buf + l3 - 2, s->v6 ? 0x86dd : 0x0800);
	if (s->v6) {
		buf[l3] = 0x60 | s->tos >> 4;
		buf[l3 + 1] = (__u8)(s->tos << 4);
		put16(buf + l3 + 4, (__u16)tcp_len);
		buf[l3 + 6] = 6;
		buf[l3 + 7] = 64;
		memcpy(buf + l3 + 8, s->src_addr, 16);
		memcpy(buf + l3 + 24, s->dst_addr, 16);
	} else {
		buf[l3] = 0x40 | (__u8)(iph / 4);
		buf[l3 + 1] = s->tos;
		put16(buf + l3 + 2, (__u16)(iph + tcp_len));
		put16(buf + l3 + 4, 0x1234);
		put16(buf + l3 + 6, 0x4000);
		buf[l3 + 8] = 64;
		buf[l3 + 9] = 6;
		memcpy(buf + l3 + 12, s->src_addr, 4);
		memcpy(buf + l3 + 16, s->dst_addr, 4);
		for (i = 20; i < iph; i++)
			buf[l3 + i] = 1;	/* IP option NOP */
		put16(buf + l3 + 10, inet_csum(buf + l3, iph, 0));
	}
	put16(buf + l4, s->sport);
	put16(buf + l4 + 2, s->dport);
	put32(buf + l4 + 4, s->seq);
	put32(buf + l4 + 8, s->ack);
	buf[l4 + 12] = (__u8)((20 + ol) / 4) << 4;
	buf[l4 + 13] = s->flags;
	put16(buf + l4 + 14, s->window);
	memcpy(buf + l4 + 20, opts, ol);
	for (i = 0; i < s->payload_len; i++)
		buf[l4 + 20 + ol + i] = s->payload ? s->payload[i] : (__u8)(i * 7 + 1);
	put16(buf + l4 + 16,
	      inet_csum(buf + l4, tcp_len,
			pseudo_sum(s->v6, s->src_addr, s->dst_addr, tcp_len)));
	return len;
}

static void parse_opts(const __u8 *o, size_t n, struct frame_view *v)
{
	size_t i = 0;

	v->mss = 0;
	v->wscale = -1;
	while (i < n) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			break;
		if (o[i] == 2 && o[i + 1] == 4)
			v->mss = get16(o + i + 2);
		else if (o[i] == 3 && o[i + 1] == 3)
			v->wscale = o[i + 2];
		else if (o[i] == 4 && o[i + 1] == 2)
			v->sack = 1;
		else if (o[i] == 8 && o[i + 1] == 10) {
			v->ts = 1;
			v->tsval = get32(o + i + 2);
			v->tsecr = get32(o + i + 6);
		}
		i += o[i + 1];
	}
}

int frame_parse(const __u8 *buf, size_t len, struct frame_view *v)
{
	size_t l3 = 14, iph, tcp_len, ip_total;
	__u16 proto;

	memset(v, 0, sizeof(*v));
	if (len < 14)
		return -1;
	memcpy(v->eth_dst, buf, 6);
	memcpy(v->eth_src, buf + 6, 6);
	proto = get16(buf + 12);
	if (proto == 0x8100) {
		v->vlan = get16(buf + 14) & 0xfff;
		proto = get16(buf + 16);
		l3 = 18;
	}
	v->l3_off = l3;
	if (proto == 0x86dd) {
		v->v6 = 1;
		if (len < l3 + 40)
			return -1;
		iph = 40;
		ip_total = 40 + get16(buf + l3 + 4);
		v->tos = (__u8)((buf[l3] & 0xf) << 4 | buf[l3 + 1] >> 4);
		v->ttl = buf[l3 + 7];
		memcpy(v->src_addr, buf + l3 + 8, 16);
		memcpy(v->dst_addr, buf + l3 + 24, 16);
		v->ip_csum_ok = 1;
	} else if (proto == 0x0800) {
		if (len < l3 + 20)
			return -1;
		iph = (buf[l3] & 0xf) * 4u;
		ip_total = get16(buf + l3 + 2);
		v->tos = buf[l3 + 1];
		v->ip_id = get16(buf + l3 + 4);
		v->frag = get16(buf + l3 + 6);
		v->ttl = buf[l3 + 8];
		memcpy(v->src_addr, buf + l3 + 12, 4);
		memcpy(v->dst_addr, buf + l3 + 16, 4);
		v->ip_csum_ok = len >= l3 + iph && inet_csum(buf + l3, iph, 0) == 0;
	} else {
		return -1;
	}
	if (ip_total < iph + 20 || l3 + ip_total > len)
		return -1;
	v->l4_off = l3 + iph;
	tcp_len = ip_total - iph;
	v->tcp_len = tcp_len;
	buf += v->l4_off;
	v->sport = get16(buf);
	v->dport = get16(buf + 2);
	v->seq = get32(buf + 4);
	v->ack = get32(buf + 8);
	v->doff = buf[12] >> 4;
	v->flags = buf[13];
	v->window = get16(buf + 14);
	if (v->doff * 4u > tcp_len)
		return -1;
	v->opt_len = v->doff * 4 - 20;
	parse_opts(buf + 20, (size_t)v->opt_len, v);
	v->tcp_csum_ok = inet_csum(buf, tcp_len,
				   pseudo_sum(v->v6, v->src_addr, v->dst_addr,
					      tcp_len)) == 0;
	return 0;
}

void frame_flow_key(const struct frame_spec *s, struct xtcp_flow_key *fk)
{
	memset(fk, 0, sizeof(*fk));
	if (s->v6) {
		memcpy(fk->client, s->src_addr, 16);
		memcpy(fk->server, s->dst_addr, 16);
	} else {
		fk->client[2] = htonl(0xffff);
		fk->server[2] = htonl(0xffff);
		memcpy(&fk->client[3], s->src_addr, 4);
		memcpy(&fk->server[3], s->dst_addr, 4);
	}
	fk->client_port = htons(s->sport);
	fk->server_port = htons(s->dport);
}

void frame_third_ack(const struct frame_spec *s, const struct frame_view *v,
		     struct frame_spec *a)
{
	*a = *s;
	a->seq = s->seq + 1;
	a->ack = v->seq + 1;
	a->flags = TCPHDR_ACK;
	a->mss = 0;
	a->sack = 0;
	a->wscale = -1;
	a->tsecr = v->tsval;
	a->tsval = s->tsval + 1;
	a->payload_len = 0;
}

size_t frame_icmp_too_big(const __u8 *ours, size_t ours_len, __u32 mtu,
			  size_t quote, __u8 *buf, size_t cap)
{
	static const __u8 router4[4] = { 10, 0, 0, 254 };
	static const __u8 router6[16] = { 0xfd, [15] = 0xfe };
	int v6 = ours_len > 14 && ours[14] >> 4 == 6;
	size_t iph = v6 ? 40 : 20, icmp_len, i;
	__u8 *ip = buf + 14, *icmp;
	__u32 sum;

	if (ours_len < 14)
		return 0;
	if (quote > ours_len - 14)
		quote = ours_len - 14;
	icmp_len = 8 + quote;
	if (14 + iph + icmp_len > cap)
		return 0;
	memcpy(buf, ours + 6, 6);	/* back to the sender, from the router */
	memcpy(buf + 6, ours, 6);
	put16(buf + 12, v6 ? 0x86dd : 0x0800);
	memset(ip, 0, iph + 8);
	icmp = ip + iph;
	memcpy(icmp + 8, ours + 14, quote);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (__u16)icmp_len);
		ip[6] = 58;
		ip[7] = 64;
		memcpy(ip + 8, router6, 16);
		memcpy(ip + 24, ours + 14 + 8, 16);
		icmp[0] = 2;
		put32(icmp + 4, mtu);
		/* RFC 4443 2.3: the pseudo-header of RFC 8200 8.1 */
		sum = (__u32)icmp_len + 58;
		for (i = 8; i < 40; i += 2)
			sum += (__u32)ip[i] << 8 | ip[i + 1];
		put16(icmp + 2, inet_csum(icmp, icmp_len, sum));
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (__u16)(20 + icmp_len));
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, router4, 4);
		memcpy(ip + 16, ours + 14 + 12, 4);
		put16(ip + 10, inet_csum(ip, 20, 0));
		icmp[0] = 3;
		icmp[1] = 4;
		put16(icmp + 6, (__u16)mtu);
		put16(icmp + 2, inet_csum(icmp, icmp_len, 0));
	}
	return 14 + iph + icmp_len;
}
