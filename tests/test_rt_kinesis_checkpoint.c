/*
 * Tests of the checkpoint stores: the JSON file store, and the DynamoDB store
 * against dynalite (table created in KCL's lease layout, items updated with a
 * rising leaseCounter, reloaded by a second open, other streams' items and
 * KCL sentinels ignored), then `from checkpoint` end to end with kinesalite
 * and dynalite together.
 */
#include "rt_batch.h"
#include "rt_dynamodb.h"
#include "rt_kinesis.h"
#include "rt_kinesis_checkpoint.h"
#include "rt_mem.h"
#include "rt_source.h"
#include "rt_time.h"
#include "test.h"
#include "test_rt_kinesis_server.h"

#include <sys/stat.h>

static server kin, ddb;

static rt_aws_config config(const char *ddb_url) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "%s", kin.url);
  if (ddb_url) {
    snprintf(cfg.dynamodb_endpoint, sizeof(cfg.dynamodb_endpoint), "%s", ddb_url);
    cfg.dynamodb_endpoint_set = 1;
  }
  return cfg;
}

static void test_file_store(void) {
  char dir[] = "/tmp/eddy-ck-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  rt_aws_config cfg = config(NULL);
  rt_kin_ckpt *c = NULL;
  rt_err err;
  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "ab", "s", dir, &c, &err), RT_EINVAL); /* too short */
  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "app/x", "s", dir, &c, &err), RT_EINVAL);
  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "app1", "s", dir, &c, &err), 0);
  ASSERT(strstr(rt_kin_ckpt_where(c), "app1.s.checkpoint.json") != NULL);
  ASSERT(rt_kin_ckpt_get(c, "shardId-000000000000") == NULL);
  rt_kin_ckpt_set(c, "shardId-000000000000", "123");
  rt_kin_ckpt_set(c, "shardId-000000000001", "SHARD_END");
  ASSERT_EQ(rt_kin_ckpt_flush(c, &err), 0);
  rt_kin_ckpt_free(&c);
  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "app1", "s", dir, &c, &err), 0);
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000000"), "123");
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000001"), "SHARD_END");
  rt_kin_ckpt_free(&c);
  char path[300];
  snprintf(path, sizeof(path), "%s/app1.s.checkpoint.json", dir);
  FILE *f = fopen(path, "w");
  fputs("{not json", f);
  fclose(f);
  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "app1", "s", dir, &c, &err), RT_EIO);
  /* Damaged files are refused whole, not taken in part (found by fuzz_ckpt_file). */
  static const char *const damaged[][2] = {
      {"{\"stream\":\"s\",\"shards\":{\"a\":\"1\",\"b\":2}}", "position of b"},
      {"{\"stream\":\"s\",\"shards\":[\"1\"]}", "\"shards\" is of the wrong type"},
      {"{\"stream\":\"s\"}", "\"shards\" is missing"},
      {"{\"stream\":\"s\",\"shards\":{\"a\":\"1\"},\"state\":7}", "\"state\""},
  };
  for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
    f = fopen(path, "w");
    fputs(damaged[i][0], f);
    fclose(f);
    ASSERT_EQ(rt_kin_ckpt_open(&cfg, "app1", "s", dir, &c, &err), RT_EIO);
    ASSERT(c == NULL);
    ASSERT(strstr(err.msg, damaged[i][1]) != NULL);
  }
  unlink(path);
  rmdir(dir);
}

/* The file store is private: its folder is made 0700 and the file 0600
 * (umask 0 here: the modes asked for), written through a fresh temp, so a
 * symbolic link planted at the temp's name does not redirect the write, and
 * a stream name cannot lead the file out of its folder. */
static void test_file_store_private(void) {
  char dir[] = "/tmp/eddy-ck-XXXXXX", sub[64], path[128], tmp[140], victim[64];
  ASSERT(mkdtemp(dir) != NULL);
  snprintf(sub, sizeof(sub), "%s/ck/deep", dir);
  snprintf(path, sizeof(path), "%s/app1.s.checkpoint.json", sub);
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  snprintf(victim, sizeof(victim), "%s/victim", dir);
  mode_t old = umask(0);
  rt_aws_config cfg = config(NULL);
  rt_kin_ckpt *c = NULL;
  rt_err err;
  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "app1", "../s", sub, &c, &err), RT_EINVAL);
  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "app1", "s", sub, &c, &err), 0);
  struct stat st;
  ASSERT_EQ(stat(sub, &st), 0);
  ASSERT_EQ((int)(st.st_mode & 0777), 0700);
  FILE *f = fopen(victim, "w");
  fclose(f);
  ASSERT_EQ(symlink(victim, tmp), 0);
  rt_kin_ckpt_set(c, "shardId-000000000000", "123");
  ASSERT_EQ(rt_kin_ckpt_flush(c, &err), 0);
  rt_kin_ckpt_free(&c);
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_EQ((int)(st.st_mode & 0777), 0600);
  ASSERT_EQ(stat(victim, &st), 0);
  ASSERT_EQ(st.st_size, 0);
  ASSERT(access(tmp, F_OK) != 0); /* renamed into place */
  umask(old);
  char cmd[96];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ASSERT_EQ(system(cmd), 0);
}

/* Reads item leaseKey=shard from table app with a raw DynamoDB call. */
static json_t *get_item(rt_awsj *d, const char *table, const char *shard) {
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:b}", "TableName", table, "Key", "leaseKey",
                           "S", shard, "ConsistentRead", 1);
  json_t *out = NULL;
  ASSERT_EQ(rt_awsj_call(d, "GetItem", body, &out, NULL), 0);
  json_t *item = json_incref(json_object_get(out, "Item"));
  json_decref(out);
  return item;
}

static void put_item(rt_awsj *d, const char *table, const char *shard, const char *ck,
                     const char *stream) {
  json_t *body = json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}}", "TableName", table, "Item",
                           "leaseKey", "S", shard, "checkpoint", "S", ck, "streamName", "S",
                           stream);
  ASSERT_EQ(rt_awsj_call(d, "PutItem", body, NULL, NULL), 0);
}

static void test_dynamodb_store(void) {
  rt_aws_config cfg = config(ddb.url);
  rt_kin_ckpt *c = NULL;
  rt_err err;
  int rc = rt_kin_ckpt_open(&cfg, "sensor-app", "sensors", NULL, &c, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT_EQ(rc, 0);
  ASSERT(strstr(rt_kin_ckpt_where(c), "DynamoDB table sensor-app") != NULL);
  rt_kin_ckpt_set(c, "shardId-000000000000", "4968041273173261242809486862986116086771902217340321792");
  rt_kin_ckpt_set(c, "shardId-000000000001", "77");
  ASSERT_EQ(rt_kin_ckpt_flush(c, &err), 0);
  rt_kin_ckpt_set(c, "shardId-000000000001", "78");
  rt_kin_ckpt_set(c, "shardId-000000000002", "80:3"); /* a KPL aggregate cut after sub 3 */
  ASSERT_EQ(rt_kin_ckpt_flush(c, &err), 0);
  ASSERT_EQ(rt_kin_ckpt_flush(c, &err), 0); /* nothing dirty: no call */
  rt_kin_ckpt_free(&c);

  rt_awsj *d = rt_ddb_new(&cfg, NULL);
  json_t *item = get_item(d, "sensor-app", "shardId-000000000001");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(item, "checkpoint"), "S")),
                "78");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(item, "leaseCounter"), "N")),
                "2");
  ASSERT_STR_EQ(json_string_value(json_object_get(
                    json_object_get(item, "checkpointSubSequenceNumber"), "N")), "0");
  ASSERT(json_object_get(item, "leaseOwner") != NULL);
  json_decref(item);
  item = get_item(d, "sensor-app", "shardId-000000000002"); /* KCL's layout */
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(item, "checkpoint"), "S")),
                "80");
  ASSERT_STR_EQ(json_string_value(json_object_get(
                    json_object_get(item, "checkpointSubSequenceNumber"), "N")), "3");
  json_decref(item);
  put_item(d, "sensor-app", "shardId-000000000005", "99", "other-stream");
  put_item(d, "sensor-app", "shardId-000000000006", "TRIM_HORIZON", "sensors");

  ASSERT_EQ(rt_kin_ckpt_open(&cfg, "sensor-app", "sensors", NULL, &c, &err), 0);
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000001"), "78");
  ASSERT_STR_EQ(rt_kin_ckpt_get(c, "shardId-000000000002"), "80:3");
  ASSERT(rt_kin_ckpt_get(c, "shardId-000000000000") != NULL);
  ASSERT(rt_kin_ckpt_get(c, "shardId-000000000005") == NULL); /* another stream's */
  ASSERT(rt_kin_ckpt_get(c, "shardId-000000000006") == NULL); /* a KCL sentinel */
  rt_kin_ckpt_free(&c);
  rt_awsj_free(&d);

  rt_aws_config bad = config("http://127.0.0.1:1");
  ASSERT_EQ(rt_kin_ckpt_open(&bad, "sensor-app", "sensors", NULL, &c, &err), RT_ENET);
}

/* Counts the records a bounded read of stream hands over. */
static int count_read(const char *stream, rt_start from, const char *app) {
  rt_src_kinesis_opts o = {.stream = stream, .from = from, .until_now = true, .app = app,
                           .endpoint = kin.url, .dynamodb_endpoint = ddb.url};
  rt_source *src = NULL;
  rt_err err;
  ASSERT_EQ(rt_src_kinesis_open(&o, &src, &err), 0);
  rt_batch *b = rt_batch_new(5);
  int n = 0, rc = 0;
  for (int64_t end = rt_mono_ns() + 20000000000LL; rt_mono_ns() < end && rc != RT_EEOF;) {
    rt_batch_reset(b);
    rc = rt_source_poll(src, b, 100, &err);
    ASSERT(rc >= 0 || rc == RT_EEOF);
    n += (int)rt_batch_nrows(b);
    if (rc == 0)
      usleep(20000);
  }
  ASSERT_EQ(rt_source_commit(src, true, &err), 0);
  rt_batch_free(&b);
  rt_source_free(&src);
  return n;
}

static void put_some(rt_awsj *k, const char *stream, int n) {
  rt_awsj_req *r = rt_awsj_req_new(k);
  rt_kin_put_entry e[50];
  rt_kin_put_status st[50];
  char pk[50][16];
  for (int i = 0; i < n; i++) {
    snprintf(pk[i], sizeof(pk[i]), "k%d", i);
    e[i] = (rt_kin_put_entry){pk[i], NULL, "{}", 2};
  }
  size_t failed;
  ASSERT_EQ(rt_kin_put_records_prepare(r, stream, e, (size_t)n, NULL), 0);
  ASSERT_EQ(rt_kin_put_records_parse(r, rt_awsj_req_perform(r), st, (size_t)n, &failed, NULL), 0);
  rt_awsj_req_free(&r);
}

static void test_resume_from_dynamodb(void) {
  rt_aws_config cfg = config(ddb.url);
  rt_awsj *k = rt_kin_new(&cfg, NULL, NULL);
  ASSERT_EQ(rt_kin_create_stream(k, "ck", 3, NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "ck", 5000, NULL), 0);
  put_some(k, "ck", 40);
  ASSERT_EQ(count_read("ck", RT_START_TRIM_HORIZON, "ck-app"), 40);
  put_some(k, "ck", 7);
  ASSERT_EQ(count_read("ck", RT_START_CHECKPOINT, "ck-app"), 7);
  ASSERT_EQ(count_read("ck", RT_START_CHECKPOINT, "ck-app"), 0);
  ASSERT_EQ(count_read("ck", RT_START_TRIM_HORIZON, "ck-app"), 47);
  /* after a split, a resumed read follows the checkpointed parent into its
   * children from their start (not from "latest") */
  ASSERT_EQ(rt_kin_split_shard(k, "ck", "shardId-000000000000",
                               "56713727820156410577229101238628035242", NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "ck", 5000, NULL), 0);
  put_some(k, "ck", 30);
  ASSERT_EQ(count_read("ck", RT_START_CHECKPOINT, "ck-app"), 30);
  rt_awsj_free(&k);
}

static rt_source *open_leased(const char *stream, const char *app) {
  rt_src_kinesis_opts o = {.stream = stream, .from = RT_START_TRIM_HORIZON, .app = app,
                           .endpoint = kin.url, .dynamodb_endpoint = ddb.url};
  rt_source *src = NULL;
  rt_err err;
  int rc = rt_src_kinesis_open(&o, &src, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT_EQ(rc, 0);
  return src;
}

/* Polls src once; appends the "i" of each record to seen[]. */
static void poll_into(rt_source *src, int *seen, int *n) {
  rt_batch *b = rt_batch_new(5);
  rt_err err;
  ASSERT(rt_source_poll(src, b, 1000, &err) >= 0);
  for (size_t r = 0; r < rt_batch_nrows(b); r++) {
    const rt_value *v = &rt_batch_col(b, 0)[r];
    seen[(*n)++] = atoi(strstr(v->u.str.ptr, "\"i\":") + 4);
  }
  rt_batch_free(&b);
}

/* Two workers of one application split four shards through leases, each
 * reads only its own, and together they read every record exactly once. */
static void test_two_workers_share_shards(void) {
  rt_aws_config cfg = config(ddb.url);
  rt_awsj *k = rt_kin_new(&cfg, NULL, NULL);
  ASSERT_EQ(rt_kin_create_stream(k, "shared", 4, NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "shared", 5000, NULL), 0);
  rt_source *a = open_leased("shared", "shared-app");
  rt_source *b = open_leased("shared", "shared-app");
  rt_source_stats sa, sb;
  for (int i = 0; i < 200; i++) { /* stealing: one lease per 2.5 s round */
    rt_source_stats_get(a, &sa);
    rt_source_stats_get(b, &sb);
    if (sa.partitions == 2 && sb.partitions == 2)
      break;
    usleep(100000);
  }
  ASSERT_EQ(sa.partitions, 2);
  ASSERT_EQ(sb.partitions, 2);

  rt_awsj_req *r = rt_awsj_req_new(k);
  enum { N = 200 };
  static char pk[N][16], data[N][32];
  rt_kin_put_entry e[N];
  rt_kin_put_status st[N];
  for (int i = 0; i < N; i++) {
    snprintf(pk[i], sizeof(pk[i]), "key-%d", i);
    snprintf(data[i], sizeof(data[i]), "{\"i\":%d}", i);
    e[i] = (rt_kin_put_entry){pk[i], NULL, data[i], strlen(data[i])};
  }
  size_t failed;
  ASSERT_EQ(rt_kin_put_records_prepare(r, "shared", e, N, NULL), 0);
  ASSERT_EQ(rt_kin_put_records_parse(r, rt_awsj_req_perform(r), st, N, &failed, NULL), 0);
  rt_awsj_req_free(&r);

  static int seen_a[N * 2], seen_b[N * 2];
  int na = 0, nb = 0;
  for (int64_t end = rt_mono_ns() + 15000000000LL; na + nb < N && rt_mono_ns() < end;) {
    poll_into(a, seen_a, &na);
    poll_into(b, seen_b, &nb);
    usleep(50000);
  }
  ASSERT_EQ(na + nb, N);
  ASSERT(na > 0 && nb > 0);
  static char got[N];
  memset(got, 0, sizeof(got));
  for (int i = 0; i < na; i++)
    got[seen_a[i]]++;
  for (int i = 0; i < nb; i++)
    got[seen_b[i]]++;
  for (int i = 0; i < N; i++)
    ASSERT_EQ(got[i], 1);
  fprintf(stderr, "   worker a read %d, worker b read %d\n", na, nb);
  ASSERT_EQ(rt_source_commit(a, true, NULL), 0);
  ASSERT_EQ(rt_source_commit(b, true, NULL), 0);
  rt_source_free(&a);
  rt_source_free(&b);
  rt_awsj_free(&k);
}

int main(void) {
  server_start(&kin);
  server_start_service(&ddb, "dynalite");
  TEST_RUN(test_file_store);
  TEST_RUN(test_file_store_private);
  TEST_RUN(test_dynamodb_store);
  TEST_RUN(test_resume_from_dynamodb);
  TEST_RUN(test_two_workers_share_shards);
  server_stop(&ddb);
  server_stop(&kin);
  return test_summary();
}
