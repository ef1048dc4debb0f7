// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SIGINT and SIGTERM set cli_stop to their number; long-running commands
 * poll it (serve tells a drain, SIGTERM, from a stop now, SIGINT). */
#include <signal.h>

#include "cli.h"

volatile sig_atomic_t cli_stop;

static void on_stop_signal(int sig)
{
	cli_stop = sig;
}

void cli_catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
