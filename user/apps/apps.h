/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The built-in applications; each uses only the event API of tcp/app.h. */
#ifndef XTCP_APPS_H
#define XTCP_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include "tcp/app.h"

extern const struct tcp_app app_echo;	 /* sends back every byte */
extern const struct tcp_app app_http;	 /* HTTP/1.1 GET, fixed body */
extern const struct tcp_app app_discard; /* reads and drops everything */
extern const struct tcp_app app_source;	 /* streams bytes until the peer closes */

/* The http app's timeouts, in ms (0: none); set before serving starts. */
struct http_cfg {
	unsigned int header_ms;		/* a request head, from the accept or its first byte */
	unsigned int keepalive_ms;	/* idle between requests */
	unsigned int linger_ms;		/* lingering close: quiet input */
};
extern struct http_cfg http_cfg;

/* The app called name, or NULL. */
const struct tcp_app *app_find(const char *name);
/* "echo|http|discard|source" */
const char *app_names(void);

/*
 * The `http` app's answer to one request head (NUL-terminated, ending in
 * its last CRLF): the bytes into out, their length as the return value,
 * and whether the connection stays open. The kernel server of the
 * benchmarks sends the same bytes through this.
 */
int http_response(const char *head, char *out, size_t cap, bool *keep);

/* Byte i of what `source` sends: a pattern a client can check. */
static inline unsigned char app_source_byte(unsigned long long i)
{
	return (unsigned char)(i % 251);
}

#endif /* XTCP_APPS_H */
