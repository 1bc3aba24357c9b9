/*
 * Tests of KCL-style leases against dynalite: two workers split four shards
 * by taking and stealing, a stopped worker's leases expire to the other,
 * a worker that lost a lease can no longer checkpoint it (fencing), and
 * released leases are free at once.
 */
#include "rt_aws_json.h"
#include "rt_dynamodb.h"
#include "rt_kinesis_lease.h"
#include "rt_mem.h"
#include "test.h"
#include "test_rt_kinesis_server.h"

static server ddb;

static rt_kin_leases *worker(const char *name, long failover_ms) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.dynamodb_endpoint, sizeof(cfg.dynamodb_endpoint), "%s", ddb.url);
  cfg.dynamodb_endpoint_set = 1;
  rt_kin_lease_opts o = {.table = "lease-app", .worker = name, .failover_ms = failover_ms};
  rt_err err;
  rt_kin_leases *l = rt_kin_leases_new(&cfg, &o, &err);
  if (!l)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT(l != NULL);
  return l;
}

/* The raw lease item's checkpoint and checkpointSubSequenceNumber ("ck/sub"). */
static void raw_checkpoint(const char *shard, char *out, size_t n) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.dynamodb_endpoint, sizeof(cfg.dynamodb_endpoint), "%s", ddb.url);
  cfg.dynamodb_endpoint_set = 1;
  rt_awsj *d = rt_ddb_new(&cfg, NULL);
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:b}", "TableName", "lease-app", "Key",
                           "leaseKey", "S", shard, "ConsistentRead", 1);
  json_t *res = NULL;
  ASSERT_EQ(rt_awsj_call(d, "GetItem", body, &res, NULL), 0);
  json_t *item = json_object_get(res, "Item");
  snprintf(out, n, "%s/%s", rt_awsj_str(json_object_get(item, "checkpoint"), "S"),
           rt_awsj_str(json_object_get(item, "checkpointSubSequenceNumber"), "N"));
  json_decref(res);
  rt_awsj_free(&d);
}

static void four_shards(rt_kin_shards *s) {
  memset(s, 0, sizeof(*s));
  s->v = rt_xcalloc(4, sizeof(*s->v));
  for (int i = 0; i < 4; i++) {
    char id[32];
    snprintf(id, sizeof(id), "shardId-00000000000%d", i);
    s->v[i].shard_id = rt_xstrdup(id);
    if (i >= 2)
      s->v[i].parent_shard_id = rt_xstrdup("shardId-000000000000");
  }
  s->n = 4;
}

static int64_t clock_ms;

static void test_leases(void) {
  rt_err err;
  rt_kin_leases *a = worker("worker-a", 500), *b = worker("worker-b", 500);
  rt_kin_shards shards;
  four_shards(&shards);
  ASSERT_EQ(rt_kin_leases_sync(a, &shards, "TRIM_HORIZON", &err), 0);
  ASSERT_EQ(rt_kin_leases_sync(b, &shards, "TRIM_HORIZON", &err), 0); /* races are fine */

  clock_ms = 100000;
  ASSERT_EQ(rt_kin_leases_tick(a, clock_ms, &err), 0);
  ASSERT_EQ(rt_kin_leases_count_all(a), 4);
  ASSERT_EQ(rt_kin_leases_count_held(a), 4); /* alone: everything */
  ASSERT_STR_EQ(rt_kin_leases_checkpoint_of(a, "shardId-000000000001"), "TRIM_HORIZON");

  /* b arrives: nothing expired, so it steals one per tick up to its share */
  for (int round = 0; round < 4; round++) {
    clock_ms += 100;
    ASSERT_EQ(rt_kin_leases_tick(b, clock_ms, &err), 0);
    ASSERT_EQ(rt_kin_leases_tick(a, clock_ms, &err), 0);
  }
  ASSERT_EQ(rt_kin_leases_count_held(a), 2);
  ASSERT_EQ(rt_kin_leases_count_held(b), 2);
  for (int i = 0; i < 4; i++) {
    char id[32];
    snprintf(id, sizeof(id), "shardId-00000000000%d", i);
    ASSERT(rt_kin_leases_held(a, id) != rt_kin_leases_held(b, id)); /* exactly one owner */
  }

  /* checkpoints are fenced */
  const char *a_shard = NULL;
  for (size_t i = 0; i < shards.n; i++)
    if (rt_kin_leases_held(a, shards.v[i].shard_id))
      a_shard = shards.v[i].shard_id;
  ASSERT_EQ(rt_kin_leases_checkpoint(a, a_shard, "12345:3", &err), 0); /* KPL: sub 3 */
  char raw[64];
  raw_checkpoint(a_shard, raw, sizeof(raw)); /* as KCL keeps it */
  ASSERT_STR_EQ(raw, "12345/3");
  const char *b_shard = NULL;
  for (size_t i = 0; i < shards.n; i++)
    if (rt_kin_leases_held(b, shards.v[i].shard_id))
      b_shard = shards.v[i].shard_id;
  ASSERT_EQ(rt_kin_leases_checkpoint(a, b_shard, "1", &err), RT_ENOTFOUND);

  /* a stops renewing: after failover its leases go to b, and a's late
   * checkpoint on one of them is refused */
  for (int round = 0; round < 3; round++) {
    clock_ms += 400;
    ASSERT_EQ(rt_kin_leases_tick(b, clock_ms, &err), 0);
  }
  ASSERT_EQ(rt_kin_leases_count_held(b), 4);
  ASSERT_STR_EQ(rt_kin_leases_checkpoint_of(b, a_shard), "12345:3");
  ASSERT_EQ(rt_kin_leases_checkpoint(a, a_shard, "99999", &err), RT_ECONFLICT);
  ASSERT(!rt_kin_leases_held(a, a_shard));
  clock_ms += 100;
  ASSERT_EQ(rt_kin_leases_tick(a, clock_ms, &err), 0); /* a comes back: nothing expired, */
  ASSERT_EQ(rt_kin_leases_count_held(a), 1);            /* so it steals one from b */
  ASSERT_EQ(rt_kin_leases_tick(b, clock_ms, &err), 0);
  ASSERT_EQ(rt_kin_leases_count_held(b), 3);            /* b's renewal finds it gone */

  /* b releases everything on shutdown: a takes them at once */
  ASSERT_EQ(rt_kin_leases_release_all(b, &err), 0);
  clock_ms += 100;
  ASSERT_EQ(rt_kin_leases_tick(a, clock_ms, &err), 0);
  ASSERT_EQ(rt_kin_leases_count_held(a), 4);

  rt_kin_shards_clear(&shards);
  rt_kin_leases_free(&a);
  rt_kin_leases_free(&b);
}

int main(void) {
  server_start_service(&ddb, "dynalite");
  TEST_RUN(test_leases);
  server_stop(&ddb);
  return test_summary();
}
