// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Following the interface MTU while serving. A periodic SIOCGIFMTU (serve
 * calls it once a second: cheaper to reason about than a netlink socket,
 * and an MTU change is rare) and, on a change, the MSS it implies written
 * into the XDP program's config map for new SYN-ACKs and handed to every
 * queue's engine through queue_call (tcp_set_mss).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "afxdp.h"
#include "iface.h"
#include "log.h"
#include "mtu.h"

int mtu_watch_init(struct mtu_watch *w, const char *ifname, __u16 mss_cap,
		   int config_fd, struct queue *qs, unsigned long nqueues)
{
	*w = (struct mtu_watch){ .ifname = ifname, .mss_cap = mss_cap,
				 .config_fd = config_fd, .qs = qs,
				 .nqueues = nqueues };
	w->mtu = iface_mtu(ifname);
	return w->mtu < 0 ? w->mtu : 0;
}

/* RFC 9293 3.7.1: what fits in the MTU without options, as attach does;
 * never above --mss, nor above the frames the sockets were opened for (an
 * MTU raised past them needs a new serve: their UMEM is laid out) */
static __u16 mss_for(const struct mtu_watch *w, int mtu, int hdr)
{
	int mss = mtu - hdr, frame = (int)w->qs[0].port.max_frame - AFXDP_L2_EXTRA - hdr;

	if (mss > frame)
		mss = frame;
	if (w->mss_cap && mss > w->mss_cap)
		mss = w->mss_cap;
	return (__u16)(mss < 536 ? 536 : mss);
}

struct set_mss {
	__u16 mss4, mss6;
};

static void engine_set_mss(struct tcp_engine *e, unsigned queue, void *arg)
{
	const struct set_mss *m = arg;

	(void)queue;
	tcp_set_mss(e, m->mss4, m->mss6);
}

void mtu_watch_poll(struct mtu_watch *w)
{
	struct xtcp_config cfg;
	struct set_mss m;
	__u32 zero = 0;
	int mtu = iface_mtu(w->ifname);
	unsigned long q;

	if (mtu <= 0 || mtu == w->mtu)
		return;
	m.mss4 = mss_for(w, mtu, 40);
	m.mss6 = mss_for(w, mtu, 60);
	if (bpf_map_lookup_elem(w->config_fd, &zero, &cfg)) {
		pr_warn("%s: MTU %d: reading the config map: %s", w->ifname, mtu,
			strerror(errno));
		return;
	}
	cfg.mss4 = m.mss4;
	cfg.mss6 = m.mss6;
	if (bpf_map_update_elem(w->config_fd, &zero, &cfg, BPF_ANY)) {
		pr_warn("%s: MTU %d: writing the config map: %s", w->ifname, mtu,
			strerror(errno));
		return;
	}
	for (q = 0; q < w->nqueues; q++)
		if (queue_call(&w->qs[q], engine_set_mss, &m, 1000))
			pr_warn("%s: queue %lu did not take the new MSS", w->ifname, q);
	pr_info("%s: MTU %d -> %d: MSS %u (IPv4), %u (IPv6)", w->ifname, w->mtu,
		mtu, m.mss4, m.mss6);
	w->mtu = mtu;
}
