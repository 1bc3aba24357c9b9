/*
 * libFuzzer target for the DSL front end: any bytes go through dsl_parse(),
 * dsl_is_complete() and, on success, a walk of the tree's spans; on failure
 * the error is rendered. Nothing may crash, hang or leak, and every span must
 * lie inside the text, since later stages point carets with them.
 *
 * The seed corpus (corpus/fuzz_dsl_parse/) holds the language's examples
 * (docs/language.md), plus every crasher found so far.
 */
#include "dsl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_span(const dsl_program *p, dsl_span s) {
  if (s.off < 0 || s.len < 0 || s.off + s.len > p->srclen)
    abort();
}

static void check_expr(const dsl_program *p, const dsl_expr *e) {
  check_span(p, e->span);
  switch (e->kind) {
  case DSL_EX_UNARY:
    check_expr(p, e->u.unary.arg);
    break;
  case DSL_EX_BINARY:
    check_expr(p, e->u.binary.lhs);
    check_expr(p, e->u.binary.rhs);
    break;
  case DSL_EX_IN:
    check_expr(p, e->u.in.lhs);
    for (int i = 0; i < e->u.in.nitems; i++)
      check_expr(p, e->u.in.items[i]);
    break;
  case DSL_EX_CALL:
    check_span(p, e->u.call.name_span);
    for (int i = 0; i < e->u.call.nargs; i++)
      check_expr(p, e->u.call.args[i]);
    break;
  default:
    break;
  }
}

static void check_query(const dsl_program *p, const dsl_query *q) {
  check_span(p, q->span);
  check_span(p, q->source.span);
  for (int i = 0; i < q->nstages; i++) {
    const dsl_stage *st = &q->stages[i];
    check_span(p, st->span);
    switch (st->kind) {
    case DSL_ST_WHERE:
      check_expr(p, st->u.where);
      break;
    case DSL_ST_SELECT:
    case DSL_ST_EXTEND:
      for (int j = 0; j < st->u.select.nitems; j++) {
        check_expr(p, st->u.select.items[j].expr);
        check_span(p, st->u.select.items[j].name_span);
      }
      break;
    case DSL_ST_AGG:
      for (int j = 0; j < st->u.agg.naggs; j++) {
        check_span(p, st->u.agg.aggs[j].span);
        if (st->u.agg.aggs[j].arg)
          check_expr(p, st->u.agg.aggs[j].arg);
      }
      for (int j = 0; j < st->u.agg.nkeys; j++)
        check_expr(p, st->u.agg.keys[j].expr);
      break;
    case DSL_ST_WINDOW:
      if (st->u.window.pane_ms <= 0 || st->u.window.slide_ms > st->u.window.size_ms)
        abort();
      break;
    default:
      break;
    }
  }
  check_span(p, q->output.span);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *src = (const char *)data;
  (void)dsl_is_complete(src, size);
  dsl_program *prog = NULL;
  rt_err err;
  if (dsl_parse(src, size, &prog, &err) == 0) {
    for (int i = 0; i < prog->nstmts; i++) {
      const dsl_stmt *st = &prog->stmts[i];
      check_span(prog, st->span);
      if (st->kind == DSL_STMT_QUERY)
        check_query(prog, &st->u.query);
      else if (st->kind == DSL_STMT_LET)
        check_query(prog, &st->u.let.query);
      else
        for (int j = 0; j < st->u.magic.nargs; j++)
          check_expr(prog, st->u.magic.args[j]);
    }
    dsl_program_free(&prog);
  } else {
    if (err.off < 0 || err.len < 0 || (size_t)err.off > size)
      abort();
    /* Render against a NUL-terminated copy, as the kernel does. */
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    char out[1024];
    rt_err_render(&err, copy, out, sizeof(out));
    free(copy);
  }
  return 0;
}
