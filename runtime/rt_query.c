/*
 * A query's thread: poll, run, tick, report, and end cleanly. The loop never
 * blocks anywhere but in its wait for the next tick, which a stop cuts short,
 * so %stop and interrupts take effect within one batch.
 */
#include "rt_query.h"

#include "dsl_eval.h"
#include "dsl_plan_int.h"
#include "rt_aws_creds.h"
#include "rt_dist.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "rt_sink_file.h"
#include "rt_sink_kinesis.h"
#include "rt_clock.h"
#include "rt_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

struct rt_query {
  dsl_plan *plan;          /* owned */
  rt_pipeline *pipe;       /* owned; with dist, only its result phase runs */
  rt_dist *dist;           /* scale-out: per-shard pipelines + merge, or NULL */
  rt_source *src;          /* owned */
  rt_batch *batch;         /* owned; reset per poll */
  rt_sink_file *file;      /* INTO_FILE, or NULL */
  rt_sink_kinesis *kin;    /* INTO_KINESIS, or NULL */
  rt_query_opts o;         /* options (strings below) */
  char *cell, *text;       /* owned copies */
  rt_query_info info;      /* identity handed to callbacks */
  rt_output_desc desc;     /* its output */
  rt_output_ops ops;       /* callbacks */
  void *ud;                /* their user data */
  pthread_t thread;        /* the query's thread */
  bool joined;             /* thread joined */
  atomic_bool stop;        /* stop requested */
  pthread_mutex_t mu;      /* guards stats, finished and the waits below */
  pthread_cond_t cv;       /* signalled on stop and on finish */
  bool finished;           /* on_end returned */
  rt_query_stats st;       /* counters, under mu */
  uint64_t seq;            /* updates emitted */
  bool ending;             /* emitting final results */
  bool cut_short;          /* ending because of a stop: windows are partial */
  bool *y_additive;        /* desc.y_additive (owned) */
  int64_t start_mono_ms;   /* for elapsed and `for D` */
  uint64_t rate_records;   /* records at the last rate sample */
  uint64_t rate_bytes;
  int64_t rate_at;         /* mono ms of the last rate sample */
  size_t held;             /* its share of o.pool */
  bool over_budget;        /* failed for memory: its windows are not emitted */
  int rc;                  /* how it ended */
  rt_err err;              /* why, when it failed */
};

const char *rt_query_state_name(rt_query_state s) {
  static const char *const names[] = {"starting", "running", "done", "stopped", "failed"};
  return (unsigned)s < 5 ? names[s] : "?";
}

static int64_t mono_ms(const rt_query *q) { return rt_clock_mono_ns(q->o.clock) / 1000000; }

static int64_t proc_time(const rt_query *q) {
  return q->o.clock_ms ? q->o.clock_ms : rt_clock_wall_ms(q->o.clock);
}

/* ---- opening ------------------------------------------------------------ */

/* Where the source starts, as sources name it. */
static rt_start start_of(dsl_from from) {
  switch (from) {
  case DSL_FROM_TRIM_HORIZON:
    return RT_START_TRIM_HORIZON;
  case DSL_FROM_TIMESTAMP:
    return RT_START_AT_TIME;
  case DSL_FROM_CHECKPOINT:
    return RT_START_CHECKPOINT;
  default:
    return RT_START_LATEST;
  }
}

/* The pipeline's state, checkpointed by the source with its positions. */
static int save_state(void *ctx, rt_buf *out) {
  rt_query *q = ctx;
  return rt_pipeline_save(q->pipe, out);
}

static int restore_state(void *ctx, const void *data, size_t len, rt_err *err) {
  rt_query *q = ctx;
  return rt_pipeline_restore(q->pipe, data, len, err);
}

static int open_source(rt_query *q, rt_err *err) {
  const dsl_source *s = &q->plan->source;
  if (q->o.source) {
    q->src = q->o.source;
    q->o.source = NULL;
    return 0;
  }
  if (s->kind == DSL_SRC_FILE)
    return rt_src_file_open(s->u.file.path, q->o.base_dir, &q->src, err);
  if (s->kind == DSL_SRC_DEMO) {
    rt_src_demo_opts d = {.rate = s->u.demo.rate,
                          .devices = (int)s->u.demo.devices,
                          .seed = s->u.demo.seed >= 0 ? (uint64_t)s->u.demo.seed : 1,
                          .limit = s->u.demo.limit,
                          .start_ms = q->o.clock_ms,
                          .clock = q->o.clock,
                          .unpaced = q->o.unpaced};
    q->src = rt_src_demo_open(&d);
    return 0;
  }
  rt_src_kinesis_opts k = {0};
  if (q->o.kinesis)
    k = *q->o.kinesis;
  k.clock = q->o.clock;
  k.stream = s->u.kinesis.stream;
  k.from = start_of(s->u.kinesis.from);
  k.from_ms = s->u.kinesis.from_ms;
  k.until_now = s->u.kinesis.until_now;
  k.app = s->u.kinesis.app;
  int rc = rt_dist_open(q->plan, &k, q->o.batch_ms, q->o.clock, &q->dist, err);
  if (rc != 0)
    return rc;
  if (k.observe && k.app && k.app[0]) { /* reads no shard: the workers publish, rt_dist reads */
    if (!q->dist)
      return rt_err_set(err, RT_EINVAL,
                        "role observer shows the merged result of an application's workers: "
                        "it needs an endless `kinesis \"%s\" ... as \"APP\"` with a DynamoDB "
                        "endpoint and an event-time window (or %%set role worker)",
                        k.stream ? k.stream : "S");
    q->src = rt_dist_observer_source(q->dist, k.stream);
    return 0;
  }
  if (q->dist) /* state per shard, merged across workers */
    k.shard_hooks = rt_dist_hooks(q->dist);
  else if (k.app && rt_pipeline_stateful(q->pipe)) {
    k.save_state = save_state;
    k.restore_state = restore_state;
    k.state_ctx = q;
  }
  return rt_src_kinesis_open(&k, &q->src, err);
}

/* True when result column col of p is a count() or sum() aggregate carried
 * through the result phase unchanged (renamed, filtered or sorted is fine;
 * computed from is not). Those add up across series. */
static bool col_additive(const dsl_plan *p, int col) {
  if (!p->agg || col < 0)
    return false;
  for (int i = p->nrops; i-- > 0 && col >= 0;) {
    const pl_rop *r = &p->rops[i];
    if (r->kind == PL_R_PROJECT)
      col = col < r->ncols_out ? r->src_col[col] : -1;
  }
  const rt_window_opts *w = &p->agg->wopts;
  int k = col - 2 - w->nkeys; /* window_start, window_end, keys, aggs */
  if (col < 0 || k < 0 || k >= w->naggs)
    return false;
  return w->aggs[k].kind == RT_AGG_COUNT || w->aggs[k].kind == RT_AGG_SUM;
}

static void fill_additive(rt_query *q) {
  const dsl_plan *p = q->plan;
  if (p->out.kind != DSL_OUT_CHART || p->out.nys <= 0)
    return;
  q->y_additive = rt_xcalloc((size_t)p->out.nys, sizeof(bool));
  for (int j = 0; j < p->out.nys; j++)
    q->y_additive[j] = col_additive(p, dsl_cx_column(p->out.ys[j]));
  q->desc.y_additive = q->y_additive;
}

/* The plan's output, as the output contract names it. */
static rt_output_kind output_kind(dsl_output_kind k) {
  switch (k) {
  case DSL_OUT_CHART:
    return RT_OUT_CHART;
  case DSL_OUT_INTO_KINESIS:
    return RT_OUT_INTO_KINESIS;
  case DSL_OUT_INTO_FILE:
    return RT_OUT_INTO_FILE;
  default:
    return RT_OUT_TABLE;
  }
}

static rt_chart_kind chart_kind(dsl_chart_kind k) {
  switch (k) {
  case DSL_CHART_AREA:
    return RT_CHART_AREA;
  case DSL_CHART_BAR:
    return RT_CHART_BAR;
  case DSL_CHART_SCATTER:
    return RT_CHART_SCATTER;
  default:
    return RT_CHART_LINE;
  }
}

static void fill_desc(rt_query *q) {
  const dsl_plan *p = q->plan;
  rt_output_desc *d = &q->desc;
  d->kind = output_kind(p->out.kind);
  d->table_limit = p->out.table_limit;
  d->path = p->out.kind == DSL_OUT_INTO_KINESIS ? p->out.stream : p->out.path;
  d->chart = chart_kind(p->out.chart_kind);
  d->title = p->out.title;
  d->x_name = p->out.x_name;
  d->y_names = p->out.y_names;
  d->ny = p->out.nys;
  d->by_name = p->out.by_name;
  d->ncols = p->nres_cols;
  d->cols = p->res_cols;
  d->windowed = p->agg && p->agg->wopts.kind != RT_WINDOW_RUNNING;
  d->running = p->agg && p->agg->wopts.kind == RT_WINDOW_RUNNING;
  fill_additive(q);
  q->info = (rt_query_info){.id = q->o.id, .cell = q->cell, .index = q->o.index,
                            .text = q->text, .source = p->source_desc,
                            .bounded = p->bounded, .refresh_ms = q->o.refresh_ms,
                            .batch_ms = q->o.batch_ms, .output = d};
}

static void opts_defaults(rt_query_opts *o) {
  if (o->batch_ms <= 0)
    o->batch_ms = 1000;
  if (o->batch_ms < 100)
    o->batch_ms = 100;
  if (o->refresh_ms <= 0)
    o->refresh_ms = 1000;
  if (!o->max_rows)
    o->max_rows = 8192;
}

/* ---- the loop ------------------------------------------------------------- */

static void on_result(void *ctx, rt_result_kind kind, rt_result *res, rt_result *chart) {
  rt_query *q = ctx;
  rt_update u = {.kind = kind, .result = res, .chart = chart, .seq = ++q->seq,
                 .final = q->ending,
                 .partial = q->cut_short && kind == RT_RESULT_WINDOW};
  if (kind == RT_RESULT_WINDOW) {
    u.window_start = rt_result_window_start(res);
    u.window_end = rt_result_window_end(res);
  }
  if (q->file && q->rc == 0) {
    rt_err e;
    if (rt_sink_file_write(q->file, res, &e) < 0) {
      q->rc = e.code;
      q->err = e;
      atomic_store(&q->stop, true);
    }
  }
  if (q->kin && q->rc == 0) {
    rt_err e;
    if (rt_sink_kinesis_write(q->kin, res, q->plan->out.key_col, &e) < 0) {
      q->rc = e.code;
      q->err = e;
      atomic_store(&q->stop, true);
    }
  }
  if (q->ops.on_update)
    q->ops.on_update(q->ud, &q->info, &u);
  pthread_mutex_lock(&q->mu);
  q->st.updates++;
  pthread_mutex_unlock(&q->mu);
  rt_result_free(&res);
  rt_result_free(&chart);
}

/* Copies the source's and the pipeline's counters into q->st. */
static void refresh_stats(rt_query *q, bool rates) {
  rt_source_stats ss;
  rt_pipeline_stats ps;
  rt_source_stats_get(q->src, &ss);
  if (q->dist)
    rt_dist_get_stats(q->dist, &ps);
  else
    rt_pipeline_get_stats(q->pipe, &ps);
  int64_t now = mono_ms(q);
  uint64_t renewals, cred_failures;
  int cred_failing;
  rt_aws_creds_totals(&renewals, &cred_failures, &cred_failing); /* shared AWS credentials */
  pthread_mutex_lock(&q->mu);
  q->st.records_in = ss.records;
  q->st.bytes_in = ss.bytes;
  q->st.lag_ms = ss.lag_ms;
  q->st.bad = ss.bad + ps.bad;
  q->st.late = ps.late;
  q->st.duplicates = ps.duplicates;
  q->st.throttled = ss.throttled;
  q->st.retried = ss.retried;
  q->st.cred_renewals = renewals;
  q->st.cred_failing = cred_failing != 0;
  q->st.elapsed_ms = now - q->start_mono_ms;
  if (rates && now > q->rate_at) {
    double dt = (double)(now - q->rate_at) / 1000.0;
    q->st.records_per_s = (double)(ss.records - q->rate_records) / dt;
    q->st.bytes_per_s = (double)(ss.bytes - q->rate_bytes) / dt;
    q->rate_records = ss.records;
    q->rate_bytes = ss.bytes;
    q->rate_at = now;
  }
  pthread_mutex_unlock(&q->mu);
}

static void report_status(rt_query *q) {
  refresh_stats(q, true);
  rt_query_stats st;
  rt_query_get_stats(q, &st);
  if (q->ops.on_status)
    q->ops.on_status(q->ud, &q->info, &st);
}

/* Waits until the query clock's mono time `until` (ms) or a stop. */
static void wait_tick(rt_query *q, int64_t until) {
  pthread_mutex_lock(&q->mu);
  while (!atomic_load(&q->stop) && mono_ms(q) < until)
    rt_clock_cond_wait(q->o.clock, &q->cv, &q->mu, until * 1000000);
  pthread_mutex_unlock(&q->mu);
}

/* One poll and its batch. Returns the poll's code. */
static int run_batch(rt_query *q) {
  int64_t now = proc_time(q);
  rt_batch_reset(q->batch);
  rt_batch_set_time(q->batch, now);
  rt_err e;
  rt_err_clear(&e);
  int rc = rt_source_poll(q->src, q->batch, q->o.max_rows, &e);
  if (rc < 0 && rc != RT_EEOF) {
    q->rc = rc;
    q->err = e;
    return rc;
  }
  if (q->dist)
    rt_dist_batch(q->dist, q->batch, now);
  else
    rt_pipeline_batch(q->pipe, q->batch, now, on_result, q);
  if (rt_source_commit(q->src, false, &e) < 0)
    rt_log(RT_LOG_WARN, "query %llu: checkpoint failed: %s", (unsigned long long)q->o.id, e.msg);
  return rc;
}

/* How the agg operator is written, for a memory error: "`agg` by id, site
 * (session windows)". */
static void describe_agg(const rt_query *q, rt_buf *out) {
  const rt_window_opts *w = &q->plan->agg->wopts;
  rt_buf_puts(out, "`agg`");
  for (int i = 0; i < w->nkeys; i++)
    rt_buf_printf(out, "%s%s", i ? ", " : " by ", w->key_names[i]);
  if (w->kind == RT_WINDOW_SESSION)
    rt_buf_puts(out, " (session windows)");
  else if (w->kind == RT_WINDOW_RUNNING)
    rt_buf_puts(out, " (running, no window)");
}

/* "%set NAME 2GB": twice the budget, as a user would type it. */
static void suggest_budget(rt_buf *out, const char *setting, size_t budget) {
  char sz[24];
  rt_size_format(budget * 2, sz, sizeof(sz));
  char *space = strchr(sz, ' ');
  if (space)
    memmove(space, space + 1, strlen(space));
  rt_buf_printf(out, "%%set %s %s", setting, sz);
}

/* Fails the query whose state grew past a budget: the error says which
 * operator holds what and what the user can do. session: the session's
 * budget (else the query's own). Returns RT_EMEMORY. */
static int memory_error(rt_query *q, const rt_state_memory *m, bool session, size_t total,
                        size_t budget) {
  char sz[24], bsz[24], tsz[24];
  rt_buf msg;
  rt_buf_init(&msg, 0);
  rt_size_format(m->total, sz, sizeof(sz));
  rt_size_format(budget, bsz, sizeof(bsz));
  if (strcmp(sz, bsz) == 0) /* "holds 2 MB, over 2 MB" would read as a bug */
    snprintf(sz, sizeof(sz), "%zu KB", (m->total + 1023) / 1024);
  if (session)
    rt_buf_printf(&msg, "the session's queries together hold %s, over the session's memory "
                  "budget of %s, and this one grew to %s. ",
                  rt_size_format(total, tsz, sizeof(tsz)), bsz, sz);
  else
    rt_buf_printf(&msg, "its state holds %s, over its memory budget of %s. ", sz, bsz);
  bool window_grew = m->window >= m->dedup;
  if (window_grew && q->plan->agg) {
    describe_agg(q, &msg);
    rt_buf_printf(&msg, " holds %s in %zu group%s", rt_size_format(m->window, sz, sizeof(sz)),
                  m->window_groups, m->window_groups == 1 ? "" : "s");
    if (m->window_panes > 1)
      rt_buf_printf(&msg, " over %zu panes", m->window_panes);
    const rt_window_opts *w = &q->plan->agg->wopts;
    rt_buf_printf(&msg, ": group by fewer distinct keys or %s, ",
                  w->kind == RT_WINDOW_SESSION   ? "use a shorter gap"
                  : w->kind == RT_WINDOW_RUNNING ? "aggregate per window (`window 1m`)"
                                                 : "use a shorter window");
  } else {
    rt_buf_printf(&msg, "`dedup` holds %s for %zu keys: keep keys for less time "
                  "(`dedup ... within 10m`), ",
                  rt_size_format(m->dedup, sz, sizeof(sz)), m->dedup_keys);
  }
  rt_buf_puts(&msg, "or raise the budget (");
  suggest_budget(&msg, session ? "memory_total" : "memory", budget);
  rt_buf_puts(&msg, session ? ", or stop other queries)." : ").");
  q->rc = rt_err_set(&q->err, RT_EMEMORY, "%s", msg.data);
  rt_buf_free(&msg);
  q->over_budget = true;
  atomic_store(&q->stop, true);
  return RT_EMEMORY;
}

/* Measures the state after a batch, publishes it in the stats and the
 * session's pool, and fails the query past its budget or the session's.
 * Returns 0 or RT_EMEMORY. */
static int check_memory(rt_query *q) {
  rt_state_memory m = {0};
  if (q->dist)
    rt_dist_memory(q->dist, &m);
  else
    rt_pipeline_memory(q->pipe, &m);
  pthread_mutex_lock(&q->mu);
  q->st.state_bytes = m.total;
  pthread_mutex_unlock(&q->mu);
  size_t before = q->held;
  size_t session = q->o.pool ? rt_budget_pool_update(q->o.pool, &q->held, m.total) : 0;
  if (q->o.memory_budget && m.total > q->o.memory_budget)
    return memory_error(q, &m, false, session, q->o.memory_budget);
  size_t limit = q->o.pool ? rt_budget_pool_limit(q->o.pool) : 0;
  if (limit && session > limit && m.total > before) /* the ones that grew stop */
    return memory_error(q, &m, true, session, limit);
  return 0;
}

/* Advances the windows; scaled out, also publishes and merges. */
static void tick(rt_query *q) {
  if (!q->dist) {
    rt_pipeline_tick(q->pipe, proc_time(q), on_result, q);
    return;
  }
  rt_err e;
  rt_err_clear(&e);
  if (rt_dist_tick(q->dist, proc_time(q), q->pipe, on_result, q, &e) < 0)
    rt_log(RT_LOG_WARN, "query %llu: partials: %s (retried)", (unsigned long long)q->o.id,
           e.msg);
}

static rt_query_state run_loop(rt_query *q) {
  int64_t next_tick = mono_ms(q) + q->o.batch_ms, next_status = mono_ms(q) + q->o.refresh_ms;
  int64_t deadline = q->plan->for_ms > 0 ? q->start_mono_ms + q->plan->for_ms : INT64_MAX;
  for (;;) {
    if (atomic_load(&q->stop))
      return q->rc < 0 ? RT_QUERY_FAILED : RT_QUERY_STOPPED;
    int rc = run_batch(q);
    if (rc < 0 && rc != RT_EEOF)
      return RT_QUERY_FAILED;
    if (check_memory(q) < 0)
      return RT_QUERY_FAILED;
    refresh_stats(q, false);
    if (rc == RT_EEOF || rt_pipeline_exhausted(q->pipe) || mono_ms(q) >= deadline)
      return RT_QUERY_DONE;
    int64_t now = mono_ms(q);
    if (now >= next_tick) {
      tick(q);
      next_tick = now - next_tick > q->o.batch_ms ? now + q->o.batch_ms : next_tick + q->o.batch_ms;
    }
    if (now >= next_status) {
      report_status(q);
      next_status = now + q->o.refresh_ms;
    }
    if (rc != RT_SOURCE_MORE)
      wait_tick(q, next_tick < deadline ? next_tick : deadline);
  }
}

static void *query_main(void *arg) {
  rt_query *q = arg;
  pthread_mutex_lock(&q->mu);
  q->st.state = RT_QUERY_RUNNING;
  pthread_mutex_unlock(&q->mu);
  if (q->ops.on_start)
    q->ops.on_start(q->ud, &q->info);
  rt_query_state end = run_loop(q);
  q->ending = true;
  /* Windows still open at a natural end hold all the data there will be;
   * after a stop (or a failure) they were cut short. */
  q->cut_short = end != RT_QUERY_DONE;
  /* The final checkpoint goes before the windows close: a checkpointed
   * operator state then still holds them open, and a query resuming from it
   * completes them (they are emitted again, with the records after). */
  rt_err e;
  if (rt_source_commit(q->src, true, &e) < 0)
    rt_log(RT_LOG_WARN, "query %llu: final checkpoint failed: %s",
           (unsigned long long)q->o.id, e.msg);
  /* Scaled out, a worker's open windows belong to the merged result of all
   * workers: the final commit published what closed; the last read emits
   * what is complete, and the rest stays with the next holder's state. */
  if (!q->over_budget) { /* else they may be too big to emit: they stay checkpointed */
    if (q->dist)
      tick(q);
    else
      rt_pipeline_finish(q->pipe, proc_time(q), on_result, q);
  }
  if (q->o.pool)
    rt_budget_pool_update(q->o.pool, &q->held, 0);
  if (q->rc < 0)
    end = RT_QUERY_FAILED;
  refresh_stats(q, true);
  pthread_mutex_lock(&q->mu);
  q->st.state = end;
  rt_query_stats st = q->st;
  pthread_mutex_unlock(&q->mu);
  if (q->ops.on_end)
    q->ops.on_end(q->ud, &q->info, &st, end == RT_QUERY_FAILED ? &q->err : NULL);
  pthread_mutex_lock(&q->mu);
  q->finished = true;
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
  return NULL;
}

/* ---- the handle ----------------------------------------------------------- */

static rt_query *query_alloc(dsl_plan **plan, const rt_query_opts *opts, const rt_output_ops *ops,
                             void *ud) {
  rt_query *q = rt_xcalloc(1, sizeof(*q));
  q->plan = *plan;
  *plan = NULL;
  q->o = *opts;
  opts_defaults(&q->o);
  q->cell = rt_xstrdup(opts->cell ? opts->cell : "");
  q->text = rt_xstrdup(opts->text ? opts->text : "");
  q->o.cell = q->cell;
  q->o.text = q->text;
  if (ops)
    q->ops = *ops;
  q->ud = ud;
  q->joined = true;
  atomic_init(&q->stop, false);
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->cv, NULL);
  fill_desc(q);
  return q;
}

int rt_query_start(dsl_plan **plan, const rt_query_opts *opts, const rt_output_ops *ops,
                   void *ud, rt_query **out, rt_err *err) {
  rt_query *q = query_alloc(plan, opts, ops, ud);
  /* the pipeline first: the source may restore a checkpointed state into it */
  int rc = (q->pipe = rt_pipeline_new(q->plan, err)) ? 0 : RT_EINVAL;
  if (rc == 0)
    rc = open_source(q, err);
  if (rc == 0 && q->plan->out.kind == DSL_OUT_INTO_FILE)
    rc = rt_sink_file_open(q->plan->out.path, q->o.base_dir, q->o.protect, q->o.nprotect,
                           &q->file, err);
  if (rc == 0 && q->plan->out.kind == DSL_OUT_INTO_KINESIS) {
    rt_sink_kinesis_opts ko = {.stream = q->plan->out.stream,
                               .region = q->o.kinesis ? q->o.kinesis->region : NULL,
                               .endpoint = q->o.kinesis ? q->o.kinesis->endpoint : NULL};
    rc = rt_sink_kinesis_open(&ko, &q->kin, err);
  }
  if (rc == 0 && rt_source_ncols(q->src) != q->plan->nsrc_cols)
    rc = rt_err_set(err, RT_EINVAL, "source yields %d fields, plan expects %d",
                    rt_source_ncols(q->src), q->plan->nsrc_cols);
  if (rc < 0) {
    q->finished = true;
    rt_query_free(&q);
    *out = NULL;
    return rc;
  }
  q->o.kinesis = NULL; /* borrowed for the opening only */
  q->batch = rt_batch_new(rt_pipeline_ncols(q->pipe));
  q->start_mono_ms = q->rate_at = mono_ms(q);
  q->st.started_ms = rt_clock_wall_ms(q->o.clock);
  q->st.lag_ms = -1;
  q->joined = false;
  if (pthread_create(&q->thread, NULL, query_main, q) != 0) {
    q->joined = true;
    q->finished = true;
    rt_query_free(&q);
    *out = NULL;
    return rt_err_set(err, RT_EINVAL, "cannot start a thread for the query");
  }
  *out = q;
  return 0;
}

void rt_query_stop(rt_query *q) {
  pthread_mutex_lock(&q->mu);
  atomic_store(&q->stop, true);
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
  if (q->src)
    rt_source_wake(q->src);
}

int rt_query_wait(rt_query *q, int64_t timeout_ms) {
  int64_t deadline = rt_wall_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
  struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
  int rc = 0;
  pthread_mutex_lock(&q->mu);
  while (!q->finished && rc == 0)
    rc = timeout_ms < 0 ? pthread_cond_wait(&q->cv, &q->mu)
                        : pthread_cond_timedwait(&q->cv, &q->mu, &ts);
  bool done = q->finished;
  pthread_mutex_unlock(&q->mu);
  return done ? 0 : RT_ETIMEDOUT;
}

bool rt_query_finished(rt_query *q) {
  pthread_mutex_lock(&q->mu);
  bool f = q->finished;
  pthread_mutex_unlock(&q->mu);
  return f;
}

int rt_query_error(rt_query *q, rt_err *err) {
  pthread_mutex_lock(&q->mu);
  bool done = q->finished;
  int rc = done ? q->rc : RT_EINVAL;
  if (done && rc < 0 && err)
    *err = q->err;
  pthread_mutex_unlock(&q->mu);
  return rc;
}

void rt_query_get_stats(rt_query *q, rt_query_stats *out) {
  pthread_mutex_lock(&q->mu);
  *out = q->st;
  pthread_mutex_unlock(&q->mu);
}

const rt_query_info *rt_query_get_info(const rt_query *q) { return &q->info; }

void rt_query_free(rt_query **qp) {
  if (!qp || !*qp)
    return;
  rt_query *q = *qp;
  if (!q->joined) {
    rt_query_stop(q);
    pthread_join(q->thread, NULL);
  }
  rt_source_free(&q->src); /* its hooks call into dist */
  rt_dist_free(&q->dist);
  rt_pipeline_free(&q->pipe);
  rt_source_free(&q->o.source);
  rt_batch_free(&q->batch);
  rt_sink_file_free(&q->file);
  rt_sink_kinesis_free(&q->kin);
  dsl_plan_free(&q->plan);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cv);
  rt_free(q->cell);
  rt_free(q->text);
  rt_free(q->y_additive);
  rt_free(q);
  *qp = NULL;
}
