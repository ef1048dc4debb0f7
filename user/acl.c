// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The operator's allow and deny prefixes in the XDP program's `acl` LPM
 * trie. One trie for both families: IPv4 prefixes are IPv4-mapped, as the
 * flow keys are. An allow list implies that everyone else is denied; that
 * rule is the ::/0 entry XTCP_ACL_ALLOW_ONLY, kept here while any allow
 * prefix exists, so the XDP program does one lookup and nothing more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "acl.h"
#include "log.h"

static void clear_host_bits(struct xtcp_acl_key *k)
{
	__u8 *b = (__u8 *)k->addr;
	__u32 i;

	for (i = 0; i < 16; i++) {
		__u32 keep = k->prefixlen > i * 8 ? k->prefixlen - i * 8 : 0;

		if (keep < 8)
			b[i] &= (__u8)(0xff00 >> keep);
	}
}

int acl_parse(const char *cidr, struct xtcp_acl_key *k)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(cidr, '/');
	size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	unsigned long len;
	__u8 v4[4];
	char *end;
	int v6;

	memset(k, 0, sizeof(*k));
	if (!alen || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, alen);
	addr[alen] = 0;
	v6 = strchr(addr, ':') != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, addr, k->addr) != 1)
			return -EINVAL;
	} else {
		if (inet_pton(AF_INET, addr, v4) != 1)
			return -EINVAL;
		((__u8 *)k->addr)[10] = 0xff;
		((__u8 *)k->addr)[11] = 0xff;
		memcpy(&k->addr[3], v4, 4);
	}
	len = v6 ? 128 : 32;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len > (v6 ? 128U : 32U))
			return -EINVAL;
	}
	k->prefixlen = (__u32)(v6 ? len : 96 + len);
	clear_host_bits(k);
	return 0;
}

int acl_parse_list(const char *list, struct xtcp_acl_key *keys, int max, int *n)
{
	char buf[1024], *tok, *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -E2BIG;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n >= max) {
			pr_err("%s: more than %d prefixes", list, max);
			return -E2BIG;
		}
		if (acl_parse(tok, &keys[*n])) {
			pr_err("%s: not an IPv4 or IPv6 prefix (ADDR[/LEN])", tok);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

static int is_mapped(const struct xtcp_acl_key *k)
{
	static const __u8 pfx[12] = { [10] = 0xff, [11] = 0xff };

	return k->prefixlen >= 96 && !memcmp(k->addr, pfx, sizeof(pfx));
}

void acl_format(const struct xtcp_acl_key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (is_mapped(k)) {
		inet_ntop(AF_INET, &k->addr[3], a, sizeof(a));
		snprintf(buf, len, "%s/%u", a, k->prefixlen - 96);
	} else {
		inet_ntop(AF_INET6, k->addr, a, sizeof(a));
		snprintf(buf, len, "%s/%u", a, k->prefixlen);
	}
}

const char *acl_verdict_name(__u32 verdict)
{
	switch (verdict) {
	case XTCP_ACL_ALLOW: return "allow";
	case XTCP_ACL_DENY: return "deny";
	case XTCP_ACL_ALLOW_ONLY: return "deny-unlisted";
	default: return "?";
	}
}

/*
 * Keep ::/0 XTCP_ACL_ALLOW_ONLY exactly while an allow prefix exists. An
 * operator's own ::/0 entry (allow or deny) is theirs and left alone.
 */
static int acl_sync_default(int fd)
{
	struct xtcp_acl_key k, next, all = { .prefixlen = 0 };
	struct xtcp_acl v, only = { .verdict = XTCP_ACL_ALLOW_ONLY };
	void *prev = NULL;
	int allows = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &v) && v.verdict == XTCP_ACL_ALLOW)
			allows++;
	}
	if (!bpf_map_lookup_elem(fd, &all, &v) && v.verdict != XTCP_ACL_ALLOW_ONLY)
		return 0;
	if (allows)
		return bpf_map_update_elem(fd, &all, &only, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(fd, &all) && errno != ENOENT)
		return -errno;
	return 0;
}

int acl_add(int fd, const struct xtcp_acl_key *k, __u32 verdict)
{
	struct xtcp_acl v = { .verdict = verdict };

	if (bpf_map_update_elem(fd, k, &v, BPF_ANY))
		return -errno;
	return acl_sync_default(fd);
}

int acl_del(int fd, const struct xtcp_acl_key *k)
{
	if (bpf_map_delete_elem(fd, k))
		return -errno;
	return acl_sync_default(fd);
}
