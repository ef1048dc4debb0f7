// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp-xdpcost: nanoseconds per packet of xtcp's XDP program on each of its
 * paths, beside a bare XDP_PASS and a swap-and-XDP_TX reflector, all timed
 * by BPF_PROG_TEST_RUN with a large repeat count. Programs that rewrite the
 * frame run behind bpf/xdpcost.bpf.c, which restores it before every run;
 * the same harness with XDP_PASS behind it is timed right before and
 * subtracted. The reflector is timed both ways, which checks the method.
 * Prints CSV rows: bench,metric,system,rep,value,unit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xtcp.skel.h"
#include "pass.skel.h"
#include "reflect.skel.h"
#include "xtcp/bench.h"
#include "xdpcost.skel.h"
#include "frames.h"
#include "xsk_lo.h"
#include "cli/cli.h"
#include "addrs.h"
#include "loader.h"
#include "acl.h"
#include "log.h"

struct cost {
	int acl;		/* prefixes installed (--acl) */
	int stages;		/* --stages: time the SYN to each stop point */
	struct xtcp *x;
	/* --stages: xtcp loaded with xtcp_cost_stop = n, configured alike */
	struct xtcp *stop[XTCP_COST__MAX];
	struct pass *pass;
	struct reflect *refl;
	struct xdpcost *h;
	int repeat;
	__u16 kconn_port;	/* client port of a kernel connection to KPORT */
};

/* A port served --to kernel, with a listener and one connection on lo. */
#define KPORT 8080

/* One timed test run: average ns per repeat, as the kernel measures it. */
static int run(int fd, const __u8 *frame, size_t len, int repeat,
	       __u8 *out, __u32 *out_len, __u32 *ns, __u32 *retval)
{
	struct xdp_md ctx = { .data_end = (__u32)len };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat,
		    .data_out = out, .data_size_out = out_len ? *out_len : 0);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	if (out_len)
		*out_len = o.data_size_out;
	if (ns)
		*ns = o.duration;
	*retval = o.retval;
	return 0;
}

static const char *verdict(__u32 v)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX",
					     "REDIRECT" };

	return v < 5 ? names[v] : "?";
}

/* Time `fd` on `frame` alone; the frame must come through unchanged. */
static int time_plain(struct cost *c, const char *what, int fd,
		      const __u8 *frame, size_t len, __u32 want, __u32 *ns)
{
	__u32 rv = 0;
	int err = run(fd, frame, len, c->repeat, NULL, NULL, ns, &rv);

	if (err) {
		pr_err("%s: test run failed: %s", what, strerror(-err));
		return err;
	}
	if (rv != want) {
		pr_err("%s: verdict XDP_%s, expected XDP_%s", what, verdict(rv),
		       verdict(want));
		return -EPROTO;
	}
	return 0;
}

/*
 * Time `fd` behind the restoring harness, minus the harness with XDP_PASS
 * behind it, plus the bare XDP_PASS: what `fd` costs where XDP_PASS would.
 */
static int time_harnessed(struct cost *c, const char *what, int fd,
			  const __u8 *frame, size_t len, int forget,
			  const struct xtcp_flow_key *key, __u32 want,
			  __u32 pass_ns, double *ns, __u32 *base_ns)
{
	int hfd = bpf_program__fd(c->h->progs.xdp_cost);
	int tfd = bpf_map__fd(c->h->maps.cost_target);
	__u32 zero = 0, pfd = (__u32)bpf_program__fd(c->pass->progs.xdp_pass_frags);
	__u32 total;
	int err;

	memcpy(c->h->bss->cost.frame, frame, len);
	c->h->bss->cost.len = (__u32)len;
	c->h->bss->cost.forget_flow = (__u32)forget;
	if (key)
		c->h->bss->cost.key = *key;
	if (bpf_map_update_elem(tfd, &zero, &pfd, 0))
		return -errno;
	err = time_plain(c, what, hfd, frame, len, XDP_PASS, base_ns);
	if (err)
		return err;
	if (bpf_map_update_elem(tfd, &zero, &fd, 0))
		return -errno;
	err = time_plain(c, what, hfd, frame, len, want, &total);
	if (err)
		return err;
	*ns = (double)total - *base_ns + pass_ns;
	return 0;
}

static void row(const char *metric, const char *system, int rep, double v)
{
	printf("xdp_cost,%s,%s,%d,%.1f,ns\n", metric, system, rep, v);
	fflush(stdout);
}

/* A SYN as Linux sends it, to port `port`. */
static size_t syn_frame(int port, __u8 *buf, size_t cap, struct frame_spec *s)
{
	frame_spec_default(s, 0);
	s->dport = (__u16)port;
	s->mss = 1460;
	s->sack = 1;
	s->ts = 1;
	s->tsval = 1000;
	s->wscale = 7;
	return frame_build(s, buf, cap);
}

static int kernel_rep(struct cost *c, int rep, __u32 pass_ns);

static const char *const stage_names[XTCP_COST__MAX] = {
#define STAGE_NAME(name, desc) [XTCP_COST_##name] = #name,
	XTCP_COST_STAGES(STAGE_NAME)
#undef STAGE_NAME
};

/*
 * --stages: the same SYN to each stop point, as rows syn_to_<stage>
 * (cumulative: the SYN's time up to and including that stage). The
 * difference of two neighbours is a stage's cost; the last stage ends in
 * syn_synack, timed right before.
 */
static int stages_rep(struct cost *c, int rep, const __u8 *syn,
		      size_t syn_len, __u32 pass_ns)
{
	char metric[64];
	__u32 base;
	double ns;
	int i, err;

	for (i = 1; i < XTCP_COST__MAX; i++) {
		if (!c->stop[i])
			continue;
		err = time_harnessed(c, stage_names[i],
				     bpf_program__fd(c->stop[i]->progs.xtcp_xdp),
				     syn, syn_len, 0, NULL,
				     i == XTCP_COST_build ? XDP_TX : XDP_DROP,
				     pass_ns, &ns, &base);
		if (err)
			return err;
		snprintf(metric, sizeof(metric), "syn_to_%s", stage_names[i]);
		row(metric, "xtcp", rep, ns);
	}
	return 0;
}
static int fill_acl(struct cost *c);
static void clear_acl(struct cost *c);

static int one_rep(struct cost *c, int rep)
{
	int xfd = bpf_program__fd(c->x->progs.xtcp_xdp);
	__u8 syn[128], other[128], ack[128], out[256];
	__u32 pass_ns, refl_ns, base, out_len = sizeof(out), rv = 0;
	size_t syn_len, other_len, ack_len;
	struct frame_spec s, o, a;
	struct xtcp_flow_key key;
	struct frame_view v;
	double ns;
	int err;

	syn_len = syn_frame(80, syn, sizeof(syn), &s);
	other_len = syn_frame(81, other, sizeof(other), &o);
	/* the third ACK answers this period's SYN-ACK to the same SYN */
	err = run(xfd, syn, syn_len, 1, out, &out_len, NULL, &rv);
	if (err || rv != XDP_TX || frame_parse(out, out_len, &v)) {
		pr_err("SYN: no SYN-ACK from xtcp (verdict XDP_%s)",
		       verdict(rv));
		return err ? err : -EPROTO;
	}
	frame_third_ack(&s, &v, &a);
	ack_len = frame_build(&a, ack, sizeof(ack));
	frame_flow_key(&s, &key);
	bpf_map__delete_elem(c->x->maps.xtcp_flows, &key, sizeof(key), 0);

	err = time_plain(c, "XDP_PASS", bpf_program__fd(c->pass->progs.xdp_pass),
			 syn, syn_len, XDP_PASS, &pass_ns);
	if (!err)
		err = time_plain(c, "reflector",
				 bpf_program__fd(c->refl->progs.xdp_reflect),
				 syn, syn_len, XDP_TX, &refl_ns);
	if (err)
		return err;
	row("xdp_pass", "floor", rep, pass_ns);
	row("reflector", "floor", rep, refl_ns);
	err = time_harnessed(c, "reflector (harness)",
			     bpf_program__fd(c->refl->progs.xdp_reflect_frags), syn,
			     syn_len, 0, NULL, XDP_TX, pass_ns, &ns, &base);
	if (err)
		return err;
	row("reflector_harnessed", "floor", rep, ns);
	row("harness", "harness", rep, base);

	/* with --acl, the same SYN right before with the ACL installed: the
	 * pair, adjacent in time, shows what the ACL adds despite noise */
	if (c->acl) {
		err = fill_acl(c);
		if (!err)
			err = time_harnessed(c, "SYN -> SYN-ACK, ACL", xfd, syn,
					     syn_len, 0, NULL, XDP_TX, pass_ns, &ns,
					     &base);
		clear_acl(c);
		if (err)
			return err;
		row("syn_synack_acl", "xtcp", rep, ns);
	}
	err = time_harnessed(c, "SYN -> SYN-ACK", xfd, syn, syn_len, 0, NULL,
			     XDP_TX, pass_ns, &ns, &base);
	if (err)
		return err;
	row("syn_synack", "xtcp", rep, ns);
	if (c->stages) {
		err = stages_rep(c, rep, syn, syn_len, pass_ns);
		if (err)
			return err;
	}
	err = time_harnessed(c, "unserved port -> pass", xfd, other, other_len,
			     0, NULL, XDP_PASS, pass_ns, &ns, &base);
	if (err)
		return err;
	row("unserved_pass", "xtcp", rep, ns);
	/* every run inserts the flow anew; the harness deletes it first */
	err = time_harnessed(c, "third ACK -> redirect", xfd, ack, ack_len, 1,
			     &key, XDP_REDIRECT, pass_ns, &ns, &base);
	if (err)
		return err;
	row("ack_redirect", "xtcp", rep, ns);
	/* the first run inserts the flow; the rest find it */
	err = time_harnessed(c, "established flow -> redirect", xfd, ack,
			     ack_len, 0, NULL, XDP_REDIRECT, pass_ns, &ns,
			     &base);
	if (err)
		return err;
	row("flow_redirect", "xtcp", rep, ns);
	/* a SYN of another client while a flow is open: the flows map is
	 * looked up (syn_synack above ran with it empty, which skips that) */
	o = s;
	o.sport++;
	other_len = frame_build(&o, other, sizeof(other));
	err = time_harnessed(c, "SYN -> SYN-ACK, a flow open", xfd, other,
			     other_len, 0, NULL, XDP_TX, pass_ns, &ns, &base);
	if (err)
		return err;
	row("syn_synack_flows", "xtcp", rep, ns);
	bpf_map__delete_elem(c->x->maps.xtcp_flows, &key, sizeof(key), 0);
	/* the harness deleted a flow before every run of the third ACK
	 * without counting it (xtcp_flows_live): the map is empty again */
	c->x->bss->xtcp_flows_live = 0;

	/* a forged ACK (what a flood of them costs): the cookie check fails */
	a.ack += 1;
	ack_len = frame_build(&a, ack, sizeof(ack));
	err = time_harnessed(c, "forged ACK -> drop", xfd, ack, ack_len, 0,
			     NULL, XDP_DROP, pass_ns, &ns, &base);
	if (err)
		return err;
	row("ack_bad_cookie", "xtcp", rep, ns);
	a.ack -= 1;
	ack_len = frame_build(&a, ack, sizeof(ack));
	/* a replayed third ACK: the cookie validates, the guard refuses */
	{
		struct xtcp_replay_key rk = { .flow = key, .irs = s.seq };
		struct xtcp_replay ent = { .expires_tai_ns = ~0ULL };

		bpf_map__update_elem(c->x->maps.xtcp_replay, &rk, sizeof(rk), &ent,
				     sizeof(ent), 0);
		err = time_harnessed(c, "replayed third ACK -> drop", xfd, ack,
				     ack_len, 0, NULL, XDP_DROP, pass_ns, &ns, &base);
		bpf_map__delete_elem(c->x->maps.xtcp_replay, &rk, sizeof(rk), 0);
		if (err)
			return err;
		row("ack_replay", "xtcp", rep, ns);
	}
	return kernel_rep(c, rep, pass_ns);
}

/*
 * The paths of a port served --to kernel: what a segment of the kernel's
 * own connection pays to get through (a socket lookup), what a forged ACK
 * costs before it dies (lookup, cookie check), a SYN, and a valid third
 * ACK handed on with metadata.
 */
static int kernel_rep(struct cost *c, int rep, __u32 pass_ns)
{
	int xfd = bpf_program__fd(c->x->progs.xtcp_xdp);
	__u8 syn[128], ack[128], est[128], forged[128], out[256];
	__u32 base, out_len = sizeof(out), rv = 0;
	size_t syn_len, ack_len, est_len, forged_len;
	struct frame_spec s, a, e;
	struct frame_view v;
	double ns;
	int err;

	syn_len = syn_frame(KPORT, syn, sizeof(syn), &s);
	err = run(xfd, syn, syn_len, 1, out, &out_len, NULL, &rv);
	if (err || rv != XDP_TX || frame_parse(out, out_len, &v)) {
		pr_err("kernel port SYN: no SYN-ACK (verdict XDP_%s)", verdict(rv));
		return err ? err : -EPROTO;
	}
	frame_third_ack(&s, &v, &a);
	ack_len = frame_build(&a, ack, sizeof(ack));
	a.ack ^= 0x100;		/* this period's bits, a wrong MAC */
	forged_len = frame_build(&a, forged, sizeof(forged));
	frame_spec_default(&e, 0);
	inet_pton(AF_INET, "127.0.0.1", e.src_addr);
	inet_pton(AF_INET, "127.0.0.1", e.dst_addr);
	e.sport = c->kconn_port;
	e.dport = KPORT;
	e.flags = TCPHDR_ACK;
	est_len = frame_build(&e, est, sizeof(est));

	err = time_harnessed(c, "kernel port: established -> pass", xfd, est,
			     est_len, 0, NULL, XDP_PASS, pass_ns, &ns, &base);
	if (err)
		return err;
	row("kernel_conn_pass", "xtcp", rep, ns);
	err = time_harnessed(c, "kernel port: forged ACK -> drop", xfd, forged,
			     forged_len, 0, NULL, XDP_DROP, pass_ns, &ns, &base);
	if (err)
		return err;
	row("kernel_forged_drop", "xtcp", rep, ns);
	err = time_harnessed(c, "kernel port: SYN -> SYN-ACK", xfd, syn, syn_len,
			     0, NULL, XDP_TX, pass_ns, &ns, &base);
	if (err)
		return err;
	row("kernel_syn_synack", "xtcp", rep, ns);
	err = time_harnessed(c, "kernel port: third ACK -> handoff", xfd, ack,
			     ack_len, 0, NULL, XDP_PASS, pass_ns, &ns, &base);
	if (err)
		return err;
	row("kernel_ack_handoff", "xtcp", rep, ns);
	return 0;
}

/* In xsk_lo's namespace: a listener on KPORT and one connection to it. */
static int kernel_sockets(struct cost *c, int fds[3])
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(KPORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(KPORT) };
	socklen_t sl = sizeof(sa);

	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[0] < 0 || fds[1] < 0 || bind(fds[0], (void *)&any, sizeof(any)) ||
	    listen(fds[0], 8) || connect(fds[1], (void *)&sa, sizeof(sa)))
		return -errno;
	fds[2] = accept(fds[0], NULL, NULL);
	if (fds[2] < 0 || getsockname(fds[1], (void *)&sa, &sl))
		return -errno;
	c->kconn_port = ntohs(sa.sin_port);
	return 0;
}

/*
 * --acl N: N prefixes in the ACL, as an operator's might look: an allow
 * list holding the frames' client (10.0.0.0/8) among N - 1 others, IPv4
 * and IPv6 of assorted lengths, so every lookup walks a populated trie.
 */
static int fill_acl(struct cost *c)
{
	int fd = bpf_map__fd(c->x->maps.xtcp_acl), i, err;
	unsigned seed = 1;
	struct xtcp_acl_key k;
	char cidr[64];

	if (c->acl < 1)
		return 0;
	err = acl_parse("10.0.0.0/8", &k);
	if (!err)
		err = acl_add(fd, &k, XTCP_ACL_ALLOW);
	for (i = 1; i < c->acl && !err; i++) {
		if (i & 1)
			snprintf(cidr, sizeof(cidr), "%u.%u.%u.0/%u",
				 11 + rand_r(&seed) % 200, rand_r(&seed) % 256,
				 rand_r(&seed) % 256, 16 + rand_r(&seed) % 9);
		else
			snprintf(cidr, sizeof(cidr), "2001:db8:%x:%x::/%u",
				 rand_r(&seed) % 65536, rand_r(&seed) % 65536,
				 40 + rand_r(&seed) % 25);
		err = acl_parse(cidr, &k);
		if (!err)
			err = acl_add(fd, &k, i % 3 ? XTCP_ACL_DENY : XTCP_ACL_ALLOW);
	}
	return err;
}

static void clear_acl(struct cost *c)
{
	int fd = bpf_map__fd(c->x->maps.xtcp_acl);
	struct xtcp_acl_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		bpf_map_delete_elem(fd, &k);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xtcp-xdpcost [--repeat N] [--reps N]\n"
		"ns per packet of xtcp's XDP paths, XDP_PASS and a reflector,\n"
		"by BPF_PROG_TEST_RUN; CSV on stdout (root).\n\n"
		"  -r, --repeat N   runs per timing (default 10000000)\n"
		"  -n, --reps N     repetitions (default 5)\n"
		"  -s, --stages     also time the SYN to each stage of its path\n"
		"                   (rows syn_to_STAGE, cumulative)\n"
		"  -a, --acl N      also time the SYN with N ACL prefixes installed\n"
		"                   (an allow list holding the client), right\n"
		"                   before the same SYN without (syn_synack_acl)\n"
		"  -h, --help       this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "reps", required_argument, NULL, 'n' },
		{ "acl", required_argument, NULL, 'a' },
		{ "stages", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct cost c = { .repeat = 10000000 };
	struct loader_opts lo;
	unsigned long v, reps = 5;
	int ch, i, err = 0, xsks_fd = -1, kfds[3] = { -1, -1, -1 };

	log_init("xtcp-xdpcost", LOG_INFO);
	while ((ch = getopt_long(argc, argv, "r:n:a:sh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (parse_uint("--repeat", optarg, 1, 1000000000, &v))
				return 1;
			c.repeat = (int)v;
			break;
		case 'n':
			if (parse_uint("--reps", optarg, 1, 1000, &reps))
				return 1;
			break;
		case 'a':
			if (parse_uint("--acl", optarg, 0, XTCP_ACL_MAX - 1, &v))
				return 1;
			c.acl = (int)v;
			break;
		case 's':
			c.stages = 1;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (require_privs("xtcp-xdpcost"))
		return 1;
	c.x = xtcp__open_and_load();
	c.pass = pass__open_and_load();
	c.refl = reflect__open_and_load();
	c.h = xdpcost__open();
	if (!c.x || !c.pass || !c.refl || !c.h) {
		pr_err("loading the programs: %s", strerror(errno));
		err = -errno;
		goto out;
	}
	err = bpf_map__reuse_fd(c.h->maps.xtcp_flows,
				bpf_map__fd(c.x->maps.xtcp_flows));
	if (!err)
		err = xdpcost__load(c.h);
	if (err) {
		pr_err("xdpcost.bpf.o: cannot load: %s", strerror(-err));
		goto out;
	}
	attach_opts_default(&lo);
	lo.ports[lo.nports++] = 80;
	/* as served: the frames' destinations are the served addresses */
	addr_parse("10.0.0.1", &lo.addrs[lo.naddrs++]);
	addr_parse("fd00::1", &lo.addrs[lo.naddrs++]);
	lo.port_modes[lo.nports] = XTCP_PORT_KERNEL;
	lo.ports[lo.nports++] = KPORT;
	err = loader_fill_maps(c.x, &lo, 1500);
	if (err) {
		pr_err("configuring xtcp's maps: %s", strerror(-err));
		goto out;
	}
	for (i = 1; c.stages && i < XTCP_COST__MAX && !err; i++) {
		c.stop[i] = xtcp__open();
		if (!c.stop[i]) {
			err = -errno;
			break;
		}
		c.stop[i]->rodata->xtcp_cost_stop = (__u32)i;
		err = xtcp__load(c.stop[i]);
		if (!err)
			err = loader_fill_maps(c.stop[i], &lo, 1500);
	}
	if (err) {
		pr_err("--stages: loading xtcp with a stop point: %s",
		       strerror(-err));
		goto out;
	}
	xsks_fd = bpf_map__fd(c.x->maps.xtcp_xsks);
	err = xsk_lo_open(xsks_fd);
	if (err) {
		pr_err("lo: AF_XDP socket for the redirect paths: %s",
		       strerror(-err));
		goto out;
	}
	err = kernel_sockets(&c, kfds);
	if (err) {
		pr_err("lo: sockets for the kernel port: %s", strerror(-err));
		goto out;
	}
	printf("bench,metric,system,rep,value,unit\n");
	for (i = 1; i <= (int)reps && !err; i++)
		err = one_rep(&c, i);
out:
	for (i = 0; i < 3; i++)
		if (kfds[i] >= 0)
			close(kfds[i]);
	if (xsks_fd >= 0)
		xsk_lo_close(xsks_fd);
	for (i = 1; i < XTCP_COST__MAX; i++)
		xtcp__destroy(c.stop[i]);
	xdpcost__destroy(c.h);
	reflect__destroy(c.refl);
	pass__destroy(c.pass);
	xtcp__destroy(c.x);
	return err ? 1 : 0;
}
