// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A minimal HTTP/1.1 server (RFC 9112): GET and HEAD of any path answer 200
 * with a fixed body and Content-Length; persistent connections unless the
 * request says "Connection: close" (HTTP/1.0: unless it says keep-alive);
 * pipelined requests are answered in order. Anything else gets 405, and a
 * request head over the buffer gets 431 and a close.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apps.h"

#define HTTP_HEAD_MAX 4096
#define HTTP_BODY "Hello from xtcp\n"

struct http {
	unsigned short len;
	bool closing;
	char buf[HTTP_HEAD_MAX];
};

/* The value of header name in head (NUL-terminated), or NULL. */
static const char *header(const char *head, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *end = strstr(v, "\r\n");

			while (*v == ' ' || *v == '\t')
				v++;
			*vlen = end ? (size_t)(end - v) : strlen(v);
			return v;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static bool has_token(const char *v, size_t len, const char *tok)
{
	size_t tl = strlen(tok), i;

	for (i = 0; i + tl <= len; i++)
		if (!strncasecmp(v + i, tok, tl))
			return true;
	return false;
}

int http_response(const char *head, char *out, size_t cap, bool *keep)
{
	const char *v, *status = "200 OK";
	size_t vlen = 0;
	bool http10 = false, get = !strncmp(head, "GET ", 4);
	size_t clen = strlen(HTTP_BODY);	/* HEAD: as GET, without the body */

	if (!get && strncmp(head, "HEAD ", 5)) {
		status = "405 Method Not Allowed";
		clen = 0;
	}
	v = strstr(head, " HTTP/1.0\r\n");
	if (v && v < strstr(head, "\r\n") + 1)
		http10 = true;
	*keep = !http10;
	if ((v = header(head, "Connection", &vlen))) {
		if (has_token(v, vlen, "close"))
			*keep = false;
		else if (has_token(v, vlen, "keep-alive"))
			*keep = true;
	}
	return snprintf(out, cap,
			"HTTP/1.1 %s\r\nServer: xtcp\r\nContent-Type: text/plain\r\n"
			"Content-Length: %zu\r\n%s\r\n%s",
			status, clen,
			*keep ? (http10 ? "Connection: keep-alive\r\n" : "")
			      : "Connection: close\r\n",
			get ? HTTP_BODY : "");
}

/* Answer one request head; false when it could not be queued whole. */
static bool respond(struct tcp_conn *c, struct http *st, char *head)
{
	char out[512];
	bool keep;
	int n = http_response(head, out, sizeof(out), &keep);

	if (tcp_send_space(c) < (size_t)n)
		return false;
	tcp_send(c, out, (size_t)n);
	if (!keep)
		st->closing = true;
	return true;
}

static void serve(struct tcp_conn *c, struct http *st)
{
	char *end;
	size_t n;

	for (;;) {
		while (!st->closing && st->len < HTTP_HEAD_MAX - 1) {
			n = tcp_recv(c, st->buf + st->len, HTTP_HEAD_MAX - 1 - st->len);
			if (!n)
				break;
			st->len += (unsigned short)n;
		}
		st->buf[st->len] = '\0';
		end = strstr(st->buf, "\r\n\r\n");
		if (!end) {
			if (st->len >= HTTP_HEAD_MAX - 1 && !st->closing) {
				static const char big[] =
					"HTTP/1.1 431 Request Header Fields Too Large\r\n"
					"Content-Length: 0\r\nConnection: close\r\n\r\n";

				tcp_send(c, big, sizeof(big) - 1);
				st->closing = true;
				st->len = 0;
			}
			break;
		}
		end[2] = '\0';	/* the head, with its last CRLF */
		if (!respond(c, st, st->buf)) {
			end[2] = '\r';
			return;	/* no room: WRITABLE brings us back */
		}
		n = (size_t)(end + 4 - st->buf);
		memmove(st->buf, st->buf + n, st->len - n);
		st->len -= (unsigned short)n;
		if (st->closing)
			break;
	}
	if (st->closing)
		tcp_close(c);
}

static void http_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	struct http *st = ctx;

	switch (ev) {
	case TCP_EV_ACCEPTED:
		/* responses are whole writes: as nginx's tcp_nodelay, no
		 * keep-alive response waits for the previous one's ACK */
		tcp_set_nodelay(c, true);
		break;
	case TCP_EV_READABLE:
	case TCP_EV_WRITABLE:
		serve(c, st);
		break;
	case TCP_EV_PEER_CLOSED:
		serve(c, st);
		if (!st->closing)
			tcp_close(c);
		break;
	default:
		break;
	}
}

const struct tcp_app app_http = {
	.name = "http",
	.ctx_size = sizeof(struct http),
	.event = http_event,
};
