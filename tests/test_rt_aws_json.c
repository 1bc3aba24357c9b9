/*
 * Tests of the AWS JSON transport that need no server: retry backoff, the
 * JSON member helper, request preparation, and how a refused connection and
 * missing credentials are reported. Every answer a real service gives is
 * exercised through the Kinesis and DynamoDB tests against kinesalite and
 * dynalite (test_rt_kinesis, test_rt_kinesis_checkpoint, ...).
 */
#include "rt_aws_json.h"
#include "test.h"

static void test_backoff(void) {
  uint64_t rng = 12345;
  for (int attempt = 0; attempt < 20; attempt++) {
    for (int i = 0; i < 100; i++) {
      long d = rt_awsj_backoff_ms(attempt, 100, 5000, &rng);
      ASSERT(d >= 50);
      long hi = 100L << (attempt > 6 ? 6 : attempt);
      ASSERT(d <= (hi > 5000 ? 5000 : hi));
    }
  }
}

static void test_str(void) {
  json_t *o = json_pack("{s:s, s:i}", "a", "x", "n", 1);
  ASSERT_STR_EQ(rt_awsj_str(o, "a"), "x");
  ASSERT(rt_awsj_str(o, "n") == NULL);
  ASSERT(rt_awsj_str(o, "missing") == NULL);
  ASSERT(rt_awsj_str(NULL, "a") == NULL);
  json_decref(o);
}

/* A config whose only endpoints are url, with no credentials. */
static void config_for(rt_aws_config *cfg, const char *url) {
  memset(cfg, 0, sizeof(*cfg));
  snprintf(cfg->region, sizeof(cfg->region), "us-east-1");
  snprintf(cfg->kinesis_endpoint, sizeof(cfg->kinesis_endpoint), "%s", url);
  snprintf(cfg->dynamodb_endpoint, sizeof(cfg->dynamodb_endpoint), "%s", url);
}

static void test_prepare(void) {
  rt_aws_config cfg;
  config_for(&cfg, "http://127.0.0.1:1");
  rt_err err;
  rt_awsj *c = rt_awsj_new(&cfg, RT_AWSJ_SERVICE_KINESIS, NULL, &err);
  ASSERT(c != NULL);
  ASSERT_STR_EQ(rt_awsj_endpoint(c), "http://127.0.0.1:1/");
  rt_awsj_req *r = rt_awsj_req_new(c);
  ASSERT_EQ(rt_awsj_req_prepare(r, "ListStreams", "{}", &err), 0);
  ASSERT(rt_awsj_req_easy(r) != NULL);
  char action[64];
  memset(action, 'A', sizeof(action) - 1);
  action[sizeof(action) - 1] = '\0';
  ASSERT_EQ(rt_awsj_req_prepare(r, action, "{}", &err), RT_EINVAL);
  rt_awsj_req_free(&r);
  ASSERT(r == NULL);
  rt_awsj_free(&c);
  ASSERT(c == NULL);
  rt_awsj_free(&c); /* accepts NULL */
}

static void test_connection_refused(void) {
  rt_aws_config cfg;
  config_for(&cfg, "http://127.0.0.1:1");
  rt_err err;
  rt_awsj *c = rt_awsj_new(&cfg, RT_AWSJ_SERVICE_DYNAMODB, NULL, &err);
  ASSERT(c != NULL);
  json_t *out = json_object(); /* must come back NULL */
  json_t *keep = out;
  ASSERT_EQ(rt_awsj_call(c, "DescribeTable", json_pack("{s:s}", "TableName", "t"), &out, &err),
            RT_ENET);
  ASSERT(out == NULL);
  json_decref(keep);
  ASSERT(strstr(err.msg, "DynamoDB DescribeTable: cannot connect") != NULL);
  ASSERT_EQ(rt_awsj_req_class(rt_awsj_sync_req(c)), RT_AWSJ_RETRYABLE);
  ASSERT_EQ(rt_awsj_req_status(rt_awsj_sync_req(c)), 0);
  ASSERT_STR_EQ(rt_awsj_req_error_type(rt_awsj_sync_req(c)), "");
  rt_awsj_free(&c);
}

static void test_no_credentials(void) {
  rt_aws_config cfg;
  config_for(&cfg, "https://dynamodb.example");
  rt_err err;
  ASSERT(rt_awsj_new(&cfg, RT_AWSJ_SERVICE_DYNAMODB, NULL, &err) == NULL);
  ASSERT_EQ(err.code, RT_EAUTH);
}

int main(void) {
  TEST_RUN(test_backoff);
  TEST_RUN(test_str);
  TEST_RUN(test_prepare);
  TEST_RUN(test_connection_refused);
  TEST_RUN(test_no_credentials);
  return test_summary();
}
