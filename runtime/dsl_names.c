/*
 * The names a cell mentions, for completion: a walk over the parsed
 * statements that reports every name a user may want to type again.
 */
#include "dsl.h"

#include <string.h>

typedef struct walk {
  dsl_name_fn fn;
  void *ctx;
} walk;

static void name(const walk *w, const char *s) {
  if (s)
    w->fn(w->ctx, s, strlen(s));
}

static void walk_expr(const walk *w, const dsl_expr *e) {
  if (!e)
    return;
  switch (e->kind) {
  case DSL_EX_FIELD:
    name(w, e->u.field.text);
    break;
  case DSL_EX_UNARY:
    walk_expr(w, e->u.unary.arg);
    break;
  case DSL_EX_BINARY:
    walk_expr(w, e->u.binary.lhs);
    walk_expr(w, e->u.binary.rhs);
    break;
  case DSL_EX_IN:
    walk_expr(w, e->u.in.lhs);
    for (int i = 0; i < e->u.in.nitems; i++)
      walk_expr(w, e->u.in.items[i]);
    break;
  case DSL_EX_CALL:
    for (int i = 0; i < e->u.call.nargs; i++)
      walk_expr(w, e->u.call.args[i]);
    break;
  default:
    break;
  }
}

static void walk_named(const walk *w, const dsl_named *v, int n) {
  for (int i = 0; i < n; i++) {
    walk_expr(w, v[i].expr);
    name(w, v[i].name);
  }
}

static void walk_stage(const walk *w, const dsl_stage *st) {
  switch (st->kind) {
  case DSL_ST_PARSE_CSV:
    for (int i = 0; i < st->u.csv.ncols; i++)
      name(w, st->u.csv.cols[i].name);
    break;
  case DSL_ST_WHERE:
    walk_expr(w, st->u.where);
    break;
  case DSL_ST_SELECT:
  case DSL_ST_EXTEND:
    walk_named(w, st->u.select.items, st->u.select.nitems);
    break;
  case DSL_ST_AGG:
    for (int i = 0; i < st->u.agg.naggs; i++)
      name(w, st->u.agg.aggs[i].name);
    walk_named(w, st->u.agg.keys, st->u.agg.nkeys);
    break;
  default:
    break;
  }
}

static void walk_query(const walk *w, const dsl_query *q) {
  if (q->source.kind == DSL_SRC_KINESIS)
    name(w, q->source.u.kinesis.stream);
  else if (q->source.kind == DSL_SRC_REF)
    name(w, q->source.u.ref.name);
  for (int i = 0; i < q->nstages; i++)
    walk_stage(w, &q->stages[i]);
}

void dsl_names(const char *src, size_t len, dsl_name_fn fn, void *ctx) {
  dsl_program *prog = NULL;
  rt_err err;
  if (dsl_parse(src, len, &prog, &err) < 0)
    return;
  walk w = {fn, ctx};
  for (int i = 0; i < prog->nstmts; i++) {
    const dsl_stmt *st = &prog->stmts[i];
    if (st->kind == DSL_STMT_LET) {
      name(&w, st->u.let.name);
      walk_query(&w, &st->u.let.query);
    } else if (st->kind == DSL_STMT_QUERY) {
      walk_query(&w, &st->u.query);
    }
  }
  dsl_program_free(&prog);
}
