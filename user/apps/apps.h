/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The built-in applications; each uses only the event API of tcp/app.h. */
#ifndef XTCP_APPS_H
#define XTCP_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "tcp/app.h"

struct xtcp_flow_key;

extern const struct tcp_app app_echo;	 /* sends back every byte */
extern const struct tcp_app app_http;	 /* HTTP/1.1 GET, fixed body */
extern const struct tcp_app app_discard; /* reads and drops everything */
extern const struct tcp_app app_source;	 /* streams bytes until the peer closes */
extern const struct tcp_app app_proxy;	 /* relays to kernel TCP backends */

/* The proxy app's backends and options; set before serving starts. */
#define PROXY_MAX_BACKENDS 16
struct proxy_backend {
	struct sockaddr_storage addr;	/* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t len;
};
struct proxy_cfg {
	struct proxy_backend backends[PROXY_MAX_BACKENDS];
	int nbackends;
	int pp_version;			/* PROXY protocol: 0 none, 1, 2 */
	unsigned int connect_timeout_ms; /* 0: the kernel's */
};
extern struct proxy_cfg proxy_cfg;
/* HOST:PORT[,...] with HOST IPv4 or [IPv6], or unix:PATH; -EINVAL. */
int proxy_parse_backends(const char *arg);
/* The PROXY protocol header (version 1 or 2) for a connection's key into
 * out: its length, 0 when it does not fit. */
size_t proxy_header(int version, const struct xtcp_flow_key *k, bool v6,
		    unsigned char *out, size_t cap);

/* The http app's timeouts, in ms (0: none); set before serving starts. */
struct http_cfg {
	unsigned int header_ms;		/* a request head, from the accept or its first byte */
	unsigned int keepalive_ms;	/* idle between requests */
	unsigned int linger_ms;		/* lingering close: quiet input */
};
extern struct http_cfg http_cfg;

/* The app called name, or NULL. */
const struct tcp_app *app_find(const char *name);
/* Make app found by its name too (one at a time); -EEXIST: a built-in's. */
int app_register(const struct tcp_app *app);
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
