// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The options `attach` and `serve` share: what the XDP program is told. */
#include <stdio.h>
#include <string.h>
#include <linux/if_link.h>

#include "cli.h"
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
"                             sharing it accept each other's cookies\n";

void attach_opts_default(struct loader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->xdp_flags = XDP_FLAGS_DRV_MODE;
	o->window = 65535;
	o->wscale = 7;
	o->cfg_flags = XTCP_CFG_ECN;
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
	case ATTACH_OPT_SECRET:
		if (parse_secret(arg, o->secret))
			return -1;
		o->have_secret = true;
		return 0;
	default:
		return 1;
	}
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
