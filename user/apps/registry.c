// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>

#include "apps.h"

static const struct tcp_app *const apps[] = {
	&app_echo, &app_http, &app_discard, &app_source,
};

const struct tcp_app *app_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
		if (!strcmp(apps[i]->name, name))
			return apps[i];
	return NULL;
}

const char *app_names(void)
{
	return "echo|http|discard|source";
}
