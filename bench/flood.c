// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp-flood: a SYN flood from BPF_PROG_TEST_RUN in live-frames mode. Each
 * thread asks the kernel to run bpf/flood.bpf.c `--batch` times per call
 * on pages of its own; every run rewrites a SYN with a random source
 * address, port and sequence number and XDP_TX's it out of DEV. Bounded by
 * --duration; prints what it sent and its own rate.
 *
 * --rate PPS paces it: the BPF program spaces frames 1/PPS apart on the
 * clock and drops the runs between (bpf/flood.bpf.c says why not by the
 * size of the calls); the generator still spins, so beside a client on
 * its CPU run it at a lower priority. Without --rate it runs at its full
 * rate. It reports the rate it achieved beside
 * the one asked for: under a slow CPU the achieved one is what counts.
 * SIGINT or SIGTERM ends it early, with the same report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xtcp/bench.h"
#include "flood.skel.h"
#include "frames.h"
#include "cli/cli.h"
#include "clock.h"
#include "log.h"

#define MAX_THREADS 16

struct gen {
	struct flood *skel;
	int ifindex;
	double duration;
	unsigned long batch;
	__u8 frame[XTCP_FLOOD_FRAME_LEN];
};

struct worker {
	pthread_t tid;
	struct gen *f;
	int err;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const struct gen *f = w->f;
	struct xdp_md ctx = { .data_end = XTCP_FLOOD_FRAME_LEN,
			      .ingress_ifindex = (__u32)f->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->frame,
		    .data_size_in = XTCP_FLOOD_FRAME_LEN, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = (int)f->batch,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
	int fd = bpf_program__fd(f->skel->progs.xdp_flood);
	double end = mono_s() + f->duration;

	while (!cli_stop && mono_s() < end) {
		if (bpf_prog_test_run_opts(fd, &o)) {
			/* a stop signal interrupts the run; what it sent
			 * is counted by the program */
			if (errno != EINTR || !cli_stop)
				w->err = -errno;
			break;
		}
	}
	return NULL;
}

static int parse_mac(const char *arg, __u8 mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(arg, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6) {
		pr_err("--dst-mac %s: not a MAC address", arg);
		return -EINVAL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

static int parse_net(const char *arg, __u32 *net, __u32 *host_mask)
{
	char buf[64], *slash;
	unsigned long len = 32;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%s", arg);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (parse_uint("--src-net prefix length", slash + 1, 8, 32,
			       &len))
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1) {
		pr_err("--src-net %s: not an IPv4 network", arg);
		return -EINVAL;
	}
	*host_mask = len == 32 ? 0 : htonl(0xffffffffu >> len);
	*net = a.s_addr & ~*host_mask;
	return 0;
}

static int dev_mac(const char *dev, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xtcp-flood --dev DEV --dst ADDR --dst-mac MAC [options]\n"
		"A SYN flood out of DEV from BPF_PROG_TEST_RUN live frames.\n\n"
		"  -d, --dev DEV         send out of DEV (its peer receives)\n"
		"      --dst ADDR        IPv4 destination\n"
		"  -p, --port PORT       destination port (default 80)\n"
		"      --dst-mac MAC     destination MAC (the peer's)\n"
		"      --src-net CIDR    random sources from here (default 10.200.0.0/16)\n"
		"  -t, --duration SEC    how long (default 5, at most 600)\n"
		"  -j, --threads N       sending threads (default 1)\n"
		"      --batch N         runs per test-run call (default 1048576,\n"
		"                        paced 4194304)\n"
		"  -r, --rate PPS        paced to PPS frames per second over all threads\n"
		"                        (default: as fast as it goes)\n"
		"      --json            one JSON object on stdout\n"
		"  -h, --help            this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst", required_argument, NULL, 'D' },
		{ "port", required_argument, NULL, 'p' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "src-net", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'j' },
		{ "batch", required_argument, NULL, 'B' },
		{ "rate", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct gen f = { .duration = 5, .batch = 1 << 20 };
	struct worker w[MAX_THREADS] = {};
	struct frame_spec s;
	struct xtcp_flood_tmpl *t;
	const char *dev = NULL, *dst = NULL;
	unsigned long v, nthreads = 1, port = 80;
	__u32 net = htonl(XTCP_FLOOD_NET), host_mask = htonl(~XTCP_FLOOD_MASK);
	__u8 dmac[6], smac[6];
	int c, i, have_mac = 0, batch_set = 0, json = 0, err = 0;
	unsigned long long sent;
	double t0, secs, rate = 0;

	log_init("xtcp-flood", LOG_INFO);
	while ((c = getopt_long(argc, argv, "d:p:t:j:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'D': dst = optarg; break;
		case 'J': json = 1; break;
		case 'M':
			if (parse_mac(optarg, dmac))
				return 1;
			have_mac = 1;
			break;
		case 'S':
			if (parse_net(optarg, &net, &host_mask))
				return 1;
			break;
		case 'p':
			if (parse_uint("--port", optarg, 1, 65535, &port))
				return 1;
			break;
		case 't':
			if (parse_uint("--duration", optarg, 1, 600, &v))
				return 1;
			f.duration = (double)v;
			break;
		case 'j':
			if (parse_uint("--threads", optarg, 1, MAX_THREADS,
				       &nthreads))
				return 1;
			break;
		case 'B':
			if (parse_uint("--batch", optarg, 64, 1UL << 30,
				       &f.batch))
				return 1;
			batch_set = 1;
			break;
		case 'r':
			if (parse_uint("--rate", optarg, 1, 1000000000, &v))
				return 1;
			rate = (double)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!dev || !dst || !have_mac || optind != argc) {
		usage(stderr);
		return 2;
	}
	f.ifindex = (int)if_nametoindex(dev);
	if (!f.ifindex) {
		pr_err("%s: no such interface", dev);
		return 1;
	}
	if (dev_mac(dev, smac)) {
		pr_err("%s: cannot read its MAC address: %s", dev,
		       strerror(errno));
		return 1;
	}
	frame_spec_default(&s, 0);
	memset(s.src_addr, 0, sizeof(s.src_addr));
	if (inet_pton(AF_INET, dst, s.dst_addr) != 1) {
		pr_err("--dst %s: not an IPv4 address", dst);
		return 1;
	}
	s.sport = 0;
	s.seq = 0;
	s.dport = (__u16)port;
	s.flags = TCPHDR_SYN;
	s.window = 64240;
	s.mss = 1460;
	s.sack = 1;
	s.ts = 1;
	s.tsval = 1;
	s.tsecr = 0;
	s.wscale = 7;
	if (frame_build(&s, f.frame, sizeof(f.frame)) != XTCP_FLOOD_FRAME_LEN) {
		pr_err("internal: the SYN template is not %d bytes",
		       XTCP_FLOOD_FRAME_LEN);
		return 1;
	}
	memcpy(f.frame, dmac, 6);
	memcpy(f.frame + 6, smac, 6);

	f.skel = flood__open();
	if (!f.skel) {
		pr_err("flood.bpf.o: cannot open: %s", strerror(errno));
		return 1;
	}
	t = &f.skel->bss->tmpl;
	memcpy(t->frame, f.frame, sizeof(f.frame));
	t->net = net;
	t->host_mask = host_mask;
	err = flood__load(f.skel);
	if (err) {
		pr_err("flood.bpf.o: cannot load: %s", strerror(-err));
		goto out;
	}

	if (rate) {
		/* long calls, each one's setup is a gap in the flood; but
		 * not too long, as a stop signal is seen between calls here
		 * (measured: 2.0-2.9 s from SIGTERM to exit at 2^24 paced
		 * runs, which are quick drops) */
		if (!batch_set)
			f.batch = 1UL << 22;
		/* the clock is shared by the threads: they take turns */
		f.skel->bss->pace = (__u64)(256e9 / rate);
		/* behind schedule (the generator shares CPU 0 with the
		 * clients and runs at SCHED_IDLE), catch up at most 32 frames
		 * at the full rate: a 4 ms catch-up at 3 M/s was thousands of
		 * frames at once into the veth's 256-frame ring, which dropped
		 * the legitimate SYNs queued behind them at any average rate.
		 * What is lost so is reported in the achieved rate. */
		f.skel->bss->burst = 32 * f.skel->bss->pace;
	}
	cli_catch_stop();
	t0 = mono_s();
	for (i = 0; i < (int)nthreads; i++) {
		w[i].f = &f;
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i])) {
			nthreads = (unsigned long)i;
			err = -EAGAIN;
			break;
		}
	}
	for (i = 0; i < (int)nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].err && !err)
			err = w[i].err;
	}
	secs = mono_s() - t0;
	sent = f.skel->bss->sent;
	if (err) {
		pr_err("%s: live-frames test run failed: %s", dev,
		       strerror(-err));
		goto out;
	}
	if (json)
		printf("{\"sent\":%llu,\"seconds\":%.3f,\"rate\":%.0f,"
		       "\"target\":%.0f,\"threads\":%lu}\n", sent, secs,
		       sent / secs, rate, nthreads);
	else
		printf("%llu SYNs in %.3f s: %.0f SYN/s (asked %s%.0f; %lu "
		       "thread%s)\n", sent, secs, sent / secs,
		       rate ? "" : "full rate, ", rate, nthreads,
		       nthreads == 1 ? "" : "s");
out:
	flood__destroy(f.skel);
	return err ? 1 : 0;
}
