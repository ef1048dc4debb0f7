/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Handing a validated connection to the kernel's own listener: the
 * metadata the XDP program puts in front of a third ACK to a kernel port,
 * and the request-socket attributes the tc program builds from it for
 * bpf_sk_assign_tcp_reqsk() (Linux 6.9+). Compiled for BPF and the host,
 * so the unit tests check the attributes of every cookie variant with the
 * code the tc program runs.
 *
 *   XDP: cookie valid ─► xtcp_meta_fill(KERNEL) ─► XDP_PASS
 *   tc:  xtcp_handoff_attrs(meta) ─► bpf_sk_assign_tcp_reqsk(listener)
 *   kernel: cookie_bpf_check() ─► child socket, ISN = our cookie ─► accept()
 *
 * The cookie is decoded once, in XDP; tc trusts the metadata because only
 * an XDP program can put metadata in front of a frame (the stack starts
 * every skb without), and checks that it names this segment's ISNs.
 */
#ifndef XTCP_HANDOFF_H
#define XTCP_HANDOFF_H

#include <linux/types.h>
#include "xtcp/abi.h"
#include "xtcp/cookie.h"

/*
 * The kernel's struct bpf_tcp_req_attrs (include/net/tcp.h), the argument
 * of bpf_sk_assign_tcp_reqsk(); not in the UAPI headers. Its size is passed
 * along and checked by the kernel, so a layout change fails loudly (EINVAL).
 */
struct bpf_tcp_req_attrs {
	__u32 rcv_tsval;	/* client's TSval: TS.Recent */
	__u32 rcv_tsecr;	/* our SYN-ACK TSval: the kernel's TS clock
				 * offset is set so its TSvals continue it */
	__u16 mss;		/* client MSS */
	__u8 rcv_wscale;	/* our shift */
	__u8 snd_wscale;	/* client's shift */
	__u8 ecn_ok;
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 usec_ts_ok;	/* our TSvals are milliseconds */
	__u8 reserved[3];	/* must be zero */
};
_Static_assert(sizeof(struct bpf_tcp_req_attrs) == 20, "bpf_tcp_req_attrs");

/*
 * The request socket's attributes from handoff metadata. Returns 0, or
 * -1 when the metadata is not a handoff or could not have come from a
 * valid cookie (the kernel would refuse it with EINVAL anyway).
 */
XTCP_INLINE int xtcp_handoff_attrs(const struct xtcp_meta *m,
				   struct bpf_tcp_req_attrs *a)
{
	int ws = m->snd_wscale != XTCP_WSCALE_NONE;
	int ts = !!(m->flags & XTCP_META_TS);

	if (m->magic != XTCP_META_MAGIC ||
	    (m->flags & (XTCP_META_NEW | XTCP_META_KERNEL)) !=
		    (XTCP_META_NEW | XTCP_META_KERNEL))
		return -1;
	/* RFC 7323 2.3: shifts above 14 never leave the cookie decoder */
	if (ws && (m->snd_wscale > XTCP_WSCALE_MAX ||
		   m->rcv_wscale > XTCP_WSCALE_MAX))
		return -1;
	a->rcv_tsval = ts ? m->ts_val : 0;
	a->rcv_tsecr = ts ? m->ts_ecr : 0;
	a->mss = m->mss;
	a->wscale_ok = ws;
	a->snd_wscale = ws ? m->snd_wscale : 0;
	a->rcv_wscale = ws ? m->rcv_wscale : 0;
	a->sack_ok = !!(m->flags & XTCP_META_SACK);
	a->ecn_ok = !!(m->flags & XTCP_META_ECN);
	a->tstamp_ok = ts;
	a->usec_ts_ok = 0;
	a->reserved[0] = 0;
	a->reserved[1] = 0;
	a->reserved[2] = 0;
	return 0;
}

#endif /* XTCP_HANDOFF_H */
