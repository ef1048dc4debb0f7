// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Rates for people watching a terminal: the XDP outcomes grouped by what
 * they mean (SYN-ACKs, handshakes completed, segments to the engine,
 * passed, dropped, RSTs) and, under serve, the engines' connections and
 * traffic. Every figure is a difference of the counters `xtcp stats`
 * prints, over the interval actually measured.
 */
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "clock.h"
#include "counters.h"
#include "rates.h"

int rates_sample(const char *ifname, struct rates_sample *s)
{
	int err = counters_read(ifname, &s->x);

	s->t = mono_s();
	s->engine = !err && !counters_engine(ifname, &s->e);
	s->handoff = !err && !counters_handoff(ifname, &s->h);
	return err;
}

/* XDP packets per second whose action is act ("PASS", "DROP", ...). */
static double xdp_rate(const struct rates_sample *a, const struct rates_sample *b,
		       const char *act, double dt)
{
	__u64 n = 0;

	for (int i = 0; i < XTCP_STAT__MAX; i++)
		if (!act || !strcmp(counter_actions[i], act))
			n += ((const __u64 *)&b->x)[i] - ((const __u64 *)&a->x)[i];
	return n / dt;
}

#define D(field) ((cur->field - prev->field) / dt)

void rates_print(FILE *f, const struct rates_sample *prev,
		 const struct rates_sample *cur, unsigned *lines)
{
	double dt = cur->t - prev->t;
	struct timeval tv;
	struct tm tm;
	char when[16];
	__u64 conns = 0;

	if (dt <= 0)
		return;
	if ((*lines)++ % 20 == 0) {
		fprintf(f, "%-12s %10s %10s %10s %10s %10s %10s %8s", "time", "pkts/s",
			"synack/s", "estab/s", "flow/s", "pass/s", "drop/s", "rst/s");
		if (cur->engine)
			fprintf(f, " %7s %8s %8s %9s %9s %8s %8s %8s", "conns", "accept/s",
				"close/s", "segin/s", "segout/s", "Mbit/in", "Mbit/out",
				"rexmit/s");
		fputc('\n', f);
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(f, "%s.%03ld %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f %8.0f", when,
		(long)tv.tv_usec / 1000, xdp_rate(prev, cur, NULL, dt),
		D(x.syn_ack) + D(x.syn_ack_no_mss), D(x.flow_new) + D(x.handoff), D(x.flow),
		xdp_rate(prev, cur, "PASS", dt), xdp_rate(prev, cur, "DROP", dt),
		D(x.rst_bad_ack) + D(x.rst_drain) + D(x.rst_no_listener));
	if (cur->engine) {
		for (int i = XTCP_ENGINE_conn_syn_sent; i <= XTCP_ENGINE_conn_time_wait; i++)
			conns += ((const __u64 *)&cur->e)[i];
		fprintf(f, " %7llu %8.0f %8.0f %9.0f %9.0f %8.1f %8.1f %8.0f",
			(unsigned long long)conns, D(e.accepted), D(e.closed), D(e.segs_in),
			D(e.segs_out), D(e.bytes_in) * 8 / 1e6, D(e.bytes_out) * 8 / 1e6,
			D(e.retransmits));
	}
	fputc('\n', f);
	fflush(f);
}
