// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "evq.h"

static bool before(const struct evq_item *a, const struct evq_item *b)
{
	return a->at < b->at || (a->at == b->at && a->serial < b->serial);
}

static void swap(struct evq *q, size_t a, size_t b)
{
	struct evq_item t = q->v[a];

	q->v[a] = q->v[b];
	q->v[b] = t;
}

int evq_push(struct evq *q, uint64_t at, void *p)
{
	size_t i;

	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 256;
		struct evq_item *v = realloc(q->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		q->v = v;
		q->cap = cap;
	}
	i = q->n++;
	q->v[i] = (struct evq_item){ .at = at, .serial = q->serial++, .p = p };
	while (i && before(&q->v[i], &q->v[(i - 1) / 2])) {
		swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

void *evq_pop(struct evq *q)
{
	void *top = q->v[0].p;
	size_t i = 0;

	q->v[0] = q->v[--q->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->n && before(&q->v[l], &q->v[m]))
			m = l;
		if (r < q->n && before(&q->v[r], &q->v[m]))
			m = r;
		if (m == i)
			return top;
		swap(q, i, m);
		i = m;
	}
}

void evq_free(struct evq *q)
{
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
}
