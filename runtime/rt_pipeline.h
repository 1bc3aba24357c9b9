/*
 * rt_pipeline: the operators of one compiled plan, run over micro-batches.
 * The record phase (parse, where, select/extend, dedup, limit) narrows a
 * selection vector over the batch's rows and adds columns; the survivors go
 * into the window operator (window/session/running agg) or, without an agg,
 * become the batch's result. Each result then passes the result phase (top,
 * sort, limit, and where/select/extend after an agg) before it is handed to
 * the caller's emit function.
 *
 * No threads, no clocks, no sources: rt_query drives it (and tests and the
 * benchmark drive it directly). Not thread-safe.
 */
#ifndef EDDY_RT_PIPELINE_H
#define EDDY_RT_PIPELINE_H

#include "dsl_compile.h"
#include "rt_batch.h"
#include "rt_buf.h"
#include "rt_err.h"
#include "rt_result.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rt_pipeline rt_pipeline;

/* Receives a finished result (after the result phase) and, for a chart
 * output, its chart frame (columns x, y..., [by]; NULL otherwise). The
 * callee owns both (rt_result_free). */
typedef void (*rt_pipeline_emit_fn)(void *ctx, rt_result_kind kind, rt_result *res,
                                    rt_result *chart);

/* Counters, cumulative. */
typedef struct rt_pipeline_stats {
  uint64_t records_in;  /* rows given to rt_pipeline_batch() */
  uint64_t bad;         /* rows that did not parse, or had no valid event time */
  uint64_t filtered;    /* rows dropped by where */
  uint64_t duplicates;  /* rows dropped by dedup */
  uint64_t late;        /* rows the window dropped as late */
  uint64_t aggregated;  /* rows that reached the agg (or the output) */
  uint64_t results;     /* results emitted */
} rt_pipeline_stats;

/* Creates the operators of plan (borrowed: must outlive the pipeline).
 * Returns NULL with err on a plan the window operator rejects. Caller owns
 * the result; free with rt_pipeline_free(). */
rt_pipeline *rt_pipeline_new(const dsl_plan *plan, rt_err *err);

/* Scale-out (rt_dist.h): the pipeline of one shard. Like rt_pipeline_new(),
 * but its window emits partial states (rt_window_opts.emit_partials: rows of
 * window_start, window_end, keys, RT_PARTIAL_COLUMN) and those results skip
 * the result phase (top, sort, limit, the chart frame): the merged window
 * takes it, through rt_pipeline_emit_window(). RT_EUNSUPPORTED with err
 * unless the plan's agg is a sliding or tumbling window. Caller owns the
 * result; free with rt_pipeline_free(). */
rt_pipeline *rt_pipeline_new_partials(const dsl_plan *plan, rt_err *err);

/* Runs a window result made elsewhere (rt_merger's merge of the shards'
 * partials, shaped like this plan's window results) through the result
 * phase and hands it to emit as RT_RESULT_WINDOW. Takes res. */
void rt_pipeline_emit_window(rt_pipeline *p, rt_result *res, int64_t now,
                             rt_pipeline_emit_fn emit, void *ctx);

/* The partitioned event-time watermark (see below): every window with end
 * <= *wm has been emitted. False (and *wm untouched) while there is none
 * yet, or without a `shard` column. */
bool rt_pipeline_watermark(const rt_pipeline *p, int64_t *wm);

/* Scale-out: moves the partitioned watermark up to wm (never down), closing
 * the windows that ends, as if every partition had passed it: an idle
 * shard follows the others so its part of their windows is published. */
void rt_pipeline_advance_to(rt_pipeline *p, int64_t wm, int64_t now, rt_pipeline_emit_fn emit,
                            void *ctx);

/* Frees the operators and their state; NULLs *p. Accepts NULL. */
void rt_pipeline_free(rt_pipeline **p);

/* Number of batch columns the plan needs (create batches with it). */
int rt_pipeline_ncols(const rt_pipeline *p);

/*
 * Runs the rows of batch through the record phase and into the agg; without
 * an agg, emits the surviving records as one RT_RESULT_RECORDS result (none
 * when no row survived). now_ms is the batch's processing time.
 */
void rt_pipeline_batch(rt_pipeline *p, rt_batch *batch, int64_t now_ms,
                       rt_pipeline_emit_fn emit, void *ctx);

/* Emits the windows complete at processing time now_ms (event-time windows
 * follow their watermark), or the running totals when they changed. */
void rt_pipeline_tick(rt_pipeline *p, int64_t now_ms, rt_pipeline_emit_fn emit, void *ctx);

/*
 * Event time over a partitioned source. When the source has a `shard`
 * column (kinesis), an event-time window or session is not driven by the
 * newest event time of all records: partitions are read at different
 * speeds, and a shard whose backlog is behind would see its records late.
 * As in Flink and Beam, the pipeline keeps per partition (per distinct
 * `shard` value) the newest event time the window accepted, and the
 * watermark is the MINIMUM of those over the active partitions, minus the
 * watermark delay; it never goes back. Records behind it are dropped and
 * counted late, as before. Sliding windows advance record by record, as
 * with one partition; sessions on ticks.
 *  - Idle: a partition that delivered no record for idle time = max(the
 *    watermark delay, 2 tick intervals, 5 s) of processing time (ticks are
 *    rt_pipeline_tick() calls; the interval is the spacing of the last two,
 *    1000 ms until two were seen) is left out of the minimum until it
 *    delivers again; its later records behind the watermark are late. The
 *    5 s floor: a shard that is behind is slow, not idle, and one GetRecords
 *    answer of a big backlog, or a throttling backoff, can take a second or
 *    more (with 200 ms alone, a 2-shard backlog lost 80% of its records).
 *    With every partition idle, the newest event time of all decides (a
 *    quiet stream, like a single partition).
 *  - Start: the watermark stays put for the first idle time after the first
 *    record, so a partition not heard from yet gets that long to show up; a
 *    partition seen in a batch holds it until its first record is in.
 *  - End: rt_pipeline_partition_ended() removes a partition that will never
 *    deliver again (a closed shard read to its end) at once, rather than
 *    after the idle time; the next record or tick advances past it.
 * Without a `shard` column (file, demo) there is one partition and nothing
 * changes: the watermark is the newest event time seen minus the delay.
 * Cost per record O(1), except when the record's partition held the
 * minimum (O(partitions)); the partition of a record is found by comparing
 * with the previous record's first.
 */
void rt_pipeline_partition_ended(rt_pipeline *p, const char *partition);

/* The stream ended (or the query stops): emits every open window. */
void rt_pipeline_finish(rt_pipeline *p, int64_t now_ms, rt_pipeline_emit_fn emit, void *ctx);

/* True once a record `limit` has been reached: the query can end. */
bool rt_pipeline_exhausted(const rt_pipeline *p);

/*
 * Checkpoints (rt_query with a source that keeps them, DESIGN "operator
 * state"). rt_pipeline_save() appends the pipeline's state to out: the
 * window operator's (rt_window_save: open panes, sessions or running
 * groups, the emitted-up-to point), each LIMIT's count so far, each DEDUP's
 * remembered keys (rt_dedup_save), and the partitioned watermark with each
 * partition's newest event time. After a restore the restored partitions
 * count as heard from at the first batch or tick, and the "Start" grace is
 * over: the watermark goes on from where it was, records behind it stay
 * late, and keys kept before the checkpoint still drop their duplicates.
 * Returns 0 or RT_ETOOBIG (out's cap).
 *
 * rt_pipeline_restore() loads such bytes into p, freshly made for the same
 * plan and not yet fed. Returns 0, or RT_EBADREC / RT_EINVAL with err when
 * the bytes are malformed or come from a different query (p is then empty).
 */
int rt_pipeline_save(const rt_pipeline *p, rt_buf *out);
int rt_pipeline_restore(rt_pipeline *p, const void *data, size_t len, rt_err *err);

/* True when the pipeline holds state across batches that a checkpoint must
 * carry (an agg, or a LIMIT). */
bool rt_pipeline_stateful(const rt_pipeline *p);

/* Copies the counters into *out. */
void rt_pipeline_get_stats(const rt_pipeline *p, rt_pipeline_stats *out);

/* Where a query's state memory is, by operator (the memory budget, %set
 * memory). Bytes are heap bytes the state holds, allocator bookkeeping
 * estimated; a micro-batch's records and results are not state (they are
 * bounded by the batch size and freed after it). */
typedef struct rt_state_memory {
  size_t total;         /* all of the below */
  size_t window;        /* the agg operator: window panes, sessions or running groups */
  size_t window_groups; /* its live group states (open sessions for session windows) */
  size_t window_panes;  /* its live panes (sliding and tumbling windows) */
  size_t dedup;         /* every dedup's remembered keys */
  size_t dedup_keys;    /* how many */
  size_t other;         /* the rest: event-time partitions, scale-out's outgoing partials */
} rt_state_memory;

/* Adds p's state memory to *acc (so a caller can sum several pipelines).
 * Amortized O(1) per record since the last call, plus O(live panes +
 * dedups) (rt_window_memory says which part may lag). */
void rt_pipeline_memory(rt_pipeline *p, rt_state_memory *acc);

#endif
