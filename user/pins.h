/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where an attached xtcp lives in bpffs: XTCP_PIN_ROOT/nsINODE/IFNAME/
 * (INODE: the network namespace's) holds the XDP link and every map,
 * pinned with BTF so bpftool prints field names.
 */
#ifndef XTCP_PINS_H
#define XTCP_PINS_H

#include <limits.h>

/* Pin names, one per map, plus the link and the program. */
#define PIN_LINK "link"
#define PIN_PROG "prog"
#define PIN_CONFIG "config"
#define PIN_PORTS "ports"
#define PIN_KEYS "keys"
#define PIN_KEYCACHE "keycache"
#define PIN_FLOWS "flows"
#define PIN_XSKS "xsks"
#define PIN_ADDRS "addrs"
#define PIN_STATS "stats"
#define PIN_ENGINE "engine"
#define PIN_TC_LINK "tc_link"		/* the handoff's tcx link */
#define PIN_TC_PROG "tc_prog"
#define PIN_HANDOFF "handoff"		/* the handoff's counters */
#define PIN_REPLAY "replay"
#define PIN_ACL "acl"

int pins_check_bpffs(void);
/* XTCP_PIN_ROOT/nsINODE of this process's network namespace. */
int pins_ns_dir(char *buf, size_t len);
int pins_dir(const char *ifname, char *buf, size_t len);
int pins_path(const char *ifname, const char *name, char *buf, size_t len);
int pins_open(const char *ifname, const char *name);
int pins_attached(const char *ifname);
int pins_served(const char *ifname);
int pins_remove(const char *ifname);

#endif /* XTCP_PINS_H */
