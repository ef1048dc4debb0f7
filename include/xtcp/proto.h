/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP on the wire as both sides read it: the flag bits of header byte 13
 * (RFC 9293 3.1, RFC 3168 6.1) and the option kinds xtcp parses and writes
 * (RFC 9293 3.2, RFC 7323, RFC 2018). One definition for the XDP program,
 * the engine and the tests. Prefixed so that neither <netinet/tcp.h> nor
 * <linux/tcp.h> can collide with them.
 */
#ifndef XTCP_PROTO_H
#define XTCP_PROTO_H

#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCPHDR_PSH 0x08
#define TCPHDR_ACK 0x10
#define TCPHDR_URG 0x20
#define TCPHDR_ECE 0x40
#define TCPHDR_CWR 0x80

#define TCPO_EOL 0		/* end of option list */
#define TCPO_NOP 1
#define TCPO_MSS 2		/* length 4 */
#define TCPO_WSCALE 3		/* length 3, RFC 7323 2.2 */
#define TCPO_SACK_PERM 4	/* length 2, RFC 2018 2 */
#define TCPO_SACK 5		/* length 2 + 8n, RFC 2018 3 */
#define TCPO_TS 8		/* length 10, RFC 7323 3.2 */

#define TCPO_MSS_LEN 4
#define TCPO_WSCALE_LEN 3
#define TCPO_SACK_PERM_LEN 2
#define TCPO_TS_LEN 10

#endif /* XTCP_PROTO_H */
