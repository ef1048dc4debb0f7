// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>

#include "ranges.h"
#include "seq.h"

bool range_add(uint32_t (*r)[2], uint8_t *n, uint8_t max, uint32_t s, uint32_t e)
{
	int i = 0, j, cnt = *n;

	while (i < cnt && seq_lt(r[i][1], s))
		i++;
	j = i;
	while (j < cnt && seq_le(r[j][0], e)) {	/* overlapping or adjacent */
		if (seq_lt(r[j][0], s))
			s = r[j][0];
		if (seq_gt(r[j][1], e))
			e = r[j][1];
		j++;
	}
	if (i == j) {
		if (cnt == max)
			return false;
		memmove(&r[i + 1], &r[i], (size_t)(cnt - i) * sizeof(r[0]));
		cnt++;
	} else if (j > i + 1) {
		memmove(&r[i + 1], &r[j], (size_t)(cnt - j) * sizeof(r[0]));
		cnt -= j - i - 1;
	}
	r[i][0] = s;
	r[i][1] = e;
	*n = (uint8_t)cnt;
	return true;
}

uint32_t range_bytes(const uint32_t (*r)[2], uint8_t n)
{
	uint32_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += r[i][1] - r[i][0];
	return sum;
}
