// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Load the XDP program from its skeleton, fill config, ports and keys, and
 * attach it through a bpf_link (so nothing else can silently replace it).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xtcp.skel.h"
#include "acl.h"
#include "log.h"
#include "loader.h"
#include "pins.h"

static int if_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	mtu = ioctl(fd, SIOCGIFMTU, &ifr) ? -errno : ifr.ifr_mtu;
	close(fd);
	return mtu;
}

int loader_fill_maps(struct xtcp *skel, const struct loader_opts *o, int mtu)
{
	struct xtcp_config cfg = {
		.window = o->window,
		.wscale = o->wscale,
		.flags = o->cfg_flags,
	};
	struct xtcp_keys keys = {};
	__u32 zero = 0, port;
	__u8 one = 1;
	int i;

	/* RFC 9293 3.7.1: MSS is what fits in the MTU without options */
	cfg.mss4 = mtu - 40;
	cfg.mss6 = mtu - 60;
	if (o->mss && o->mss < cfg.mss4)
		cfg.mss4 = o->mss;
	if (o->mss && o->mss < cfg.mss6)
		cfg.mss6 = o->mss;
	if (bpf_map__update_elem(skel->maps.xtcp_config, &zero, sizeof(zero),
				 &cfg, sizeof(cfg), 0))
		return -errno;
	for (i = 0; i < o->nports; i++) {
		port = o->ports[i];
		if (bpf_map__update_elem(skel->maps.xtcp_ports, &port,
					 sizeof(port), &one, sizeof(one), 0))
			return -errno;
	}
	if (o->have_secret) {
		memcpy(keys.master, o->secret, sizeof(keys.master));
	} else if (getrandom(keys.master, sizeof(keys.master), 0) !=
		   sizeof(keys.master)) {
		return -errno;
	}
	/* any non-zero generation; a fresh one makes every CPU re-derive */
	do {
		if (getrandom(&keys.generation, sizeof(keys.generation), 0) !=
		    sizeof(keys.generation))
			return -errno;
	} while (!keys.generation);
	if (bpf_map__update_elem(skel->maps.xtcp_keys, &zero, sizeof(zero),
				 &keys, sizeof(keys), 0))
		return -errno;
	return loader_fill_acl(bpf_map__fd(skel->maps.xtcp_acl), o);
}

/* --deny first: the allow list's implied default comes with the allows. */
int loader_fill_acl(int acl_fd, const struct loader_opts *o)
{
	int i, err;

	for (i = 0; i < o->ndeny; i++) {
		err = acl_add(acl_fd, &o->deny[i], XTCP_ACL_DENY);
		if (err)
			return err;
	}
	for (i = 0; i < o->nallow; i++) {
		err = acl_add(acl_fd, &o->allow[i], XTCP_ACL_ALLOW);
		if (err)
			return err;
	}
	return 0;
}

/* Load, configure and attach; on failure nothing stays attached. */
int loader_attach(const struct loader_opts *o, struct loader *l)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = o->xdp_flags);
	int mtu, err, prog_fd;

	memset(l, 0, sizeof(*l));
	l->link_fd = -1;
	l->ifindex = if_nametoindex(o->ifname);
	if (!l->ifindex) {
		pr_err("%s: no such interface", o->ifname);
		return -ENODEV;
	}
	mtu = if_mtu(o->ifname);
	if (mtu < 0) {
		pr_err("%s: cannot read MTU: %s", o->ifname, strerror(-mtu));
		return mtu;
	}
	if (mtu < 576 || mtu - 40 < 536) {
		pr_err("%s: MTU %d is below what TCP needs", o->ifname, mtu);
		return -EINVAL;
	}

	l->skel = xtcp__open();
	if (l->skel && o->replay_max)
		bpf_map__set_max_entries(l->skel->maps.xtcp_replay, o->replay_max);
	if (l->skel && xtcp__load(l->skel)) {
		err = -errno;
		xtcp__destroy(l->skel);
		l->skel = NULL;
		errno = -err;
	}
	if (!l->skel) {
		err = -errno;
		pr_err("loading the XDP program failed: %s%s", strerror(-err),
		       err == -EPERM ? " (run as root)" : " (--verbose shows why)");
		return err;
	}
	err = loader_fill_maps(l->skel, o, mtu);
	if (err) {
		pr_err("configuring the XDP program failed: %s", strerror(-err));
		goto out_close;
	}

	prog_fd = bpf_program__fd(l->skel->progs.xtcp_xdp);
	l->link_fd = bpf_link_create(prog_fd, l->ifindex, BPF_XDP, &lopts);
	if (l->link_fd < 0) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			pr_err("%s: another XDP program is attached", o->ifname);
		else if (err == -EOPNOTSUPP)
			pr_err("%s: the driver has no native XDP (try --xdp-mode generic)",
			       o->ifname);
		else
			pr_err("%s: attaching XDP failed: %s", o->ifname,
			       strerror(-err));
		goto out_close;
	}
	return 0;

out_close:
	loader_close(l);
	return err;
}

/*
 * Pin program and maps under XTCP_PIN_ROOT/nsINODE/ifname, and the link when
 * pin_link: a pinned link outlives the process (attach); an unpinned one
 * detaches when the process ends, however it ends (serve).
 */
int loader_pin(struct loader *l, const char *ifname, bool pin_link)
{
	static const struct {
		const char *pin;
		size_t off;
	} maps[] = {
#define MAP(pin, field) { pin, offsetof(struct xtcp, maps.field) }
		MAP(PIN_CONFIG, xtcp_config), MAP(PIN_PORTS, xtcp_ports),
		MAP(PIN_KEYS, xtcp_keys), MAP(PIN_KEYCACHE, xtcp_keycache),
		MAP(PIN_FLOWS, xtcp_flows), MAP(PIN_XSKS, xtcp_xsks),
		MAP(PIN_STATS, xtcp_stats), MAP(PIN_ENGINE, xtcp_engine),
		MAP(PIN_REPLAY, xtcp_replay), MAP(PIN_ACL, xtcp_acl),
#undef MAP
	};
	char path[PATH_MAX];
	size_t i;
	int err;

	if (mkdir(XTCP_PIN_ROOT, 0700) && errno != EEXIST)
		goto out_errno;
	if (pins_ns_dir(path, sizeof(path)) || (mkdir(path, 0700) && errno != EEXIST))
		goto out_errno;
	if (pins_dir(ifname, path, sizeof(path)) ||
	    (mkdir(path, 0700) && errno != EEXIST))
		goto out_errno;
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		struct bpf_map *map =
			*(struct bpf_map **)((char *)l->skel + maps[i].off);

		pins_path(ifname, maps[i].pin, path, sizeof(path));
		if (bpf_map__pin(map, path))
			goto out_errno;
	}
	pins_path(ifname, PIN_PROG, path, sizeof(path));
	if (bpf_program__pin(l->skel->progs.xtcp_xdp, path))
		goto out_errno;
	pins_path(ifname, PIN_LINK, path, sizeof(path));
	if (pin_link && bpf_obj_pin(l->link_fd, path))
		goto out_errno;
	return 0;

out_errno:
	err = -errno;
	pr_err("%s: pinning under %s failed: %s", ifname, XTCP_PIN_ROOT,
	       strerror(-err));
	pins_remove(ifname);
	return err;
}

/* Drop this process's hold; a pinned link keeps the program attached. */
void loader_close(struct loader *l)
{
	if (l->link_fd >= 0)
		close(l->link_fd);
	l->link_fd = -1;
	xtcp__destroy(l->skel);
	l->skel = NULL;
}

int loader_detach(const char *ifname)
{
	int fd = pins_open(ifname, PIN_LINK), err = 0;

	if (fd >= 0) {
		/* detach even if another process holds the link open */
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
			err = -errno;
		close(fd);
	}
	if (err) {
		pr_err("%s: detaching XDP failed: %s", ifname, strerror(-err));
		return err;
	}
	err = pins_remove(ifname);
	if (err)
		pr_err("%s: removing pins failed: %s", ifname, strerror(-err));
	return err;
}
