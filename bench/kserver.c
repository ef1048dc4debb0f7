// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp-kserver: the Linux stack's side of the benchmarks. An epoll server,
 * one thread per --threads (SO_REUSEPORT), serving the same apps as xtcp
 * serve: http sends exactly the bytes of xtcp's http app (the same
 * http_response()), source sends the same byte pattern, discard reads and
 * drops. IPv4 and IPv6 on one socket. --cc names the congestion control
 * (TCP_CONGESTION on the listener, which its connections inherit), so a
 * benchmark never depends on the namespace's default.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apps/apps.h"
#include "cli/cli.h"
#include "log.h"

#define HEAD_MAX 4096
#define CHUNK 65536

enum mode { MODE_HTTP, MODE_SOURCE, MODE_DISCARD };

struct conn {
	int fd;
	size_t len;		/* http: bytes of request in buf */
	unsigned long long sent;	/* source: bytes sent */
	char buf[HEAD_MAX];
};

struct server {
	enum mode mode;
	int port, backlog;
	const char *cc;		/* NULL: the namespace's default */
	unsigned char pattern[CHUNK + 251];
};

static int listen_on(const struct server *s)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)s->port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1,
	    zero = 0;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    (s->cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, s->cc,
				 (socklen_t)strlen(s->cc))) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, s->backlog)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Every complete request head in buf gets its answer; false: close. */
static bool http_serve(struct conn *c)
{
	char out[512], *end;
	bool keep = true;
	ssize_t r;
	size_t n;

	for (;;) {
		r = read(c->fd, c->buf + c->len, HEAD_MAX - 1 - c->len);
		if (r == 0)
			return false;
		if (r < 0)
			return errno == EAGAIN;
		c->len += (size_t)r;
		c->buf[c->len] = '\0';
		while ((end = strstr(c->buf, "\r\n\r\n"))) {
			end[2] = '\0';
			n = (size_t)http_response(c->buf, out, sizeof(out),
						  &keep);
			/* a 150-byte answer to a fresh socket always fits */
			if (write(c->fd, out, n) != (ssize_t)n || !keep)
				return false;
			n = (size_t)(end + 4 - c->buf);
			memmove(c->buf, c->buf + n, c->len - n + 1);
			c->len -= n;
		}
		if (c->len >= HEAD_MAX - 1)
			return false;
	}
}

static bool source_fill(const struct server *s, struct conn *c)
{
	ssize_t r;

	for (;;) {
		r = write(c->fd, s->pattern + c->sent % 251, CHUNK);
		if (r < 0)
			return errno == EAGAIN;
		c->sent += (size_t)r;
	}
}

static bool discard_drain(struct conn *c)
{
	ssize_t r;

	do
		r = read(c->fd, c->buf, sizeof(c->buf));
	while (r > 0);
	return r < 0 && errno == EAGAIN;
}

static void *serve_thread(void *arg)
{
	struct server *s = arg;
	struct epoll_event ev, evs[256];
	int lfd = listen_on(s), ep = epoll_create1(0), i, n, fd;

	if (lfd < 0 || ep < 0) {
		pr_err("port %d: cannot listen: %s", s->port,
		       strerror(lfd < 0 ? -lfd : errno));
		exit(1);
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!cli_stop) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			bool keep;

			if (!c) {
				while ((fd = accept4(lfd, NULL, NULL,
						     SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					ev.events = s->mode == MODE_SOURCE ?
							    EPOLLOUT : EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				keep = false;
			else if (s->mode == MODE_HTTP)
				keep = http_serve(c);
			else if (s->mode == MODE_SOURCE)
				keep = source_fill(s, c);
			else
				keep = discard_drain(c);
			if (!keep)
				conn_close(ep, c);
		}
	}
	close(ep);
	close(lfd);
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xtcp-kserver --port PORT --app http|source|discard [--threads N]\n"
		"                    [--cc NAME]\n"
		"The Linux-stack counterpart of `xtcp serve`: an epoll server.\n\n"
		"  -p, --port PORT     listen on PORT, IPv4 and IPv6\n"
		"  -a, --app APP       http, source or discard\n"
		"  -j, --threads N     threads, one SO_REUSEPORT socket each (default 1)\n"
		"      --backlog N     listen backlog (default 4096)\n"
		"      --cc NAME       congestion control (TCP_CONGESTION; default: the\n"
		"                      namespace's net.ipv4.tcp_congestion_control)\n"
		"  -h, --help          this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "app", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 'j' },
		{ "backlog", required_argument, NULL, 'b' },
		{ "cc", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static struct server s = { .mode = MODE_HTTP, .backlog = 4096 };
	unsigned long v, nthreads = 1;
	pthread_t tids[64];
	int c, i;

	log_init("xtcp-kserver", LOG_INFO);
	while ((c = getopt_long(argc, argv, "p:a:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_uint("--port", optarg, 1, 65535, &v))
				return 1;
			s.port = (int)v;
			break;
		case 'a':
			if (!strcmp(optarg, "http"))
				s.mode = MODE_HTTP;
			else if (!strcmp(optarg, "source"))
				s.mode = MODE_SOURCE;
			else if (!strcmp(optarg, "discard"))
				s.mode = MODE_DISCARD;
			else {
				pr_err("--app %s: not http, source or discard",
				       optarg);
				return 1;
			}
			break;
		case 'j':
			if (parse_uint("--threads", optarg, 1, 64, &nthreads))
				return 1;
			break;
		case 'b':
			if (parse_uint("--backlog", optarg, 1, 1 << 20, &v))
				return 1;
			s.backlog = (int)v;
			break;
		case 'c':
			s.cc = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!s.port || optind != argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < (int)sizeof(s.pattern); i++)
		s.pattern[i] = app_source_byte((unsigned long long)i);
	cli_catch_stop();
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < (int)nthreads; i++)
		pthread_create(&tids[i], NULL, serve_thread, &s);
	for (i = 0; i < (int)nthreads; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
