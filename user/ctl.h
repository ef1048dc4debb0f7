/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The control socket of a running `xtcp serve`: /run/xtcp/nsINODE/IFNAME.sock, a
 * Unix stream socket through which `xtcp stats IFNAME --conns` asks every
 * queue's engine for its connections (the engines are single-threaded:
 * each queue thread answers for its own, between bursts).
 */
#ifndef XTCP_CTL_H
#define XTCP_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include "queue.h"

#define CTL_DIR "/run/xtcp"

/* Listen on IFNAME's socket; a listening fd or a negative errno. */
int ctl_listen(const char *ifname);
void ctl_close(int fd, const char *ifname);
/* Answer one client waiting on fd, if any, with every queue's table. */
void ctl_serve(int fd, struct queue *qs, unsigned long nq);

/* The client side: print IFNAME's connections to out. */
int ctl_conns(const char *ifname, bool json, FILE *out);

#endif /* XTCP_CTL_H */
