/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The production driver of the engine: one thread per RX queue, each with
 * its AF_XDP socket and its own engine (shared-nothing), running
 * rx burst -> tcp input -> app events -> tcp output -> tx burst -> timers.
 */
#ifndef XTCP_QUEUE_H
#define XTCP_QUEUE_H

#include <pthread.h>
#include <signal.h>

#include "tcp/tcp.h"
#include "afxdp.h"
#include "gso_tx.h"

struct queue {
	__u32 queue;
	struct afxdp port;
	struct gso_tx gso;	/* runs of new data; fd -1: none */
	struct tcp_engine *eng;
	int flows_fd;
	int raw4, raw6;		/* send-only raw sockets for orphan prompts */
	__u64 next_stats, next_sweep;	/* housekeeping (queue.c) */
	int replay_fd;		/* the replay guard map; -1 (queue_open's
				 * default): none. Set before queue_start. */
	__s64 *flows_live;	/* the XDP program's count of flows
				 * (xtcp_flows_live, bpf/xtcp.bpf.c), one off
				 * per delete; NULL (queue_open's default):
				 * none. Set before queue_start. */
	pthread_t thread;
	bool running;
	volatile sig_atomic_t *stop;
	/* the mailbox: one call at a time, run on the queue's thread */
	int call_state;		/* enum queue_call_state */
	void (*call_fn)(struct tcp_engine *e, unsigned queue, void *arg);
	void *call_arg;
	/* the apps' descriptors (apps/apploop.h), with the AF_XDP socket in
	 * one epoll set; the loop sleeps in epoll_wait */
	int ep;
	unsigned nfds, fds_cap;
	struct queue_fd *fds;	/* by fd */
};

/* Open queue's socket and engine; cfg's io and stats are filled in here
 * (cfg->io.gso_max, when not 0, asks for the GSO path: gso_tx.h). */
int queue_open(struct queue *q, const struct afxdp_opts *xo,
		     struct tcp_cfg *cfg, const __u16 *ports, int nports,
		     int flows_fd, volatile sig_atomic_t *stop);
int queue_start(struct queue *q);
void queue_close(struct queue *q);
/*
 * Run fn(engine, queue, arg) on q's own thread, between two bursts (the
 * engine is single-threaded: this is the only way another thread may look
 * at it), and wait for it. -ETIMEDOUT when the thread did not take the call
 * within timeout_ms; fn then never runs and arg is the caller's again.
 */
int queue_call(struct queue *q,
	       void (*fn)(struct tcp_engine *e, unsigned queue, void *arg),
	       void *arg, int timeout_ms);

#endif /* XTCP_QUEUE_H */
