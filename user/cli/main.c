// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp: SYN-flood-proof TCP serving. The command line, in the manner of ip
 * and bpftool: `xtcp [-v] COMMAND [ARGS]`, each command with --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "attach", cmd_attach, "answer SYNs on an interface from XDP" },
	{ "detach", cmd_detach, "take xtcp off an interface" },
	{ "serve", cmd_serve, "attach and serve TCP from the userspace engine" },
	{ "stats", cmd_stats, "counters of an attached interface" },
	{ "status", cmd_status, "interfaces xtcp is attached to" },
	{ "acl", cmd_acl, "allow and deny client prefixes at run time" },
};

#ifndef XTCP_VERSION
#define XTCP_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: xtcp [-v|--verbose] [-V|--version] [-n|--netns NETNS] COMMAND [ARGS]\n\n"
		"  -n, --netns NETNS   run COMMAND in network namespace NETNS (a name\n"
		"                      in /run/netns, as `ip -n`, or a path such as\n"
		"                      /proc/PID/ns/net); the host's mounts are kept\n\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n`xtcp COMMAND --help` describes each.\n");
}

/*
 * Enter a network namespace for the network work, keeping this process's
 * mounts: unlike `ip netns exec`, /sys (and the bpffs under it) stays the
 * host's, so pins outlive the command.
 */
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, n;

	n = strchr(name, '/') ? snprintf(path, sizeof(path), "%s", name)
			      : snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (n < 0 || (size_t)n >= sizeof(path) || !*name) {
		fprintf(stderr, "xtcp: -n %s: not a network namespace name\n", name);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		n = -errno;
		fprintf(stderr, "xtcp: -n %s: %s: %s\n", name, path, strerror(-n));
		return n;
	}
	if (setns(fd, CLONE_NEWNET)) {
		n = -errno;
		fprintf(stderr, "xtcp: -n %s: entering it: %s\n", name, strerror(-n));
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	enum log_level level = LOG_INFO;
	size_t i;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose")) {
			level = LOG_DEBUG;
		} else if (!strcmp(argv[1], "-n") || !strcmp(argv[1], "--netns")) {
			if (argc < 3) {
				fprintf(stderr, "xtcp: %s needs a namespace\n", argv[1]);
				return EXIT_FAILURE;
			}
			if (enter_netns(argv[2]))
				return EXIT_FAILURE;
			argc--;
			argv++;
		} else if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
			printf("xtcp %s\n", XTCP_VERSION);
			return EXIT_SUCCESS;
		} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout);
			return EXIT_SUCCESS;
		} else {
			fprintf(stderr, "xtcp: %s: unknown option\n", argv[1]);
			usage(stderr);
			return EXIT_FAILURE;
		}
		argc--;
		argv++;
	}
	log_init("xtcp", level);
	if (argc < 2) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	/* `xtcp COMMAND --version` too, as every command takes --help */
	for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
		if (!strcmp(argv[a], "--version")) {
			printf("xtcp %s\n", XTCP_VERSION);
			return EXIT_SUCCESS;
		}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "xtcp: %s: unknown command\n", argv[1]);
	usage(stderr);
	return EXIT_FAILURE;
}
