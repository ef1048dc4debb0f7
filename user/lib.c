// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The library's entry point (xtcp.h): the config struct becomes the
 * command line of `xtcp serve`, and the application is registered by its
 * name, so that a program linking libxtcp serves exactly as the command
 * does, options, checks and messages included.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "apps/apps.h"
#include "cli/cli.h"
#include "log.h"
#include "xtcp.h"

#define LIB_MAX_ARGS 64

int xtcp_serve(const struct xtcp_serve_cfg *cfg)
{
	char ports[64 * 6 + 1] = "", num[4][16];
	char *argv[LIB_MAX_ARGS + 16];
	int argc = 0, i, n = 0;

	if (!cfg || !cfg->ifname || !cfg->app || !cfg->app->name || !cfg->app->event ||
	    cfg->nports < 1 || cfg->nports > 64)
		return -EINVAL;
	if (app_register(cfg->app))
		return -EINVAL;
	for (i = 0; i < cfg->nports; i++)
		n += snprintf(ports + n, sizeof(ports) - (size_t)n, "%s%u", i ? "," : "",
			      cfg->ports[i]);
	argv[argc++] = (char *)"serve";
	argv[argc++] = (char *)cfg->ifname;
	argv[argc++] = (char *)"--port";
	argv[argc++] = ports;
	argv[argc++] = (char *)"--app";
	argv[argc++] = (char *)cfg->app->name;
	if (cfg->generic_xdp) {
		argv[argc++] = (char *)"--xdp-mode";
		argv[argc++] = (char *)"generic";
	}
	{
		static const char *const names[4] = { "--queues", "--max-conns",
						      "--sndbuf", "--rcvbuf" };
		const unsigned int vals[4] = { cfg->queues, cfg->max_conns, cfg->sndbuf,
					       cfg->rcvbuf };

		for (i = 0; i < 4; i++) {
			if (!vals[i])
				continue;
			snprintf(num[i], sizeof(num[i]), "%u", vals[i]);
			argv[argc++] = (char *)names[i];
			argv[argc++] = num[i];
		}
	}
	for (i = 0; cfg->extra_args && cfg->extra_args[i]; i++) {
		if (i == LIB_MAX_ARGS)
			return -EINVAL;
		argv[argc++] = (char *)cfg->extra_args[i];
	}
	argv[argc] = NULL;
	log_init("xtcp", LOG_INFO);
	cli_stop = 0;
	return cmd_serve(argc, argv) == 0 ? 0 : -EIO;
}

void xtcp_serve_stop(void)
{
	cli_stop = SIGTERM;
}
