/*
 * Tests of the partials protocol: the global watermark rule (min over the
 * lease table's shards, a slow or silent shard holds windows open, idle and
 * finished shards do not), and, against dynalite, publishing and reading
 * partials (chunked, idempotent re-publish), the window index, marks and
 * collection.
 */
#include "rt_dist_partials.h"
#include "rt_buf.h"
#include "rt_mem.h"
#include "test.h"
#include "test_answers.h"
#include "test_rt_kinesis_server.h"

static server ddb;

static rt_dist_mark mark(const char *shard, bool has_wm, int64_t wm, bool idle, bool done) {
  rt_dist_mark m;
  memset(&m, 0, sizeof(m));
  snprintf(m.shard, sizeof(m.shard), "%s", shard);
  m.has_wm = has_wm;
  m.wm = wm;
  m.idle = idle;
  m.done = done;
  return m;
}

static void test_global_watermark(void) {
  rt_dist_shard shards[3] = {{"a", false}, {"b", false}, {"c", false}};
  rt_dist_mark m[4] = {mark("a", true, 5000, false, false), mark("b", true, 3000, false, false),
                       mark("c", true, 9000, false, false), mark("gone", true, 1, false, false)};
  int64_t wm = 0;
  /* the minimum over the lease table's shards; a mark of no listed shard is ignored */
  ASSERT(rt_dist_global_watermark(shards, 3, m, 4, &wm));
  ASSERT_EQ(wm, 3000);
  /* a slow shard holds it: b stays at 3000 while the others move on */
  m[0].wm = 20000;
  m[2].wm = 30000;
  ASSERT(rt_dist_global_watermark(shards, 3, m, 4, &wm));
  ASSERT_EQ(wm, 3000);
  /* a shard nobody has published for (a worker that has not started, a
   * late joiner's view before everyone spoke) blocks everything */
  ASSERT(!rt_dist_global_watermark(shards, 3, m, 2, &wm));
  /* so does one being read without a watermark yet */
  m[1].has_wm = false;
  ASSERT(!rt_dist_global_watermark(shards, 3, m, 4, &wm));
  /* an idle shard still counts (its holder moves it up to the idle target,
   * publishing its part of the windows that closes) */
  m[1].idle = true;
  ASSERT(!rt_dist_global_watermark(shards, 3, m, 4, &wm));
  ASSERT(rt_dist_idle_target(shards, 3, m, 4, &wm)); /* min of the others */
  ASSERT_EQ(wm, 20000);
  m[1].has_wm = true;
  m[1].wm = 20000;
  ASSERT(rt_dist_global_watermark(shards, 3, m, 4, &wm));
  ASSERT_EQ(wm, 20000);
  /* a finished (SHARD_END) or done shard counts no more */
  m[1].idle = false;
  m[1].wm = 100;
  shards[1].finished = true;
  ASSERT(rt_dist_global_watermark(shards, 3, m, 4, &wm));
  ASSERT_EQ(wm, 20000);
  shards[1].finished = false;
  m[1].done = true;
  m[0].done = true;
  ASSERT(rt_dist_global_watermark(shards, 3, m, 4, &wm));
  ASSERT_EQ(wm, 30000);
  /* every shard idle: they go to the newest watermark (a quiet stream) */
  m[0].done = m[1].done = false;
  m[0].idle = m[1].idle = m[2].idle = true;
  ASSERT(rt_dist_idle_target(shards, 3, m, 4, &wm));
  ASSERT_EQ(wm, 30000);
  /* a shard being read without a watermark: no target yet */
  m[0].idle = false;
  m[0].has_wm = false;
  ASSERT(!rt_dist_idle_target(shards, 3, m, 4, &wm));
  /* nothing left at all */
  ASSERT(!rt_dist_global_watermark(shards, 0, m, 4, &wm));
  ASSERT(!rt_dist_idle_target(shards, 0, m, 4, &wm));
}

static rt_dist_partials *open_table(const char *app) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.dynamodb_endpoint, sizeof(cfg.dynamodb_endpoint), "%s", ddb.url);
  cfg.dynamodb_endpoint_set = 1;
  rt_err err;
  rt_dist_partials *p = rt_dist_partials_new(&cfg, app, NULL, &err);
  if (!p)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT(p != NULL);
  return p;
}

/* What a read collected: per shard, the bytes. */
typedef struct got {
  char shard[8][64];
  rt_buf data[8];
  int n;
} got;

static int collect(void *ctx, const char *shard, const void *data, size_t len) {
  got *g = ctx;
  ASSERT(g->n < 8);
  snprintf(g->shard[g->n], sizeof(g->shard[0]), "%s", shard);
  rt_buf_init(&g->data[g->n], 0);
  rt_buf_append(&g->data[g->n], data, len);
  g->n++;
  return 0;
}

static void got_free(got *g) {
  for (int i = 0; i < g->n; i++)
    rt_buf_free(&g->data[i]);
  g->n = 0;
}

/* Every write and read of the table; page_items > 0 makes each Query answer
 * come in pages of that many items, all of which must be followed. */
static void publish_and_read(const char *app, int page_items) {
  rt_dist_partials *p = open_table(app);
  char table[64];
  snprintf(table, sizeof(table), "%s-partials", app);
  ASSERT_STR_EQ(rt_dist_partials_table(p), table);
  rt_dist_partials_set_page_items(p, page_items);
  rt_err err;
  /* a partial bigger than one item goes in chunks and comes back whole */
  size_t big = RT_DIST_CHUNK_BYTES * 2 + 1234;
  char *bytes = rt_xmalloc(big);
  for (size_t i = 0; i < big; i++)
    bytes[i] = (char)(i * 7 + i / 1000);
  ASSERT_EQ(rt_dist_partials_put(p, 0, 10000, "shard-1", bytes, big, &err), 0);
  ASSERT_EQ(rt_dist_partials_put(p, 0, 10000, "shard-2", "xyz", 3, &err), 0);
  ASSERT_EQ(rt_dist_partials_put(p, 10000, 20000, "shard-1", "later", 5, &err), 0);
  got g = {0};
  ASSERT_EQ(rt_dist_partials_get(p, 0, 10000, collect, &g, &err), 0);
  ASSERT_EQ(g.n, 2);
  ASSERT_STR_EQ(g.shard[0], "shard-1");
  ASSERT_EQ(g.data[0].len, big);
  ASSERT(memcmp(g.data[0].data, bytes, big) == 0);
  ASSERT_STR_EQ(g.shard[1], "shard-2");
  ASSERT_EQ(g.data[1].len, 3);
  got_free(&g);
  /* publishing the same (window, shard) again, as a worker re-reading
   * after a failover does, changes nothing: one partial per shard */
  ASSERT_EQ(rt_dist_partials_put(p, 0, 10000, "shard-1", bytes, big, &err), 0);
  ASSERT_EQ(rt_dist_partials_put(p, 0, 10000, "shard-2", "xyz", 3, &err), 0);
  ASSERT_EQ(rt_dist_partials_get(p, 0, 10000, collect, &g, &err), 0);
  ASSERT_EQ(g.n, 2);
  ASSERT_EQ(g.data[0].len, big);
  ASSERT(memcmp(g.data[0].data, bytes, big) == 0);
  got_free(&g);
  rt_free(bytes);

  /* the index lists windows by end, after one end and up to another */
  ASSERT_EQ(rt_dist_partials_put(p, -5000, 5000, "shard-2", "neg", 3, &err), 0);
  rt_dist_window *w = NULL;
  size_t nw = 0;
  ASSERT_EQ(rt_dist_partials_windows(p, false, 0, 20000, &w, &nw, &err), 0);
  ASSERT_EQ(nw, 3);
  ASSERT_EQ(w[0].start, -5000);
  ASSERT_EQ(w[1].end, 10000);
  ASSERT_EQ(w[2].end, 20000);
  rt_free(w);
  ASSERT_EQ(rt_dist_partials_windows(p, true, 5000, 10000, &w, &nw, &err), 0);
  ASSERT_EQ(nw, 1);
  ASSERT_EQ(w[0].start, 0);
  rt_free(w);

  /* marks: one per shard, the last write wins */
  rt_dist_mark m1 = mark("shard-1", true, 12345, false, false);
  rt_dist_mark m2 = mark("shard-2", false, 0, true, false);
  ASSERT_EQ(rt_dist_partials_put_mark(p, &m1, &err), 0);
  ASSERT_EQ(rt_dist_partials_put_mark(p, &m2, &err), 0);
  m1.wm = 22222;
  m1.done = true;
  ASSERT_EQ(rt_dist_partials_put_mark(p, &m1, &err), 0);
  rt_dist_mark *ms = NULL;
  size_t nm = 0;
  ASSERT_EQ(rt_dist_partials_marks(p, &ms, &nm, &err), 0);
  ASSERT_EQ(nm, 2);
  ASSERT_STR_EQ(ms[0].shard, "shard-1");
  ASSERT(ms[0].has_wm && ms[0].done && !ms[0].idle);
  ASSERT_EQ(ms[0].wm, 22222);
  ASSERT(!ms[1].has_wm && ms[1].idle);
  rt_free(ms);

  /* collection: nothing inside the grace period, then windows up to an end */
  size_t deleted = 99;
  ASSERT_EQ(rt_dist_partials_collect(p, 10000, 60000, &deleted, &err), 0);
  ASSERT_EQ(deleted, 0);
  ASSERT_EQ(rt_dist_partials_collect(p, 10000, 0, &deleted, &err), 0);
  ASSERT_EQ(deleted, 2);
  ASSERT_EQ(rt_dist_partials_windows(p, false, 0, 20000, &w, &nw, &err), 0);
  ASSERT_EQ(nw, 1);
  ASSERT_EQ(w[0].end, 20000);
  rt_free(w);
  ASSERT_EQ(rt_dist_partials_get(p, 0, 10000, collect, &g, &err), 0);
  ASSERT_EQ(g.n, 0);
  rt_dist_partials_free(&p);
  ASSERT(p == NULL);
}

static void test_publish_and_read(void) { publish_and_read("dist-app", 0); }

/* One item a page: chunks, windows, marks and collection read across pages. */
static void test_publish_and_read_paged(void) { publish_and_read("dist-paged", 1); }

/* An index key no writer makes (times so far out that taking the offset off
 * overflowed, undefined behaviour) is skipped, like any malformed one (seen
 * while writing fuzz_ddb_answers). Only a canned answer can hold it:
 * DynamoDB's key range leaves it out. */
static void test_index_key_out_of_range(void) {
  static const char *const answers[] = {
      ("200 {\"Table\":{\"TableName\":\"dist-bad-partials\",\"TableStatus\":\"ACTIVE\","
      "\"KeySchema\":[{\"AttributeName\":\"k\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"r\","
      "\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"k\","
      "\"AttributeType\":\"S\"},{\"AttributeName\":\"r\",\"AttributeType\":\"S\"}]}}"),
      "200 {}",
      ("200 {\"Items\":[{\"k\":{\"S\":\"I\"},\"r\":{\"S\":\"-9223372036854775808#-9223372036854775808\"}},"
      "{\"k\":{\"S\":\"I\"},\"r\":{\"S\":\"1000000000010000#1000000000000000\"}}]}")};
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.dynamodb_endpoint, sizeof(cfg.dynamodb_endpoint), "http://127.0.0.1:9");
  cfg.dynamodb_endpoint_set = 1;
  test_answers a;
  test_answers_play(&a, answers, 3);
  rt_err err;
  rt_dist_partials *p = rt_dist_partials_new(&cfg, "dist-bad", NULL, &err);
  ASSERT(p);
  rt_dist_window *w = NULL;
  size_t nw = 0;
  ASSERT_EQ(rt_dist_partials_windows(p, false, 0, 20000, &w, &nw, &err), 0);
  test_answers_stop();
  ASSERT_EQ(nw, 1);
  ASSERT_EQ(w[0].start, 0);
  ASSERT_EQ(w[0].end, 10000);
  rt_free(w);
  rt_dist_partials_free(&p);
}

int main(void) {
  TEST_RUN(test_global_watermark);
  TEST_RUN(test_index_key_out_of_range);
  server_start_service(&ddb, "dynalite");
  TEST_RUN(test_publish_and_read);
  TEST_RUN(test_publish_and_read_paged);
  server_stop(&ddb);
  return test_summary();
}
