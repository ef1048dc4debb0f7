/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Following the interface MTU while serving: when it changes, the XDP
 * program's SYN-ACKs (the config map's mss4/mss6) and every queue's engine
 * (new connections, and live ones sending more) take the new MSS.
 */
#ifndef XTCP_MTU_H
#define XTCP_MTU_H

#include <linux/types.h>

#include "queue.h"

struct mtu_watch {
	const char *ifname;
	int mtu;		/* last seen */
	__u16 mss_cap;		/* --mss, 0: none */
	int config_fd;		/* the config map */
	struct queue *qs;
	unsigned long nqueues;
};

/* Remember the MTU now; 0 or a negative errno. */
int mtu_watch_init(struct mtu_watch *w, const char *ifname, __u16 mss_cap,
		   int config_fd, struct queue *qs, unsigned long nqueues);
/* Look again (serve does, once a second); apply a change. */
void mtu_watch_poll(struct mtu_watch *w);

#endif /* XTCP_MTU_H */
