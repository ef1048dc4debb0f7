/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The operator's allow and deny prefixes, as the XDP program's `acl` LPM
 * trie holds them: parsing CIDRs, adding and deleting entries (keeping the
 * implied "deny everyone else" of an allow list), listing them.
 */
#ifndef XTCP_ACL_H
#define XTCP_ACL_H

#include <stddef.h>
#include <linux/types.h>
#include "xtcp/abi.h"

/* "a.b.c.d[/len]" or "v6addr[/len]"; bits past len are cleared. */
int acl_parse(const char *cidr, struct xtcp_acl_key *k);
/* "CIDR[,CIDR...]": each through acl_parse; -EINVAL names the bad one. */
int acl_parse_list(const char *list, struct xtcp_acl_key *keys, int max, int *n);
/* The CIDR back, IPv4-mapped prefixes as IPv4. */
void acl_format(const struct xtcp_acl_key *k, char *buf, size_t len);
const char *acl_verdict_name(__u32 verdict);
/* Add or replace one prefix (XTCP_ACL_ALLOW or _DENY) / delete it; both
 * keep the ::/0 XTCP_ACL_ALLOW_ONLY entry while any allow prefix exists. */
int acl_add(int fd, const struct xtcp_acl_key *k, __u32 verdict);
int acl_del(int fd, const struct xtcp_acl_key *k);

#endif /* XTCP_ACL_H */
