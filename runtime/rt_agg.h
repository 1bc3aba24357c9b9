/*
 * rt_agg: the partial state of each aggregate of an `agg` stage. Every state
 * is mergeable (state + state = the state of the union of the inputs) and
 * serializable (scale-out ships partials between workers, checkpoints store
 * them), which is what lets a sliding window keep one partial per pane and
 * merge panes on emission, and lets workers merge each other's partials.
 *
 * Two levels:
 *  - rt_agg_state + rt_agg_*: one aggregate's state, for tests and for code
 *    that handles a single partial.
 *  - rt_aggset: the compiled list of an `agg` stage's aggregates over a flat
 *    block of states (one block per group per pane). Percentiles over the
 *    same argument share one quantile sketch, so p50/p95/p99 of temperature
 *    cost one insert per record.
 *
 * Semantics (docs/language.md): aggregates skip nulls.
 * sum/avg/stddev/percentiles take numbers (times count as their ms value;
 * other types are skipped). min, max, first, last take any value (min/max by
 * rt_value_compare). stddev is the SAMPLE standard deviation (n - 1
 * denominator; null below 2 values), kept as Welford moments merged with
 * Chan's formula. count_distinct is a HyperLogLog (rt_hll.h, < 2% error,
 * exact-ish while small); percentiles come from a KLL sketch (rt_quantile.h,
 * rank error < 1%). A result is null when the aggregate saw no non-null input
 * (count and count_distinct give 0).
 */
#ifndef EDDY_RT_AGG_H
#define EDDY_RT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_buf.h"
#include "rt_value.h"

/* The aggregate kinds, in the order of dsl_agg_fn (dsl_ast.h), so a
 * dsl_agg_fn converts with a cast; rt_agg.c checks this at compile time. */
typedef enum rt_agg_kind {
  RT_AGG_COUNT,
  RT_AGG_COUNT_DISTINCT,
  RT_AGG_SUM,
  RT_AGG_AVG,
  RT_AGG_MIN,
  RT_AGG_MAX,
  RT_AGG_STDDEV,
  RT_AGG_FIRST,
  RT_AGG_LAST,
  RT_AGG_P50,
  RT_AGG_P90,
  RT_AGG_P95,
  RT_AGG_P99,
  RT_AGG__COUNT /* number of kinds, not a kind */
} rt_agg_kind;

typedef struct rt_hll rt_hll;
typedef struct rt_quantile rt_quantile;

/*
 * One aggregate's partial state. Fields are private to rt_agg.c; the struct
 * is public only so states can live inline in group tables. A zeroed state
 * is NOT valid: use rt_agg_init().
 */
typedef struct rt_agg_state {
  union {
    int64_t count; /* count */
    struct {
      double sum, comp; /* Neumaier-compensated sum */
      int64_t n;        /* non-null numbers seen */
    } sum;              /* sum, avg */
    struct {
      int64_t n;
      double mean, m2; /* Welford moments */
    } moments;          /* stddev */
    rt_value ext;       /* min, max: owned copy, RT_NULL when none */
    struct {
      rt_value v;     /* owned copy, RT_NULL when none */
      int64_t order;  /* record time of v */
      uint64_t seq;   /* tie-break: arrival sequence of v */
    } ord;            /* first, last */
    rt_hll *hll;      /* count_distinct, NULL until the first value */
    rt_quantile *q;   /* p50..p99, NULL until the first value */
  } u;
} rt_agg_state;

/* Returns the kind's name as the language spells it ("p95"). Static. */
const char *rt_agg_kind_name(rt_agg_kind kind);

/* True for p50/p90/p95/p99. */
bool rt_agg_kind_is_quantile(rt_agg_kind kind);

/* Initializes an empty state of kind. */
void rt_agg_init(rt_agg_state *st, rt_agg_kind kind);

/* Frees what the state owns (strings, sketches) and leaves it empty (as
 * after rt_agg_init). */
void rt_agg_clear(rt_agg_state *st, rt_agg_kind kind);

/* Adds one input value. order/seq order the input for first/last (record
 * time, then arrival sequence); other kinds ignore them. Nulls are skipped
 * (count() counts every call, whatever v is). Strings are copied as needed. */
void rt_agg_add(rt_agg_state *st, rt_agg_kind kind, rt_value v, int64_t order,
                uint64_t seq);

/* Merges src into dst (both of kind); src is unchanged. */
void rt_agg_merge(rt_agg_state *dst, const rt_agg_state *src,
                  rt_agg_kind kind);

/* The aggregate's current result. Strings in it are borrowed from the state
 * (valid until the state changes or is cleared). */
rt_value rt_agg_result(const rt_agg_state *st, rt_agg_kind kind);

/* Appends the state's bytes to out (portable: little-endian, versioned by
 * kind). Returns 0 or RT_ETOOBIG when out's cap is reached. */
int rt_agg_serialize(const rt_agg_state *st, rt_agg_kind kind, rt_buf *out);

/* Reads a state serialized by rt_agg_serialize() from data[0..len) into st
 * (which must be freshly initialized or cleared); stores the bytes consumed
 * in *used. Returns 0 or RT_EBADREC on malformed input (st left empty). */
int rt_agg_deserialize(rt_agg_state *st, rt_agg_kind kind, const void *data,
                       size_t len, size_t *used);

/* One aggregate of an `agg` stage. */
typedef struct rt_agg_spec {
  rt_agg_kind kind;
  int arg; /* index into the argument values given to rt_aggset_add(); -1 for
            * count(). Aggregates whose argument expressions are the same
            * text should share one index: percentiles then share a sketch. */
} rt_agg_spec;

/* The compiled aggregate list: maps aggregates to state slots. */
typedef struct rt_aggset rt_aggset;

/* Builds the set for specs[0..n) (copied). Caller owns it; free with
 * rt_aggset_free(). */
rt_aggset *rt_aggset_new(const rt_agg_spec *specs, int n);

/* Frees the set; NULLs *set. Accepts NULL. */
void rt_aggset_free(rt_aggset **set);

/* Number of aggregates (result columns). */
int rt_aggset_count(const rt_aggset *set);

/* Bytes of one state block (what a group stores per pane). */
size_t rt_aggset_block_size(const rt_aggset *set);

/* Initializes / clears a block of rt_aggset_block_size() bytes (aligned for
 * rt_agg_state). Clear frees what the block owns; it is then empty again. */
void rt_aggset_init(const rt_aggset *set, void *block);
void rt_aggset_clear(const rt_aggset *set, void *block);

/* Adds one record: args are the evaluated argument values, indexed by the
 * specs' arg. order/seq as for rt_agg_add(). */
void rt_aggset_add(const rt_aggset *set, void *block, const rt_value *args,
                   int64_t order, uint64_t seq);

/* Merges block src into dst (src unchanged). */
void rt_aggset_merge(const rt_aggset *set, void *dst, const void *src);

/* Memory accounting. has_heap: whether any state of the set can own heap
 * memory (min/max/first/last of strings, count_distinct, percentiles); when
 * false, heap_bytes is always 0 and a caller may skip the walk over its
 * blocks. heap_bytes: the heap bytes block's states own, beyond the block
 * itself. O(aggregates). */
bool rt_aggset_has_heap(const rt_aggset *set);
size_t rt_aggset_heap_bytes(const rt_aggset *set, const void *block);

/* Writes the n results into out[0..n), in spec order. Strings are borrowed
 * from the block (see rt_agg_result). */
void rt_aggset_results(const rt_aggset *set, const void *block, rt_value *out);

/* Serializes / deserializes a whole block (see rt_agg_serialize). The
 * deserialize target must be initialized and empty. */
int rt_aggset_serialize(const rt_aggset *set, const void *block, rt_buf *out);
int rt_aggset_deserialize(const rt_aggset *set, void *block, const void *data,
                          size_t len, size_t *used);

#endif
