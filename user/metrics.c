// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Prometheus text exposition of the XDP and engine counters. Families are
 * named xtcp_<what>; every sample carries interface="IFNAME", the XDP
 * outcomes one family with outcome= and action= labels, the engine's one
 * family per counter with queue= (counters end in _total, gauges do not).
 * The HTTP side answers GET /metrics and nothing else, one scrape at a
 * time, from the serve main loop: a scraper never touches a queue thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "counters.h"
#include "fdio.h"
#include "log.h"
#include "metrics.h"

/* Label values escape backslash, double quote and newline (the format's rule). */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_start(FILE *f, const char *name, const char *ifname)
{
	fprintf(f, "%s{interface=\"", name);
	label_value(f, ifname);
	fputc('"', f);
}

int metrics_write(FILE *f, const char *ifname)
{
	struct xtcp_engine_stats slot[XTCP_MAX_QUEUES];
	bool have[XTCP_MAX_QUEUES];
	struct xtcp_stats s;
	char name[96];
	int err, i;
	__u32 q;
	long flows;

	err = counters_read(ifname, &s);
	if (err)
		return err;
	family(f, "xtcp_xdp_packets_total", "counter",
	       "Packets the XDP program saw, by outcome (each counted once).");
	for (i = 0; i < XTCP_STAT__MAX; i++) {
		sample_start(f, "xtcp_xdp_packets_total", ifname);
		fprintf(f, ",outcome=\"%s\",action=\"%s\"} %llu\n", counter_names[i],
			counter_actions[i], (unsigned long long)((__u64 *)&s)[i]);
	}
	flows = counters_flows(ifname);
	if (flows >= 0) {
		family(f, "xtcp_flows", "gauge", "Entries in the flows map.");
		sample_start(f, "xtcp_flows", ifname);
		fprintf(f, "} %ld\n", flows);
	}
	if (counters_engine_queues(ifname, slot) < 0)
		memset(slot, 0, sizeof(slot));	/* no serve: XDP's counters only */
	for (q = 0; q < XTCP_MAX_QUEUES; q++)
		have[q] = slot[q].umem_frames != 0;	/* an engine ran there */
	for (i = 0; i < XTCP_ENGINE__MAX; i++) {
		bool gauge = engine_counter_gauge[i], any = false;

		snprintf(name, sizeof(name), "xtcp_engine_%s%s", engine_counter_names[i],
			 gauge ? "" : "_total");
		for (q = 0; q < XTCP_MAX_QUEUES; q++) {
			if (!have[q])
				continue;
			if (!any)
				family(f, name, gauge ? "gauge" : "counter",
				       engine_counter_descs[i]);
			any = true;
			sample_start(f, name, ifname);
			fprintf(f, ",queue=\"%u\"} %llu\n", q,
				(unsigned long long)((__u64 *)&slot[q])[i]);
		}
	}
	return ferror(f) ? -EIO : 0;
}

int metrics_listen(const char *arg)
{
	const char *addrport = arg;
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(addrport, ':');
	unsigned long port;
	size_t hlen;
	char *end;
	int fd, one = 1, err;

	if (!colon || colon == addrport)
		goto bad;
	hlen = (size_t)(colon - addrport);
	if (addrport[0] == '[') {
		if (hlen < 3 || addrport[hlen - 1] != ']')
			goto bad;
		addrport++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, addrport, hlen);
	host[hlen] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || !port || port > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((__u16)port);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((__u16)port);
	} else {
		goto bad;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sizeof(ss)) || listen(fd, 16)) {
		err = -errno;
		pr_err("--metrics %s: %s", arg, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
bad:
	pr_err("--metrics %s: not ADDR:PORT (IPv6 as [ADDR]:PORT)", arg);
	return -EINVAL;
}


void metrics_serve(int lfd, const char *ifname)
{
	struct pollfd p = { .events = POLLIN };
	char req[2048] = "", head[160], *body = NULL;
	size_t got = 0, blen = 0;
	const char *status = "200 OK";
	FILE *f;
	int cfd;

	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	p.fd = cfd;
	/* the request head, bounded in size and in time: a slow scraper
	 * must not hold the serve main loop */
	while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			goto out;
		n = read(cfd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			goto out;
		got += (size_t)n;
		req[got] = 0;
	}
	f = open_memstream(&body, &blen);
	if (!f)
		goto out;
	if (strncmp(req, "GET /metrics ", 13) && strncmp(req, "GET / ", 6)) {
		status = "404 Not Found";
		fputs("xtcp: GET /metrics\n", f);
	} else if (metrics_write(f, ifname)) {
		status = "503 Service Unavailable";
		fprintf(f, "xtcp: %s: counters unreadable\n", ifname);
	}
	fclose(f);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, blen);
	send_all(cfd, head, strlen(head));
	send_all(cfd, body, blen);
	free(body);
out:
	close(cfd);
}
