/*
 * The query compiler: walks a chain of stages once, keeping the scope of
 * names a stage can see (record columns, or result columns after `agg`), and
 * emits the plan of dsl_plan_int.h. Field resolution is where `parse json`
 * learns which paths to extract: an unknown name after `parse json` becomes
 * one more path (and one more batch column) instead of an error.
 */
#include "dsl_plan_int.h"

#include "rt_mem.h"

#include <stdio.h>
#include <string.h>

typedef struct scope_ent {
  const char *name; /* field name as written ("a.b") */
  int col;          /* batch column (record phase) */
} scope_ent;

typedef struct cc {
  dsl_plan *p;
  rt_err *err;
  const char *src;     /* text of the stage being compiled */
  scope_ent *ents;     /* record scope */
  int nents, cap;
  int json_op;         /* index of the open parse json op, or -1 */
  bool closed;         /* fields are known: unknown names are errors */
  bool parsed_csv;     /* `data` was split by parse csv */
  bool in_result;      /* after agg (or sort/top): names are result columns */
  const char **rnames; /* result scope */
  int nr;
  const dsl_stage *win; /* pending window/session stage, or NULL */
  const char *win_src;
  dsl_cx *win_time;    /* its event-time expression */
} cc;

static const char *const file_cols[] = {"data"};
static const char *const demo_cols[] = {"device_id", "temperature", "humidity", "ts"};
static const char *const kinesis_cols[] = {"data", "partition_key", "sequence", "shard",
                                           "arrival"};

const char *const *dsl_plan_source_cols(dsl_source_kind kind, int *n) {
  switch (kind) {
  case DSL_SRC_DEMO: *n = 4; return demo_cols;
  case DSL_SRC_KINESIS: *n = 5; return kinesis_cols;
  default: *n = 1; return file_cols;
  }
}

static char *pstr(cc *c, const char *s) { return rt_arena_strndup(c->p->arena, s, strlen(s)); }

static int span_err(cc *c, int code, dsl_span sp, const char *msg) {
  return rt_err_set_at(c->err, code, c->src, sp.off, sp.len, "%s", msg);
}

static void scope_add(cc *c, const char *name, int col) {
  for (int i = 0; i < c->nents; i++)
    if (strcmp(c->ents[i].name, name) == 0) {
      c->ents[i].col = col;
      return;
    }
  if (c->nents == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 16;
    c->ents = rt_xrealloc(c->ents, (size_t)c->cap * sizeof(*c->ents));
  }
  c->ents[c->nents++] = (scope_ent){pstr(c, name), col};
}

static int scope_find(const cc *c, const char *name) {
  for (int i = 0; i < c->nents; i++)
    if (strcmp(c->ents[i].name, name) == 0)
      return c->ents[i].col;
  return -1;
}

/* Lists the names in scope into buf, for "unknown field" messages. */
static void list_names(const char *const *names, int n, char *buf, size_t sz) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < n && k + 4 < sz; i++)
    k += (size_t)snprintf(buf + k, sz - k, "%s%s", i ? ", " : "", names[i]);
}

/* Adds a JSON path for field f to the open parse json op; returns its column. */
static int json_add(cc *c, const dsl_expr *f) {
  pl_op *op = &c->p->ops[c->json_op];
  int slot = rt_json_paths_add(op->paths, f->u.field.parts, f->u.field.nparts);
  if (slot >= op->nslots) {
    if (slot >= op->slots_cap) {
      op->slots_cap = op->slots_cap ? op->slots_cap * 2 : 16;
      op->slot_cols = rt_xrealloc(op->slot_cols, (size_t)op->slots_cap * sizeof(int));
    }
    op->slot_cols[slot] = c->p->ncols++;
    op->nslots = slot + 1;
    scope_add(c, f->u.field.text, op->slot_cols[slot]);
  }
  return op->slot_cols[slot];
}

static int rec_resolve(void *ctx, const dsl_expr *f, rt_err *err) {
  cc *c = ctx;
  int col = scope_find(c, f->u.field.text);
  if (col >= 0)
    return col;
  if (c->json_op >= 0 && !c->closed)
    return json_add(c, f);
  const char *names[64];
  int n = c->nents < 64 ? c->nents : 64;
  for (int i = 0; i < n; i++)
    names[i] = c->ents[i].name;
  char list[200];
  list_names(names, n, list, sizeof(list));
  return rt_err_set_at(err, RT_ETYPE, c->src, f->span.off, f->span.len,
                       "unknown field %s (fields here: %s)", f->u.field.text, list);
}

/* A record stream's result (no agg, no select since) can still reach more
 * JSON fields: sort, top or a chart may name one nothing used before. The
 * field becomes one more path and one more visible column at the end, so
 * the columns earlier stages resolved keep their indexes. */
static int vis_add_json(cc *c, const dsl_expr *f) {
  dsl_plan *p = c->p;
  int col = json_add(c, f);
  const char **names = rt_arena_calloc(p->arena, (size_t)p->nvis + 2, sizeof(char *));
  int *cols = rt_arena_calloc(p->arena, (size_t)p->nvis + 2, sizeof(int));
  memcpy(names, p->vis_names, (size_t)p->nvis * sizeof(char *));
  memcpy(cols, p->vis_cols, (size_t)p->nvis * sizeof(int));
  names[p->nvis] = pstr(c, f->u.field.text);
  cols[p->nvis] = col;
  p->vis_names = names;
  p->vis_cols = cols;
  c->rnames = names;
  c->nr = ++p->nvis;
  return p->nvis - 1;
}

static int res_resolve(void *ctx, const dsl_expr *f, rt_err *err) {
  cc *c = ctx;
  for (int i = 0; i < c->nr; i++)
    if (strcmp(c->rnames[i], f->u.field.text) == 0)
      return i;
  if (!c->p->agg && c->json_op >= 0 && !c->closed && c->rnames == c->p->vis_names)
    return vis_add_json(c, f);
  char list[200];
  list_names(c->rnames, c->nr, list, sizeof(list));
  return rt_err_set_at(err, RT_ETYPE, c->src, f->span.off, f->span.len,
                       "unknown column %s (columns here: %s)", f->u.field.text, list);
}

static int build(cc *c, const dsl_expr *e, dsl_cx **out) {
  return dsl_cx_build(c->p->pool, e, c->src, c->in_result ? res_resolve : rec_resolve, c, out,
                      c->err);
}

static pl_op *op_new(cc *c, pl_op_kind kind) {
  pl_op *op = &c->p->ops[c->p->nops++];
  op->kind = kind;
  return op;
}

static pl_rop *rop_new(cc *c, pl_rop_kind kind) {
  pl_rop *r = &c->p->rops[c->p->nrops++];
  r->kind = kind;
  return r;
}

/* Leaves the record phase without an agg: the visible fields become the
 * result columns of each batch. */
static void enter_result(cc *c) {
  dsl_plan *p = c->p;
  int n = 0;
  p->vis_names = rt_arena_calloc(p->arena, (size_t)c->nents + 1, sizeof(char *));
  p->vis_cols = rt_arena_calloc(p->arena, (size_t)c->nents + 1, sizeof(int));
  for (int i = 0; i < c->nents; i++) {
    if (c->parsed_csv && strcmp(c->ents[i].name, "data") == 0)
      continue; /* split into its columns */
    p->vis_names[n] = c->ents[i].name;
    p->vis_cols[n++] = c->ents[i].col;
  }
  p->nvis = n;
  c->rnames = p->vis_names;
  c->nr = n;
  c->in_result = true;
}

static int st_parse(cc *c, const dsl_stage *st) {
  int data = scope_find(c, "data");
  if (data < 0)
    return span_err(c, RT_ETYPE, st->span, "parse needs a `data` field, which this "
                                           "stream does not have");
  pl_op *op = op_new(c, st->kind == DSL_ST_PARSE_JSON ? PL_PARSE_JSON : PL_PARSE_CSV);
  op->in_col = data;
  if (st->kind == DSL_ST_PARSE_JSON) {
    op->paths = rt_json_paths_new();
    c->json_op = (int)(op - c->p->ops);
    c->closed = false;
    return 0;
  }
  int n = st->u.csv.ncols;
  op->nslots = n;
  op->csv_cols = rt_arena_calloc(c->p->arena, (size_t)n, sizeof(int));
  op->csv_types = rt_arena_calloc(c->p->arena, (size_t)n, sizeof(dsl_type));
  rt_buf hdr;
  rt_buf_init(&hdr, 0);
  for (int i = 0; i < n; i++) {
    op->csv_cols[i] = c->p->ncols++;
    op->csv_types[i] = st->u.csv.cols[i].type;
    scope_add(c, st->u.csv.cols[i].name, op->csv_cols[i]);
    rt_buf_printf(&hdr, "%s%s", i ? "," : "", st->u.csv.cols[i].name);
  }
  op->header = rt_arena_strndup(c->p->arena, hdr.data ? hdr.data : "", hdr.len);
  rt_buf_free(&hdr);
  c->json_op = -1;
  c->closed = true;
  c->parsed_csv = true;
  return 0;
}

static int st_where(cc *c, const dsl_stage *st) {
  dsl_cx *e;
  int rc = build(c, st->u.where, &e);
  if (rc < 0)
    return rc;
  if (c->in_result)
    rop_new(c, PL_R_WHERE)->expr = e;
  else
    op_new(c, PL_WHERE)->expr = e;
  return 0;
}

/* select/extend over records: each item gets a fresh column. */
static int st_project_rec(cc *c, const dsl_stage *st) {
  int n = st->u.select.nitems, rc;
  pl_op *op = op_new(c, PL_PROJECT);
  op->nitems = n;
  op->items = rt_arena_calloc(c->p->arena, (size_t)n, sizeof(dsl_cx *));
  op->item_cols = rt_arena_calloc(c->p->arena, (size_t)n, sizeof(int));
  for (int i = 0; i < n; i++) {
    if ((rc = build(c, st->u.select.items[i].expr, &op->items[i])) < 0)
      return rc;
    op->item_cols[i] = c->p->ncols++;
  }
  if (st->kind == DSL_ST_SELECT) {
    c->nents = 0;
    c->closed = true;
    c->json_op = -1;
    c->parsed_csv = false;
  }
  for (int i = 0; i < n; i++)
    scope_add(c, st->u.select.items[i].name, op->item_cols[i]);
  return 0;
}

/* select/extend over result rows: the new result's columns. */
static int st_project_res(cc *c, const dsl_stage *st) {
  int n = st->u.select.nitems, rc;
  bool ext = st->kind == DSL_ST_EXTEND;
  pl_rop *r = rop_new(c, PL_R_PROJECT);
  r->nitems = n;
  r->items = rt_arena_calloc(c->p->arena, (size_t)n, sizeof(dsl_cx *));
  int max = (ext ? c->nr : 0) + n;
  r->cols_out = rt_arena_calloc(c->p->arena, (size_t)max, sizeof(char *));
  r->src_col = rt_arena_calloc(c->p->arena, (size_t)max, sizeof(int));
  r->item_of = rt_arena_calloc(c->p->arena, (size_t)max, sizeof(int));
  for (int i = 0; i < n; i++)
    if ((rc = build(c, st->u.select.items[i].expr, &r->items[i])) < 0)
      return rc;
  int k = 0;
  for (int i = 0; ext && i < c->nr; i++, k++) {
    r->cols_out[k] = c->rnames[i];
    r->src_col[k] = i;
  }
  for (int i = 0; i < n; i++) {
    const char *name = st->u.select.items[i].name;
    int at = k;
    for (int j = 0; j < k; j++)
      if (strcmp(r->cols_out[j], name) == 0)
        at = j;
    r->cols_out[at] = pstr(c, name);
    r->src_col[at] = -1;
    r->item_of[at] = i;
    k += at == k;
  }
  r->ncols_out = k;
  c->rnames = r->cols_out;
  c->nr = k;
  return 0;
}

static int st_window(cc *c, const dsl_stage *st) {
  if (c->in_result)
    return span_err(c, RT_ETYPE, st->span, "a window must come before agg, top and sort");
  if (c->win)
    return span_err(c, RT_ETYPE, st->span, "one window per query: this one has no agg "
                                           "before it");
  c->win = st;
  c->win_src = c->src;
  c->win_time = NULL;
  const dsl_expr *on = st->kind == DSL_ST_WINDOW ? st->u.window.on : st->u.session.on;
  return on ? build(c, on, &c->win_time) : 0;
}

/* Index of the argument expression with the same text, adding it if new. */
static int agg_arg(cc *c, pl_agg *a, const char **texts, const dsl_expr *e, int *rc) {
  const char *t = rt_arena_strndup(c->p->arena, c->src + e->span.off, (size_t)e->span.len);
  for (int i = 0; i < a->nargs; i++)
    if (strcmp(texts[i], t) == 0)
      return i;
  texts[a->nargs] = t;
  *rc = build(c, e, &a->args[a->nargs]);
  return a->nargs++;
}

static void agg_window_opts(cc *c, pl_agg *a) {
  rt_window_opts *w = &a->wopts;
  const dsl_stage *st = c->win;
  if (!st) {
    w->kind = RT_WINDOW_RUNNING;
  } else if (st->kind == DSL_ST_WINDOW) {
    w->kind = RT_WINDOW_SLIDING;
    w->size_ms = st->u.window.size_ms;
    w->slide_ms = st->u.window.slide_ms;
    w->event_time = st->u.window.on != NULL;
    w->watermark_ms = st->u.window.watermark_ms;
  } else {
    w->kind = RT_WINDOW_SESSION;
    w->gap_ms = st->u.session.gap_ms;
    w->event_time = st->u.session.on != NULL;
  }
  a->time = c->win_time;
}

/* The result columns of an agg: window bounds, keys, aggregates. */
static void agg_result_names(cc *c, const pl_agg *a) {
  const rt_window_opts *w = &a->wopts;
  int win = w->kind == RT_WINDOW_RUNNING ? 0 : 2, n = win + w->nkeys + w->naggs, k = 0;
  const char **names = rt_arena_calloc(c->p->arena, (size_t)n, sizeof(char *));
  if (win) {
    names[k++] = "window_start";
    names[k++] = "window_end";
  }
  for (int i = 0; i < w->nkeys; i++)
    names[k++] = w->key_names[i];
  for (int i = 0; i < w->naggs; i++)
    names[k++] = w->agg_names[i];
  c->rnames = names;
  c->nr = n;
  c->in_result = true;
}

static int st_agg(cc *c, const dsl_stage *st) {
  if (c->in_result)
    return span_err(c, RT_ETYPE, st->span, "one agg per query, before top, sort and limit");
  dsl_plan *p = c->p;
  int nk = st->u.agg.nkeys, na = st->u.agg.naggs, rc = 0;
  pl_agg *a = p->agg = rt_arena_calloc(p->arena, 1, sizeof(*a));
  agg_window_opts(c, a);
  a->keys = rt_arena_calloc(p->arena, (size_t)nk + 1, sizeof(dsl_cx *));
  const char **knames = rt_arena_calloc(p->arena, (size_t)nk + 1, sizeof(char *));
  for (int i = 0; i < nk && rc == 0; i++) {
    rc = build(c, st->u.agg.keys[i].expr, &a->keys[i]);
    knames[i] = pstr(c, st->u.agg.keys[i].name);
  }
  a->args = rt_arena_calloc(p->arena, (size_t)na + 1, sizeof(dsl_cx *));
  const char **texts = rt_arena_calloc(p->arena, (size_t)na + 1, sizeof(char *));
  rt_agg_spec *specs = rt_arena_calloc(p->arena, (size_t)na, sizeof(*specs));
  const char **anames = rt_arena_calloc(p->arena, (size_t)na, sizeof(char *));
  for (int i = 0; i < na && rc == 0; i++) {
    const dsl_agg *g = &st->u.agg.aggs[i];
    specs[i].kind = (rt_agg_kind)g->fn;
    specs[i].arg = g->arg ? agg_arg(c, a, texts, g->arg, &rc) : -1;
    anames[i] = pstr(c, g->name);
  }
  if (rc < 0)
    return rc;
  a->wopts.nkeys = nk;
  a->wopts.key_names = knames;
  a->wopts.naggs = na;
  a->wopts.aggs = specs;
  a->wopts.agg_names = anames;
  rt_window *probe = rt_window_new(&a->wopts, c->err);
  if (!probe) { /* inconsistent sizes: point at the window stage */
    char msg[sizeof(c->err->msg)];
    snprintf(msg, sizeof(msg), "%s", c->err ? c->err->msg : "bad window");
    const dsl_stage *at = c->win ? c->win : st;
    return rt_err_set_at(c->err, RT_ETYPE, c->win ? c->win_src : c->src, at->span.off,
                         at->span.len, "%s", msg);
  }
  rt_window_free(&probe);
  c->win = NULL;
  agg_result_names(c, a);
  return 0;
}

static int st_rank(cc *c, const dsl_stage *st) {
  int rc;
  if (!c->in_result)
    enter_result(c);
  if (st->kind == DSL_ST_LIMIT) {
    rop_new(c, PL_R_LIMIT)->n = st->u.limit;
    return 0;
  }
  if (st->kind == DSL_ST_TOP) {
    pl_rop *r = rop_new(c, PL_R_TOP);
    r->n = st->u.top.n;
    r->top_desc = st->u.top.desc;
    return build(c, st->u.top.by, &r->expr);
  }
  pl_rop *r = rop_new(c, PL_R_SORT);
  r->nitems = st->u.sort.nkeys;
  r->items = rt_arena_calloc(c->p->arena, (size_t)r->nitems, sizeof(dsl_cx *));
  r->desc = rt_arena_calloc(c->p->arena, (size_t)r->nitems, sizeof(bool));
  for (int i = 0; i < r->nitems; i++) {
    r->desc[i] = st->u.sort.keys[i].desc;
    if ((rc = build(c, st->u.sort.keys[i].expr, &r->items[i])) < 0)
      return rc;
  }
  return 0;
}

static int st_dedup(cc *c, const dsl_stage *st) {
  if (c->in_result)
    return span_err(c, RT_ETYPE, st->span, "dedup works on records: put it before agg, "
                                           "top and sort");
  pl_op *op = op_new(c, PL_DEDUP);
  op->within_ms = st->u.dedup.within_ms;
  int rc = build(c, st->u.dedup.key, &op->expr);
  if (rc == 0 && st->u.dedup.on)
    rc = build(c, st->u.dedup.on, &op->time);
  return rc;
}

static int compile_stage(cc *c, const dsl_stage *st) {
  switch (st->kind) {
  case DSL_ST_PARSE_JSON:
  case DSL_ST_PARSE_CSV:
    if (c->in_result)
      return span_err(c, RT_ETYPE, st->span, "parse works on records: put it first");
    return st_parse(c, st);
  case DSL_ST_WHERE:
    return st_where(c, st);
  case DSL_ST_SELECT:
  case DSL_ST_EXTEND:
    return c->in_result ? st_project_res(c, st) : st_project_rec(c, st);
  case DSL_ST_WINDOW:
  case DSL_ST_SESSION:
    return st_window(c, st);
  case DSL_ST_AGG:
    return st_agg(c, st);
  case DSL_ST_LIMIT:
    if (!c->in_result && !c->win) { /* a limit on the stream of records */
      op_new(c, PL_LIMIT)->limit = st->u.limit;
      c->p->bounded = true;
      return 0;
    }
    return st_rank(c, st);
  case DSL_ST_TOP:
  case DSL_ST_SORT:
    return st_rank(c, st);
  case DSL_ST_DEDUP:
    return st_dedup(c, st);
  case DSL_ST_FOR:
    c->p->for_ms = st->u.for_ms;
    c->p->bounded = true;
    return 0;
  }
  return span_err(c, RT_EUNSUPPORTED, st->span, "unknown stage");
}

static int compile_chart(cc *c, const dsl_output *o) {
  pl_output *po = &c->p->out;
  int rc;
  po->chart_kind = o->u.chart.kind;
  po->title = o->u.chart.title ? pstr(c, o->u.chart.title) : NULL;
  po->x_name = pstr(c, o->u.chart.x.name);
  if ((rc = build(c, o->u.chart.x.expr, &po->x)) < 0)
    return rc;
  po->nys = o->u.chart.nys;
  po->ys = rt_arena_calloc(c->p->arena, (size_t)po->nys, sizeof(dsl_cx *));
  po->y_names = rt_arena_calloc(c->p->arena, (size_t)po->nys, sizeof(char *));
  for (int i = 0; i < po->nys; i++) {
    po->y_names[i] = pstr(c, o->u.chart.ys[i].name);
    if ((rc = build(c, o->u.chart.ys[i].expr, &po->ys[i])) < 0)
      return rc;
  }
  if (o->u.chart.by.expr) {
    po->by_name = pstr(c, o->u.chart.by.name);
    return build(c, o->u.chart.by.expr, &po->by);
  }
  return 0;
}

/* `into kinesis "S" [key EXPR]`: the key names a result column. */
static int compile_into_kinesis(cc *c, const dsl_output *o, const char *src) {
  pl_output *po = &c->p->out;
  po->stream = pstr(c, o->u.kinesis.stream);
  po->key_col = -1;
  const dsl_expr *k = o->u.kinesis.key;
  if (!k)
    return 0;
  if (k->kind != DSL_EX_FIELD)
    return rt_err_set_at(c->err, RT_EUNSUPPORTED, src, k->span.off, k->span.len,
                         "the key of into kinesis must name a column of the result (add it "
                         "with extend first)");
  int col = res_resolve(c, k, c->err);
  if (col < 0)
    return col;
  po->key_col = col;
  return 0;
}

static int compile_output(cc *c, const dsl_output *o, const char *src) {
  pl_output *po = &c->p->out;
  c->src = src;
  if (c->win)
    return rt_err_set_at(c->err, RT_ETYPE, c->win_src, c->win->span.off, c->win->span.len,
                         "a window needs an agg after it");
  if (!c->in_result)
    enter_result(c);
  po->kind = o ? o->kind : DSL_OUT_TABLE;
  po->table_limit = o && o->kind == DSL_OUT_TABLE ? o->u.table.limit : -1;
  int rc = 0;
  if (o && o->kind == DSL_OUT_CHART)
    rc = compile_chart(c, o);
  else if (o && o->kind == DSL_OUT_INTO_FILE)
    po->path = pstr(c, o->u.file.path);
  else if (o && o->kind == DSL_OUT_INTO_KINESIS)
    rc = compile_into_kinesis(c, o, src);
  c->p->nres_cols = c->nr; /* after the chart: it may add a JSON field */
  c->p->res_cols = c->rnames;
  return rc;
}

static void copy_source(cc *c, const dsl_source *s) {
  dsl_plan *p = c->p;
  char desc[600];
  p->source = *s;
  switch (s->kind) {
  case DSL_SRC_FILE:
    p->source.u.file.path = pstr(c, s->u.file.path);
    snprintf(desc, sizeof(desc), "file \"%s\"", s->u.file.path);
    p->bounded = true;
    break;
  case DSL_SRC_KINESIS:
    p->source.u.kinesis.stream = pstr(c, s->u.kinesis.stream);
    p->source.u.kinesis.app = s->u.kinesis.app ? pstr(c, s->u.kinesis.app) : NULL;
    snprintf(desc, sizeof(desc), "kinesis \"%s\"", s->u.kinesis.stream);
    p->bounded = s->u.kinesis.until_now;
    break;
  default:
    p->source.u.demo.generator = pstr(c, s->u.demo.generator ? s->u.demo.generator : "sensors");
    snprintf(desc, sizeof(desc), "demo %s", p->source.u.demo.generator);
    p->bounded = s->u.demo.limit >= 0;
    break;
  }
  p->source_desc = pstr(c, desc);
}

static void plan_init(cc *c, const dsl_chain *chain) {
  dsl_plan *p = rt_xcalloc(1, sizeof(*p));
  c->p = p;
  p->arena = rt_arena_new(8192);
  p->pool = dsl_cx_pool_new();
  p->ops = rt_arena_calloc(p->arena, (size_t)chain->nstages + 1, sizeof(pl_op));
  p->rops = rt_arena_calloc(p->arena, (size_t)chain->nstages + 1, sizeof(pl_rop));
  c->json_op = -1;
  copy_source(c, chain->source);
  const char *const *cols = dsl_plan_source_cols(chain->source->kind, &p->nsrc_cols);
  for (int i = 0; i < p->nsrc_cols; i++)
    scope_add(c, cols[i], i);
  p->ncols = p->nsrc_cols;
  c->closed = true;
}

int dsl_compile(const dsl_chain *chain, const dsl_output *output, const char *out_src,
                dsl_plan **plan, rt_err *err) {
  cc c = {.err = err};
  *plan = NULL;
  if (chain->source->kind == DSL_SRC_REF)
    return rt_err_set_at(err, RT_ETYPE, chain->source_src, chain->source->span.off,
                         chain->source->span.len, "unknown stream %s",
                         chain->source->u.ref.name);
  plan_init(&c, chain);
  int rc = 0;
  for (int i = 0; i < chain->nstages && rc == 0; i++) {
    c.src = chain->stages[i].src;
    rc = compile_stage(&c, chain->stages[i].stage);
  }
  if (rc == 0)
    rc = compile_output(&c, output, out_src);
  rt_free(c.ents);
  if (rc < 0) {
    dsl_plan_free(&c.p);
    return rc;
  }
  *plan = c.p;
  return 0;
}

void dsl_plan_free(dsl_plan **plan) {
  if (!plan || !*plan)
    return;
  dsl_plan *p = *plan;
  for (int i = 0; i < p->nops; i++) {
    rt_json_paths_free(&p->ops[i].paths);
    rt_free(p->ops[i].slot_cols);
  }
  dsl_cx_pool_free(&p->pool);
  rt_arena_free(&p->arena);
  rt_free(p);
  *plan = NULL;
}

bool dsl_plan_bounded(const dsl_plan *plan) { return plan->bounded; }
