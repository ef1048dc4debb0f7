// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xtcp-impair: a misbehaving wire between two interfaces, for a namespace
 * in the middle of a test (this kernel has no netem). It bridges every
 * frame from one interface to the other with AF_PACKET, and impairs TCP
 * frames from a seed: loss, burst loss (Gilbert-Elliott), reordering,
 * duplication, delay with jitter, and payload corruption that TCP's
 * checksum must catch. Everything else (ARP, ND) crosses untouched. It
 * stops after --duration seconds, or on SIGINT/SIGTERM, and prints what
 * it did as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "cli/cli.h"
#include "clock.h"
#include "log.h"
#include "evq.h"
#include "tcp/rng.h"
#include "tcp/wire.h"

#define FRAME_MAX 9216
#define QUEUE_MAX 65536		/* frames held for delay, per tool */

struct imp {
	double loss, burst, burst_stay, reorder, dup, corrupt;
	double delay_ms, jitter_ms, reorder_ms;
};

struct dir_stats {
	uint64_t frames, passed, tcp, lost, burst_lost, reordered, duplicated,
		 corrupted, queue_full, send_failed, socket_dropped;
};

struct held {			/* a frame waiting in the queue */
	int out;		/* the socket it leaves by */
	uint16_t len;
	uint8_t data[];
};

static struct evq Q;		/* struct held, by departure time */

static uint64_t rng;

static uint64_t rnd(void)
{
	return splitmix64(&rng);
}

/* a uniform number in [0, 1) */
static double uni(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static bool hold(int out, const uint8_t *p, size_t len, uint64_t at)
{
	struct held *h;

	if (Q.n == QUEUE_MAX)
		return false;
	h = malloc(sizeof(*h) + len);
	if (!h)
		return false;
	h->out = out;
	h->len = (uint16_t)len;
	memcpy(h->data, p, len);
	if (evq_push(&Q, at, h)) {
		free(h);
		return false;
	}
	return true;
}

static int open_port(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int fd, one = 1, bufsz = 8 << 20;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		pr_err("%s: no such interface", ifname);
		return -1;
	}
	mr.mr_ifindex = sll.sll_ifindex;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) ||
	    /* what we send out of this port is not ours to forward back */
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    /* a sender's burst at full speed (hundreds of frames) waits for
	     * the bridge, and a burst the bridge releases waits for the
	     * device, instead of being dropped: with the default buffers
	     * (about 90 frames) the bridge was a lossy bottleneck of its own */
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz))) {
		pr_err("%s: AF_PACKET: %s", ifname, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Where the TCP payload of a frame is, by the engine's own parser (which
 * checks the checksums too); 0 if it is not a TCP segment. */
static size_t tcp_payload(const uint8_t *p, size_t len, size_t *plen)
{
	struct tcp_seg s;

	if (wire_parse(p, len, &s))
		return 0;
	*plen = s.len;
	return (size_t)(s.data - p);
}

/* false: not sent (counted as send_failed: a loss the impairment did not
 * choose, which a benchmark must see) */
static bool emit(int fd, const uint8_t *p, size_t len)
{
	if (send(fd, p, len, MSG_DONTWAIT) >= 0)
		return true;
	/* a full device queue is a loss like any other */
	if (errno != EAGAIN && errno != ENOBUFS)
		pr_warn("send: %s", strerror(errno));
	return false;
}

/* Frames the kernel dropped before this port's socket read them (its
 * receive buffer was full: the bridge fell behind), since the last call. */
static uint64_t socket_drops(int fd)
{
	struct tpacket_stats ts = {};
	socklen_t len = sizeof(ts);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &ts, &len))
		return 0;
	return ts.tp_drops;
}

/* One frame from port `in`, out of `out`, impaired when it is TCP. */
static void forward(const struct imp *im, struct dir_stats *st, int out,
		    uint8_t *p, size_t len, bool *bad, uint64_t now)
{
	size_t plen = 0, off = tcp_payload(p, len, &plen);
	uint64_t at = now;

	st->frames++;
	if (!off) {
		st->passed++;
		if (!emit(out, p, len))
			st->send_failed++;
		return;
	}
	st->tcp++;
	*bad = *bad ? uni() < im->burst_stay : uni() < im->burst;
	if (*bad) {
		st->burst_lost++;
		return;
	}
	if (uni() < im->loss) {
		st->lost++;
		return;
	}
	if (plen && uni() < im->corrupt) {
		p[off + (size_t)(uni() * (double)plen)] ^= (uint8_t)(1 + rnd() % 255);
		st->corrupted++;
	}
	at += (uint64_t)((im->delay_ms + uni() * im->jitter_ms) * 1e6);
	if (uni() < im->reorder) {
		at += (uint64_t)(im->reorder_ms * 1e6);
		st->reordered++;
	}
	if (uni() < im->dup) {
		st->duplicated++;
		if (!hold(out, p, len, at + (uint64_t)(uni() * im->jitter_ms * 1e6) + 1))
			st->queue_full++;
	}
	if (at == now && !Q.n) {	/* nothing held: no reordering to keep */
		if (!emit(out, p, len))
			st->send_failed++;
		return;
	}
	if (!hold(out, p, len, at))
		st->queue_full++;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtcp-impair --a IFACE --b IFACE [OPTIONS]\n"
"\n"
"Bridge two interfaces (in a namespace of their own) and impair the TCP\n"
"frames that cross, the same way in both directions unless --a-to-b or\n"
"--b-to-a come before options. Probabilities are percentages.\n"
"\n"
"      --a IFACE, --b IFACE   the two ports\n"
"  -s, --seed N               seed of every random choice (default 1)\n"
"  -d, --duration S           stop after S seconds (default 600)\n"
"      --loss P               drop P%% of TCP frames\n"
"      --burst P,STAY         Gilbert-Elliott: enter a loss burst with P%%,\n"
"                             stay in it with STAY%% per frame\n"
"      --reorder P[,MS]       hold P%% of frames MS longer (default 5 ms)\n"
"      --dup P                send P%% of frames twice\n"
"      --delay MS[,JITTER]    delay every frame MS, plus 0..JITTER ms\n"
"      --corrupt P            flip a payload byte in P%% of data segments\n"
"      --a-to-b, --b-to-a     options after this apply one way only\n"
"      --both                 options after this apply both ways (default)\n"
"  -h, --help                 this text\n"
"\n"
"On exit, one JSON object: per direction, frames seen and what was done.\n");
}

static int parse_pct(const char *opt, const char *arg, double *a, double *b,
		     double def_b)
{
	char *end;

	*a = strtod(arg, &end);
	if (end == arg || *a < 0 || *a > 100)
		goto bad;
	if (b) {
		*b = def_b;
		if (*end == ',') {
			const char *q = end + 1;

			*b = strtod(q, &end);
			if (end == q || *b < 0)
				goto bad;
		}
	}
	if (*end)
		goto bad;
	return 0;
bad:
	pr_err("%s %s: not a valid value", opt, arg);
	return -1;
}

static void print_dir(const char *name, const struct dir_stats *s, bool comma)
{
	printf("\"%s\":{\"frames\":%llu,\"passed\":%llu,\"tcp\":%llu,\"lost\":%llu,"
	       "\"burst_lost\":%llu,\"reordered\":%llu,\"duplicated\":%llu,"
	       "\"corrupted\":%llu,\"queue_full\":%llu,\"send_failed\":%llu,"
	       "\"socket_dropped\":%llu}%s", name,
	       (unsigned long long)s->frames, (unsigned long long)s->passed,
	       (unsigned long long)s->tcp, (unsigned long long)s->lost,
	       (unsigned long long)s->burst_lost, (unsigned long long)s->reordered,
	       (unsigned long long)s->duplicated, (unsigned long long)s->corrupted,
	       (unsigned long long)s->queue_full, (unsigned long long)s->send_failed,
	       (unsigned long long)s->socket_dropped, comma ? "," : "");
}

int main(int argc, char **argv)
{
	enum { O_A = 0x100, O_B, O_LOSS, O_BURST, O_REORDER, O_DUP, O_DELAY,
	       O_CORRUPT, O_A2B, O_B2A, O_BOTH };
	static const struct option opts[] = {
		{ "a", required_argument, NULL, O_A },
		{ "b", required_argument, NULL, O_B },
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "loss", required_argument, NULL, O_LOSS },
		{ "burst", required_argument, NULL, O_BURST },
		{ "reorder", required_argument, NULL, O_REORDER },
		{ "dup", required_argument, NULL, O_DUP },
		{ "delay", required_argument, NULL, O_DELAY },
		{ "corrupt", required_argument, NULL, O_CORRUPT },
		{ "a-to-b", no_argument, NULL, O_A2B },
		{ "b-to-a", no_argument, NULL, O_B2A },
		{ "both", no_argument, NULL, O_BOTH },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct imp im[2] = {};		/* [0]: a to b, [1]: b to a */
	struct dir_stats st[2] = {};
	const char *ifa = NULL, *ifb = NULL;
	double duration = 600, v, w;
	int which = 2, c, fd[2] = { -1, -1 }, err = 1;
	bool bad[2] = {};
	uint64_t end;
	static uint8_t buf[FRAME_MAX];

	rng = 1;
	while ((c = getopt_long(argc, argv, "s:d:h", opts, NULL)) != -1) {
		struct imp *t[2] = { which != 1 ? &im[0] : NULL, which != 0 ? &im[1] : NULL };

		switch (c) {
		case O_A: ifa = optarg; continue;
		case O_B: ifb = optarg; continue;
		case 's': rng = strtoull(optarg, NULL, 0) ^ 0x1a2b3c4dULL; continue;
		case 'd': {
			char *e;

			duration = strtod(optarg, &e);
			if (*e || !(duration > 0 && duration <= 86400)) {
				pr_err("--duration %s: not seconds from 0 to 86400", optarg);
				return 1;
			}
			continue;
		}
		case O_A2B: which = 0; continue;
		case O_B2A: which = 1; continue;
		case O_BOTH: which = 2; continue;
		case 'h': usage(stdout); return 0;
		case O_LOSS: case O_BURST: case O_REORDER: case O_DUP:
		case O_DELAY: case O_CORRUPT:
			break;
		default: usage(stderr); return 1;
		}
		for (int k = 0; k < 2; k++) {
			if (!t[k])
				continue;
			switch (c) {
			case O_LOSS:
				if (parse_pct("--loss", optarg, &v, NULL, 0))
					return 1;
				t[k]->loss = v / 100;
				break;
			case O_BURST:
				if (parse_pct("--burst", optarg, &v, &w, 50) || w > 100)
					return 1;
				t[k]->burst = v / 100;
				t[k]->burst_stay = w / 100;
				break;
			case O_REORDER:
				if (parse_pct("--reorder", optarg, &v, &w, 5))
					return 1;
				t[k]->reorder = v / 100;
				t[k]->reorder_ms = w;
				break;
			case O_DUP:
				if (parse_pct("--dup", optarg, &v, NULL, 0))
					return 1;
				t[k]->dup = v / 100;
				break;
			case O_DELAY:
				if (parse_pct("--delay", optarg, &v, &w, 0))
					return 1;
				t[k]->delay_ms = v;
				t[k]->jitter_ms = w;
				break;
			case O_CORRUPT:
				if (parse_pct("--corrupt", optarg, &v, NULL, 0))
					return 1;
				t[k]->corrupt = v / 100;
				break;
			}
		}
	}
	if (!ifa || !ifb) {
		pr_err("--a and --b are required");
		usage(stderr);
		return 1;
	}
	fd[0] = open_port(ifa);
	fd[1] = open_port(ifb);
	if (fd[0] < 0 || fd[1] < 0)
		goto out;
	cli_catch_stop();
	end = mono_ns() + (uint64_t)(duration * 1e9);
	fprintf(stderr, "xtcp-impair: %s <-> %s for %.0f s\n", ifa, ifb, duration);
	while (!cli_stop) {
		struct pollfd p[2] = { { .fd = fd[0], .events = POLLIN },
				       { .fd = fd[1], .events = POLLIN } };
		uint64_t now = mono_ns();
		int timeout = 100;

		if (now >= end)
			break;
		while (Q.n && evq_next(&Q) <= now) {
			struct held *h = evq_pop(&Q);

			/* leaving by a, it came in at b: b_to_a, st[1] */
			if (!emit(h->out, h->data, h->len))
				st[h->out == fd[0]].send_failed++;
			free(h);
		}
		if (Q.n)
			timeout = (int)((evq_next(&Q) - now) / 1000000);
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		now = mono_ns();
		for (int k = 0; k < 2; k++) {
			/* a batch per wakeup, so one busy side cannot starve the other */
			for (int i = 0; i < 64 && (p[k].revents & POLLIN); i++) {
				ssize_t n = recv(fd[k], buf, sizeof(buf), MSG_TRUNC);

				if (n < 0)
					break;
				if (n > (ssize_t)sizeof(buf)) {
					st[k].queue_full++;	/* a GSO superframe */
					continue;
				}
				forward(&im[k], &st[k], fd[!k], buf, (size_t)n, &bad[k], now);
			}
		}
	}
	for (int k = 0; k < 2; k++)
		st[k].socket_dropped += socket_drops(fd[k]);
	printf("{\"seed_rng_end\":%llu,", (unsigned long long)rng);
	print_dir("a_to_b", &st[0], true);
	print_dir("b_to_a", &st[1], false);
	printf("}\n");
	err = 0;
out:
	while (Q.n)
		free(evq_pop(&Q));
	evq_free(&Q);
	for (int k = 0; k < 2; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	return err;
}
