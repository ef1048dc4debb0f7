// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A harness for timing XDP programs that rewrite their frame. In
 * BPF_PROG_TEST_RUN a repeated run sees the previous run's output (xtcp's
 * SYN-ACK, not the SYN), so each run here first restores the frame from a
 * template (length, metadata and bytes), optionally forgets the flow the
 * previous run inserted, and then tail-calls the program under test, loaded
 * as it is in production. Timing the same harness with XDP_PASS as the
 * target gives the harness's own cost, which the benchmark subtracts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xtcp/abi.h"
#include "xtcp/bench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct xtcp_cost_frame cost;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cost_target SEC(".maps");

/* xtcp's own flows map, shared by fd from userspace (bpf_map__reuse_fd) */
#include "flows.h"

/* xdp.frags as xtcp_xdp is: a tail call needs both sides to agree on it */
SEC("xdp.frags")
int xdp_cost(struct xdp_md *ctx)
{
	__u32 len = cost.len & (XTCP_COST_FRAME_MAX - 1), have;
	int meta = (int)(ctx->data - ctx->data_meta);

	if (meta > 0 && bpf_xdp_adjust_meta(ctx, meta))
		return XDP_ABORTED;
	have = (__u32)bpf_xdp_get_buff_len(ctx);
	if (have != len && bpf_xdp_adjust_tail(ctx, (int)len - (int)have))
		return XDP_ABORTED;
	if (len < 14 || bpf_xdp_store_bytes(ctx, 0, cost.frame, len))
		return XDP_ABORTED;
	if (cost.forget_flow)
		bpf_map_delete_elem(&xtcp_flows, &cost.key);
	bpf_tail_call(ctx, &cost_target, 0);
	return XDP_ABORTED;
}
