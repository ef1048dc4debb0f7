/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One line of rates per interval, with a timestamp and a header every 20
 * lines, as xdp-bench prints them: `xtcp stats --watch` and `serve --rate`.
 */
#ifndef XTCP_CLI_RATES_H
#define XTCP_CLI_RATES_H

#include <stdbool.h>
#include <stdio.h>

#include "xtcp/abi.h"

struct rates_sample {
	double t;			/* monotonic seconds */
	struct xtcp_stats x;		/* XDP outcomes, summed over CPUs */
	struct xtcp_engine_stats e;	/* the engines', summed over queues */
	struct xtcp_handoff_stats h;	/* the tc program's (kernel ports) */
	bool engine;			/* a serve's engines are there */
	bool handoff;			/* the tc program is there */
};

/* Read every counter of ifname now; 0 or a negative errno (XDP's). */
int rates_sample(const char *ifname, struct rates_sample *s);
/* The line from prev to cur; *lines counts them for the header. */
void rates_print(FILE *f, const struct rates_sample *prev,
		 const struct rates_sample *cur, unsigned *lines);

#endif /* XTCP_CLI_RATES_H */
