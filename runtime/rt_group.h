/*
 * rt_group: a hash table from a tuple of rt_values (the `by` keys) to a
 * fixed-size payload per group (an aggregate state block, a session list).
 * Open addressing with linear probing over a slot array that holds a hash
 * fragment and an entry index; entries are stored densely in insertion
 * order, so iteration is a plain loop and results come out in first-seen
 * order. Keys are copied on insert (strings owned by the table), so callers
 * may pass values borrowed from a batch.
 */
#ifndef EDDY_RT_GROUP_H
#define EDDY_RT_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_value.h"

typedef struct rt_group rt_group;

/* Creates a table for tuples of nkeys values (0 is allowed: one group) with
 * payload_size bytes per group (aligned for any type). Caller owns it; free
 * with rt_group_free(), after releasing what payloads own. */
rt_group *rt_group_new(int nkeys, size_t payload_size);

/* Frees the table and its key copies; NULLs *g. Accepts NULL. */
void rt_group_free(rt_group **g);

/* The hash of a key tuple, as the table uses it (compute once per record
 * when the same keys go to several tables). */
uint64_t rt_group_hash(const rt_value *keys, int nkeys);

/* Finds the group of keys (with hash from rt_group_hash), inserting it when
 * missing: *created tells which; a new payload is zeroed and the caller
 * initializes it. Returns the group's index. The index and payload stay
 * valid until the next insert or remove (inserts may move payloads). */
size_t rt_group_upsert(rt_group *g, const rt_value *keys, uint64_t hash,
                       bool *created);

/* Index of the group of keys, or (size_t)-1 when absent. */
size_t rt_group_find(const rt_group *g, const rt_value *keys, uint64_t hash);

/* Removes group i; the last group moves into index i (swap-remove), so
 * iterate backwards when removing while iterating. The caller releases
 * what the payload owns first. */
void rt_group_remove(rt_group *g, size_t i);

/* Number of groups; groups are indexed 0..count-1. */
size_t rt_group_count(const rt_group *g);

/* Heap bytes the table holds: its arrays at their allocated size, and the
 * key copies. Not what payloads own (their owner counts that). O(1). */
size_t rt_group_memory(const rt_group *g);

/* The nkeys key values of group i. Borrowed; owned by the table, valid until
 * the group is removed or the table changes shape (insert/remove). */
const rt_value *rt_group_keys(const rt_group *g, size_t i);

/* The stored hash of group i. */
uint64_t rt_group_hash_at(const rt_group *g, size_t i);

/* The payload of group i (see rt_group_upsert for lifetime). */
void *rt_group_payload(const rt_group *g, size_t i);

/* Removes every group (caller released payloads), keeping capacity. */
void rt_group_clear(rt_group *g);

#endif
