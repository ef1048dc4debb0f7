/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one ABI between the XDP program and userspace: map value layouts,
 * the metadata the XDP program puts in front of redirected frames, and the
 * list of per-CPU counters. Compiled by clang -target bpf and by the host
 * compilers; every struct that crosses the boundary is fixed-width and
 * checked with _Static_assert.
 */
#ifndef XTCP_ABI_H
#define XTCP_ABI_H

#include <linux/types.h>

/* Pin root: maps live under XTCP_PIN_ROOT/ns<netns inode>/IFNAME/<map>. */
#define XTCP_PIN_ROOT "/sys/fs/bpf/xtcp"

/* Bounds of the maps; the flows bound is also the engine's connection cap. */
#define XTCP_MAX_QUEUES 64
#define XTCP_MAX_FLOWS 65536
/* Default bound of the replay guard (--replay-max): ended handshakes
 * remembered until their cookie expires. */
#define XTCP_REPLAY_DEFAULT 65536
/* Bound of each ACL (--allow, --deny and `xtcp acl`): prefixes. */
#define XTCP_ACL_MAX 16384

/*
 * Values of the `ports` array map: who serves the port after the handshake.
 * Engine: xtcp's TCP over AF_XDP. Kernel: the kernel's own listener, given
 * the connection at tc ingress (bpf/handoff.bpf.c, Linux 6.9+).
 */
#define XTCP_PORT_ENGINE 1
#define XTCP_PORT_KERNEL 2

/* struct xtcp_config.flags */
#define XTCP_CFG_ECN (1U << 0)		/* answer ECN-setup SYNs with ECE (RFC 3168 6.1.1) */
#define XTCP_CFG_BAD_ACK_RST (1U << 1)	/* answer ACKs with a bad cookie with RST */
#define XTCP_CFG_DRAIN (1U << 2)	/* draining: valid third ACKs get RST */
#define XTCP_CFG_ADDRS (1U << 3)	/* serve only destinations in `addrs` */

/* Bound of the `addrs` map: the addresses one interface is served on. */
#define XTCP_MAX_ADDRS 256

/* Key of the `addrs` hash map: an IPv6 or IPv4-mapped address (::ffff:a.b.c.d). */
struct xtcp_addr {
	__be32 a[4];
};
_Static_assert(sizeof(struct xtcp_addr) == 16, "xtcp_addr ABI");

/* Entry 0 of the `config` array map: set at attach, read per packet. */
struct xtcp_config {
	__u16 mss4;	/* MSS we advertise on IPv4 (never above MTU - 40) */
	__u16 mss6;	/* MSS we advertise on IPv6 (never above MTU - 60) */
	__u16 window;	/* SYN-ACK receive window, unscaled (RFC 7323 2.2) */
	__u8 wscale;	/* our shift, offered when the client offers one */
	__u8 flags;	/* XTCP_CFG_* */
};
_Static_assert(sizeof(struct xtcp_config) == 8, "xtcp_config ABI");

/*
 * Entry 0 of the `keys` array map. Cookie keys are not stored: each
 * period's key is derived from the master secret (see cookie.h), so the XDP
 * program rotates keys itself and servers sharing a master accept each
 * other's cookies. `generation` changes whenever `master` does, which
 * invalidates every CPU's cached period keys.
 */
struct xtcp_keys {
	__u64 master[2];
	__u64 generation;
};
_Static_assert(sizeof(struct xtcp_keys) == 24, "xtcp_keys ABI");

/* Entry 0 of the per-CPU `keycache` map: period keys derived on this CPU. */
struct xtcp_keycache {
	__u64 generation;	/* of the master these keys came from; 0 = empty */
	__u32 period;		/* the period `cur` belongs to */
	__u32 pad;
	__u64 cur[2];		/* key of `period` */
	__u64 prev[2];		/* key of `period - 1` */
	/* keys of `period - 2` and `- 3`: they validate nothing, they only
	 * tell an expired cookie from a forged one */
	__u64 old2[2], old3[2];
};
_Static_assert(sizeof(struct xtcp_keycache) == 80, "xtcp_keycache ABI");

/*
 * Key of the `flows` hash map. Addresses are IPv6 or IPv4-mapped IPv6
 * (::ffff:a.b.c.d), so one map serves both families; "client" is the
 * remote end, "server" the address and port we serve.
 */
struct xtcp_flow_key {
	__be32 client[4];
	__be32 server[4];
	__be16 client_port;
	__be16 server_port;
};
_Static_assert(sizeof(struct xtcp_flow_key) == 36, "xtcp_flow_key ABI");

/* Value of the `flows` map: inserted by XDP, deleted by the engine. */
struct xtcp_flow {
	__u32 queue;		/* RX queue the handshake completed on */
	__u32 flags;		/* reserved for the engine */
	__u64 created_ns;	/* bpf_ktime_get_ns() at insert */
};
_Static_assert(sizeof(struct xtcp_flow) == 16, "xtcp_flow ABI");

/*
 * Key of the `replay` LRU hash: the 4-tuple and client ISN of a cookie
 * handshake that has ended (connection closed or aborted, or the handshake
 * abandoned with an RST). While its cookie could still validate, a third
 * ACK with this tuple and SEG.SEQ - 1 == irs is a replay and opens nothing;
 * a new ISN on the same tuple is a new connection and is not in the map.
 */
struct xtcp_replay_key {
	struct xtcp_flow_key flow;
	__u32 irs;		/* client ISN */
};
_Static_assert(sizeof(struct xtcp_replay_key) == 40, "xtcp_replay_key ABI");

/* Value of the `replay` map. Written by the engine and, for an abandoned
 * handshake, by XDP; entries past their time are ignored (and evicted
 * oldest first when the map is full: see README, replay guard). */
struct xtcp_replay {
	__u64 expires_tai_ns;	/* CLOCK_TAI when the cookie stops validating */
};
_Static_assert(sizeof(struct xtcp_replay) == 8, "xtcp_replay ABI");

/*
 * Key of the `acl` LPM trie (BPF_MAP_TYPE_LPM_TRIE): a prefix of the
 * client address. IPv4 prefixes are IPv4-mapped (::ffff:a.b.c.d/96+len),
 * as in xtcp_flow_key, so one trie holds both families.
 */
struct xtcp_acl_key {
	__u32 prefixlen;	/* 0-128 */
	__be32 addr[4];
};
_Static_assert(sizeof(struct xtcp_acl_key) == 20, "xtcp_acl_key ABI");

/* xtcp_acl.verdict. The longest matching prefix decides; with no match a
 * client is allowed. XTCP_ACL_ALLOW_ONLY is the ::/0 entry userspace keeps
 * while any allow prefix exists: an allow list denies everyone else. */
#define XTCP_ACL_ALLOW 1
#define XTCP_ACL_DENY 2
#define XTCP_ACL_ALLOW_ONLY 3

struct xtcp_acl {
	__u32 verdict;		/* XTCP_ACL_* */
};
_Static_assert(sizeof(struct xtcp_acl) == 4, "xtcp_acl ABI");

/* struct xtcp_meta.flags */
#define XTCP_META_NEW (1U << 0)		/* this frame completed the handshake */
#define XTCP_META_SACK (1U << 1)	/* client sent SACK-permitted */
#define XTCP_META_TS (1U << 2)		/* timestamps negotiated */
#define XTCP_META_ECN (1U << 3)		/* ECN negotiated */
#define XTCP_META_ICMP (1U << 4)	/* an ICMP error quoting one of our
					 * segments (RFC 1191, 8201): no TCP */
#define XTCP_META_KERNEL (1U << 5)	/* passed for the kernel's listener (tc) */
#define XTCP_META_MAGIC 0x7854		/* "xT" */
#define XTCP_WSCALE_NONE 0xf		/* no window scaling negotiated */
#define XTCP_WSCALE_MAX 14		/* RFC 7323 2.3 */

/*
 * Metadata in front of every frame redirected to AF_XDP (XDP data_meta,
 * at most 32 bytes). `magic` is last so the engine finds it right before
 * the frame. For XTCP_META_NEW frames it carries what the SYN negotiated,
 * decoded from the cookie, so the engine needs no second validation.
 */
struct xtcp_meta {
	__u32 iss;		/* our ISN: the cookie */
	__u32 irs;		/* client ISN */
	__u32 ts_val;		/* client TSval in this segment (TS.Recent) */
	__u32 ts_ecr;		/* TSecr: our SYN-ACK TSval echoed back */
	__u16 mss;		/* client MSS, from the cookie's MSS table */
	__u8 snd_wscale;	/* client's shift, XTCP_WSCALE_NONE if none */
	__u8 rcv_wscale;	/* our shift, XTCP_WSCALE_NONE if none */
	__u8 flags;		/* XTCP_META_* */
	__u8 pad;
	__u16 magic;		/* XTCP_META_MAGIC */
};
_Static_assert(sizeof(struct xtcp_meta) == 24, "xtcp_meta ABI");

/*
 * Every packet the XDP program sees ends in exactly one of these outcomes,
 * counted per CPU. X(name, action, description): the action is the XDP
 * verdict the outcome implies. Order is ABI: the `stats` value is a struct
 * with one __u64 per outcome, in this order, so bpftool prints names.
 */
#define XTCP_STATS(X)							\
	X(pass_not_ip, PASS, "not IPv4 or IPv6 (ARP, LLDP, ...)")	\
	X(pass_not_tcp, PASS, "IP but not TCP (ICMP, UDP, ...)")	\
	X(pass_port, PASS, "TCP to a port not served")			\
	X(pass_addr, PASS, "TCP to a served port of an address not served") \
	X(pass_frag, PASS, "non-first IP fragment (no ports to see)")	\
	X(pass_malformed_ip, PASS, "IP header the kernel will reject")	\
	X(pass_icmp, PASS, "ICMP too-big quoting no flow of this queue")	\
	X(pass_icmp_trunc, PASS, "ICMP too-big too short to quote TCP ports and seq") \
	X(pass_kernel_conn, PASS, "kernel port: segment of a kernel socket") \
	X(syn_ack, TX, "SYN answered with a cookie SYN-ACK")		\
	X(syn_ack_no_mss, TX, "SYN-ACK without MSS option (no tailroom)") \
	X(rst_bad_ack, TX, "bad third ACK answered with RST")		\
	X(rst_drain, TX, "valid third ACK refused with RST: draining")	\
	X(rst_no_listener, TX, "valid third ACK, kernel port, no listener") \
	X(rst_replay, TX, "replayed third ACK answered with RST (--bad-ack rst)") \
	X(flow, REDIRECT, "segment of a known flow to AF_XDP")		\
	X(flow_new, REDIRECT, "valid third ACK: flow created")		\
	X(icmp_flow, REDIRECT, "ICMP too-big quoting a flow: to its engine") \
	X(handoff, PASS, "valid third ACK: to the kernel's listener")	\
	X(drop_bad_cookie, DROP, "ACK with an invalid cookie")		\
	X(drop_cookie_expired, DROP, "ACK with an expired cookie")	\
	X(drop_replay, DROP, "valid cookie of a handshake that has ended: replay") \
	X(drop_acl_deny, DROP, "SYN or third ACK from a --deny prefix")	\
	X(drop_acl_not_allowed, DROP, "SYN or third ACK from outside every --allow prefix") \
	X(drop_not_ack, DROP, "no flow, no SYN, no ACK (FIN, null)")	\
	X(drop_rst, DROP, "RST or RST|ACK with no flow")		\
	X(drop_rst_handshake, DROP, "RST|ACK with a valid cookie: handshake closed") \
	X(drop_syn_ack, DROP, "SYN|ACK to a served port")		\
	X(drop_syn_fin, DROP, "SYN with FIN")				\
	X(drop_syn_rst, DROP, "SYN with RST")				\
	X(drop_syn_long, DROP, "SYN too long to checksum")		\
	X(drop_ip_csum, DROP, "SYN with a bad IPv4 header checksum")	\
	X(drop_tcp_csum, DROP, "SYN with a bad TCP checksum")		\
	X(drop_ip_len, DROP, "IP length disagrees with the frame")	\
	X(drop_ip_frag, DROP, "IPv4 fragment to a served port")		\
	X(drop_ipv6_ext, DROP, "IPv6 extension header, served port")	\
	X(drop_tcp_trunc, DROP, "frame ends inside the TCP header")	\
	X(drop_tcp_doff, DROP, "TCP data offset below 5 or past the end") \
	X(drop_tcp_opt, DROP, "TCP option runs past the header")	\
	X(drop_no_xsk, DROP, "no AF_XDP socket on the RX queue")	\
	X(drop_flows_full, DROP, "flows map full")			\
	X(drop_meta, DROP, "no room for metadata")			\
	X(drop_resize, DROP, "frame could not be resized for reply")	\
	X(drop_internal, DROP, "map lookup failed (cannot happen)")

enum xtcp_stat {
#define XTCP_STAT_ENUM(name, action, desc) XTCP_STAT_##name,
	XTCP_STATS(XTCP_STAT_ENUM)
#undef XTCP_STAT_ENUM
	XTCP_STAT__MAX
};

/* Value of entry 0 of the per-CPU `stats` array map. */
struct xtcp_stats {
#define XTCP_STAT_FIELD(name, action, desc) __u64 name;
	XTCP_STATS(XTCP_STAT_FIELD)
#undef XTCP_STAT_FIELD
};
_Static_assert(sizeof(struct xtcp_stats) == XTCP_STAT__MAX * sizeof(__u64),
	       "xtcp_stats ABI: one __u64 per outcome, no padding");

/*
 * What the tc ingress program (bpf/handoff.bpf.c) did with each frame the
 * XDP program passed with XTCP_META_KERNEL metadata: one outcome each, per
 * CPU, in the `handoff` map. X(name, description).
 */
#define XTCP_HANDOFF_STATS(X)						\
	X(handed, "request socket assigned: the kernel completes the connection") \
	X(no_listener, "listener gone since XDP: the kernel answers RST") \
	X(has_socket, "4-tuple already has a socket (third ACK repeated)") \
	X(bad_meta, "metadata disagrees with the segment: passed as is") \
	X(short_frame, "headers not in the linear part: passed as is") \
	X(fail_einval, "assign refused: EINVAL (sysctl off, bad attrs)") \
	X(fail_enomem, "assign failed: ENOMEM (dropped; the client retries)") \
	X(fail_netns, "assign refused: listener in another netns")	\
	X(fail_other, "assign failed: another error")

enum xtcp_handoff_stat {
#define XTCP_HANDOFF_ENUM(name, desc) XTCP_HANDOFF_##name,
	XTCP_HANDOFF_STATS(XTCP_HANDOFF_ENUM)
#undef XTCP_HANDOFF_ENUM
	XTCP_HANDOFF__MAX
};

/* Value of entry 0 of the per-CPU `handoff` array map. */
struct xtcp_handoff_stats {
#define XTCP_HANDOFF_FIELD(name, desc) __u64 name;
	XTCP_HANDOFF_STATS(XTCP_HANDOFF_FIELD)
#undef XTCP_HANDOFF_FIELD
};
_Static_assert(sizeof(struct xtcp_handoff_stats) ==
	       XTCP_HANDOFF__MAX * sizeof(__u64), "xtcp_handoff_stats ABI");

/*
 * The engine's counters, one slot per RX queue in the `engine` array map
 * (mmapable: the queue's thread writes its slot in place, `xtcp stats` and
 * bpftool read it). X(name, kind, description): kind GAUGE is a level (the
 * connections in a state now), COUNT only grows.
 */
#define XTCP_ENGINE_STATS(X)						\
	X(conn_syn_sent, GAUGE, "connections in SYN-SENT")		\
	X(conn_syn_received, GAUGE, "connections in SYN-RECEIVED")	\
	X(conn_established, GAUGE, "connections in ESTABLISHED")	\
	X(conn_close_wait, GAUGE, "connections in CLOSE-WAIT")		\
	X(conn_last_ack, GAUGE, "connections in LAST-ACK")		\
	X(conn_fin_wait_1, GAUGE, "connections in FIN-WAIT-1")		\
	X(conn_fin_wait_2, GAUGE, "connections in FIN-WAIT-2")		\
	X(conn_closing, GAUGE, "connections in CLOSING")		\
	X(conn_time_wait, GAUGE, "connections in TIME-WAIT")		\
	X(accepted, COUNT, "connections born from a third ACK")		\
	X(accepted_late, COUNT, "of them, born from a later segment's cookie: the third ACK was lost") \
	X(connected, COUNT, "active opens that completed")		\
	X(closed, COUNT, "connections freed")				\
	X(replay_guarded, COUNT, "ended connections put in the replay guard") \
	X(replay_guard_fail, COUNT, "ended connections the replay guard could not take") \
	X(refused_max_conns, COUNT, "third ACK refused with RST: --max-conns") \
	X(time_wait_recycled, COUNT, "TIME-WAIT ended early to admit a new connection") \
	X(aborted, COUNT, "connections aborted (RST sent or received)")	\
	X(segs_in, COUNT, "segments received")				\
	X(segs_out, COUNT, "segments sent")				\
	X(bytes_in, COUNT, "payload bytes delivered in order")		\
	X(bytes_out, COUNT, "payload bytes sent (retransmits included)") \
	X(retransmits, COUNT, "segments sent again")			\
	X(rto_expiries, COUNT, "retransmission timeouts")		\
	X(rst_in, COUNT, "acceptable RSTs received")			\
	X(rst_out, COUNT, "RSTs sent")					\
	X(challenge_acks, COUNT, "challenge ACKs sent (RFC 5961)")	\
	X(challenge_acks_limited, COUNT, "challenge ACKs not sent: 500 ms per connection, or the engine's random budget a second") \
	X(oow_acks_limited, COUNT, "ACKs not sent for a refused segment without data: 500 ms per connection") \
	X(fast_retransmits, COUNT, "fast retransmits: recoveries entered (RFC 5681, 6675)") \
	X(tlp_probes, COUNT, "tail loss probes sent (RFC 8985 7)")	\
	X(tlp_recoveries, COUNT, "losses a tail loss probe repaired (RFC 8985 7.4)") \
	X(rack_reo_timeouts, COUNT, "RACK reordering windows that ended (RFC 8985 6.3)") \
	X(undos, COUNT, "congestion responses undone: spurious by D-SACK or timestamp (RFC 3708, 3522)") \
	X(pacing_holds, COUNT, "times pacing held a connection's next segment until its release time") \
	X(rate_samples, COUNT, "delivery-rate samples taken (draft-cheng-iccrg-delivery-rate-estimation)") \
	X(rate_samples_app_limited, COUNT, "of them, from data sent while the app had nothing more to send") \
	X(rate_rec_full, COUNT, "delivery-rate send records merged or forgotten: a connection's list was full") \
	X(retry_aborts, COUNT, "connections aborted after the retry limit") \
	X(bbr_bw_probes, COUNT, "BBR bandwidth probes: ProbeBW_UP entered") \
	X(bbr_probe_rtts, COUNT, "BBR ProbeRTT entered: min RTT 5 s old") \
	X(bbr_inflight_cuts, COUNT, "BBR inflight_longterm set from losses above 2% a round") \
	X(dsacks_in, COUNT, "D-SACKs received: the peer got a segment twice") \
	X(dsacks_out, COUNT, "D-SACKs sent for duplicate segments (RFC 2883)") \
	X(drop_paws, COUNT, "segments with an old timestamp (PAWS, RFC 7323 5)") \
	X(delayed_acks, COUNT, "ACKs sent by the delayed-ACK timer")	\
	X(persist_probes, COUNT, "zero-window probes sent")		\
	X(keepalive_probes, COUNT, "keepalive probes sent")		\
	X(keepalive_aborts, COUNT, "connections aborted: keepalives unanswered") \
	X(orphan_aborts, COUNT, "closed connections aborted: --orphan-retries timeouts") \
	X(idle_reclaimed, COUNT, "idle connections aborted to admit a new one (pool full)") \
	X(icmp_in, COUNT, "ICMP too-big frames received (RFC 1191, 8201)") \
	X(pmtu_updates, COUNT, "connections' MSS lowered by an ICMP too-big") \
	X(pmtu_blackholes, COUNT, "connections' MSS lowered after timeouts in a row (RFC 4821 black hole)") \
	X(pmtu_raised, COUNT, "MSS tried again at its size before a black-hole fallback") \
	X(pmtu_if_mtu, COUNT, "connections' MSS lowered by an interface MTU change") \
	X(drop_icmp, COUNT, "ICMP too-big ignored: malformed, no connection, or seq outside SND.UNA..SND.MAX (RFC 5927 4.1)") \
	X(ooo_segs, COUNT, "segments queued out of order")		\
	X(syn_ack_sw, COUNT, "SYNs answered by the engine's cookie path") \
	X(drop_csum, COUNT, "segments with a bad IP or TCP checksum")	\
	X(drop_malformed, COUNT, "frames that are not a TCP segment")	\
	X(drop_no_conn, COUNT, "segments for no connection (RST unless they carry one, lack ACK, or XDP knew the flow)") \
	X(drop_unacceptable, COUNT, "segments outside the window (RFC 9293 3.10.7.4)") \
	X(drop_bad_cookie, COUNT, "ACKs failing the engine's cookie check") \
	X(drop_meta, COUNT, "redirected frames without valid metadata") \
	X(drop_no_tx_frame, COUNT, "segments not sent: no free TX frame") \
	X(rx_frames, COUNT, "frames read from the AF_XDP RX ring")	\
	X(umem_lost, COUNT, "RX frames the fill ring had no room for (cannot happen)") \
	X(tx_frames, COUNT, "frames put on the AF_XDP TX ring")		\
	X(xsk_rx_dropped, COUNT, "frames the kernel dropped for this socket (XDP_STATISTICS)") \
	X(xsk_rx_ring_full, COUNT, "of them: the RX ring was full (the engine fell behind)") \
	X(xsk_fill_ring_empty, COUNT, "times the fill ring was empty on receive") \
	X(xsk_tx_ring_empty, COUNT, "times the kernel found the TX ring empty") \
	X(flows_orphaned, COUNT, "flows no connection owned 1 s after XDP inserted them: removed") \
	X(flows_prompted, COUNT, "of them, whose client was asked for an ACK (a live one is born from it)") \
	X(rx_multi, COUNT, "jumbo frames received in several UMEM frames (XDP_USE_SG)") \
	X(tx_multi, COUNT, "jumbo frames sent in several UMEM frames (XDP_USE_SG)") \
	X(drop_rx_long, COUNT, "frames longer than the MTU allows, dropped") \
	X(umem_fill, GAUGE, "UMEM frames on the fill ring")		\
	X(umem_tx_free, GAUGE, "UMEM TX frames free")			\
	X(umem_tx_busy, GAUGE, "UMEM TX frames in flight")		\
	X(umem_frames, GAUGE, "UMEM frames in all")			\
	X(umem_bytes, GAUGE, "UMEM bytes: frames of 2048, of 4096 for a jumbo MTU") \
	X(proxy_conns, COUNT, "proxy: client connections joined to a backend") \
	X(proxy_fail_refused, COUNT, "proxy: backend connects refused")	\
	X(proxy_fail_timeout, COUNT, "proxy: backend connects timed out (--connect-timeout)") \
	X(proxy_fail_other, COUNT, "proxy: backend connects failed otherwise (unreachable, no socket)") \
	X(proxy_no_backend, COUNT, "proxy: clients reset: no backend answered") \
	X(proxy_backend_resets, COUNT, "proxy: clients reset: their backend reset or failed") \
	X(proxy_client_resets, COUNT, "proxy: backends reset: their client reset") \
	X(proxy_bytes_to_backend, COUNT, "proxy: bytes written to backends (PROXY headers included)") \
	X(proxy_bytes_to_client, COUNT, "proxy: bytes from backends queued to clients") \
	X(proxy_open, GAUGE, "proxy: backend sockets open")		\
	X(proxy_wait_backend, GAUGE, "proxy: connections whose client bytes wait on a slow backend") \
	X(proxy_wait_client, GAUGE, "proxy: connections whose backend bytes wait on a slow client")

enum xtcp_engine_stat {
#define XTCP_ENGINE_STAT_ENUM(name, kind, desc) XTCP_ENGINE_##name,
	XTCP_ENGINE_STATS(XTCP_ENGINE_STAT_ENUM)
#undef XTCP_ENGINE_STAT_ENUM
	XTCP_ENGINE__MAX
};

/* Value of each entry of the `engine` array map: one per RX queue. */
struct xtcp_engine_stats {
#define XTCP_ENGINE_STAT_FIELD(name, kind, desc) __u64 name;
	XTCP_ENGINE_STATS(XTCP_ENGINE_STAT_FIELD)
#undef XTCP_ENGINE_STAT_FIELD
};
_Static_assert(sizeof(struct xtcp_engine_stats) ==
	       XTCP_ENGINE__MAX * sizeof(__u64), "xtcp_engine_stats ABI");

#endif /* XTCP_ABI_H */
