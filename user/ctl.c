// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "clock.h"
#include "ctl.h"
#include "fdio.h"
#include "log.h"

/* CTL_DIR/nsINODE: one directory per network namespace, as for the pins */
static int ctl_dir(char *buf, size_t len)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	n = snprintf(buf, len, CTL_DIR "/ns%llu", (unsigned long long)st.st_ino);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int ctl_addr(const char *ifname, struct sockaddr_un *a)
{
	char dir[64];
	int err = ctl_dir(dir, sizeof(dir));

	if (err)
		return err;
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if ((size_t)snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s.sock", dir,
			     ifname) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int ctl_listen(const char *ifname)
{
	struct sockaddr_un a;
	char dir[64];
	int fd, err;

	err = ctl_addr(ifname, &a);
	if (err)
		return err;
	if (mkdir(CTL_DIR, 0755) && errno != EEXIST)
		return -errno;
	err = ctl_dir(dir, sizeof(dir));
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	unlink(a.sun_path);	/* left by a serve that was killed */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4)) {
		err = -errno;
		close(fd);
		return err;
	}
	chmod(a.sun_path, 0600);	/* root's, like the pins */
	return fd;
}

void ctl_close(int fd, const char *ifname)
{
	struct sockaddr_un a;
	char dir[64];

	if (fd < 0)
		return;
	close(fd);
	if (!ctl_addr(ifname, &a))
		unlink(a.sun_path);
	if (!ctl_dir(dir, sizeof(dir)))
		rmdir(dir);	/* fails while another serve of the namespace runs */
}

static void addr_str(const __u32 a[4], char *buf, size_t len)
{
	if (a[0] == 0 && a[1] == 0 && a[2] == htonl(0xffff))
		inet_ntop(AF_INET, &a[3], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

struct dump_arg {
	FILE *f;
	unsigned queue;
	bool json;
};

/* One line per connection, in the spirit of `ss -ti`. */
static int dump_conn(struct tcp_conn *c, void *arg)
{
	struct dump_arg *d = arg;
	struct tcp_conn_info i;
	char peer[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN], app[160];

	tcp_conn_get_info(c, &i);
	addr_str(i.t.key.client, peer, sizeof(peer));
	addr_str(i.t.key.server, local, sizeof(local));
	if (d->json) {
		fprintf(d->f, "{\"queue\":%u,\"state\":\"%s\",\"local\":\"%s\",\"lport\":%u,"
			"\"peer\":\"%s\",\"pport\":%u,\"cc\":\"%s\",\"mss\":%u,"
			"\"rtt_us\":%u,\"rttvar_us\":%u,\"rto_ms\":%u,\"cwnd\":%u,"
			"\"ssthresh\":%u,\"snd_wnd\":%u,\"rcv_wnd\":%u,\"unacked\":%u,"
			"\"sacked\":%u,\"retransmits\":%u,\"fast_retransmits\":%u,"
			"\"rtos\":%u,\"dsacks\":%u,\"min_rtt_us\":%u,\"reo_wnd_us\":%u,"
			"\"tlp_probes\":%u,\"undos\":%u,\"pacing_rate\":%llu,"
			"\"delivery_rate\":%llu,\"delivery_app_limited\":%s,"
			"\"recovery\":%s,\"snd_queued\":%u,"
			"\"rcv_queued\":%u,\"sack\":%s,\"ts\":%s,\"wscale\":%s",
			d->queue, tcp_state_name(i.state), local, ntohs(i.t.key.server_port),
			peer, ntohs(i.t.key.client_port), i.cc, i.mss, i.srtt_us,
			i.rttvar_us, i.rto_ms, i.cwnd, i.ssthresh, i.snd_wnd, i.rcv_wnd,
			i.snd_nxt - i.snd_una, i.sacked, i.retransmits, i.fast_rexmits,
			i.rto_count, i.dsacks_in, i.min_rtt_us, i.reo_wnd_us,
			i.tlp_probes, i.undos, (unsigned long long)i.pacing_rate,
			(unsigned long long)i.delivery_rate,
			i.delivery_app_limited ? "true" : "false",
			i.in_recovery ? "true" : "false",
			i.snd_queued, i.rcv_queued, i.sack_ok ? "true" : "false",
			i.ts_ok ? "true" : "false", i.ws_ok ? "true" : "false");
		if (i.bbr_mode)
			fprintf(d->f, ",\"bbr\":{\"mode\":\"%s\",\"bw\":%llu,"
				"\"min_rtt_us\":%u,\"pacing_gain\":%.2f,\"cwnd_gain\":%.2f,"
				"\"inflight_hi\":%lld}", i.bbr_mode,
				(unsigned long long)i.bbr_bw, i.bbr_min_rtt_us,
				i.bbr_pacing_gain / 100.0, i.bbr_cwnd_gain / 100.0,
				i.bbr_inflight_hi == UINT32_MAX ? -1LL : (long long)i.bbr_inflight_hi);
		/* the app's own line (the proxy's backend side): no quotes in it */
		if (tcp_conn_describe(c, app, sizeof(app)) > 0)
			fprintf(d->f, ",\"app\":\"%s\"", app);
		fprintf(d->f, "}\n");
		return 0;
	}
	fprintf(d->f, "%-12s q%u %s:%u %s:%u\n\t%s%s%s %s mss:%u rtt:%.3f/%.3f rto:%u cwnd:%u",
		tcp_state_name(i.state), d->queue, local, ntohs(i.t.key.server_port),
		peer, ntohs(i.t.key.client_port), i.sack_ok ? "sack " : "",
		i.ts_ok ? "ts " : "", i.ws_ok ? "wscale" : "", i.cc, i.mss,
		i.srtt_us / 1000.0, i.rttvar_us / 1000.0, i.rto_ms, i.cwnd);
	if (i.ssthresh != UINT32_MAX)
		fprintf(d->f, " ssthresh:%u", i.ssthresh);
	fprintf(d->f, " snd_wnd:%u rcv_wnd:%u unacked:%u sacked:%u retrans:%u "
		"fast_retrans:%u rtos:%u dsacks:%u min_rtt:%.3f reo_wnd:%.3f "
		"tlp:%u undos:%u pacing_rate:%.3fMbps delivery_rate:%.3fMbps%s%s "
		"send-q:%u recv-q:%u\n",
		i.snd_wnd, i.rcv_wnd, i.snd_nxt - i.snd_una, i.sacked, i.retransmits,
		i.fast_rexmits, i.rto_count, i.dsacks_in, i.min_rtt_us / 1000.0,
		i.reo_wnd_us / 1000.0, i.tlp_probes, i.undos, i.pacing_rate * 8 / 1e6,
		i.delivery_rate * 8 / 1e6, i.delivery_app_limited ? " app_limited" : "",
		i.in_recovery ? " recovery" : "", i.snd_queued, i.rcv_queued);
	/* BBR's model: mode, max_bw, min_rtt, gains (inflight_hi once set) */
	if (i.bbr_mode) {
		fprintf(d->f, "\tbbr:%s bw:%.3fMbps min_rtt:%.3f pacing_gain:%.2f cwnd_gain:%.2f",
			i.bbr_mode, i.bbr_bw * 8 / 1e6, i.bbr_min_rtt_us / 1000.0,
			i.bbr_pacing_gain / 100.0, i.bbr_cwnd_gain / 100.0);
		if (i.bbr_inflight_hi != UINT32_MAX)
			fprintf(d->f, " inflight_hi:%u", i.bbr_inflight_hi);
		fputc('\n', d->f);
	}
	if (tcp_conn_describe(c, app, sizeof(app)) > 0)
		fprintf(d->f, "\t%s\n", app);
	return 0;
}

/* Through queue_call: on the queue's own thread. */
static void dump_engine(struct tcp_engine *e, unsigned queue, void *arg)
{
	struct dump_arg *d = arg;

	d->queue = queue;
	tcp_conn_foreach(e, dump_conn, d);
}


void ctl_serve(int fd, struct queue *qs, unsigned long nq)
{
	struct pollfd p = { .events = POLLIN };
	char req[16] = "";
	bool json;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	p.fd = cfd;
	if (poll(&p, 1, 1000) <= 0 || read(cfd, req, sizeof(req) - 1) <= 0)
		goto out;
	json = !strncmp(req, "json", 4);
	for (unsigned long q = 0; q < nq; q++) {
		struct dump_arg d = { .json = json };
		char *text = NULL;
		size_t len = 0;

		d.f = open_memstream(&text, &len);
		if (!d.f)
			break;
		if (queue_call(&qs[q], dump_engine, &d, 2000))
			pr_warn("stats --conns: queue %lu did not answer", q);
		fclose(d.f);
		send_all(cfd, text, len);
		free(text);
	}
out:
	close(cfd);
}

int ctl_conns(const char *ifname, bool json, FILE *out)
{
	struct sockaddr_un a;
	char buf[65536];
	ssize_t n;
	int fd, err;

	err = ctl_addr(ifname, &a);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		err = -errno;
		close(fd);
		return err;
	}
	send_all(fd, json ? "json\n" : "text\n", 5);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	close(fd);
	return 0;
}
