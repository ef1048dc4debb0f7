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
#include "rates.h"
#include "iface.h"
#include "metrics.h"
#include "ctl.h"
#include "clock.h"
#include "linkwatch.h"
#include "log.h"
#include "mtu.h"
#include "pins.h"
#include "queue.h"
#include "xtcp.skel.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp serve IFACE --port P[,P...] --app APP [OPTIONS]\n"
"\n"
"Attach xtcp to IFACE and serve APP on the ports from the\n"
"userspace TCP engine, until SIGINT or SIGTERM, or until IFACE is deleted;\n"
"then detach and clean up. SIGHUP is a reload: the served addresses are\n"
"read again at once (nothing else reloads yet); serving goes on.\n"
"Ports given --to kernel are shielded for the kernel's own listener\n"
"instead, as `xtcp attach` does; APP serves the others.\n"
"\n"
"  -a, --app APP              one of: %s\n"
"  -q, --queues N             RX queues to serve, one thread each (default:\n"
"                             every RX queue, as `ethtool -l` counts them);\n"
"                             fewer only with --rss-steered\n"
"      --rss-steered          the operator steered RSS (ethtool -X) so that\n"
"                             served flows land only on queues 0..N-1\n"
"      --metrics ADDR:PORT    serve Prometheus metrics on http://ADDR:PORT/metrics\n"
"      --max-conns N          connections per queue; beyond, RST (default 16384)\n"
"      --sndbuf BYTES         send buffer per connection (default 262144)\n"
"      --rcvbuf BYTES         receive buffer per connection (default 262144)\n"
"      --umem-frames N        AF_XDP frames per queue, a power of two\n"
"                             (default 16384: 32 MiB of 2 KiB frames; 64 MiB\n"
"                             of 4 KiB frames for an MTU above 1770)\n"
"      --rx-ring N            of them, for RX: the AF_XDP RX and fill ring\n"
"                             size, a power of two (default: half)\n"
"      --xsk-mode MODE        auto (default), copy or zerocopy\n"
"      --time-wait SECONDS    TIME-WAIT length, 2*MSL (default 60)\n"
"      --cc NAME              congestion control: %s (default cubic)\n"
"      --no-pacing            send cubic and newreno unpaced (by default their\n"
"                             segments are spread at cwnd/SRTT, x2 in slow\n"
"                             start, x1.2 after, as Linux's fq pacing does)\n"
"      --rto-min MS           retransmission timeout floor (default 200)\n"
"      --rto-max MS           retransmission timeout ceiling (default 60000)\n"
"      --retries N            timeouts in a row before abort with RST (default 15)\n"
"      --delack MS            delayed ACK bound, 0: ACK every segment (default 40)\n"
"      --keepalive IDLE[,INTVL[,COUNT]]\n"
"                             probe a peer idle IDLE seconds, every INTVL\n"
"                             (default 75), abort after COUNT (default 9);\n"
"                             off by default\n"
"      --drain SECONDS        on SIGTERM, refuse new connections with RST\n"
"                             and let the open ones finish for up to SECONDS\n"
"                             before stopping (default 0: stop at once;\n"
"                             SIGINT, or a second SIGTERM, always does)\n"
"      --orphan-retries N     timeouts before a closed connection whose peer\n"
"                             vanished or keeps its window shut is aborted\n"
"                             (default 8, as Linux; 0: --retries only)\n"
"      --reclaim-idle SECONDS when the pool is full, a connection idle this\n"
"                             long with nothing in flight (or closed by its\n"
"                             app) is aborted to admit a new one (default 30;\n"
"                             0: never)\n"
"      --header-timeout SECONDS  http: a request head must be whole within\n"
"                             this from the accept (later: from its first\n"
"                             byte), else 408 and close (default 60, nginx's\n"
"                             client_header_timeout)\n"
"      --idle-timeout SECONDS http: a kept-alive connection idle this long is\n"
"                             closed (default 75, nginx's keepalive_timeout)\n"
"                             Durations take an ms suffix too (500ms); 0: none\n"
"      --backend HOST:PORT[,HOST:PORT...]\n"
"                             proxy: the backends, round robin; HOST is IPv4,\n"
"                             [IPv6], or unix:PATH for a Unix socket. One that\n"
"                             refuses or times out is skipped for 2 s; when\n"
"                             none answers the client is reset\n"
"      --proxy-protocol v1|v2 proxy: send the client's address first, as\n"
"                             HAProxy's PROXY protocol (default: none)\n"
"      --connect-timeout MS   proxy: a backend connect (default 3000)\n"
"  -r, --rate                 print a line of rates every second\n"
"%s"
"  -h, --help                 this text\n", app_names(),
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
	OPT_RSS_STEERED,
	OPT_METRICS,
	OPT_DRAIN,
	OPT_ORPHAN_RETRIES,
	OPT_RECLAIM_IDLE,
	OPT_HEADER_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_RX_RING,
	OPT_BACKEND,
	OPT_PROXY_PROTOCOL,
	OPT_CONNECT_TIMEOUT,
	OPT_NO_PACING,
};

/* SECONDS, or MILLISECONDS with an ms suffix, up to a day, into ms. */
static int parse_ms(const char *what, const char *arg, unsigned int *ms)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || arg[0] == '-' ||
	    (*end && strcmp(end, "ms") && strcmp(end, "s")) ||
	    v > (strcmp(end, "ms") ? 86400UL : 86400000UL)) {
		pr_err("%s %s: not a duration from 0 to 86400 seconds (or with ms)",
		       what, arg);
		return -1;
	}
	*ms = (unsigned int)(strcmp(end, "ms") ? v * 1000 : v);
	return 0;
}

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
	unsigned long queues, umem_frames, rx_ring;
	bool queues_given, rss_steered;
	unsigned long drain_s;
	const char *metrics;
	__u16 bind_flags;
	bool rate;
};

static int parse(int argc, char **argv, struct serve_args *a)
{
	static const struct option longopts[] = {
		ATTACH_LONGOPTS,
		{ "app", required_argument, NULL, 'a' },
		{ "queues", required_argument, NULL, 'q' },
		{ "rss-steered", no_argument, NULL, OPT_RSS_STEERED },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "drain", required_argument, NULL, OPT_DRAIN },
		{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
		{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
		{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
		{ "umem-frames", required_argument, NULL, OPT_UMEM },
		{ "rx-ring", required_argument, NULL, OPT_RX_RING },
		{ "xsk-mode", required_argument, NULL, OPT_XSK_MODE },
		{ "time-wait", required_argument, NULL, OPT_TIME_WAIT },
		{ "cc", required_argument, NULL, OPT_CC },
		{ "rto-min", required_argument, NULL, OPT_RTO_MIN },
		{ "rto-max", required_argument, NULL, OPT_RTO_MAX },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "delack", required_argument, NULL, OPT_DELACK },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "orphan-retries", required_argument, NULL, OPT_ORPHAN_RETRIES },
		{ "reclaim-idle", required_argument, NULL, OPT_RECLAIM_IDLE },
		{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "proxy-protocol", required_argument, NULL, OPT_PROXY_PROTOCOL },
		{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
		{ "no-pacing", no_argument, NULL, OPT_NO_PACING },
		{ "rate", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long v;
	int c;

	attach_opts_default(&a->lo);
	tcp_cfg_default(&a->tc);
	a->queues = 1;
	/* 8192 RX frames take a burst of 5000 handshakes or 500 echoes
	 * without a drop on a two-core machine (README, "Memory") */
	a->umem_frames = 16384;
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
			a->queues_given = true;
			break;
		case OPT_RSS_STEERED:
			a->rss_steered = true;
			break;
		case OPT_METRICS:
			a->metrics = optarg;
			break;
		case OPT_DRAIN:
			if (parse_uint("--drain", optarg, 0, 86400, &a->drain_s))
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
		case OPT_RX_RING:
			if (parse_uint("--rx-ring", optarg, 32, 1 << 19, &a->rx_ring))
				return -1;
			if (a->rx_ring & (a->rx_ring - 1)) {
				pr_err("--rx-ring %s: not a power of two", optarg);
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
		case OPT_NO_PACING:
			a->tc.no_pacing = true;
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
		case OPT_ORPHAN_RETRIES:
			if (parse_uint("--orphan-retries", optarg, 0, 255, &v))
				return -1;
			a->tc.orphan_retries = (__u32)v;
			break;
		case OPT_RECLAIM_IDLE:
			if (parse_ms("--reclaim-idle", optarg, &a->tc.reclaim_idle_ms))
				return -1;
			break;
		case OPT_HEADER_TIMEOUT:
			if (parse_ms("--header-timeout", optarg, &http_cfg.header_ms))
				return -1;
			break;
		case OPT_IDLE_TIMEOUT:
			if (parse_ms("--idle-timeout", optarg, &http_cfg.keepalive_ms))
				return -1;
			break;
		case OPT_BACKEND:
			if (proxy_parse_backends(optarg)) {
				pr_err("--backend %s: not HOST:PORT[,...] (IPv6 in [], "
				       "unix:PATH), at most %d", optarg, PROXY_MAX_BACKENDS);
				return -1;
			}
			break;
		case OPT_PROXY_PROTOCOL:
			if (!strcmp(optarg, "v1"))
				proxy_cfg.pp_version = 1;
			else if (!strcmp(optarg, "v2"))
				proxy_cfg.pp_version = 2;
			else {
				pr_err("--proxy-protocol %s: not v1 or v2", optarg);
				return -1;
			}
			break;
		case OPT_CONNECT_TIMEOUT:
			if (parse_uint("--connect-timeout", optarg, 0, 600000, &v))
				return -1;
			proxy_cfg.connect_timeout_ms = (unsigned int)v;
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
	if (a->rx_ring && a->rx_ring >= a->umem_frames) {
		pr_err("serve: --rx-ring %lu leaves no TX frame of --umem-frames %lu",
		       a->rx_ring, a->umem_frames);
		return -1;
	}
	if ((a->app == &app_proxy) != (proxy_cfg.nbackends > 0)) {
		pr_err(a->app == &app_proxy ? "serve: --app proxy needs --backend"
					    : "serve: --backend goes with --app proxy");
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
	if (a->rss_steered && !a->queues_given) {
		pr_err("serve: --rss-steered goes with --queues N");
		return -1;
	}
	return 0;
}

/*
 * Every RX queue RSS may use gets an engine: a flow hashed to a queue
 * without one would be dropped (drop_no_xsk). Fewer only on the operator's
 * word that RSS was steered to the first N.
 */
static int pick_queues(struct serve_args *a)
{
	const char *ifname = a->lo.ifname;
	int n = iface_rx_queues(ifname);

	if (n == -ENODEV) {
		pr_err("%s: no such interface", ifname);
		return -1;
	}
	if (n < 0) {
		if (!a->queues_given)
			pr_warn("%s: the driver does not report its RX queues (%s): "
				"serving queue 0 only; --queues N serves more",
				ifname, strerror(-n));
		return 0;
	}
	if (!a->queues_given) {
		if (n > XTCP_MAX_QUEUES) {
			pr_err("%s: %d RX queues, xtcp serves at most %d: reduce them "
			       "(ethtool -L %s combined %d) or steer RSS and give "
			       "--queues %d --rss-steered", ifname, n, XTCP_MAX_QUEUES,
			       ifname, XTCP_MAX_QUEUES, XTCP_MAX_QUEUES);
			return -1;
		}
		a->queues = (unsigned long)n;
		return 0;
	}
	if (a->queues > (unsigned long)n) {
		pr_err("--queues %lu: %s has %d RX queue%s", a->queues, ifname, n,
		       n > 1 ? "s" : "");
		return -1;
	}
	if (a->queues < (unsigned long)n && !a->rss_steered) {
		pr_err("--queues %lu: %s has %d RX queues and RSS spreads flows over "
		       "all of them; those landing on a queue without an engine would "
		       "be dropped. Leave out --queues to serve every queue, or steer "
		       "RSS (ethtool -X %s equal %lu) and add --rss-steered",
		       a->queues, ifname, n, ifname, a->queues);
		return -1;
	}
	return 0;
}

/*
 * The MTU sizes the UMEM frames (afxdp.h): up to AFXDP_MTU_MAX, jumbo
 * frames included; read once, so an MTU raised while serving is not seen
 * (its longer frames are dropped and counted).
 */
static int check_mtu(const char *ifname, int *mtu)
{
	*mtu = iface_mtu(ifname);
	if (*mtu < 0) {
		pr_err("%s: cannot read MTU: %s", ifname, strerror(-*mtu));
		return -1;
	}
	if (*mtu > AFXDP_MTU_MAX) {
		pr_err("%s: MTU %d is above the %d xtcp serves (ip link set %s mtu %d)",
		       ifname, *mtu, AFXDP_MTU_MAX, ifname, AFXDP_MTU_MAX);
		return -1;
	}
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

/* Connections that still carry data: every state but TIME-WAIT. */
static __u64 live_conns(const struct xtcp_engine_stats *slots, unsigned long nq)
{
	__u64 n = 0;
	unsigned long q;
	int i;

	for (q = 0; q < nq; q++)
		for (i = XTCP_ENGINE_conn_syn_sent; i <= XTCP_ENGINE_conn_closing; i++)
			n += ((const __u64 *)&slots[q])[i];
	return n;
}

/* Set or clear a flag of the XDP program's config, as it runs. */
static int config_flag(struct xtcp *skel, __u8 flag, bool on)
{
	struct xtcp_config cfg;
	__u32 zero = 0;

	if (bpf_map__lookup_elem(skel->maps.xtcp_config, &zero, sizeof(zero), &cfg,
				 sizeof(cfg), 0))
		return -errno;
	cfg.flags = on ? cfg.flags | flag : cfg.flags & (__u8)~flag;
	if (bpf_map__update_elem(skel->maps.xtcp_config, &zero, sizeof(zero), &cfg,
				 sizeof(cfg), BPF_EXIST))
		return -errno;
	return 0;
}

/*
 * SIGTERM under --drain: from now on XDP answers new third ACKs with RST
 * (clients retry, perhaps another server behind the same address); the
 * connections open go on until they end or the time is up. Returns the
 * time to stop at, or 0 to stop now.
 */
static double drain_start(const struct serve_args *a, struct loader *l,
			  const struct xtcp_engine_stats *slots)
{
	__u64 live = live_conns(slots, a->queues);
	int err;

	if (!a->drain_s || cli_stop != SIGTERM || !live)
		return 0;
	err = config_flag(l->skel, XTCP_CFG_DRAIN, true);
	if (err) {
		pr_err("%s: cannot start draining: %s", a->lo.ifname, strerror(-err));
		return 0;
	}
	pr_info("%s: draining: %llu connection%s open, new ones refused, up to %lu s",
		a->lo.ifname, (unsigned long long)live, live == 1 ? "" : "s", a->drain_s);
	cli_stop = 0;
	return mono_s() + (double)a->drain_s;
}

/* Tell what became of the interface; true: it is gone, stop serving. */
static bool serve_link_event(struct linkwatch *lw, const char *ifname)
{
	switch (linkwatch_read(lw)) {
	case LINK_GONE:
		pr_warn("%s: interface deleted (or moved out of this namespace); "
			"stopping", ifname);
		return true;
	case LINK_DOWN:
		pr_warn("%s: interface down", ifname);
		break;
	case LINK_UP:
		pr_warn("%s: interface up", ifname);
		break;
	default:
		break;
	}
	return false;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = {};
	struct queue *qs = NULL;
	struct xtcp_engine_stats *slots = MAP_FAILED;
	size_t slots_len;
	struct loader l = { .link_fd = -1 };
	struct linkwatch lw = { .fd = -1 };
	unsigned long q, opened = 0;
	int err = -1, flows_fd, xsks_fd, i, ctl_fd = -1, metrics_fd = -1, n_engine = 0, mtu = 0;
	__u16 engine_ports[64];
	/* the queues stop on this, not on the signal: a drain outlives SIGTERM */
	static volatile sig_atomic_t queues_stop;
	double next_rate, drain_until = 0;
	struct rates_sample rate_prev = {}, rate_cur;
	unsigned rate_lines = 0;
	struct mtu_watch mw;

	if (parse(argc, argv, &a))
		return EXIT_FAILURE;
	log_stamp(true);	/* from here on it may run for months */
	/* the engine answers for its own ports only */
	for (i = 0; i < a.lo.nports; i++)
		if (a.lo.port_modes[i] != XTCP_PORT_KERNEL)
			engine_ports[n_engine++] = a.lo.ports[i];
	if (require_privs("serve") || pins_check_bpffs() || check_iface(a.lo.ifname) ||
	    pick_queues(&a) || check_mtu(a.lo.ifname, &mtu))
		return EXIT_FAILURE;
	if (pins_attached(a.lo.ifname)) {
		pr_err("%s: xtcp is already attached (xtcp detach %s, or stop its serve)",
		       a.lo.ifname, a.lo.ifname);
		return EXIT_FAILURE;
	}
	/* before anything changes: a port in use fails the command whole */
	if (a.metrics) {
		metrics_fd = metrics_listen(a.metrics);
		if (metrics_fd < 0)
			return EXIT_FAILURE;
	}
	pins_remove(a.lo.ifname);	/* left by a crash: they block nothing */

	if (loader_attach(&a.lo, &l))
		goto out;
	/* before anything else can go wrong with it: is IFACE still there? */
	i = linkwatch_open(&lw, l.ifindex);
	if (i)
		pr_warn("%s: cannot watch the interface (rtnetlink): %s", a.lo.ifname,
			strerror(-i));
	if (loader_pin(&l, a.lo.ifname, false))
		goto out;
	if (engine_cfg_from_maps(l.skel, &a.tc))
		goto out;
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
			.rx_frames = (__u32)a.rx_ring,
			.mtu = (__u32)mtu,
			.bind_flags = a.bind_flags,
			.xsks_map_fd = xsks_fd,
			.st = &slots[q],
		};
		struct tcp_cfg tc = a.tc;

		if (queue_open(&qs[q], &xo, &tc, engine_ports, n_engine,
				     flows_fd, &queues_stop))
			goto out;
		qs[q].replay_fd = bpf_map__fd(l.skel->maps.xtcp_replay);
	}
	pr_info("%s: MTU %d: UMEM of %lu frames of %u bytes per queue (%lu MiB)%s",
		a.lo.ifname, mtu, a.umem_frames, qs[0].port.frame_size,
		a.umem_frames * qs[0].port.frame_size >> 20,
		qs[0].port.sg ? ", multi-buffer (XDP_USE_SG)" : "");
	cli_catch_stop();
	cli_catch_reload();
	for (q = 0; q < a.queues; q++)
		if (queue_start(&qs[q]))
			goto out;
	ctl_fd = ctl_listen(a.lo.ifname);
	if (ctl_fd < 0)	/* serving goes on; only stats --conns is missing */
		pr_warn("%s: control socket under " CTL_DIR ": %s", a.lo.ifname,
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
	attach_notices(&a.lo);
	if (mtu_watch_init(&mw, a.lo.ifname, a.lo.mss,
			   bpf_map__fd(l.skel->maps.xtcp_config), qs, a.queues))
		goto out;
	next_rate = mono_s() + 1;
	for (;;) {
		struct pollfd p[3] = { { .fd = ctl_fd, .events = POLLIN },
				       { .fd = metrics_fd, .events = POLLIN },
				       { .fd = lw.fd, .events = POLLIN } };
		double now = mono_s();

		if (cli_stop) {
			if (drain_until || !(drain_until = drain_start(&a, &l, slots)))
				break;	/* a stop, or a second one during a drain */
		}
		if (drain_until && (now >= drain_until || !live_conns(slots, a.queues))) {
			__u64 left = live_conns(slots, a.queues);

			pr_info("%s: drained%s: %llu connection%s left", a.lo.ifname,
				left ? " (time is up)" : "", (unsigned long long)left,
				left == 1 ? "" : "s");
			break;
		}
		if (poll(p, 3, drain_until ? 100 : (int)((next_rate - now) * 1000) + 1) > 0) {
			if (p[0].revents)
				ctl_serve(ctl_fd, qs, a.queues);
			if (p[1].revents)
				metrics_serve(metrics_fd, a.lo.ifname);
			if (p[2].revents && serve_link_event(&lw, a.lo.ifname))
				break;
		}
		if (cli_reload) {
			cli_reload = 0;
			pr_info("%s: SIGHUP: reloading the served addresses; still serving",
				a.lo.ifname);
			loader_sync_addrs(l.skel, &a.lo);
		}
		if (mono_s() >= next_rate) {
			/* addresses come and go: follow them, once a second */
			loader_sync_addrs(l.skel, &a.lo);
			if (a.rate) {
				rates_sample(a.lo.ifname, &rate_cur);
				if (rate_prev.t)
					rates_print(stdout, &rate_prev, &rate_cur, &rate_lines);
				rate_prev = rate_cur;
			}
			mtu_watch_poll(&mw);
			next_rate += 1;
		}
	}
	err = 0;
out:
	queues_stop = 1;
	linkwatch_close(&lw);
	ctl_close(ctl_fd, a.lo.ifname);
	if (metrics_fd >= 0)
		close(metrics_fd);
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
