// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp serve IFACE: attach the XDP program, open an AF_XDP socket and an
 * engine per queue, and serve an application in the foreground. The link
 * is held, not pinned: however the process ends, the program goes with it,
 * and the pins a kill -9 leaves behind are cleared by the next serve.
 */
#include <errno.h>
#include <poll.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apps/apps.h"
#include "cli.h"
#include "counters.h"
#include "ctl.h"
#include "clock.h"
#include "log.h"
#include "pins.h"
#include "queue.h"
#include "xtcp.skel.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp serve IFACE --port P[,P...] --app APP [OPTIONS]\n"
"\n"
"Attach xtcp to IFACE and serve APP (%s) on the ports from the\n"
"userspace TCP engine, until SIGINT or SIGTERM; then detach and clean up.\n"
"Ports given --to kernel are shielded for the kernel's own listener\n"
"instead, as `xtcp attach` does; APP serves the others.\n"
"\n"
"  -a, --app APP              echo, http, discard or source\n"
"  -q, --queues N             RX queues to serve, one thread each (default 1)\n"
"      --max-conns N          connections per queue; beyond, RST (default 16384)\n"
"      --sndbuf BYTES         send buffer per connection (default 262144)\n"
"      --rcvbuf BYTES         receive buffer per connection (default 262144)\n"
"      --umem-frames N        AF_XDP frames of %d bytes per queue, a power\n"
"                             of two (default 4096: 8 MiB)\n"
"      --xsk-mode MODE        auto (default), copy or zerocopy\n"
"      --time-wait SECONDS    TIME-WAIT length, 2*MSL (default 60)\n"
"      --cc NAME              congestion control: %s (default cubic)\n"
"      --rto-min MS           retransmission timeout floor (default 200)\n"
"      --rto-max MS           retransmission timeout ceiling (default 60000)\n"
"      --retries N            timeouts in a row before abort with RST (default 15)\n"
"      --delack MS            delayed ACK bound, 0: ACK every segment (default 40)\n"
"      --keepalive IDLE[,INTVL[,COUNT]]\n"
"                             probe a peer idle IDLE seconds, every INTVL\n"
"                             (default 75), abort after COUNT (default 9);\n"
"                             off by default\n"
"  -r, --rate                 print a line of rates every second\n"
"%s"
"  -h, --help                 this text\n", app_names(), AFXDP_FRAME_SIZE,
		tcp_cc_names(), attach_opts_help);
}

enum {
	OPT_MAX_CONNS = 0x200,
	OPT_SNDBUF,
	OPT_RCVBUF,
	OPT_UMEM,
	OPT_XSK_MODE,
	OPT_TIME_WAIT,
	OPT_CC,
	OPT_RTO_MIN,
	OPT_RTO_MAX,
	OPT_RETRIES,
	OPT_DELACK,
	OPT_KEEPALIVE,
};

/* IDLE[,INTVL[,COUNT]] in seconds, as Linux's tcp_keepalive_* triple. */
static int parse_keepalive(const char *arg, struct tcp_cfg *tc)
{
	unsigned long v[3] = { 0, tc->keepalive_intvl_ms / 1000, tc->keepalive_probes };
	static const unsigned long max[3] = { 86400 * 7, 86400, 1000 };
	const char *p = arg;
	char *end;

	for (int i = 0; i < 3 && *p; i++) {
		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (errno || end == p || v[i] < 1 || v[i] > max[i] ||
		    (*end && *end != ',') || (*end == ',' && i == 2)) {
			pr_err("--keepalive %s: not IDLE[,INTVL[,COUNT]] in seconds", arg);
			return -1;
		}
		p = *end ? end + 1 : end;
	}
	tc->keepalive_idle_ms = (uint32_t)(v[0] * 1000);
	tc->keepalive_intvl_ms = (uint32_t)(v[1] * 1000);
	tc->keepalive_probes = (uint32_t)v[2];
	return 0;
}

struct serve_args {
	struct loader_opts lo;
	struct tcp_cfg tc;
	const struct tcp_app *app;
	unsigned long queues, umem_frames;
	__u16 bind_flags;
	bool rate;
};

static int parse(int argc, char **argv, struct serve_args *a)
{
	static const struct option longopts[] = {
		ATTACH_LONGOPTS,
		{ "app", required_argument, NULL, 'a' },
		{ "queues", required_argument, NULL, 'q' },
		{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
		{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
		{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
		{ "umem-frames", required_argument, NULL, OPT_UMEM },
		{ "xsk-mode", required_argument, NULL, OPT_XSK_MODE },
		{ "time-wait", required_argument, NULL, OPT_TIME_WAIT },
		{ "cc", required_argument, NULL, OPT_CC },
		{ "rto-min", required_argument, NULL, OPT_RTO_MIN },
		{ "rto-max", required_argument, NULL, OPT_RTO_MAX },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "delack", required_argument, NULL, OPT_DELACK },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "rate", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long v;
	int c;

	attach_opts_default(&a->lo);
	tcp_cfg_default(&a->tc);
	a->queues = 1;
	a->umem_frames = 4096;
	optind = 1;
	while ((c = getopt_long(argc, argv, ATTACH_SHORTOPTS "a:q:rh", longopts,
				NULL)) != -1) {
		switch (attach_opt(c, optarg, &a->lo)) {
		case 0:
			continue;
		case -1:
			return -1;
		}
		switch (c) {
		case 'a':
			a->app = app_find(optarg);
			if (!a->app) {
				pr_err("--app %s: not one of %s", optarg, app_names());
				return -1;
			}
			break;
		case 'q':
			if (parse_uint("--queues", optarg, 1, XTCP_MAX_QUEUES, &a->queues))
				return -1;
			break;
		case OPT_MAX_CONNS:
			if (parse_uint("--max-conns", optarg, 1, XTCP_MAX_FLOWS, &v))
				return -1;
			a->tc.max_conns = (__u32)v;
			break;
		case OPT_SNDBUF:
		case OPT_RCVBUF:
			if (parse_uint(c == OPT_SNDBUF ? "--sndbuf" : "--rcvbuf", optarg,
				       65536, 64 << 20, &v))
				return -1;
			*(c == OPT_SNDBUF ? &a->tc.sndbuf : &a->tc.rcvbuf) = (__u32)v;
			break;
		case OPT_UMEM:
			if (parse_uint("--umem-frames", optarg, 64, 1 << 20, &a->umem_frames))
				return -1;
			if (a->umem_frames & (a->umem_frames - 1)) {
				pr_err("--umem-frames %s: not a power of two", optarg);
				return -1;
			}
			break;
		case OPT_XSK_MODE:
			if (!strcmp(optarg, "auto"))
				a->bind_flags = 0;
			else if (!strcmp(optarg, "copy"))
				a->bind_flags = XDP_COPY;
			else if (!strcmp(optarg, "zerocopy"))
				a->bind_flags = XDP_ZEROCOPY;
			else {
				pr_err("--xsk-mode %s: not auto, copy or zerocopy", optarg);
				return -1;
			}
			break;
		case OPT_TIME_WAIT:
			if (parse_uint("--time-wait", optarg, 0, 3600, &v))
				return -1;
			a->tc.time_wait_ns = v * 1000000000ULL;
			break;
		case OPT_CC:
			a->tc.cc = tcp_cc_find(optarg);
			if (!a->tc.cc) {
				pr_err("--cc %s: not one of %s", optarg, tcp_cc_names());
				return -1;
			}
			break;
		case OPT_RTO_MIN:
		case OPT_RTO_MAX:
			if (parse_uint(c == OPT_RTO_MIN ? "--rto-min" : "--rto-max", optarg,
				       1, 600000, &v))
				return -1;
			*(c == OPT_RTO_MIN ? &a->tc.rto_min_ms : &a->tc.rto_max_ms) = (__u32)v;
			break;
		case OPT_RETRIES:
			if (parse_uint("--retries", optarg, 1, 255, &v))
				return -1;
			a->tc.max_retries = (__u32)v;
			break;
		case OPT_DELACK:
			if (parse_uint("--delack", optarg, 0, 500, &v))
				return -1;
			a->tc.delack_ms = (__u32)v;
			break;
		case OPT_KEEPALIVE:
			if (parse_keepalive(optarg, &a->tc))
				return -1;
			break;
		case 'r':
			a->rate = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -1;
		}
	}
	a->lo.ifname = arg_ifname("serve", argc, argv);
	if (!a->lo.ifname)
		return -1;
	if (!a->lo.nports) {
		pr_err("serve: --port is required");
		return -1;
	}
	if (attach_opts_done(&a->lo))
		return -1;
	if (!a->app) {
		pr_err("serve: --app is required (%s)", app_names());
		return -1;
	}
	if (a->tc.rto_min_ms > a->tc.rto_max_ms) {
		pr_err("serve: --rto-min %u is above --rto-max %u", a->tc.rto_min_ms,
		       a->tc.rto_max_ms);
		return -1;
	}
	if (a->tc.rto_initial_ms < a->tc.rto_min_ms)
		a->tc.rto_initial_ms = a->tc.rto_min_ms;
	if (a->tc.rto_initial_ms > a->tc.rto_max_ms)
		a->tc.rto_initial_ms = a->tc.rto_max_ms;
	return 0;
}

/* The engine answers exactly as the XDP program was configured. */
static int engine_cfg_from_maps(struct xtcp *skel, struct tcp_cfg *tc)
{
	struct xtcp_config cfg;
	struct xtcp_keys keys;
	__u32 zero = 0;

	if (bpf_map__lookup_elem(skel->maps.xtcp_config, &zero, sizeof(zero),
				 &cfg, sizeof(cfg), 0) ||
	    bpf_map__lookup_elem(skel->maps.xtcp_keys, &zero, sizeof(zero),
				 &keys, sizeof(keys), 0))
		return -errno;
	tc->mss4 = cfg.mss4;
	tc->mss6 = cfg.mss6;
	tc->syn_window = cfg.window;
	tc->wscale = cfg.wscale;
	tc->ecn = cfg.flags & XTCP_CFG_ECN;
	memcpy(tc->secret, keys.master, sizeof(tc->secret));
	return 0;
}

/* A line of rates each second, from the same counters `xtcp stats` reads. */
static void print_rates(const char *ifname)
{
	static struct xtcp_engine_stats prev;
	static double t0;
	struct xtcp_engine_stats cur;
	double t1 = mono_s(), dt;
	__u64 conns = 0;
	int i;

	if (counters_engine(ifname, &cur))
		return;
	for (i = XTCP_ENGINE_conn_syn_sent; i <= XTCP_ENGINE_conn_time_wait; i++)
		conns += ((__u64 *)&cur)[i];
	dt = t0 ? t1 - t0 : 0;
	if (dt > 0)
		printf("conns %llu  accepted/s %.0f  closed/s %.0f  segs in/s %.0f"
		       "  out/s %.0f  Mbit/s in %.1f out %.1f  rst out %llu  retrans %llu\n",
		       (unsigned long long)conns,
		       (cur.accepted - prev.accepted) / dt,
		       (cur.closed - prev.closed) / dt,
		       (cur.segs_in - prev.segs_in) / dt,
		       (cur.segs_out - prev.segs_out) / dt,
		       (cur.bytes_in - prev.bytes_in) * 8 / dt / 1e6,
		       (cur.bytes_out - prev.bytes_out) * 8 / dt / 1e6,
		       (unsigned long long)cur.rst_out,
		       (unsigned long long)cur.retransmits);
	fflush(stdout);
	prev = cur;
	t0 = t1;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = {};
	struct queue *qs = NULL;
	struct xtcp_engine_stats *slots = MAP_FAILED;
	size_t slots_len;
	struct loader l = { .link_fd = -1 };
	unsigned long q, opened = 0;
	int err = -1, flows_fd, xsks_fd, i, ctl_fd = -1, n_engine = 0;
	__u16 engine_ports[64];
	double next_rate;

	if (parse(argc, argv, &a))
		return EXIT_FAILURE;
	/* the engine answers for its own ports only */
	for (i = 0; i < a.lo.nports; i++)
		if (a.lo.port_modes[i] != XTCP_PORT_KERNEL)
			engine_ports[n_engine++] = a.lo.ports[i];
	if (require_root("serve") || pins_check_bpffs())
		return EXIT_FAILURE;
	if (pins_attached(a.lo.ifname)) {
		pr_err("%s: xtcp is already attached (xtcp detach %s, or stop its serve)",
		       a.lo.ifname, a.lo.ifname);
		return EXIT_FAILURE;
	}
	pins_remove(a.lo.ifname);	/* left by a crash: they block nothing */

	if (loader_attach(&a.lo, &l))
		return EXIT_FAILURE;
	if (loader_pin(&l, a.lo.ifname, false))
		goto out;
	if (engine_cfg_from_maps(l.skel, &a.tc))
		goto out;
	if (a.tc.mss4 + 40 + 22 > AFXDP_FRAME_SIZE - 256) {
		pr_err("%s: MTU %u does not fit AF_XDP frames of %d bytes",
		       a.lo.ifname, a.tc.mss4 + 40, AFXDP_FRAME_SIZE);
		goto out;
	}
	a.tc.app = a.app;
	/* the engine's counters: one mmaped slot per queue, read by stats */
	slots_len = (size_t)XTCP_MAX_QUEUES * sizeof(*slots);
	slots_len = (slots_len + 4095) & ~(size_t)4095;
	slots = mmap(NULL, slots_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     bpf_map__fd(l.skel->maps.xtcp_engine), 0);
	if (slots == MAP_FAILED) {
		pr_err("%s: mapping the engine counters: %s", a.lo.ifname,
		       strerror(errno));
		goto out;
	}
	flows_fd = bpf_map__fd(l.skel->maps.xtcp_flows);
	xsks_fd = bpf_map__fd(l.skel->maps.xtcp_xsks);
	qs = calloc(a.queues, sizeof(*qs));
	if (!qs)
		goto out;
	for (q = 0; q < a.queues; q++, opened++) {
		struct afxdp_opts xo = {
			.ifname = a.lo.ifname,
			.queue = (__u32)q,
			.nframes = (__u32)a.umem_frames,
			.bind_flags = a.bind_flags,
			.xsks_map_fd = xsks_fd,
			.st = &slots[q],
		};
		struct tcp_cfg tc = a.tc;

		if (queue_open(&qs[q], &xo, &tc, engine_ports, n_engine,
				     flows_fd, &cli_stop))
			goto out;
	}
	cli_catch_stop();
	for (q = 0; q < a.queues; q++)
		if (queue_start(&qs[q]))
			goto out;
	ctl_fd = ctl_listen(a.lo.ifname);
	if (ctl_fd < 0)	/* serving goes on; only stats --conns is missing */
		pr_warn("%s: control socket in " CTL_DIR ": %s", a.lo.ifname,
			strerror(-ctl_fd));

	printf("%s: serving %s on port%s", a.lo.ifname, a.app->name,
	       a.lo.nports > 1 ? "s" : "");
	for (i = 0; i < a.lo.nports; i++)
		printf("%s%u%s", i ? "," : " ", a.lo.ports[i],
		       a.lo.port_modes[i] == XTCP_PORT_KERNEL ? " (to the kernel)" : "");
	printf(" with %lu queue%s (%s XDP); Ctrl-C stops\n", a.queues,
	       a.queues > 1 ? "s" : "",
	       a.lo.xdp_flags == XDP_FLAGS_SKB_MODE ? "generic" : "native");
	fflush(stdout);
	next_rate = mono_s() + 1;
	while (!cli_stop) {
		struct pollfd p = { .fd = ctl_fd, .events = POLLIN };
		double now = mono_s();

		if (poll(&p, 1, (int)((next_rate - now) * 1000) + 1) > 0)
			ctl_serve(ctl_fd, qs, a.queues);
		if (mono_s() >= next_rate) {
			if (a.rate)
				print_rates(a.lo.ifname);
			next_rate += 1;
		}
	}
	err = 0;
out:
	cli_stop = 1;
	ctl_close(ctl_fd, a.lo.ifname);
	for (q = 0; q < opened; q++)
		queue_close(&qs[q]);
	free(qs);
	if (slots != MAP_FAILED)
		munmap(slots, slots_len);
	loader_close(&l);	/* the unpinned link: XDP detaches here */
	pins_remove(a.lo.ifname);
	if (!err)
		printf("%s: stopped, detached\n", a.lo.ifname);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
