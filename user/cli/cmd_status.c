// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xtcp status: every interface xtcp is attached to, and how. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "addrs.h"
#include "counters.h"
#include "json.h"
#include "log.h"
#include "pins.h"

struct iface_status {
	const char *ifname;
	int ifindex;
	int attached;
	__u32 prog_id;
	const char *mode;
	struct xtcp_config cfg;
	char ports[512];	/* engine ports */
	char kports[512];	/* ports served to the kernel */
	char addrs[1024];	/* "any", or the addresses served */
	long flows;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp status [--json]\n"
"\n"
"List the interfaces of this network namespace xtcp is attached to: mode,\n"
"program, ports and who serves each (the engine, or the kernel's listener),\n"
"addresses, MSS, flows.\n"
"\n"
"  -j, --json    machine-readable output\n"
"  -h, --help    this text\n");
}

/* The served ports, as "80,443", by who serves them. */
static void read_ports(const char *ifname, char *buf, char *kbuf, size_t len)
{
	int fd = pins_open(ifname, PIN_PORTS);
	size_t used = 0, kused = 0;
	__u32 port;
	__u8 v;

	buf[0] = kbuf[0] = 0;
	if (fd < 0)
		return;
	for (port = 1; port < 65536 && used + 8 < len && kused + 8 < len; port++) {
		if (bpf_map_lookup_elem(fd, &port, &v) || !v)
			continue;
		if (v == XTCP_PORT_KERNEL)
			kused += snprintf(kbuf + kused, len - kused, "%s%u",
					  kused ? "," : "", port);
		else
			used += snprintf(buf + used, len - used, "%s%u",
					 used ? "," : "", port);
	}
	close(fd);
}

static void read_addrs(struct iface_status *st, size_t len)
{
	struct xtcp_addr list[XTCP_MAX_ADDRS], key;
	int fd, n = 0;
	void *prev = NULL;

	snprintf(st->addrs, len, "any");
	if (!(st->cfg.flags & XTCP_CFG_ADDRS))
		return;
	fd = pins_open(st->ifname, PIN_ADDRS);
	if (fd < 0)
		return;
	while (n < XTCP_MAX_ADDRS && !bpf_map_get_next_key(fd, prev, &list[n])) {
		key = list[n++];
		prev = &key;
	}
	close(fd);
	addrs_str(list, n, st->addrs, len);
}

static void read_status(struct iface_status *st)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 zero = 0;
	int fd;

	st->ifindex = if_nametoindex(st->ifname);
	st->attached = pins_attached(st->ifname);
	st->mode = "none";
	if (st->ifindex && !bpf_xdp_query(st->ifindex, 0, &q)) {
		st->prog_id = q.prog_id;
		st->mode = q.attach_mode == XDP_ATTACHED_DRV ? "native" :
			   q.attach_mode == XDP_ATTACHED_SKB ? "generic" :
			   q.attach_mode == XDP_ATTACHED_HW ? "offload" :
			   q.attach_mode == XDP_ATTACHED_NONE ? "none" : "multi";
	}
	fd = pins_open(st->ifname, PIN_CONFIG);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &st->cfg);
		close(fd);
	}
	read_ports(st->ifname, st->ports, st->kports, sizeof(st->ports));
	read_addrs(st, sizeof(st->addrs));
	st->flows = counters_flows(st->ifname);
}

static void print_status(const struct iface_status *st, bool json, bool first)
{
	const struct xtcp_config *c = &st->cfg;
	bool rst = c->flags & XTCP_CFG_BAD_ACK_RST, ecn = c->flags & XTCP_CFG_ECN;

	if (json) {
		printf("%s{\"schema\":%d,\"ifname\":", first ? "" : ",", XTCP_JSON_SCHEMA);
		json_str(stdout, st->ifname);
		printf(",\"ifindex\":%d,\"attached\":%s,"
		       "\"mode\":\"%s\",\"prog_id\":%u,\"ports\":[%s],"
		       "\"kernel_ports\":[%s],"
		       "\"mss4\":%u,\"mss6\":%u,\"wscale\":%u,\"window\":%u,"
		       "\"bad_ack\":\"%s\",\"ecn\":%s,\"flows\":%ld,\"addrs\":",
		       st->ifindex,
		       st->attached ? "true" : "false", st->mode, st->prog_id,
		       st->ports, st->kports, c->mss4, c->mss6, c->wscale, c->window,
		       rst ? "rst" : "drop", ecn ? "true" : "false", st->flows);
		if (!strcmp(st->addrs, "any")) {
			printf("\"any\"}");
			return;
		}
		/* the list as an array: "a, b" -> ["a","b"] */
		printf("[");
		for (const char *a = st->addrs; *a;) {
			size_t n = strcspn(a, ",");

			printf("%s\"%.*s\"", a == st->addrs ? "" : ",", (int)n, a);
			a += n;
			a += strspn(a, ", ");
		}
		printf("]}");
		return;
	}
	printf("%s: %s", st->ifname,
	       st->attached ? "attached" : "stale pins (nothing attached)");
	if (st->attached)
		printf(" %s, prog id %u", st->mode, st->prog_id);
	printf("\n    ports to the engine %s  to the kernel %s\n",
	       st->ports[0] ? st->ports : "-", st->kports[0] ? st->kports : "-");
	printf("    mss %u/%u (IPv4/IPv6)  wscale %u  window %u"
	       "  bad-ack %s  ecn %s  flows %ld\n",
	       c->mss4, c->mss6, c->wscale,
	       c->window, rst ? "rst" : "drop", ecn ? "on" : "off", st->flows);
	printf("    addresses %s\n", st->addrs[0] ? st->addrs : "none (everything passes)");
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct dirent *de;
	char dir[PATH_MAX];
	bool json = false;
	int c, n = 0;
	DIR *d;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind != argc) {
		pr_err("status: takes no arguments");
		return EXIT_FAILURE;
	}
	if (require_privs("status") || pins_check_bpffs())
		return EXIT_FAILURE;
	if (json)
		printf("[");
	/* this network namespace's instances only */
	d = pins_ns_dir(dir, sizeof(dir)) ? NULL : opendir(dir);
	while (d && (de = readdir(d))) {
		struct iface_status st = { .ifname = de->d_name };

		if (de->d_name[0] == '.')
			continue;
		read_status(&st);
		print_status(&st, json, n++ == 0);
	}
	if (d)
		closedir(d);
	if (json)
		printf("]\n");
	else if (!n)
		printf("xtcp is not attached to any interface\n");
	return EXIT_SUCCESS;
}
