/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sorted, disjoint [start, end) sequence ranges in a small array: what the
 * receiver holds out of order and what the sender knows was SACKed.
 */
#ifndef XTCP_TCP_RANGES_H
#define XTCP_TCP_RANGES_H

#include <stdbool.h>
#include <stdint.h>

/* Merge [s, e) into r (n of max used); false when it needs a slot of its
 * own and none is left. */
bool range_add(uint32_t (*r)[2], uint8_t *n, uint8_t max, uint32_t s, uint32_t e);

/* Bytes the ranges cover. */
uint32_t range_bytes(const uint32_t (*r)[2], uint8_t n);

#endif /* XTCP_TCP_RANGES_H */
