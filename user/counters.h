/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading what an attached xtcp counts, from its pinned maps. */
#ifndef XTCP_COUNTERS_H
#define XTCP_COUNTERS_H

#include <stdbool.h>

#include "xtcp/abi.h"

extern const char *const counter_names[XTCP_STAT__MAX];
extern const char *const counter_descs[XTCP_STAT__MAX];
extern const char *const counter_actions[XTCP_STAT__MAX];	/* "PASS", "DROP", ... */

extern const char *const engine_counter_names[XTCP_ENGINE__MAX];
extern const char *const engine_counter_descs[XTCP_ENGINE__MAX];
extern const bool engine_counter_gauge[XTCP_ENGINE__MAX];

extern const char *const handoff_counter_names[XTCP_HANDOFF__MAX];
extern const char *const handoff_counter_descs[XTCP_HANDOFF__MAX];

int counters_read(const char *ifname, struct xtcp_stats *sum);
/* The tc handoff's counters; -ENOENT when no port is served to the kernel. */
int counters_handoff(const char *ifname, struct xtcp_handoff_stats *sum);
/* The engine's counters summed over queues; -ENOENT when no engine runs. */
int counters_engine(const char *ifname, struct xtcp_engine_stats *sum);
long counters_flows(const char *ifname);
/* Each queue's own slot of the engine counters (umem_frames 0: no engine
 * on that queue); the number of slots read or a negative errno. */
int counters_engine_queues(const char *ifname,
			   struct xtcp_engine_stats slots[XTCP_MAX_QUEUES]);

#endif /* XTCP_COUNTERS_H */
