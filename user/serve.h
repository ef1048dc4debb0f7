/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The production driver of the engine: one thread per RX queue, each with
 * its AF_XDP socket and its own engine (shared-nothing), running
 * rx burst -> tcp input -> app events -> tcp output -> tx burst -> timers.
 */
#ifndef XTCP_SERVE_H
#define XTCP_SERVE_H

#include <pthread.h>
#include <signal.h>

#include "tcp/tcp.h"
#include "xsk.h"

struct serve_queue {
	__u32 queue;
	struct xsk_port port;
	struct tcp_engine *eng;
	int flows_fd;
	pthread_t thread;
	bool running;
	volatile sig_atomic_t *stop;
	/* a connection table asked for by the control socket (ctl.c):
	 * 1 asked, 2 ready; the queue thread writes dump, main frees it */
	int dump_state;
	bool dump_json;
	char *dump;
};

/* Open queue's socket and engine; cfg's io and stats are filled in here. */
int serve_queue_open(struct serve_queue *q, const struct xsk_port_opts *xo,
		     struct tcp_cfg *cfg, const __u16 *ports, int nports,
		     int flows_fd, volatile sig_atomic_t *stop);
int serve_queue_start(struct serve_queue *q);
void serve_queue_close(struct serve_queue *q);
/* Ask q's thread for its connections; the text, or NULL after 2 s. */
void serve_queue_request_dump(struct serve_queue *q, bool json);
char *serve_queue_wait_dump(struct serve_queue *q);

#endif /* XTCP_SERVE_H */
