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
#include "ctl.h"
#include "clock.h"
#include "log.h"
#include "pins.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp stats IFACE [--json] [--watch [--interval S] [--count N]]\n"
"       xtcp stats IFACE --conns [--json]\n"
"\n"
"Print the XDP program's counters on IFACE: one per outcome, every packet\n"
"counted once; with ports served --to kernel, the tc handoff's counters\n"
"(handed to the listener, no listener, assign failures by reason); under\n"
"`xtcp serve`, the engine's counters too (summed over queues; with\n"
"--watch, levels for connections by state and UMEM).\n"
"\n"
"  -j, --json           machine-readable output\n"
"  -w, --watch          print rates per second until interrupted\n"
"  -i, --interval S     seconds between samples with --watch (default 1)\n"
"  -c, --count N        stop after N samples with --watch\n"
"  -C, --conns          under `xtcp serve`: one line per connection, like\n"
"                       `ss -ti` (state, RTT, RTO, cwnd, ssthresh, windows,\n"
"                       retransmits); with --json, one object per line\n"
"  -h, --help           this text\n");
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
}

static void print_json(const char *ifname, const struct xtcp_stats *s,
		       long flows, const struct xtcp_handoff_stats *h,
		       const struct xtcp_engine_stats *e)
{
	int i;

	printf("{\"ifname\":\"%s\",\"xdp\":{", ifname);
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
	}
	printf("}\n");
}

/*
 * One watch line per counter that moved: rate and total; engine gauges
 * (connections by state, UMEM) print their level instead.
 */
static void watch_rows(const char *const *names, const __u64 *cur,
		       const __u64 *prev, const bool *gauge, int n, double dt,
		       bool json, bool *first)
{
	int i;

	for (i = 0; i < n; i++) {
		bool g = gauge && gauge[i];
		double v = g ? (double)cur[i] : (cur[i] - prev[i]) / dt;

		if (json) {
			printf("%s\"%s\":%.1f", *first ? "" : ",", names[i], v);
			*first = false;
		} else if (g ? cur[i] != prev[i] || cur[i] : cur[i] != prev[i]) {
			if (g)
				printf("%-22s %14.0f now\n", names[i], v);
			else
				printf("%-22s %14.0f/s %16llu\n", names[i], v,
				       (unsigned long long)cur[i]);
		}
	}
}

static int watch(const char *ifname, double interval, long count, bool json)
{
	struct xtcp_stats prev, cur;
	struct xtcp_engine_stats eprev, ecur;
	struct xtcp_handoff_stats hprev, hcur;
	struct timespec ts = { (time_t)interval,
			       (long)((interval - (time_t)interval) * 1e9) };
	double t0 = mono_s(), t1;
	int err = counters_read(ifname, &prev);
	bool engine = !counters_engine(ifname, &eprev), first;
	bool handoff = !counters_handoff(ifname, &hprev);

	cli_catch_stop();
	while (!err && !cli_stop && count-- != 0) {
		nanosleep(&ts, NULL);
		err = counters_read(ifname, &cur);
		if (err)
			break;
		if (engine && counters_engine(ifname, &ecur))
			engine = false;	/* serve stopped: XDP counters go on */
		t1 = mono_s();
		first = true;
		if (json)
			printf("{\"ifname\":\"%s\",\"interval\":%.3f,\"rates\":{",
			       ifname, t1 - t0);
		watch_rows(counter_names, (__u64 *)&cur, (__u64 *)&prev, NULL,
			   XTCP_STAT__MAX, t1 - t0, json, &first);
		if (handoff && !counters_handoff(ifname, &hcur)) {
			if (json)
				printf("},\"handoff\":{");
			first = true;
			watch_rows(handoff_counter_names, (__u64 *)&hcur,
				   (__u64 *)&hprev, NULL, XTCP_HANDOFF__MAX,
				   t1 - t0, json, &first);
			hprev = hcur;
		}
		if (engine) {
			if (json)
				printf("},\"engine\":{");
			first = true;
			watch_rows(engine_counter_names, (__u64 *)&ecur,
				   (__u64 *)&eprev, engine_counter_gauge,
				   XTCP_ENGINE__MAX, t1 - t0, json, &first);
			eprev = ecur;
		}
		printf(json ? "}}\n" : "\n");
		fflush(stdout);
		prev = cur;
		t0 = t1;
	}
	return err;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "conns", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool json = false, do_watch = false, conns = false;
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
	while ((c = getopt_long(argc, argv, "jwi:c:Ch", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
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
	if (!ifname || require_root("stats") || pins_check_bpffs())
		return EXIT_FAILURE;
	if (conns) {
		err = ctl_conns(ifname, json, stdout);
		if (err) {
			pr_err("%s: no xtcp serve answers on " CTL_DIR "/%s.sock: %s",
			       ifname, ifname, strerror(-err));
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
