// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The options `attach` and `serve` share: what the XDP program is told. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_link.h>

#include "acl.h"
#include "cli.h"
#include "addrs.h"
#include "iface.h"
#include "listeners.h"
#include "log.h"

const char attach_opts_help[] =
"  -p, --port P[,P...]        ports to serve (at most 64)\n"
"      --to engine|kernel     who serves the --port lists given before it\n"
"                             (since the previous --to): xtcp's engine\n"
"                             (default), or the kernel's own listener on\n"
"                             the port, e.g. nginx (Linux 6.9+, needs\n"
"                             net.ipv4.tcp_syncookies=1 or 2)\n"
"  -m, --xdp-mode MODE        native (default) or generic\n"
"      --mss N                MSS to advertise (default: MTU - 40, IPv6 MTU - 60)\n"
"      --wscale N             our window scale shift, 0-14 (default 7)\n"
"      --window N             SYN-ACK window, 1-65535 (default 65535)\n"
"      --bad-ack drop|rst     answer ACKs with a bad cookie (default drop)\n"
"      --ecn on|off           accept ECN on SYNs with timestamps (default on)\n"
"      --secret-file FILE     128-bit master secret, 32 hex digits; servers\n"
"                             sharing it accept each other's cookies\n"
"      --addr A[,A...]|any    destination addresses to serve (default: the\n"
"                             interface's own, followed as they change under\n"
"                             serve, taken once by attach); others pass\n"
"      --allow CIDR[,CIDR...] only these clients may connect (IPv4, IPv6;\n"
"                             repeatable); with any allow prefix, every\n"
"                             other client is denied\n"
"      --deny CIDR[,CIDR...]  these clients may not connect; the longest\n"
"                             matching prefix of both lists decides. Checked\n"
"                             on SYNs and third ACKs in XDP, before netfilter\n"
"                             (which never sees served ports); connections\n"
"                             already open are kept. `xtcp acl` changes both\n"
"                             lists at run time\n"
"      --replay-max N         replay guard: ended handshakes remembered until\n"
"                             their cookie expires (at most 2 min), so a copy\n"
"                             of a client's first segment opens nothing\n"
"                             (default 65536, 112 bytes each: 7 MB); when\n"
"                             full the oldest are forgotten and their replay\n"
"                             window reopens; no client is ever refused for it\n";

void attach_opts_default(struct loader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->xdp_flags = XDP_FLAGS_DRV_MODE;
	o->window = 65535;
	o->wscale = 7;
	o->cfg_flags = XTCP_CFG_ECN;
}

/* --addr any, or a list of IPv4 and IPv6 addresses. */
static int parse_addrs(const char *arg, struct loader_opts *o)
{
	char buf[4096], *tok, *save = NULL;

	if (!strcmp(arg, "any")) {
		o->addr_any = true;
		o->naddrs = 0;
		return 0;
	}
	if (strlen(arg) >= sizeof(buf)) {
		pr_err("--addr: too long");
		return -EINVAL;
	}
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->naddrs >= XTCP_MAX_ADDRS) {
			pr_err("--addr: at most %d addresses", XTCP_MAX_ADDRS);
			return -E2BIG;
		}
		if (addr_parse(tok, &o->addrs[o->naddrs])) {
			pr_err("--addr %s: not an IPv4 or IPv6 address (or any)", tok);
			return -EINVAL;
		}
		o->naddrs++;
	}
	if (!o->naddrs) {
		pr_err("--addr %s: no address", arg);
		return -EINVAL;
	}
	o->addr_any = false;
	return 0;
}

static int on_off(const char *opt, const char *arg, const char *on,
		  const char *off, __u8 *flags, __u8 bit)
{
	if (!strcmp(arg, on))
		*flags |= bit;
	else if (!strcmp(arg, off))
		*flags &= (__u8)~bit;
	else {
		pr_err("%s %s: not %s or %s", opt, arg, off, on);
		return -1;
	}
	return 0;
}

int attach_opt(int c, const char *arg, struct loader_opts *o)
{
	unsigned long v;

	switch (c) {
	case 'p': {
		int before = o->nports;

		if (parse_ports(arg, o->ports, 64, &o->nports))
			return -1;
		if (o->nports == before) {
			pr_err("--port %s: every port already given", arg);
			return -1;
		}
		return 0;
	}
	case 'm':
		if (!strcmp(arg, "native")) {
			o->xdp_flags = XDP_FLAGS_DRV_MODE;
		} else if (!strcmp(arg, "generic")) {
			o->xdp_flags = XDP_FLAGS_SKB_MODE;
		} else {
			pr_err("--xdp-mode %s: not native or generic", arg);
			return -1;
		}
		return 0;
	case ATTACH_OPT_MSS:
		if (parse_uint("--mss", arg, 536, 65495, &v))
			return -1;
		o->mss = (__u16)v;
		return 0;
	case ATTACH_OPT_WSCALE:
		if (parse_uint("--wscale", arg, 0, 14, &v))
			return -1;
		o->wscale = (__u8)v;
		return 0;
	case ATTACH_OPT_WINDOW:
		if (parse_uint("--window", arg, 1, 65535, &v))
			return -1;
		o->window = (__u16)v;
		return 0;
	case ATTACH_OPT_BAD_ACK:
		return on_off("--bad-ack", arg, "rst", "drop", &o->cfg_flags,
			      XTCP_CFG_BAD_ACK_RST);
	case ATTACH_OPT_ECN:
		return on_off("--ecn", arg, "on", "off", &o->cfg_flags,
			      XTCP_CFG_ECN);
	case ATTACH_OPT_ADDR:
		return parse_addrs(arg, o) ? -1 : 0;
	case ATTACH_OPT_TO: {
		__u8 mode;
		int i;

		if (!strcmp(arg, "kernel")) {
			mode = XTCP_PORT_KERNEL;
		} else if (!strcmp(arg, "engine")) {
			mode = XTCP_PORT_ENGINE;
		} else {
			pr_err("--to %s: not engine or kernel", arg);
			return -1;
		}
		if (o->nports_moded == o->nports) {
			pr_err("--to %s: give the ports first (--port P --to %s)",
			       arg, arg);
			return -1;
		}
		for (i = o->nports_moded; i < o->nports; i++)
			o->port_modes[i] = mode;
		o->nports_moded = o->nports;
		return 0;
	}
	case ATTACH_OPT_ALLOW:
		return acl_parse_list(arg, o->allow, LOADER_ACL_MAX, &o->nallow) ? -1 : 0;
	case ATTACH_OPT_DENY:
		return acl_parse_list(arg, o->deny, LOADER_ACL_MAX, &o->ndeny) ? -1 : 0;
	case ATTACH_OPT_REPLAY_MAX:
		if (parse_uint("--replay-max", arg, 1, 1U << 24, &v))
			return -1;
		o->replay_max = (__u32)v;
		return 0;
	case ATTACH_OPT_SECRET:
		if (parse_secret(arg, o->secret))
			return -1;
		o->have_secret = true;
		return 0;
	default:
		return 1;
	}
}

/*
 * What an operator must know once xtcp answers on o's ports: a kernel
 * listener there sees no new connection any more, and netfilter never sees
 * these ports' packets (XDP runs before it).
 */
void attach_notices(const struct loader_opts *o)
{
	char owner[128];
	int i;

	/* a kernel port's listener is the point: the engine's are taken */
	for (i = 0; i < o->nports; i++)
		if (o->port_modes[i] != XTCP_PORT_KERNEL &&
		    listener_on_port(o->ports[i], owner, sizeof(owner)) == 1)
			pr_warn("%s: port %u: %s listens there and will see no new "
				"connection: the engine answers the port now (--to kernel "
				"shields it instead)", o->ifname,
				o->ports[i], owner);
	pr_info("%s: served ports bypass nftables and iptables: XDP answers them "
		"before netfilter sees a packet; filter clients with --allow/--deny "
		"or `xtcp acl %s add|del|list` (%d allow, %d deny prefixes now)",
		o->ifname, o->ifname, o->nallow, o->ndeny);
	veth_notices(o->ifname);
}

/*
 * On a veth two things silently break a first try: XDP_TX'd SYN-ACKs reach
 * the peer promptly only when the peer runs NAPI (an XDP program on it),
 * and a Linux peer with TX checksum offload sends SYNs whose checksum is
 * partial, which xtcp drops (drop_tcp_csum) or, in the common layout it
 * does not verify, answers with a SYN-ACK whose checksum fails (the
 * client drops it). Say what to run.
 */
void veth_notices(const char *ifname)
{
	struct veth_peer p;

	if (iface_veth_peer(ifname, &p) != 1)
		return;
	if (!p.visible) {
		pr_info("%s: a veth whose peer (ifindex %d) is in another namespace: "
			"there, run `ethtool -K PEER tx off` and attach an XDP program "
			"to PEER (e.g. `ip link set dev PEER xdpdrv obj pass.bpf.o sec "
			"xdp.frags`), or SYN-ACKs wait in its ring and its SYNs, with "
			"partial checksums, go unanswered", ifname, p.ifindex);
		return;
	}
	if (!p.has_xdp)
		pr_warn("%s: veth peer %s has no XDP program: SYN-ACKs will wait in "
			"its ring; attach one (e.g. `ip link set dev %s xdpdrv obj "
			"pass.bpf.o sec xdp.frags`)", ifname, p.name, p.name);
	if (p.tx_csum)
		pr_warn("%s: veth peer %s leaves TCP checksums partial (TX "
			"offload on) and such SYNs go unanswered (dropped, or "
			"answered with a SYN-ACK whose checksum fails): "
			"`ethtool -K %s tx off`",
			ifname, p.name, p.name);
}

int attach_opts_done(struct loader_opts *o)
{
	int i;

	/* ports after the last --to: the engine's */
	for (i = o->nports_moded; i < o->nports; i++)
		o->port_modes[i] = XTCP_PORT_ENGINE;
	o->nports_moded = o->nports;
	return 0;
}
