/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Kernel TCP listeners of this network namespace, and who owns them. */
#ifndef XTCP_LISTENERS_H
#define XTCP_LISTENERS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Is a kernel socket listening on TCP port (host order), IPv4 or IPv6?
 * 1 if so, with who in owner ("nginx (pid 1234)", or "a socket" when no
 * process of ours can see it), 0 if not, a negative errno when the tables
 * cannot be read.
 */
int listener_on_port(uint16_t port, char *owner, size_t len);

#endif /* XTCP_LISTENERS_H */
