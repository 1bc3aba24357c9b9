/*
 * Per-shard pipelines, their publishing, and the merging reader
 * (rt_dist.h). A shard's closed windows are serialized as soon as its
 * pipeline emits them and wait in the shard's outbox; they are published
 * (then the shard's mark) on every tick and, through the save hook, before
 * the shard's position is checkpointed, so a checkpoint never covers a
 * window that is not in the table. Partial bytes of one (window, shard):
 * "EDQ1", u32 rows, then per row the keys (rt_sk_put_value) and u32 length +
 * the state bytes of rt_aggset_serialize.
 */
#include "rt_dist.h"

#include "dsl_ast.h"
#include "dsl_plan_int.h"
#include "rt_aws.h"
#include "rt_crash.h"
#include "rt_dist_partials.h"
#include "rt_hash.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "rt_merger.h"
#include "rt_sketch_io.h"

#include <stdio.h>
#include <string.h>

static const char PART_MAGIC[4] = {'E', 'D', 'Q', '1'};
enum {
  IDLE_MIN_MS = 5000,    /* as rt_pipeline's idle rule */
  GC_EVERY_MS = 60000,   /* collection runs at most this often */
  PART_MAX_BYTES = 1 << 30,
};

/* One closed window of a shard, waiting to be published. */
typedef struct outgoing {
  int64_t start, end;
  char *data;   /* serialized partial (owned) */
  size_t len;
} outgoing;

/* One shard this worker holds. */
typedef struct shard_pipe {
  char *shard;          /* shard id (owned) */
  rt_pipeline *pipe;    /* its pipeline, partial-state windows (owned) */
  outgoing *out;        /* closed windows not yet published, in order */
  size_t nout, aout;
  rt_dist_mark mark;    /* the last mark published */
  bool mark_put;        /* mark is meaningful */
  int64_t since_ms;     /* processing time it was acquired */
  int64_t last_rec_ms;  /* processing time of its last record, or 0 */
  bool at_tip;          /* its reader found it at its tip since its last record */
  int64_t tip_ms;       /* start (mono ms) of the last call that found it so, or 0 */
  bool ending;          /* ended(): finish after the batch */
  bool done;            /* finished: every window published or pending */
  int nkeys;            /* group keys of the plan */
} shard_pipe;

struct rt_dist {
  const dsl_plan *plan;     /* borrowed */
  const rt_clock *clock;    /* borrowed */
  char *app;                /* lease table name (owned) */
  rt_dist_partials *parts;  /* the partials table (owned) */
  rt_merger *merger;        /* merged windows being read (owned) */
  rt_src_shard_hooks hooks; /* handed to the source */
  char identity[64];        /* of the shard states: format and query text hash */
  shard_pipe **shards;      /* held shards */
  size_t nshards;
  rt_batch *sb;             /* scratch: one shard's rows of a batch */
  int shard_col;            /* batch column `shard` */
  int64_t batch_ms;         /* query tick interval */
  int64_t now_ms;           /* processing time of the last batch or tick */
  bool have_target;         /* the idle target of the last read: */
  int64_t target;           /* its watermark, */
  int64_t target_read_ms;   /* and when (mono ms) the marks it came from were read */
  bool have_done;           /* done_end is meaningful */
  int64_t done_end;         /* windows with end <= it were emitted */
  int64_t next_gc_ms;       /* mono ms of the next collection */
  uint64_t merged;          /* merged windows emitted */
  rt_pipeline_stats gone;   /* counters of released shards' pipelines */
};

/* ---- shards ---------------------------------------------------------------- */

static shard_pipe *shard_find(rt_dist *d, const char *shard) {
  for (size_t i = 0; i < d->nshards; i++)
    if (strcmp(d->shards[i]->shard, shard) == 0)
      return d->shards[i];
  return NULL;
}

static void shard_free(rt_dist *d, shard_pipe *sp) {
  rt_pipeline_stats st;
  rt_pipeline_get_stats(sp->pipe, &st);
  d->gone.records_in += st.records_in;
  d->gone.bad += st.bad;
  d->gone.filtered += st.filtered;
  d->gone.duplicates += st.duplicates;
  d->gone.late += st.late;
  d->gone.aggregated += st.aggregated;
  d->gone.results += st.results;
  rt_pipeline_free(&sp->pipe);
  for (size_t i = 0; i < sp->nout; i++)
    rt_free(sp->out[i].data);
  rt_free(sp->out);
  rt_free(sp->shard);
  rt_free(sp);
}

/* Drops the first n published windows of sp's outbox. */
static void outbox_drop(shard_pipe *sp, size_t n) {
  if (n == 0)
    return;
  for (size_t i = 0; i < n; i++)
    rt_free(sp->out[i].data);
  memmove(sp->out, sp->out + n, (sp->nout - n) * sizeof(*sp->out));
  sp->nout -= n;
}

/* Serializes a partial result (rows of window_start, window_end, keys,
 * partial) into sp's outbox. */
static void on_partial(void *ctx, rt_result_kind kind, rt_result *res, rt_result *chart) {
  shard_pipe *sp = ctx;
  size_t n = rt_result_nrows(res);
  int pc = 2 + sp->nkeys;
  rt_result_free(&chart);
  if (kind != RT_RESULT_WINDOW || n == 0 || rt_result_ncols(res) != pc + 1) {
    rt_result_free(&res);
    return;
  }
  rt_buf b;
  rt_buf_init(&b, PART_MAX_BYTES);
  int rc = rt_buf_append(&b, PART_MAGIC, 4) | rt_sk_put_u32(&b, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    const rt_value *row = rt_result_row(res, i);
    for (int k = 0; k < sp->nkeys; k++)
      rc |= rt_sk_put_value(&b, row[2 + k]);
    rc |= rt_sk_put_u32(&b, (uint32_t)row[pc].u.str.len);
    rc |= rt_buf_append(&b, row[pc].u.str.ptr, row[pc].u.str.len);
  }
  const rt_value *r0 = rt_result_row(res, 0);
  if (rc != 0) { /* a window of over a GiB of state: never silent */
    rt_log(RT_LOG_ERROR, "shard %s: partial of a window is over %d MiB; not published",
           sp->shard, PART_MAX_BYTES >> 20);
    rt_buf_free(&b);
    rt_result_free(&res);
    return;
  }
  if (sp->nout == sp->aout) {
    sp->aout = sp->aout ? sp->aout * 2 : 8;
    sp->out = rt_xrealloc(sp->out, sp->aout * sizeof(*sp->out));
  }
  outgoing *o = &sp->out[sp->nout++];
  o->start = r0[0].u.ms;
  o->end = r0[1].u.ms;
  o->data = rt_buf_take(&b, &o->len);
  rt_result_free(&res);
}

static int64_t idle_ms(const rt_dist *d) {
  int64_t wm = d->plan->agg->wopts.watermark_ms, two = 2 * d->batch_ms;
  int64_t t = wm > two ? wm : two;
  return t > IDLE_MIN_MS ? t : IDLE_MIN_MS;
}

/* The mark sp would publish now. A shard is idle when its reader found it
 * at its tip after its last record and it had no record for idle_ms (since
 * it was taken, for a shard that has none): quiet alone is not enough, since
 * a reader that is slow to answer (a busy server, a loaded machine, the
 * backlog of a shard just taken over) would have its records overtaken by
 * the others' watermark and made late. */
static rt_dist_mark mark_now(const rt_dist *d, const shard_pipe *sp) {
  rt_dist_mark m;
  memset(&m, 0, sizeof(m));
  snprintf(m.shard, sizeof(m.shard), "%s", sp->shard);
  m.has_wm = rt_pipeline_watermark(sp->pipe, &m.wm);
  int64_t quiet_since = sp->last_rec_ms ? sp->last_rec_ms : sp->since_ms;
  m.idle = sp->at_tip && d->now_ms - quiet_since >= idle_ms(d);
  m.done = sp->done;
  return m;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* True when m tells readers something the last published mark did not:
 * a window end crossed, or a flag changed. */
static bool mark_news(const rt_dist *d, const shard_pipe *sp, const rt_dist_mark *m) {
  const rt_dist_mark *o = &sp->mark;
  if (!sp->mark_put || o->idle != m->idle || o->done != m->done || o->has_wm != m->has_wm)
    return true;
  if (!m->has_wm)
    return false;
  const rt_window_opts *w = &d->plan->agg->wopts;
  int64_t slide = w->slide_ms > 0 ? w->slide_ms : w->size_ms;
  return floor_div(m->wm - w->size_ms, slide) != floor_div(o->wm - w->size_ms, slide);
}

/* Publishes sp's outbox, then its mark when it changed. */
static int publish(rt_dist *d, shard_pipe *sp, rt_err *err) {
  size_t i = 0;
  int rc = 0;
  for (; i < sp->nout && rc == 0; i++)
    rc = rt_dist_partials_put(d->parts, sp->out[i].start, sp->out[i].end, sp->shard,
                              sp->out[i].data, sp->out[i].len, err);
  outbox_drop(sp, rc == 0 ? i : i - 1);
  if (rc != 0)
    return rc;
  rt_dist_mark m = mark_now(d, sp);
  if (!mark_news(d, sp, &m))
    return 0;
  rc = rt_dist_partials_put_mark(d->parts, &m, err);
  if (rc == 0) {
    sp->mark = m;
    sp->mark_put = true;
  }
  return rc;
}

/* ---- the source's hooks ------------------------------------------------------- */

static int hook_acquire(void *ctx, const char *shard, const void *state, size_t len,
                        rt_err *err) {
  rt_dist *d = ctx;
  if (shard_find(d, shard))
    return 0;
  shard_pipe *sp = rt_xcalloc(1, sizeof(*sp));
  if (!(sp->pipe = rt_pipeline_new_partials(d->plan, err))) {
    rt_free(sp);
    return err && err->code ? err->code : RT_EINVAL;
  }
  int rc = state ? rt_pipeline_restore(sp->pipe, state, len, err) : 0;
  if (rc != 0) {
    rt_pipeline_free(&sp->pipe);
    rt_free(sp);
    return rc;
  }
  sp->shard = rt_xstrdup(shard);
  sp->nkeys = d->plan->agg->wopts.nkeys;
  sp->since_ms = d->now_ms;
  rt_log(RT_LOG_DEBUG, "shard %s: acquired, %zu bytes of state", shard, state ? len : 0);
  d->shards = rt_xrealloc(d->shards, (d->nshards + 1) * sizeof(*d->shards));
  d->shards[d->nshards++] = sp;
  return 0;
}

static int hook_save(void *ctx, const char *shard, rt_buf *out, rt_err *err) {
  rt_dist *d = ctx;
  shard_pipe *sp = shard_find(d, shard);
  if (!sp)
    return 0;
  int rc = publish(d, sp, err);
  if (rc == 0)
    rt_crash_point("dist_publish");
  return rc ? rc : rt_pipeline_save(sp->pipe, out);
}

static void hook_release(void *ctx, const char *shard) {
  rt_dist *d = ctx;
  for (size_t i = 0; i < d->nshards; i++)
    if (strcmp(d->shards[i]->shard, shard) == 0) {
      rt_log(RT_LOG_DEBUG, "shard %s: released", shard);
      shard_free(d, d->shards[i]);
      d->shards[i] = d->shards[--d->nshards];
      return;
    }
}

static void hook_at_tip(void *ctx, const char *shard, int64_t asked_ms) {
  rt_dist *d = ctx;
  shard_pipe *sp = shard_find(d, shard);
  if (!sp)
    return;
  sp->at_tip = true;
  if (asked_ms > sp->tip_ms)
    sp->tip_ms = asked_ms;
}

static void hook_ended(void *ctx, const char *shard) {
  rt_dist *d = ctx;
  shard_pipe *sp = shard_find(d, shard);
  if (sp)
    sp->ending = true;
}

/* ---- open and close ---------------------------------------------------------- */

/* The query runs distributed: kinesis as "APP", endless, leases. */
static int leased(const rt_src_kinesis_opts *k, rt_aws_config *cfg, rt_err *err) {
  if (!k->app || !k->app[0] || k->until_now)
    return 0;
  rt_aws_settings set;
  memset(&set, 0, sizeof(set));
  if ((k->region && strlen(k->region) >= sizeof(set.region)) ||
      (k->endpoint && strlen(k->endpoint) >= sizeof(set.endpoint)) ||
      (k->dynamodb_endpoint && strlen(k->dynamodb_endpoint) >= sizeof(set.dynamodb_endpoint)))
    return rt_err_set(err, RT_ETOOBIG, "a region or endpoint setting is too long");
  snprintf(set.region, sizeof(set.region), "%s", k->region ? k->region : "");
  snprintf(set.endpoint, sizeof(set.endpoint), "%s", k->endpoint ? k->endpoint : "");
  snprintf(set.dynamodb_endpoint, sizeof(set.dynamodb_endpoint), "%s",
           k->dynamodb_endpoint ? k->dynamodb_endpoint : "");
  int rc = rt_aws_resolve(cfg, &set, err);
  return rc < 0 ? rc : cfg->dynamodb_endpoint_set ? 1 : 0;
}

/* Why a stateful plan does not merge, or NULL when it does. */
static const char *unmergeable(const dsl_plan *plan) {
  for (int i = 0; i < plan->nops; i++)
    if (plan->ops[i].kind == PL_LIMIT)
      return "a record limit";
  if (!plan->agg)
    return NULL;
  const rt_window_opts *w = &plan->agg->wopts;
  if (w->kind == RT_WINDOW_SESSION)
    return "session windows";
  if (w->kind == RT_WINDOW_RUNNING)
    return "a running agg (no window)";
  if (!w->event_time)
    return "processing-time windows (use `window D by TIME`)";
  return NULL;
}

static bool stateful(const dsl_plan *plan) {
  for (int i = 0; i < plan->nops; i++)
    if (plan->ops[i].kind == PL_LIMIT)
      return true;
  return plan->agg != NULL;
}

/* FNV-1a steps over bytes and numbers. */
static uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

static uint64_t fnv_str(uint64_t h, const char *s) { return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1); }

static uint64_t fnv_i64(uint64_t h, int64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)((uint64_t)v >> (8 * i));
  return fnv(h, b, 8);
}

/* The identity of the plan's shard states: its shape, not its output. */
static uint64_t plan_hash(const dsl_plan *plan, const char *stream) {
  uint64_t h = fnv_str(1469598103934665603ULL, stream);
  h = fnv_i64(h, plan->nops);
  for (int i = 0; i < plan->nops; i++)
    h = fnv_i64(h, plan->ops[i].kind);
  const rt_window_opts *w = &plan->agg->wopts;
  int64_t nums[] = {w->kind, w->size_ms, w->slide_ms, w->event_time, w->watermark_ms,
                    w->nkeys, w->naggs};
  for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
    h = fnv_i64(h, nums[i]);
  for (int i = 0; i < w->nkeys; i++)
    h = fnv_str(h, w->key_names ? w->key_names[i] : NULL);
  for (int i = 0; i < w->naggs; i++) {
    h = fnv_i64(h, w->aggs[i].kind);
    h = fnv_str(h, w->agg_names ? w->agg_names[i] : NULL);
  }
  return rt_mix64(h);
}

int rt_dist_open(const dsl_plan *plan, const rt_src_kinesis_opts *k, int64_t batch_ms,
                 const rt_clock *clock, rt_dist **out, rt_err *err) {
  *out = NULL;
  rt_aws_config cfg;
  if (!stateful(plan))
    return 0;
  int rc = leased(k, &cfg, err);
  if (rc <= 0)
    return rc;
  const char *why = unmergeable(plan);
  if (why)
    return rt_err_set(err, RT_EUNSUPPORTED,
                      "as \"%s\" with leases: %s cannot be merged across workers; only "
                      "event-time windows can (or unset the DynamoDB endpoint, or drop `as`)",
                      k->app, why);
  rt_dist *d = rt_xcalloc(1, sizeof(*d));
  d->plan = plan;
  d->clock = clock;
  d->app = rt_xstrdup(k->app);
  d->batch_ms = batch_ms > 0 ? batch_ms : 1000;
  snprintf(d->identity, sizeof(d->identity), "eddy-dist-%c%c%c%c:%016llx", PART_MAGIC[0],
           PART_MAGIC[1], PART_MAGIC[2], PART_MAGIC[3], (unsigned long long)plan_hash(plan, k->stream));
  d->hooks = (rt_src_shard_hooks){d, d->identity, hook_acquire, hook_save, hook_release,
                                  hook_ended, hook_at_tip};
  d->shard_col = -1;
  int n;
  const char *const *cols = dsl_plan_source_cols(plan->source.kind, &n);
  for (int i = 0; i < n && i < plan->nsrc_cols; i++)
    if (strcmp(cols[i], "shard") == 0)
      d->shard_col = i;
  d->merger = rt_merger_new(&plan->agg->wopts, err);
  if (d->merger && d->shard_col >= 0)
    d->parts = rt_dist_partials_new(&cfg, k->app, clock, err);
  if (!d->parts) {
    if (d->shard_col < 0)
      rt_err_set(err, RT_EINVAL, "the source has no shard column");
    rc = err && err->code ? err->code : RT_EINVAL;
    rt_dist_free(&d);
    return rc;
  }
  d->sb = rt_batch_new(plan->ncols);
  *out = d;
  return 0;
}

void rt_dist_free(rt_dist **dp) {
  if (!dp || !*dp)
    return;
  rt_dist *d = *dp;
  for (size_t i = 0; i < d->nshards; i++)
    shard_free(d, d->shards[i]);
  rt_free(d->shards);
  rt_merger_free(&d->merger);
  rt_dist_partials_free(&d->parts);
  rt_batch_free(&d->sb);
  rt_free(d->app);
  rt_free(d);
  *dp = NULL;
}

const rt_src_shard_hooks *rt_dist_hooks(rt_dist *d) { return &d->hooks; }

/* ---- the observer's source ------------------------------------------------------ */

static int observer_poll(void *impl, rt_batch *b, size_t max_rows, rt_err *err) {
  (void)impl, (void)b, (void)max_rows, (void)err;
  return 0;
}

static void observer_stats(void *impl, rt_source_stats *out) {
  (void)impl;
  memset(out, 0, sizeof(*out));
}

static void observer_close(void *impl) { (void)impl; }

static const rt_source_ops observer_ops = {
    .kind = "kinesis", .poll = observer_poll, .stats = observer_stats, .close = observer_close};

rt_source *rt_dist_observer_source(const rt_dist *d, const char *stream) {
  int n;
  const char *const *cols = dsl_plan_source_cols(d->plan->source.kind, &n);
  rt_source *src = rt_source_new(&observer_ops, NULL, n, cols);
  char what[320];
  snprintf(what, sizeof(what), "kinesis %.120s as %.120s: observer of its workers' merged result",
           stream, d->app);
  rt_source_set_description(src, what);
  return src;
}

/* ---- records ----------------------------------------------------------------- */

static bool same_str(rt_value v, const char *s) {
  return v.type == RT_STRING && v.u.str.len == strlen(s) && memcmp(v.u.str.ptr, s, v.u.str.len) == 0;
}

/* Copies the rows of b whose shard is sp's into the scratch batch and runs
 * them through sp's pipeline. */
static void run_shard(rt_dist *d, shard_pipe *sp, rt_batch *b, int64_t now) {
  const rt_value *sh = rt_batch_col(b, d->shard_col);
  size_t n = rt_batch_nrows(b);
  rt_batch_reset(d->sb);
  rt_batch_set_time(d->sb, now);
  for (size_t r = 0; r < n; r++) {
    if (!same_str(sh[r], sp->shard))
      continue;
    size_t row = rt_batch_add_row(d->sb);
    for (int c = 0; c < d->plan->nsrc_cols; c++)
      rt_batch_set(d->sb, row, c, rt_batch_col(b, c)[r]);
  }
  if (rt_batch_nrows(d->sb) == 0)
    return;
  sp->last_rec_ms = now;
  sp->at_tip = false; /* (a tip of this very poll is cleared too: the next one sets it) */
  rt_pipeline_batch(sp->pipe, d->sb, now, on_partial, sp);
}

void rt_dist_batch(rt_dist *d, rt_batch *b, int64_t now) {
  d->now_ms = now;
  const rt_value *sh = rt_batch_col(b, d->shard_col);
  size_t n = rt_batch_nrows(b);
  for (size_t r = 0; r < n; r++) { /* a shard the source did not announce */
    if (sh[r].type != RT_STRING || sh[r].u.str.len >= 128)
      continue;
    char id[128];
    memcpy(id, sh[r].u.str.ptr, sh[r].u.str.len);
    id[sh[r].u.str.len] = 0;
    if (!shard_find(d, id))
      hook_acquire(d, id, NULL, 0, NULL);
  }
  for (size_t i = 0; i < d->nshards; i++) {
    shard_pipe *sp = d->shards[i];
    if (n)
      run_shard(d, sp, b, now);
    if (sp->ending && !sp->done) {
      rt_pipeline_finish(sp->pipe, now, on_partial, sp);
      sp->done = true;
    }
  }
}

/* ---- the reader ----------------------------------------------------------------- */

/* What the reader hands rt_dist_partials_get and the merger's emit. */
typedef struct read_ctx {
  rt_dist *d;
  int64_t start, end;   /* the window being read */
  rt_pipeline *main;
  rt_pipeline_emit_fn emit;
  void *ctx;
  int64_t now;
  rt_err *err;
} read_ctx;

/* Merges one shard's partial bytes of the window being read. */
static int merge_partial(void *vctx, const char *shard, const void *data, size_t len) {
  read_ctx *c = vctx;
  int nk = c->d->plan->agg->wopts.nkeys;
  rt_sk_reader r = {data, len, 0, false};
  if (len < 4 || memcmp(data, PART_MAGIC, 4) != 0)
    return rt_err_set(c->err, RT_EBADREC, "partial of %s: not a partial of this version", shard);
  r.off = 4;
  uint32_t rows = rt_sk_get_u32(&r);
  rt_value keys[64];
  if (nk > 64)
    return rt_err_set(c->err, RT_EUNSUPPORTED, "more than 64 group keys");
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < rows && !r.bad; i++) {
    for (int k = 0; k < nk; k++)
      keys[k] = rt_sk_get_value(&r);
    uint32_t sl = rt_sk_get_u32(&r);
    if (!r.bad && rt_sk_need(&r, sl)) {
      rc = rt_merger_add(c->d->merger, c->start, c->end, keys, r.p + r.off, sl, c->err);
      r.off += sl;
    }
    for (int k = 0; k < nk; k++)
      rt_value_release(&keys[k]);
  }
  if (rc == 0 && (r.bad || r.off != len))
    rc = rt_err_set(c->err, RT_EBADREC, "partial of %s in window %lld: malformed", shard,
                    (long long)c->start);
  return rc;
}

static void on_merged(void *vctx, rt_result *res) {
  read_ctx *c = vctx;
  c->d->merged++;
  rt_pipeline_emit_window(c->main, res, c->now, c->emit, c->ctx);
}

static void drop_merged(void *vctx, rt_result *res) {
  (void)vctx;
  rt_result_free(&res);
}

/* The marks as this worker knows them best: the table's, with the latest
 * it published for the shards it holds. */
static void patch_marks(const rt_dist *d, rt_dist_mark **marks, size_t *nm) {
  for (size_t i = 0; i < d->nshards; i++) {
    const shard_pipe *sp = d->shards[i];
    if (!sp->mark_put)
      continue;
    size_t k = 0;
    while (k < *nm && strcmp((*marks)[k].shard, sp->shard) != 0)
      k++;
    if (k == *nm)
      *marks = rt_xrealloc(*marks, (++*nm) * sizeof(**marks));
    (*marks)[k] = sp->mark;
  }
}

/* The idle shards this worker holds follow the others, publishing their
 * part of the windows that closes. Not to the target of the marks just
 * read, but to that of the previous read, and only a shard whose reader
 * asked for records after those marks were read (read_ms) and found none:
 * the records behind a mark had been written before it was read, so such a
 * shard has handed over every record of its own written by then, and
 * following cannot make one of them late. Then the marks just read (at
 * read_ms) give the next target. */
static int follow_idle(rt_dist *d, const rt_dist_shard *shards, size_t ns,
                       const rt_dist_mark *marks, size_t nm, int64_t read_ms, rt_err *err) {
  int rc = 0;
  for (size_t i = 0; d->have_target && i < d->nshards; i++) {
    shard_pipe *sp = d->shards[i];
    rt_dist_mark m = mark_now(d, sp);
    if (!m.idle || m.done || sp->tip_ms < d->target_read_ms ||
        (m.has_wm && m.wm >= d->target))
      continue;
    rt_log(RT_LOG_DEBUG, "shard %s: idle, follows the others to %lld", sp->shard,
           (long long)d->target);
    rt_pipeline_advance_to(sp->pipe, d->target, d->now_ms, on_partial, sp);
    int r = publish(d, sp, err);
    rc = rc ? rc : r;
  }
  d->have_target = rt_dist_idle_target(shards, ns, marks, nm, &d->target);
  d->target_read_ms = read_ms;
  return rc;
}

/* Reads and emits every window complete under the global watermark. */
static int read_complete(rt_dist *d, read_ctx *c) {
  rt_dist_shard *shards = NULL;
  rt_dist_mark *marks = NULL;
  size_t ns = 0, nm = 0;
  int64_t gwm = 0;
  int rc = rt_dist_partials_leases(d->parts, d->app, &shards, &ns, c->err);
  if (rc == 0)
    rc = rt_dist_partials_marks(d->parts, &marks, &nm, c->err);
  int64_t read_ms = rt_clock_mono_ns(d->clock) / 1000000; /* after the marks came */
  if (rc == 0) {
    patch_marks(d, &marks, &nm);
    rc = follow_idle(d, shards, ns, marks, nm, read_ms, c->err);
    patch_marks(d, &marks, &nm);
  }
  bool known = rc == 0 && rt_dist_global_watermark(shards, ns, marks, nm, &gwm);
  rt_dist_shards_free(&shards, ns);
  rt_free(marks);
  if (!known || (d->have_done && gwm <= d->done_end))
    return rc;
  rt_dist_window *wins = NULL;
  size_t nw = 0;
  rc = rt_dist_partials_windows(d->parts, d->have_done, d->done_end, gwm, &wins, &nw, c->err);
  for (size_t i = 0; rc == 0 && i < nw; i++) {
    c->start = wins[i].start;
    c->end = wins[i].end;
    rc = rt_dist_partials_get(d->parts, wins[i].start, wins[i].end, merge_partial, c, c->err);
  }
  rt_free(wins);
  if (rc != 0) { /* nothing half-merged is kept: the next tick reads again */
    rt_merger_emit(d->merger, 0, true, drop_merged, NULL);
    return rc;
  }
  rt_log(RT_LOG_DEBUG, "windows (%lld, %lld]: %zu merged", d->have_done ? (long long)d->done_end : -1LL,
         (long long)gwm, nw);
  rt_merger_emit(d->merger, gwm, true, on_merged, c);
  d->have_done = true;
  d->done_end = gwm;
  return 0;
}

int rt_dist_tick(rt_dist *d, int64_t now, rt_pipeline *main, rt_pipeline_emit_fn emit,
                 void *ctx, rt_err *err) {
  d->now_ms = now;
  int rc = 0;
  for (size_t i = 0; i < d->nshards; i++) {
    shard_pipe *sp = d->shards[i];
    rt_pipeline_tick(sp->pipe, now, on_partial, sp);
    int r = publish(d, sp, err);
    rc = rc ? rc : r;
  }
  read_ctx c = {.d = d, .main = main, .emit = emit, .ctx = ctx, .now = now, .err = err};
  int r = read_complete(d, &c);
  rc = rc ? rc : r;
  int64_t mono = rt_clock_mono_ns(d->clock) / 1000000;
  if (rc == 0 && d->have_done && mono >= d->next_gc_ms) {
    d->next_gc_ms = mono + GC_EVERY_MS;
    rc = rt_dist_partials_collect(d->parts, d->done_end, RT_DIST_GRACE_MS, NULL, err);
  }
  return rc;
}

void rt_dist_get_stats(const rt_dist *d, rt_pipeline_stats *out) {
  *out = d->gone;
  for (size_t i = 0; i < d->nshards; i++) {
    rt_pipeline_stats st;
    rt_pipeline_get_stats(d->shards[i]->pipe, &st);
    out->records_in += st.records_in;
    out->bad += st.bad;
    out->filtered += st.filtered;
    out->duplicates += st.duplicates;
    out->late += st.late;
    out->aggregated += st.aggregated;
    out->results += st.results;
  }
}

void rt_dist_memory(rt_dist *d, rt_state_memory *acc) {
  for (size_t i = 0; i < d->nshards; i++) {
    shard_pipe *sp = d->shards[i];
    rt_pipeline_memory(sp->pipe, acc);
    acc->other += sp->aout * sizeof(outgoing);
    for (size_t j = 0; j < sp->nout; j++)
      acc->other += sp->out[j].len + RT_MEM_CHUNK_OVERHEAD;
  }
  acc->total = acc->window + acc->dedup + acc->other;
}

uint64_t rt_dist_merged(const rt_dist *d) { return d->merged; }

bool rt_dist_watermark(const rt_dist *d, int64_t *wm) {
  if (d->have_done)
    *wm = d->done_end;
  return d->have_done;
}
