/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Sequence-number comparisons modulo 2^32 (RFC 9293 3.4). */
#ifndef XTCP_TCP_SEQ_H
#define XTCP_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/* lo <= a < hi */
static inline bool seq_in(uint32_t a, uint32_t lo, uint32_t hi)
{
	return a - lo < hi - lo;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }

#endif /* XTCP_TCP_SEQ_H */
