/*
 * Tests of the Kinesis client: helpers (sequence order, hash keys) offline,
 * then every operation against a real kinesalite started on 127.0.0.1
 * through tests/services/serve.js (a missing node or node_modules fails the
 * test), including the multi-handle path and the error classes kinesalite
 * can produce. The transport alone is tested in test_rt_aws_json.
 */
#include "rt_kinesis.h"
#include "rt_mem.h"
#include "test.h"
#include "test_rt_kinesis_server.h"

static void test_seq_cmp(void) {
  ASSERT(rt_kin_seq_cmp("9", "10") < 0);
  ASSERT(rt_kin_seq_cmp("0010", "10") == 0);
  ASSERT(rt_kin_seq_cmp("49680412731732612428094868629861160867719022173403217922",
                        "49680412731732612428094868629861160867719022173403217923") < 0);
  ASSERT(rt_kin_seq_cmp("5", "49") < 0);
  ASSERT(rt_kin_seq_cmp("0", "0") == 0);
}

static void test_hash_key(void) {
  char out[40];
  /* md5("a") = 0cc175b9c0f1b6a831c399e269772661 */
  rt_kin_hash_key("a", out);
  ASSERT_STR_EQ(out, "16955237001963240173058271559858726497");
  rt_kin_hash_key("", out); /* d41d8cd98f00b204e9800998ecf8427e */
  ASSERT_STR_EQ(out, "281949768489412648962353822266799178366");
}

/* The answer at a shard's end as AWS and kinesis-mock write it: no
 * NextShardIterator, explicit nulls, and ChildShards with their parents. */
static void test_decode_child_shards(void) {
  const char *body =
      "{\"Records\":[],\"NextShardIterator\":null,\"MillisBehindLatest\":0,"
      "\"ChildShards\":[{\"ShardId\":\"shardId-000000000002\","
      "\"ParentShards\":[\"shardId-000000000000\"],\"HashKeyRange\":{}},"
      "{\"ShardId\":\"shardId-000000000004\",\"ParentShards\":[\"shardId-000000000000\","
      "\"shardId-000000000001\"]},{\"ShardId\":null}]}";
  rt_kin_get_result g = {0};
  ASSERT_EQ(rt_kin_get_records_decode(body, strlen(body), &g, NULL), 0);
  ASSERT_EQ(g.n, 0);
  ASSERT(g.next_iterator == NULL);
  ASSERT_EQ(g.n_children, 2);
  ASSERT_STR_EQ(g.children[0].shard_id, "shardId-000000000002");
  ASSERT_STR_EQ(g.children[0].parents[0], "shardId-000000000000");
  ASSERT(g.children[0].parents[1] == NULL);
  ASSERT_STR_EQ(g.children[1].parents[1], "shardId-000000000001");
  rt_kin_get_result_clear(&g);
  ASSERT_EQ(rt_kin_check_stream("sensors", NULL), 0);
  ASSERT_EQ(rt_kin_check_stream("arn:aws:kinesis:eu-west-1:123456789012:stream/s", NULL), 0);
  ASSERT_EQ(rt_kin_check_stream("arn:aws:kinesis:eu-west-1:123456789012:stream/", NULL),
            RT_EINVAL);
  ASSERT_EQ(rt_kin_check_stream("arn:aws:s3:eu-west-1:123456789012:stream/s", NULL), RT_EINVAL);
  ASSERT_EQ(rt_kin_check_stream("arn:aws:kinesis::123456789012:stream/s", NULL), RT_EINVAL);
  ASSERT_STR_EQ(rt_kin_stream_name("arn:aws-cn:kinesis:cn-north-1:1:stream/x.y"), "x.y");
  ASSERT_STR_EQ(rt_kin_stream_name("plain"), "plain");
}

/* --- against the Kinesis server (kinesalite or kinesis-mock) ----------------------------------------------------- */

static rt_awsj *client_for(const char *url) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "%s", url);
  rt_err err;
  /* a bound, not a claim: kinesis-mock takes seconds over a 2.7 MB PutRecords */
  rt_awsj_opts opts = {.timeout_ms = 30000};
  rt_awsj *k = rt_kin_new(&cfg, &opts, &err);
  ASSERT(k != NULL);
  return k;
}

static void check_streams(rt_awsj *k) {
  rt_err err;
  int crc = rt_kin_create_stream(k, "s1", 2, &err);
  if (crc)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT_EQ(crc, 0);
  ASSERT_EQ(rt_kin_create_stream(k, "s1", 2, &err), RT_EEXIST);
  ASSERT(strstr(err.msg, "ResourceInUseException") != NULL);
  ASSERT_EQ(rt_kin_wait_active(k, "s1", 5000, &err), 0);
  rt_kin_stream_info info;
  ASSERT_EQ(rt_kin_describe_stream(k, "s1", &info, &err), 0);
  ASSERT_STR_EQ(info.status, "ACTIVE");
  ASSERT_EQ(info.open_shards, 2);
  ASSERT_EQ(info.retention_hours, 24);
  ASSERT_EQ(rt_kin_describe_stream(k, "nope", &info, &err), RT_ENOTFOUND);
  ASSERT(strstr(err.msg, "ResourceNotFoundException") != NULL);
  rt_kin_names names = {0};
  ASSERT_EQ(rt_kin_list_streams(k, &names, &err), 0);
  ASSERT_EQ(names.n, 1);
  ASSERT_STR_EQ(names.v[0], "s1");
  rt_kin_names_clear(&names);
}

/* Puts 6 records with keys a..f and returns them through both shards. */
static void check_put_get(rt_awsj *k) {
  rt_err err;
  rt_kin_put_entry e[6];
  char keys[6][2], data[6][24];
  for (int i = 0; i < 6; i++) {
    keys[i][0] = (char)('a' + i);
    keys[i][1] = '\0';
    snprintf(data[i], sizeof(data[i]), "{\"i\":%d}", i);
    e[i] = (rt_kin_put_entry){keys[i], NULL, data[i], strlen(data[i])};
  }
  rt_awsj_req *r = rt_awsj_req_new(k);
  ASSERT_EQ(rt_kin_put_records_prepare(r, "s1", e, 6, &err), 0);
  rt_kin_put_status st[6];
  size_t failed = 99;
  ASSERT_EQ(rt_kin_put_records_parse(r, rt_awsj_req_perform(r), st, 6, &failed, &err), 0);
  ASSERT_EQ(failed, 0);
  for (int i = 0; i < 6; i++)
    ASSERT(st[i].ok && st[i].sequence[0]);
  /* routing matches MD5: "a" -> shard 0, "b" -> shard 1 (see notes) */
  ASSERT_STR_EQ(st[0].shard_id, "shardId-000000000000");
  ASSERT_STR_EQ(st[1].shard_id, "shardId-000000000001");
  ASSERT_EQ(rt_kin_put_records_prepare(r, "s1", e, 0, &err), RT_EINVAL);
  rt_awsj_req_free(&r);

  rt_kin_shards shards = {0};
  ASSERT_EQ(rt_kin_list_shards(k, "s1", &shards, &err), 0);
  ASSERT_EQ(shards.n, 2);
  ASSERT(shards.next_token == NULL);
  int seen = 0;
  for (size_t s = 0; s < shards.n; s++) {
    rt_kin_position pos = {.type = RT_KIN_TRIM_HORIZON};
    char *it = NULL;
    ASSERT_EQ(rt_kin_get_iterator(k, "s1", shards.v[s].shard_id, &pos, &it, &err), 0);
    rt_kin_get_result g = {0};
    ASSERT_EQ(rt_kin_get_records(k, it, 100, &g, &err), 0);
    for (size_t i = 0; i < g.n; i++) {
      int idx = g.records[i].partition_key[0] - 'a';
      ASSERT_STR_EQ((const char *)g.records[i].data, data[idx]);
      ASSERT_EQ(g.records[i].data_len, strlen(data[idx]));
      for (int j = 0; j < 6; j++)
        if (j == idx)
          ASSERT_STR_EQ(g.records[i].sequence, st[j].sequence);
      ASSERT(g.records[i].arrival_ms > 1700000000000);
      if (i)
        ASSERT(rt_kin_seq_cmp(g.records[i - 1].sequence, g.records[i].sequence) < 0);
      seen++;
    }
    ASSERT(g.next_iterator != NULL);
    ASSERT_EQ(g.millis_behind, 0);
    /* AFTER_SEQUENCE_NUMBER of the last record: nothing more */
    if (g.n) {
      rt_kin_position after = {.type = RT_KIN_AFTER_SEQUENCE_NUMBER,
                               .sequence = g.records[g.n - 1].sequence};
      char *it2 = NULL;
      rt_kin_get_result g2 = {0};
      ASSERT_EQ(rt_kin_get_iterator(k, "s1", shards.v[s].shard_id, &after, &it2, &err), 0);
      ASSERT_EQ(rt_kin_get_records(k, it2, 100, &g2, &err), 0);
      ASSERT_EQ(g2.n, 0);
      rt_kin_get_result_clear(&g2);
      rt_free(it2);
    }
    rt_kin_get_result_clear(&g);
    rt_free(it);
  }
  ASSERT_EQ(seen, 6);
  rt_kin_shards_clear(&shards);
}

/* A 2.5 MB PutRecords: over 1 MiB curl sends "Expect: 100-continue". */
static void check_big_put(rt_awsj *k) {
  enum { N = 400, SZ = 5000 };
  rt_err err;
  rt_kin_put_entry *e = rt_xmalloc(N * sizeof(*e));
  rt_kin_put_status *st = rt_xmalloc(N * sizeof(*st));
  char *blob = rt_xmalloc(SZ);
  memset(blob, 'z', SZ);
  for (int i = 0; i < N; i++)
    e[i] = (rt_kin_put_entry){"big", NULL, blob, SZ};
  rt_awsj_req *r = rt_awsj_req_new(k);
  ASSERT_EQ(rt_kin_put_records_prepare(r, "s1", e, N, &err), 0);
  size_t failed = 1;
  int rc = rt_kin_put_records_parse(r, rt_awsj_req_perform(r), st, N, &failed, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(failed, 0);
  fprintf(stderr, "   2.7 MB PutRecords took %.0f ms\n", rt_awsj_req_elapsed_ms(r));
  /* over 5 MiB is refused before sending */
  e[0].len = 0;
  blob = rt_xrealloc(blob, 1 << 20);
  for (int i = 0; i < 6; i++)
    e[i] = (rt_kin_put_entry){"big", NULL, blob, (1 << 20) - 3};
  ASSERT_EQ(rt_kin_put_records_prepare(r, "s1", e, 6, &err), RT_ETOOBIG);
  e[0].len = (1 << 20);
  ASSERT_EQ(rt_kin_put_records_prepare(r, "s1", e, 1, &err), RT_ETOOBIG);
  rt_awsj_req_free(&r);
  rt_free(blob);
  rt_free(e);
  rt_free(st);
}

static void check_errors(const server *s, rt_awsj *k) {
  rt_err err;
  rt_kin_get_result g = {0};
  /* kinesis-mock 0.6.2 cannot decode a malformed iterator and answers a bare
   * 500 (an uncaught exception), which is a retryable server error to us */
  ASSERT_EQ(rt_kin_get_records(k, "not-an-iterator", 10, &g, &err),
            server_is(s, "kinesis-mock") ? RT_ESERVER : RT_EINVAL);
  rt_kin_position pos = {.type = RT_KIN_AT_SEQUENCE_NUMBER, .sequence = "123"};
  char *it = NULL;
  ASSERT(rt_kin_get_iterator(k, "s1", "shardId-000000000000", &pos, &it, &err) < 0);
  ASSERT(it == NULL);
  pos.sequence = NULL;
  ASSERT_EQ(rt_kin_get_iterator(k, "s1", "shardId-000000000000", &pos, &it, &err), RT_EINVAL);
  pos = (rt_kin_position){.type = RT_KIN_LATEST};
  ASSERT_EQ(rt_kin_get_iterator(k, "nope", "shardId-000000000000", &pos, &it, &err),
            RT_ENOTFOUND);
}

/* Two GetRecords in flight at once on one multi handle. */
static void check_multi(rt_awsj *k) {
  rt_err err;
  rt_awsj_req *reqs[2] = {rt_awsj_req_new(k), rt_awsj_req_new(k)};
  CURLM *m = curl_multi_init();
  for (int s = 0; s < 2; s++) {
    char shard[32];
    snprintf(shard, sizeof(shard), "shardId-00000000000%d", s);
    rt_kin_position pos = {.type = RT_KIN_TRIM_HORIZON};
    char *it = NULL;
    ASSERT_EQ(rt_kin_get_iterator(k, "s1", shard, &pos, &it, &err), 0);
    ASSERT_EQ(rt_kin_get_records_prepare(reqs[s], it, 1000, &err), 0);
    rt_free(it);
    curl_multi_add_handle(m, rt_awsj_req_easy(reqs[s]));
  }
  int running = 1, done = 0, total = 0;
  for (int spins = 0; done < 2 && spins < 1000; spins++) {
    curl_multi_perform(m, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      for (int s = 0; s < 2; s++) {
        if (msg->easy_handle != rt_awsj_req_easy(reqs[s]))
          continue;
        CURLcode cc = msg->data.result;
        curl_multi_remove_handle(m, rt_awsj_req_easy(reqs[s]));
        rt_kin_get_result g = {0};
        ASSERT_EQ(rt_kin_get_records_parse(reqs[s], cc, &g, &err), 0);
        total += (int)g.n;
        rt_kin_get_result_clear(&g);
        done++;
      }
    }
    if (done < 2)
      curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  ASSERT_EQ(done, 2);
  ASSERT_EQ(total, 6);
  curl_multi_cleanup(m);
  rt_awsj_req_free(&reqs[0]);
  rt_awsj_req_free(&reqs[1]);
}

/* Split shard 0, then read it to its end: no NextShardIterator. */
static void check_split(rt_awsj *k) {
  rt_err err;
  ASSERT_EQ(rt_kin_split_shard(k, "s1", "shardId-000000000000",
                               "85070591730234615865843651857942052864", &err), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "s1", 5000, &err), 0);
  rt_kin_shards shards = {0};
  ASSERT_EQ(rt_kin_list_shards(k, "s1", &shards, &err), 0);
  ASSERT_EQ(shards.n, 4);
  ASSERT(shards.v[0].ending_sequence != NULL);
  ASSERT_STR_EQ(shards.v[2].parent_shard_id, "shardId-000000000000");
  rt_kin_position pos = {.type = RT_KIN_TRIM_HORIZON};
  char *it = NULL;
  ASSERT_EQ(rt_kin_get_iterator(k, "s1", "shardId-000000000000", &pos, &it, &err), 0);
  rt_kin_get_result g = {0};
  int closed = 0;
  for (int i = 0; i < 10 && it; i++) {
    ASSERT_EQ(rt_kin_get_records(k, it, 100, &g, &err), 0);
    rt_free(it);
    it = g.next_iterator;
    g.next_iterator = NULL;
    closed = it == NULL;
    rt_kin_get_result_clear(&g);
  }
  ASSERT(closed);
  ASSERT_EQ(rt_kin_merge_shards(k, "s1", "shardId-000000000002", "shardId-000000000003", &err),
            0);
  ASSERT_EQ(rt_kin_wait_active(k, "s1", 5000, &err), 0);
  rt_kin_shards_clear(&shards);
  ASSERT_EQ(rt_kin_list_shards(k, "s1", &shards, &err), 0);
  ASSERT_EQ(shards.n, 5);
  ASSERT_STR_EQ(shards.v[4].adjacent_parent_shard_id, "shardId-000000000003");
  rt_kin_shards_clear(&shards);
}

/* Today's Kinesis: a stream named by its ARN (StreamARN in the request) and an
 * on-demand stream. kinesis-mock serves both; kinesalite knows neither (it
 * wants StreamName, and a ShardCount) and says so. */
static void check_arn_and_on_demand(const server *s, rt_awsj *k) {
  rt_err err;
  rt_kin_stream_info info;
  ASSERT_EQ(rt_kin_describe_stream(k, "s1", &info, &err), 0);
  ASSERT_STR_EQ(info.mode, "PROVISIONED");
  char arn[256];
  snprintf(arn, sizeof(arn), "%s", info.arn);
  ASSERT_STR_EQ(rt_kin_stream_name(arn), "s1");
  ASSERT_EQ(rt_kin_create_stream(k, arn, 1, &err), RT_EINVAL);
  ASSERT_EQ(rt_kin_describe_stream(k, "arn:aws:kinesis:us-east-1:1:stream/", &info, &err),
            RT_EINVAL);
  ASSERT(strstr(err.msg, "arn:aws:kinesis:REGION:ACCOUNT:stream/NAME") != NULL);
  int od = rt_kin_create_stream(k, "od", 0, &err);
  if (server_is(s, "kinesalite")) {
    ASSERT(od < 0);
    ASSERT(rt_kin_describe_stream(k, arn, &info, &err) < 0);
    return;
  }
  ASSERT_EQ(od, 0);
  ASSERT_EQ(rt_kin_wait_active(k, "od", 5000, &err), 0);
  ASSERT_EQ(rt_kin_describe_stream(k, "od", &info, &err), 0);
  ASSERT_STR_EQ(info.mode, "ON_DEMAND");
  ASSERT(info.open_shards > 0);
  snprintf(arn, sizeof(arn), "%s", info.arn);
  rt_kin_shards shards = {0};
  ASSERT_EQ(rt_kin_list_shards(k, arn, &shards, &err), 0);
  ASSERT_EQ(shards.n, (size_t)info.open_shards);
  rt_kin_put_entry e = {"key", NULL, "on demand", 9};
  rt_kin_put_status st;
  size_t failed = 1;
  rt_awsj_req *r = rt_awsj_req_new(k);
  ASSERT_EQ(rt_kin_put_records_prepare(r, arn, &e, 1, &err), 0);
  ASSERT_EQ(rt_kin_put_records_parse(r, rt_awsj_req_perform(r), &st, 1, &failed, &err), 0);
  ASSERT_EQ(failed, 0);
  rt_awsj_req_free(&r);
  rt_kin_position pos = {.type = RT_KIN_TRIM_HORIZON};
  char *it = NULL;
  ASSERT_EQ(rt_kin_get_iterator(k, arn, st.shard_id, &pos, &it, &err), 0);
  rt_kin_get_result g = {0};
  ASSERT_EQ(rt_kin_get_records(k, it, 10, &g, &err), 0);
  ASSERT_EQ(g.n, 1);
  ASSERT_STR_EQ((const char *)g.records[0].data, "on demand");
  rt_kin_get_result_clear(&g);
  rt_free(it);
  rt_kin_shards_clear(&shards);
}

static void test_against_server(void) {
  server s;
  server_start(&s);
  rt_awsj *k = client_for(s.url);
  check_streams(k);
  check_put_get(k);
  check_errors(&s, k);
  check_multi(k);
  check_big_put(k);
  check_split(k);
  check_arn_and_on_demand(&s, k);
  rt_awsj_free(&k);
  server_stop(&s);
}

static void test_connection_refused(void) {
  rt_awsj *k = client_for("http://127.0.0.1:1");
  rt_err err;
  rt_kin_stream_info info;
  ASSERT_EQ(rt_kin_describe_stream(k, "x", &info, &err), RT_ENET);
  ASSERT(strstr(err.msg, "cannot connect") != NULL);
  rt_awsj_free(&k);
}

static void test_no_credentials(void) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "https://kinesis.example");
  rt_err err;
  ASSERT(rt_kin_new(&cfg, NULL, &err) == NULL);
  ASSERT_EQ(err.code, RT_EAUTH);
}

int main(void) {
  TEST_RUN(test_seq_cmp);
  TEST_RUN(test_hash_key);
  TEST_RUN(test_decode_child_shards);
  TEST_RUN(test_connection_refused);
  TEST_RUN(test_no_credentials);
  TEST_RUN(test_against_server);
  return test_summary();
}
