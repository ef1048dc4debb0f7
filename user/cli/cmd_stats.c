// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp stats IFACE: every XDP outcome counter, summed over CPUs; --json for
 * scripts, --watch for per-second rates (like xdp-bench).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "counters.h"
#include "json.h"
#include "rates.h"
#include "metrics.h"
#include "ctl.h"
#include "clock.h"
#include "log.h"
#include "pins.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp stats IFACE [--json | --format FMT] [--watch [--interval S] [--count N]]\n"
"       xtcp stats IFACE --conns [--json]\n"
"\n"
"Print the XDP program's counters on IFACE: one per outcome, every packet\n"
"counted once; with ports served --to kernel, the tc handoff's counters\n"
"(handed to the listener, no listener, assign failures by reason); under\n"
"`xtcp serve`, the engine's counters too (summed over queues; with\n"
"--watch, levels for connections by state and UMEM).\n"
"\n"
"  -j, --json           machine-readable output (--format json)\n"
"  -f, --format FMT     text (default), json, or prometheus: the text\n"
"                       exposition format, for node_exporter's textfile\n"
"                       collector (`xtcp serve --metrics` serves the same)\n"
"  -w, --watch          a line of rates per interval until interrupted,\n"
"                       with a timestamp and a header every 20 lines:\n"
"                       packets, SYN-ACKs, handshakes, flow segments,\n"
"                       passed, dropped, RSTs; under serve, connections,\n"
"                       accepts, closes, segments, Mbit/s, retransmits.\n"
"                       With --json, every counter's rate\n"
"  -i, --interval S     seconds between samples with --watch (default 1)\n"
"  -c, --count N        stop after N samples with --watch\n"
"  -C, --conns          under `xtcp serve`: one line per connection, like\n"
"                       `ss -ti` (state, RTT, RTO, cwnd, ssthresh, windows,\n"
"                       retransmits); with --json, one object per line\n"
"  -h, --help           this text\n");
}

/* The AF_XDP socket's own drop counters, per queue: a drop on one queue
 * says that queue's engine fell behind. */
#define XSK_FIRST XTCP_ENGINE_xsk_rx_dropped
#define XSK_LAST XTCP_ENGINE_xsk_tx_ring_empty

static void print_queues(const char *ifname, bool json)
{
	static struct xtcp_engine_stats slots[XTCP_MAX_QUEUES];
	int n = counters_engine_queues(ifname, slots), q, i;
	bool first = true;

	if (n < 0)
		return;
	if (json)
		printf(",\"queues\":[");
	for (q = 0; q < n; q++) {
		const __u64 *v = (const __u64 *)&slots[q];

		if (!slots[q].umem_frames)
			continue;
		if (json) {
			printf("%s{\"queue\":%d", first ? "" : ",", q);
			for (i = XSK_FIRST; i <= XSK_LAST; i++)
				printf(",\"%s\":%llu", engine_counter_names[i],
				       (unsigned long long)v[i]);
			printf("}");
		} else {
			if (first)
				printf("%s: AF_XDP socket counters by queue\n", ifname);
			printf("  queue %-3d", q);
			for (i = XSK_FIRST; i <= XSK_LAST; i++)
				printf("  %s %llu", engine_counter_names[i] + 4,
				       (unsigned long long)v[i]);
			printf("\n");
		}
		first = false;
	}
	if (json)
		printf("]");
}

static void print_table(const char *ifname, const struct xtcp_stats *s,
			long flows, const struct xtcp_handoff_stats *h,
			const struct xtcp_engine_stats *e)
{
	int i;

	printf("%s: XDP counters\n", ifname);
	for (i = 0; i < XTCP_STAT__MAX; i++)
		printf("  %-22s %14llu  %s\n", counter_names[i],
		       (unsigned long long)((const __u64 *)s)[i],
		       counter_descs[i]);
	printf("  %-22s %14ld  %s\n", "flows", flows,
	       "entries in the flows map now");
	if (h) {
		printf("%s: kernel handoff counters (tc ingress)\n", ifname);
		for (i = 0; i < XTCP_HANDOFF__MAX; i++)
			printf("  %-22s %14llu  %s\n", handoff_counter_names[i],
			       (unsigned long long)((const __u64 *)h)[i],
			       handoff_counter_descs[i]);
	}
	if (!e)
		return;
	printf("%s: engine counters (all queues)\n", ifname);
	for (i = 0; i < XTCP_ENGINE__MAX; i++)
		printf("  %-22s %14llu  %s\n", engine_counter_names[i],
		       (unsigned long long)((const __u64 *)e)[i],
		       engine_counter_descs[i]);
	print_queues(ifname, false);
}

static void print_json(const char *ifname, const struct xtcp_stats *s,
		       long flows, const struct xtcp_handoff_stats *h,
		       const struct xtcp_engine_stats *e)
{
	int i;

	printf("{\"schema\":%d,\"ifname\":", XTCP_JSON_SCHEMA);
	json_str(stdout, ifname);
	printf(",\"xdp\":{");
	for (i = 0; i < XTCP_STAT__MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", counter_names[i],
		       (unsigned long long)((const __u64 *)s)[i]);
	printf("},\"flows\":%ld", flows);
	if (h) {
		printf(",\"handoff\":{");
		for (i = 0; i < XTCP_HANDOFF__MAX; i++)
			printf("%s\"%s\":%llu", i ? "," : "",
			       handoff_counter_names[i],
			       (unsigned long long)((const __u64 *)h)[i]);
		printf("}");
	}
	if (e) {
		printf(",\"engine\":{");
		for (i = 0; i < XTCP_ENGINE__MAX; i++)
			printf("%s\"%s\":%llu", i ? "," : "",
			       engine_counter_names[i],
			       (unsigned long long)((const __u64 *)e)[i]);
		printf("}");
		print_queues(ifname, true);
	}
	printf("}\n");
}

/* --json: one object per interval, every counter's rate (gauges: level). */
static void watch_json(const char *const *names, const __u64 *cur,
		       const __u64 *prev, const bool *gauge, int n, double dt)
{
	for (int i = 0; i < n; i++) {
		bool g = gauge && gauge[i];

		printf("%s\"%s\":%.1f", i ? "," : "", names[i],
		       g ? (double)cur[i] : (cur[i] - prev[i]) / dt);
	}
}

static int watch(const char *ifname, double interval, long count, bool json)
{
	struct rates_sample prev, cur;
	struct timespec ts = { (time_t)interval,
			       (long)((interval - (time_t)interval) * 1e9) };
	unsigned lines = 0;
	int err = rates_sample(ifname, &prev);

	cli_catch_stop();
	while (!err && !cli_stop && count-- != 0) {
		nanosleep(&ts, NULL);
		err = rates_sample(ifname, &cur);
		if (err)
			break;
		if (!json) {
			rates_print(stdout, &prev, &cur, &lines);
		} else {
			printf("{\"schema\":%d,\"ifname\":", XTCP_JSON_SCHEMA);
			json_str(stdout, ifname);
			printf(",\"interval\":%.3f,\"rates\":{", cur.t - prev.t);
			watch_json(counter_names, (__u64 *)&cur.x, (__u64 *)&prev.x, NULL,
				   XTCP_STAT__MAX, cur.t - prev.t);
			if (cur.handoff && prev.handoff) {
				printf("},\"handoff\":{");
				watch_json(handoff_counter_names, (__u64 *)&cur.h,
					   (__u64 *)&prev.h, NULL, XTCP_HANDOFF__MAX,
					   cur.t - prev.t);
			}
			/* serve stopped: the XDP counters go on */
			if (cur.engine && prev.engine) {
				printf("},\"engine\":{");
				watch_json(engine_counter_names, (__u64 *)&cur.e,
					   (__u64 *)&prev.e, engine_counter_gauge,
					   XTCP_ENGINE__MAX, cur.t - prev.t);
			}
			printf("}}\n");
			fflush(stdout);
		}
		prev = cur;
	}
	return err;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "conns", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool json = false, do_watch = false, conns = false, prom = false;
	double interval = 1;
	long count = -1, flows;
	struct xtcp_stats s;
	struct xtcp_engine_stats es;
	struct xtcp_handoff_stats hs;
	bool has_engine, has_handoff;
	unsigned long v;
	const char *ifname;
	char *end;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jf:wi:c:Ch", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'f':
			json = !strcmp(optarg, "json");
			prom = !strcmp(optarg, "prometheus");
			if (!json && !prom && strcmp(optarg, "text")) {
				pr_err("--format %s: not text, json or prometheus", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'w':
			do_watch = true;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.1 && interval <= 3600)) {
				pr_err("--interval %s: not seconds from 0.1 to 3600",
				       optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'c':
			if (parse_uint("--count", optarg, 1, 1000000000, &v))
				return EXIT_FAILURE;
			count = (long)v;
			break;
		case 'C':
			conns = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	ifname = arg_ifname("stats", argc, argv);
	if (!ifname)
		return EXIT_FAILURE;
	if (prom && (do_watch || conns)) {
		pr_err("stats: --format prometheus goes with neither --watch nor --conns");
		return EXIT_FAILURE;
	}
	if (require_privs("stats") || pins_check_bpffs())
		return EXIT_FAILURE;
	if (prom) {
		err = metrics_write(stdout, ifname);
		if (err == -ENOENT)
			pr_err("%s: xtcp is not attached", ifname);
		else if (err)
			pr_err("%s: reading counters failed: %s", ifname, strerror(-err));
		return err ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (conns) {
		err = ctl_conns(ifname, json, stdout);
		if (err) {
			pr_err("%s: no xtcp serve of this network namespace answers on "
			       "its control socket in " CTL_DIR ": %s", ifname, strerror(-err));
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	err = do_watch ? watch(ifname, interval, count, json) :
			 counters_read(ifname, &s);
	if (err == -ENOENT) {
		pr_err("%s: xtcp is not attached", ifname);
		return EXIT_FAILURE;
	}
	if (err) {
		pr_err("%s: reading counters failed: %s", ifname, strerror(-err));
		return EXIT_FAILURE;
	}
	if (do_watch)
		return EXIT_SUCCESS;
	flows = counters_flows(ifname);
	has_engine = !counters_engine(ifname, &es);
	has_handoff = !counters_handoff(ifname, &hs);
	if (json)
		print_json(ifname, &s, flows, has_handoff ? &hs : NULL,
			   has_engine ? &es : NULL);
	else
		print_table(ifname, &s, flows, has_handoff ? &hs : NULL,
			    has_engine ? &es : NULL);
	return EXIT_SUCCESS;
}
