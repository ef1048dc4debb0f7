// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp attach IFACE: load the XDP program, configure it, attach it and pin
 * everything, then exit. The pinned link keeps it attached; cookie keys
 * rotate inside the program (see include/xtcp/cookie.h), so nothing needs
 * to stay resident.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>

#include "cli.h"
#include "loader.h"
#include "log.h"
#include "pins.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp attach IFACE --port P[,P...] [OPTIONS]\n"
"\n"
"Answer SYNs to the given ports on IFACE with cookie SYN-ACKs from XDP and\n"
"hand completed handshakes to AF_XDP. Other traffic passes untouched.\n"
"\n"
"  -p, --port P[,P...]        ports to serve (at most 64)\n"
"  -m, --xdp-mode MODE        native (default) or generic\n"
"      --mss N                MSS to advertise (default: MTU - 40, IPv6 MTU - 60)\n"
"      --wscale N             our window scale shift, 0-14 (default 7)\n"
"      --window N             SYN-ACK window, 1-65535 (default 65535)\n"
"      --bad-ack drop|rst     answer ACKs with a bad cookie (default drop)\n"
"      --ecn on|off           accept ECN on SYNs with timestamps (default on)\n"
"      --secret-file FILE     128-bit master secret, 32 hex digits; servers\n"
"                             sharing it accept each other's cookies\n"
"  -h, --help                 this text\n");
}

int cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "mss", required_argument, NULL, 'M' },
		{ "wscale", required_argument, NULL, 'w' },
		{ "window", required_argument, NULL, 'W' },
		{ "bad-ack", required_argument, NULL, 'b' },
		{ "ecn", required_argument, NULL, 'e' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct loader_opts o = {
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.window = 65535,
		.wscale = 7,
		.cfg_flags = XTCP_CFG_ECN,
	};
	struct loader l;
	unsigned long v;
	int c, err, i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_ports(optarg, o.ports, 64, &o.nports))
				return EXIT_FAILURE;
			break;
		case 'm':
			if (!strcmp(optarg, "native")) {
				o.xdp_flags = XDP_FLAGS_DRV_MODE;
			} else if (!strcmp(optarg, "generic")) {
				o.xdp_flags = XDP_FLAGS_SKB_MODE;
			} else {
				pr_err("--xdp-mode %s: not native or generic", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'M':
			if (parse_uint("--mss", optarg, 536, 65495, &v))
				return EXIT_FAILURE;
			o.mss = (__u16)v;
			break;
		case 'w':
			if (parse_uint("--wscale", optarg, 0, 14, &v))
				return EXIT_FAILURE;
			o.wscale = (__u8)v;
			break;
		case 'W':
			if (parse_uint("--window", optarg, 1, 65535, &v))
				return EXIT_FAILURE;
			o.window = (__u16)v;
			break;
		case 'b':
			if (!strcmp(optarg, "rst")) {
				o.cfg_flags |= XTCP_CFG_BAD_ACK_RST;
			} else if (!strcmp(optarg, "drop")) {
				o.cfg_flags &= ~XTCP_CFG_BAD_ACK_RST;
			} else {
				pr_err("--bad-ack %s: not drop or rst", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'e':
			if (!strcmp(optarg, "on")) {
				o.cfg_flags |= XTCP_CFG_ECN;
			} else if (!strcmp(optarg, "off")) {
				o.cfg_flags &= ~XTCP_CFG_ECN;
			} else {
				pr_err("--ecn %s: not on or off", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 's':
			if (parse_secret(optarg, o.secret))
				return EXIT_FAILURE;
			o.have_secret = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	o.ifname = arg_ifname("attach", argc, argv);
	if (!o.ifname)
		return EXIT_FAILURE;
	if (!o.nports) {
		pr_err("attach: --port is required");
		return EXIT_FAILURE;
	}
	if (require_root("attach") || pins_check_bpffs())
		return EXIT_FAILURE;
	if (pins_attached(o.ifname)) {
		pr_err("%s: xtcp is already attached (xtcp detach %s)",
		       o.ifname, o.ifname);
		return EXIT_FAILURE;
	}
	/* pins whose link is gone were left by a crash: they block nothing */
	pins_remove(o.ifname);

	err = loader_attach(&o, &l);
	if (err)
		return EXIT_FAILURE;
	err = loader_pin(&l, o.ifname);
	if (err) {
		loader_close(&l);	/* the unpinned link detaches with us */
		return EXIT_FAILURE;
	}
	printf("%s: xtcp attached (%s), serving port%s", o.ifname,
	       o.xdp_flags == XDP_FLAGS_SKB_MODE ? "generic" : "native",
	       o.nports > 1 ? "s" : "");
	for (i = 0; i < o.nports; i++)
		printf("%s%u", i ? "," : " ", o.ports[i]);
	printf("; maps in %s/%s\n", XTCP_PIN_ROOT, o.ifname);
	loader_close(&l);
	return EXIT_SUCCESS;
}
