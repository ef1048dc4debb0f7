/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The destination addresses xtcp serves on an interface: the interface's
 * own by default (kept current by serve), a list the operator names with
 * --addr, or any with --addr any.
 */
#ifndef XTCP_ADDRS_H
#define XTCP_ADDRS_H

#include <stdbool.h>
#include <stddef.h>

#include "xtcp/abi.h"

/* The IPv4 (as v4-mapped) and IPv6 addresses of ifname, at most max. */
int addrs_of_iface(const char *ifname, struct xtcp_addr *out, int max);
/* Make the `addrs` map behind fd hold exactly list[0..n); 1 if it changed. */
int addrs_sync(int fd, const struct xtcp_addr *list, int n);
/* "a, b, c" for logs. */
void addrs_str(const struct xtcp_addr *list, int n, char *buf, size_t len);
/* A textual address into a; 0 or -EINVAL. */
int addr_parse(const char *s, struct xtcp_addr *a);

#endif /* XTCP_ADDRS_H */
