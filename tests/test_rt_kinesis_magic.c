/*
 * Tests of the %streams and %describe texts against the Kinesis server of
 * this run, including a split (closed parent, two children), a missing
 * stream, and (kinesis-mock) a stream described by its ARN and an on-demand
 * stream.
 */
#include "rt_kinesis.h"
#include "rt_kinesis_magic.h"
#include "test.h"
#include "test_rt_kinesis_server.h"

static server srv;

static void test_magics(void) {
  rt_buf out;
  rt_buf_init(&out, 1 << 20);
  rt_err err;
  ASSERT_EQ(rt_kin_magic_streams("us-east-1", srv.url, &out, &err), 0);
  ASSERT(strstr(out.data, "no streams at http://127.0.0.1:") != NULL);

  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "%s", srv.url);
  rt_awsj *k = rt_kin_new(&cfg, NULL, NULL);
  ASSERT_EQ(rt_kin_create_stream(k, "sensors", 2, NULL), 0);
  ASSERT_EQ(rt_kin_create_stream(k, "alerts", 1, NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "sensors", 5000, NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "alerts", 5000, NULL), 0);
  ASSERT_EQ(rt_kin_split_shard(k, "alerts", "shardId-000000000000",
                               "85070591730234615865843651857942052864", NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "alerts", 5000, NULL), 0);

  rt_buf_clear(&out);
  ASSERT_EQ(rt_kin_magic_streams(NULL, srv.url, &out, &err), 0);
  fprintf(stderr, "%s", out.data);
  ASSERT(strstr(out.data, "stream") == out.data);
  ASSERT(strstr(out.data, "sensors") != NULL);
  ASSERT(strstr(out.data, "ACTIVE") != NULL);

  rt_buf_clear(&out);
  ASSERT_EQ(rt_kin_magic_describe(NULL, srv.url, "alerts", &out, &err), 0);
  fprintf(stderr, "%s", out.data);
  ASSERT(strstr(out.data, "stream alerts: ACTIVE, 2 open shards, retention 24 h") != NULL);
  ASSERT(strstr(out.data, "shardId-000000000000   closed") != NULL);
  ASSERT(strstr(out.data, "  0.0% ..  25.0%") != NULL);
  ASSERT(strstr(out.data, " 25.0% .. 100.0%") != NULL);

  rt_kin_stream_info info;
  ASSERT_EQ(rt_kin_describe_stream(k, "alerts", &info, NULL), 0);
  rt_buf_clear(&out);
  if (server_is(&srv, "kinesalite")) { /* it wants StreamName */
    ASSERT(rt_kin_magic_describe(NULL, srv.url, info.arn, &out, &err) < 0);
  } else {
    ASSERT_EQ(rt_kin_magic_describe(NULL, srv.url, info.arn, &out, &err), 0);
    ASSERT(strstr(out.data, ": ACTIVE, 2 open shards, retention 24 h") != NULL);
    ASSERT(strstr(out.data, "shardId-000000000000   closed") != NULL);
    ASSERT_EQ(rt_kin_create_stream(k, "od", 0, NULL), 0);
    ASSERT_EQ(rt_kin_wait_active(k, "od", 5000, NULL), 0);
    rt_buf_clear(&out);
    ASSERT_EQ(rt_kin_magic_describe(NULL, srv.url, "od", &out, &err), 0);
    ASSERT(strstr(out.data, "stream od: ACTIVE, on-demand, ") != NULL);
  }

  ASSERT_EQ(rt_kin_magic_describe(NULL, srv.url, "nope", &out, &err), RT_ENOTFOUND);
  ASSERT(strstr(err.msg, "no stream \"nope\"") != NULL);
  ASSERT_EQ(rt_kin_magic_streams(NULL, "http://127.0.0.1:1", &out, &err), RT_ENET);
  rt_awsj_free(&k);
  rt_buf_free(&out);
}

/* %create makes the stream; a second %create of it says it exists. */
static void test_create(void) {
  rt_buf out;
  rt_buf_init(&out, 0);
  rt_err err;
  ASSERT_EQ(rt_kin_magic_create(NULL, srv.url, "made", 3, &out, &err), 0);
  ASSERT_STR_EQ(out.data, "Created stream made with 3 shards.\n");
  ASSERT_EQ(rt_kin_magic_create(NULL, srv.url, "made", 3, &out, &err), RT_EEXIST);
  ASSERT_EQ(rt_kin_magic_create(NULL, srv.url, "made2", -1, &out, &err), RT_EINVAL);
  if (server_is(&srv, "kinesis-mock")) { /* kinesalite has no on-demand mode */
    rt_buf_clear(&out);
    ASSERT_EQ(rt_kin_magic_create(NULL, srv.url, "made-od", 0, &out, &err), 0);
    ASSERT_STR_EQ(out.data, "Created on-demand stream made-od.\n");
    rt_awsj *k = NULL;
    rt_aws_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
    snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "%s", srv.url);
    ASSERT((k = rt_kin_new(&cfg, NULL, NULL)) != NULL);
    ASSERT_EQ(rt_kin_wait_active(k, "made-od", 5000, NULL), 0);
    rt_kin_stream_info info;
    ASSERT_EQ(rt_kin_describe_stream(k, "made-od", &info, NULL), 0);
    ASSERT_STR_EQ(info.mode, "ON_DEMAND");
    rt_awsj_free(&k);
  }
  rt_buf_clear(&out);
  ASSERT_EQ(rt_kin_magic_streams(NULL, srv.url, &out, &err), 0);
  ASSERT(strstr(out.data, "made") != NULL);
  rt_buf_free(&out);
}

int main(void) {
  server_start(&srv);
  TEST_RUN(test_magics);
  TEST_RUN(test_create);
  server_stop(&srv);
  return test_summary();
}
