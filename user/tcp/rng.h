/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SplitMix64 (Steele, Lea, Flood 2014): a seeded stream of well-mixed
 * 64-bit values, for what must replay exactly from a seed (the engine's
 * keys in a simulation, the simulated link, the impairment tool). Not for
 * secrets: those come from getrandom().
 */
#ifndef XTCP_RNG_H
#define XTCP_RNG_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif /* XTCP_RNG_H */
