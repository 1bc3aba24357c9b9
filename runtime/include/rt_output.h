/*
 * rt_output: the contract between a running query and whoever shows its
 * results: the kernel's live displays, `eddy run`'s printer, tests. A query
 * describes itself once (rt_query_info, rt_output_desc), then hands over
 * results (rt_update) and counters (rt_query_stats) through the caller's
 * rt_output_ops, on its own thread. Nothing here knows how a query is
 * parsed, planned or fed: that stays behind rt_runtime.h.
 */
#ifndef EDDY_RT_OUTPUT_H
#define EDDY_RT_OUTPUT_H

#include "rt_err.h"
#include "rt_result.h"

#include <stdbool.h>
#include <stdint.h>

/* Where a query's results go (its last stage). */
typedef enum rt_output_kind {
  RT_OUT_TABLE,        /* table [limit N]; also the default */
  RT_OUT_CHART,        /* chart KIND x=... y=... */
  RT_OUT_INTO_KINESIS, /* into kinesis "NAME" */
  RT_OUT_INTO_FILE,    /* into file "PATH" */
} rt_output_kind;

/* The kind of a chart output. */
typedef enum rt_chart_kind {
  RT_CHART_LINE,
  RT_CHART_AREA,
  RT_CHART_BAR,
  RT_CHART_SCATTER,
} rt_chart_kind;

/* What the query's output stage asked for; all strings borrowed from the
 * query (valid until rt_query_free). */
typedef struct rt_output_desc {
  rt_output_kind kind;     /* table (also the implicit default), chart, into file/kinesis */
  int64_t table_limit;     /* `table limit N`, or -1 */
  const char *path;        /* INTO_FILE: the file, as written; INTO_KINESIS: the stream */
  rt_chart_kind chart;     /* CHART: line, area, bar, scatter */
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
  int64_t refresh_ms;     /* on_status comes this often (the session's
                           * `refresh`); a display redraws at most as often */
  int64_t batch_ms;       /* the query ticks this often (`batch`): results and
                           * on_status come on this grid, a few ms late when
                           * the machine is busy */
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

/* The name of a state ("running"). Static. */
const char *rt_query_state_name(rt_query_state s);

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
  uint64_t cred_renewals;  /* AWS credentials renewed in this process so far
                            * (all shared providers, never decreasing) */
  bool cred_failing;       /* the last renewal of shared AWS credentials failed
                            * (retried with backoff; the old ones are used while
                            * valid); %aws says why */
  size_t state_bytes;      /* memory its operators' state held after the last
                            * batch (the memory budget counts it) */
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

#endif
