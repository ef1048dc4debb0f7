/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading, configuring and attaching the XDP program to one interface, and
 * taking it away again. `xtcp attach` uses it with a pinned link that
 * outlives the process; an engine can hold the link itself instead.
 */
#ifndef XTCP_LOADER_H
#define XTCP_LOADER_H

#include <stdbool.h>
#include <linux/types.h>
#include "xtcp/abi.h"

struct xtcp;
struct handoff;

/* --allow and --deny prefixes at attach; `xtcp acl` adds more later */
#define LOADER_ACL_MAX 256

struct loader_opts {
	const char *ifname;
	__u32 xdp_flags;		/* XDP_FLAGS_DRV_MODE or _SKB_MODE */
	__u16 ports[64];		/* served ports */
	__u8 port_modes[64];		/* XTCP_PORT_* of each; 0: engine */
	int nports;
	int nports_moded;		/* ports[] before this have their --to */
	__u16 mss;			/* 0: from the MTU */
	__u16 window;
	__u8 wscale;
	__u8 cfg_flags;			/* XTCP_CFG_* */
	bool have_secret;		/* else a random master secret */
	bool addr_any;			/* --addr any: every destination */
	int naddrs;			/* --addr A,...: these; 0: the interface's */
	struct xtcp_addr addrs[XTCP_MAX_ADDRS];
	__u64 secret[2];
	__u32 replay_max;		/* replay guard entries; 0: XTCP_REPLAY_DEFAULT */
	struct xtcp_acl_key allow[LOADER_ACL_MAX], deny[LOADER_ACL_MAX];
	int nallow, ndeny;		/* --allow, --deny prefixes */
};

struct loader {
	struct xtcp *skel;
	struct handoff *handoff;	/* the tc program, when a port is kernel */
	int ifindex;
	int link_fd;
	int tc_link_fd;
};

/* Ports of o served to the kernel's listener. */
int loader_kernel_ports(const struct loader_opts *o);

/* Configure a loaded program's maps as attach does, for an MTU of mtu. */
int loader_fill_maps(struct xtcp *skel, const struct loader_opts *o, int mtu);
/* Install o's --deny and --allow prefixes in the `acl` map. */
int loader_fill_acl(int acl_fd, const struct loader_opts *o);
int loader_attach(const struct loader_opts *o, struct loader *l);
/* Follow the interface's addresses (unless --addr fixed them): the addrs
 * map made equal to them, logged when it changes. */
int loader_sync_addrs(struct xtcp *skel, const struct loader_opts *o);
int loader_pin(struct loader *l, const char *ifname, bool pin_link);
void loader_close(struct loader *l);
int loader_detach(const char *ifname);

#endif /* XTCP_LOADER_H */
