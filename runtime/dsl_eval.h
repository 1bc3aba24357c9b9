/*
 * dsl_eval: expressions of the language, compiled once and evaluated a
 * column at a time over the rows of a micro-batch.
 *
 * dsl_cx_build() turns an AST expression into a tree of dsl_cx nodes whose
 * field references are already resolved to batch columns, whose constants
 * are copied out of the AST (which dies after compiling) and whose `matches`
 * patterns are compiled regexes. dsl_eval() then walks the tree once per
 * batch, each node producing one value per selected row: a field is its
 * column (no copy when every row is selected), an operator is a tight loop
 * over its operands' arrays. Per-row interpretation overhead is paid once per
 * node per batch instead of once per node per record.
 *
 * Semantics are docs/language.md's: numbers are doubles; arithmetic with null
 * (or a non-number) is null; `<` `<=` `>` `>=` and
 * contains/starts_with/matches are false when a side is null or of the wrong
 * type; `=` and `!=` treat null as a value; `and`, `or`, `not` see anything
 * but true as false. Durations are numbers of ms; time + number is a time,
 * time - time is a number of ms; a time compares with a number by its ms and
 * with a string by parsing it.
 */
#ifndef EDDY_DSL_EVAL_H
#define EDDY_DSL_EVAL_H

#include "dsl_ast.h"
#include "rt_batch.h"
#include "rt_err.h"
#include "rt_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dsl_cx dsl_cx;

/* Owns compiled nodes, their constants and their regexes; one per plan. */
typedef struct dsl_cx_pool dsl_cx_pool;

/* Creates a pool. Caller owns it; free with dsl_cx_pool_free(). */
dsl_cx_pool *dsl_cx_pool_new(void);

/* Frees every node built from the pool; NULLs *pool. Accepts NULL. */
void dsl_cx_pool_free(dsl_cx_pool **pool);

/* Resolves a field (DSL_EX_FIELD) to the batch column that holds it: returns
 * the column (>= 0), or a negative RT_E* with err set (unknown field). */
typedef int (*dsl_field_resolver)(void *ctx, const dsl_expr *field, rt_err *err);

/*
 * Compiles e. src is the program text, for error carets. Fields go through
 * resolve(ctx, ...). Aggregate calls are rejected here (the agg stage takes
 * them apart first). Returns 0 and *out (owned by pool), or RT_ETYPE /
 * RT_ESYNTAX with err at the offending span (unknown function, wrong
 * argument count, a `matches` pattern that is not a valid regex literal).
 */
int dsl_cx_build(dsl_cx_pool *pool, const dsl_expr *e, const char *src,
                 dsl_field_resolver resolve, void *ctx, dsl_cx **out, rt_err *err);

/* A constant expression's value, when e is a literal (strings owned by the
 * pool); false otherwise. */
bool dsl_cx_const(const dsl_cx *e, rt_value *out);

/* The column of a plain field reference, or -1. */
int dsl_cx_column(const dsl_cx *e);

/* What an evaluation reads: the rows sel[0..n) of batch (or rows 0..n-1 when
 * sel is NULL), and the clock of now(). */
typedef struct dsl_eval_ctx {
  rt_batch *batch;     /* columns, and the arena for results */
  const uint32_t *sel; /* selected rows, or NULL for all */
  size_t n;            /* number of rows to evaluate */
  int64_t now_ms;      /* value of now() */
} dsl_eval_ctx;

/*
 * Evaluates e for every selected row: returns n values, value i for row
 * sel[i] (or i). Borrowed: the array and its strings live in the batch (its
 * arena or one of its columns) until the batch is reset; never write to it.
 */
const rt_value *dsl_eval(const dsl_cx *e, const dsl_eval_ctx *ctx);

/* True only for the boolean true: how where, and, or and not read a value. */
static inline bool dsl_truthy(rt_value v) { return v.type == RT_BOOL && v.u.b; }

/* Converts a value to event-time ms: a time, epoch seconds or ms (a number:
 * below 1e11 it is seconds), or an ISO-8601 string. Returns false when v is
 * none of these. */
bool dsl_value_to_ms(rt_value v, int64_t *ms);

/* The names of the scalar functions, NULL-terminated (for help and tests). */
const char *const *dsl_function_names(void);

#endif
