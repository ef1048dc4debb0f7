// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Argument parsing shared by the subcommands; every error names its input. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "cli.h"
#include "log.h"

int parse_uint(const char *what, const char *arg, unsigned long min,
	       unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || arg[0] == '-' || v < min || v > max) {
		pr_err("%s %s: not a number from %lu to %lu", what, arg, min,
		       max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* "80,443,8080" into ports[], at most max, no duplicates. */
int parse_ports(const char *arg, __u16 *ports, int max, int *n)
{
	char buf[512], *tok, *save = NULL;
	unsigned long v;
	int i;

	if (strlen(arg) >= sizeof(buf)) {
		pr_err("--port %s: too long", arg);
		return -EINVAL;
	}
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "0")) {
			pr_err("port 0 is not a port");
			return -EINVAL;
		}
		if (parse_uint("port", tok, 1, 65535, &v))
			return -EINVAL;
		for (i = 0; i < *n; i++)
			if (ports[i] == v)
				break;
		if (i < *n)
			continue;
		if (*n >= max) {
			pr_err("--port: at most %d ports", max);
			return -E2BIG;
		}
		ports[(*n)++] = (__u16)v;
	}
	if (!*n) {
		pr_err("--port %s: no port given", arg);
		return -EINVAL;
	}
	return 0;
}

/* A master secret: 32 hex digits (128 bits) on the file's first line. */
int parse_secret(const char *path, __u64 secret[2])
{
	char line[128];
	__u8 b[16];
	FILE *f = fopen(path, "r");
	int i, ok;

	if (!f) {
		pr_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = 0;
	if (!ok || strlen(line) != 32) {
		pr_err("%s: expected 32 hex digits (a 128-bit secret)", path);
		return -EINVAL;
	}
	for (i = 0; i < 16; i++) {
		unsigned int byte;

		if (!isxdigit((unsigned char)line[2 * i]) ||
		    !isxdigit((unsigned char)line[2 * i + 1]) ||
		    sscanf(line + 2 * i, "%2x", &byte) != 1) {
			pr_err("%s: expected 32 hex digits (a 128-bit secret)",
			       path);
			return -EINVAL;
		}
		b[i] = (__u8)byte;
	}
	memcpy(secret, b, sizeof(b));
	return 0;
}

static bool have_cap(unsigned cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1U << (cap % 32));
}

/*
 * What each command needs, as capabilities rather than uid 0 (a unit with
 * CapabilityBoundingSet, a container): bpf() itself (CAP_BPF, or the
 * CAP_SYS_ADMIN that implies it), attaching XDP and tc (CAP_NET_ADMIN), and
 * AF_XDP sockets (CAP_NET_RAW). Write access to bpffs is the file system's
 * to grant, and its error names the path.
 */
int require_privs(const char *cmd)
{
	bool net = strcmp(cmd, "stats") && strcmp(cmd, "status");
	bool raw = !strcmp(cmd, "serve");

	if (!have_cap(CAP_BPF) && !have_cap(CAP_SYS_ADMIN)) {
		pr_err("%s: needs CAP_BPF (or CAP_SYS_ADMIN): run as root or grant it", cmd);
		return -EPERM;
	}
	if (net && !have_cap(CAP_NET_ADMIN)) {
		pr_err("%s: needs CAP_NET_ADMIN to attach programs: run as root or grant it",
		       cmd);
		return -EPERM;
	}
	if (raw && !have_cap(CAP_NET_RAW)) {
		pr_err("%s: needs CAP_NET_RAW for AF_XDP sockets: run as root or grant it", cmd);
		return -EPERM;
	}
	return 0;
}

int check_ifname(const char *ifname)
{
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE ||
	    strchr(ifname, '/') || ifname[0] == '.') {
		pr_err("%s: not an interface name", ifname ? ifname : "\"\"");
		return -EINVAL;
	}
	return 0;
}

/* 0 if ifname is an interface of this network namespace. */
int check_iface(const char *ifname)
{
	if (if_nametoindex(ifname))
		return 0;
	pr_err("%s: no such interface", ifname);
	return -ENODEV;
}

/* The one IFACE argument left after the options, checked; NULL if none. */
const char *arg_ifname(const char *cmd, int argc, char **argv)
{
	if (optind != argc - 1) {
		pr_err("%s: %s", cmd, optind >= argc ? "no interface given" :
						       "one interface only");
		return NULL;
	}
	return check_ifname(argv[optind]) ? NULL : argv[optind];
}
