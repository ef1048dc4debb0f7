// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The xtcp XDP program: answers SYNs to served ports with cookie SYN-ACKs
 * (no state kept), validates third ACKs, and hands proven flows to AF_XDP
 * sockets. Everything else passes to the kernel untouched.
 *
 *   parse ─┬─ not ours ────────────────────────────► XDP_PASS
 *          ├─ malformed, to a served port ─────────► XDP_DROP (by reason)
 *          ├─ ICMP too-big quoting a flow ─────────► redirect xsks[queue]
 *          ├─ flow known ──────────────────────────► redirect xsks[queue]
 *          ├─ kernel port, the kernel has a socket ► XDP_PASS (established,
 *          │                                          TIME-WAIT: theirs)
 *          ├─ SYN ─► client denied by the ACL ─────► XDP_DROP
 *          ├─ SYN ─► SYN-ACK, ISN = cookie ────────► XDP_TX
 *          ├─ RST|ACK ─► cookie valid ─► remember in replay ─► XDP_DROP
 *          └─ ACK ─► cookie valid ─┬─ replay, or client denied ─► XDP_DROP
 *                                  ├─ engine port: insert flow ► redirect xsks[queue]
 *                                  └─ kernel port: metadata ───► XDP_PASS ─► tc
 *                                     (bpf/handoff.bpf.c assigns a request
 *                                      socket of the listener), or RST if
 *                                      nothing listens
 *                    else ─────────────────────────► XDP_DROP, or RST (XDP_TX)
 *
 * One exit counts each packet under exactly one enum xtcp_stat.
 */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xtcp/abi.h"
#include "xtcp/cookie.h"
#include "parse.h"
#include "csum.h"
#include "reply.h"
#include "xtcp/handoff.h"
#include "xtcp/bench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Benchmark only (xtcp-xdpcost --stages): stop a SYN after stage n of the
 * XTCP_COST_* points below, verdict XDP_DROP, to time the SYN path stage
 * by stage. Read-only data: at 0, as every production load leaves it, the
 * verifier knows each test false and removes it as dead code.
 */
const volatile __u32 xtcp_cost_stop = 0;
#define COST_STOP(n)							\
	do {								\
		if (xtcp_cost_stop == (n))				\
			return XTCP_STAT_drop_internal;			\
	} while (0)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtcp_config);
} xtcp_config SEC(".maps");

/* Served destination ports: XTCP_PORT_ENGINE or _KERNEL at index port. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} xtcp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtcp_keys);
} xtcp_keys SEC(".maps");

/* The destination addresses served (XTCP_CFG_ADDRS): the interface's own
 * by default, kept current by serve. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XTCP_MAX_ADDRS);
	__type(key, struct xtcp_addr);
	__type(value, __u8);
} xtcp_addrs SEC(".maps");

/*
 * This CPU's last answer from `addrs`, kept for the jiffy it was looked up
 * in: the hash lookup costs a segment to a served port about 14 ns
 * (xtcp-xdpcost --stages, stage parse), the memo a compare, and a flood
 * comes to one address. A change to `addrs` so takes effect within a tick
 * (1/HZ), where serve's own watch of the interface's addresses runs once a
 * second.
 */
struct addr_memo {
	__u64 jiffies;
	__be32 addr[4];
	__u32 served;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct addr_memo);
} xtcp_addr_memo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtcp_keycache);
} xtcp_keycache SEC(".maps");

#include "flows.h"

/*
 * Entries in xtcp_flows, or more, never fewer: XDP counts one before it
 * inserts (and takes it back if the insert fails), the engine takes one off
 * after each delete that succeeded (user/queue.c). While it is 0 no
 * segment can belong to a flow and classify skips the lookup (a hash of
 * the 36-byte key: 15 ns a segment, xtcp-xdpcost --stages): a flood met
 * while no connection is open pays nothing for it. A deleter that does not
 * count (another process on the pinned map) only leaves it too high, which
 * costs the lookup and nothing else. In .bss, which userspace reaches
 * through the skeleton's mmap.
 */
__s64 xtcp_flows_live;

static __always_inline int flows_maybe(void)
{
	return *(volatile __s64 *)&xtcp_flows_live != 0;
}

/*
 * This CPU's SipHash state after the server words of a cookie's message
 * (see xtcp_cookie_msg), one entry per family (0 IPv4, 1 IPv6), for the
 * key of `period` under the master of `generation`. Every SYN to one
 * service has the same server words, so a SYN starts from here: IPv4 pays
 * 2 of SipHash's compression words instead of 3, IPv6 3 instead of 6. The
 * function computed is SipHash-2-4 of the whole message all the same.
 */
struct cookie_prefix {
	__u64 generation;	/* 0: empty */
	__u32 period;
	__u32 pad;
	__u64 m[3];		/* the server words it was computed for */
	struct xtcp_sip sip;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct cookie_prefix);
} xtcp_cookie_prefix SEC(".maps");

/*
 * This CPU's last CLOCK_TAI read and the jiffy it was made in: a SYN takes
 * the time from here, read anew only when the jiffy has moved. Reading the
 * clock is a helper call that costs a SYN about 30 ns (xtcp-xdpcost
 * --stages); bpf_jiffies64() is inlined by the verifier to one load. The
 * time is then at most one tick (1/HZ) old, which a SYN-ACK can afford:
 * its TSval only has to be not ahead of the clock (and loses 64 ms to the
 * option bits anyway), and a cookie of a period that ended a tick ago is
 * still accepted for the whole next period.
 */
struct clock_cache {
	__u64 jiffies;
	__u64 tai_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_cache);
} xtcp_clock SEC(".maps");

/*
 * The replay guard: cookie handshakes that have ended, kept until their
 * cookie expires (struct xtcp_replay_key). Written by the engine when a
 * connection ends and here when a client abandons a handshake; read only
 * for ACKs whose cookie validated, so neither SYNs nor forged ACKs pay for
 * it. LRU: when full, the oldest entries go (their replay window reopens);
 * a legitimate client is never refused for it. Sized by --replay-max.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XTCP_REPLAY_DEFAULT);
	__type(key, struct xtcp_replay_key);
	__type(value, struct xtcp_replay);
} xtcp_replay SEC(".maps");

/* The operator's --allow/--deny prefixes (struct xtcp_acl_key). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XTCP_ACL_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xtcp_acl_key);
	__type(value, struct xtcp_acl);
} xtcp_acl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XTCP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xtcp_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xtcp_stats);
} xtcp_stats SEC(".maps");

/*
 * The engine's counters, one entry per queue. Userspace mmaps it and each
 * queue's thread writes its own entry; the XDP program never touches it.
 * It lives here so it is pinned and typed (BTF) like the XDP counters.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XTCP_MAX_QUEUES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xtcp_engine_stats);
} xtcp_engine SEC(".maps");

/* The XDP verdict each outcome implies (the action column of XTCP_STATS). */
static __always_inline int stat_action(int stat)
{
	switch (stat) {
#define XTCP_STAT_CASE(name, action, desc)				\
	case XTCP_STAT_##name:						\
		return XDP_##action;
	XTCP_STATS(XTCP_STAT_CASE)
#undef XTCP_STAT_CASE
	}
	return XDP_DROP;
}

static __always_inline void stat_count(int stat)
{
	__u64 *c, idx = (__u32)stat;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&xtcp_stats, &zero);
	/*
	 * Pin idx to one register: else clang bounds a copy and indexes with
	 * the original ("R0 unbounded memory access").
	 */
	asm volatile("" : "+r"(idx));
	if (c && idx < XTCP_STAT__MAX)
		c[idx]++;
}

/*
 * This CPU's keys for `period` back to `period - 3`, derived from the master
 * secret when the period or the master changed (see include/xtcp/cookie.h).
 * Per-CPU, so no CPU ever reads a key another is writing.
 */
static __always_inline struct xtcp_keycache *period_keys(__u32 period)
{
	struct xtcp_keycache *kc;
	struct xtcp_keys *keys;
	__u32 zero = 0;

	keys = bpf_map_lookup_elem(&xtcp_keys, &zero);
	kc = bpf_map_lookup_elem(&xtcp_keycache, &zero);
	if (!keys || !kc || !keys->generation)
		return NULL;
	xtcp_keycache_refresh(kc, keys->master, keys->generation, period);
	return kc;
}

/*
 * The cookie of a SYN (xtcp_cookie_make's), from this CPU's cached state
 * after the server words when it is for this service and key.
 */
static __always_inline __u32 syn_cookie(const struct xtcp_keycache *kc,
					__u32 period, const struct pkt *p,
					__u32 mss_idx)
{
	__u64 m[XTCP_COOKIE_MSG_MAX];
	struct cookie_prefix *c;
	struct xtcp_sip sip;
	__u32 fam = p->v6, mac;

	xtcp_cookie_msg(&p->fk, p->v6, p->seq, mss_idx, m);
	c = bpf_map_lookup_elem(&xtcp_cookie_prefix, &fam);
	if (!c)
		return xtcp_cookie_make(kc->cur, period, &p->fk, p->v6, p->seq,
					mss_idx);
	if (!p->v6) {
		if (c->generation != kc->generation || c->period != period ||
		    c->m[0] != m[0]) {
			xtcp_sip_init(&c->sip, kc->cur);
			xtcp_sip_absorb(&c->sip, m, 1);
			c->m[0] = m[0];
			c->period = period;
			c->generation = kc->generation;
		}
		sip = c->sip;
		xtcp_sip_absorb(&sip, m + 1, 2);
		mac = (__u32)xtcp_sip_final(&sip, 3);
	} else {
		if (c->generation != kc->generation || c->period != period ||
		    c->m[0] != m[0] || c->m[1] != m[1] || c->m[2] != m[2]) {
			xtcp_sip_init(&c->sip, kc->cur);
			xtcp_sip_absorb(&c->sip, m, 3);
			c->m[0] = m[0];
			c->m[1] = m[1];
			c->m[2] = m[2];
			c->period = period;
			c->generation = kc->generation;
		}
		sip = c->sip;
		xtcp_sip_absorb(&sip, m + 3, 3);
		mac = (__u32)xtcp_sip_final(&sip, 6);
	}
	return xtcp_cookie_from_mac(mac & XTCP_COOKIE_MAC_MASK, period, mss_idx);
}

/* CLOCK_TAI to within a tick (see xtcp_clock). */
static __always_inline __u64 tai_now_coarse(void)
{
	struct clock_cache *c;
	__u64 j = bpf_jiffies64();
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&xtcp_clock, &zero);
	if (!c)
		return bpf_ktime_get_tai_ns();
	if (c->jiffies != j) {
		c->tai_ns = bpf_ktime_get_tai_ns();
		c->jiffies = j;
	}
	return c->tai_ns;
}

/* The milliseconds the TSval clock runs on: CLOCK_TAI, as the engine's. */
static __always_inline __u32 ts_now_ms(__u64 tai_ns)
{
	return (__u32)(tai_ns / 1000000);
}

/* Is the destination an address served (the `addrs` map, through this
 * CPU's memo)? */
static __always_inline int addr_served(const struct pkt *p)
{
	const __be32 *a = p->fk.server;
	struct addr_memo *m;
	__u64 j = bpf_jiffies64();
	__u32 zero = 0;

	m = bpf_map_lookup_elem(&xtcp_addr_memo, &zero);
	if (!m)
		return bpf_map_lookup_elem(&xtcp_addrs, a) != NULL;
	if (m->jiffies != j || m->addr[3] != a[3] || m->addr[2] != a[2] ||
	    m->addr[1] != a[1] || m->addr[0] != a[0]) {
		m->served = bpf_map_lookup_elem(&xtcp_addrs, a) != NULL;
		m->addr[0] = a[0];
		m->addr[1] = a[1];
		m->addr[2] = a[2];
		m->addr[3] = a[3];
		m->jiffies = j;
	}
	return m->served;
}

/*
 * Stage: served port, on an address served? Consulted first, so others'
 * traffic is never touched: a packet for an address the host does not own
 * (or one not named by --addr) is the kernel's to route or refuse.
 */
static __always_inline int stage_port(struct pkt *p, const struct xtcp_config *cfg)
{
	__be16 *ports = p->data + (p->l4_off & PKT_OFF_MASK);
	__u32 dport;
	__u8 *served;

	if ((void *)(ports + 2) > p->data_end)
		return XTCP_STAT_drop_tcp_trunc;
	p->fk.client_port = ports[0];
	p->fk.server_port = ports[1];
	dport = bpf_ntohs(ports[1]);
	served = bpf_map_lookup_elem(&xtcp_ports, &dport);
	if (!served || !*served)
		return XTCP_STAT_pass_port;
	if ((cfg->flags & XTCP_CFG_ADDRS) && !addr_served(p))
		return XTCP_STAT_pass_addr;
	p->port_mode = *served;
	/* a kernel port's own sockets come first: see stage_kernel_sock */
	if (p->port_mode == XTCP_PORT_KERNEL)
		return XTCP_CONTINUE;
	return p->pending_drop;
}

/* RFC 1071 checks of a SYN before answering it: a SYN is small, and all
 * in the linear part (a SYN running into frags is a long one). */
static __always_inline int syn_checksums(struct pkt *p)
{
	__u64 sum = 0;

	if (p->frame_len != (__u32)(p->data_end - p->data))
		return XTCP_STAT_drop_syn_long;
	if (!p->v6 &&
	    (!csum_pkt(p->data, p->data_end, p->l3_off, p->ip_hlen, &sum) ||
	     csum_fold(sum) != 0xffff))
		return XTCP_STAT_drop_ip_csum;
	if (p->tcp_len > CSUM_MAX_BYTES)
		return XTCP_STAT_drop_syn_long;
	sum = csum_pseudo(p->fk.client, p->fk.server, p->v6, p->tcp_len);
	if (!csum_pkt(p->data, p->data_end, p->l4_off, p->tcp_len, &sum) ||
	    csum_fold(sum) != 0xffff)
		return XTCP_STAT_drop_tcp_csum;
	return XTCP_CONTINUE;
}

/* Four option bytes as one word, in network order. */
#define OPT_WORD(a, b, c, d)						\
	bpf_htonl((__u32)(a) << 24 | (__u32)(b) << 16 | (__u32)(c) << 8 | (d))

/* Our SYN-ACK options, in the order Linux writes them; stored a word at a
 * time (opts is aligned), not byte by byte. */
static __always_inline void syn_ack_opts(struct reply *r, __u16 mss,
					 int ts, int sack, int ws, __u8 wscale,
					 __u32 tsval, __u32 tsecr)
{
	__be32 *o = (__be32 *)r->opts;

	o[0] = OPT_WORD(TCPO_MSS, 4, mss >> 8, mss & 0xff);
	r->mss_first = 1;
	r->optlen = 4;
	if (!ts)
		return;
	o[1] = sack ? OPT_WORD(TCPO_SACK_PERM, 2, TCPO_TS, 10) :
		      OPT_WORD(TCPO_NOP, TCPO_NOP, TCPO_TS, 10);
	o[2] = bpf_htonl(tsval);
	o[3] = bpf_htonl(tsecr);
	r->optlen = 16;
	if (!ws)
		return;
	o[4] = OPT_WORD(TCPO_NOP, TCPO_WSCALE, 3, wscale);
	r->optlen = 20;
}

/*
 * Is this SYN in the layout syn_ack_in_place answers: IPv4 without options
 * or IPv6 without extension headers, Linux's 20 option bytes, no payload,
 * nothing past the IP length, all in the linear part?
 */
static __always_inline int syn_common_layout(const struct pkt *p)
{
	return p->opt.linux_syn && p->tcp_len == 40 &&
	       p->ip_hlen == (p->v6 ? 40U : 20U) &&
	       p->frame_len == p->l3_off + p->ip_hlen + 40 &&
	       p->frame_len == (__u32)(p->data_end - p->data);
}

/*
 * The SYN-ACK of a SYN in the common layout, built in place: it has the
 * SYN's length, so nothing moves; MACs, addresses and ports swap where they
 * are and only the words that change are rewritten. Both checksums are
 * updated from the SYN's (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over the
 * changed words; the swapped ones and the pseudo-header sum the same),
 * not computed afresh. So they are right exactly when the SYN's were: a
 * SYN corrupted on the way gets a SYN-ACK whose checksum fails and that the
 * client's stack drops, as it would one corrupted on its own way, which is
 * why this path does not verify the SYN's checksums first. Nothing is kept
 * for a SYN, so answering a corrupted one costs what answering any SYN
 * costs; it is counted as syn_ack.
 */
static __always_inline int syn_ack_in_place(struct pkt *p,
					    const struct xtcp_config *cfg,
					    __u32 cookie, __u32 tsval, int ecn)
{
	__u16 *eth = p->data, *w, t16;
	__u8 *l3 = p->data + (p->l3_off & 0x1f);
	__be32 *th, t32;
	__u64 sum;
	__u16 mss;
	int i;

	if ((void *)(eth + 6) > p->data_end)
		return XTCP_STAT_drop_resize;
#pragma unroll
	for (i = 0; i < 3; i++) {
		t16 = eth[i];
		eth[i] = eth[i + 3];
		eth[i + 3] = t16;
	}
	if (!p->v6) {
		__be32 *a = (__be32 *)(l3 + 12);

		w = (__u16 *)l3;
		if ((void *)(l3 + 20) > p->data_end)
			return XTCP_STAT_drop_resize;
		/* version/IHL/TOS, ID, DF, TTL/protocol: as reply_ipv4 */
		sum = (__u16)~w[5];
		sum += (__u16)~w[0] + (__u16)~w[2] + (__u16)~w[3] +
		       (__u16)~w[4];
		w[0] = bpf_htons(0x4500 | (p->tos & 0xfc));
		w[2] = 0;
		w[3] = bpf_htons(0x4000);
		w[4] = bpf_htons(64 << 8 | IPPROTO_TCP);
		sum += w[0] + w[2] + w[3] + w[4];
		w[5] = ~csum_fold(sum);
		t32 = a[0];
		a[0] = a[1];
		a[1] = t32;
		th = (__be32 *)(l3 + 20);
		mss = cfg->mss4;
	} else {
		__be32 *a = (__be32 *)(l3 + 8);

		if ((void *)(l3 + 40) > p->data_end)
			return XTCP_STAT_drop_resize;
		/* traffic class without ECN, no flow label, hop limit 64 */
		*(__be32 *)l3 = bpf_htonl(6U << 28 | (__u32)(p->tos & 0xfc) << 20);
		l3[7] = 64;
#pragma unroll
		for (i = 0; i < 4; i++) {
			t32 = a[i];
			a[i] = a[i + 4];
			a[i + 4] = t32;
		}
		th = (__be32 *)(l3 + 40);
		mss = cfg->mss6;
	}
	if ((void *)(th + 10) > p->data_end)
		return XTCP_STAT_drop_resize;
	w = (__u16 *)th;
	/* out: seq, ack, offset/flags/window, urgent pointer, 5 option words */
	sum = (__u16)~w[8];
	sum += (__u64)(__u32)~th[1] + (__u32)~th[2] + (__u32)~th[3] +
	       (__u16)~w[9];
#pragma unroll
	for (i = 5; i < 10; i++)
		sum += (__u32)~th[i];
	t16 = w[0];
	w[0] = w[1];
	w[1] = t16;
	th[1] = bpf_htonl(cookie);
	th[2] = bpf_htonl(p->seq + 1);
	th[3] = bpf_htonl(0xa0U << 24 |
			  (__u32)(TCPHDR_SYN | TCPHDR_ACK | (ecn ? TCPHDR_ECE : 0)) << 16 |
			  cfg->window);
	w[9] = 0;
	/* our options, as syn_ack_opts writes them for this SYN */
	th[5] = OPT_WORD(TCPO_MSS, 4, mss >> 8, mss & 0xff);
	th[6] = OPT_WORD(TCPO_SACK_PERM, 2, TCPO_TS, 10);
	th[7] = bpf_htonl(tsval);
	th[8] = bpf_htonl(p->opt.tsval);
	th[9] = OPT_WORD(TCPO_NOP, TCPO_WSCALE, 3, cfg->wscale);
	/* in: the same words */
	sum += (__u64)th[1] + th[2] + th[3];
#pragma unroll
	for (i = 5; i < 10; i++)
		sum += th[i];
	w[8] = ~csum_fold(sum);
	return XTCP_STAT_syn_ack;
}

/*
 * Stage: a SYN. Answer with a SYN-ACK whose ISN is the cookie (RFC 9293
 * 3.10.7.2 for what a listener sends); nothing is stored.
 */
static __always_inline int stage_syn(struct pkt *p,
				     const struct xtcp_config *cfg)
{
	struct reply r = {};
	struct xtcp_keycache *kc;
	__u64 now = tai_now_coarse();
	__u32 period = xtcp_cookie_period(now), mss_idx, cookie, tsval = 0;
	int ret, ecn, ws, in_place;

	COST_STOP(XTCP_COST_clock);
	ret = parse_tcp_opts(p);
	if (ret != XTCP_CONTINUE)
		return ret;
	COST_STOP(XTCP_COST_options);
	/* the common layout's SYN-ACK carries the SYN's checksum errors
	 * (syn_ack_in_place); every other SYN is verified first */
	in_place = syn_common_layout(p);
	if (!in_place) {
		ret = syn_checksums(p);
		if (ret != XTCP_CONTINUE)
			return ret;
	}
	COST_STOP(XTCP_COST_csum);
	kc = period_keys(period);
	if (!kc)
		return XTCP_STAT_drop_internal;
	COST_STOP(XTCP_COST_keys);

	mss_idx = xtcp_mss_index(p->v6, p->opt.mss);
	cookie = syn_cookie(kc, period, p, mss_idx);
	if (xtcp_cost_stop == XTCP_COST_siphash)
		return cookie ? XTCP_STAT_drop_internal : XTCP_STAT_drop_meta;
	/* Window scale, SACK and ECN can only be remembered in the TSval. */
	ws = p->opt.ts && p->opt.wscale != XTCP_WSCALE_NONE;
	ecn = p->opt.ts && (cfg->flags & XTCP_CFG_ECN) &&
	      (p->flags & (TCPHDR_ECE | TCPHDR_CWR)) == (TCPHDR_ECE | TCPHDR_CWR);
	if (p->opt.ts)
		tsval = xtcp_ts_encode(ts_now_ms(now), p->opt.wscale,
				       p->opt.sack, ecn);

	if (xtcp_cost_stop == XTCP_COST_opts_out)
		return tsval ? XTCP_STAT_drop_internal : XTCP_STAT_drop_meta;
	if (in_place)
		return syn_ack_in_place(p, cfg, cookie, tsval, ecn);
	r.seq = cookie;
	r.ack = p->seq + 1;
	r.flags = TCPHDR_SYN | TCPHDR_ACK | (ecn ? TCPHDR_ECE : 0);
	r.window = cfg->window;
	syn_ack_opts(&r, p->v6 ? cfg->mss6 : cfg->mss4, p->opt.ts,
		     p->opt.sack, ws, cfg->wscale, tsval, p->opt.tsval);
	ret = reply_build(p, &r);
	return ret == XTCP_CONTINUE ? XTCP_STAT_syn_ack : ret;
}

/*
 * Make room for the metadata every redirected frame carries; the caller
 * fills it in place. Done last: it moves data_meta, and no packet pointer is
 * used after it. (Filled field by field: clang 14 dropped most stores of a
 * stack struct __builtin_memcpy'd here.)
 */
static __always_inline struct xtcp_meta *put_meta(struct pkt *p)
{
	struct xtcp_meta *meta;

	if (bpf_xdp_adjust_meta(p->ctx, -(int)sizeof(*meta)))
		return NULL;
	meta = (void *)(long)p->ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)p->ctx->data)
		return NULL;
	return meta;
}

/* Is there an AF_XDP socket on this queue? Also arms the redirect. */
static __always_inline int xsk_arm(struct pkt *p)
{
	if (bpf_redirect_map(&xtcp_xsks, p->ctx->rx_queue_index, XDP_DROP) !=
	    XDP_REDIRECT)
		return XTCP_STAT_drop_no_xsk;
	return XTCP_CONTINUE;
}

/* Stage: a segment of a flow the engine owns. */
static __always_inline int stage_flow(struct pkt *p)
{
	struct xtcp_meta *m;
	int ret = xsk_arm(p);

	if (ret != XTCP_CONTINUE)
		return ret;
	m = put_meta(p);
	if (!m)
		return XTCP_STAT_drop_meta;
	__builtin_memset(m, 0, sizeof(*m));
	m->magic = XTCP_META_MAGIC;
	return XTCP_STAT_flow;
}

/* ICMP errors that carry a path MTU. */
#define ICMP_DEST_UNREACH 3	/* RFC 792 */
#define ICMP_FRAG_NEEDED 4	/* its code: RFC 1191 4 */
#define ICMPV6_PKT_TOOBIG 2	/* RFC 4443 3.2 */
#define ICMP_HLEN 8		/* type, code, checksum, 4 bytes (MTU) */
#define QUOTED_TCP 8		/* ports and seq: RFC 792 guarantees 8 bytes */

/*
 * Stage: an ICMP error that may be about one of our flows, IPv4
 * "fragmentation needed" (RFC 1191) or ICMPv6 "packet too big" (RFC 8201).
 * The quoted packet is one we sent: its source is our address and port, its
 * destination the client. A quote of a flow this queue's engine owns goes to
 * it with XTCP_META_ICMP; the engine checks the ICMP checksum and that the
 * quoted seq is in flight (RFC 5927 4.1). Everything else passes, untouched.
 * What is read: the outer IPv4 header (ihl 5..15; no fragment) or IPv6 header
 * with ICMPv6 right behind it, 8 bytes of ICMP, the quoted IPv4 header (ihl
 * 5..15) or IPv6 header (TCP right behind it), 8 bytes of the quoted TCP.
 */
static __always_inline int stage_icmp(struct pkt *p)
{
	struct xtcp_flow_key fk = {};
	struct xtcp_flow *flow;
	struct xtcp_meta *m;
	__u8 *icmp, *q, *th;
	__u32 off;
	int ret;

	if (!p->v6) {
		struct iphdr *iph = p->data + (p->l3_off & 0x1f);

		if ((void *)(iph + 1) > p->data_end ||
		    iph->protocol != IPPROTO_ICMP ||
		    (bpf_ntohs(iph->frag_off) & (IP_MF | IP_OFFSET)))
			return XTCP_STAT_pass_not_tcp;
		off = p->l3_off + iph->ihl * 4;
		icmp = p->data + (off & 0x7f);
		if ((void *)(icmp + ICMP_HLEN) > p->data_end ||
		    icmp[0] != ICMP_DEST_UNREACH || icmp[1] != ICMP_FRAG_NEEDED)
			return XTCP_STAT_pass_not_tcp;
		q = icmp + ICMP_HLEN;
		if ((void *)(q + 20) > p->data_end)
			return XTCP_STAT_pass_icmp_trunc;
		if (q[0] >> 4 != 4 || (q[0] & 0xf) < 5 || q[9] != IPPROTO_TCP)
			return XTCP_STAT_pass_icmp;
		off += ICMP_HLEN + (q[0] & 0xf) * 4;
		th = p->data + (off & 0xff);
		if ((void *)(th + QUOTED_TCP) > p->data_end)
			return XTCP_STAT_pass_icmp_trunc;
		fk.client[2] = bpf_htonl(0xffff);
		fk.server[2] = bpf_htonl(0xffff);
		__builtin_memcpy(&fk.server[3], q + 12, 4);
		__builtin_memcpy(&fk.client[3], q + 16, 4);
	} else {
		struct ipv6hdr *ip6 = p->data + (p->l3_off & 0x1f);

		if ((void *)(ip6 + 1) > p->data_end ||
		    ip6->nexthdr != IPPROTO_ICMPV6)
			return XTCP_STAT_pass_not_tcp;
		icmp = (__u8 *)(ip6 + 1);
		if ((void *)(icmp + ICMP_HLEN) > p->data_end ||
		    icmp[0] != ICMPV6_PKT_TOOBIG)
			return XTCP_STAT_pass_not_tcp;
		q = icmp + ICMP_HLEN;
		th = q + 40;
		if ((void *)(th + QUOTED_TCP) > p->data_end)
			return XTCP_STAT_pass_icmp_trunc;
		if (q[0] >> 4 != 6 || q[6] != IPPROTO_TCP)
			return XTCP_STAT_pass_icmp;
		__builtin_memcpy(fk.server, q + 8, 16);
		__builtin_memcpy(fk.client, q + 24, 16);
	}
	__builtin_memcpy(&fk.server_port, th, 2);
	__builtin_memcpy(&fk.client_port, th + 2, 2);
	/*
	 * An AF_XDP socket takes frames of its own queue only: a quote of a
	 * flow another queue owns passes (that engine falls back on its
	 * black-hole detection).
	 */
	flow = bpf_map_lookup_elem(&xtcp_flows, &fk);
	if (!flow || flow->queue != p->ctx->rx_queue_index)
		return XTCP_STAT_pass_icmp;
	ret = xsk_arm(p);
	if (ret != XTCP_CONTINUE)
		return ret;
	m = put_meta(p);
	if (!m)
		return XTCP_STAT_drop_meta;
	__builtin_memset(m, 0, sizeof(*m));
	m->flags = XTCP_META_ICMP;
	m->magic = XTCP_META_MAGIC;
	return XTCP_STAT_icmp_flow;
}

/* RFC 9293 3.10.7.1: an ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>;
 * stat is the outcome when the RST could be built. */
static __always_inline int ack_rst(struct pkt *p, int stat)
{
	struct reply r = {};
	int ret;

	r.seq = p->ack;
	r.flags = TCPHDR_RST;
	ret = reply_build(p, &r);
	return ret == XTCP_CONTINUE ? stat : ret;
}

static __always_inline int bad_ack(struct pkt *p, const struct xtcp_config *cfg,
				   int stat)
{
	if (!(cfg->flags & XTCP_CFG_BAD_ACK_RST))
		return stat;
	return ack_rst(p, XTCP_STAT_rst_bad_ack);
}

/*
 * Stage (kernel ports, every segment): does the kernel have a socket for
 * this 4-tuple? An established connection (one from before attach too) or
 * a TIME-WAIT is the kernel's business: passed untouched, whatever its
 * flags, so no segment of theirs is ever dropped here; a SYN meeting a
 * TIME-WAIT goes too, for the kernel's own reuse rules (RFC 6191). Only
 * a listener, or nothing, leaves the segment to the cookie stages.
 */
static __always_inline int stage_kernel_sock(struct pkt *p)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 size, state;

	if (p->v6) {
		__builtin_memcpy(t.ipv6.saddr, p->fk.client, 16);
		__builtin_memcpy(t.ipv6.daddr, p->fk.server, 16);
		t.ipv6.sport = p->fk.client_port;
		t.ipv6.dport = p->fk.server_port;
		size = sizeof(t.ipv6);
	} else {
		t.ipv4.saddr = p->fk.client[3];
		t.ipv4.daddr = p->fk.server[3];
		t.ipv4.sport = p->fk.client_port;
		t.ipv4.dport = p->fk.server_port;
		size = sizeof(t.ipv4);
	}
	sk = bpf_skc_lookup_tcp(p->ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	p->listener = 0;
	if (sk) {
		state = sk->state;
		bpf_sk_release(sk);
		if (state != BPF_TCP_LISTEN)
			return XTCP_STAT_pass_kernel_conn;
		p->listener = 1;
	}
	/* the drops stage_port deferred (a fragment, IPv6 extensions) */
	return p->pending_drop;
}

/*
 * Stage: a valid third ACK (or the first data standing in for a lost one)
 * to a kernel port. With a listener: the cookie's parameters go in front
 * of the frame and it passes to tc ingress, where bpf/handoff.bpf.c makes
 * it the listener's request socket. Without: RFC 9293 3.10.7.1, what the
 * kernel would answer on a closed port, <SEQ=SEG.ACK><CTL=RST>.
 */
static __always_inline int stage_handoff(struct pkt *p,
					 const struct xtcp_config *cfg,
					 __u32 mss_idx)
{
	struct xtcp_syn_opts so;
	struct xtcp_meta *m;

	if (!p->listener)
		return ack_rst(p, XTCP_STAT_rst_no_listener);
	xtcp_syn_opts_decode(p->v6, mss_idx, p->opt.ts, p->opt.tsecr, &so);
	m = put_meta(p);
	if (!m)
		return XTCP_STAT_drop_meta;
	xtcp_meta_fill(m, &so, p->ack - 1, p->seq - 1, p->opt.tsval,
		       p->opt.tsecr, cfg->wscale, 1);
	return XTCP_STAT_handoff;
}

/*
 * Stage: may this client open a connection? The longest matching prefix of
 * the `acl` trie decides; no match allows. Consulted for SYNs and third
 * ACKs only: a flow already open is not cut by a later deny (see README).
 */
static __always_inline int stage_acl(struct pkt *p)
{
	struct xtcp_acl_key k = { .prefixlen = 128 };
	struct xtcp_acl *a;

	__builtin_memcpy(k.addr, p->fk.client, sizeof(k.addr));
	a = bpf_map_lookup_elem(&xtcp_acl, &k);
	if (!a || a->verdict == XTCP_ACL_ALLOW)
		return XTCP_CONTINUE;
	return a->verdict == XTCP_ACL_DENY ? XTCP_STAT_drop_acl_deny
					   : XTCP_STAT_drop_acl_not_allowed;
}

/*
 * Stage: the replay guard, for an ACK whose cookie validated. A handshake
 * of this tuple and client ISN ended while its cookie still validates: this
 * ACK is a delayed duplicate or a capture, and opens nothing.
 */
static __always_inline int stage_replay(struct pkt *p,
					const struct xtcp_config *cfg,
					__u64 tai_ns)
{
	struct xtcp_replay_key k = { .irs = p->seq - 1 };
	struct xtcp_replay *r;

	k.flow = p->fk;
	r = bpf_map_lookup_elem(&xtcp_replay, &k);
	if (!r || r->expires_tai_ns <= tai_ns)
		return XTCP_CONTINUE;
	if (cfg->flags & XTCP_CFG_BAD_ACK_RST)
		return ack_rst(p, XTCP_STAT_rst_replay);
	return XTCP_STAT_drop_replay;
}

/*
 * Stage: an RST|ACK with no flow. When SEG.SEQ - 1 and SEG.ACK - 1 make a
 * valid cookie the client abandoned the handshake we answered: RFC 9293
 * 3.10.7.4 returns SYN-RECEIVED to LISTEN, so remember it in the replay
 * guard and a later segment with that cookie opens nothing. An RST without
 * ACK carries no cookie to check; acting on it would let anyone who forges
 * RSTs fill the guard (and evict what it holds), so it is only dropped.
 */
static __always_inline int stage_rst_ack(struct pkt *p)
{
	struct xtcp_replay_key k = { .irs = p->seq - 1 };
	struct xtcp_replay r;
	struct xtcp_keycache *kc;
	__u64 tai_ns = bpf_ktime_get_tai_ns();
	__u32 period = xtcp_cookie_period(tai_ns), mss_idx = 0;

	kc = period_keys(period);
	if (!kc)
		return XTCP_STAT_drop_internal;
	if (xtcp_cookie_check(kc->cur, kc->prev, period, &p->fk, p->v6,
			      p->seq - 1, p->ack - 1, &mss_idx) != XTCP_COOKIE_OK)
		return XTCP_STAT_drop_rst;
	k.flow = p->fk;
	r.expires_tai_ns = xtcp_cookie_expiry_ns(p->ack - 1, tai_ns);
	bpf_map_update_elem(&xtcp_replay, &k, &r, BPF_ANY);
	return XTCP_STAT_drop_rst_handshake;
}

/*
 * Stage: an ACK with no flow. If ack - 1 is a valid cookie for this tuple
 * and seq - 1, the handshake is complete: insert the flow and hand the
 * segment (it may carry data or a FIN) to the engine with what the SYN
 * negotiated.
 */
static __always_inline int stage_ack(struct pkt *p,
				     const struct xtcp_config *cfg)
{
	struct xtcp_flow flow = {};
	struct xtcp_meta *m;
	struct xtcp_keycache *kc;
	__u64 tai_ns = bpf_ktime_get_tai_ns();
	__u32 period = xtcp_cookie_period(tai_ns), mss_idx = 0;
	int ret;

	ret = parse_tcp_opts(p);
	if (ret != XTCP_CONTINUE)
		return ret;
	kc = period_keys(period);
	if (!kc)
		return XTCP_STAT_drop_internal;
	ret = xtcp_cookie_check_aged(kc->cur, kc->prev, kc->old2, kc->old3,
				     period, &p->fk, p->v6, p->seq - 1,
				     p->ack - 1, &mss_idx);
	if (ret == XTCP_COOKIE_EXPIRED)
		return bad_ack(p, cfg, XTCP_STAT_drop_cookie_expired);
	if (ret != XTCP_COOKIE_OK)
		return bad_ack(p, cfg, XTCP_STAT_drop_bad_cookie);
	/* every port, engine or kernel, passes here: after the cookie check,
	 * so only a valid cookie pays for these lookups */
	ret = stage_replay(p, cfg, tai_ns);
	if (ret != XTCP_CONTINUE)
		return ret;
	ret = stage_acl(p);
	if (ret != XTCP_CONTINUE)
		return ret;
	if (p->port_mode == XTCP_PORT_KERNEL)
		return stage_handoff(p, cfg, mss_idx);
	/* a draining server takes no one new: the client hears it at once
	 * and retries, perhaps another server behind the same address */
	if (cfg->flags & XTCP_CFG_DRAIN)
		return ack_rst(p, XTCP_STAT_rst_drain);

	ret = xsk_arm(p);
	if (ret != XTCP_CONTINUE)
		return ret;
	flow.queue = p->ctx->rx_queue_index;
	flow.created_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&xtcp_flows_live, 1);	/* before: never low */
	ret = bpf_map_update_elem(&xtcp_flows, &p->fk, &flow, BPF_NOEXIST);
	if (ret)
		__sync_fetch_and_add(&xtcp_flows_live, -1);
	if (ret && ret != -EEXIST)	/* EEXIST: a retransmitted third ACK */
		return XTCP_STAT_drop_flows_full;

	m = put_meta(p);
	if (!m)
		return XTCP_STAT_drop_meta;
	xtcp_meta_from_cookie(m, p->v6, p->seq, p->ack, mss_idx, p->opt.ts,
			      p->opt.tsval, p->opt.tsecr, cfg->wscale);
	return XTCP_STAT_flow_new;
}

/* Which stage a served segment goes to, by its flags and the flows map. */
static __always_inline int classify(struct pkt *p, const struct xtcp_config *cfg)
{
	__u8 f = p->flags;
	int ret;

	if (p->port_mode == XTCP_PORT_KERNEL) {
		ret = stage_kernel_sock(p);
		if (ret != XTCP_CONTINUE)
			return ret;
	}
	if ((f & (TCPHDR_SYN | TCPHDR_FIN)) == (TCPHDR_SYN | TCPHDR_FIN))
		return XTCP_STAT_drop_syn_fin;
	if ((f & (TCPHDR_SYN | TCPHDR_RST)) == (TCPHDR_SYN | TCPHDR_RST))
		return XTCP_STAT_drop_syn_rst;
	/* A known flow owns everything, a SYN on it too (RFC 5961 4). */
	if (p->port_mode != XTCP_PORT_KERNEL && flows_maybe() &&
	    bpf_map_lookup_elem(&xtcp_flows, &p->fk))
		return stage_flow(p);
	if (f & TCPHDR_SYN) {
		if (f & TCPHDR_ACK)
			return XTCP_STAT_drop_syn_ack;
		COST_STOP(XTCP_COST_flows);
		ret = stage_acl(p);
		if (ret != XTCP_CONTINUE)
			return ret;
		COST_STOP(XTCP_COST_acl);
		return stage_syn(p, cfg);
	}
	if (f & TCPHDR_RST)
		return f & TCPHDR_ACK ? stage_rst_ack(p) : XTCP_STAT_drop_rst;
	if (!(f & TCPHDR_ACK))
		return XTCP_STAT_drop_not_ack;
	return stage_ack(p, cfg);
}

static __always_inline int process(struct pkt *p)
{
	struct xtcp_config *cfg;
	__u32 zero = 0, ip_len = 0;
	int ret;

	ret = parse_eth(p);
	if (ret != XTCP_CONTINUE)
		return ret;
	ret = p->v6 ? parse_ipv6(p, &ip_len) : parse_ipv4(p, &ip_len);
	if (ret == XTCP_STAT_pass_not_tcp)
		return stage_icmp(p);
	if (ret != XTCP_CONTINUE)
		return ret;
	cfg = bpf_map_lookup_elem(&xtcp_config, &zero);
	if (!cfg)
		return XTCP_STAT_drop_internal;
	ret = stage_port(p, cfg);
	if (ret != XTCP_CONTINUE)
		return ret;
	ret = parse_tcp(p, ip_len);
	if (ret != XTCP_CONTINUE)
		return ret;
	if (p->flags & TCPHDR_SYN)
		COST_STOP(XTCP_COST_parse);
	return classify(p, cfg);
}

/*
 * xdp.frags (BPF_F_XDP_HAS_FRAGS): the program takes multi-buffer frames,
 * which is what lets it attach to an interface with a jumbo MTU (veth
 * refuses a program without it above about 3,500 bytes). Headers are in
 * the linear part; frame_len counts the frags too.
 */
SEC("xdp.frags")
int xtcp_xdp(struct xdp_md *ctx)
{
	struct pkt p = {
		.ctx = ctx,
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.frame_len = (__u32)bpf_xdp_get_buff_len(ctx),
		.pending_drop = XTCP_CONTINUE,
	};
	int stat = process(&p);

	stat_count(stat);
	return stat_action(stat);
}
