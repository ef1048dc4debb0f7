// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Sum the per-CPU XDP counters and count flows, from the pinned maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "pins.h"

const char *const counter_names[XTCP_STAT__MAX] = {
#define XTCP_STAT_NAME(name, action, desc) #name,
	XTCP_STATS(XTCP_STAT_NAME)
#undef XTCP_STAT_NAME
};

const char *const counter_descs[XTCP_STAT__MAX] = {
#define XTCP_STAT_DESC(name, action, desc) desc,
	XTCP_STATS(XTCP_STAT_DESC)
#undef XTCP_STAT_DESC
};

const char *const counter_actions[XTCP_STAT__MAX] = {
#define XTCP_STAT_ACTION(name, action, desc) #action,
	XTCP_STATS(XTCP_STAT_ACTION)
#undef XTCP_STAT_ACTION
};

const char *const handoff_counter_names[XTCP_HANDOFF__MAX] = {
#define XTCP_HANDOFF_NAME(name, desc) #name,
	XTCP_HANDOFF_STATS(XTCP_HANDOFF_NAME)
#undef XTCP_HANDOFF_NAME
};

const char *const handoff_counter_descs[XTCP_HANDOFF__MAX] = {
#define XTCP_HANDOFF_DESC(name, desc) desc,
	XTCP_HANDOFF_STATS(XTCP_HANDOFF_DESC)
#undef XTCP_HANDOFF_DESC
};

const char *const engine_counter_names[XTCP_ENGINE__MAX] = {
#define XTCP_ENGINE_NAME(name, kind, desc) #name,
	XTCP_ENGINE_STATS(XTCP_ENGINE_NAME)
#undef XTCP_ENGINE_NAME
};

const char *const engine_counter_descs[XTCP_ENGINE__MAX] = {
#define XTCP_ENGINE_DESC(name, kind, desc) desc,
	XTCP_ENGINE_STATS(XTCP_ENGINE_DESC)
#undef XTCP_ENGINE_DESC
};

#define GAUGE true
#define COUNT false
const bool engine_counter_gauge[XTCP_ENGINE__MAX] = {
#define XTCP_ENGINE_KIND(name, kind, desc) kind,
	XTCP_ENGINE_STATS(XTCP_ENGINE_KIND)
#undef XTCP_ENGINE_KIND
};
#undef GAUGE
#undef COUNT

int counters_engine(const char *ifname, struct xtcp_engine_stats *sum)
{
	struct xtcp_engine_stats slot;
	int fd = pins_open(ifname, PIN_ENGINE), i, err = -ENOENT;
	__u32 q;

	if (fd < 0)
		return fd;
	memset(sum, 0, sizeof(*sum));
	for (q = 0; q < XTCP_MAX_QUEUES; q++) {
		if (bpf_map_lookup_elem(fd, &q, &slot)) {
			err = -errno;
			break;
		}
		if (!slot.umem_frames)
			continue;	/* no engine ran on this queue */
		err = 0;
		for (i = 0; i < XTCP_ENGINE__MAX; i++)
			((__u64 *)sum)[i] += ((__u64 *)&slot)[i];
	}
	close(fd);
	return err;
}

int counters_engine_queues(const char *ifname,
			   struct xtcp_engine_stats slots[XTCP_MAX_QUEUES])
{
	int fd = pins_open(ifname, PIN_ENGINE), err = XTCP_MAX_QUEUES;
	__u32 q;

	if (fd < 0)
		return fd;
	for (q = 0; q < XTCP_MAX_QUEUES; q++)
		if (bpf_map_lookup_elem(fd, &q, &slots[q])) {
			err = -errno;
			break;
		}
	close(fd);
	return err;
}

/* Entry 0 of a pinned per-CPU array of n counters, summed over CPUs. */
static int percpu_sum(const char *ifname, const char *pin, __u64 *sum, int n)
{
	int ncpus = libbpf_num_possible_cpus(), fd, cpu, i, err = 0;
	__u64 *percpu;
	__u32 zero = 0;

	if (ncpus < 0)
		return ncpus;
	fd = pins_open(ifname, pin);
	if (fd < 0)
		return fd;
	percpu = calloc((size_t)ncpus * n, sizeof(*percpu));
	if (!percpu) {
		err = -ENOMEM;
		goto out_close;
	}
	if (bpf_map_lookup_elem(fd, &zero, percpu)) {
		err = -errno;
		goto out_free;
	}
	memset(sum, 0, n * sizeof(*sum));
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < n; i++)
			sum[i] += percpu[cpu * n + i];
out_free:
	free(percpu);
out_close:
	close(fd);
	return err;
}

int counters_read(const char *ifname, struct xtcp_stats *sum)
{
	return percpu_sum(ifname, PIN_STATS, (__u64 *)sum, XTCP_STAT__MAX);
}

int counters_handoff(const char *ifname, struct xtcp_handoff_stats *sum)
{
	return percpu_sum(ifname, PIN_HANDOFF, (__u64 *)sum, XTCP_HANDOFF__MAX);
}

long counters_flows(const char *ifname)
{
	struct xtcp_flow_key key, next;
	int fd = pins_open(ifname, PIN_FLOWS);
	void *prev = NULL;
	long n = 0;

	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	close(fd);
	return n;
}
