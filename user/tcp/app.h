/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The application interface of the xtcp engine: events in, calls out.
 *
 * An application is a `struct tcp_app`: one event callback and the size of
 * the state it keeps per connection (the engine reserves it next to the
 * connection, zeroed at birth, so apps allocate nothing). Everything runs
 * on the connection's queue thread; callbacks never run concurrently for
 * one engine, and the calls below may be made from inside any callback.
 *
 * Events, in the order a connection can see them:
 *
 *   TCP_EV_ACCEPTED     a passive connection was born (third ACK)
 *   TCP_EV_CONNECTED    an active open (tcp_connect) completed
 *   TCP_EV_READABLE     in-order bytes wait: call tcp_recv
 *   TCP_EV_WRITABLE     the peer acknowledged data: send space grew
 *   TCP_EV_PEER_CLOSED  the peer's FIN arrived after every byte it sent:
 *                       nothing more will be readable
 *   TCP_EV_RESET        final: the connection was reset (RST received,
 *                       or aborted after the retry limit)
 *   TCP_EV_CLOSED       final: both sides closed cleanly
 *   TCP_EV_TIMER        the application's timer (tcp_set_app_timer) is
 *                       due; at any time before a final event
 *
 * Exactly one final event arrives unless the application called
 * tcp_close() first; after a final event or tcp_close() the connection
 * pointer must not be used again.
 */
#ifndef XTCP_TCP_APP_H
#define XTCP_TCP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tcp_conn;

enum tcp_event {
	TCP_EV_ACCEPTED,
	TCP_EV_CONNECTED,
	TCP_EV_READABLE,
	TCP_EV_WRITABLE,
	TCP_EV_PEER_CLOSED,
	TCP_EV_RESET,
	TCP_EV_CLOSED,
	TCP_EV_TIMER,
};

struct tcp_app {
	const char *name;
	size_t ctx_size;	/* bytes of per-connection state, zeroed */
	void (*event)(struct tcp_conn *c, enum tcp_event ev, void *ctx);
	/* optional: one line of the app's own state for `xtcp stats --conns`
	 * (on the queue thread, like the events); returns its length */
	int (*describe)(const struct tcp_conn *c, const void *ctx, char *buf, size_t len);
};

/* Queue up to len bytes for sending; returns how many were taken (0 when
 * the send buffer is full: wait for TCP_EV_WRITABLE), -EPIPE after
 * tcp_shutdown, -ENOTCONN when the connection cannot send. */
ssize_t tcp_send(struct tcp_conn *c, const void *buf, size_t len);

/* Copy up to len in-order bytes out; 0 when none wait. Reading reopens
 * the receive window (RFC 9293 3.8.6.2.2 decides when to tell the peer). */
size_t tcp_recv(struct tcp_conn *c, void *buf, size_t len);

/* Bytes that tcp_send would take now, and that tcp_recv would return. */
size_t tcp_send_space(const struct tcp_conn *c);
size_t tcp_recv_avail(const struct tcp_conn *c);

/* Send FIN after every queued byte (SHUT_WR); reading goes on. */
int tcp_shutdown(struct tcp_conn *c);

/* Done with the connection: tcp_shutdown, and the application lets go.
 * Unread bytes make it an abort with RST (RFC 9293 3.10.4, RFC 2525 2.17). */
void tcp_close(struct tcp_conn *c);

/* Abort now with RST; no further events. */
void tcp_abort(struct tcp_conn *c);

/* Nagle's algorithm (RFC 9293 3.7.4) is on for every connection; on turns
 * it off for this one (TCP_NODELAY), for request/response protocols. */
void tcp_set_nodelay(struct tcp_conn *c, bool on);

/*
 * One timer per connection for the application, on the engine's own timer
 * heap and clock (no thread, no descriptor): TCP_EV_TIMER once, ms from
 * now; arming again moves it, 0 disarms it. Header and idle timeouts,
 * lingering closes. Disarmed by tcp_close and tcp_abort; after a final
 * event it never fires. Call it from inside a callback, where "now" is
 * the time of the segment or timer being handled.
 */
void tcp_set_app_timer(struct tcp_conn *c, uint32_t ms);

/* The per-connection state of tcp_app.ctx_size bytes. */
void *tcp_ctx(const struct tcp_conn *c);

/* The engine's counters, for an application's own (the proxy_* ones of
 * include/xtcp/abi.h): shown by `xtcp stats` beside the engine's. */
struct xtcp_engine_stats *tcp_app_stats(const struct tcp_conn *c);

/* The connection's addresses and ports, as on the wire (network order;
 * key.client is the peer). An IPv4 address is in word 3. */
struct xtcp_flow_key;
void tcp_conn_key(const struct tcp_conn *c, struct xtcp_flow_key *key, bool *v6);

#endif /* XTCP_TCP_APP_H */
