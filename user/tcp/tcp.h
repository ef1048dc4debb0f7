/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The xtcp TCP engine, as a driver sees it. The engine does no I/O and
 * reads no clock: a driver hands it received frames and the time, and it
 * emits frames through callbacks. The AF_XDP queue loop (user/serve.c) is
 * the production driver; the unit tests drive it directly with a virtual clock.
 *
 * One engine serves one RX queue and is used from one thread only.
 */
#ifndef XTCP_TCP_H
#define XTCP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xtcp/abi.h"
#include "app.h"
#include "cc.h"
#include "wire.h"

struct tcp_engine;

/*
 * RFC 9293 3.3.2, in the RFC's order. LISTEN has no connection of its own
 * (the cookie stands in for it). The order is the order of the conn_*
 * gauges in include/xtcp/abi.h: a state's gauge is
 * conn_syn_sent + (state - TCPS_SYN_SENT), checked below.
 */
enum tcp_state {
	TCPS_CLOSED,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSING,
	TCPS_TIME_WAIT,
	TCPS__COUNT
};
#define TCPS_GAUGE(s) (XTCP_ENGINE_conn_syn_sent + (s) - TCPS_SYN_SENT)
_Static_assert(TCPS_GAUGE(TCPS_SYN_SENT) == XTCP_ENGINE_conn_syn_sent &&
	       TCPS_GAUGE(TCPS_SYN_RECEIVED) == XTCP_ENGINE_conn_syn_received &&
	       TCPS_GAUGE(TCPS_ESTABLISHED) == XTCP_ENGINE_conn_established &&
	       TCPS_GAUGE(TCPS_CLOSE_WAIT) == XTCP_ENGINE_conn_close_wait &&
	       TCPS_GAUGE(TCPS_LAST_ACK) == XTCP_ENGINE_conn_last_ack &&
	       TCPS_GAUGE(TCPS_FIN_WAIT_1) == XTCP_ENGINE_conn_fin_wait_1 &&
	       TCPS_GAUGE(TCPS_FIN_WAIT_2) == XTCP_ENGINE_conn_fin_wait_2 &&
	       TCPS_GAUGE(TCPS_CLOSING) == XTCP_ENGINE_conn_closing &&
	       TCPS_GAUGE(TCPS_TIME_WAIT) == XTCP_ENGINE_conn_time_wait,
	       "enum tcp_state and the conn_* gauges are in one order");

/* How the engine sends frames and tells the driver a flow is gone. */
struct tcp_io {
	void *ctx;
	/* A buffer for one frame of at least *cap bytes, or NULL when none is
	 * free (the segment is then counted as not sent; retransmission
	 * recovers). */
	uint8_t *(*tx_buf)(void *ctx, uint32_t *cap);
	/* Send the frame built in the buffer tx_buf returned last. */
	void (*tx_send)(void *ctx, uint8_t *buf, uint32_t len);
	/* A connection was freed: its flows-map entry must go. May be NULL. */
	void (*flow_gone)(void *ctx, const struct xtcp_flow_key *key);
	/* A connection born from a cookie ended while the cookie (ISN iss)
	 * still validates: until expires_tai_ns a copy of its third ACK
	 * (client ISN irs) must open nothing. Called before flow_gone.
	 * 0 or a negative errno; may be NULL. */
	int (*handshake_ended)(void *ctx, const struct xtcp_flow_key *key,
			       uint32_t irs, uint64_t expires_tai_ns);
};

struct tcp_cfg {
	uint32_t max_conns;		/* beyond: refused with RST */
	uint32_t sndbuf, rcvbuf;	/* bytes per connection */
	uint64_t time_wait_ns;		/* 2*MSL (RFC 9293 3.4.2) */
	uint32_t rto_initial_ms;	/* RFC 6298 2.1: 1 s */
	uint32_t rto_min_ms, rto_max_ms;
	uint32_t max_retries;		/* RTOs in a row before abort */
	uint32_t syn_retries;
	const struct tcp_cc *cc;	/* congestion control (cc.h) */
	bool sack, timestamps;		/* offered on active opens */
	bool no_rack;			/* SACK loss detection by RFC 6675's
					 * DupThresh, not RACK-TLP (RFC 8985) */
	bool no_pacing;			/* no default pacing for a cc that sets
					 * none itself (cubic, newreno) */
	uint32_t delack_ms;		/* delayed ACK bound, 0: ACK every segment */
	/* keepalive (RFC 9293 3.8.4): idle 0 is off, the default */
	uint32_t keepalive_idle_ms, keepalive_intvl_ms, keepalive_probes;
	/* RFC 5961 7: besides one per 500 ms per connection, an engine-wide
	 * budget a second drawn from [limit/2, limit*3/2); 0: none */
	uint32_t challenge_ack_limit;
	/* timeouts in a row, peer answering or not, before a FIN-WAIT-1,
	 * CLOSING or LAST-ACK whose app let go is aborted (Linux's
	 * tcp_orphan_retries); 0: only max_retries applies */
	uint32_t orphan_retries;
	/* pool full: a connection with nothing unacknowledged and no segment
	 * for this long is aborted to admit a newcomer; 0: never */
	uint32_t reclaim_idle_ms;
	uint32_t blackhole_rtos;	/* timeouts in a row before the MSS falls
					 * to 536/1220 (RFC 4821); 0: never */
	uint64_t seed;			/* non-zero: hash and ISN keys from it,
					 * for reproducible simulations */
	/* what the XDP program answers SYNs with (struct xtcp_config) */
	uint16_t mss4, mss6;		/* our MSS, from the MTU */
	uint16_t syn_window;
	uint8_t wscale;
	bool ecn;
	__u64 secret[2];		/* cookie master secret */
	int64_t tai_offset_ns;		/* CLOCK_TAI - the driver's clock */
	const struct tcp_app *app;	/* for passive connections */
	struct tcp_io io;
	struct xtcp_engine_stats *stats; /* NULL: kept inside the engine */
};

void tcp_cfg_default(struct tcp_cfg *cfg);

int tcp_engine_new(const struct tcp_cfg *cfg, struct tcp_engine **out);
/* Frees every connection without sending anything. */
void tcp_engine_free(struct tcp_engine *e);

/* Answer SYNs to port (host order) with the engine's own cookie path, for
 * drivers without the XDP program in front (the unit tests, the simulated
 * link). With XDP in front this only serves a SYN that reuses a 4-tuple in
 * TIME-WAIT. */
void tcp_listen(struct tcp_engine *e, uint16_t port);

/*
 * One received frame. meta is what the XDP program put in front of it
 * (NULL when there was none). Output is queued: call tcp_flush after a
 * batch.
 */
void tcp_input(struct tcp_engine *e, const uint8_t *frame, size_t len,
	       const struct xtcp_meta *meta, uint64_t now_ns);

/* Send what input, timers and applications queued; free dead connections. */
void tcp_flush(struct tcp_engine *e);

/*
 * The interface MTU changed: new connections get mss4/mss6 (IPv4/IPv6),
 * live ones sending more are lowered to it (counted as pmtu_if_mtu).
 */
void tcp_set_mss(struct tcp_engine *e, uint16_t mss4, uint16_t mss6);

/* Run every timer due by now_ns; returns the next deadline (0: none). */
uint64_t tcp_timers(struct tcp_engine *e, uint64_t now_ns);

/* Active open from local to the peer in t (t.key.client = the peer). */
int tcp_connect(struct tcp_engine *e, const struct tcp_tuple *t,
		const struct tcp_app *app, uint64_t now_ns,
		struct tcp_conn **out);

/* Does a connection own this flows-map key? (The queue loop's sweep of
 * flows no connection owns asks.) */
bool tcp_flow_owned(struct tcp_engine *e, const struct xtcp_flow_key *key);

/* Connections alive, in any state. */
uint32_t tcp_conn_count(const struct tcp_engine *e);
const struct xtcp_engine_stats *tcp_stats(const struct tcp_engine *e);

/* One line per connection for `xtcp stats --conns` and for tests. */
struct tcp_conn_info {
	struct tcp_tuple t;
	enum tcp_state state;
	uint32_t snd_una, snd_nxt, snd_wnd, rcv_nxt, rcv_wnd;
	uint32_t srtt_us, rttvar_us, rto_ms, retransmits;
	uint32_t mss, cwnd, ssthresh, fast_rexmits, rto_count, dsacks_in;
	uint32_t sacked;		/* bytes on the SACK scoreboard */
	uint32_t min_rtt_us, reo_wnd_us;	/* RACK (RFC 8985) */
	uint32_t tlp_probes, undos;
	uint64_t pacing_rate;		/* bytes/s, 0: unpaced */
	uint64_t delivery_rate;		/* bytes/s, the newest sample; 0: none */
	uint8_t delivery_app_limited;	/* that sample was app-limited */
	uint8_t in_recovery, ts_ok, sack_ok, ws_ok;
	uint32_t snd_queued, rcv_queued;
	const char *cc;
	/* BBR's model (cc_bbr.c); bbr_mode NULL under another algorithm */
	const char *bbr_mode;
	uint64_t bbr_bw;		/* BBR.max_bw, bytes per second */
	uint32_t bbr_min_rtt_us;
	uint32_t bbr_inflight_hi;	/* inflight_longterm; UINT32_MAX: none */
	uint16_t bbr_pacing_gain, bbr_cwnd_gain;	/* percent */
};
const char *tcp_state_name(enum tcp_state state);
/* The app's line about c (tcp_app.describe) into buf; 0 when it has none. */
int tcp_conn_describe(const struct tcp_conn *c, char *buf, size_t len);
void tcp_conn_get_info(const struct tcp_conn *c, struct tcp_conn_info *i);
/* Call fn for every connection; stops when fn returns non-zero. */
int tcp_conn_foreach(struct tcp_engine *e,
		     int (*fn)(struct tcp_conn *c, void *arg), void *arg);

#endif /* XTCP_TCP_H */
