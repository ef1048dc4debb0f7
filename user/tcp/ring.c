// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

int ring_init(struct ring *r, uint32_t cap)
{
	uint32_t c = 4096;

	while (c < cap)
		c <<= 1;
	r->data = malloc(c);
	if (!r->data)
		return -ENOMEM;
	r->cap = c;
	r->head = r->tail = 0;
	return 0;
}

void ring_release(struct ring *r)
{
	free(r->data);
	r->data = NULL;
	r->cap = r->head = r->tail = 0;
}

void ring_span(const struct ring *r, uint32_t off, uint32_t n,
	       struct ring_span *s)
{
	uint32_t at = (r->head + off) & (r->cap - 1);
	uint32_t first = r->cap - at < n ? r->cap - at : n;

	s->p[0] = r->data + at;
	s->len[0] = first;
	s->p[1] = r->data;
	s->len[1] = n - first;
}

void ring_put_at(struct ring *r, uint32_t off, const void *src, uint32_t n)
{
	uint32_t at = (r->tail + off) & (r->cap - 1);
	uint32_t first = r->cap - at < n ? r->cap - at : n;

	memcpy(r->data + at, src, first);
	memcpy(r->data, (const uint8_t *)src + first, n - first);
}

uint32_t ring_write(struct ring *r, const void *src, uint32_t n)
{
	if (n > ring_free(r))
		n = ring_free(r);
	ring_put_at(r, 0, src, n);
	r->tail += n;
	return n;
}

uint32_t ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n)
{
	struct ring_span s;

	if (off >= ring_used(r))
		return 0;
	if (n > ring_used(r) - off)
		n = ring_used(r) - off;
	ring_span(r, off, n, &s);
	memcpy(dst, s.p[0], s.len[0]);
	memcpy((uint8_t *)dst + s.len[0], s.p[1], s.len[1]);
	return n;
}
