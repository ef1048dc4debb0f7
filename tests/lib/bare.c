// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* One engine, one connection block, no wire: see bare.h. */
#include <stdlib.h>

#include "bare.h"

struct tcp_engine *bare_engine;

static uint8_t *no_tx(void *ctx, uint32_t *cap)
{
	(void)ctx;
	(void)cap;
	return NULL;
}

static void no_send(void *ctx, uint8_t *buf, uint32_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
}

struct tcp_conn *bare_conn(const struct tcp_cc *cc, const struct tcp_io *io,
			   uint64_t now_ns)
{
	static const struct tcp_tuple t = { .key = { .client_port = 1 } };
	struct tcp_cfg cfg;
	struct tcp_conn *c;

	if (bare_engine)
		tcp_engine_free(bare_engine);
	bare_engine = NULL;
	tcp_cfg_default(&cfg);
	cfg.max_conns = 1;
	if (cc)
		cfg.cc = cc;
	cfg.seed = 1;
	cfg.io = io ? *io : (struct tcp_io){ .tx_buf = no_tx, .tx_send = no_send };
	if (tcp_engine_new(&cfg, &bare_engine))
		abort();
	bare_engine->now = now_ns;
	c = conn_alloc(bare_engine, &t, NULL);
	c->mss = BARE_MSS;
	c->iss = 1000;
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_end = 1001;
	c->snd_wnd = 1 << 20;
	return c;
}
