// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The built-in applications, found by name for `serve --app`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apps.h"

static const struct tcp_app *const apps[] = {
	&app_echo, &app_http, &app_discard, &app_source, &app_proxy,
};

/* a library user's own (xtcp_serve), found by name like the others */
static const struct tcp_app *own;

const struct tcp_app *app_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
		if (!strcmp(apps[i]->name, name))
			return apps[i];
	return own && !strcmp(own->name, name) ? own : NULL;
}

int app_register(const struct tcp_app *app)
{
	size_t i;

	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
		if (!strcmp(apps[i]->name, app->name))
			return -EEXIST;
	own = app;
	return 0;
}

/* "echo, http, ...", built once from the table. */
const char *app_names(void)
{
	static char names[128];
	size_t i, n = 0;

	if (names[0])
		return names;
	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
		n += (size_t)snprintf(names + n, n < sizeof(names) ? sizeof(names) - n : 0,
				      "%s%s", i ? ", " : "", apps[i]->name);
	return names;
}
