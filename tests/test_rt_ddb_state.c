/*
 * Tests of per-shard operator state (issue 8): the chunked, versioned store
 * in DynamoDB (rt_ddb_state.h) through the checkpoint store and the leases,
 * against dynalite on loopback, and the file store's per-shard pairs:
 * multi-megabyte states byte-exact (a pattern and a real rt_pipeline_save of
 * 20,000 groups), a write stopped before its switch (the previous state
 * stays, orphans are swept), answers cut or refused by the fault proxy
 * (tests/py/fault_proxy.py), foreign identities and foreign tables refused,
 * a fenced write after a lost lease.
 */
#include "rt_ddb_state.h"
#include "rt_dynamodb.h"
#include "rt_hash.h"
#include "rt_kinesis_checkpoint.h"
#include "rt_kinesis_lease.h"
#include "rt_mem.h"
#include "test.h"
#include "test_answers.h"
#include "test_rt_kinesis_server.h"
#include "test_state_pipeline.h"

#include <sys/stat.h>

static server ddb;

static rt_aws_config config_at(const char *url) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.dynamodb_endpoint, sizeof(cfg.dynamodb_endpoint), "%s", url);
  cfg.dynamodb_endpoint_set = 1;
  return cfg;
}

/* A deterministic byte pattern of n bytes, different per seed. */
static unsigned char *pattern(size_t n, uint64_t seed) {
  unsigned char *p = rt_xmalloc(n ? n : 1);
  uint64_t s = seed;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t w = rt_splitmix64_next(&s);
    memcpy(p + i, &w, n - i < 8 ? n - i : 8);
  }
  return p;
}

static rt_kin_ckpt *open_ddb(const char *url, const char *app, const char *identity) {
  rt_aws_config cfg = config_at(url);
  rt_kin_ckpt *c = NULL;
  rt_err err;
  int rc = rt_kin_ckpt_open_as(&cfg, app, "st", NULL, identity, &c, &err);
  if (rc)
    fprintf(stderr, "open: %s\n", err.msg);
  ASSERT_EQ(rc, 0);
  return c;
}

/* Loads shard and checks it holds sequence and the n bytes of pattern seed. */
static void expect_state(rt_kin_ckpt *c, const char *shard, const char *sequence, size_t n,
                         uint64_t seed) {
  char *seq = NULL;
  void *st = NULL;
  size_t len = 0;
  rt_err err;
  int rc = rt_kin_ckpt_load_shard(c, shard, &seq, &st, &len, &err);
  if (rc)
    fprintf(stderr, "load: %s\n", err.msg);
  ASSERT_EQ(rc, 0);
  ASSERT_STR_EQ(seq, sequence);
  ASSERT(st != NULL);
  ASSERT_EQ(len, n);
  unsigned char *want = pattern(n, seed);
  ASSERT(memcmp(st, want, n) == 0);
  rt_free(want);
  rt_free(seq);
  rt_free(st);
}

static void commit(rt_kin_ckpt *c, const char *shard, const char *sequence, size_t n,
                   uint64_t seed) {
  unsigned char *p = pattern(n, seed);
  rt_err err;
  int rc = rt_kin_ckpt_commit_shard(c, shard, sequence, p, n, &err);
  if (rc)
    fprintf(stderr, "commit: %s\n", err.msg);
  ASSERT_EQ(rc, 0);
  rt_free(p);
}

/* Counts shard's chunk items in table, every version (pages of 1 MB). */
static int count_chunks(rt_awsj *d, const char *table, const char *shard) {
  json_t *start = NULL;
  int n = 0;
  do {
    json_t *body = json_pack("{s:s, s:b, s:s, s:{s:{s:s}}, s:s}", "TableName", table,
                             "ConsistentRead", 1, "KeyConditionExpression", "stateShard = :s",
                             "ExpressionAttributeValues", ":s", "S", shard,
                             "ProjectionExpression", "statePart");
    if (start)
      json_object_set_new(body, "ExclusiveStartKey", start);
    json_t *out = NULL;
    ASSERT_EQ(rt_awsj_call(d, "Query", body, &out, NULL), 0);
    n += (int)json_array_size(json_object_get(out, "Items"));
    start = json_object_get(out, "LastEvaluatedKey");
    start = start ? json_deep_copy(start) : NULL;
    json_decref(out);
  } while (start);
  return n;
}

static json_t *get_lease_item(rt_awsj *d, const char *table, const char *shard) {
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:b}", "TableName", table, "Key", "leaseKey",
                           "S", shard, "ConsistentRead", 1);
  json_t *out = NULL;
  ASSERT_EQ(rt_awsj_call(d, "GetItem", body, &out, NULL), 0);
  json_t *item = json_incref(json_object_get(out, "Item"));
  json_decref(out);
  return item;
}

static const char *attr(json_t *item, const char *name, const char *type) {
  return json_string_value(json_object_get(json_object_get(item, name), type));
}

enum { BIG = 1300000, MID = 900000 }; /* 4 chunks and 3 chunks */

/* A 1.3 MB state round-trips byte-exact; the next commit moves position and
 * state together (SEQ:SUB split as KCL keeps it), and the old version's
 * chunks are gone; the lease table holds no state items. */
static void test_big_state_roundtrip(void) {
  rt_kin_ckpt *c = open_ddb(ddb.url, "big-app", "q:big:v1");
  ASSERT(rt_kin_ckpt_is_dynamodb(c));
  commit(c, "shardId-000000000000", "4968041273173261242809486862986116086771902217340321792",
         BIG, 1);
  rt_kin_ckpt_free(&c);

  c = open_ddb(ddb.url, "big-app", "q:big:v1");
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000000"),
                "4968041273173261242809486862986116086771902217340321792");
  expect_state(c, "shardId-000000000000",
               "4968041273173261242809486862986116086771902217340321792", BIG, 1);
  commit(c, "shardId-000000000000", "4968041273173261242809486862986116086771902217340321999:3",
         MID, 2);
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000000"),
                "4968041273173261242809486862986116086771902217340321999:3");
  rt_kin_ckpt_free(&c);

  rt_aws_config cfg = config_at(ddb.url);
  rt_awsj *d = rt_ddb_new(&cfg, NULL);
  json_t *item = get_lease_item(d, "big-app", "shardId-000000000000");
  ASSERT_STR_EQ(attr(item, "checkpoint", "S"),
                "4968041273173261242809486862986116086771902217340321999");
  ASSERT_STR_EQ(attr(item, "checkpointSubSequenceNumber", "N"), "3");
  ASSERT_STR_EQ(attr(item, "leaseCounter", "N"), "2");
  ASSERT_STR_EQ(attr(item, "stateChunks", "N"), "3");
  ASSERT_STR_EQ(attr(item, "stateBytes", "N"), "900000");
  ASSERT_STR_EQ(attr(item, "stateIdentity", "S"), "q:big:v1");
  json_decref(item);
  ASSERT_EQ(count_chunks(d, "big-app-state", "shardId-000000000000"), 3); /* old version gone */
  json_t *out = NULL;
  ASSERT_EQ(rt_awsj_call(d, "Scan", json_pack("{s:s}", "TableName", "big-app"), &out, NULL), 0);
  ASSERT_EQ(json_array_size(json_object_get(out, "Items")), 1); /* KCL sees one lease */
  json_decref(out);

  c = open_ddb(ddb.url, "big-app", "q:big:v1");
  expect_state(c, "shardId-000000000000",
               "4968041273173261242809486862986116086771902217340321999:3", MID, 2);
  /* an empty state is a state; a position with no state drops it */
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000001", "5", "", 0, NULL), 0);
  char *seq;
  void *st;
  size_t len;
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000001", &seq, &st, &len, NULL), 0);
  ASSERT_STR_EQ(seq, "5");
  ASSERT(st != NULL);
  ASSERT_EQ(len, 0);
  rt_free(seq);
  rt_free(st);
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000000", "6", NULL, 0, NULL), 0);
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000000", &seq, &st, &len, NULL), 0);
  ASSERT_STR_EQ(seq, "6");
  ASSERT(st == NULL);
  rt_free(seq);
  ASSERT_EQ(count_chunks(d, "big-app-state", "shardId-000000000000"), 0);
  /* bad positions are refused before anything is written */
  rt_err err;
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000000", "12x", "ab", 2, &err),
            RT_EINVAL);
  ASSERT(strstr(err.msg, "12x") != NULL);
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000000", "12:", "ab", 2, &err),
            RT_EINVAL);
  rt_kin_ckpt_free(&c);
  rt_awsj_free(&d);
}

/* The real serialized state of a query with 20,000 groups goes through
 * DynamoDB and restores into a fresh pipeline that saves the same bytes. */
static void test_pipeline_state_roundtrip(void) {
  dsl_program *prog = NULL;
  dsl_plan *plan = NULL;
  rt_err err;
  ASSERT_EQ(state_pipeline_compile(&prog, &plan, &err), 0);
  rt_buf saved;
  rt_buf_init(&saved, 0);
  ASSERT_EQ(state_pipeline_bytes(plan, 20000, &saved, &err), 0);
  fprintf(stderr, "   20,000 groups: %zu bytes of state\n", saved.len);
  ASSERT(saved.len > RT_DDB_STATE_CHUNK); /* more than one chunk */

  rt_kin_ckpt *c = open_ddb(ddb.url, "pipe-app", "q:pipe:v1");
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000007", "42:0", saved.data, saved.len,
                                     &err), 0);
  rt_kin_ckpt_free(&c);
  c = open_ddb(ddb.url, "pipe-app", "q:pipe:v1");
  char *seq;
  void *st;
  size_t len;
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000007", &seq, &st, &len, &err), 0);
  ASSERT_STR_EQ(seq, "42:0");
  ASSERT_EQ(len, saved.len);
  ASSERT(memcmp(st, saved.data, len) == 0);

  rt_pipeline *p = rt_pipeline_new(plan, &err);
  ASSERT_EQ(rt_pipeline_restore(p, st, len, &err), 0);
  rt_buf again;
  rt_buf_init(&again, 0);
  ASSERT_EQ(rt_pipeline_save(p, &again), 0);
  ASSERT_EQ(again.len, saved.len);
  ASSERT(memcmp(again.data, saved.data, saved.len) == 0);
  rt_buf_free(&again);
  rt_pipeline_free(&p);
  rt_free(seq);
  rt_free(st);
  rt_kin_ckpt_free(&c);
  rt_buf_free(&saved);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
}

/* A writer stopped after two chunks of a new version (as kill -9 between
 * chunk writes and the switch leaves it) changes nothing readers see; the
 * next load of the shard sweeps the orphans. Also a whole new version
 * written but never switched in. */
static void test_crash_before_switch(void) {
  rt_kin_ckpt *c = open_ddb(ddb.url, "crash-app", "q:crash:v1");
  commit(c, "shardId-000000000000", "100", BIG, 3);
  rt_kin_ckpt_free(&c);

  rt_aws_config cfg = config_at(ddb.url);
  rt_awsj *d = rt_ddb_new(&cfg, NULL);
  unsigned char *next = pattern(BIG, 4);
  char version[24];
  rt_ddb_state_new_version(version);
  for (long i = 0; i < 2; i++) /* the "crashed" writer: 2 of 4 chunks, no switch */
    ASSERT_EQ(rt_ddb_state_put_chunk(d, "crash-app-state", "shardId-000000000000", version, i,
                                     next + i * RT_DDB_STATE_CHUNK, RT_DDB_STATE_CHUNK, NULL), 0);
  rt_ddb_state_meta m;
  memset(&m, 0, sizeof(m));
  rt_ddb_state_new_version(m.version);
  ASSERT_EQ(rt_ddb_state_write(d, "crash-app-state", "shardId-000000000000", &m, next, 1000,
                               NULL), 0); /* whole, never switched */
  ASSERT_EQ(count_chunks(d, "crash-app-state", "shardId-000000000000"), 4 + 2 + 1);
  rt_free(next);

  c = open_ddb(ddb.url, "crash-app", "q:crash:v1");
  expect_state(c, "shardId-000000000000", "100", BIG, 3);
  ASSERT_EQ(count_chunks(d, "crash-app-state", "shardId-000000000000"), 4); /* swept */
  commit(c, "shardId-000000000000", "101", MID, 5);
  expect_state(c, "shardId-000000000000", "101", MID, 5);
  ASSERT_EQ(count_chunks(d, "crash-app-state", "shardId-000000000000"), 3);
  rt_kin_ckpt_free(&c);

  /* a damaged state is an error, never a partial one: drop a chunk */
  json_t *item = get_lease_item(d, "crash-app", "shardId-000000000000");
  char part[48];
  snprintf(part, sizeof(part), "%s#000001", attr(item, "stateVersion", "S"));
  json_decref(item);
  ASSERT_EQ(rt_awsj_call(d, "DeleteItem",
                         json_pack("{s:s, s:{s:{s:s}, s:{s:s}}}", "TableName", "crash-app-state",
                                   "Key", "stateShard", "S", "shardId-000000000000",
                                   "statePart", "S", part), NULL, NULL), 0);
  c = open_ddb(ddb.url, "crash-app", "q:crash:v1");
  char *seq = (char *)"x";
  void *st = (void *)"x";
  size_t len;
  rt_err err;
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000000", &seq, &st, &len, &err),
            RT_EPROTO);
  ASSERT(strstr(err.msg, "chunk 1") != NULL);
  ASSERT(seq == NULL && st == NULL);
  rt_kin_ckpt_free(&c);
  rt_awsj_free(&d);
}

/* Starts tests/py/fault_proxy.py in front of upstream with schedule, a JSON
 * list of [action, n, fault]; it prints its port and stops when its stdin
 * closes (like server_start_service). */
static void proxy_start(server *s, const char *upstream, const char *schedule) {
  char dir[512], port[16];
  snprintf(dir, sizeof(dir), "%s/py", EDDY_TEST_DATA);
  snprintf(port, sizeof(port), "%s", strrchr(upstream, ':') + 1);
  const char *prog =
      "import sys, json\n"
      "sys.path.insert(0, sys.argv[1])\n"
      "from fault_proxy import FaultProxy\n"
      "sched = {(a, n): f for a, n, f in json.loads(sys.argv[3])}\n"
      "p = FaultProxy(int(sys.argv[2]), sched)\n"
      "print(p.port, flush=True)\n"
      "sys.stdin.read()\n"
      "print('faults served:', p.hits, file=sys.stderr)\n"
      "p.stop()\n";
  char *argv[] = {"/usr/bin/python3", "-c", (char *)prog, dir, port, (char *)schedule, NULL};
  long p = spawn_with_port(argv, &s->pid, &s->stdin_fd);
  if (p < 0)
    server_fail("fault_proxy.py", "it did not print its port (is /usr/bin/python3 there?)");
  snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%ld", p);
}

/* Through the fault proxy: a throttled and a cut chunk write are retried,
 * and a switch whose answer is cut after it landed is recognised as ours;
 * then chunk writes refused past the retries fail the commit and leave the
 * previous state readable; then a switch that lands unseen and whose
 * retries fail returns an error, and readers see the new pair whole. */
static void test_fault_proxy(void) {
  rt_kin_ckpt *c = open_ddb(ddb.url, "fault-app", "q:f:v1");
  commit(c, "shardId-000000000000", "10", BIG, 6); /* creates both tables directly */
  rt_kin_ckpt_free(&c);

  server px;
  proxy_start(&px, ddb.url,
              "[[\"PutItem\", 1, \"throttle\"], [\"PutItem\", 3, \"reset_response\"],"
              " [\"UpdateItem\", 1, \"reset_response\"], [\"Query\", 1, \"503\"]]");
  c = open_ddb(px.url, "fault-app", "q:f:v1");
  expect_state(c, "shardId-000000000000", "10", BIG, 6); /* Query 503: retried */
  commit(c, "shardId-000000000000", "11", MID, 7);
  expect_state(c, "shardId-000000000000", "11", MID, 7);
  rt_kin_ckpt_free(&c);
  server_stop(&px);

  proxy_start(&px, ddb.url,
              "[[\"PutItem\", 2, \"503\"], [\"PutItem\", 3, \"503\"], [\"PutItem\", 4, \"503\"],"
              " [\"PutItem\", 5, \"throttle\"], [\"PutItem\", 6, \"503\"],"
              " [\"PutItem\", 7, \"503\"]]");
  c = open_ddb(px.url, "fault-app", "q:f:v1");
  unsigned char *p = pattern(BIG, 8);
  rt_err err;
  int rc = rt_kin_ckpt_commit_shard(c, "shardId-000000000000", "12", p, BIG, &err);
  ASSERT_EQ(rc, RT_ESERVER);
  fprintf(stderr, "   refused: %s\n", err.msg);
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000000"), "11");
  rt_kin_ckpt_free(&c);
  server_stop(&px);
  c = open_ddb(ddb.url, "fault-app", "q:f:v1");
  expect_state(c, "shardId-000000000000", "11", MID, 7);
  rt_kin_ckpt_free(&c);

  proxy_start(&px, ddb.url,
              "[[\"UpdateItem\", 1, \"reset_response\"], [\"UpdateItem\", 2, \"503\"],"
              " [\"UpdateItem\", 3, \"503\"], [\"UpdateItem\", 4, \"503\"],"
              " [\"UpdateItem\", 5, \"503\"], [\"UpdateItem\", 6, \"503\"]]");
  c = open_ddb(px.url, "fault-app", "q:f:v1");
  rc = rt_kin_ckpt_commit_shard(c, "shardId-000000000000", "12", p, BIG, &err);
  ASSERT_EQ(rc, RT_ESERVER);
  rt_kin_ckpt_free(&c);
  server_stop(&px);
  c = open_ddb(ddb.url, "fault-app", "q:f:v1");
  expect_state(c, "shardId-000000000000", "12", BIG, 8); /* it had landed: whole */
  rt_aws_config cfg = config_at(ddb.url);
  rt_awsj *d = rt_ddb_new(&cfg, NULL);
  ASSERT_EQ(count_chunks(d, "fault-app-state", "shardId-000000000000"), 4); /* old swept */
  rt_awsj_free(&d);
  rt_kin_ckpt_free(&c);
  rt_free(p);
}

/* A state saved by one query is refused to another, naming both. */
static void test_foreign_identity(void) {
  rt_kin_ckpt *c = open_ddb(ddb.url, "ident-app", "q:aaaa:v1");
  commit(c, "shardId-000000000000", "1", 5000, 9);
  rt_kin_ckpt_free(&c);
  c = open_ddb(ddb.url, "ident-app", "q:bbbb:v1");
  char *seq;
  void *st;
  size_t len;
  rt_err err;
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000000", &seq, &st, &len, &err),
            RT_EINVAL);
  fprintf(stderr, "   %s\n", err.msg);
  ASSERT(strstr(err.msg, "checkpoint of ident-app was saved by a different query") != NULL);
  ASSERT(strstr(err.msg, "q:aaaa:v1") != NULL && strstr(err.msg, "q:bbbb:v1") != NULL);
  rt_kin_ckpt_free(&c);
  c = open_ddb(ddb.url, "ident-app", "q:aaaa:v1"); /* untouched for its owner */
  expect_state(c, "shardId-000000000000", "1", 5000, 9);
  rt_kin_ckpt_free(&c);
}

/* Tables of the same name with another key schema are refused and left as
 * they were: the lease table at open, the state table at the first commit. */
static void test_foreign_schema(void) {
  rt_aws_config cfg = config_at(ddb.url);
  rt_awsj *d = rt_ddb_new(&cfg, NULL);
  ASSERT_EQ(rt_ddb_ensure_table(d, "foreign-app", "id", "N", NULL, NULL, NULL), 0);
  ASSERT_EQ(rt_awsj_call(d, "PutItem",
                         json_pack("{s:s, s:{s:{s:s}, s:{s:s}}}", "TableName", "foreign-app",
                                   "Item", "id", "N", "7", "leaseKey", "S", "x"), NULL, NULL), 0);
  rt_kin_ckpt *c = NULL;
  rt_err err;
  ASSERT_EQ(rt_kin_ckpt_open_as(&cfg, "foreign-app", "st", NULL, "q", &c, &err), RT_EINVAL);
  fprintf(stderr, "   %s\n", err.msg);
  ASSERT(strstr(err.msg, "id N HASH") != NULL && strstr(err.msg, "leaseKey S HASH") != NULL);
  ASSERT(c == NULL);
  json_t *out = NULL;
  ASSERT_EQ(rt_awsj_call(d, "Scan", json_pack("{s:s}", "TableName", "foreign-app"), &out, NULL),
            0);
  ASSERT_EQ(json_array_size(json_object_get(out, "Items")), 1);
  json_decref(out);

  ASSERT_EQ(rt_ddb_ensure_table(d, "foreign2-app-state", "stateShard", "S", NULL, NULL, NULL),
            0);
  c = open_ddb(ddb.url, "foreign2-app", "q");
  unsigned char *p = pattern(100, 1);
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000000", "3", p, 100, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "foreign2-app-state") != NULL);
  ASSERT(rt_kin_ckpt_get(c, "shardId-000000000000") == NULL);
  rt_free(p);
  rt_kin_ckpt_free(&c);
  ASSERT_EQ(rt_awsj_call(d, "Scan", json_pack("{s:s}", "TableName", "foreign2-app-state"), &out,
                         NULL), 0);
  ASSERT_EQ(json_array_size(json_object_get(out, "Items")), 0);
  json_decref(out);
  rt_awsj_free(&d);
}

static rt_kin_leases *worker(const char *name, const char *identity) {
  rt_aws_config cfg = config_at(ddb.url);
  rt_kin_lease_opts o = {.table = "fence-app", .worker = name, .failover_ms = 500,
                         .identity = identity};
  rt_err err;
  rt_kin_leases *l = rt_kin_leases_new(&cfg, &o, &err);
  if (!l)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT(l != NULL);
  return l;
}

/* Worker a checkpoints a state, stalls, b takes the expired lease and loads
 * a's state; a's next fenced write is RT_ECONFLICT and leaves b's view (and
 * no chunk of its own) behind. */
static void test_lease_fenced_state(void) {
  rt_kin_leases *a = worker("worker-a", "q:lease:v1"), *b = worker("worker-b", "q:lease:v1");
  rt_kin_shards shards;
  memset(&shards, 0, sizeof(shards));
  shards.v = rt_xcalloc(1, sizeof(*shards.v));
  shards.v[0].shard_id = rt_xstrdup("shardId-000000000000");
  shards.n = 1;
  rt_err err;
  ASSERT_EQ(rt_kin_leases_sync(a, &shards, "TRIM_HORIZON", &err), 0);
  int64_t now = 100000;
  ASSERT_EQ(rt_kin_leases_tick(a, now, &err), 0);
  ASSERT_EQ(rt_kin_leases_count_held(a), 1);
  char *seq;
  void *st;
  size_t len;
  ASSERT_EQ(rt_kin_leases_load_state(a, "shardId-000000000000", &seq, &st, &len, &err), 0);
  ASSERT_STR_EQ(seq, "TRIM_HORIZON");
  ASSERT(st == NULL);
  rt_free(seq);
  unsigned char *s1 = pattern(BIG, 10), *s2 = pattern(MID, 11);
  ASSERT_EQ(rt_kin_leases_checkpoint_state(a, "shardId-000000000000", "500:2", s1, BIG, &err),
            0);
  ASSERT_EQ(rt_kin_leases_checkpoint_state(b, "shardId-000000000000", "501", s2, MID, &err),
            RT_ENOTFOUND);

  ASSERT_EQ(rt_kin_leases_tick(b, now, &err), 0); /* b first sees a's lease alive */
  ASSERT_EQ(rt_kin_leases_tick(b, now + 1000, &err), 0); /* a never renewed: expired */
  ASSERT_EQ(rt_kin_leases_count_held(b), 1);
  ASSERT_EQ(rt_kin_leases_load_state(b, "shardId-000000000000", &seq, &st, &len, &err), 0);
  ASSERT_STR_EQ(seq, "500:2");
  ASSERT_EQ(len, BIG);
  ASSERT(memcmp(st, s1, BIG) == 0);
  rt_free(seq);
  rt_free(st);

  ASSERT_EQ(rt_kin_leases_checkpoint_state(a, "shardId-000000000000", "600", s2, MID, &err),
            RT_ECONFLICT);
  ASSERT(strstr(err.msg, "taken by another worker") != NULL);
  ASSERT_EQ(rt_kin_leases_held(a, "shardId-000000000000"), 0);
  rt_aws_config cfg = config_at(ddb.url);
  rt_awsj *d = rt_ddb_new(&cfg, NULL);
  ASSERT_EQ(count_chunks(d, "fence-app-state", "shardId-000000000000"), 4); /* a's deleted */
  ASSERT_EQ(rt_kin_leases_load_state(b, "shardId-000000000000", &seq, &st, &len, &err), 0);
  ASSERT_STR_EQ(seq, "500:2");
  ASSERT(len == BIG && memcmp(st, s1, BIG) == 0);
  rt_free(seq);
  rt_free(st);

  ASSERT_EQ(rt_kin_leases_checkpoint_state(b, "shardId-000000000000", "700", s2, MID, &err), 0);
  ASSERT_EQ(count_chunks(d, "fence-app-state", "shardId-000000000000"), 3);
  rt_kin_leases *other = worker("worker-c", "q:other:v2");
  ASSERT_EQ(rt_kin_leases_load_state(other, "shardId-000000000000", &seq, &st, &len, &err),
            RT_EINVAL);
  ASSERT(strstr(err.msg, "q:lease:v1") != NULL && strstr(err.msg, "q:other:v2") != NULL);
  /* a position-only checkpoint drops the state with the old position */
  ASSERT_EQ(rt_kin_leases_checkpoint(b, "shardId-000000000000", "800", &err), 0);
  ASSERT_EQ(rt_kin_leases_load_state(other, "shardId-000000000000", &seq, &st, &len, &err), 0);
  ASSERT_STR_EQ(seq, "800");
  ASSERT(st == NULL);
  rt_free(seq);
  ASSERT_EQ(rt_kin_leases_checkpoint_state(b, "shardId-000000000000", "801", s1, 10, &err), 0);
  ASSERT_EQ(count_chunks(d, "fence-app-state", "shardId-000000000000"), 1); /* old deleted */

  rt_free(s1);
  rt_free(s2);
  rt_awsj_free(&d);
  rt_kin_leases_free(&other);
  rt_kin_leases_free(&a);
  rt_kin_leases_free(&b);
  rt_free(shards.v[0].shard_id);
  rt_free(shards.v);
}

/* The file store keeps every shard's pair in its one file: round trip,
 * identity, a failed write keeping the previous pairs, a moved position
 * dropping its state, the whole-query state still beside them. */
static void test_file_store_shards(void) {
  char dir[] = "/tmp/eddy-st-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  rt_kin_ckpt *c = NULL;
  rt_err err;
  ASSERT_EQ(rt_kin_ckpt_open_as(&cfg, "fapp", "s", dir, "q:file:v1", &c, &err), 0);
  ASSERT(!rt_kin_ckpt_is_dynamodb(c));
  commit(c, "shardId-000000000000", "10:1", BIG, 12);
  commit(c, "shardId-000000000001", "20", 1000, 13);
  ASSERT_EQ(rt_kin_ckpt_set_state(c, "whole", 5, &err), 0);
  ASSERT_EQ(rt_kin_ckpt_flush(c, &err), 0);
  rt_kin_ckpt_free(&c);

  ASSERT_EQ(rt_kin_ckpt_open_as(&cfg, "fapp", "s", dir, "q:file:v1", &c, &err), 0);
  expect_state(c, "shardId-000000000000", "10:1", BIG, 12);
  expect_state(c, "shardId-000000000001", "20", 1000, 13);
  size_t len;
  ASSERT_EQ(memcmp(rt_kin_ckpt_state(c, &len), "whole", 5), 0);

  /* the write fails (its temp file cannot be made): the old pairs stay */
  char tmp[300];
  snprintf(tmp, sizeof(tmp), "%s/fapp.s.checkpoint.json.tmp", dir);
  ASSERT_EQ(mkdir(tmp, 0755), 0);
  unsigned char *p = pattern(500, 14);
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000000", "11", p, 500, &err), RT_EIO);
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000000"), "10:1");
  expect_state(c, "shardId-000000000000", "10:1", BIG, 12);
  rmdir(tmp);
  rt_kin_ckpt_free(&c);
  ASSERT_EQ(rt_kin_ckpt_open_as(&cfg, "fapp", "s", dir, "q:file:v1", &c, &err), 0);
  expect_state(c, "shardId-000000000000", "10:1", BIG, 12);

  /* a position moved without a state drops that shard's state only */
  rt_kin_ckpt_set(c, "shardId-000000000001", "21");
  ASSERT_EQ(rt_kin_ckpt_flush(c, &err), 0);
  commit(c, "shardId-000000000002", "30", 100, 15);
  ASSERT_EQ(rt_kin_ckpt_commit_shard(c, "shardId-000000000002", "31", NULL, 0, &err), 0);
  rt_kin_ckpt_free(&c);
  ASSERT_EQ(rt_kin_ckpt_open_as(&cfg, "fapp", "s", dir, "q:other:v1", &c, &err), 0);
  char *seq;
  void *st;
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000001", &seq, &st, &len, &err), 0);
  ASSERT_STR_EQ(seq, "21");
  ASSERT(st == NULL);
  rt_free(seq);
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000002", &seq, &st, &len, &err), 0);
  ASSERT_STR_EQ(seq, "31");
  ASSERT(st == NULL);
  rt_free(seq);
  ASSERT_EQ(rt_kin_ckpt_load_shard(c, "shardId-000000000000", &seq, &st, &len, &err),
            RT_EINVAL);
  ASSERT(strstr(err.msg, "checkpoint of fapp was saved by a different query") != NULL);
  ASSERT(strstr(err.msg, "q:file:v1") != NULL && strstr(err.msg, "q:other:v1") != NULL);
  rt_kin_ckpt_free(&c);
  rt_free(p);
  char path[300];
  snprintf(path, sizeof(path), "%s/fapp.s.checkpoint.json", dir);
  unlink(path);
  rmdir(dir);
}

/* Allocations over 64 MiB fail (and rt_xmalloc aborts the test): a damaged
 * stateBytes must not size a buffer. The wrapper shares libc's heap, so
 * memory may cross the swap both ways. */
enum { SMALL_MAX = 64 << 20 };
static void *small_malloc(size_t n) { return n > SMALL_MAX ? NULL : malloc(n); }
static void *small_realloc(void *p, size_t n) { return n > SMALL_MAX ? NULL : realloc(p, n); }

/* An item that states 4 GiB of state, with one 10-byte chunk behind it: an
 * RT_EPROTO, not an out-of-memory abort (seen while writing fuzz_ddb_answers). */
static void test_damaged_size_refused(void) {
  static const char *const answers[] = {
      "200 {\"Items\":[{\"stateShard\":{\"S\":\"s-1\"},\"statePart\":{\"S\":\"00000000000000ab#0\"},"
      "\"stateData\":{\"B\":\"MDEyMzQ1Njc4OQ==\"}}],\"Count\":1}"};
  rt_aws_config cfg = config_at("http://127.0.0.1:9");
  rt_err err;
  rt_awsj *d = rt_ddb_new(&cfg, &err);
  ASSERT(d);
  rt_ddb_state_meta m = {.version = "00000000000000ab", .chunks = 11984,
                         .bytes = (uint64_t)1 << 32, .identity = "q"};
  void *data = NULL;
  size_t len = 0;
  test_answers a;
  test_answers_play(&a, answers, 1);
  rt_allocator small = {small_malloc, small_realloc, free};
  rt_set_allocator(&small);
  int rc = rt_ddb_state_read(d, "app-state", "app", "s-1", &m, "q", &data, &len, &err);
  rt_set_allocator(NULL);
  test_answers_stop();
  ASSERT_EQ(rc, RT_EPROTO);
  ASSERT(strstr(err.msg, "incomplete: 1 of 11984 chunks") != NULL);
  ASSERT(data == NULL);
  rt_awsj_free(&d);
}

int main(void) {
  TEST_RUN(test_damaged_size_refused);
  server_start_service(&ddb, "dynalite");
  TEST_RUN(test_big_state_roundtrip);
  TEST_RUN(test_pipeline_state_roundtrip);
  TEST_RUN(test_crash_before_switch);
  TEST_RUN(test_fault_proxy);
  TEST_RUN(test_foreign_identity);
  TEST_RUN(test_foreign_schema);
  TEST_RUN(test_lease_fenced_state);
  TEST_RUN(test_file_store_shards);
  server_stop(&ddb);
  return test_summary();
}
