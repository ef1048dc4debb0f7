/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flows map: 4-tuples whose handshake XDP validated, owned by the
 * engine. Defined here once because bpf/xdpcost.bpf.c declares the same map
 * to share xtcp's by fd (libbpf reuses a map only if the definitions match).
 */
#ifndef XTCP_BPF_FLOWS_H
#define XTCP_BPF_FLOWS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xtcp/abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XTCP_MAX_FLOWS);
	__type(key, struct xtcp_flow_key);
	__type(value, struct xtcp_flow);
} xtcp_flows SEC(".maps");

#endif /* XTCP_BPF_FLOWS_H */
