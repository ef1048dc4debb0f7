// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * kv: a line-protocol key-value server on libxtcp, built out of tree with
 * `pkg-config --cflags --libs xtcp`. One command per line:
 *
 *   SET KEY VALUE   ->  OK
 *   GET KEY         ->  VALUE VALUE | NOT_FOUND
 *   QUIT            ->  BYE, and the server closes
 *
 * Keys and values are words of up to 63 bytes; the store is one table
 * shared by every queue thread, under a mutex.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xtcp.h>

#define KV_SLOTS 1024
#define KV_WORD 64
#define KV_LINE 256

static struct { char key[KV_WORD], val[KV_WORD]; } store[KV_SLOTS];
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;

struct kv_conn {
	char line[KV_LINE];
	size_t len;
};

static unsigned slot_of(const char *k)
{
	unsigned h = 2166136261u;

	while (*k)
		h = (h ^ (unsigned char)*k++) * 16777619u;
	return h % KV_SLOTS;
}

/* Linear probing; NULL when full. */
static char *lookup(const char *key, int create)
{
	unsigned s = slot_of(key), i;

	for (i = 0; i < KV_SLOTS; i++, s = (s + 1) % KV_SLOTS) {
		if (!strcmp(store[s].key, key))
			return store[s].val;
		if (!store[s].key[0]) {
			if (!create)
				return NULL;
			snprintf(store[s].key, KV_WORD, "%s", key);
			return store[s].val;
		}
	}
	return NULL;
}

/* One command; returns 1 when the connection is to close. */
static int command(struct tcp_conn *c, char *line)
{
	char out[KV_LINE], *cmd, *key, *val, *save;
	int quit = 0;

	cmd = strtok_r(line, " \r", &save);
	key = strtok_r(NULL, " \r", &save);
	val = strtok_r(NULL, " \r", &save);
	pthread_mutex_lock(&store_lock);
	if (cmd && !strcmp(cmd, "SET") && key && val && strlen(key) < KV_WORD &&
	    strlen(val) < KV_WORD) {
		char *v = lookup(key, 1);

		if (v)
			snprintf(v, KV_WORD, "%s", val);
		snprintf(out, sizeof(out), v ? "OK\n" : "FULL\n");
	} else if (cmd && !strcmp(cmd, "GET") && key) {
		char *v = lookup(key, 0);

		if (v)
			snprintf(out, sizeof(out), "VALUE %s\n", v);
		else
			snprintf(out, sizeof(out), "NOT_FOUND\n");
	} else if (cmd && !strcmp(cmd, "QUIT")) {
		snprintf(out, sizeof(out), "BYE\n");
		quit = 1;
	} else {
		snprintf(out, sizeof(out), "ERROR\n");
	}
	pthread_mutex_unlock(&store_lock);
	tcp_send(c, out, strlen(out));	/* replies are small: the buffer has room */
	return quit;
}

static void kv_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	struct kv_conn *k = ctx;
	char *nl;
	size_t n;

	switch (ev) {
	case TCP_EV_ACCEPTED:
		tcp_set_nodelay(c, 1);
		break;
	case TCP_EV_READABLE:
		while ((n = tcp_recv(c, k->line + k->len, sizeof(k->line) - 1 - k->len))) {
			k->len += n;
			k->line[k->len] = 0;
			while ((nl = strchr(k->line, '\n'))) {
				*nl = 0;
				if (command(c, k->line)) {
					tcp_close(c);
					return;
				}
				k->len -= (size_t)(nl + 1 - k->line);
				memmove(k->line, nl + 1, k->len + 1);
			}
			if (k->len == sizeof(k->line) - 1) {	/* a line too long */
				tcp_abort(c);
				return;
			}
		}
		break;
	case TCP_EV_PEER_CLOSED:
		tcp_close(c);
		break;
	default:
		break;
	}
}

static const struct tcp_app kv_app = {
	.name = "kv",
	.ctx_size = sizeof(struct kv_conn),
	.event = kv_event,
};

int main(int argc, char **argv)
{
	static const char *const extra[] = { "--time-wait", "1", NULL };
	uint16_t port;
	struct xtcp_serve_cfg cfg = { .app = &kv_app, .extra_args = extra };

	if (argc != 3) {
		fprintf(stderr, "usage: %s IFACE PORT\n", argv[0]);
		return 2;
	}
	port = (uint16_t)atoi(argv[2]);
	cfg.ifname = argv[1];
	cfg.ports = &port;
	cfg.nports = 1;
	return xtcp_serve(&cfg) ? EXIT_FAILURE : EXIT_SUCCESS;
}
