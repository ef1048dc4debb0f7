/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* CLOCK_MONOTONIC for intervals, rates and deadlines. */
#ifndef XTCP_CLOCK_H
#define XTCP_CLOCK_H

#include <time.h>
#include <linux/types.h>

static inline __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static inline double mono_s(void)
{
	return (double)mono_ns() / 1e9;
}

#endif /* XTCP_CLOCK_H */
