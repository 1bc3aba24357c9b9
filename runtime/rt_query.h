/*
 * rt_query: one running query. It owns a compiled plan, its source, its
 * operators (rt_pipeline) and a thread that ticks: every `batch` interval it
 * polls the source, runs the batch, advances the windows, and hands each
 * finished result to the caller's output callbacks (rt_output_ops) from that
 * thread. The kernel turns those calls into display updates; `eddy run`
 * prints them. A query ends when its source ends, its `for D` or record
 * `limit` is reached, it fails, or it is stopped; in every case it commits
 * its source's positions (with `kinesis ... as "APP"`, together with the
 * operator state: rt_src_kinesis_opts.save_state), closes its open windows
 * (their final results are emitted), and calls on_end exactly once.
 *
 * Most callers use rt_runtime.h, which compiles cells and keeps the list of
 * queries; this header is the per-query handle (private to runtime/), and
 * rt_output.h the output contract callers implement.
 */
#ifndef EDDY_RT_QUERY_H
#define EDDY_RT_QUERY_H

#include "dsl_compile.h"
#include "rt_budget.h"
#include "rt_err.h"
#include "rt_output.h"
#include "rt_pipeline.h"
#include "rt_result.h"
#include "rt_sink_file.h"
#include "rt_source.h"

#include <stdbool.h>
#include <stdint.h>

/* How a query runs. */
typedef struct rt_query_opts {
  uint64_t id;            /* see rt_query_info */
  const char *cell;       /* copied */
  int index;
  const char *text;       /* copied */
  int64_t batch_ms;       /* tick interval, >= 100 (default 1000) */
  int64_t refresh_ms;     /* on_status interval (default 1000) */
  int64_t clock_ms;       /* nonzero: a fixed processing time (tests, replays) */
  const rt_clock *clock;  /* time for ticks, refresh, `for D`, windows and sources
                           * (NULL: the system's; borrowed, outlives the query) */
  bool unpaced;           /* demo sources ignore their rate (tests) */
  size_t max_rows;        /* rows per batch (default 8192) */
  const char *base_dir;   /* relative `file` paths start here (NULL: cwd) */
  const rt_protected *protect; /* files `into file` may not write; borrowed */
  size_t nprotect;             /* for the start call */
  const rt_src_kinesis_opts *kinesis; /* settings for kinesis sources and sinks, or
                                       * NULL; borrowed for the start call */
  rt_source *source;      /* a source to use instead of opening the plan's
                           * (taken: the query owns it; tests, benchmark) */
  size_t memory_budget;   /* bytes its state may hold (0: no limit); past it
                           * the query fails with RT_EMEMORY (rt_budget.h) */
  rt_budget_pool *pool;   /* the session's share, or NULL (borrowed: outlives
                           * the query); past its limit the query that grew
                           * fails with RT_EMEMORY */
} rt_query_opts;

typedef struct rt_query rt_query;

/*
 * Opens the plan's source (or takes opts->source) and the output file, then
 * starts the query's thread. Takes *plan (NULLs it) whatever happens. ops and
 * ud are borrowed until on_end has returned. Returns 0 and *out (caller owns
 * it; free with rt_query_free()), or RT_EIO / RT_EUNSUPPORTED / ... with err
 * when the source or the output cannot be opened (no callback is called).
 */
int rt_query_start(dsl_plan **plan, const rt_query_opts *opts, const rt_output_ops *ops,
                   void *ud, rt_query **out, rt_err *err);

/* Asks the query to stop: it closes its windows, emits their final results
 * (marked partial) and ends promptly (within one batch). Thread-safe;
 * idempotent. */
void rt_query_stop(rt_query *q);

/* Waits until the query ended (on_end returned), at most timeout_ms (< 0:
 * forever). Returns 0, or RT_ETIMEDOUT. Thread-safe. */
int rt_query_wait(rt_query *q, int64_t timeout_ms);

/* True once on_end has returned. Thread-safe. */
bool rt_query_finished(rt_query *q);

/* After the query finished: 0, or the error that failed it (copied into
 * err when not NULL). RT_EINVAL while it still runs. Thread-safe. */
int rt_query_error(rt_query *q, rt_err *err);

/* A snapshot of the counters. Thread-safe. */
void rt_query_get_stats(rt_query *q, rt_query_stats *out);

/* The query's identity (borrowed; valid until rt_query_free). */
const rt_query_info *rt_query_get_info(const rt_query *q);

/* Stops the query if needed, waits for its thread, frees everything; NULLs
 * *q. Accepts NULL. Never call it from the query's own callbacks. */
void rt_query_free(rt_query **q);

#endif
