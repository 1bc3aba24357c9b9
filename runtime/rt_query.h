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
 * queries; this header is the output contract and the per-query handle.
 */
#ifndef EDDY_RT_QUERY_H
#define EDDY_RT_QUERY_H

#include "dsl_compile.h"
#include "rt_err.h"
#include "rt_pipeline.h"
#include "rt_result.h"
#include "rt_source.h"

#include <stdbool.h>
#include <stdint.h>

/* What the query's output stage asked for; all strings borrowed from the
 * query (valid until rt_query_free). */
typedef struct rt_output_desc {
  dsl_output_kind kind;    /* table (also the implicit default), chart, into file/kinesis */
  int64_t table_limit;     /* `table limit N`, or -1 */
  const char *path;        /* INTO_FILE: the file, as written; INTO_KINESIS: the stream */
  dsl_chart_kind chart;    /* CHART: line, area, bar, scatter */
  const char *title;       /* CHART: or NULL */
  const char *x_name;      /* CHART: column names of the chart frame */
  const char *const *y_names;
  int ny;
  const char *by_name;     /* CHART: or NULL when there is no `by` */
  const bool *y_additive;  /* CHART: ny flags; y_additive[j] is true when y j is
                            * a count() or sum() aggregate (passed through
                            * unchanged), so values of several series add up
                            * to a meaningful total; NULL when ny == 0 */
  int ncols;               /* the result's columns, in order */
  const char *const *cols;
  bool windowed;           /* results are windows (window_start, window_end first) */
  bool running;            /* results are running totals (each replaces the last) */
} rt_output_desc;

/* Identity of a query, given to every callback; borrowed, valid until
 * rt_query_free (so for the whole life of the callbacks). */
typedef struct rt_query_info {
  uint64_t id;            /* session-unique, from 1 (%stop ID) */
  const char *cell;       /* the cell that started it ("" when none) */
  int index;              /* its position among the queries of that cell */
  const char *text;       /* the statement's text */
  const char *source;     /* "file \"x.jsonl\"", "demo sensors", "kinesis \"s\"" */
  bool bounded;           /* ends by itself */
  const rt_output_desc *output;
} rt_query_info;

/* One output update. */
typedef struct rt_update {
  rt_result_kind kind;     /* a closed window, running totals, or a batch of records */
  const rt_result *result; /* rows after top/sort/limit; borrowed for the call */
  const rt_result *chart;  /* CHART outputs: columns x_name, y_names..., by_name
                            * evaluated per row; NULL otherwise; borrowed */
  int64_t window_start;    /* WINDOW: [start, end) in ms; 0 otherwise */
  int64_t window_end;
  uint64_t seq;            /* 1, 2, ... per query */
  bool final;              /* emitted while the query was ending */
  bool partial;            /* WINDOW: closed early because the query was
                            * stopped (%stop, interrupt, re-run, a failed
                            * output), so it holds only part of its data.
                            * Never set when a source ended by itself or
                            * `for`/limit was reached: those final windows
                            * are complete. Show it labelled, or not at all. */
} rt_update;

typedef enum rt_query_state {
  RT_QUERY_STARTING,
  RT_QUERY_RUNNING,
  RT_QUERY_DONE,    /* the source ended, or `for`/limit was reached */
  RT_QUERY_STOPPED, /* rt_query_stop() (%stop, an interrupt, a re-run) */
  RT_QUERY_FAILED,  /* the source or the output failed; see on_end's err */
} rt_query_state;

/* A snapshot of a query's counters (%queries, status lines). */
typedef struct rt_query_stats {
  rt_query_state state;
  uint64_t records_in;     /* records the source delivered */
  uint64_t bytes_in;       /* their payload bytes */
  double records_per_s;    /* over the last few seconds */
  double bytes_per_s;
  int64_t lag_ms;          /* source lag behind the tip, -1 unknown */
  uint64_t bad;            /* records that did not parse (source + pipeline) */
  uint64_t late;           /* records dropped as late by an event-time window */
  uint64_t duplicates;     /* records dropped by dedup */
  uint64_t updates;        /* results handed to on_update */
  int64_t started_ms;      /* wall clock at start */
  int64_t elapsed_ms;      /* since start */
  uint64_t throttled;      /* source calls the server throttled (then retried) */
  uint64_t retried;        /* source calls retried after server/network errors */
} rt_query_stats;

/*
 * The output callbacks. on_update, on_status and on_end run on the query's
 * thread (never two at once for one query; different queries may call
 * concurrently, so user data shared between queries needs a lock). Every
 * pointer they receive is borrowed for the call. Any op may be NULL.
 */
typedef struct rt_output_ops {
  /* The query's thread started; the first call, before any update (create
   * the display here). */
  void (*on_start)(void *ud, const rt_query_info *q);
  /* A result: a window closed, totals changed, or records passed. */
  void (*on_update)(void *ud, const rt_query_info *q, const rt_update *u);
  /* Counters, at most once per `refresh` interval while running. */
  void (*on_status)(void *ud, const rt_query_info *q, const rt_query_stats *st);
  /* The query ended (state DONE, STOPPED or FAILED); err holds the reason
   * when FAILED. The last call for this query. */
  void (*on_end)(void *ud, const rt_query_info *q, const rt_query_stats *st, const rt_err *err);
} rt_output_ops;

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
  const rt_src_kinesis_opts *kinesis; /* settings for kinesis sources and sinks, or
                                       * NULL; borrowed for the start call */
  rt_source *source;      /* a source to use instead of opening the plan's
                           * (taken: the query owns it; tests, benchmark) */
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

/* The name of a state ("running"). Static. */
const char *rt_query_state_name(rt_query_state s);

#endif
