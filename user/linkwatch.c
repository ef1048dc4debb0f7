// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One interface watched on an rtnetlink socket subscribed to RTMGRP_LINK:
 * the kernel multicasts RTM_NEWLINK on every flag change and RTM_DELLINK
 * when the device is deleted or leaves the namespace. If notifications
 * were lost (ENOBUFS) the interface is looked up by index instead.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "linkwatch.h"

/* IFF_UP of ifindex now; -ENODEV when there is no such interface. */
static int link_up_now(int ifindex)
{
	struct ifreq ifr = {};
	int s, r;

	if (!if_indextoname((unsigned int)ifindex, ifr.ifr_name))
		return -ENODEV;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	r = ioctl(s, SIOCGIFFLAGS, &ifr) ? -errno : !!(ifr.ifr_flags & IFF_UP);
	close(s);
	return r;
}

int linkwatch_open(struct linkwatch *w, int ifindex)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int up;

	w->ifindex = ifindex;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       NETLINK_ROUTE);
	if (w->fd < 0)
		return -errno;
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		linkwatch_close(w);
		return err;
	}
	/* the state now, so that the first change is told as one */
	up = link_up_now(ifindex);
	w->up = up != 0;
	return 0;
}

enum linkwatch_event linkwatch_read(struct linkwatch *w)
{
	enum linkwatch_event ev = LINK_NONE;
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n;

	while ((n = recv(w->fd, buf, sizeof(buf), 0)) != 0) {
		const struct nlmsghdr *h = (const void *)buf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS)
				break;	/* EAGAIN: all read */
			/* notifications were dropped: ask the kernel instead */
			int up = link_up_now(w->ifindex);

			if (up < 0)
				return LINK_GONE;
			if (up != w->up) {
				w->up = up;
				ev = up ? LINK_UP : LINK_DOWN;
			}
			continue;
		}
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(h);
			bool up;

			if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
			    ifi->ifi_index != w->ifindex)
				continue;
			if (h->nlmsg_type == RTM_DELLINK)
				return LINK_GONE;
			up = ifi->ifi_flags & IFF_UP;
			if (up != w->up) {
				w->up = up;
				ev = up ? LINK_UP : LINK_DOWN;
			}
		}
	}
	return ev;
}

void linkwatch_close(struct linkwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
