/*
 * Test and bench helper: the real operator state of a query with n groups,
 * `file "-" | parse json | agg count(), avg(x) by key` fed one record per
 * key (k0000000 ... ), serialized by rt_pipeline_save(), so state stores are
 * exercised with the bytes a stateful query really checkpoints. Header-only,
 * static functions; no asserts (the bench includes it too).
 */
#ifndef EDDY_TEST_STATE_PIPELINE_H
#define EDDY_TEST_STATE_PIPELINE_H

#include "dsl.h"
#include "dsl_compile.h"
#include "rt_buf.h"
#include "rt_mem.h"
#include "rt_pipeline.h"
#include "rt_result.h"
#include "rt_source.h"

#include <stdio.h>
#include <string.h>

#define STATE_PIPELINE_QUERY "file \"-\" | parse json | agg count(), avg(x) by key"

/* Drops what the pipeline emits. */
static void state_pipeline_drop(void *ctx, rt_result_kind kind, rt_result *res,
                                rt_result *chart) {
  (void)ctx;
  (void)kind;
  rt_result_free(&res);
  rt_result_free(&chart);
}

/* Compiles STATE_PIPELINE_QUERY into *prog and *plan (caller frees both). */
static int state_pipeline_compile(dsl_program **prog, dsl_plan **plan, rt_err *err) {
  const char *text = STATE_PIPELINE_QUERY;
  *plan = NULL;
  int rc = dsl_parse(text, strlen(text), prog, err);
  if (rc < 0)
    return rc;
  dsl_query *q = &(*prog)->stmts[0].u.query;
  dsl_stage_ref refs[16];
  for (int i = 0; i < q->nstages; i++)
    refs[i] = (dsl_stage_ref){&q->stages[i], (*prog)->src};
  dsl_chain chain = {&q->source, (*prog)->src, refs, q->nstages};
  return dsl_compile(&chain, &q->output, (*prog)->src, plan, err);
}

/*
 * Feeds n keys (one record each, x = key index) through a fresh pipeline of
 * plan and appends its saved state to out. Returns 0 or RT_E*.
 */
static int state_pipeline_bytes(const dsl_plan *plan, int n, rt_buf *out, rt_err *err) {
  rt_pipeline *p = rt_pipeline_new(plan, err);
  if (!p)
    return err && err->code ? err->code : RT_EINVAL;
  rt_buf lines;
  rt_buf_init(&lines, 0);
  for (int i = 0; i < n; i++)
    rt_buf_printf(&lines, "{\"key\":\"k%07d\",\"x\":%d}\n", i, i);
  rt_source *src = rt_src_lines_open(lines.data ? lines.data : "", lines.len);
  rt_batch *b = rt_batch_new(rt_pipeline_ncols(p));
  int rc = RT_SOURCE_MORE;
  while (rc == RT_SOURCE_MORE) {
    rt_batch_reset(b);
    rc = rt_source_poll(src, b, 4096, err);
    rt_pipeline_batch(p, b, 1795168800000, state_pipeline_drop, NULL);
  }
  rc = rc < 0 && rc != RT_EEOF ? rc : rt_pipeline_save(p, out);
  rt_batch_free(&b);
  rt_source_free(&src);
  rt_buf_free(&lines);
  rt_pipeline_free(&p);
  return rc;
}

#endif
