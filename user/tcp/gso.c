// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Runs of new data as one super-segment (the kernel's GSO, a NIC's TSO):
 * how long a run may be, and its way out, through the driver's tx_gso, or
 * segment by segment through tx_buf when the driver refuses it. Below the
 * engine, everything per frame (a system call's share, the device, the
 * receiver's protocol stack and its wake-up) is then paid per run, as
 * Linux's own TCP pays it.
 */
#include "conn.h"

uint32_t gso_len(const struct tcp_conn *c, uint32_t mss, uint32_t n)
{
	const struct tcp_io *io = &c->e->cfg.io;
	uint32_t max = io->gso_max < WIRE_GSO_MAX ? io->gso_max : WIRE_GSO_MAX;

	if (n <= mss)
		return n;
	if (!io->tx_gso || max < 2 * mss)
		return mss;
	/* paced: a run is one quantum at most (as Linux's tcp_tso_autosize),
	 * or a slow connection's run would leave as one long burst */
	if (c->pacing_rate && pacing_quantum(c) < max)
		max = pacing_quantum(c);
	if (max < 2 * mss)
		return mss;
	if (n > max)
		n = max;
	/* whole segments: a short tail waits for Nagle and SWS avoidance
	 * as it would alone */
	return n - n % mss;
}

/* The n payload bytes at off of o's payload, into s. */
static void slice(const struct wire_out *o, uint32_t off, uint32_t n,
		  struct wire_out *s)
{
	uint32_t len0 = o->data_len[0];

	if (off < len0) {
		s->data[0] = o->data[0] + off;
		s->data_len[0] = len0 - off < n ? len0 - off : n;
		s->data[1] = o->data[1];
		s->data_len[1] = n - s->data_len[0];
	} else {
		s->data[0] = o->data[1] + (off - len0);
		s->data_len[0] = n;
		s->data[1] = NULL;
		s->data_len[1] = 0;
	}
}

bool emit_gso(struct tcp_engine *e, const struct tcp_tuple *t,
	      const struct wire_out *o, uint32_t seg)
{
	uint32_t plen = o->data_len[0] + o->data_len[1], nseg, off;
	uint8_t hdr[WIRE_L2_MAX + 40 + 60];
	size_t hlen = wire_build_gso(hdr, sizeof(hdr), t, o);

	nseg = (plen + seg - 1) / seg;
	if (hlen) {
		struct tcp_gso g = {
			.hdr = hdr,
			.hdr_len = (uint32_t)hlen,
			.l3_off = t->l2_len,
			.l4_off = (uint8_t)(t->l2_len + (t->v6 ? 40 : 20)),
			.v6 = t->v6,
			.seg = (uint16_t)seg,
			.data = { o->data[0], o->data[1] },
			.data_len = { o->data_len[0], o->data_len[1] },
		};

		if (!e->cfg.io.tx_gso(e->cfg.io.ctx, &g)) {
			ST(e, tx_gso)++;
			ST(e, tx_gso_segs) += nseg;
			ST(e, segs_out) += nseg;
			return true;
		}
	}
	ST(e, tx_gso_fallback)++;
	/* each segment as the segmenter would have cut it */
	for (off = 0; off < plen; off += seg) {
		struct wire_out s = *o;
		uint32_t n = plen - off < seg ? plen - off : seg;

		slice(o, off, n, &s);
		s.seq = o->seq + off;
		if (off)
			s.flags &= (uint8_t)~TCPHDR_CWR;
		if (off + n < plen)
			s.flags &= (uint8_t)~(TCPHDR_FIN | TCPHDR_PSH);
		if (!emit(e, t, &s))
			return false;
	}
	return true;
}
