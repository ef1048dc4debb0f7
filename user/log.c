// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Levelled logging to stderr; libbpf and libxdp print through it. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static const char *log_prog = "xtcp";
static enum log_level log_level = LOG_INFO;
static bool log_stamped;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf warns about things we handle (probes, stale pins): debug only */
	(void)level;
	if (log_level < LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	if (log_level < LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_level = level;
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void log_stamp(bool on)
{
	log_stamped = on;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > log_level)
		return;
	if (log_stamped) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s %s: ", when, ts.tv_nsec / 1000000,
			names[level], log_prog);
	} else {
		fprintf(stderr, "%s: ", log_prog);
		if (level == LOG_WARN)
			fputs("warning: ", stderr);
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
