/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Frames on the wire: parsing a received Ethernet/[VLAN]/IPv4|IPv6/TCP frame
 * into a segment (checksums verified in software: AF_XDP frames carry no
 * offload verdict) and building one from a connection's tuple.
 */
#ifndef XTCP_TCP_WIRE_H
#define XTCP_TCP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "xtcp/abi.h"
#include "xtcp/proto.h"

#define WIRE_L2_MAX 22		/* Ethernet + two VLAN tags */
#define WIRE_NO_WSCALE 0xff
#define WIRE_MAX_SACK 4

/*
 * Where a connection's segments go: the flow key (client = the peer,
 * server = us, IPv4 as v4-mapped) and the L2 header to put in front, with
 * the destination MAC the flow arrived from.
 */
struct tcp_tuple {
	struct xtcp_flow_key key;
	uint8_t v6;
	uint8_t l2_len;
	uint8_t l2[WIRE_L2_MAX];
};

struct tcp_seg {
	struct tcp_tuple t;	/* reversed: as a reply to this segment goes */
	uint8_t tos;		/* IPv4 TOS / IPv6 traffic class (ECN bits) */
	uint8_t flags;
	uint16_t wnd;		/* unscaled */
	uint32_t seq, ack;
	/* options (RFC 9293 3.1, RFC 7323, RFC 2018) */
	uint16_t mss;		/* 0: none */
	uint8_t wscale;		/* WIRE_NO_WSCALE: none */
	uint8_t sack_ok;
	uint8_t ts;
	uint8_t nsack;
	uint32_t tsval, tsecr;
	uint32_t sack[WIRE_MAX_SACK][2];
	const uint8_t *data;
	uint32_t len;
};

enum wire_verdict {
	WIRE_OK = 0,
	WIRE_MALFORMED = -1,	/* not a well-formed TCP segment */
	WIRE_CSUM = -2,		/* IPv4 header or TCP checksum wrong */
};

int wire_parse(const uint8_t *frame, size_t len, struct tcp_seg *s);

/*
 * An ICMP error about a segment we sent: IPv4 "fragmentation needed"
 * (RFC 1191) or ICMPv6 "packet too big" (RFC 8201, RFC 4443 3.2).
 */
struct wire_icmp {
	struct xtcp_flow_key key;	/* the connection: client = the quote's destination */
	uint8_t v6;
	uint32_t seq;		/* the quoted segment's sequence number */
	uint32_t mtu;		/* next-hop MTU; 0: the router said none (RFC 1191 4) */
	uint32_t quoted_len;	/* the quoted packet's IP length: what we sent */
};

/* WIRE_OK, WIRE_MALFORMED (not such an ICMP error) or WIRE_CSUM. */
int wire_parse_icmp(const uint8_t *frame, size_t len, struct wire_icmp *ic);

/* Options to put in a segment we build, already encoded. */
struct wire_opts {
	uint8_t len;		/* multiple of 4, at most 40 */
	uint8_t b[40];
};

void wire_opt_mss(struct wire_opts *o, uint16_t mss);
void wire_opt_wscale(struct wire_opts *o, uint8_t shift);
void wire_opt_sack_ok(struct wire_opts *o);
void wire_opt_ts(struct wire_opts *o, uint32_t tsval, uint32_t tsecr);
void wire_opt_sack(struct wire_opts *o, const uint32_t (*blocks)[2], int n);

struct wire_out {
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t tos;
	uint16_t wnd;
	const struct wire_opts *opts;	/* NULL: none */
	const uint8_t *data[2];		/* payload in up to two pieces */
	uint32_t data_len[2];
};

/* Build into buf (cap bytes); returns the frame length, 0 if it won't fit. */
size_t wire_build(uint8_t *buf, size_t cap, const struct tcp_tuple *t,
		  const struct wire_out *o);

/*
 * The headers of a super-segment whose payload (o->data, at most
 * WIRE_GSO_MAX bytes) someone else cuts into segments and copies in after
 * them: the kernel's GSO, a NIC's TSO. The lengths are the whole's and the
 * TCP checksum is partial (the pseudo-header's sum, as for Linux's
 * CHECKSUM_PARTIAL): the segmenter fixes both per segment, copies the
 * headers and clears FIN and PSH on all but the last segment (CWR on all
 * but the first). Returns the header length, 0 if it won't fit in cap.
 */
#define WIRE_GSO_MAX 65000u
size_t wire_build_gso(uint8_t *buf, size_t cap, const struct tcp_tuple *t,
		      const struct wire_out *o);

/* RFC 1071 sum of len bytes, added to sum, not folded. */
uint64_t wire_csum_add(const void *p, size_t len, uint64_t sum);
uint16_t wire_csum_fold(uint64_t sum);

#endif /* XTCP_TCP_WIRE_H */
