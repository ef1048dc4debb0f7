// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SIGINT and SIGTERM set cli_stop; long-running commands poll it. */
#include <signal.h>

#include "cli.h"

volatile sig_atomic_t cli_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
