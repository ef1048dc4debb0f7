/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Subcommands of the xtcp CLI and the argument helpers they share. */
#ifndef XTCP_CLI_H
#define XTCP_CLI_H

#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <linux/types.h>

#include "loader.h"

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_acl(int argc, char **argv);

int cmd_serve(int argc, char **argv);

extern volatile sig_atomic_t cli_stop, cli_reload;
void cli_catch_stop(void);
void cli_catch_reload(void);	/* SIGHUP sets cli_reload */

/* Options of the XDP program, shared by attach and serve. */
enum {
	ATTACH_OPT_MSS = 0x100,
	ATTACH_OPT_WSCALE,
	ATTACH_OPT_WINDOW,
	ATTACH_OPT_BAD_ACK,
	ATTACH_OPT_ECN,
	ATTACH_OPT_SECRET,
	ATTACH_OPT_ADDR,
	ATTACH_OPT_TO,
	ATTACH_OPT_ALLOW,
	ATTACH_OPT_DENY,
	ATTACH_OPT_REPLAY_MAX,
};
#define ATTACH_SHORTOPTS "p:m:"
#define ATTACH_LONGOPTS							\
	{ "port", required_argument, NULL, 'p' },			\
	{ "xdp-mode", required_argument, NULL, 'm' },			\
	{ "mss", required_argument, NULL, ATTACH_OPT_MSS },		\
	{ "wscale", required_argument, NULL, ATTACH_OPT_WSCALE },	\
	{ "window", required_argument, NULL, ATTACH_OPT_WINDOW },	\
	{ "bad-ack", required_argument, NULL, ATTACH_OPT_BAD_ACK },	\
	{ "ecn", required_argument, NULL, ATTACH_OPT_ECN },		\
	{ "secret-file", required_argument, NULL, ATTACH_OPT_SECRET },	\
	{ "addr", required_argument, NULL, ATTACH_OPT_ADDR },	\
	{ "to", required_argument, NULL, ATTACH_OPT_TO },	\
	{ "allow", required_argument, NULL, ATTACH_OPT_ALLOW },		\
	{ "deny", required_argument, NULL, ATTACH_OPT_DENY },		\
	{ "replay-max", required_argument, NULL, ATTACH_OPT_REPLAY_MAX }
extern const char attach_opts_help[];
void attach_opts_default(struct loader_opts *o);
/* 0: taken, 1: not an attach option, -1: bad value (reported). */
int attach_opt(int c, const char *arg, struct loader_opts *o);
/* Warnings once attached: listeners taken over, the netfilter bypass. */
void attach_notices(const struct loader_opts *o);
void veth_notices(const char *ifname);
/* After the options: 0, or -1 (reported) if they do not add up. */
int attach_opts_done(struct loader_opts *o);

int parse_ports(const char *arg, __u16 *ports, int max, int *n);
int parse_uint(const char *what, const char *arg, unsigned long min,
	       unsigned long max, unsigned long *out);
int parse_secret(const char *path, __u64 secret[2]);
int require_privs(const char *cmd);
int check_ifname(const char *ifname);
int check_iface(const char *ifname);
const char *arg_ifname(const char *cmd, int argc, char **argv);

#endif /* XTCP_CLI_H */
