/* Tests of the compiled pipeline driven directly (no threads): bad records
 * counted and never fatal, only the used JSON fields extracted, chart
 * frames, select after agg, record limits, compile errors with spans, and
 * flat memory over many batches. */
#include "dsl.h"
#include "dsl_compile.h"
#include "rt_pipeline.h"
#include "rt_source.h"
#include "test.h"

typedef struct collected {
  int results;
  size_t rows;
  rt_result *last;       /* the last result (owned) */
  rt_result *last_chart; /* its chart frame (owned) */
} collected;

static void collect(void *ctx, rt_result_kind kind, rt_result *res, rt_result *chart) {
  collected *c = ctx;
  c->results++;
  c->rows += rt_result_nrows(res);
  rt_result_free(&c->last);
  rt_result_free(&c->last_chart);
  c->last = res;
  c->last_chart = chart;
}

/* Compiles the single query of text; returns the compile code. */
static int compile(const char *text, dsl_program **prog, dsl_plan **plan, rt_err *err) {
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

/* Runs text over the lines of input in batches of batch_rows. */
static void run(const char *text, const char *input, size_t batch_rows, collected *c,
                rt_pipeline_stats *st) {
  dsl_program *prog = NULL;
  dsl_plan *plan = NULL;
  rt_err err;
  int rc = compile(text, &prog, &plan, &err);
  if (rc < 0)
    fprintf(stderr, "compile: %s\n", err.msg);
  ASSERT_EQ(rc, 0);
  rt_pipeline *p = rt_pipeline_new(plan, &err);
  ASSERT(p);
  rt_source *src = rt_src_lines_open(input, strlen(input));
  rt_batch *b = rt_batch_new(rt_pipeline_ncols(p));
  for (rc = RT_SOURCE_MORE; rc == RT_SOURCE_MORE && !rt_pipeline_exhausted(p);) {
    rt_batch_reset(b);
    rc = rt_source_poll(src, b, batch_rows, &err);
    rt_pipeline_batch(p, b, 1795168800000, collect, c);
  }
  rt_pipeline_finish(p, 1795168800000, collect, c);
  rt_pipeline_get_stats(p, st);
  rt_batch_free(&b);
  rt_source_free(&src);
  rt_pipeline_free(&p);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
}

static void done(collected *c) {
  rt_result_free(&c->last);
  rt_result_free(&c->last_chart);
}

static const char *INPUT = "{\"d\":\"a\",\"t\":10,\"x\":{\"y\":1}}\n"
                           "[1,2]\n"
                           "{\"d\":\"b\",\"t\":60}\n"
                           "{\"d\":\"a\",\"t\":70,\"x\":{\"y\":2}}\n"
                           "{\"d\":\"b\",\"t\":\"hot\"}\n"
                           "{broken\n"
                           "7\n";

static void test_bad_records_counted(void) {
  collected c = {0};
  rt_pipeline_stats st;
  run("file \"-\" | parse json | where t > 50", INPUT, 2, &c, &st);
  ASSERT_EQ(st.records_in, 7);
  ASSERT_EQ(st.bad, 3);
  ASSERT_EQ(c.rows, 2);
  ASSERT_EQ(rt_result_ncols(c.last), 2); /* data and the one field used */
  ASSERT_STR_EQ(rt_result_col_name(c.last, 1), "t");
  done(&c);
}

static void test_agg_select_and_chart(void) {
  collected c = {0};
  rt_pipeline_stats st;
  run("file \"-\" | parse json | agg sum(x.y) as s, count() as n by d\n"
      "| select d, s * 10 as s10, n | sort d desc\n"
      "| chart bar x=d y=s10, n title \"t\"", INPUT, 100, &c, &st);
  ASSERT_EQ(c.results, 1);
  ASSERT_EQ(rt_result_nrows(c.last), 2);
  ASSERT_STR_EQ(rt_result_col_name(c.last, 1), "s10");
  rt_value v = rt_result_get(c.last, 0, 0);
  ASSERT(v.type == RT_STRING && v.u.str.ptr[0] == 'b');
  ASSERT_EQ(rt_result_get(c.last, 0, 1).type, RT_NULL); /* b has no x.y */
  ASSERT_NEAR(rt_result_get(c.last, 1, 1).u.num, 30, 0);
  ASSERT(c.last_chart);
  ASSERT_EQ(rt_result_ncols(c.last_chart), 3);
  ASSERT_STR_EQ(rt_result_col_name(c.last_chart, 0), "d");
  ASSERT_STR_EQ(rt_result_col_name(c.last_chart, 2), "n");
  done(&c);
}

static void test_record_limit_ends(void) {
  collected c = {0};
  rt_pipeline_stats st;
  run("file \"-\" | parse json | limit 2 | select d", INPUT, 1, &c, &st);
  ASSERT_EQ(c.rows, 2);
  ASSERT(st.records_in < 7);
  done(&c);
}

static void test_compile_errors(void) {
  static const struct {
    const char *text;
    const char *msg;
    int col;
  } cases[] = {
      {"demo sensors | parse json", "parse needs a `data` field", 16},
      {"demo sensors | where nosuch > 1", "unknown field nosuch", 22},
      {"file \"x\" | parse json | select a | where b > 1", "unknown field b", 42},
      {"file \"x\" | parse json | agg count() as n | where m > 1", "unknown column m", 50},
      {"file \"x\" | parse json | window 1m | where a > 1", "needs an agg", 25},
      {"file \"x\" | parse json | agg count() | dedup a", "dedup works on records", 39},
      {"file \"x\" | parse json | where a matches \"(\"", "bad regular expression", 41},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    dsl_program *prog = NULL;
    dsl_plan *plan = NULL;
    rt_err err;
    rt_err_clear(&err);
    int rc = compile(cases[i].text, &prog, &plan, &err);
    if (rc == 0 || !strstr(err.msg, cases[i].msg) || err.col != cases[i].col)
      fprintf(stderr, "case %zu: rc %d col %d msg %s\n", i, rc, err.col, err.msg);
    ASSERT(rc < 0);
    ASSERT(strstr(err.msg, cases[i].msg));
    ASSERT_EQ(err.col, cases[i].col);
    ASSERT(plan == NULL);
    dsl_program_free(&prog);
  }
}

/* The batch arena is reset, not freed: many batches reuse the same memory. */
static void test_memory_flat(void) {
  dsl_program *prog = NULL;
  dsl_plan *plan = NULL;
  rt_err err;
  ASSERT_EQ(compile("demo sensors | where temperature > 0 | window 10s\n"
                    "| agg avg(temperature), p95(temperature) by device_id",
                    &prog, &plan, &err), 0);
  rt_pipeline *p = rt_pipeline_new(plan, &err);
  rt_src_demo_opts o = {.rate = 1000, .devices = 20, .seed = 3, .limit = -1,
                        .start_ms = 1795168800000, .unpaced = true};
  rt_source *src = rt_src_demo_open(&o);
  rt_batch *b = rt_batch_new(rt_pipeline_ncols(p));
  collected c = {0};
  size_t used_first = 0;
  for (int i = 0; i < 200; i++) {
    rt_batch_reset(b);
    rt_source_poll(src, b, 4096, &err);
    rt_pipeline_batch(p, b, 1795168800000 + i * 100, collect, &c);
    rt_pipeline_tick(p, 1795168800000 + i * 100, collect, &c);
    if (i == 0)
      used_first = rt_arena_used(rt_batch_arena(b));
    ASSERT(rt_arena_used(rt_batch_arena(b)) <= used_first + 4096);
  }
  ASSERT(c.results >= 1);
  rt_pipeline_finish(p, 1795168820000, collect, &c);
  done(&c);
  rt_batch_free(&b);
  rt_source_free(&src);
  rt_pipeline_free(&p);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
}

int main(void) {
  TEST_RUN(test_bad_records_counted);
  TEST_RUN(test_agg_select_and_chart);
  TEST_RUN(test_record_limit_ends);
  TEST_RUN(test_compile_errors);
  TEST_RUN(test_memory_flat);
  return test_summary();
}
