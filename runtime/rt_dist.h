/*
 * rt_dist: one merged, exact result from the N workers of an application
 * (`kinesis "S" ... as "APP"` with leases, several machines). Every worker
 * runs, for each shard it holds, the shard's own pipeline (built from the
 * query's plan with partial-state windows, rt_pipeline_new_partials), and
 * publishes what those pipelines close into the partials table
 * (rt_dist_partials.h), together with each shard's watermark. Every worker
 * also reads: on each tick it computes the global watermark (the minimum
 * over every unfinished shard of the lease table, whoever holds it), merges
 * the partials of every window that ended at or below it (rt_merger) and
 * emits the merged window through the query's result phase, so its output
 * (chart, table, `into file`) is what one process reading every shard would
 * show.
 *
 * rt_query drives it from its thread: rt_dist_batch() instead of
 * rt_pipeline_batch(), rt_dist_tick() on its ticks; the Kinesis source
 * calls the shard hooks (rt_src_shard_hooks, rt_source.h) to acquire,
 * save (publish, then state) and release shards. Not thread-safe.
 */
#ifndef EDDY_RT_DIST_H
#define EDDY_RT_DIST_H

#include "dsl_compile.h"
#include "rt_batch.h"
#include "rt_clock.h"
#include "rt_err.h"
#include "rt_pipeline.h"
#include "rt_source.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct rt_dist rt_dist;

/* How often partials of merged windows are collected, and how long after
 * publishing they are kept for readers that lag (wall time). */
#define RT_DIST_GRACE_MS (10 * 60 * 1000)

/*
 * Decides whether the query of plan runs distributed, and opens it: the
 * source k is `as "APP"`, endless, with a DynamoDB endpoint (leases), and
 * the plan keeps state. Returns 0 with *out NULL when it does not run
 * distributed (no state, no leases); 0 with *out (caller owns it; free with
 * rt_dist_free()) when it does; RT_EUNSUPPORTED with a message for a
 * stateful query that does not merge (sessions, running aggs, processing
 * time windows, limits); or the error opening the partials table. plan and
 * clock are borrowed and must outlive the result; batch_ms is the query's
 * tick interval. k is borrowed for the call. The shard states carry an
 * identity: a hash of the state format and of the plan's shape (stream,
 * record operators, window, keys, aggregates; not its output, which workers
 * may write to different places), so another query's states are refused.
 */
int rt_dist_open(const dsl_plan *plan, const rt_src_kinesis_opts *k, int64_t batch_ms,
                 const rt_clock *clock, rt_dist **out, rt_err *err);

/* Frees d and every shard pipeline; NULLs *d. Accepts NULL. */
void rt_dist_free(rt_dist **d);

/* The hooks to put in rt_src_kinesis_opts.shard_hooks (borrowed; valid
 * while d lives). */
const rt_src_shard_hooks *rt_dist_hooks(rt_dist *d);

/*
 * An observer (setting `role observer`): instead of the Kinesis source, a
 * source with the same columns that reads nothing and never ends, so the
 * query takes no lease and holds no shard while rt_dist_tick() reads and
 * emits the merged windows the application's workers publish elsewhere
 * (from the oldest still in the table). Caller owns it (rt_source_free).
 */
rt_source *rt_dist_observer_source(const rt_dist *d, const char *stream);

/* Runs the rows of b through the pipelines of their shards (column
 * `shard`); what they close waits to be published. now_ms is the
 * processing time. */
void rt_dist_batch(rt_dist *d, rt_batch *b, int64_t now_ms);

/*
 * One tick: advances every shard pipeline (idle shards, watermarks),
 * publishes their closed windows and marks, then reads: computes the global
 * watermark and emits each window complete under it, merged, through
 * main's result phase (rt_pipeline_emit_window) to emit. Partials of
 * windows merged long ago are collected now and then. Returns 0 or the
 * first RT_E* of a DynamoDB call (what failed is retried next tick).
 */
int rt_dist_tick(rt_dist *d, int64_t now_ms, rt_pipeline *main, rt_pipeline_emit_fn emit,
                 void *ctx, rt_err *err);

/* Counters summed over every shard pipeline this worker ran. */
void rt_dist_get_stats(const rt_dist *d, rt_pipeline_stats *out);

/* Adds the state memory of the shard pipelines this worker holds, and of
 * their partials not yet published, to *acc (rt_pipeline_memory). The
 * merged windows being read are not counted: they are bounded by what the
 * workers publish per window. */
void rt_dist_memory(rt_dist *d, rt_state_memory *acc);

/* Merged windows emitted so far, and the global watermark they reached
 * (false while none). */
uint64_t rt_dist_merged(const rt_dist *d);
bool rt_dist_watermark(const rt_dist *d, int64_t *wm);

#endif
