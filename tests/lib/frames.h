/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Crafting and reading Ethernet/IP/TCP frames for tests, with an RFC 1071
 * checksum of its own: it shares no code with the XDP program, so the two
 * check each other.
 */
#ifndef XTCP_TEST_FRAMES_H
#define XTCP_TEST_FRAMES_H

#include <stddef.h>
#include <linux/types.h>
#include "xtcp/abi.h"
#include "xtcp/proto.h"

struct frame_spec {
	int v6;
	int vlan;		/* 802.1Q VID, 0 for none */
	int ip_opts;		/* bytes of IPv4 options (NOPs), multiple of 4 */
	__u8 tos;
	__u8 src_addr[16];	/* IPv4 in the first 4 bytes */
	__u8 dst_addr[16];
	__u16 sport, dport;
	__u32 seq, ack;
	__u8 flags;
	__u16 window;
	int mss;		/* 0: no MSS option */
	int wscale;		/* -1: no window scale option */
	int sack;
	int ts;
	__u32 tsval, tsecr;
	size_t payload_len;	/* bytes of payload */
	const __u8 *payload;	/* NULL: a pattern */
};

/* A client 10.0.0.2:40000 -> 10.0.0.1:80 (fd00::2 -> fd00::1 for v6). */
void frame_spec_default(struct frame_spec *s, int v6);

/* Build into buf; returns the frame length, 0 if it does not fit. */
size_t frame_build(const struct frame_spec *s, __u8 *buf, size_t cap);

struct frame_view {
	int v6, vlan;
	size_t l3_off, l4_off, tcp_len;
	__u8 eth_dst[6], eth_src[6];
	__u8 src_addr[16], dst_addr[16];
	__u8 tos, ttl;
	__u16 sport, dport, window, ip_id, frag;
	__u32 seq, ack;
	__u8 flags, doff;
	int ip_csum_ok, tcp_csum_ok;
	/* options */
	int mss, wscale, sack, ts;
	__u32 tsval, tsecr;
	int opt_len;
};

/* Parse a frame the XDP program produced; 0 on success. */
int frame_parse(const __u8 *buf, size_t len, struct frame_view *v);

/* RFC 1071 over bytes, independent of the BPF side. */
__u16 inet_csum(const __u8 *buf, size_t len, __u32 sum);

/* The flow key the XDP program builds for a client frame spec. */
void frame_flow_key(const struct frame_spec *s, struct xtcp_flow_key *fk);

/* The client's third ACK for the SYN s answered with the SYN-ACK v. */
void frame_third_ack(const struct frame_spec *s, const struct frame_view *v,
		     struct frame_spec *a);

/*
 * A router's ICMP error about ours, an Ethernet frame (no VLAN) a server
 * sent: IPv4 "fragmentation needed" (type 3 code 4, RFC 1191) or ICMPv6
 * "packet too big" (type 2, RFC 4443 3.2) from 10.0.0.254 / fd00::fe, with
 * the first quote bytes of ours's IP packet. Returns the length, 0 if it
 * does not fit in cap.
 */
size_t frame_icmp_too_big(const __u8 *ours, size_t ours_len, __u32 mtu,
			  size_t quote, __u8 *buf, size_t cap);

#endif /* XTCP_TEST_FRAMES_H */
