// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "xsk_lo.h"

#define UMEM_SIZE (4096 * 64)

static struct xsk_socket *xsk;
static struct xsk_umem *umem;
static void *umem_area;

int xsk_lo_open(int xskmap_fd)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	static struct xsk_ring_prod fq, tx;
	static struct xsk_ring_cons cq, rx;
	struct ifreq ifr = {};
	__u32 key = 0;
	int fd, err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP;
	err = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	umem_area = mmap(NULL, UMEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem_area == MAP_FAILED) {
		umem_area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&umem, umem_area, UMEM_SIZE, &fq, &cq, NULL);
	if (err)
		return err;
	err = xsk_socket__create(&xsk, "lo", 0, umem, &rx, &tx, &cfg);
	if (err)
		return err;
	fd = xsk_socket__fd(xsk);
	return bpf_map_update_elem(xskmap_fd, &key, &fd, 0) ? -errno : 0;
}

void xsk_lo_close(int xskmap_fd)
{
	__u32 key = 0;

	bpf_map_delete_elem(xskmap_fd, &key);
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	if (umem_area)
		munmap(umem_area, UMEM_SIZE);
	xsk = NULL;
	umem = NULL;
	umem_area = NULL;
}
