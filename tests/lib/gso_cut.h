/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel's GSO for the tests: a super-segment (tcp.h struct tcp_gso)
 * cut into frames as tcp_gso_segment and skb_checksum_help would cut it,
 * from the partial checksum the engine wrote (the length adjusted in one's
 * complement, then the segment summed in), so a wrong header or partial
 * checksum gives frames that fail wire_parse or differ from wire_build's.
 */
#ifndef XTCP_TEST_GSO_CUT_H
#define XTCP_TEST_GSO_CUT_H

#include "tcp/tcp.h"

#define GSO_CUT_FRAME 9300	/* the longest frame a segment makes */

/* Each frame in turn to out(arg, frame, len); the number of frames, or -1
 * if g is not a super-segment the kernel would take. */
int gso_cut(const struct tcp_gso *g,
	    void (*out)(void *arg, uint8_t *frame, uint32_t len), void *arg);

#endif /* XTCP_TEST_GSO_CUT_H */
