// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp acl IFACE add|del|list: the allow and deny prefixes of an attached
 * xtcp, changed in its pinned `acl` map while it serves. A change applies
 * to the next SYN or third ACK; connections already open are kept.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "acl.h"
#include "cli.h"
#include "json.h"
#include "log.h"
#include "pins.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp acl IFACE list [--json]\n"
"       xtcp acl IFACE add allow|deny CIDR[,CIDR...]\n"
"       xtcp acl IFACE del CIDR[,CIDR...]\n"
"\n"
"Show or change which clients may open connections to the ports xtcp\n"
"serves on IFACE (netfilter never sees them: XDP answers first). The\n"
"longest matching prefix decides; a client no prefix matches is allowed,\n"
"unless an allow prefix exists: then it is denied (listed as ::/0\n"
"deny-unlisted). IPv4 and IPv6. Takes effect at the next SYN or third\n"
"ACK; established connections of a newly denied client are kept until\n"
"they end. Refusals are counted (drop_acl_deny, drop_acl_not_allowed in\n"
"`xtcp stats`).\n"
"\n"
"  -j, --json    list as JSON\n"
"  -h, --help    this text\n");
}

static int acl_list(int fd, bool json)
{
	struct xtcp_acl_key k, next;
	struct xtcp_acl v;
	void *prev = NULL;
	char cidr[64];
	int n = 0;

	if (json)
		printf("{\"schema\":%d,\"acl\":[", XTCP_JSON_SCHEMA);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		acl_format(&k, cidr, sizeof(cidr));
		if (json)
			printf("%s{\"prefix\":\"%s\",\"verdict\":\"%s\"}", n ? "," : "",
			       cidr, acl_verdict_name(v.verdict));
		else
			printf("%-8s %s\n", acl_verdict_name(v.verdict), cidr);
		n++;
	}
	if (json)
		printf("]}\n");
	else if (!n)
		printf("(empty: every client may connect)\n");
	return 0;
}

int cmd_acl(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct xtcp_acl_key keys[LOADER_ACL_MAX];
	const char *ifname, *op, *list;
	__u32 verdict = 0;
	bool json = false;
	int c, fd, n = 0, i, err = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_SUCCESS;
		}
		if (c == 'j') {
			json = true;
			continue;
		}
		usage(stderr);
		return EXIT_FAILURE;
	}
	if (argc - optind < 2) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	ifname = argv[optind];
	op = argv[optind + 1];
	if (check_ifname(ifname))
		return EXIT_FAILURE;
	/* --json may follow the operation too */
	if (argc - optind == 3 && !strcmp(argv[optind + 2], "--json")) {
		json = true;
		argc--;
	}
	if (!strcmp(op, "list")) {
		if (argc - optind != 2)
			goto out_usage;
	} else if (!strcmp(op, "add")) {
		if (argc - optind != 4)
			goto out_usage;
		if (!strcmp(argv[optind + 2], "allow"))
			verdict = XTCP_ACL_ALLOW;
		else if (!strcmp(argv[optind + 2], "deny"))
			verdict = XTCP_ACL_DENY;
		else
			goto out_usage;
		list = argv[optind + 3];
		if (acl_parse_list(list, keys, LOADER_ACL_MAX, &n))
			return EXIT_FAILURE;
	} else if (!strcmp(op, "del")) {
		if (argc - optind != 3)
			goto out_usage;
		list = argv[optind + 2];
		if (acl_parse_list(list, keys, LOADER_ACL_MAX, &n))
			return EXIT_FAILURE;
	} else {
		goto out_usage;
	}
	if (require_privs("acl") || pins_check_bpffs())
		return EXIT_FAILURE;
	fd = pins_open(ifname, PIN_ACL);
	if (fd < 0) {
		pr_err("%s: xtcp is not attached (or predates ACLs: reattach)", ifname);
		return EXIT_FAILURE;
	}
	if (!strcmp(op, "list")) {
		err = acl_list(fd, json);
	} else {
		for (i = 0; i < n && !err; i++) {
			char cidr[64];

			acl_format(&keys[i], cidr, sizeof(cidr));
			err = verdict ? acl_add(fd, &keys[i], verdict) : acl_del(fd, &keys[i]);
			if (err)
				pr_err("%s: %s %s: %s", ifname, op, cidr,
				       err == -ENOENT ? "no such prefix" : strerror(-err));
		}
	}
	close(fd);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;

out_usage:
	usage(stderr);
	return EXIT_FAILURE;
}
