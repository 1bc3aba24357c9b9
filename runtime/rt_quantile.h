/*
 * rt_quantile: a KLL quantile sketch (Karnin, Lang, Liberty 2016) behind
 * p50/p90/p95/p99. One sketch per aggregated expression answers every
 * percentile. Inserting appends to an unsorted level-0 buffer; when the
 * sketch is over capacity, the lowest full level is sorted and halved into
 * the next one (each survivor's weight doubles), which costs O(1) amortized
 * per insert. Sketches merge (levels concatenate, then compact) with the same
 * error bound as one sketch over the union, and serialize.
 *
 * Accuracy: with the default k = 400 the normalized rank error stays under
 * 0.5% at every rank (the worst of 999 ranks over 40 random inputs, each
 * merged from 100 sketches, was 0.40%; k = 256 reached 0.72%, too close to
 * the 1% promise). Tests check percentiles 1..99 on uniform, normal, skewed,
 * sorted, reverse-sorted and duplicate-heavy inputs, single, merged from 100
 * sketches and round-tripped through bytes. A full sketch retains about
 * 3.2k doubles (~10 KiB); one that saw n < k values keeps just those n.
 */
#ifndef EDDY_RT_QUANTILE_H
#define EDDY_RT_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#include "rt_buf.h"

enum { RT_QUANTILE_DEFAULT_K = 400 };

typedef struct rt_quantile rt_quantile;

/* Creates an empty sketch with accuracy parameter k (0 picks the default;
 * at least 16). Caller owns it; free with rt_quantile_free(). */
rt_quantile *rt_quantile_new(uint32_t k);

/* Frees the sketch; NULLs *q. Accepts NULL. */
void rt_quantile_free(rt_quantile **q);

/* A deep copy. Caller owns it; free with rt_quantile_free(). */
rt_quantile *rt_quantile_clone(const rt_quantile *q);

/* Adds one value; NaN is ignored. */
void rt_quantile_add(rt_quantile *q, double x);

/* Merges src into dst (src unchanged). */
void rt_quantile_merge(rt_quantile *dst, const rt_quantile *src);

/* Number of values added (over all merged sketches). */
uint64_t rt_quantile_count(const rt_quantile *q);

/* The phi-quantile (0 <= phi <= 1): the smallest retained value whose
 * estimated rank reaches phi * count; phi 0 gives the exact minimum and 1
 * the exact maximum. NaN when empty. Not const: it caches a sorted view
 * until the next add or merge. */
double rt_quantile_get(rt_quantile *q, double phi);

/* Heap bytes the sketch holds. */
size_t rt_quantile_memory(const rt_quantile *q);

/* Appends the sketch's bytes to out. Returns 0 or RT_ETOOBIG. */
int rt_quantile_serialize(const rt_quantile *q, rt_buf *out);

/* Reads a sketch from data[0..len) into a new sketch (*out, caller owns);
 * stores the bytes consumed in *used. Returns 0 or RT_EBADREC. */
int rt_quantile_deserialize(const void *data, size_t len, size_t *used,
                            rt_quantile **out);

#endif
