// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The smallest XDP program: XDP_PASS. The client side of the netns harness
 * attaches it so its veth runs NAPI and receives XDP_TX'd frames, and the
 * benchmarks measure it as the floor of XDP cost. xdp_pass_frags is the
 * same for a jumbo MTU (veth takes only a multi-buffer program there) and
 * for the cost harness, whose tail calls need a frags program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp.frags")
int xdp_pass_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}
