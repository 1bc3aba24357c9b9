/*
 * libFuzzer target for operator state as a checkpoint hands it back
 * (rt_pipeline_restore, hence rt_window_restore and rt_dedup_restore): the
 * first byte picks one of a few stateful queries (sliding, tumbling and
 * session windows, running groups, DEDUP, LIMIT), the rest is the state.
 * The contract checked: a refused state comes back as an error with a
 * message and leaves the pipeline as new (its saved bytes equal a fresh
 * pipeline's), never half-restored; a taken one saves to bytes that
 * restore again to the same bytes, and the pipeline then runs records.
 *
 * With EDDY_FUZZ_STATE_SEEDS=DIR set, the first run writes seeds to DIR:
 * each query's real state after a few batches of demo records.
 */
#include "dsl.h"
#include "dsl_compile.h"
#include "dsl_plan_int.h"
#include "rt_buf.h"
#include "rt_pipeline.h"
#include "rt_source.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const QUERIES[] = {
    "demo sensors | window 1m every 10s on ts watermark 5s"
    " | agg avg(temperature) as t, p95(humidity), count_distinct(device_id), count() by device_id",
    "demo sensors | dedup device_id within 1m on ts | session 30s on ts"
    " | agg count(), min(temperature), max(humidity) by device_id",
    "demo sensors | window 10s on ts | agg sum(temperature), count() | limit 5",
    "demo sensors | agg count(), avg(temperature), max(ts) by device_id",
    "demo sensors | dedup device_id within 30s on ts | limit 50",
};
enum { NQ = sizeof(QUERIES) / sizeof(QUERIES[0]), T0 = 0 };
static const int64_t START_MS = 1795168800000;

static dsl_plan *g_plans[NQ];
static rt_buf g_fresh[NQ]; /* what a new pipeline of each query saves */

static void drop(void *ctx, rt_result_kind k, rt_result *res, rt_result *chart) {
  (void)ctx;
  (void)k;
  rt_result_free(&res);
  rt_result_free(&chart);
}

static dsl_plan *compile(const char *text) {
  dsl_program *prog = NULL;
  dsl_plan *plan = NULL;
  rt_err err;
  if (dsl_parse(text, strlen(text), &prog, &err) < 0) {
    fprintf(stderr, "fuzz_state_restore: %s: %s\n", text, err.msg);
    abort();
  }
  dsl_query *q = &prog->stmts[0].u.query;
  dsl_stage_ref refs[16];
  for (int i = 0; i < q->nstages; i++)
    refs[i] = (dsl_stage_ref){&q->stages[i], prog->src};
  dsl_chain chain = {&q->source, prog->src, refs, q->nstages};
  if (dsl_compile(&chain, &q->output, prog->src, &plan, &err) < 0) {
    fprintf(stderr, "fuzz_state_restore: %s: %s\n", text, err.msg);
    abort();
  }
  dsl_program_free(&prog);
  return plan;
}

/* Feeds batches of demo records (records at a time) to p. */
static void feed(rt_pipeline *p, int batches, int records) {
  rt_src_demo_opts o = {.rate = 10, .devices = 3, .seed = 7, .limit = batches * records,
                        .start_ms = START_MS, .unpaced = true};
  rt_source *src = rt_src_demo_open(&o);
  rt_batch *b = rt_batch_new(rt_pipeline_ncols(p));
  rt_err err;
  for (int k = 0; k < batches && !rt_pipeline_exhausted(p); k++) {
    rt_batch_reset(b);
    rt_source_poll(src, b, records, &err);
    rt_pipeline_batch(p, b, START_MS + k * 1000, drop, NULL);
    rt_pipeline_tick(p, START_MS + k * 1000, drop, NULL);
  }
  rt_batch_free(&b);
  rt_source_free(&src);
}

static void save(const rt_pipeline *p, rt_buf *out) {
  rt_buf_init(out, 0);
  if (rt_pipeline_save(p, out) != 0)
    abort();
}

static void write_seeds(const char *dir) {
  for (int q = 0; q < NQ; q++) {
    for (int batches = 1; batches <= 8; batches *= 2) {
      rt_pipeline *p = rt_pipeline_new(g_plans[q], NULL);
      feed(p, batches, 7);
      rt_buf s;
      save(p, &s);
      char path[512];
      snprintf(path, sizeof(path), "%s/q%d_after_%d_batches.bin", dir, q, batches);
      FILE *f = fopen(path, "wb");
      unsigned char pick = (unsigned char)q;
      if (!f || fwrite(&pick, 1, 1, f) != 1 || fwrite(s.data, 1, s.len, f) != s.len ||
          fclose(f) != 0)
        abort();
      rt_buf_free(&s);
      rt_pipeline_free(&p);
    }
  }
}

static void setup(void) {
  for (int q = 0; q < NQ; q++) {
    g_plans[q] = compile(QUERIES[q]);
    rt_pipeline *p = rt_pipeline_new(g_plans[q], NULL);
    if (!p)
      abort();
    save(p, &g_fresh[q]);
    rt_pipeline_free(&p);
  }
  const char *dir = getenv("EDDY_FUZZ_STATE_SEEDS");
  if (dir && dir[0])
    write_seeds(dir);
}

static int same(const rt_buf *a, const rt_buf *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_plans[0])
    setup();
  if (size == 0)
    return 0;
  int q = data[0] % NQ;
  rt_pipeline *p = rt_pipeline_new(g_plans[q], NULL);
  rt_err err = {0};
  int rc = rt_pipeline_restore(p, data + 1, size - 1, &err);
  rt_buf s1;
  save(p, &s1);
  if (rc != 0) {
    if (err.code != rc || err.msg[0] == '\0' || !same(&s1, &g_fresh[q]))
      abort(); /* no message, or a pipeline left half-restored */
  } else {
    rt_pipeline *p2 = rt_pipeline_new(g_plans[q], NULL);
    rt_buf s2;
    if (rt_pipeline_restore(p2, s1.data, s1.len, &err) != 0)
      abort(); /* what it saves it must take back */
    save(p2, &s2);
    if (!same(&s1, &s2))
      abort();
    rt_buf_free(&s2);
    rt_pipeline_free(&p2);
    feed(p, 2, 5);
    rt_pipeline_finish(p, START_MS + 3600000, drop, NULL);
  }
  rt_buf_free(&s1);
  rt_pipeline_free(&p);
  return 0;
}
