// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The served addresses: read from the interface, written to the map. */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "addrs.h"

static void map4(struct xtcp_addr *a, const void *v4)
{
	a->a[0] = 0;
	a->a[1] = 0;
	a->a[2] = htonl(0xffff);
	memcpy(&a->a[3], v4, 4);
}

int addr_parse(const char *s, struct xtcp_addr *a)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, s, b) == 1) {
		map4(a, b);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		memcpy(a->a, b, 16);
		return 0;
	}
	return -EINVAL;
}

int addrs_of_iface(const char *ifname, struct xtcp_addr *out, int max)
{
	struct ifaddrs *ifs, *i;
	int n = 0;

	if (getifaddrs(&ifs))
		return -errno;
	for (i = ifs; i && n < max; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			map4(&out[n++], &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			memcpy(out[n++].a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
	}
	freeifaddrs(ifs);
	return n;
}

static bool listed(const struct xtcp_addr *list, int n, const struct xtcp_addr *a)
{
	for (int i = 0; i < n; i++)
		if (!memcmp(&list[i], a, sizeof(*a)))
			return true;
	return false;
}

int addrs_sync(int fd, const struct xtcp_addr *list, int n)
{
	struct xtcp_addr key, next, gone[XTCP_MAX_ADDRS];
	void *prev = NULL;
	int ngone = 0, changed = 0, i;
	__u8 one = 1, v;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!listed(list, n, &next) && ngone < XTCP_MAX_ADDRS)
			gone[ngone++] = next;
		key = next;
		prev = &key;
	}
	for (i = 0; i < ngone; i++, changed = 1)
		bpf_map_delete_elem(fd, &gone[i]);
	for (i = 0; i < n; i++) {
		if (!bpf_map_lookup_elem(fd, &list[i], &v))
			continue;
		if (bpf_map_update_elem(fd, &list[i], &one, BPF_ANY))
			return -errno;
		changed = 1;
	}
	return changed;
}

void addrs_str(const struct xtcp_addr *list, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < n && used < len; i++) {
		char s[INET6_ADDRSTRLEN];
		const struct xtcp_addr *a = &list[i];

		if (!a->a[0] && !a->a[1] && a->a[2] == htonl(0xffff))
			inet_ntop(AF_INET, &a->a[3], s, sizeof(s));
		else
			inet_ntop(AF_INET6, a->a, s, sizeof(s));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", s);
	}
}
