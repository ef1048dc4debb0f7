// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Load the XDP program from its skeleton, fill config, ports and keys, and
 * attach it through a bpf_link (so nothing else can silently replace it).
 * When a port is served to the kernel, the tc ingress program that hands
 * connections to its listener (bpf/handoff.bpf.c) goes on first, on a tcx
 * link of its own.
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
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "handoff.skel.h"
#include "xtcp.skel.h"
#include "addrs.h"
#include "listeners.h"
#include "iface.h"
#include "acl.h"
#include "log.h"
#include "loader.h"
#include "pins.h"

/* The addresses served: --addr's, or the interface's own now (serve keeps
 * them current with loader_sync_addrs). */
static int loader_fill_addrs(struct xtcp *skel, const struct loader_opts *o)
{
	struct xtcp_addr own[XTCP_MAX_ADDRS];
	int n;

	if (o->addr_any || (!o->naddrs && !o->ifname))
		return 0;
	if (o->naddrs)
		return addrs_sync(bpf_map__fd(skel->maps.xtcp_addrs), o->addrs,
				  o->naddrs) < 0 ? -errno : 0;
	n = addrs_of_iface(o->ifname, own, XTCP_MAX_ADDRS);
	if (n < 0)
		return n;
	return addrs_sync(bpf_map__fd(skel->maps.xtcp_addrs), own, n) < 0 ? -errno : 0;
}

int loader_sync_addrs(struct xtcp *skel, const struct loader_opts *o)
{
	struct xtcp_addr own[XTCP_MAX_ADDRS];
	char list[1024];
	int n, changed;

	if (o->addr_any || o->naddrs)
		return 0;	/* fixed by the operator */
	n = addrs_of_iface(o->ifname, own, XTCP_MAX_ADDRS);
	if (n < 0)
		return n;
	changed = addrs_sync(bpf_map__fd(skel->maps.xtcp_addrs), own, n);
	if (changed > 0) {
		addrs_str(own, n, list, sizeof(list));
		pr_info("%s: serving on %s", o->ifname, n ? list : "no address (all passed)");
	}
	return changed < 0 ? changed : 0;
}

int loader_fill_maps(struct xtcp *skel, const struct loader_opts *o, int mtu)
{
	struct xtcp_config cfg = {
		.window = o->window,
		.wscale = o->wscale,
		.flags = o->cfg_flags,
	};

	/* no interface (the cost harness) or --addr any: every destination */
	if (!o->addr_any && (o->naddrs || o->ifname))
		cfg.flags |= XTCP_CFG_ADDRS;
	struct xtcp_keys keys = {};
	__u32 zero = 0, port;
	__u8 one = XTCP_PORT_ENGINE;
	int i, err;

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
		__u8 mode = o->port_modes[i] ? o->port_modes[i] : one;

		port = o->ports[i];
		if (bpf_map__update_elem(skel->maps.xtcp_ports, &port,
					 sizeof(port), &mode, sizeof(mode), 0))
			return -errno;
	}
	err = loader_fill_addrs(skel, o);
	if (err)
		return err;
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

/* BPF_TCX_INGRESS of the Linux 6.6 UAPI; Debian 12's headers predate it. */
#define XTCP_TCX_INGRESS 46

int loader_kernel_ports(const struct loader_opts *o)
{
	int i, n = 0;

	for (i = 0; i < o->nports; i++)
		n += o->port_modes[i] == XTCP_PORT_KERNEL;
	return n;
}

/* 1 if the running kernel has the kfunc the handoff calls (Linux 6.9+). */
static int kernel_has_reqsk_kfunc(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int found;

	if (!btf)
		return 0;
	found = btf__find_by_name_kind(btf, "bpf_sk_assign_tcp_reqsk",
				       BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}

/* An integer sysctl of this network namespace, or -1. */
static long sysctl_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}


/*
 * What handing to the kernel needs, checked before anything is attached:
 * the kfunc (Linux 6.9+) and net.ipv4.tcp_syncookies != 0, without which
 * the kernel does not look at an ACK's cookie at all. A port nobody
 * listens on is only a warning: the listener may come later, and until
 * then clients get RST as from any closed port.
 */
static int handoff_check(const struct loader_opts *o)
{
	char owner[128];
	int i;

	if (!kernel_has_reqsk_kfunc()) {
		pr_err("--to kernel needs Linux 6.9 or later: this kernel has no "
		       "bpf_sk_assign_tcp_reqsk() (checked in /sys/kernel/btf/vmlinux)");
		return -EOPNOTSUPP;
	}
	if (sysctl_long("/proc/sys/net/ipv4/tcp_syncookies") == 0) {
		pr_err("--to kernel needs SYN cookies on in this namespace: "
		       "sysctl -w net.ipv4.tcp_syncookies=1 (now 0)");
		return -EINVAL;
	}
	for (i = 0; i < o->nports; i++)
		if (o->port_modes[i] == XTCP_PORT_KERNEL &&
		    !listener_on_port(o->ports[i], owner, sizeof(owner)))
			pr_warn("port %u: nothing listens on it yet; clients get RST "
				"until something does", o->ports[i]);
	return 0;
}

/* Load the tc program and attach it to ifindex's ingress with tcx. */
static int handoff_attach(const struct loader_opts *o, struct loader *l)
{
	int err, prog_fd;

	l->handoff = handoff__open_and_load();
	if (!l->handoff) {
		err = -errno;
		pr_err("loading the tc handoff program failed: %s (--verbose shows why)",
		       strerror(-err));
		return err;
	}
	prog_fd = bpf_program__fd(l->handoff->progs.xtcp_tc);
	l->tc_link_fd = bpf_link_create(prog_fd, l->ifindex, XTCP_TCX_INGRESS,
					NULL);
	if (l->tc_link_fd < 0) {
		err = -errno;
		pr_err("%s: attaching the tc handoff program (tcx ingress) failed: %s",
		       o->ifname, strerror(-err));
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
	l->tc_link_fd = -1;
	l->ifindex = if_nametoindex(o->ifname);
	if (!l->ifindex) {
		pr_err("%s: no such interface", o->ifname);
		return -ENODEV;
	}
	mtu = iface_mtu(o->ifname);
	if (mtu < 0) {
		pr_err("%s: cannot read MTU: %s", o->ifname, strerror(-mtu));
		return mtu;
	}
	if (mtu < 576 || mtu - 40 < 536) {
		pr_err("%s: MTU %d is below what TCP needs", o->ifname, mtu);
		return -EINVAL;
	}

	if (loader_kernel_ports(o)) {
		err = handoff_check(o);
		if (err)
			return err;
		/* tc first: a handed-off ACK never reaches a stack without it */
		err = handoff_attach(o, l);
		if (err)
			goto out_close;
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
		goto out_close;
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
		MAP(PIN_ADDRS, xtcp_addrs),
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
	if (l->handoff) {
		pins_path(ifname, PIN_HANDOFF, path, sizeof(path));
		if (bpf_map__pin(l->handoff->maps.xtcp_handoff, path))
			goto out_errno;
		pins_path(ifname, PIN_TC_PROG, path, sizeof(path));
		if (bpf_program__pin(l->handoff->progs.xtcp_tc, path))
			goto out_errno;
		pins_path(ifname, PIN_TC_LINK, path, sizeof(path));
		if (pin_link && bpf_obj_pin(l->tc_link_fd, path))
			goto out_errno;
	}
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
	if (l->tc_link_fd >= 0)
		close(l->tc_link_fd);
	l->tc_link_fd = -1;
	handoff__destroy(l->handoff);
	l->handoff = NULL;
}

/* Take a pinned link off (even if another process holds it open). */
static int link_detach(const char *ifname, const char *pin)
{
	int fd = pins_open(ifname, pin), err = 0;

	if (fd >= 0) {
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
			err = -errno;
		close(fd);
	}
	return err;
}

/*
 * XDP first, so nothing is handed off any more, then the tc program. The
 * kernel's established connections are its own sockets and run on; a
 * handshake caught halfway fails once and the client retries it.
 */
int loader_detach(const char *ifname)
{
	int err = link_detach(ifname, PIN_LINK);

	if (err) {
		pr_err("%s: detaching XDP failed: %s", ifname, strerror(-err));
		return err;
	}
	err = link_detach(ifname, PIN_TC_LINK);
	if (err) {
		pr_err("%s: detaching the tc handoff program failed: %s", ifname,
		       strerror(-err));
		return err;
	}
	err = pins_remove(ifname);
	if (err)
		pr_err("%s: removing pins failed: %s", ifname, strerror(-err));
	return err;
}
