/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Watching one interface through rtnetlink (RTM_NEWLINK, RTM_DELLINK), so
 * that `serve` notices its interface going down, coming up or going away
 * instead of serving a device that no longer exists.
 */
#ifndef XTCP_LINKWATCH_H
#define XTCP_LINKWATCH_H

#include <stdbool.h>

struct linkwatch {
	int fd;
	int ifindex;
	bool up;	/* IFF_UP as last seen */
};

enum linkwatch_event {
	LINK_NONE,
	LINK_DOWN,	/* administratively down (IFF_UP cleared) */
	LINK_UP,
	LINK_GONE,	/* deleted, or moved to another namespace */
};

/* Subscribe to RTMGRP_LINK for ifindex; 0 or a negative errno. */
int linkwatch_open(struct linkwatch *w, int ifindex);
/* Read what is queued (w->fd is non-blocking): the last event that
 * matters, LINK_GONE above all. */
enum linkwatch_event linkwatch_read(struct linkwatch *w);
void linkwatch_close(struct linkwatch *w);

#endif /* XTCP_LINKWATCH_H */
