/*
 * The record phase over a selection vector, the feed into the window
 * operator, and the result phase. A selection vector (the rows still alive,
 * ascending) lets where, parse and dedup drop rows without moving any
 * column; while every row is alive, expressions read the columns in place.
 */
#include "rt_pipeline.h"

#include "dsl_plan_int.h"
#include "rt_dedup.h"
#include "rt_mem.h"

#include <stdlib.h>
#include <string.h>

struct rt_pipeline {
  const dsl_plan *plan;  /* borrowed */
  rt_window *win;        /* the agg operator, or NULL */
  rt_dedup **dedups;     /* per op: dedup state (NULL for other ops) */
  uint64_t *seen;        /* per op: LIMIT records passed so far */
  bool exhausted;        /* a LIMIT is reached */
  bool have_wm;          /* wm_idx is meaningful */
  int64_t wm_idx;        /* event-time sliding windows: floor((max time -
                          * watermark) / slide) at the last advance */
  int part_col;          /* batch column naming a record's source partition
                          * (kinesis `shard`), or -1: one partition */
  struct wm_part *parts; /* event time with part_col: per partition */
  int nparts, aparts;
  int hot_part;          /* the partition of the previous record */
  bool have_min;         /* min_max is meaningful */
  int64_t min_max;       /* min over active partitions of their max time */
  bool min_blocked;      /* an active partition has no time yet */
  bool have_pwm;         /* pwm is meaningful */
  int64_t pwm;           /* the partitioned watermark (monotonic) */
  bool resumed;          /* restored partitions wait for the first now */
  bool have_first;       /* first_ms is meaningful */
  int64_t first_ms;      /* processing time of the first record */
  int64_t last_tick;     /* processing time of the previous tick, or -1 */
  int64_t now_ms;        /* processing time of the latest batch or tick */
  int64_t tick_ms;       /* spacing of the last two ticks (1000 until seen) */
  bool partials;         /* rt_pipeline_new_partials(): no result phase */
  rt_batch *scratch;     /* result phase: a result's rows as columns */
  rt_value *tmp;         /* parse: one record's values */
  int tmp_cap;
  rt_pipeline_stats st;  /* counters */
};

/* One source partition of an event-time agg (see rt_pipeline.h). */
typedef struct wm_part {
  char *name;      /* the partition's id (owned) */
  size_t len;
  bool has_max;    /* max_t is meaningful */
  int64_t max_t;   /* newest event time accepted from it */
  int64_t last_ms; /* processing time of its last record */
  bool ended;      /* rt_pipeline_partition_ended(): removed */
} wm_part;

/* What an emit from the window operator needs to reach the caller. */
typedef struct emit_ctx {
  rt_pipeline *p;
  rt_result_kind kind;
  rt_pipeline_emit_fn emit;
  void *ctx;
  int64_t now; /* processing time of the tick, for now() */
} emit_ctx;

/* Makes the pipeline; partials: its windows emit partial states (scale-out). */
static rt_pipeline *pipeline_new(const dsl_plan *plan, bool partials, rt_err *err) {
  rt_pipeline *p = rt_xcalloc(1, sizeof(*p));
  p->plan = plan;
  p->partials = partials;
  rt_window_opts wo;
  if (plan->agg) {
    wo = plan->agg->wopts;
    wo.emit_partials = partials;
  }
  if (plan->agg && !(p->win = rt_window_new(&wo, err))) {
    rt_free(p);
    return NULL;
  }
  int nops = plan->nops ? plan->nops : 1;
  p->dedups = rt_xcalloc((size_t)nops, sizeof(*p->dedups));
  p->seen = rt_xcalloc((size_t)nops, sizeof(*p->seen));
  for (int i = 0; i < plan->nops; i++)
    if (plan->ops[i].kind == PL_DEDUP)
      p->dedups[i] = rt_dedup_new(plan->ops[i].within_ms, 0);
  p->scratch = rt_batch_new(plan->nres_cols > 16 ? plan->nres_cols : 16);
  p->part_col = -1;
  p->last_tick = -1;
  p->tick_ms = 1000;
  if (plan->agg && plan->agg->wopts.event_time && plan->agg->wopts.kind != RT_WINDOW_RUNNING) {
    int n;
    const char *const *cols = dsl_plan_source_cols(plan->source.kind, &n);
    for (int i = 0; i < n && i < plan->nsrc_cols; i++)
      if (strcmp(cols[i], "shard") == 0)
        p->part_col = i;
  }
  return p;
}

rt_pipeline *rt_pipeline_new(const dsl_plan *plan, rt_err *err) {
  return pipeline_new(plan, false, err);
}

rt_pipeline *rt_pipeline_new_partials(const dsl_plan *plan, rt_err *err) {
  if (!plan->agg || plan->agg->wopts.kind != RT_WINDOW_SLIDING) {
    rt_err_set(err, RT_EUNSUPPORTED, "only window aggregates emit partial states");
    return NULL;
  }
  return pipeline_new(plan, true, err);
}

void rt_pipeline_free(rt_pipeline **pp) {
  if (!pp || !*pp)
    return;
  rt_pipeline *p = *pp;
  for (int i = 0; i < p->plan->nops; i++)
    rt_dedup_free(&p->dedups[i]);
  rt_free(p->dedups);
  rt_free(p->seen);
  rt_window_free(&p->win);
  for (int i = 0; i < p->nparts; i++)
    rt_free(p->parts[i].name);
  rt_free(p->parts);
  rt_batch_free(&p->scratch);
  rt_free(p->tmp);
  rt_free(p);
  *pp = NULL;
}

void rt_pipeline_memory(rt_pipeline *p, rt_state_memory *acc) {
  if (p->win) {
    rt_window_stats ws;
    rt_window_get_stats(p->win, &ws);
    acc->window += rt_window_memory(p->win);
    acc->window_groups += ws.groups;
    acc->window_panes += ws.panes;
  }
  for (int i = 0; i < p->plan->nops; i++)
    if (p->dedups[i]) {
      acc->dedup += rt_dedup_memory(p->dedups[i]);
      acc->dedup_keys += rt_dedup_size(p->dedups[i]);
    }
  size_t other = sizeof(*p) + (size_t)p->aparts * sizeof(wm_part);
  for (int i = 0; i < p->nparts; i++)
    other += p->parts[i].len + 1 + RT_MEM_CHUNK_OVERHEAD;
  acc->other += other;
  acc->total = acc->window + acc->dedup + acc->other;
}

int rt_pipeline_ncols(const rt_pipeline *p) { return p->plan->ncols; }
bool rt_pipeline_exhausted(const rt_pipeline *p) { return p->exhausted; }
void rt_pipeline_get_stats(const rt_pipeline *p, rt_pipeline_stats *out) {
  *out = p->st;
  if (p->win) {
    rt_window_stats ws;
    rt_window_get_stats(p->win, &ws);
    out->late = ws.late;
  }
}

/* ---- the record phase -------------------------------------------------- */

/* The rows alive in a batch. */
typedef struct selv {
  uint32_t *rows; /* ascending row indexes */
  size_t n;       /* alive */
  size_t total;   /* rows in the batch: n == total means "all" */
} selv;

static dsl_eval_ctx ectx(rt_batch *b, const selv *s, int64_t now) {
  return (dsl_eval_ctx){.batch = b, .sel = s->n == s->total ? NULL : s->rows, .n = s->n,
                        .now_ms = now};
}

static rt_value *tmp_values(rt_pipeline *p, int n) {
  if (n > p->tmp_cap) {
    p->tmp_cap = n * 2;
    p->tmp = rt_xrealloc(p->tmp, (size_t)p->tmp_cap * sizeof(rt_value));
  }
  return p->tmp;
}

static void op_parse_json(rt_pipeline *p, const pl_op *op, rt_batch *b, selv *s) {
  const rt_value *data = rt_batch_col(b, op->in_col);
  rt_value *out = tmp_values(p, op->nslots + 1);
  rt_value **cols = rt_arena_alloc(rt_batch_arena(b), (size_t)(op->nslots + 1) * sizeof(*cols));
  for (int k = 0; k < op->nslots; k++)
    cols[k] = rt_batch_col(b, op->slot_cols[k]);
  size_t m = 0;
  for (size_t i = 0; i < s->n; i++) {
    uint32_t r = s->rows[i];
    rt_value d = data[r];
    if (d.type != RT_STRING ||
        rt_json_scan(op->paths, d.u.str.ptr, d.u.str.len, out, rt_batch_arena(b)) < 0) {
      p->st.bad++;
      continue;
    }
    for (int k = 0; k < op->nslots; k++)
      cols[k][r] = out[k];
    s->rows[m++] = r;
  }
  s->n = m;
}

/* Splits a CSV line into at most max fields (quotes with "" escapes);
 * returns the field count, or -1 on an unterminated quote. */
static int csv_split(const char *s, size_t n, rt_arena *a, rt_value *f, int max) {
  int k = 0;
  size_t i = 0;
  for (;;) {
    char *buf = rt_arena_alloc(a, n - i + 1);
    size_t len = 0;
    if (i < n && s[i] == '"') {
      for (i++;; i++) {
        if (i >= n)
          return -1;
        if (s[i] == '"' && (i + 1 >= n || s[i + 1] != '"'))
          break;
        buf[len++] = s[i];
        i += s[i] == '"';
      }
      i++;
    }
    for (; i < n && s[i] != ','; i++)
      buf[len++] = s[i];
    if (k < max)
      f[k] = rt_string(buf, len);
    k++;
    if (i >= n)
      return k;
    i++;
  }
}

/* Converts one CSV field to its column type; false when it does not parse. */
static bool csv_convert(dsl_type t, rt_value in, rt_value *out) {
  if (t == DSL_TY_ANY) {
    *out = in;
    return true;
  }
  if (in.u.str.len == 0) {
    *out = rt_null();
    return true;
  }
  char buf[64], *end;
  size_t n = in.u.str.len < 63 ? in.u.str.len : 63;
  memcpy(buf, in.u.str.ptr, n);
  buf[n] = 0;
  switch (t) {
  case DSL_TY_NUMBER:
    *out = rt_number(strtod(buf, &end));
    return end != buf && *end == 0 && in.u.str.len < 63;
  case DSL_TY_BOOL:
    *out = rt_bool(strcmp(buf, "true") == 0);
    return strcmp(buf, "true") == 0 || strcmp(buf, "false") == 0;
  case DSL_TY_TIME: {
    int64_t ms;
    rt_value num = rt_number(strtod(buf, &end));
    bool ok = (end != buf && *end == 0) ? dsl_value_to_ms(num, &ms) : dsl_value_to_ms(in, &ms);
    *out = rt_time(ok ? ms : 0);
    return ok;
  }
  default:
    *out = in;
    return true;
  }
}

static bool csv_row(const pl_op *op, rt_batch *b, uint32_t r, rt_value *f) {
  for (int k = 0; k < op->nslots; k++) {
    rt_value v;
    if (!csv_convert(op->csv_types[k], f[k], &v))
      return false;
    rt_batch_col(b, op->csv_cols[k])[r] = v;
  }
  return true;
}

static void op_parse_csv(rt_pipeline *p, const pl_op *op, rt_batch *b, selv *s) {
  const rt_value *data = rt_batch_col(b, op->in_col);
  rt_value *f = tmp_values(p, op->nslots + 1);
  size_t m = 0, hl = strlen(op->header);
  for (size_t i = 0; i < s->n; i++) {
    uint32_t r = s->rows[i];
    rt_value d = data[r];
    if (d.type == RT_STRING && d.u.str.len == hl && memcmp(d.u.str.ptr, op->header, hl) == 0)
      continue; /* the header line */
    if (d.type != RT_STRING ||
        csv_split(d.u.str.ptr, d.u.str.len, rt_batch_arena(b), f, op->nslots) != op->nslots ||
        !csv_row(op, b, r, f)) {
      p->st.bad++;
      continue;
    }
    s->rows[m++] = r;
  }
  s->n = m;
}

static void op_where(rt_pipeline *p, const pl_op *op, rt_batch *b, selv *s, int64_t now) {
  dsl_eval_ctx c = ectx(b, s, now);
  const rt_value *v = dsl_eval(op->expr, &c);
  size_t m = 0;
  for (size_t i = 0; i < s->n; i++)
    if (dsl_truthy(v[i]))
      s->rows[m++] = s->rows[i];
  p->st.filtered += s->n - m;
  s->n = m;
}

static void op_project(const pl_op *op, rt_batch *b, selv *s, int64_t now) {
  dsl_eval_ctx c = ectx(b, s, now);
  const rt_value **vals = rt_arena_alloc(rt_batch_arena(b), (size_t)op->nitems * sizeof(*vals));
  for (int k = 0; k < op->nitems; k++) /* all first: items may read each other's inputs */
    vals[k] = dsl_eval(op->items[k], &c);
  for (int k = 0; k < op->nitems; k++) {
    rt_value *col = rt_batch_col(b, op->item_cols[k]);
    for (size_t i = 0; i < s->n; i++)
      col[s->rows[i]] = vals[k][i];
  }
}

static void op_dedup(rt_pipeline *p, int idx, rt_batch *b, selv *s, int64_t now) {
  const pl_op *op = &p->plan->ops[idx];
  dsl_eval_ctx c = ectx(b, s, now);
  const rt_value *key = dsl_eval(op->expr, &c);
  const rt_value *tv = op->time ? dsl_eval(op->time, &c) : NULL;
  size_t m = 0;
  for (size_t i = 0; i < s->n; i++) {
    int64_t t = now;
    if (tv && !dsl_value_to_ms(tv[i], &t)) {
      p->st.bad++;
      continue;
    }
    if (rt_dedup_check(p->dedups[idx], key[i], t))
      s->rows[m++] = s->rows[i];
    else
      p->st.duplicates++;
  }
  s->n = m;
}

static void op_limit(rt_pipeline *p, int idx, selv *s) {
  uint64_t lim = (uint64_t)p->plan->ops[idx].limit, left = lim - p->seen[idx];
  if (s->n > left)
    s->n = (size_t)left;
  p->seen[idx] += s->n;
  if (p->seen[idx] >= lim)
    p->exhausted = true;
}

static void run_ops(rt_pipeline *p, rt_batch *b, selv *s, int64_t now) {
  for (int i = 0; i < p->plan->nops && s->n; i++) {
    const pl_op *op = &p->plan->ops[i];
    switch (op->kind) {
    case PL_PARSE_JSON: op_parse_json(p, op, b, s); break;
    case PL_PARSE_CSV: op_parse_csv(p, op, b, s); break;
    case PL_WHERE: op_where(p, op, b, s, now); break;
    case PL_PROJECT: op_project(op, b, s, now); break;
    case PL_DEDUP: op_dedup(p, i, b, s, now); break;
    case PL_LIMIT: op_limit(p, i, s); break;
    }
  }
}

/* ---- into the agg --------------------------------------------------------- */

static void on_window(void *vctx, rt_result *res);

static int64_t floor_div64(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Event-time sliding windows advance as the watermark crosses a slide
 * boundary, record by record, not only on ticks: which records are late then
 * depends on the order of the records alone, never on how they were cut into
 * batches, so replaying a file gives the same answer every time.
 */
static void watermark_step(rt_pipeline *p, int64_t t, emit_ctx *e) {
  const rt_window_opts *w = &p->plan->agg->wopts;
  if (!w->event_time || w->kind != RT_WINDOW_SLIDING)
    return;
  int64_t slide = w->slide_ms > 0 ? w->slide_ms : w->size_ms;
  int64_t idx = floor_div64(t - w->watermark_ms, slide);
  if (p->have_wm && idx <= p->wm_idx)
    return;
  p->have_wm = true;
  p->wm_idx = idx;
  rt_window_advance(p->win, e->now, on_window, e);
}

/* ---- the watermark of a partitioned source (rt_pipeline.h) ------------- */

/* The idle time: max(watermark delay, 2 tick intervals, IDLE_MIN_MS). */
enum { IDLE_MIN_MS = 5000 };

static int64_t idle_ms(const rt_pipeline *p) {
  int64_t wm = p->plan->agg->wopts.watermark_ms, two = 2 * p->tick_ms;
  int64_t t = wm > two ? wm : two;
  return t > IDLE_MIN_MS ? t : IDLE_MIN_MS;
}

static bool part_active(const rt_pipeline *p, const wm_part *q, int64_t now) {
  return !q->ended && now - q->last_ms < idle_ms(p);
}

/* The partition named n bytes at s, added when new. */
static int part_find(rt_pipeline *p, const char *s, size_t n) {
  const wm_part *h = p->nparts ? &p->parts[p->hot_part] : NULL;
  if (h && h->len == n && memcmp(h->name, s, n) == 0)
    return p->hot_part;
  int k = 0;
  while (k < p->nparts && !(p->parts[k].len == n && memcmp(p->parts[k].name, s, n) == 0))
    k++;
  if (k == p->nparts) {
    if (p->nparts == p->aparts) {
      p->aparts = p->aparts ? p->aparts * 2 : 4;
      p->parts = rt_xrealloc(p->parts, (size_t)p->aparts * sizeof(*p->parts));
    }
    char *name = rt_xmalloc(n + 1);
    memcpy(name, s, n);
    name[n] = 0;
    p->parts[p->nparts++] = (wm_part){.name = name, .len = n};
  }
  p->hot_part = k;
  return k;
}

/* Recomputes the min over the partitions active at now of their max time. */
static void part_min(rt_pipeline *p, int64_t now) {
  p->have_min = p->min_blocked = false;
  for (int k = 0; k < p->nparts; k++) {
    const wm_part *q = &p->parts[k];
    if (!part_active(p, q, now))
      continue;
    if (!q->has_max)
      p->min_blocked = true;
    else if (!p->have_min || q->max_t < p->min_max)
      p->min_max = q->max_t, p->have_min = true;
  }
}

/* The watermark the partitions allow at now; false while it cannot move. */
static bool part_watermark(const rt_pipeline *p, int64_t now, int64_t *wm) {
  if (p->min_blocked || !p->have_first || now - p->first_ms < idle_ms(p))
    return false; /* a partition not heard from yet may still come */
  bool any = p->have_min;
  int64_t t = p->min_max;
  for (int k = 0; !p->have_min && k < p->nparts; k++) /* all idle: newest */
    if (p->parts[k].has_max && (!any || p->parts[k].max_t > t))
      t = p->parts[k].max_t, any = true;
  if (!any)
    return false;
  *wm = t - p->plan->agg->wopts.watermark_ms;
  return true;
}

/* Advances the window to the partitions' watermark when it rose. */
static void part_advance(rt_pipeline *p, emit_ctx *e) {
  int64_t wm;
  if (!part_watermark(p, e->now, &wm) || (p->have_pwm && wm <= p->pwm))
    return;
  p->have_pwm = true;
  p->pwm = wm;
  rt_window_advance_to(p->win, wm, on_window, e);
}

/* Partition k accepted a record at event time t. O(1) unless k held the
 * min (then O(partitions)). */
static void part_step(rt_pipeline *p, int k, int64_t t, emit_ctx *e) {
  wm_part *q = &p->parts[k];
  if (q->has_max && t <= q->max_t)
    return;
  bool held_min = !q->has_max || !p->have_min || q->max_t <= p->min_max;
  q->max_t = t;
  q->has_max = true;
  if (!held_min)
    return;
  part_min(p, e->now);
  if (p->plan->agg->wopts.kind == RT_WINDOW_SLIDING)
    part_advance(p, e);
}

/* After a restore, at the first batch or tick: the restored partitions
 * count as heard from now, and the start grace is over (they hold the
 * watermark with their saved times, as before the checkpoint). */
static void part_resume(rt_pipeline *p, int64_t now) {
  if (!p->resumed)
    return;
  p->resumed = false;
  for (int k = 0; k < p->nparts; k++)
    p->parts[k].last_ms = now;
  p->have_first = true;
  p->first_ms = now - idle_ms(p);
}

/* Notes the partition of every record about to be added (all are active
 * now, and one not heard from before holds the watermark until its first
 * record is in); fills part[i] for row i of s. */
static void part_prepass(rt_pipeline *p, rt_batch *b, const selv *s, const rt_value *tv,
                         int *part, int64_t now) {
  const rt_value *col = rt_batch_col(b, p->part_col);
  part_resume(p, now);
  for (size_t i = 0; i < s->n; i++) {
    int64_t t;
    if (tv && !dsl_value_to_ms(tv[i], &t))
      continue;
    rt_value v = col[s->rows[i]];
    bool str = v.type == RT_STRING;
    part[i] = part_find(p, str ? v.u.str.ptr : "", str ? v.u.str.len : 0);
    p->parts[part[i]].last_ms = now;
    p->parts[part[i]].ended = false;
  }
  if (!p->have_first)
    p->first_ms = now, p->have_first = true;
  p->now_ms = now;
  part_min(p, now);
}

static void feed_window(rt_pipeline *p, rt_batch *b, const selv *s, emit_ctx *e) {
  int64_t now = e->now;
  const pl_agg *a = p->plan->agg;
  int nk = a->wopts.nkeys;
  dsl_eval_ctx c = ectx(b, s, now);
  rt_arena *ar = rt_batch_arena(b);
  const rt_value **keys = rt_arena_alloc(ar, (size_t)(nk + a->nargs + 1) * sizeof(*keys));
  const rt_value **args = keys + nk;
  for (int k = 0; k < nk; k++)
    keys[k] = dsl_eval(a->keys[k], &c);
  for (int k = 0; k < a->nargs; k++)
    args[k] = dsl_eval(a->args[k], &c);
  const rt_value *tv = a->time ? dsl_eval(a->time, &c) : NULL;
  int *part = NULL;
  if (p->part_col >= 0) {
    part = rt_arena_alloc(ar, s->n * sizeof(*part));
    part_prepass(p, b, s, tv, part, now);
  }
  rt_value *row = tmp_values(p, nk + a->nargs + 1), *arow = row + nk;
  for (size_t i = 0; i < s->n; i++) {
    int64_t t = now;
    if (tv && !dsl_value_to_ms(tv[i], &t)) {
      p->st.bad++;
      continue;
    }
    for (int k = 0; k < nk; k++)
      row[k] = keys[k][i];
    for (int k = 0; k < a->nargs; k++)
      arow[k] = args[k][i];
    bool ok = rt_window_add(p->win, row, arow, t);
    p->st.aggregated++;
    if (part) {
      if (ok)
        part_step(p, part[i], t, e);
    } else
      watermark_step(p, t, e);
  }
}

/* ---- the result phase ---------------------------------------------------- */

/* Loads res's rows into the scratch batch as columns (values borrowed). */
static rt_batch *load_result(rt_pipeline *p, const rt_result *res) {
  int nc = rt_result_ncols(res);
  if (rt_batch_ncols(p->scratch) < nc) {
    rt_batch_free(&p->scratch);
    p->scratch = rt_batch_new(nc);
  }
  rt_batch *b = p->scratch;
  rt_batch_reset(b);
  for (size_t i = 0; i < rt_result_nrows(res); i++) {
    size_t r = rt_batch_add_row(b);
    const rt_value *row = rt_result_row(res, i);
    for (int c = 0; c < nc; c++)
      rt_batch_set(b, r, c, row[c]);
  }
  return b;
}

static rt_result *result_like(const rt_result *old, int nc, const char *const *names) {
  rt_result *res = rt_result_new(nc, names);
  rt_result_set_window(res, rt_result_window_start(old), rt_result_window_end(old));
  return res;
}

static rt_result *rop_where(const pl_rop *r, rt_result *res, const rt_value *v) {
  int nc = rt_result_ncols(res);
  const char **names = rt_xcalloc((size_t)nc + 1, sizeof(char *));
  for (int c = 0; c < nc; c++)
    names[c] = rt_result_col_name(res, c);
  rt_result *out = result_like(res, nc, names);
  rt_free(names);
  for (size_t i = 0; i < rt_result_nrows(res); i++)
    if (dsl_truthy(v[i]))
      rt_result_add_row(out, rt_result_row(res, i));
  rt_result_free(&res);
  return out;
}

static rt_result *rop_project(const pl_rop *r, rt_result *res, const rt_value **vals) {
  rt_result *out = result_like(res, r->ncols_out, r->cols_out);
  rt_value *row = rt_xcalloc((size_t)r->ncols_out + 1, sizeof(rt_value));
  for (size_t i = 0; i < rt_result_nrows(res); i++) {
    const rt_value *in = rt_result_row(res, i);
    for (int c = 0; c < r->ncols_out; c++)
      row[c] = r->src_col[c] >= 0 ? in[r->src_col[c]] : vals[r->item_of[c]][i];
    rt_result_add_row(out, row);
  }
  rt_free(row);
  rt_result_free(&res);
  return out;
}

static rt_result *apply_rop(rt_pipeline *p, const pl_rop *r, rt_result *res, int64_t now) {
  if (r->kind == PL_R_LIMIT) {
    rt_result_limit(res, (size_t)r->n);
    return res;
  }
  rt_batch *b = load_result(p, res);
  dsl_eval_ctx c = {.batch = b, .n = rt_batch_nrows(b), .now_ms = now};
  int n = r->nitems > 0 ? r->nitems : 1;
  const rt_value **vals = rt_arena_alloc(rt_batch_arena(b), (size_t)n * sizeof(*vals));
  rt_sort_key *keys = rt_arena_alloc(rt_batch_arena(b), (size_t)n * sizeof(*keys));
  switch (r->kind) {
  case PL_R_WHERE:
    return rop_where(r, res, dsl_eval(r->expr, &c));
  case PL_R_PROJECT:
    for (int k = 0; k < r->nitems; k++)
      vals[k] = dsl_eval(r->items[k], &c);
    return rop_project(r, res, vals);
  case PL_R_TOP:
    rt_result_top(res, (size_t)r->n,
                  (rt_sort_key){.col = -1, .values = dsl_eval(r->expr, &c), .desc = r->top_desc});
    return res;
  default: /* PL_R_SORT */
    for (int k = 0; k < r->nitems; k++)
      keys[k] = (rt_sort_key){.col = -1, .values = dsl_eval(r->items[k], &c), .desc = r->desc[k]};
    rt_result_sort(res, keys, r->nitems);
    return res;
  }
}

/* The chart frame of a result: x, the ys and by, one row per result row. */
static rt_result *chart_frame(rt_pipeline *p, const rt_result *res, int64_t now) {
  const pl_output *o = &p->plan->out;
  int nc = 1 + o->nys + (o->by ? 1 : 0);
  const char **names = rt_xcalloc((size_t)nc, sizeof(char *));
  const rt_value **vals = rt_xcalloc((size_t)nc, sizeof(*vals));
  rt_batch *b = load_result(p, res);
  dsl_eval_ctx c = {.batch = b, .n = rt_batch_nrows(b), .now_ms = now};
  names[0] = o->x_name;
  vals[0] = dsl_eval(o->x, &c);
  for (int k = 0; k < o->nys; k++) {
    names[1 + k] = o->y_names[k];
    vals[1 + k] = dsl_eval(o->ys[k], &c);
  }
  if (o->by) {
    names[nc - 1] = o->by_name;
    vals[nc - 1] = dsl_eval(o->by, &c);
  }
  rt_result *frame = result_like(res, nc, names);
  rt_value *row = rt_xcalloc((size_t)nc, sizeof(rt_value));
  for (size_t i = 0; i < c.n; i++) {
    for (int k = 0; k < nc; k++)
      row[k] = vals[k][i];
    rt_result_add_row(frame, row);
  }
  rt_free(row);
  rt_free(vals);
  rt_free(names);
  return frame;
}

static void finish_result(rt_pipeline *p, rt_result_kind kind, rt_result *res, int64_t now,
                          rt_pipeline_emit_fn emit, void *ctx) {
  if (p->partials) { /* the merged result takes the result phase, not these */
    p->st.results++;
    emit(ctx, kind, res, NULL);
    return;
  }
  for (int i = 0; i < p->plan->nrops; i++)
    res = apply_rop(p, &p->plan->rops[i], res, now);
  rt_result *chart = p->plan->out.kind == DSL_OUT_CHART ? chart_frame(p, res, now) : NULL;
  p->st.results++;
  emit(ctx, kind, res, chart);
}

static void on_window(void *vctx, rt_result *res) {
  emit_ctx *e = vctx;
  finish_result(e->p, e->kind, res, e->now, e->emit, e->ctx);
}

static void emit_records(rt_pipeline *p, rt_batch *b, const selv *s, int64_t now,
                         rt_pipeline_emit_fn emit, void *ctx) {
  const dsl_plan *pl = p->plan;
  rt_result *res = rt_result_new(pl->nvis, pl->vis_names);
  rt_value *row = tmp_values(p, pl->nvis + 1);
  for (size_t i = 0; i < s->n; i++) {
    for (int c = 0; c < pl->nvis; c++)
      row[c] = rt_batch_col(b, pl->vis_cols[c])[s->rows[i]];
    rt_result_add_row(res, row);
  }
  p->st.aggregated += s->n;
  finish_result(p, RT_RESULT_RECORDS, res, now, emit, ctx);
}

static rt_result_kind agg_kind(const rt_pipeline *p) {
  return p->plan->agg->wopts.kind == RT_WINDOW_RUNNING ? RT_RESULT_RUNNING : RT_RESULT_WINDOW;
}

void rt_pipeline_batch(rt_pipeline *p, rt_batch *b, int64_t now, rt_pipeline_emit_fn emit,
                       void *ctx) {
  size_t n = rt_batch_nrows(b);
  p->st.records_in += n;
  if (!n || p->exhausted)
    return;
  selv s = {rt_arena_alloc(rt_batch_arena(b), n * sizeof(uint32_t)), n, n};
  for (size_t i = 0; i < n; i++)
    s.rows[i] = (uint32_t)i;
  run_ops(p, b, &s, now);
  if (!s.n)
    return;
  if (p->win) {
    emit_ctx e = {p, agg_kind(p), emit, ctx, now};
    feed_window(p, b, &s, &e);
  } else
    emit_records(p, b, &s, now, emit, ctx);
}


void rt_pipeline_tick(rt_pipeline *p, int64_t now, rt_pipeline_emit_fn emit, void *ctx) {
  if (!p->win)
    return;
  emit_ctx e = {p, agg_kind(p), emit, ctx, now};
  if (p->part_col < 0) {
    rt_window_advance(p->win, now, on_window, &e);
    return;
  }
  if (p->last_tick >= 0 && now > p->last_tick)
    p->tick_ms = now - p->last_tick;
  p->last_tick = p->now_ms = now;
  part_resume(p, now);
  part_min(p, now); /* partitions may have gone idle */
  part_advance(p, &e);
}

void rt_pipeline_emit_window(rt_pipeline *p, rt_result *res, int64_t now,
                             rt_pipeline_emit_fn emit, void *ctx) {
  finish_result(p, RT_RESULT_WINDOW, res, now, emit, ctx);
}

void rt_pipeline_advance_to(rt_pipeline *p, int64_t wm, int64_t now, rt_pipeline_emit_fn emit,
                            void *ctx) {
  if (!p->win || p->part_col < 0 || (p->have_pwm && wm <= p->pwm))
    return;
  emit_ctx e = {p, agg_kind(p), emit, ctx, now};
  p->have_pwm = true;
  p->pwm = wm;
  rt_window_advance_to(p->win, wm, on_window, &e);
}

bool rt_pipeline_watermark(const rt_pipeline *p, int64_t *wm) {
  if (p->have_pwm)
    *wm = p->pwm;
  return p->have_pwm;
}

void rt_pipeline_partition_ended(rt_pipeline *p, const char *partition) {
  if (p->part_col < 0)
    return;
  for (int k = 0; k < p->nparts; k++)
    if (strcmp(p->parts[k].name, partition) == 0)
      p->parts[k].ended = true;
  part_min(p, p->now_ms); /* the next record or tick advances past it */
}

void rt_pipeline_finish(rt_pipeline *p, int64_t now, rt_pipeline_emit_fn emit, void *ctx) {
  if (!p->win)
    return;
  emit_ctx e = {p, agg_kind(p), emit, ctx, now};
  rt_window_close_all(p->win, on_window, &e);
}

/* ---- checkpoints ---------------------------------------------------------- */

/* Layout, little-endian: "EDP2", u32 nops, nops x u64 LIMIT counts, u8
 * exhausted; per DEDUP op (in op order) u64 bytes and the rt_dedup_save()
 * bytes; the partitioned watermark: u8 have, u64 wm, u32 partitions, each
 * u32 name length, the name, u8 has max, u64 max, u8 ended; then u8 has
 * window, u64 window bytes, the rt_window_save() bytes. "EDP1" (before dedup
 * and partitions were saved) has neither section and is still read. */
static const char CKPT_MAGIC[4] = {'E', 'D', 'P', '2'};
static const char CKPT_MAGIC_V1[4] = {'E', 'D', 'P', '1'};

static int put_u64(rt_buf *out, uint64_t v, int n) {
  unsigned char b[8];
  for (int i = 0; i < n; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  return rt_buf_append(out, b, (size_t)n);
}

static bool get_u64(const unsigned char **p, const unsigned char *end, int n, uint64_t *v) {
  if (end - *p < n)
    return false;
  *v = 0;
  for (int i = 0; i < n; i++)
    *v |= (uint64_t)(*p)[i] << (8 * i);
  *p += n;
  return true;
}

bool rt_pipeline_stateful(const rt_pipeline *p) {
  if (p->win)
    return true;
  for (int i = 0; i < p->plan->nops; i++)
    if (p->plan->ops[i].kind == PL_LIMIT)
      return true;
  return false;
}

/* Appends a u64 length, then what fn appends, and fills the length in. */
static int put_sized(rt_buf *out, int (*fn)(const void *, rt_buf *), const void *obj) {
  size_t at = out->len;
  int rc = put_u64(out, 0, 8);
  size_t from = out->len;
  rc = rc ? rc : fn(obj, out);
  if (rc == 0) {
    uint64_t n = out->len - from;
    for (int i = 0; i < 8; i++)
      out->data[at + (size_t)i] = (char)(unsigned char)(n >> (8 * i));
  }
  return rc;
}

static int save_dedup(const void *d, rt_buf *out) { return rt_dedup_save(d, out); }
static int save_window(const void *w, rt_buf *out) { return rt_window_save(w, out); }

static int save_parts(const rt_pipeline *p, rt_buf *out) {
  int rc = put_u64(out, p->have_pwm, 1);
  rc = rc ? rc : put_u64(out, (uint64_t)p->pwm, 8);
  rc = rc ? rc : put_u64(out, (uint64_t)p->nparts, 4);
  for (int k = 0; rc == 0 && k < p->nparts; k++) {
    const wm_part *q = &p->parts[k];
    rc = put_u64(out, q->len, 4);
    rc = rc ? rc : rt_buf_append(out, q->name, q->len);
    rc = rc ? rc : put_u64(out, q->has_max, 1);
    rc = rc ? rc : put_u64(out, (uint64_t)q->max_t, 8);
    rc = rc ? rc : put_u64(out, q->ended, 1);
  }
  return rc;
}

int rt_pipeline_save(const rt_pipeline *p, rt_buf *out) {
  int rc = rt_buf_append(out, CKPT_MAGIC, 4);
  rc = rc ? rc : put_u64(out, (uint64_t)p->plan->nops, 4);
  for (int i = 0; rc == 0 && i < p->plan->nops; i++)
    rc = put_u64(out, p->seen[i], 8);
  rc = rc ? rc : put_u64(out, p->exhausted, 1);
  for (int i = 0; rc == 0 && i < p->plan->nops; i++)
    if (p->dedups[i])
      rc = put_sized(out, save_dedup, p->dedups[i]);
  rc = rc ? rc : save_parts(p, out);
  rc = rc ? rc : put_u64(out, p->win != NULL, 1);
  if (rc || !p->win)
    return rc;
  return put_sized(out, save_window, p->win);
}

/* Reads the partitioned watermark section into p. */
static int restore_parts(rt_pipeline *p, const unsigned char **s, const unsigned char *end,
                         rt_err *err) {
  uint64_t have, wm, n, len, has_max, max_t, ended;
  if (!get_u64(s, end, 1, &have) || !get_u64(s, end, 8, &wm) || !get_u64(s, end, 4, &n))
    return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
  p->have_pwm = have != 0;
  p->pwm = (int64_t)wm;
  for (uint64_t k = 0; k < n; k++) {
    if (!get_u64(s, end, 4, &len) || (uint64_t)(end - *s) < len)
      return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
    int i = part_find(p, (const char *)*s, (size_t)len);
    *s += len;
    if (!get_u64(s, end, 1, &has_max) || !get_u64(s, end, 8, &max_t) ||
        !get_u64(s, end, 1, &ended))
      return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
    p->parts[i].has_max = has_max != 0;
    p->parts[i].max_t = (int64_t)max_t;
    p->parts[i].ended = ended != 0;
  }
  p->resumed = n > 0 || p->have_pwm;
  return 0;
}

static int restore_state(rt_pipeline *p, const void *data, size_t len, rt_err *err) {
  const unsigned char *s = data, *end = s + len;
  uint64_t nops, v, has_win, wlen;
  bool v1 = len >= 4 && memcmp(s, CKPT_MAGIC_V1, 4) == 0;
  if (len < 4 || (!v1 && memcmp(s, CKPT_MAGIC, 4) != 0))
    return rt_err_set(err, RT_EBADREC, "checkpointed query state: bad header");
  s += 4;
  if (!get_u64(&s, end, 4, &nops) || nops != (uint64_t)p->plan->nops)
    return rt_err_set(err, RT_EINVAL, "checkpointed query state is of a different query");
  for (int i = 0; i < p->plan->nops; i++) {
    if (!get_u64(&s, end, 8, &v))
      return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
    p->seen[i] = v;
  }
  if (!get_u64(&s, end, 1, &v))
    return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
  p->exhausted = v != 0;
  for (int i = 0; !v1 && i < p->plan->nops; i++) {
    if (!p->dedups[i])
      continue;
    if (!get_u64(&s, end, 8, &v) || v > (uint64_t)(end - s))
      return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
    int rc = rt_dedup_restore(p->dedups[i], s, (size_t)v, err);
    if (rc)
      return rc;
    s += v;
  }
  if (!v1) {
    int rc = restore_parts(p, &s, end, err);
    if (rc)
      return rc;
  }
  if (!get_u64(&s, end, 1, &has_win))
    return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
  if ((has_win != 0) != (p->win != NULL))
    return rt_err_set(err, RT_EINVAL, "checkpointed query state is of a different query");
  if (!p->win)
    return s == end ? 0 : rt_err_set(err, RT_EBADREC, "checkpointed query state: extra bytes");
  if (!get_u64(&s, end, 8, &wlen) || wlen != (uint64_t)(end - s))
    return rt_err_set(err, RT_EBADREC, "checkpointed query state is truncated");
  return rt_window_restore(p->win, s, (size_t)wlen, err);
}

/* Puts back what a restore that failed part way had already set: p is as
 * new again (a damaged state must not leave LIMIT counts, remembered keys
 * or partition times behind). The window operator empties itself when its
 * own restore fails, and is untouched when the failure came before it. */
static void forget_restored(rt_pipeline *p) {
  int nops = p->plan->nops;
  memset(p->seen, 0, (size_t)(nops ? nops : 1) * sizeof(*p->seen));
  p->exhausted = false;
  for (int i = 0; i < nops; i++) {
    if (!p->dedups[i])
      continue;
    rt_dedup_free(&p->dedups[i]);
    p->dedups[i] = rt_dedup_new(p->plan->ops[i].within_ms, 0);
  }
  for (int i = 0; i < p->nparts; i++)
    rt_free(p->parts[i].name);
  p->nparts = 0;
  p->hot_part = 0;
  p->have_pwm = false;
  p->pwm = 0;
  p->resumed = false;
}

int rt_pipeline_restore(rt_pipeline *p, const void *data, size_t len, rt_err *err) {
  int rc = restore_state(p, data, len, err);
  if (rc != 0)
    forget_restored(p);
  return rc;
}
