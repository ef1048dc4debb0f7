/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Levelled logging to stderr, with libbpf's and libxdp's messages bridged
 * in (shown with --verbose). Nothing here runs per packet.
 */
#ifndef XTCP_LOG_H
#define XTCP_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *prog, enum log_level level);
/* Long-running commands: every line gets UTC time and its level
 * ("2026-11-30T22:10:01.123Z warning xtcp: ..."), as journald and a log
 * file both want. */
void log_stamp(bool on);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* XTCP_LOG_H */
