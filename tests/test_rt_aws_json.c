/*
 * Tests of the AWS JSON transport that need no server: retry backoff, the
 * JSON member helper, request preparation, and how a refused connection and
 * missing credentials are reported; and, against a one-answer server on a
 * thread, that an endpoint echoing the request's secrets does not get them
 * into the error message. Every answer a real service gives is
 * exercised through the Kinesis and DynamoDB tests against kinesalite and
 * dynalite (test_rt_kinesis, test_rt_kinesis_checkpoint, ...).
 */
#include "rt_aws_json.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* Fake, recognisable secrets: none may reach an error message. */
#define FAKE_KEY "AKIDFAKEKEYID7Q2W"
#define FAKE_SECRET "SECRETfake0123456789abcdefSECRET"
#define FAKE_TOKEN "TOKENfake-session-token-0123456789-xyzTOKEN"

typedef struct echo_server {
  int fd;        /* listening socket */
  int port;
  pthread_t thread;
} echo_server;

/* Answers one request 400 AccessDenied with a message that echoes the
 * request's X-Amz-Security-Token and Authorization headers, and the secret
 * key the way a hostile endpoint that learnt it might. */
static void *echo_once(void *arg) {
  echo_server *s = arg;
  int c = accept(s->fd, NULL, NULL);
  char req[8192];
  size_t n = 0;
  ssize_t got;
  while (n < sizeof(req) - 1 && (got = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
    n += (size_t)got;
    req[n] = '\0';
    if (strstr(req, "\r\n\r\n"))
      break;
  }
  req[n] = '\0';
  char token[256] = "", auth[512] = "";
  const char *t = strstr(req, "X-Amz-Security-Token: ");
  const char *a = strstr(req, "Authorization: ");
  if (t)
    snprintf(token, sizeof(token), "%.*s", (int)strcspn(t + 22, "\r"), t + 22);
  if (a)
    snprintf(auth, sizeof(auth), "%.*s", (int)strcspn(a + 15, "\r"), a + 15);
  char body[1200], resp[1400];
  int bl = snprintf(body, sizeof(body),
                    "{\"__type\":\"AccessDeniedException\",\"message\":\"token %s secret %s "
                    "auth %s\"}", token, FAKE_SECRET, auth);
  int rl = snprintf(resp, sizeof(resp),
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n"
                    "Content-Length: %d\r\nConnection: close\r\n\r\n%s", bl, body);
  ASSERT_EQ(write(c, resp, (size_t)rl), rl);
  close(c);
  return NULL;
}

static void echo_start(echo_server *s) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(sa);
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT(s->fd >= 0);
  ASSERT_EQ(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  ASSERT_EQ(listen(s->fd, 1), 0);
  ASSERT_EQ(getsockname(s->fd, (struct sockaddr *)&sa, &len), 0);
  s->port = ntohs(sa.sin_port);
  ASSERT_EQ(pthread_create(&s->thread, NULL, echo_once, s), 0);
}

static void test_echoed_secrets_redacted(void) {
  echo_server s;
  echo_start(&s);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
  rt_aws_config cfg;
  config_for(&cfg, url);
  snprintf(cfg.access_key, sizeof(cfg.access_key), "%s", FAKE_KEY);
  snprintf(cfg.secret_key, sizeof(cfg.secret_key), "%s", FAKE_SECRET);
  snprintf(cfg.session_token, sizeof(cfg.session_token), "%s", FAKE_TOKEN);
  rt_err err;
  rt_awsj *c = rt_awsj_new(&cfg, RT_AWSJ_SERVICE_KINESIS, NULL, &err);
  ASSERT(c != NULL);
  json_t *out = NULL;
  ASSERT_EQ(rt_awsj_call(c, "ListStreams", json_object(), &out, &err), RT_EAUTH);
  pthread_join(s.thread, NULL);
  close(s.fd);
  rt_awsj_free(&c);
  ASSERT(strstr(err.msg, "AccessDeniedException") != NULL);
  ASSERT(strstr(err.msg, "token [token] secret [secret]") != NULL); /* the echo came */
  ASSERT(strstr(err.msg, FAKE_TOKEN) == NULL);
  ASSERT(strstr(err.msg, "TOKENfake") == NULL);
  ASSERT(strstr(err.msg, "SECRETfake") == NULL);
  ASSERT(strstr(err.msg, FAKE_KEY) == NULL);
  ASSERT(strstr(err.msg, "****7Q2W") != NULL); /* the key id's last 4, in auth */
}

int main(void) {
  TEST_RUN(test_backoff);
  TEST_RUN(test_str);
  TEST_RUN(test_prepare);
  TEST_RUN(test_connection_refused);
  TEST_RUN(test_no_credentials);
  TEST_RUN(test_echoed_secrets_redacted);
  return test_summary();
}
