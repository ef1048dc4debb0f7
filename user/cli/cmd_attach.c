// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp attach IFACE: load the XDP program, configure it, attach it and pin
 * everything, then exit. The pinned link keeps it attached; cookie keys
 * rotate inside the program (see include/xtcp/cookie.h), so nothing needs
 * to stay resident.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
"hand completed handshakes on: to AF_XDP (--to engine, for `xtcp serve`),\n"
"or to the kernel's own listener on the port (--to kernel: shields a server\n"
"that already runs, e.g. nginx, unmodified). Other traffic passes untouched.\n"
"\n"
"  xtcp attach eth0 --port 80,443 --to kernel\n"
"\n"
"%s"
"  -h, --help                 this text\n", attach_opts_help);
}

int cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		ATTACH_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct loader_opts o;
	struct loader l;
	char dir[PATH_MAX];
	int c, err, i;

	attach_opts_default(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, ATTACH_SHORTOPTS "h", longopts,
				NULL)) != -1) {
		switch (attach_opt(c, optarg, &o)) {
		case 0:
			continue;
		case -1:
			return EXIT_FAILURE;
		}
		switch (c) {
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
	if (attach_opts_done(&o))
		return EXIT_FAILURE;
	if (require_privs("attach") || pins_check_bpffs() || check_iface(o.ifname))
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
	err = loader_pin(&l, o.ifname, true);
	if (err) {
		loader_close(&l);	/* the unpinned link detaches with us */
		return EXIT_FAILURE;
	}
	printf("%s: xtcp attached (%s), serving port%s", o.ifname,
	       o.xdp_flags == XDP_FLAGS_SKB_MODE ? "generic" : "native",
	       o.nports > 1 ? "s" : "");
	for (i = 0; i < o.nports; i++)
		printf("%s%u%s", i ? "," : " ", o.ports[i],
		       o.port_modes[i] == XTCP_PORT_KERNEL ? " (to the kernel)" : "");
	if (!pins_dir(o.ifname, dir, sizeof(dir)))
		printf("; maps in %s", dir);
	printf("\n");
	fflush(stdout);
	attach_notices(&o);
	loader_close(&l);
	return EXIT_SUCCESS;
}
