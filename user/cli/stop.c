// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * SIGINT and SIGTERM set cli_stop to their number; long-running commands
 * poll it (serve tells a drain, SIGTERM, from a stop now, SIGINT). SIGHUP
 * sets cli_reload for serve (a reload, as daemons under systemd take it),
 * and SIGPIPE is ignored: a closed pipe on stdout is an error to report,
 * not a death without cleanup.
 */
#include <signal.h>

#include "cli.h"

volatile sig_atomic_t cli_stop;
volatile sig_atomic_t cli_reload;

static void on_stop_signal(int sig)
{
	cli_stop = sig;
}

void cli_catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void on_reload_signal(int sig)
{
	(void)sig;
	cli_reload = 1;
}

void cli_catch_reload(void)
{
	struct sigaction sa = { .sa_handler = on_reload_signal };

	sigaction(SIGHUP, &sa, NULL);
}
