/* libFuzzer target for compiled queries: any program that parses and
 * compiles must run through the pipeline (parse, eval, windows, result
 * stages, chart frames) over a small fixed input without crashing, leaking
 * or hitting undefined behaviour. Queries run in-process on the pipeline
 * (no threads, no sinks); file sources read the input below, demo sources
 * an unpaced demo of 50 records. */
#include "dsl.h"
#include "dsl_compile.h"
#include "dsl_plan_int.h"
#include "rt_pipeline.h"
#include "rt_source.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
static const char *IN =
 "{\"device_id\":\"d1\",\"temperature\":21.5,\"humidity\":40,\"meta\":{\"site\":\"north\"},\"ts\":1795168801000}\n"
 "{\"device_id\":\"d2\",\"temperature\":\"x\",\"humidity\":null,\"ts\":\"2026-11-20T10:00:03.000Z\"}\n"
 "[1,2]\nname,temp,ok\nd1,21.5,true\n,,\n"
 "{\"device_id\":\"d1\",\"temperature\":85,\"humidity\":41,\"a\":{\"b\":{\"c\":3}},\"ts\":\"2026-11-20T10:01:12.000Z\"}\n";
static void drop(void *ctx, rt_result_kind k, rt_result *res, rt_result *chart) {
  rt_result_free(&res); rt_result_free(&chart);
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dsl_program *prog = NULL;
  rt_err err;
  if (dsl_parse((const char *)data, size, &prog, &err) < 0) return 0;
  for (int s = 0; s < prog->nstmts; s++) {
    dsl_stmt *st = &prog->stmts[s];
    if (st->kind == DSL_STMT_MAGIC) continue;
    dsl_query *q = st->kind == DSL_STMT_LET ? &st->u.let.query : &st->u.query;
    if (q->source.kind != DSL_SRC_FILE && q->source.kind != DSL_SRC_DEMO) continue;
    dsl_stage_ref refs[64];
    if (q->nstages > 64) continue;
    for (int i = 0; i < q->nstages; i++) refs[i] = (dsl_stage_ref){&q->stages[i], prog->src};
    dsl_chain chain = {&q->source, prog->src, refs, q->nstages};
    dsl_plan *plan = NULL;
    if (dsl_compile(&chain, st->kind == DSL_STMT_LET ? NULL : &q->output, prog->src, &plan, &err) < 0) continue;
    rt_pipeline *p = rt_pipeline_new(plan, &err);
    if (p) {
      rt_source *src;
      if (q->source.kind == DSL_SRC_FILE) src = rt_src_lines_open(IN, strlen(IN));
      else { rt_src_demo_opts o = {.rate=10,.devices=3,.seed=1,.limit=50,.start_ms=1795168800000,.unpaced=true}; src = rt_src_demo_open(&o); }
      rt_batch *b = rt_batch_new(rt_pipeline_ncols(p));
      int rc = RT_SOURCE_MORE;
      for (int k = 0; k < 20 && rc == RT_SOURCE_MORE && !rt_pipeline_exhausted(p); k++) {
        rt_batch_reset(b);
        rc = rt_source_poll(src, b, 3, &err);
        rt_pipeline_batch(p, b, 1795168800000 + k * 1000, drop, NULL);
        rt_pipeline_tick(p, 1795168800000 + k * 1000, drop, NULL);
      }
      rt_pipeline_finish(p, 1795168900000, drop, NULL);
      rt_batch_free(&b); rt_source_free(&src); rt_pipeline_free(&p);
    }
    dsl_plan_free(&plan);
  }
  dsl_program_free(&prog);
  return 0;
}
