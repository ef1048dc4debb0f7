/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * An AF_XDP socket bound to the loopback of a private network namespace and
 * put in an xskmap at queue 0, so BPF_PROG_TEST_RUN of a program that
 * redirects to that map takes the redirect path. The caller's thread moves
 * into the new namespace.
 */
#ifndef XTCP_TEST_XSK_LO_H
#define XTCP_TEST_XSK_LO_H

/* 0 or a negative errno. */
int xsk_lo_open(int xskmap_fd);
void xsk_lo_close(int xskmap_fd);

#endif /* XTCP_TEST_XSK_LO_H */
