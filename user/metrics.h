/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The counters in Prometheus' text exposition format (version 0.0.4): for
 * `xtcp stats --format prometheus` (node_exporter's textfile collector) and
 * for scraping a running `xtcp serve --metrics ADDR:PORT` over HTTP.
 */
#ifndef XTCP_METRICS_H
#define XTCP_METRICS_H

#include <stdio.h>

/* Every family of IFNAME's counters to f; 0 or a negative errno. */
int metrics_write(FILE *f, const char *ifname);

/* Listen on "ADDR:PORT" ("[ADDR6]:PORT" for IPv6); a listening fd or a
 * negative errno (the message is printed). */
int metrics_listen(const char *addrport);
/* Answer one waiting scrape on lfd with IFNAME's metrics, if any. */
void metrics_serve(int lfd, const char *ifname);

#endif /* XTCP_METRICS_H */
