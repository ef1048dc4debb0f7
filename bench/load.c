// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp-load: the client side of the benchmarks that wrk does not cover.
 *
 *   connect  one connection after another, each a GET answered in full,
 *            from one client or several in parallel (threads), optionally
 *            paced to a total rate; success rate and connect latency
 *            percentiles over all of them
 *   bulk     N connections reading (from source) or writing (to discard)
 *            for a time; Gbit/s
 *   idle     N connections held open, doing nothing, until SIGINT/SIGTERM
 *
 * Both print one JSON object on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "clock.h"
#include "log.h"

static int resolve(const char *host, const char *port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV },
			*ai;
	int err = getaddrinfo(host, port, &hints, &ai);

	if (err) {
		pr_err("%s port %s: %s", host, port, gai_strerror(err));
		return -EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Wait for fd to be ready for `events` until `deadline`; 0 when ready. */
static int wait_fd(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left = deadline - mono_s();

	if (left <= 0)
		return -ETIMEDOUT;
	if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
		return -ETIMEDOUT;
	return 0;
}

/* A non-blocking connect that has completed by `deadline`; fd or -errno. */
static int connect_by(const struct sockaddr_storage *ss, socklen_t len,
		      double deadline)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)ss, len) && errno != EINPROGRESS)
		err = -errno;
	else if (wait_fd(fd, POLLOUT, deadline))
		err = -ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		err = -(err ? err : errno);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* GET / with Connection: close; true when a 200 came back and then EOF. */
static bool get_once(int fd, double deadline)
{
	static const char req[] =
		"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
	char buf[1024];
	size_t got = 0;
	ssize_t r;

	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return false;
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline))
			return false;
		r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got >= sizeof(buf) - 1)
			return false;
	}
	buf[got] = '\0';
	return r == 0 && !strncmp(buf, "HTTP/1.1 200 ", 13);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

/* Latencies to a file, one per line in µs, for percentiles pooled over
 * several runs; failures are not in it (the JSON counts them). */
static int write_samples(const char *path, const double *lat, unsigned long n)
{
	FILE *f = fopen(path, "a");
	unsigned long i;

	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "%.1f\n", lat[i]);
	return fclose(f) ? -errno : 0;
}

struct connect_opts {
	double duration;	/* at least this long */
	unsigned long min;	/* and at least this many attempts */
	double max_duration;	/* but never longer than this */
	unsigned long max;	/* nor more attempts than this */
	double timeout;
	unsigned long clients;	/* parallel clients, each one attempt after another */
	unsigned long rate;	/* attempts started per second, all clients; 0: no cap */
	const char *samples;
};

/*
 * One connect run shared by its clients. A client is a thread doing one
 * attempt after another; the counters and the latency array are shared, so
 * the percentiles are over every client's attempts. With a rate, attempts
 * start on a common schedule 1/rate apart: the load then does not depend on
 * how fast the server answers, and a client held up by a lost SYN (a 1 s
 * retransmission timer) leaves its slots to the others instead of the run
 * stalling behind it.
 */
struct connect_run {
	const struct sockaddr_storage *ss;
	socklen_t len;
	const struct connect_opts *co;
	double end, stop;
	__u64 interval_ns;		/* 0: unpaced */
	_Atomic __u64 next_ns;		/* the next free start slot */
	_Atomic unsigned long started, ok, refused, timed_out, bad;
	double *lat;			/* co->max + co->clients entries */
};

/* Whether a client may start another attempt now: never past the bound,
 * and past the duration only while the attempts are short of --min. */
static bool may_start(struct connect_run *r)
{
	unsigned long n = atomic_load(&r->started);
	double now = mono_s();

	return n < r->co->max && now < r->stop && (now < r->end || n < r->co->min);
}

/* Claim the next start slot of the schedule and sleep until it; slots
 * already past are not made up (no burst after a stall). */
static void wait_slot(struct connect_run *r)
{
	__u64 now = mono_ns(), cur = atomic_load(&r->next_ns), t;
	struct timespec ts;

	do
		t = cur > now ? cur : now;
	while (!atomic_compare_exchange_weak(&r->next_ns, &cur, t + r->interval_ns));
	if (t <= now)
		return;
	ts.tv_sec = (time_t)(t / 1000000000ULL);
	ts.tv_nsec = (long)(t % 1000000000ULL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* One client: connect, GET, read to EOF; again until the run says stop.
 * An attempt under way when the run ends is finished (within --timeout)
 * and counted, so a slow attempt is never dropped from the figures. */
static void *connect_client(void *arg)
{
	struct connect_run *r = arg;
	double t0, t1;
	int fd;

	while (may_start(r)) {
		if (r->interval_ns) {
			wait_slot(r);
			if (!may_start(r))
				break;
		}
		atomic_fetch_add(&r->started, 1);
		t0 = mono_s();
		fd = connect_by(r->ss, r->len, t0 + r->co->timeout);
		t1 = mono_s();
		if (fd == -ETIMEDOUT) {
			atomic_fetch_add(&r->timed_out, 1);
			continue;
		}
		if (fd < 0) {
			atomic_fetch_add(&r->refused, 1);
			continue;
		}
		if (get_once(fd, t0 + r->co->timeout))
			r->lat[atomic_fetch_add(&r->ok, 1)] = (t1 - t0) * 1e6;
		else
			atomic_fetch_add(&r->bad, 1);
		close(fd);
	}
	return NULL;
}

static int cmd_connect(const struct sockaddr_storage *ss, socklen_t len,
		       const struct connect_opts *co)
{
	struct connect_run r = { .ss = ss, .len = len, .co = co };
	unsigned long i, n = 0, tries, ok;
	double start = mono_s();
	pthread_attr_t attr;
	pthread_t *tids;
	int err = 0;

	/* clients may each pass the max check at once: room for all */
	r.lat = calloc(co->max + co->clients, sizeof(*r.lat));
	tids = calloc(co->clients, sizeof(*tids));
	if (!r.lat || !tids) {
		err = -ENOMEM;
		goto out_free;
	}
	r.end = start + co->duration;
	r.stop = start + co->max_duration;
	r.interval_ns = co->rate ? 1000000000ULL / co->rate : 0;
	atomic_store(&r.next_ns, mono_ns());
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (n = 0; n < co->clients; n++) {
		err = -pthread_create(&tids[n], &attr, connect_client, &r);
		if (err) {
			pr_err("connect: client %lu: %s", n + 1, strerror(-err));
			break;
		}
	}
	pthread_attr_destroy(&attr);
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	if (err)
		goto out_free;
	tries = atomic_load(&r.started);
	ok = atomic_load(&r.ok);
	qsort(r.lat, ok, sizeof(*r.lat), cmp_double);
	printf("{\"attempts\":%lu,\"ok\":%lu,\"timed_out\":%lu,\"refused\":%lu,"
	       "\"bad_answer\":%lu,\"success\":%.6f,\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
	       "\"seconds\":%.3f,\"clients\":%lu,\"rate\":%lu}\n",
	       tries, ok, atomic_load(&r.timed_out), atomic_load(&r.refused),
	       atomic_load(&r.bad), tries ? (double)ok / (double)tries : 0,
	       pct(r.lat, ok, 0.5), pct(r.lat, ok, 0.99), pct(r.lat, ok, 0.999),
	       ok ? r.lat[ok - 1] : 0, mono_s() - start, co->clients, co->rate);
	if (co->samples)
		err = write_samples(co->samples, r.lat, ok);
out_free:
	free(tids);
	free(r.lat);
	return err;
}

static int cmd_bulk(const struct sockaddr_storage *ss, socklen_t len,
		    double duration, int conns, bool write_dir)
{
	static char buf[1 << 16];
	struct epoll_event ev, evs[64];
	unsigned long long bytes = 0;
	double t0, end;
	int ep = epoll_create1(0), fds[256], i, n, err = 0;
	ssize_t r;

	if (ep < 0)
		return -errno;
	for (i = 0; i < conns; i++) {
		fds[i] = connect_by(ss, len, mono_s() + 3);
		if (fds[i] < 0) {
			err = fds[i];
			pr_err("connection %d: %s", i + 1, strerror(-err));
			conns = i;
			goto out;
		}
		ev.events = write_dir ? EPOLLOUT : EPOLLIN;
		ev.data.fd = fds[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	memset(buf, 'x', sizeof(buf));
	t0 = mono_s();
	end = t0 + duration;
	while (mono_s() < end) {
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			r = write_dir ? write(evs[i].data.fd, buf, sizeof(buf))
				      : read(evs[i].data.fd, buf, sizeof(buf));
			if (r > 0)
				bytes += (unsigned long long)r;
			else if (r == 0 || errno != EAGAIN) {
				err = r ? -errno : -ECONNRESET;
				pr_err("bulk: connection ended early: %s",
				       strerror(-err));
				goto out;
			}
		}
	}
	printf("{\"conns\":%d,\"bytes\":%llu,\"seconds\":%.3f,\"gbps\":%.4f}\n",
	       conns, bytes, mono_s() - t0, bytes * 8 / (mono_s() - t0) / 1e9);
out:
	for (i = 0; i < conns; i++)
		close(fds[i]);
	close(ep);
	return err;
}

static int cmd_idle(const struct sockaddr_storage *ss, socklen_t len,
		    unsigned long conns)
{
	struct rlimit rl = { conns + 64, conns + 64 };
	int *fds = calloc(conns, sizeof(*fds)), err = 0;
	unsigned long i, n = 0;

	if (!fds)
		return -ENOMEM;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		err = -errno;
		pr_err("idle: %lu descriptors: %s", conns, strerror(-err));
		goto out;
	}
	cli_catch_stop();
	for (n = 0; n < conns && !cli_stop; n++) {
		fds[n] = connect_by(ss, len, mono_s() + 3);
		if (fds[n] < 0) {
			err = fds[n];
			pr_err("idle: connection %lu: %s", n + 1, strerror(-err));
			goto out;
		}
	}
	printf("{\"conns\":%lu}\n", n);
	fflush(stdout);
	while (!cli_stop)
		pause();
out:
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return err;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xtcp-load connect ADDR PORT [--duration SEC] [--min N] [--count N]\n"
		"                 [--max-duration SEC] [--timeout SEC] [--samples FILE]\n"
		"                 [--clients N] [--rate PER_S]\n"
		"       xtcp-load bulk ADDR PORT --read|--write [--conns N] [--duration SEC]\n"
		"       xtcp-load idle ADDR PORT --conns N\n\n"
		"  connect   one connection after another, each a full GET; JSON with\n"
		"            the success rate and connect latency p50/p99/p99.9 in µs\n"
		"  bulk      N connections reading (from source) or writing (to\n"
		"            discard); JSON with Gbit/s\n"
		"  idle      N connections held open until SIGINT/SIGTERM; prints\n"
		"            {\"conns\":N} once they are all up\n\n"
		"  -t, --duration SEC   how long (default 5)\n"
		"  -n, --count N        at most N connections (connect; default 1000000)\n"
		"  -m, --min N          connect: go on past --duration until N attempts\n"
		"      --max-duration SEC  connect: but never past SEC (default 120)\n"
		"      --samples FILE   connect: append each latency (µs) to FILE\n"
		"      --clients N      connect: N clients in parallel, each one attempt\n"
		"                       after another; figures over all (default 1)\n"
		"      --rate PER_S     connect: start at most PER_S attempts a second,\n"
		"                       all clients together, on one schedule (default:\n"
		"                       no cap)\n"
		"      --timeout SEC    per connection, SYN retries included (default 3)\n"
		"  -c, --conns N        connections (bulk: at most 256, default 1;\n"
		"                       idle: at most 1000000)\n"
		"      --read | --write direction (bulk)\n"
		"  -h, --help           this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "min", required_argument, NULL, 'm' },
		{ "max-duration", required_argument, NULL, 'X' },
		{ "samples", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "clients", required_argument, NULL, 'C' },
		{ "rate", required_argument, NULL, 'R' },
		{ "conns", required_argument, NULL, 'c' },
		{ "read", no_argument, NULL, 'r' },
		{ "write", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long v, count = 1000000, conns = 1, min = 0, clients = 1, rate = 0;
	double duration = 5, timeout = 3, max_duration = 120;
	const char *samples = NULL;
	struct sockaddr_storage ss;
	socklen_t len;
	const char *cmd;
	int c, dir = -1, err;

	log_init("xtcp-load", LOG_INFO);
	while ((c = getopt_long(argc, argv, "t:n:m:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_uint("--duration", optarg, 1, 3600, &v))
				return 1;
			duration = (double)v;
			break;
		case 'n':
			if (parse_uint("--count", optarg, 1, 100000000, &count))
				return 1;
			break;
		case 'm':
			if (parse_uint("--min", optarg, 1, 100000000, &min))
				return 1;
			break;
		case 'X':
			if (parse_uint("--max-duration", optarg, 1, 3600, &v))
				return 1;
			max_duration = (double)v;
			break;
		case 'S': samples = optarg; break;
		case 'T':
			if (parse_uint("--timeout", optarg, 1, 60, &v))
				return 1;
			timeout = (double)v;
			break;
		case 'C':
			if (parse_uint("--clients", optarg, 1, 1024, &clients))
				return 1;
			break;
		case 'R':
			if (parse_uint("--rate", optarg, 1, 10000000, &rate))
				return 1;
			break;
		case 'c':
			if (parse_uint("--conns", optarg, 1, 1000000, &conns))
				return 1;
			break;
		case 'r': dir = 0; break;
		case 'w': dir = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 3) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (resolve(argv[optind + 1], argv[optind + 2], &ss, &len))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "connect")) {
		struct connect_opts co = {
			.duration = duration, .min = min,
			.max_duration = max_duration < duration ? duration
								: max_duration,
			.max = count < min ? min : count, .timeout = timeout,
			.clients = clients, .rate = rate, .samples = samples,
		};

		err = cmd_connect(&ss, len, &co);
	} else if (!strcmp(cmd, "bulk")) {
		if (dir < 0) {
			pr_err("bulk: say --read or --write");
			return 2;
		}
		if (conns > 256) {
			pr_err("bulk: --conns %lu: at most 256", conns);
			return 2;
		}
		err = cmd_bulk(&ss, len, duration, (int)conns, dir == 1);
	} else if (!strcmp(cmd, "idle")) {
		err = cmd_idle(&ss, len, conns);
	} else {
		pr_err("%s: not a command (connect, bulk, idle)", cmd);
		return 2;
	}
	if (err && err != -ECONNRESET)
		pr_err("%s: %s", cmd, strerror(-err));
	return err ? 1 : 0;
}
