// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtcp detach IFACE: take the XDP program off and remove its pins. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"
#include "loader.h"
#include "log.h"
#include "pins.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp detach IFACE\n"
"\n"
"Detach xtcp from IFACE and remove its pins (%s/nsINODE/IFACE, INODE\n"
"that of this network namespace: another namespace's IFACE is never\n"
"touched). Connections the engine holds are not closed gracefully: stop\n"
"`xtcp serve` instead where one runs.\n"
"\n"
"  -h, --help    this text\n", XTCP_PIN_ROOT);
}

int cmd_detach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char dir[512];
	struct stat st;
	const char *ifname;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_SUCCESS;
		}
		usage(stderr);
		return EXIT_FAILURE;
	}
	ifname = arg_ifname("detach", argc, argv);
	if (!ifname || require_privs("detach") || pins_check_bpffs())
		return EXIT_FAILURE;
	if (pins_dir(ifname, dir, sizeof(dir)) || stat(dir, &st)) {
		pr_err("%s: xtcp is not attached", ifname);
		return EXIT_FAILURE;
	}
	if (pins_served(ifname)) {
		pr_err("%s: held by a running `xtcp serve`: stop it (SIGINT or SIGTERM)",
		       ifname);
		return EXIT_FAILURE;
	}
	if (loader_detach(ifname))
		return EXIT_FAILURE;
	printf("%s: xtcp detached\n", ifname);
	return EXIT_SUCCESS;
}
