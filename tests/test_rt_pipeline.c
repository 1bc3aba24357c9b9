/* Tests of the compiled pipeline driven directly (no threads): bad records
 * counted and never fatal, only the used JSON fields extracted, chart
 * frames, select after agg, record limits, compile errors with spans, and
 * flat memory over many batches. */
#include "dsl.h"
#include "dsl_compile.h"
#include "dsl_plan_int.h"
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

/* ---- event time over a partitioned (kinesis) source ------------------- */

#define NWIN 200 /* 5 s windows over the first 1000 s */

typedef struct wcounts {
  int results;
  double count[NWIN]; /* count() per window start / 5 s */
} wcounts;

static void collect_windows(void *ctx, rt_result_kind kind, rt_result *res, rt_result *chart) {
  wcounts *w = ctx;
  ASSERT_EQ(kind, RT_RESULT_WINDOW);
  for (size_t i = 0; i < rt_result_nrows(res); i++) {
    int64_t start = rt_result_get(res, i, 0).u.ms;
    ASSERT(start >= 0 && start / 5000 < NWIN && start % 5000 == 0);
    w->count[start / 5000] += rt_result_get(res, i, 2).u.num;
  }
  w->results++;
  rt_result_free(&res);
  rt_result_free(&chart);
}

typedef struct kq {
  dsl_program *prog;
  dsl_plan *plan;
  rt_pipeline *p;
  rt_batch *b;
  int data_col, shard_col;
} kq;

static void kq_open(kq *q) {
  rt_err err;
  ASSERT_EQ(compile("kinesis \"S\" from trim_horizon | parse json\n"
                    "| window 5s on ts watermark 1s | agg count()",
                    &q->prog, &q->plan, &err), 0);
  q->p = rt_pipeline_new(q->plan, &err);
  ASSERT(q->p);
  q->b = rt_batch_new(rt_pipeline_ncols(q->p));
  int n;
  const char *const *cols = dsl_plan_source_cols(DSL_SRC_KINESIS, &n);
  q->data_col = q->shard_col = -1;
  for (int i = 0; i < n; i++) {
    if (strcmp(cols[i], "data") == 0)
      q->data_col = i;
    if (strcmp(cols[i], "shard") == 0)
      q->shard_col = i;
  }
  ASSERT(q->data_col >= 0 && q->shard_col >= 0);
}

static void kq_close(kq *q) {
  rt_batch_free(&q->b);
  rt_pipeline_free(&q->p);
  dsl_plan_free(&q->plan);
  dsl_program_free(&q->prog);
}

/* One batch at processing time now: shard A's records at event times
 * a0..a1 (seconds, exclusive end) then shard B's at b0..b1. */
static void kq_batch(kq *q, int a0, int a1, int b0, int b1, int64_t now, wcounts *w) {
  rt_batch_reset(q->b);
  for (int s = 0; s < 2; s++) {
    int lo = s ? b0 : a0, hi = s ? b1 : a1;
    for (int t = lo; t < hi; t++) {
      size_t r = rt_batch_add_row(q->b);
      char json[64];
      int n = snprintf(json, sizeof(json), "{\"ts\":%d}", t);
      rt_batch_set_str(q->b, r, q->data_col, json, (size_t)n);
      rt_batch_set_str(q->b, r, q->shard_col, s ? "shardId-B" : "shardId-A", 9);
    }
  }
  rt_pipeline_batch(q->p, q->b, now, collect_windows, w);
}

static uint64_t kq_late(const kq *q) {
  rt_pipeline_stats st;
  rt_pipeline_get_stats(q->p, &st);
  return st.late;
}

/* The bug: shard A's backlog (minutes 0-10) is read in the first batches
 * while shard B trickles, then B catches up. With one watermark over all
 * records most of B was late; per shard, none is, and every window holds
 * 5 records of each shard (brute force: 10 per 5 s window). */
static void test_partitions_uneven_speeds(void) {
  kq q;
  kq_open(&q);
  wcounts w = {0};
  int64_t now = 1000000;
  for (int i = 0; i < 6; i++, now += 1000) { /* A: 100 s a batch; B: 10 s */
    kq_batch(&q, i * 100, i * 100 + 100, i * 10, i * 10 + 10, now, &w);
    rt_pipeline_tick(q.p, now, collect_windows, &w);
  }
  for (int b = 60; b < 600; b += 60, now += 1000) { /* B catches up */
    kq_batch(&q, 0, 0, b, b + 60, now, &w);
    rt_pipeline_tick(q.p, now, collect_windows, &w);
  }
  ASSERT_EQ(kq_late(&q), 0);
  ASSERT(w.results > 100); /* windows closed as both shards passed them */
  rt_pipeline_finish(q.p, now, collect_windows, &w);
  for (int k = 0; k < NWIN; k++)
    ASSERT_NEAR(w.count[k], k < 120 ? 10 : 0, 0);
  kq_close(&q);
}

/* Ticks once a second from t (exclusive) to u (inclusive). */
static void kq_ticks(kq *q, int64_t t, int64_t u, wcounts *w) {
  for (t += 1000; t <= u; t += 1000)
    rt_pipeline_tick(q->p, t, collect_windows, w);
}

/* A shard that stops delivering holds the watermark back only until it is
 * idle: max(watermark 1 s, 2 ticks of 1 s, 5 s) = 5 s of processing time. */
static void test_partition_idle(void) {
  kq q;
  kq_open(&q);
  wcounts w = {0};
  int64_t t0 = 1000000;
  kq_batch(&q, 0, 10, 0, 10, t0, &w); /* both: 0-9 s */
  rt_pipeline_tick(q.p, t0, collect_windows, &w);
  kq_batch(&q, 10, 20, 10, 11, t0 + 1000, &w); /* B: 10 s, its last */
  kq_ticks(&q, t0, t0 + 4000, &w);
  ASSERT_EQ(w.results, 0); /* the start grace: another shard may come */
  kq_batch(&q, 20, 30, 0, 0, t0 + 5000, &w);
  rt_pipeline_tick(q.p, t0 + 5000, collect_windows, &w);
  /* B (10 s) holds: [0 s, 5 s) closed (end <= 10 s - 1 s), not [5, 10) */
  ASSERT_EQ(w.results, 1);
  ASSERT_NEAR(w.count[0], 10, 0);
  kq_batch(&q, 30, 40, 0, 0, t0 + 5999, &w); /* 4999 ms since B: active */
  ASSERT_EQ(w.results, 1);
  rt_pipeline_tick(q.p, t0 + 6000, collect_windows, &w); /* B idle: A's 39 s */
  ASSERT_NEAR(w.count[1], 10, 0);
  ASSERT_NEAR(w.count[2], 6, 0);
  ASSERT_NEAR(w.count[6], 5, 0); /* [30 s, 35 s) closed at 39 s - 1 s */
  ASSERT_NEAR(w.count[7], 0, 0);
  ASSERT_EQ(kq_late(&q), 0);
  kq_batch(&q, 0, 0, 20, 21, t0 + 7000, &w); /* B again, behind: late */
  ASSERT_EQ(kq_late(&q), 1);
  rt_pipeline_finish(q.p, t0 + 7000, collect_windows, &w);
  ASSERT_NEAR(w.count[7], 5, 0);
  kq_close(&q);
}

/* A shard that ended (a closed shard read to its end) no longer counts,
 * without waiting for the idle time. */
static void test_partition_ended(void) {
  kq q;
  kq_open(&q);
  wcounts w = {0};
  int64_t t0 = 1000000;
  kq_batch(&q, 0, 10, 0, 10, t0, &w);
  rt_pipeline_tick(q.p, t0, collect_windows, &w);
  kq_batch(&q, 10, 20, 10, 11, t0 + 1000, &w);
  kq_ticks(&q, t0, t0 + 4000, &w);
  kq_batch(&q, 20, 30, 0, 0, t0 + 5000, &w);
  rt_pipeline_tick(q.p, t0 + 5000, collect_windows, &w);
  ASSERT_EQ(w.results, 1); /* B (10 s) holds [5 s, 10 s) open */
  rt_pipeline_partition_ended(q.p, "shardId-B");
  kq_batch(&q, 30, 32, 0, 0, t0 + 5100, &w); /* B not idle yet, but gone */
  ASSERT_NEAR(w.count[1], 10, 0);
  ASSERT_NEAR(w.count[5], 5, 0); /* [25 s, 30 s) closed at 31 s - 1 s */
  ASSERT_NEAR(w.count[6], 0, 0);
  ASSERT_EQ(kq_late(&q), 0);
  kq_close(&q);
}

/* One batch at now: each record is "SHARD ts id" (shard A or B). */
static void kq_rows(kq *q, const char *const *rows, int n, int64_t now, wcounts *w) {
  rt_batch_reset(q->b);
  for (int i = 0; i < n; i++) {
    char shard;
    int ts, id;
    ASSERT_EQ(sscanf(rows[i], "%c %d %d", &shard, &ts, &id), 3);
    size_t r = rt_batch_add_row(q->b);
    char json[64];
    int len = snprintf(json, sizeof(json), "{\"ts\":%d,\"id\":%d}", ts, id);
    rt_batch_set_str(q->b, r, q->data_col, json, (size_t)len);
    rt_batch_set_str(q->b, r, q->shard_col, shard == 'B' ? "shardId-B" : "shardId-A", 9);
  }
  rt_pipeline_batch(q->p, q->b, now, collect_windows, w);
}

/* Ids: shard A 1000 + ts, shard B 2000 + ts, for ts in [t0, t1). */
static void kq_span(kq *q, int t0, int t1, int64_t now, wcounts *w) {
  char text[80][40];
  const char *rows[80];
  int n = 0;
  for (int s = 0; s < 2; s++)
    for (int t = t0; t < t1 && n < 80; t++, n++) {
      snprintf(text[n], sizeof(text[n]), "%c %d %d", s ? 'B' : 'A', t, (s ? 2000 : 1000) + t);
      rows[n] = text[n];
    }
  kq_rows(q, rows, n, now, w);
}

/* A checkpoint carries dedup's keys and the partitioned watermark: the
 * restored pipeline drops a duplicate of a key kept before the checkpoint,
 * moves its watermark at its first tick (no start grace: both partitions
 * hold it with their saved times), and a window it had emitted stays shut. */
static void test_restore_keeps_dedup_and_watermark(void) {
  static const char *text = "kinesis \"S\" from trim_horizon | parse json\n"
                            "| dedup id within 1m on ts\n"
                            "| window 5s on ts watermark 1s | agg count()";
  kq q;
  rt_err err;
  ASSERT_EQ(compile(text, &q.prog, &q.plan, &err), 0);
  q.p = rt_pipeline_new(q.plan, &err);
  ASSERT(q.p);
  q.b = rt_batch_new(rt_pipeline_ncols(q.p));
  int n;
  const char *const *cols = dsl_plan_source_cols(DSL_SRC_KINESIS, &n);
  for (int i = 0; i < n; i++) {
    if (strcmp(cols[i], "data") == 0)
      q.data_col = i;
    if (strcmp(cols[i], "shard") == 0)
      q.shard_col = i;
  }
  wcounts w = {0};
  int64_t t0 = 1000000;
  kq_span(&q, 0, 20, t0, &w); /* both shards: 0-19 s */
  kq_ticks(&q, t0 - 1000, t0 + 6000, &w); /* past the start grace */
  ASSERT_EQ(w.results, 3);                /* wm 18 s: [0,5) [5,10) [10,15) */
  ASSERT_NEAR(w.count[3], 0, 0);
  rt_buf saved;
  rt_buf_init(&saved, 0);
  ASSERT_EQ(rt_pipeline_save(q.p, &saved), 0);
  rt_pipeline_free(&q.p);

  q.p = rt_pipeline_new(q.plan, &err); /* a new process, much later */
  ASSERT(q.p);
  ASSERT_EQ(rt_pipeline_restore(q.p, saved.data, saved.len, &err), 0);
  int64_t t1 = t0 + 3600000;
  static const char *const more[] = {"A 20 1020", "A 21 1021", "A 22 1022", "A 23 1023",
                                     "A 24 1005", /* a duplicate of A's 5 s */
                                     "A 24 1024", "B 20 2020", "B 21 2021", "B 22 2022",
                                     "B 23 2023", "B 24 2024", "B 3 2103" /* late */};
  kq_rows(&q, more, 12, t1, &w);
  rt_pipeline_tick(q.p, t1, collect_windows, &w);
  ASSERT_EQ(w.results, 4); /* wm 23 s at once: [15,20) closed, 5 + 5 */
  ASSERT_NEAR(w.count[3], 10, 0);
  ASSERT_EQ(kq_late(&q), 1);
  rt_pipeline_finish(q.p, t1, collect_windows, &w);
  ASSERT_NEAR(w.count[4], 10, 0); /* the duplicate dropped */
  for (int k = 0; k < 4; k++)
    ASSERT_NEAR(w.count[k], 10, 0); /* no window reopened or counted twice */
  ASSERT_NEAR(w.count[5], 0, 0);

  /* a truncated state is refused with a message */
  rt_pipeline_free(&q.p);
  q.p = rt_pipeline_new(q.plan, &err);
  ASSERT(rt_pipeline_restore(q.p, saved.data, 12, &err) < 0);
  ASSERT(strstr(err.msg, "truncated") || strstr(err.msg, "malformed"));
  rt_buf_free(&saved);
  kq_close(&q);
}

/* A state refused part way leaves the pipeline as new: no LIMIT count, no
 * remembered key, no "exhausted" (found by fuzz_state_restore). */
static void test_failed_restore_leaves_pipeline_new(void) {
  dsl_program *prog = NULL;
  dsl_plan *plan = NULL;
  rt_err err;
  ASSERT_EQ(compile("file \"-\" | parse json | dedup d within 1m | limit 2", &prog, &plan,
                    &err), 0);
  rt_pipeline *p = rt_pipeline_new(plan, &err);
  ASSERT(p);
  rt_buf fresh, saved, after;
  rt_buf_init(&fresh, 0);
  rt_buf_init(&saved, 0);
  rt_buf_init(&after, 0);
  ASSERT_EQ(rt_pipeline_save(p, &fresh), 0);
  rt_source *src = rt_src_lines_open(INPUT, strlen(INPUT));
  rt_batch *b = rt_batch_new(rt_pipeline_ncols(p));
  collected c = {0};
  rt_source_poll(src, b, 100, &err); /* all of INPUT, then its end */
  rt_pipeline_batch(p, b, 1795168800000, collect, &c);
  ASSERT(rt_pipeline_exhausted(p));
  ASSERT_EQ(rt_pipeline_save(p, &saved), 0);
  rt_pipeline_free(&p);
  p = rt_pipeline_new(plan, &err);
  /* the last byte says whether a window follows: without it, all before is read */
  ASSERT_EQ(rt_pipeline_restore(p, saved.data, saved.len - 1, &err), RT_EBADREC);
  ASSERT(strstr(err.msg, "truncated") != NULL);
  ASSERT(!rt_pipeline_exhausted(p));
  ASSERT_EQ(rt_pipeline_save(p, &after), 0);
  ASSERT_EQ(after.len, fresh.len);
  ASSERT(memcmp(after.data, fresh.data, fresh.len) == 0);
  ASSERT_EQ(rt_pipeline_restore(p, saved.data, saved.len, &err), 0); /* and it still can */
  ASSERT(rt_pipeline_exhausted(p));
  rt_buf_free(&fresh);
  rt_buf_free(&saved);
  rt_buf_free(&after);
  done(&c);
  rt_batch_free(&b);
  rt_source_free(&src);
  rt_pipeline_free(&p);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
}

int main(void) {
  TEST_RUN(test_bad_records_counted);
  TEST_RUN(test_failed_restore_leaves_pipeline_new);
  TEST_RUN(test_agg_select_and_chart);
  TEST_RUN(test_record_limit_ends);
  TEST_RUN(test_compile_errors);
  TEST_RUN(test_memory_flat);
  TEST_RUN(test_partitions_uneven_speeds);
  TEST_RUN(test_partition_idle);
  TEST_RUN(test_partition_ended);
  TEST_RUN(test_restore_keeps_dedup_and_watermark);
  return test_summary();
}
