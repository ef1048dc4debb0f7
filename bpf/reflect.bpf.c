// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The bare XDP_TX reflector: the ceiling the SYN-flood benchmark measures. */
#include "reflect.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	return reflect(ctx);
}

/* The same as a multi-buffer program: the cost harness tail-calls it, and
 * a tail call needs both programs to agree on xdp.frags. */
SEC("xdp.frags")
int xdp_reflect_frags(struct xdp_md *ctx)
{
	return reflect(ctx);
}
