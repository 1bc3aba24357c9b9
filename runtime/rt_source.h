/*
 * rt_source: where a query's records come from. One interface for every
 * source of the language (docs/language.md, "Sources"): `file`, `demo sensors`,
 * and `kinesis` (implemented in rt_src_kinesis.c by the Kinesis module).
 *
 * The query thread drives a source by polling it once per tick:
 *
 *   tick (every `batch` interval, default 1 s, down to 100 ms)
 *     batch reset
 *     rc = rt_source_poll(src, batch, max_rows)   <- what arrived since the last poll
 *     run the batch through the pipeline
 *     if rc == RT_SOURCE_MORE: poll again at once (a backlog, or a file being read)
 *     if rc == RT_EEOF: close every window, write the final checkpoint, end
 *     rt_source_commit(src)                       <- the batch is fully processed
 *
 * Contract for implementations (a Kinesis source in particular):
 *  - Columns. A source yields a fixed list of named fields, given to
 *    rt_source_new(); poll() writes field i of each record into column i of
 *    the batch (rt_batch_add_row(), rt_batch_set_str() / rt_batch_set()).
 *    Kinesis yields data, partition_key, sequence, shard, arrival (RT_TIME).
 *  - Poll is non-blocking. It hands over what has already arrived (records a
 *    background reader buffered since the last poll) and returns at once;
 *    the query does the waiting between ticks. Never more than max_rows per
 *    call: return RT_SOURCE_MORE when more is ready right now.
 *  - Partitions. A source reads any number of partitions (shards) and keeps,
 *    per partition, the position of the last record it handed over. The
 *    positions of records handed over before rt_source_commit() are
 *    processed: commit is where a source persists its checkpoint (on a timer
 *    of its own choosing, and always on close after a final commit).
 *    rt_source_positions() lists them for %queries and tests.
 *  - End of stream. poll() returns RT_EEOF once nothing more will ever come
 *    (end of a file, a demo limit, `until now` reached the tip, every shard
 *    closed); the batch may still hold the last records. Later polls keep
 *    returning RT_EEOF with no rows.
 *  - Bad input. Records the source itself cannot decode (a broken KPL
 *    aggregate) are skipped and counted in stats.bad, never fatal. poll()
 *    returns another negative RT_E* only for a failure that ends the query
 *    (stream not found, access denied after retries), with a message in err.
 *  - Threads. Every op is called from the query thread, except wake(), which
 *    another thread may call at any time to cut a blocking wait short (a
 *    stop). A source that runs background threads joins them in close().
 */
#ifndef EDDY_RT_SOURCE_H
#define EDDY_RT_SOURCE_H

#include "rt_batch.h"
#include "rt_buf.h"
#include "rt_clock.h"
#include "rt_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* poll(): the batch is full (max_rows) and more records are ready now. */
enum { RT_SOURCE_MORE = 1 };

/* Cumulative counters of a source; the query derives rates from them. */
typedef struct rt_source_stats {
  uint64_t records;   /* records handed over by poll() since the source opened */
  uint64_t bytes;     /* payload bytes of those records */
  uint64_t bad;       /* records the source skipped as undecodable */
  int64_t lag_ms;     /* how far the reader is behind the tip (Kinesis
                       * millisBehindLatest, max over partitions); 0 when
                       * caught up, -1 when unknown */
  int partitions;     /* partitions (shards) being read */
  uint64_t throttled; /* calls the server throttled (retried after a backoff) */
  uint64_t retried;   /* calls retried after a server, network or timeout error */
} rt_source_stats;

/* Receives one partition's position (both strings borrowed for the call). */
typedef void (*rt_source_position_fn)(void *ctx, const char *partition,
                                      const char *position);

/* What an implementation provides. Optional ops may be NULL. */
typedef struct rt_source_ops {
  const char *kind; /* "file", "demo", "kinesis" */
  /* Required: appends at most max_rows records to batch; returns 0 (nothing
   * more ready now), RT_SOURCE_MORE, RT_EEOF, or a fatal RT_E* with err set. */
  int (*poll)(void *impl, rt_batch *batch, size_t max_rows, rt_err *err);
  /* Required: fills *out with the counters. */
  void (*stats)(void *impl, rt_source_stats *out);
  /* Optional: everything handed over so far is processed; may persist a
   * checkpoint. final is true for the last call before close (a stop or the
   * end), which must persist. Returns 0 or RT_E* (logged, not fatal). */
  int (*commit)(void *impl, bool final, rt_err *err);
  /* Optional: calls fn once per partition with its current position. */
  void (*positions)(void *impl, rt_source_position_fn fn, void *ctx);
  /* Optional, thread-safe: cut any wait short; the query is stopping. */
  void (*wake)(void *impl);
  /* Required: releases impl and everything it owns (joins its threads). */
  void (*close)(void *impl);
} rt_source_ops;

typedef struct rt_source rt_source;

/*
 * Wraps an implementation. ops must be static (borrowed for the life of the
 * source); impl is owned by the source from now on (ops->close frees it);
 * the ncols column names are copied. Caller owns the result; free with
 * rt_source_free().
 */
rt_source *rt_source_new(const rt_source_ops *ops, void *impl, int ncols,
                         const char *const *cols);

/* Closes the implementation and frees the source; NULLs *src. Accepts NULL. */
void rt_source_free(rt_source **src);

/* The implementation's kind ("file"). Static. */
const char *rt_source_kind(const rt_source *src);

/* A one-line description for %queries ("file data.jsonl"); set by whoever
 * creates the source. Borrowed; valid while the source lives. */
const char *rt_source_describe(const rt_source *src);
void rt_source_set_description(rt_source *src, const char *text);

/* The source's columns. Names are borrowed; valid while the source lives. */
int rt_source_ncols(const rt_source *src);
const char *rt_source_col(const rt_source *src, int i);

/* Index of the column named name, or -1. */
int rt_source_col_index(const rt_source *src, const char *name);

/* See rt_source_ops. Wrappers that check the optional ops. */
int rt_source_poll(rt_source *src, rt_batch *batch, size_t max_rows, rt_err *err);
void rt_source_stats_get(rt_source *src, rt_source_stats *out);
int rt_source_commit(rt_source *src, bool final, rt_err *err);
void rt_source_positions(rt_source *src, rt_source_position_fn fn, void *ctx);
void rt_source_wake(rt_source *src);

/* ---- the sources of this module ---------------------------------------- */

/*
 * `file "PATH"`: one record per line in column `data` (the line without its
 * end of line; blank lines are skipped), then RT_EEOF. A relative path is
 * taken from base_dir when it is not NULL. Returns 0 and *out, or RT_EIO
 * with err when the file cannot be opened.
 */
int rt_src_file_open(const char *path, const char *base_dir, rt_source **out, rt_err *err);

/* The lines of len bytes of text, like a file but without copying: the
 * records point into text, which must outlive every batch polled (tests,
 * benchmarks, %%INPUT blocks). Never fails. */
rt_source *rt_src_lines_open(const char *text, size_t len);

/* `demo sensors [rate N] [devices N] [seed N] [limit N]`; see rt_sensors.h. */
typedef struct rt_src_demo_opts {
  double rate;     /* records per second, > 0 (default 100, as eddy produce) */
  int devices;     /* >= 1 (default 10) */
  uint64_t seed;   /* default 1 */
  int64_t limit;   /* records, then RT_EEOF; < 0 for endless */
  int64_t start_ms; /* event time of record 0; 0 takes the wall clock */
  bool unpaced;    /* hand over records as fast as polled (tests), instead
                    * of at `rate` per second of wall time */
  const rt_clock *clock; /* paces the records (NULL: the system's; borrowed,
                          * outlives the source) */
} rt_src_demo_opts;

/* Columns device_id, temperature, humidity, ts (RT_TIME). Never fails. */
rt_source *rt_src_demo_open(const rt_src_demo_opts *opts);

/*
 * Operator state that a source checkpoints together with its positions
 * (rt_query hands the pipeline's; see rt_pipeline_save). save appends the
 * state as of everything handed over so far being processed; restore loads
 * a checkpointed state before the first poll. Both return 0 or RT_E*
 * (restore fills err). Called from the thread that opens or commits.
 */
typedef int (*rt_source_save_state_fn)(void *ctx, rt_buf *out);
typedef int (*rt_source_restore_state_fn)(void *ctx, const void *data, size_t len,
                                          rt_err *err);

/* Where a Kinesis source starts reading each shard. */
typedef enum rt_start {
  RT_START_LATEST,       /* records written from now on (the default) */
  RT_START_TRIM_HORIZON, /* the oldest record each shard still keeps */
  RT_START_AT_TIME,      /* the first record at or after from_ms */
  RT_START_CHECKPOINT,   /* after the application's checkpoints (`as "APP"`) */
} rt_start;

/*
 * Per-shard operator state (scale-out: rt_dist.h). With leases, a query
 * whose state merges across workers keeps one state per shard instead of
 * one for the query; the source calls these on the query thread:
 *  - acquire: this worker is about to hand over shard's first records (or
 *    holds its lease and reads it): load state (len bytes; NULL, 0 for a
 *    shard never checkpointed with state) before any of them;
 *  - save: shard's position is about to be checkpointed: publish whatever
 *    the state no longer holds (so publishing precedes the checkpoint), then
 *    append the state to out; a failure skips this checkpoint (retried);
 *  - release: the lease is gone (taken by another worker, or released):
 *    forget the shard, whose next holder resumes from its checkpoint;
 *  - ended: the shard was read to SHARD_END; its last records are in the
 *    batch just polled.
 * Strings and bytes are borrowed for the call; ctx for the source's life.
 */
typedef struct rt_src_shard_hooks {
  void *ctx;
  const char *identity; /* whose states these are: a state saved under another
                         * identity (another query) is refused at acquire */
  int (*acquire)(void *ctx, const char *shard, const void *state, size_t len, rt_err *err);
  int (*save)(void *ctx, const char *shard, rt_buf *out, rt_err *err);
  void (*release)(void *ctx, const char *shard);
  void (*ended)(void *ctx, const char *shard);
  /* Optional: a GetRecords call started at asked_ms (the source's clock,
   * monotonic ms) found shard at its tip; called after every record the
   * shard held then has been handed over (in earlier or this poll's rows). */
  void (*at_tip)(void *ctx, const char *shard, int64_t asked_ms);
} rt_src_shard_hooks;

/*
 * `kinesis "NAME" ...`: implemented by the Kinesis module (rt_src_kinesis.c).
 * Returns 0 and *out (columns data, partition_key, sequence, shard,
 * arrival), or RT_E* with err.
 */
typedef struct rt_src_kinesis_opts {
  const char *stream;   /* stream name */
  rt_start from;        /* where each shard starts */
  int64_t from_ms;      /* RT_START_AT_TIME: epoch ms */
  bool until_now;       /* end at the tip as of the start */
  const char *app;      /* application name for checkpoints, or NULL */
  const char *region;   /* session setting `region`, or NULL */
  const char *endpoint; /* session setting `endpoint`, or NULL */
  const char *dynamodb_endpoint; /* session setting, or NULL */
  const char *checkpoint_dir;    /* session setting, or NULL */
  /* With `as "APP"`: the query's operator state, checkpointed in the same
   * atomic write as the positions (file store; the DynamoDB stores refuse
   * a query that has state, rather than lose it). NULL for a stateless
   * query. state_ctx is borrowed for the life of the source. */
  rt_source_save_state_fn save_state;
  rt_source_restore_state_fn restore_state;
  void *state_ctx;
  const rt_clock *clock; /* pacing, backoff and lease times (NULL: the
                          * system's; borrowed, outlives the source) */
  /* With leases: per-shard state instead of save_state (borrowed, outlives
   * the source), or NULL. */
  const rt_src_shard_hooks *shard_hooks;
  int64_t lease_ms;      /* setting `lease`: failover time of a lease (0: 10 s) */
  bool observe;          /* setting `role observer`: show the merged result of an
                          * application's workers without being one (rt_dist.h) */
} rt_src_kinesis_opts;

int rt_src_kinesis_open(const rt_src_kinesis_opts *opts, rt_source **out,
                        rt_err *err);

#endif
