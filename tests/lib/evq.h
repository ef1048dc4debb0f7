/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Frames waiting for their time: a binary min-heap on (time, order of
 * arrival), so frames due at the same instant leave in the order they
 * came. The simulated link and the impairment tool hold their frames here.
 */
#ifndef XTCP_TEST_EVQ_H
#define XTCP_TEST_EVQ_H

#include <stddef.h>
#include <stdint.h>

struct evq_item {
	uint64_t at, serial;
	void *p;
};

struct evq {
	struct evq_item *v;
	size_t n, cap;
	uint64_t serial;
};

/* 0, or -ENOMEM. */
int evq_push(struct evq *q, uint64_t at, void *p);
/* The earliest item's time; the queue must not be empty. */
static inline uint64_t evq_next(const struct evq *q) { return q->v[0].at; }
/* Take the earliest item out; the queue must not be empty. */
void *evq_pop(struct evq *q);
/* Free the array (not what the items point to). */
void evq_free(struct evq *q);

#endif /* XTCP_TEST_EVQ_H */
