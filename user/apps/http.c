// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A minimal HTTP/1.1 server (RFC 9112): GET and HEAD of any path answer 200
 * with a fixed body and Content-Length; persistent connections unless the
 * request says "Connection: close" (HTTP/1.0: unless it says keep-alive);
 * pipelined requests are answered in order. Anything else gets 405, and a
 * request head over the buffer gets 431 and a close. Every wait has a
 * bound (http_cfg, on the engine's app timer): a request head, 408 after
 * header_ms from the accept (on a kept-alive connection, from its first
 * byte); an idle kept-alive connection, closed
 * after keepalive_ms; a peer that does not read its responses, aborted.
 * Closing is lingering, so the last response is not destroyed by an RST.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apps.h"

#define HTTP_HEAD_MAX 4096
#define HTTP_BODY "Hello from xtcp\n"
#define HTTP_LINGER_ROUNDS 6	/* linger_ms each, while the peer still sends */

struct http_cfg http_cfg = {
	.header_ms = 60000,	/* nginx's client_header_timeout */
	.keepalive_ms = 75000,	/* nginx's keepalive_timeout */
	.linger_ms = 5000,	/* nginx's lingering_timeout */
};

/* What the connection waits for, and so what its timer means. */
enum http_wait {
	HW_NONE,	/* a response was just queued */
	HW_HEAD,	/* a request head: header_ms from its first byte */
	HW_IDLE,	/* the next request on a kept-alive connection */
	HW_SEND,	/* room for a response: the peer reads too slowly */
	HW_LINGER,	/* lingering close: our FIN is out, input is dropped */
};

struct http {
	unsigned short len;
	unsigned char wait;	/* enum http_wait */
	unsigned char lingers;	/* linger rounds so far */
	bool closing;
	bool heard;		/* lingering: input came since the timer was armed */
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

/* Enter wait w with its timer, unless already in it (a request head's
 * timeout runs from its first byte, not from the latest: slowloris). */
static void wait_for(struct tcp_conn *c, struct http *st, enum http_wait w)
{
	uint32_t ms = w == HW_HEAD ? http_cfg.header_ms :
		      w == HW_IDLE ? http_cfg.keepalive_ms :
		      w == HW_SEND ? http_cfg.header_ms : http_cfg.linger_ms;

	if (st->wait == w)
		return;
	st->wait = (unsigned char)w;
	tcp_set_app_timer(c, ms);
}

/* Read and drop what the peer still sends. */
static void drain(struct tcp_conn *c)
{
	char sink[4096];

	while (tcp_recv(c, sink, sizeof(sink)))
		;
}

/*
 * Close once the response is out, without an RST that would destroy it:
 * tcp_close with unread input sends RST (RFC 9293 3.10.4), and the
 * client's TCP then discards what it has not read yet, our last response
 * among it. So, as nginx's lingering close: FIN after the response, then
 * read and drop the peer's input until it closes too or has been quiet
 * for linger_ms (nginx's lingering_timeout; HTTP_LINGER_ROUNDS of it at
 * most, as lingering_time), then close.
 */
static void linger_close(struct tcp_conn *c, struct http *st)
{
	st->closing = true;
	st->len = 0;
	if (!http_cfg.linger_ms) {
		tcp_close(c);
		return;
	}
	tcp_shutdown(c);
	drain(c);
	wait_for(c, st, HW_LINGER);
}

static void serve(struct tcp_conn *c, struct http *st)
{
	char *end;
	size_t n;

	if (st->wait == HW_LINGER) {
		drain(c);
		st->heard = true;
		return;
	}
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
			if (st->len >= HTTP_HEAD_MAX - 1) {
				static const char big[] =
					"HTTP/1.1 431 Request Header Fields Too Large\r\n"
					"Content-Length: 0\r\nConnection: close\r\n\r\n";

				tcp_send(c, big, sizeof(big) - 1);
				linger_close(c, st);
				return;
			}
			/* a head under way; or between requests, idle */
			wait_for(c, st, st->len ? HW_HEAD : HW_IDLE);
			return;
		}
		end[2] = '\0';	/* the head, with its last CRLF */
		if (!respond(c, st, st->buf)) {
			end[2] = '\r';
			wait_for(c, st, HW_SEND);
			return;	/* no room: WRITABLE brings us back */
		}
		st->wait = HW_NONE;
		n = (size_t)(end + 4 - st->buf);
		memmove(st->buf, st->buf + n, st->len - n);
		st->len -= (unsigned short)n;
		if (st->closing) {
			/* Connection: close; what was pipelined after it is dropped */
			linger_close(c, st);
			return;
		}
	}
}

/* The timer of the current wait ran out. */
static void timeout(struct tcp_conn *c, struct http *st)
{
	static const char slow[] =
		"HTTP/1.1 408 Request Timeout\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";

	switch (st->wait) {
	case HW_HEAD:
		/* RFC 9110 15.5.9; the slot is what a slow client must not
		 * keep, so no lingering: what it sends next earns an RST */
		if (tcp_send_space(c) >= sizeof(slow) - 1)
			tcp_send(c, slow, sizeof(slow) - 1);
		tcp_close(c);
		break;
	case HW_LINGER:
		/* quiet for linger_ms, or lingered long enough: close */
		if (!st->heard || ++st->lingers >= HTTP_LINGER_ROUNDS) {
			drain(c);
			tcp_close(c);
			break;
		}
		st->heard = false;
		tcp_set_app_timer(c, http_cfg.linger_ms);
		break;
	case HW_SEND:
		tcp_abort(c);	/* the response cannot be delivered */
		break;
	default:		/* HW_IDLE: a kept-alive connection nobody uses */
		tcp_close(c);
		break;
	}
}

static void http_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	struct http *st = ctx;

	switch (ev) {
	case TCP_EV_ACCEPTED:
		/* responses are whole writes: as nginx's tcp_nodelay, no
		 * keep-alive response waits for the previous one's ACK */
		tcp_set_nodelay(c, true);
		/* the first request head is due within header_ms, as nginx */
		wait_for(c, st, HW_HEAD);
		break;
	case TCP_EV_READABLE:
	case TCP_EV_WRITABLE:
		serve(c, st);
		break;
	case TCP_EV_PEER_CLOSED:
		serve(c, st);
		if (st->wait == HW_LINGER) {
			drain(c);
			tcp_close(c);
		} else if (!st->closing) {
			tcp_close(c);
		}
		break;
	case TCP_EV_TIMER:
		timeout(c, st);
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
