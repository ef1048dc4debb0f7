/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Subcommands of the xtcp CLI and the argument helpers they share. */
#ifndef XTCP_CLI_H
#define XTCP_CLI_H

#include <stdbool.h>
#include <linux/types.h>

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_status(int argc, char **argv);

int parse_ports(const char *arg, __u16 *ports, int max, int *n);
int parse_uint(const char *what, const char *arg, unsigned long min,
	       unsigned long max, unsigned long *out);
int parse_secret(const char *path, __u64 secret[2]);
int require_root(const char *cmd);
int check_ifname(const char *ifname);
const char *arg_ifname(const char *cmd, int argc, char **argv);

#endif /* XTCP_CLI_H */
