/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel's GSO as a TX path beside AF_XDP: runs of new data (tcp.h
 * struct tcp_gso) leave as one frame with a virtio-net header through an
 * AF_PACKET socket bound to the interface, and the kernel cuts them into
 * segments (in software, or the NIC's TSO) below the device's queue, as it
 * does for its own TCP. Copy-mode AF_XDP sends every frame through the
 * device and the receiver's stack on its own; this path pays that once per
 * run. Send only: the socket's protocol is 0, it receives nothing.
 */
#ifndef XTCP_GSO_TX_H
#define XTCP_GSO_TX_H

#include "tcp/tcp.h"

/* payload bytes per run: 44 segments of 1448, 7 of 8948 */
#define GSO_TX_MAX 64000u

struct gso_tx {
	int fd;			/* -1: closed */
	int ifindex;
	bool broken;		/* a send failed for good: refuse the rest */
};

/* 0 or a negative errno (then g->fd is -1 and the engine sends every
 * segment through AF_XDP). */
int gso_tx_open(struct gso_tx *g, const char *ifname);
void gso_tx_close(struct gso_tx *g);
/* One run out; 0 or a negative errno (the engine then falls back). */
int gso_tx_send(struct gso_tx *g, const struct tcp_gso *s);

#endif /* XTCP_GSO_TX_H */
