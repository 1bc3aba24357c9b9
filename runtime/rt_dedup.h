/*
 * rt_dedup: the state of `dedup EXPR [within D] [on FIELD]`. It remembers
 * the 64-bit hashes (rt_value_hash) of the keys it kept, with the time each
 * was kept, and forgets them D after that time, so memory is bounded by the
 * keys seen within D (and by a hard cap on entries, evicting the oldest).
 * Hash-only memory means two different keys collide with probability about
 * n^2 / 2^65: negligible for any stream that fits in memory.
 *
 * A record is a duplicate when its key was kept less than D before it
 * (time - kept_time < D); duplicates do not extend the period, so a key that
 * keeps arriving is kept once per D. Keys are forgotten 2D after they were
 * kept, measured from the newest time seen, so with event time a record up
 * to D behind the newest is judged exactly; one further behind than that
 * may be kept although its key was seen within D.
 */
#ifndef EDDY_RT_DEDUP_H
#define EDDY_RT_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_buf.h"
#include "rt_err.h"
#include "rt_value.h"

typedef struct rt_dedup rt_dedup;

/* Creates the state. within_ms 0 remembers keys forever (up to max_keys);
 * max_keys 0 picks a default (16M). Caller owns it; free with
 * rt_dedup_free(). */
rt_dedup *rt_dedup_new(int64_t within_ms, size_t max_keys);

/* Frees the state; NULLs *d. Accepts NULL. */
void rt_dedup_free(rt_dedup **d);

/* Decides one record with key value key (borrowed) at time_ms (event or
 * processing time). Returns true to keep the record (first sighting within
 * D; the key is remembered), false to drop it as a duplicate. */
bool rt_dedup_check(rt_dedup *d, rt_value key, int64_t time_ms);

/* Same with a precomputed hash (e.g. of several values). */
bool rt_dedup_check_hash(rt_dedup *d, uint64_t hash, int64_t time_ms);

/* Checkpoints: rt_dedup_save() appends the remembered keys (hash and kept
 * time, oldest first) and the newest time seen to out; rt_dedup_restore()
 * loads such bytes into d, fresh from rt_dedup_new() with the same D, so it
 * judges the next records as the saved one would have. Save returns 0 or
 * RT_ETOOBIG (out's cap); restore returns 0 or RT_EBADREC with err
 * (truncated or malformed bytes; d is then as new). */
int rt_dedup_save(const rt_dedup *d, rt_buf *out);
int rt_dedup_restore(rt_dedup *d, const void *data, size_t len, rt_err *err);

/* Number of keys currently remembered. */
size_t rt_dedup_size(const rt_dedup *d);

/* Heap bytes the state holds (its map and ring at their allocated size),
 * for the memory budget. O(1). */
size_t rt_dedup_memory(const rt_dedup *d);

#endif
