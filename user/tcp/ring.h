/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A byte ring of power-of-two capacity: the send buffer (bytes from SND.UNA
 * on) and the receive buffer (bytes the application has not read, then
 * room that out-of-order segments are written into at their offset).
 * head and tail are free-running counters; used = tail - head.
 */
#ifndef XTCP_TCP_RING_H
#define XTCP_TCP_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
	uint8_t *data;
	uint32_t cap;	/* power of two, 0 when released */
	uint32_t head;	/* next byte to read */
	uint32_t tail;	/* next byte to write */
};

/* A range of the ring as at most two contiguous pieces. */
struct ring_span {
	const uint8_t *p[2];
	uint32_t len[2];
};

int ring_init(struct ring *r, uint32_t cap);
void ring_release(struct ring *r);

static inline uint32_t ring_used(const struct ring *r) { return r->tail - r->head; }
static inline uint32_t ring_free(const struct ring *r) { return r->cap - ring_used(r); }

/* Copy n bytes in at tail + off without moving tail; n + off <= free. */
void ring_put_at(struct ring *r, uint32_t off, const void *src, uint32_t n);
/* Append up to n bytes; returns how many fit. */
uint32_t ring_write(struct ring *r, const void *src, uint32_t n);
/* Copy out up to n bytes from head + off without consuming. */
uint32_t ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n);
/* The n bytes at head + off, without copying; n + off <= used. */
void ring_span(const struct ring *r, uint32_t off, uint32_t n, struct ring_span *s);

static inline void ring_produce(struct ring *r, uint32_t n) { r->tail += n; }
static inline void ring_consume(struct ring *r, uint32_t n) { r->head += n; }

#endif /* XTCP_TCP_RING_H */
