/*
 * Tests of rt_dist against dynalite, two "workers" in one process driven by
 * hand (no source, no threads, processing time given): a slow shard holds
 * the merged window open; once it passes, both workers emit the same merged
 * window (rows of both shards); a worker that re-reads a shard from the
 * start re-publishes the same partial, and a late joiner then emits the
 * same answer, not a doubled one; a quiet shard follows the others only once
 * its reader found it at its tip, and none of its records is made late.
 */
#include "dsl.h"
#include "dsl_compile.h"
#include "dsl_plan_int.h"
#include "rt_dist.h"
#include "rt_kinesis_lease.h"
#include "rt_mem.h"
#include "test.h"
#include "test_rt_kinesis_server.h"

static server ddb;

static const char *QUERY = "kinesis \"st\" as \"dapp\" | parse json | window 10s on ts "
                           "| agg count() as n by k";
static const int64_t T = 1795168800000; /* processing time */

/* One worker: its rt_dist, the query's main pipeline (result phase), and
 * what it emitted. */
typedef struct worker {
  rt_dist *d;
  rt_pipeline *main;
  int windows;        /* merged windows emitted */
  int64_t n_a, n_b;   /* counts of the last window, keys a and b */
} worker;

static void on_emit(void *ctx, rt_result_kind kind, rt_result *res, rt_result *chart) {
  worker *w = ctx;
  ASSERT_EQ(kind, RT_RESULT_WINDOW);
  w->windows++;
  w->n_a = w->n_b = 0;
  for (size_t i = 0; i < rt_result_nrows(res); i++) {
    const rt_value *row = rt_result_row(res, i);
    int64_t n = (int64_t)row[3].u.num;
    if (row[2].u.str.len == 1 && row[2].u.str.ptr[0] == 'a')
      w->n_a = n;
    else
      w->n_b = n;
  }
  rt_result_free(&res);
  rt_result_free(&chart);
}

static dsl_plan *compile(dsl_program **prog) {
  rt_err err;
  ASSERT_EQ(dsl_parse(QUERY, strlen(QUERY), prog, &err), 0);
  dsl_query *q = &(*prog)->stmts[0].u.query;
  dsl_stage_ref refs[16];
  for (int i = 0; i < q->nstages; i++)
    refs[i] = (dsl_stage_ref){&q->stages[i], (*prog)->src};
  dsl_chain chain = {&q->source, (*prog)->src, refs, q->nstages};
  dsl_plan *plan = NULL;
  ASSERT_EQ(dsl_compile(&chain, &q->output, (*prog)->src, &plan, &err), 0);
  return plan;
}

static rt_src_kinesis_opts kopts(void) {
  return (rt_src_kinesis_opts){.stream = "st", .app = "dapp", .region = "us-east-1",
                               .dynamodb_endpoint = ddb.url};
}

static void worker_open(worker *w, const dsl_plan *plan, const char *shard) {
  memset(w, 0, sizeof(*w));
  rt_src_kinesis_opts k = kopts();
  rt_err err;
  int rc = rt_dist_open(plan, &k, 200, NULL, &w->d, &err);
  if (rc != 0)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT_EQ(rc, 0);
  ASSERT(w->d != NULL);
  ASSERT((w->main = rt_pipeline_new(plan, &err)) != NULL);
  if (shard) {
    const rt_src_shard_hooks *h = rt_dist_hooks(w->d);
    ASSERT_EQ(h->acquire(h->ctx, shard, NULL, 0, &err), 0);
  }
}

static void worker_close(worker *w) {
  rt_dist_free(&w->d);
  rt_pipeline_free(&w->main);
}

/* Feeds records (key, event second) of shard at processing time now. */
static void feed(worker *w, const dsl_plan *plan, const char *shard, int64_t now,
                 const char *keys, const int *secs, int n) {
  rt_batch *b = rt_batch_new(plan->ncols);
  rt_batch_set_time(b, now);
  for (int i = 0; i < n; i++) {
    char json[96];
    int len = snprintf(json, sizeof(json), "{\"k\":\"%c\",\"ts\":%lld}", keys[i],
                       (long long)(1767225600000LL + secs[i] * 1000LL));
    size_t r = rt_batch_add_row(b);
    rt_batch_set_str(b, r, 0, json, (size_t)len);
    rt_batch_set_str(b, r, 1, "pk", 2);
    rt_batch_set_str(b, r, 2, "1", 1);
    rt_batch_set_str(b, r, 3, shard, strlen(shard));
    rt_batch_set(b, r, 4, rt_time(now));
  }
  rt_dist_batch(w->d, b, now);
  rt_batch_free(&b);
}

static void tick(worker *w, int64_t now) {
  rt_err err;
  int rc = rt_dist_tick(w->d, now, w->main, on_emit, w, &err);
  if (rc != 0)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT_EQ(rc, 0);
}

/* What the source does when shard's reader finds it at its tip, asking now. */
static void at_tip(worker *w, const char *shard) {
  const rt_src_shard_hooks *h = rt_dist_hooks(w->d);
  h->at_tip(h->ctx, shard, rt_clock_mono_ns(NULL) / 1000000);
}

static void lease_table(void) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.dynamodb_endpoint, sizeof(cfg.dynamodb_endpoint), "%s", ddb.url);
  cfg.dynamodb_endpoint_set = 1;
  rt_kin_lease_opts o = {.table = "dapp", .worker = "setup"};
  rt_err err;
  rt_kin_leases *l = rt_kin_leases_new(&cfg, &o, &err);
  ASSERT(l != NULL);
  rt_kin_shard v[2] = {{.shard_id = "s0"}, {.shard_id = "s1"}};
  rt_kin_shards s = {.v = v, .n = 2};
  ASSERT_EQ(rt_kin_leases_sync(l, &s, "TRIM_HORIZON", &err), 0);
  rt_kin_leases_free(&l);
}

static void test_merge_two_workers(void) {
  lease_table();
  dsl_program *prog = NULL;
  dsl_plan *plan = compile(&prog);
  worker w1, w2;
  worker_open(&w1, plan, "s0");
  worker_open(&w2, plan, "s1");
  int s0[] = {1, 2}, s1[] = {1, 2};
  feed(&w1, plan, "s0", T, "aa", s0, 2);
  feed(&w2, plan, "s1", T, "ab", s1, 2);
  /* s0 races ahead to 25 s, s1 stays at 9 s: the window [0, 10) waits */
  int fast[] = {25}, slow[] = {9};
  feed(&w1, plan, "s0", T + 5000, "a", fast, 1);
  feed(&w2, plan, "s1", T + 5000, "b", slow, 1);
  for (int i = 0; i < 2; i++) {
    tick(&w1, T + 5000);
    tick(&w2, T + 5000);
  }
  ASSERT_EQ(w1.windows, 0);
  ASSERT_EQ(w2.windows, 0);
  /* s1 passes 10 s: both workers emit the same merged window */
  int late[] = {31};
  feed(&w2, plan, "s1", T + 6000, "b", late, 1);
  tick(&w2, T + 6000);
  tick(&w1, T + 6000);
  tick(&w2, T + 6200);
  ASSERT_EQ(w1.windows, 1);
  ASSERT_EQ(w2.windows, 1);
  ASSERT_EQ(w1.n_a, 3);
  ASSERT_EQ(w1.n_b, 2);
  ASSERT_EQ(w2.n_a, 3);
  ASSERT_EQ(w2.n_b, 2);
  int64_t wm = 0;
  ASSERT(rt_dist_watermark(w1.d, &wm));
  ASSERT_EQ(wm, 1767225600000LL + 25000);
  ASSERT_EQ(rt_dist_merged(w1.d), 1);

  /* a worker re-reading s0 from the start publishes the same partial again */
  worker w3;
  worker_open(&w3, plan, "s0");
  feed(&w3, plan, "s0", T + 7000, "aa", s0, 2);
  feed(&w3, plan, "s0", T + 12000, "a", fast, 1);
  tick(&w3, T + 12000);
  /* a late joiner holding no shard emits the windows still in the table:
   * the same answer, not a doubled one */
  worker w4;
  worker_open(&w4, plan, NULL);
  tick(&w4, T + 12000);
  ASSERT_EQ(w4.windows, 1);
  ASSERT_EQ(w4.n_a, 3);
  ASSERT_EQ(w4.n_b, 2);
  /* s0 has had no record for 7 s, but its reader has not found it at its
   * tip (it may be slow to answer): it does not follow s1 (at 31 s), and
   * its record at 28 s, slow to come, counts rather than being late */
  tick(&w1, T + 12000);
  ASSERT_EQ(w1.windows, 1);
  int slow_s0[] = {28};
  feed(&w1, plan, "s0", T + 12100, "a", slow_s0, 1);
  /* its reader finds it at its tip, and it is quiet: it follows, to the
   * target of a read made before the reader asked (the first read after it
   * went idle gives that target, the next one follows it), publishing its
   * part of [20, 30) (25 s and 28 s), which closes; [0, 10) is not emitted
   * twice */
  at_tip(&w1, "s0");
  tick(&w1, T + 17200);
  ASSERT_EQ(w1.windows, 1);
  at_tip(&w1, "s0");
  tick(&w1, T + 17400);
  ASSERT_EQ(w1.windows, 2);
  ASSERT_EQ(w1.n_a, 2);
  ASSERT_EQ(w1.n_b, 0);
  ASSERT(rt_dist_watermark(w1.d, &wm));
  ASSERT_EQ(wm, 1767225600000LL + 31000);
  rt_pipeline_stats st;
  rt_dist_get_stats(w1.d, &st);
  ASSERT_EQ(st.late, 0);

  worker_close(&w1);
  worker_close(&w2);
  worker_close(&w3);
  worker_close(&w4);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
}

static void test_unmergeable_refused(void) {
  const char *text = "kinesis \"st\" as \"dapp\" | parse json | session 5s on ts | agg count()";
  dsl_program *prog = NULL;
  rt_err err;
  ASSERT_EQ(dsl_parse(text, strlen(text), &prog, &err), 0);
  dsl_query *q = &prog->stmts[0].u.query;
  dsl_stage_ref refs[16];
  for (int i = 0; i < q->nstages; i++)
    refs[i] = (dsl_stage_ref){&q->stages[i], prog->src};
  dsl_chain chain = {&q->source, prog->src, refs, q->nstages};
  dsl_plan *plan = NULL;
  ASSERT_EQ(dsl_compile(&chain, &q->output, prog->src, &plan, &err), 0);
  rt_src_kinesis_opts k = kopts();
  rt_dist *d = NULL;
  ASSERT_EQ(rt_dist_open(plan, &k, 200, NULL, &d, &err), RT_EUNSUPPORTED);
  ASSERT(d == NULL);
  ASSERT(strstr(err.msg, "session windows") != NULL);
  /* without a DynamoDB endpoint it is not distributed at all */
  k.dynamodb_endpoint = NULL;
  setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
  ASSERT_EQ(rt_dist_open(plan, &k, 200, NULL, &d, &err), 0);
  ASSERT(d == NULL);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
}

int main(void) {
  server_start_service(&ddb, "dynalite");
  TEST_RUN(test_merge_two_workers);
  TEST_RUN(test_unmergeable_refused);
  server_stop(&ddb);
  return test_summary();
}
