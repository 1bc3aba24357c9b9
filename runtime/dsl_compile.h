/*
 * dsl_compile: a parsed query (dsl_ast.h) becomes a plan the runtime runs
 * (rt_query.h). Compiling resolves every field to a batch column, collects
 * the JSON paths `parse json` must extract (only the fields the query uses),
 * compiles expressions (dsl_eval.h), splits `agg` into group keys, shared
 * argument expressions and aggregate specs for the window operator
 * (rt_window.h), and checks what only the session can know: that a `let`
 * name exists, and that a field exists where the fields are known (after a
 * `select`, or on a source without `parse`). Errors carry the span of the
 * offending text (rt_err_set_at), so the kernel can show a caret.
 *
 * A query may start from a `let` defined in an earlier statement or cell:
 * the session keeps each `let` as a chain (its root source and all stages,
 * each with the program text it came from), and a query over it compiles the
 * chain followed by its own stages.
 */
#ifndef EDDY_DSL_COMPILE_H
#define EDDY_DSL_COMPILE_H

#include "dsl_ast.h"
#include "rt_err.h"

#include <stdbool.h>
#include <stdint.h>

/* A stage and the program text its spans refer to. */
typedef struct dsl_stage_ref {
  const dsl_stage *stage;
  const char *src;
} dsl_stage_ref;

/* A source and the stages after it, possibly gathered from several
 * programs (a `let` over a `let`). Everything is borrowed: the programs must
 * outlive the chain and any compile of it. */
typedef struct dsl_chain {
  const dsl_source *source; /* never DSL_SRC_REF once resolved */
  const char *source_src;   /* text of the source's program */
  dsl_stage_ref *stages;    /* stages in order */
  int nstages;
} dsl_chain;

/* A compiled query. Opaque; run it with rt_query_start() (rt_query.h). */
typedef struct dsl_plan dsl_plan;

/*
 * Compiles chain followed by output (whose spans refer to out_src; output may
 * be NULL for the implicit table, e.g. when checking a `let`). Returns 0 and
 * *plan (caller owns it; free with dsl_plan_free()), or RT_ETYPE /
 * RT_EUNSUPPORTED with err at the offending span (line/column computed
 * against that span's program text).
 */
int dsl_compile(const dsl_chain *chain, const dsl_output *output, const char *out_src,
                dsl_plan **plan, rt_err *err);

/* Frees a plan and NULLs *plan. Accepts NULL. */
void dsl_plan_free(dsl_plan **plan);

/* True when the query ends by itself: a file, a demo with a limit, `until
 * now`, `for D`, or a record `limit` without aggregation. */
bool dsl_plan_bounded(const dsl_plan *plan);

#endif
