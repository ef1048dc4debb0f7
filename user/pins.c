// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The bpffs layout of an attached xtcp: paths, checks, removal. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xtcp/abi.h"
#include "log.h"
#include "pins.h"

/*
 * 1 when this process runs under `ip netns exec NAME` (name set): that
 * command gives its child a mount namespace of its own with a fresh sysfs
 * on /sys whose source is the namespace's name. The host's bpffs is hidden
 * there, and one mounted there would vanish with the command, taking its
 * pins (and a pinned attach) with it.
 */
static int under_ip_netns_exec(char *name, size_t len)
{
	char line[1024], src[256] = "", path[300];
	struct stat st;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	/* the last mount on /sys is the one in force; its source follows " - sysfs " */
	while (fgets(line, sizeof(line), f)) {
		char mnt[256], *sep;

		if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 || strcmp(mnt, "/sys"))
			continue;
		sep = strstr(line, " - sysfs ");
		if (sep && sscanf(sep + 9, "%255s", src) == 1)
			found = 1;
	}
	fclose(f);
	if (!found || !strcmp(src, "sysfs") || strchr(src, '/'))
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", src);
	if (stat(path, &st))
		return 0;
	snprintf(name, len, "%s", src);
	return 1;
}

/* 0 if /sys/fs/bpf is a bpf filesystem that outlives this process, else
 * -ENOENT with a message saying what to run instead. */
int pins_check_bpffs(void)
{
	struct statfs st;
	char ns[256];

	if (under_ip_netns_exec(ns, sizeof(ns))) {
		pr_err("/sys/fs/bpf: `ip netns exec %s` remounts /sys, which hides the "
		       "host's bpffs (and one mounted here dies with the command): run "
		       "`xtcp -n %s ...` instead", ns, ns);
		return -ENOENT;
	}
	if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) {
		pr_err("/sys/fs/bpf: no bpf filesystem mounted "
		       "(mount -t bpf bpf /sys/fs/bpf, or make deps)");
		return -ENOENT;
	}
	return 0;
}

/*
 * The instances of this network namespace live in one directory of their
 * own, named for the namespace's inode (as `ls -i /run/netns/NAME` or
 * `stat -L -c %i /proc/PID/ns/net` show it): two namespaces may both have
 * an eth0, and neither may see or touch the other's xtcp.
 */
int pins_ns_dir(char *buf, size_t len)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	n = snprintf(buf, len, "%s/ns%llu", XTCP_PIN_ROOT, (unsigned long long)st.st_ino);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pins_dir(const char *ifname, char *buf, size_t len)
{
	char ns[128];
	int n, err = pins_ns_dir(ns, sizeof(ns));

	if (err)
		return err;
	n = snprintf(buf, len, "%s/%s", ns, ifname);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pins_path(const char *ifname, const char *name, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int n, err = pins_dir(ifname, dir, sizeof(dir));

	if (err)
		return err;
	n = snprintf(buf, len, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* fd of a pinned object of ifname's xtcp, or a negative errno. */
int pins_open(const char *ifname, const char *name)
{
	char path[PATH_MAX];
	int fd, err = pins_path(ifname, name, path, sizeof(path));

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* 1 if the pinned program is the one attached to ifname now. */
static int prog_attached(const char *ifname)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id = 0;
	int fd = pins_open(ifname, PIN_PROG), ifindex = (int)if_nametoindex(ifname);
	int ret = 0;

	if (fd < 0)
		return 0;
	if (ifindex && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    !bpf_xdp_query_id(ifindex, 0, &id))
		ret = id && id == info.id;
	close(fd);
	return ret;
}

/*
 * 1 if xtcp is attached to ifname, 0 if not. `attach` pins its link;
 * `serve` holds its link open unpinned, so its program is checked instead.
 * Pins left by a crash, whose link is gone, count as not attached.
 */
int pins_attached(const char *ifname)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = pins_open(ifname, PIN_LINK), ret;

	if (fd < 0)
		return prog_attached(ifname);
	/* a link whose interface went away reports ifindex 0 */
	ret = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.xdp.ifindex;
	close(fd);
	return ret;
}

/* 1 when ifname is held by a running `xtcp serve` (no pinned link). */
int pins_served(const char *ifname)
{
	int fd = pins_open(ifname, PIN_LINK);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return prog_attached(ifname);
}

/* Unpin everything of ifname's xtcp and remove its directory. */
int pins_remove(const char *ifname)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;
	int err = pins_dir(ifname, dir, sizeof(dir));

	if (err)
		return err;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		err = -errno;
	/* the namespace's directory goes with its last instance */
	if (!pins_ns_dir(dir, sizeof(dir)))
		rmdir(dir);
	return err;
}
