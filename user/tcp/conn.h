/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Inside the engine: the connection block and the engine's own state. */
#ifndef XTCP_TCP_CONN_H
#define XTCP_TCP_CONN_H

#include "cc.h"
#include "ranges.h"
#include "ring.h"
#include "seq.h"
#include "tcp.h"

#define TCP_OOO_MAX 32		/* out-of-order ranges held per connection */
#define TCP_SB_MAX 32		/* SACKed ranges remembered per connection */
#define TCP_DUPTHRESH 3		/* RFC 5681 3.2, RFC 6675 */

/*
 * A connection has one "main" timer (retransmission, persist or close: at
 * most one of them makes sense at a time) and four of its own (delayed
 * ACK, keepalive, the application's, pacing's release). The engine's heap
 * holds the connection once, at the earliest.
 */
enum tcp_timer {
	TIMER_NONE,
	TIMER_RTO,		/* retransmission (RFC 6298), SYN included */
	TIMER_PERSIST,		/* zero window probe (RFC 9293 3.8.6.1) */
	TIMER_CLOSE,		/* TIME-WAIT, or FIN-WAIT-2 of a closed app */
	TIMER_DELACK,		/* RFC 9293 3.8.6.3 */
	TIMER_KEEPALIVE,	/* RFC 9293 3.8.4 */
	TIMER_APP,		/* the application's (tcp_set_app_timer) */
	TIMER_RACK,		/* RACK reordering window (RFC 8985 6.2) */
	TIMER_TLP,		/* tail loss probe (RFC 8985 7.2) */
	TIMER_PACE,		/* pacing released the next segment (pace_at) */
};

#define RACK_TXM 64		/* first-send time map entries */
#define RACK_RXR 16		/* retransmitted ranges remembered */

/*
 * RACK-TLP (RFC 8985) without a per-segment list: first transmissions go
 * out in sequence order, so their send times are a step function of the
 * sequence (txm, one step per clock quantum); retransmitted ranges carry
 * their own times (rxr). Both are trimmed at SND.UNA.
 */
struct rack_state {
	uint64_t txm_ns[RACK_TXM];	/* bytes from txm_seq[i] first sent then */
	uint64_t rxr_ns[RACK_RXR];
	uint64_t xmit_ns;		/* RACK.xmit_ts: newest delivered send */
	uint64_t reo_at;		/* when a pending reordering window ends */
	uint32_t txm_seq[RACK_TXM];
	uint32_t rxr[RACK_RXR][2];	/* [start, end), sorted, disjoint */
	uint32_t end_seq, fack;		/* RACK.end_seq, RACK.fack */
	uint32_t rtt_us, min_rtt_us, reo_wnd_us;
	uint32_t dsack_round;		/* SND.MAX when reo_wnd last grew */
	uint32_t tlp_high, tlp_una, tlp_max;	/* TLP.end_seq; PTO armed at */
	uint32_t pre_acked;		/* SND.UNA + SACKed bytes before the ACK */
	uint8_t ntxm, nrxr;
	uint8_t reo_seen : 1, tlp_active : 1, tlp_rexmit : 1, tlp_dsack : 1,
		dsack_on : 1, pre_valid : 1;
	uint8_t reo_mult;		/* RACK.reo_wnd_mult - 1 */
	uint8_t reo_persist;		/* recoveries left at that multiplier */
};

#define RATE_REC 32		/* delivery-rate send records */

/*
 * What the delivery-rate estimator (draft-cheng-iccrg-delivery-rate-
 * estimation-02 3.2) keeps of one transmission, for a run of sequence
 * sent with one connection snapshot: consecutive sends between two ACKs
 * share C.delivered, C.delivered_time and C.first_sent_time, so they are
 * one record, whose send times span [sent_ns - span_ns, sent_ns].
 */
struct rate_rec {
	uint32_t seq, end;		/* [seq, end) */
	uint64_t sent_ns;		/* when its last byte went */
	uint64_t delivered;		/* P.delivered */
	uint64_t delivered_ns;		/* P.delivered_time */
	uint64_t first_sent_ns;		/* P.first_sent_time */
	uint32_t span_ns;		/* sent_ns - when its first byte went */
	uint8_t app_limited;		/* P.is_app_limited */
	uint8_t rexmit;			/* a retransmission: no RTT sample */
};

/*
 * rate.c. Records in send order, oldest first, at most RATE_REC (about
 * one per ACK of a flight); a full list extends its newest record with
 * the next contiguous send (that data's sample then spans a longer
 * interval, never a shorter one), or forgets its oldest for a send
 * elsewhere (that data's ACK then gives no sample). Counted.
 */
struct rate_state {
	struct rate_rec rec[RATE_REC];
	uint64_t first_sent_ns;		/* C.first_sent_time */
	uint64_t app_limited;		/* C.app_limited: 0, or the delivered
					 * mark that ends the app-limited phase */
	uint64_t lost;			/* bytes deemed lost, ever */
	uint64_t lost_sampled;		/* lost at the last sample */
	struct tcp_rate_sample last;	/* the newest sample with an interval */
	/* the ACK being taken in (rate_ack_begin .. rate_ack_end) */
	struct rate_rec p;		/* its newest delivered send */
	uint64_t p_sent_ns;		/* that byte's send time */
	uint32_t pre_acked;		/* SND.UNA + SACKed bytes before it */
	uint32_t prior_in_flight;
	uint32_t lost_left;		/* RACK: deemed lost, not yet resent */
	uint32_t min_rtt_us;
	uint32_t srtt_us;		/* smoothed rtt_us of the samples */
	uint8_t nrec;
	uint8_t in_ack : 1, have_p : 1;
};

/* CUBIC's state (RFC 9438 4), in segments and seconds. */
struct cubic_state {
	double w_max, k, w_est, cwnd;	/* cwnd: what c->cwnd was set from */
	uint64_t epoch_ns;		/* 0: no congestion avoidance epoch */
};

/*
 * BBR's state (draft-ietf-ccwg-bbr-04, BBRv3): the path model (max_bw over
 * two ProbeBW cycles, min_rtt, the long- and short-term bounds), the state
 * machine and round counting. Bytes, bytes/s, microseconds, and the
 * engine's nanosecond clock for stamps; gains in percent; UINT64_MAX and
 * UINT32_MAX stand for the draft's Infinity.
 */
struct bbr_state {
	uint64_t max_bw[2];		/* max filter, one slot per cycle */
	uint64_t bw_shortterm, bw_latest, full_bw;
	uint64_t next_round_delivered, loss_round_delivered;
	uint64_t round_delivered;	/* C.delivered when this round began */
	uint64_t min_rtt_stamp, probe_rtt_min_stamp, probe_rtt_done_stamp;
	uint64_t cycle_stamp, extra_acked_start, rng;
	uint32_t min_rtt_us, probe_rtt_min_us;
	uint32_t inflight_longterm, inflight_shortterm, inflight_latest;
	uint32_t rtt_latest_us, lost_latest;	/* the loss round's (deviation) */
	uint32_t prior_cwnd, init_cwnd;
	uint32_t extra_acked[2], extra_acked_delivered;
	uint32_t probe_up_cnt, bw_probe_up_acks, bw_probe_wait_ms;
	uint32_t round_count, rounds_since_bw_probe, recovery_round;
	uint32_t round_lost, round_loss_events;	/* this round's losses */
	uint32_t rto_high;		/* SND.MAX at a timeout: its recovery ends there */
	uint16_t pacing_gain, cwnd_gain;
	uint8_t state, ack_phase, full_bw_count, bw_probe_up_rounds;
	uint8_t extra_rounds;
	uint8_t cycle_count : 1, extra_idx : 1, round_start : 1,
		full_bw_reached : 1, full_bw_now : 1, idle_restart : 1,
		loss_in_round : 1, loss_round_start : 1;
	uint8_t probe_rtt_round_done : 1, bw_probe_samples : 1,
		cwnd_limited : 1, cwnd_limited_prev : 1, in_loss_recovery : 1,
		rto_recovery : 1, conservation : 1;
};

/* an algorithm's own state, in the connection */
union cc_state {
	struct cubic_state cubic;
	struct bbr_state bbr;
};

/* undo.c: what a congestion response changed, to restore it */
struct undo_state {
	uint32_t cwnd, ssthresh, marker, retrans, retrans_ts;
	uint8_t on, rto;	/* rto: the episode had a timeout */
	union cc_state ccs;
};

/* prr.c: RFC 6937's counters for one recovery */
struct prr_state {
	uint32_t delivered, out, recover_fs;
};

struct tcp_conn {
	struct tcp_engine *e;
	struct tcp_tuple t;
	uint8_t state;
	/* negotiated */
	uint8_t ts_ok : 1, sack_ok : 1, ws_ok : 1, ecn_ok : 1, ece_pending : 1;
	/* progress */
	uint8_t fin_queued : 1;	/* the app shut down: FIN after the data */
	uint8_t app_gone : 1;	/* tcp_close: no more events */
	uint8_t ack_now : 1;	/* an ACK must go out at flush */
	uint8_t pending : 1;	/* on the engine's flush list */
	uint8_t ooo_fin : 1;	/* a FIN beyond a hole: at ooo_fin_seq */
	uint8_t hashed : 1;
	uint8_t nodelay : 1;	/* Nagle off (tcp_set_nodelay) */
	uint8_t in_recovery : 1; /* fast recovery, RFC 6582 / RFC 6675 */
	uint8_t rexmit_una : 1;	/* retransmit the segment at SND.UNA now */
	uint8_t dsack_pending : 1; /* next ACK reports dsack[] (RFC 2883) */
	uint8_t timer_kind;	/* the main timer: RTO, PERSIST, CLOSE or NONE */
	uint8_t retries;
	uint8_t dupacks;
	uint8_t ka_probes;	/* keepalives unanswered */
	uint8_t stalls;		/* timeouts since SND.UNA last moved */
	/* no ACK for a refused segment (outside the window, old timestamp,
	 * challenge) before this: Linux's tcp_invalid_ratelimit */
	uint64_t oow_until;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;		/* payload per segment, options subtracted */

	/* RFC 9293 3.3.1 send sequence variables */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	/* snd_una <= snd_nxt <= snd_max <= snd_end; snd_max: the highest
	 * SND.NXT ever sent (snd_nxt rewinds on go-back-N, it does not) */
	uint32_t snd_end;	/* sequence after the last byte queued */
	uint32_t snd_sml;	/* end of the last short segment (Nagle) */
	/* receive */
	uint32_t irs, rcv_nxt, rcv_adv;	/* rcv_adv: right edge advertised */
	uint32_t ts_recent, last_ack_sent;
	uint32_t ooo_fin_seq;
	uint8_t nooo;
	uint32_t ooo_recent;		/* a byte of the newest out-of-order segment */
	uint32_t ooo[TCP_OOO_MAX][2];	/* [start, end) above rcv_nxt, sorted */
	uint32_t dsack[2];
	uint64_t ts_recent_ns;		/* when ts_recent was taken (RFC 7323 5.5) */
	uint64_t last_rcv_ns;		/* keepalive: the peer's last segment */
	uint64_t born_ns;		/* passive open: when its cookie checked
					 * out (0: not born from a cookie) */

	/* congestion control (cc.h) and loss recovery (recovery.c) */
	const struct tcp_cc *cc;
	uint32_t cwnd, ssthresh, max_sndwnd;
	uint32_t recover;		/* RFC 6582: SND.MAX when recovery began */
	uint32_t high_rxt;		/* RFC 6675: highest byte retransmitted + 1 */
	uint32_t ca_bytes;		/* RFC 3465 byte counting */
	uint8_t nsb;
	uint32_t sb[TCP_SB_MAX][2];	/* SACKed [start, end) above snd_una, sorted */
	union cc_state ccs;
	uint32_t fast_rexmits, dsacks_in, rto_count;
	uint32_t tlp_probes, rack_losses, undos;
	struct undo_state undo;
	struct prr_state prr;
	struct rack_state rack;
	/* delivery rate (rate.c) and pacing: the cc (or the engine's
	 * default) sets pacing_rate, output holds segments until pace_at */
	uint64_t pacing_rate;		/* bytes per second; 0: unpaced */
	uint64_t pace_at;		/* the next segment leaves no earlier */
	uint64_t delivered;		/* bytes ACKed or SACKed, ever */
	uint64_t delivered_ns;		/* when delivered last grew */
	uint64_t pace_wake_at;		/* TIMER_PACE armed: 0 not */
	struct rate_state rate;

	/* RFC 6298 */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t rtt_seq;
	uint64_t rtt_start_ns;
	uint32_t retransmits;

	struct ring snd, rcv;
	uint64_t timer_at;		/* the earliest of the five below */
	uint64_t main_at, delack_at, ka_at, app_at;	/* 0: not armed */
	uint32_t stall_una;		/* SND.UNA when stalls restarted */
	uint32_t heap_idx;
	struct tcp_conn *hnext;		/* hash chain */
	struct tcp_conn *pnext;		/* flush list */
	struct tcp_conn *tw_prev, *tw_next; /* TIME-WAIT list, oldest first */
	struct tcp_conn *idle_prev, *idle_next; /* by last segment, oldest first */
	/* pmtu.c: a black-hole fallback (RFC 4821) and its trial */
	uint8_t pmtu_state;		/* PMTU_NONE, _LOWERED or _PROBING */
	uint8_t pmtu_tries;		/* fallbacks since the big size last passed */
	uint16_t pmtu_mss_hi;		/* the MSS before the fallback */
	uint32_t pmtu_mark;		/* PROBING: SND.MAX when it came back */
	uint64_t pmtu_probe_at;		/* LOWERED: when to try it again */

	const struct tcp_app *app;
	void *ctx;
};

struct tcp_engine {
	struct tcp_cfg cfg;
	struct xtcp_engine_stats own_stats, *st;
	uint64_t now;
	/* RFC 5961 7: challenge ACKs left this second, a random budget */
	uint64_t ca_second;
	uint32_t ca_left;
	uint64_t ca_rng;	/* SplitMix64 state, from the keys */
	__u64 hkey[2];		/* keyed hash: peers cannot aim at a bucket */
	__u64 iss_key[2];
	/* the engine's own cookie path: K[period] and K[period - 1] of
	 * cfg.secret (generation 1; 0 is an empty cache) */
	struct xtcp_keycache keys;
	/* connection pool: fixed, so memory is bounded by max_conns */
	uint8_t *pool;
	size_t conn_size;
	struct tcp_conn *free_list;
	uint32_t nconns;
	struct tcp_conn **buckets;
	uint32_t nbuckets;
	/* timers: a binary min-heap on timer_at */
	struct tcp_conn **heap;
	uint32_t nheap;
	struct tcp_conn *pending;
	struct tcp_conn *tw_head, *tw_tail;
	struct tcp_conn *idle_head, *idle_tail;	/* every live connection */
	uint8_t listen[65536 / 8];
};

#define ST(e, name) ((e)->st->name)

/* The MSS we advertise, from the MTU (what the XDP program offers too). */
static inline uint16_t our_mss(const struct tcp_engine *e, int v6)
{
	return v6 ? e->cfg.mss6 : e->cfg.mss4;
}

/* Payload per segment: the smaller of the two MSS values, less the
 * timestamp option every segment carries once negotiated (RFC 7323 3.2). */
static inline uint16_t conn_mss(const struct tcp_conn *c, uint16_t peer)
{
	uint16_t ours = our_mss(c->e, c->t.v6);

	return (uint16_t)((peer < ours ? peer : ours) - (c->ts_ok ? 12 : 0));
}

/* listen.c */
void conn_guard(struct tcp_engine *e, const struct xtcp_flow_key *key,
		uint32_t irs, uint32_t iss, uint64_t born_ns);

/* table.c */
struct tcp_conn *conn_lookup(struct tcp_engine *e, const struct xtcp_flow_key *k);
struct tcp_conn *conn_alloc(struct tcp_engine *e, const struct tcp_tuple *t,
			    const struct tcp_app *app);
void conn_set_state(struct tcp_conn *c, enum tcp_state s);
void conn_close(struct tcp_conn *c);
void conn_free(struct tcp_conn *c);
void conn_mark(struct tcp_conn *c);
void conn_time_wait(struct tcp_conn *c);
void conn_orphan_bound(struct tcp_conn *c);
void conn_touch(struct tcp_conn *c);

/* timer.c */
void timer_set(struct tcp_conn *c, enum tcp_timer kind, uint64_t at);
void timer_clear(struct tcp_conn *c, enum tcp_timer kind);
void timer_stop(struct tcp_conn *c);		/* the main timer */
void timer_stop_all(struct tcp_conn *c);
void rtt_sample(struct tcp_conn *c, uint32_t rtt_us);
void rto_rearm(struct tcp_conn *c);
uint64_t rto_ns(const struct tcp_conn *c);
void keepalive_arm(struct tcp_conn *c);

/* recovery.c: SACK scoreboard, dupacks, fast retransmit (RFC 5681, 6582,
 * 6675, 3042) */
void conn_cc_start(struct tcp_conn *c);
void sack_input(struct tcp_conn *c, const struct tcp_seg *s, bool *news,
		bool *dsack);
void sb_trim(struct tcp_conn *c);
bool sb_covers(const struct tcp_conn *c, uint32_t seq, uint32_t *end);
void recovery_ack(struct tcp_conn *c, uint32_t acked);
void recovery_dupack(struct tcp_conn *c);
void recovery_rto(struct tcp_conn *c);
uint32_t recovery_pipe(const struct tcp_conn *c);
/* RFC 6675 NextSeg rule 1 (lost holes), or with any, rule 3 */
bool recovery_next(const struct tcp_conn *c, bool any, uint32_t *seq, uint32_t *len);

void recovery_enter(struct tcp_conn *c);

/* cc_bbr.c: BBR's model and mode, for stats */
void bbr_get_info(const struct tcp_conn *c, struct tcp_conn_info *i);

/* rack.c: RACK-TLP loss detection (RFC 8985), where SACK is on */
static inline bool rack_on(const struct tcp_conn *c)
{
	return c->sack_ok && !c->e->cfg.no_rack;
}

void rack_sent(struct tcp_conn *c, uint32_t seq, uint32_t end);
void rack_input(struct tcp_conn *c, const struct tcp_seg *s);
void rack_detect(struct tcp_conn *c);
uint32_t rack_pipe(const struct tcp_conn *c);
bool rack_next(const struct tcp_conn *c, uint32_t *seq, uint32_t *len);
bool rack_arm(struct tcp_conn *c);
void rack_reo_fire(struct tcp_conn *c);
void rack_rto(struct tcp_conn *c);

/* prr.c: Proportional Rate Reduction (RFC 6937) */
void prr_start(struct tcp_conn *c);
void prr_sent(struct tcp_conn *c, uint32_t n);
uint32_t prr_sndcnt(struct tcp_conn *c, uint32_t delivered, uint32_t pipe);
void prr_ack(struct tcp_conn *c, uint32_t delivered);

/* rate.c: delivery-rate estimation (draft-cheng-iccrg-delivery-rate-
 * estimation-02), the sample to congestion control, the default pacing */
void rate_sent(struct tcp_conn *c, uint32_t seq, uint32_t end);
void rate_ack_begin(struct tcp_conn *c, const struct tcp_seg *s);
void rate_ack_end(struct tcp_conn *c);
void rate_app_check(struct tcp_conn *c);
void rate_lost(struct tcp_conn *c, uint32_t bytes);
void rate_rack_lost(struct tcp_conn *c, uint32_t lost_now);
void rate_resent(struct tcp_conn *c, uint32_t bytes);
void pacing_default(struct tcp_conn *c);
uint64_t pacing_quantum_ns(const struct tcp_conn *c);
void cc_event(struct tcp_conn *c, enum tcp_cc_event ev);

/* undo.c: spurious retransmissions (RFC 3708, RFC 3522) */
void undo_begin(struct tcp_conn *c);
void undo_retransmit(struct tcp_conn *c);
void undo_dsack(struct tcp_conn *c, uint32_t lo, uint32_t hi);
void undo_ack(struct tcp_conn *c, const struct tcp_seg *s, bool recovery_over);

/* output.c */
void tcp_output_tlp(struct tcp_conn *c);
bool emit(struct tcp_engine *e, const struct tcp_tuple *t, const struct wire_out *o);
uint16_t snd_mss(const struct tcp_conn *c);
void tcp_output(struct tcp_conn *c);
void tcp_output_probe(struct tcp_conn *c);
void send_ctl(struct tcp_engine *e, const struct tcp_tuple *t, uint32_t seq,
	      uint32_t ack, uint8_t flags);
void send_rst_for(struct tcp_engine *e, const struct tcp_seg *s);
void send_syn(struct tcp_conn *c);
void send_keepalive(struct tcp_conn *c);
uint32_t ts_now(const struct tcp_engine *e);
uint32_t rcv_window(const struct tcp_conn *c);

/* input.c */
void conn_input(struct tcp_conn *c, struct tcp_seg *s);
void conn_event(struct tcp_conn *c, enum tcp_event ev);
void conn_reset(struct tcp_conn *c, bool send_rst);

/* pmtu.c: ICMP too-big (RFC 1191, 8201, 5927), black holes (RFC 4821) */
void pmtu_icmp_input(struct tcp_engine *e, const uint8_t *frame, size_t len);
void pmtu_rto(struct tcp_conn *c);
void pmtu_flush(struct tcp_conn *c);

/* listen.c */
void listen_input(struct tcp_engine *e, struct tcp_seg *s);
bool listen_reborn(struct tcp_engine *e, struct tcp_seg *s);
void conn_accept(struct tcp_engine *e, struct tcp_seg *s,
		 const struct xtcp_meta *m);

#endif /* XTCP_TCP_CONN_H */
