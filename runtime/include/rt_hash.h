/*
 * splitmix64 (Steele, Lea and Flood, 2014), the one integer mixer of the
 * project, in its three uses: the finalizer alone (value hashes for groups
 * and HyperLogLog), a stateless hash of a word (the simulators derive every
 * "random" value from their seed and the record index, and session ids come
 * from a counter, a bijection that never repeats), and the generator (retry
 * jitter). Header-only and static inline: these run once per record or per
 * message, and the caller always owns any state, so there is no global RNG.
 * Their outputs are part of what is stored and compared (simulated data for
 * a seed, value hashes inside saved sketches): never change the constants.
 */
#ifndef EDDY_RT_HASH_H
#define EDDY_RT_HASH_H

#include <stdint.h>

/* splitmix64's increment, 2^64 / golden ratio, odd. */
#define RT_SPLITMIX64_GAMMA 0x9e3779b97f4a7c15ULL

/* splitmix64's finalizer (Stafford's "Mix13"): a bijection of 64-bit words
 * that sends every input bit to every output bit. */
static inline uint64_t rt_mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* The splitmix64 output for state x, without keeping state: a bijection, so
 * distinct inputs (counters, indices) give distinct results. */
static inline uint64_t rt_splitmix64(uint64_t x) { return rt_mix64(x + RT_SPLITMIX64_GAMMA); }

/* The splitmix64 generator: advances *state (the caller's; any seed,
 * zero included) and returns the next pseudo-random word. */
static inline uint64_t rt_splitmix64_next(uint64_t *state) {
  *state += RT_SPLITMIX64_GAMMA;
  return rt_mix64(*state);
}

#endif
