/* Unit tests for kn_conn: connection files, endpoints, and what is refused. */
#include "test.h"

#include "kn_conn.h"

#include <unistd.h>

static const char *good =
    "{\"shell_port\": 5001, \"iopub_port\": 5002, \"stdin_port\": 5003,"
    " \"control_port\": 5004, \"hb_port\": 5005, \"ip\": \"127.0.0.1\","
    " \"key\": \"a0b1-c2\", \"transport\": \"tcp\","
    " \"signature_scheme\": \"hmac-sha256\", \"kernel_name\": \"eddy\"}";

static void test_parse_tcp(void) {
  kn_conn c;
  rt_err err;
  char ep[300];
  ASSERT_EQ(kn_conn_parse(&c, good, strlen(good), &err), 0);
  ASSERT_STR_EQ(c.transport, "tcp");
  ASSERT_EQ(c.ports[KN_CH_SHELL], 5001);
  ASSERT_EQ(c.ports[KN_CH_HB], 5005);
  ASSERT_STR_EQ(c.key, "a0b1-c2");
  ASSERT_EQ(c.keylen, 7);
  ASSERT_STR_EQ(c.scheme, "hmac-sha256");
  ASSERT_STR_EQ(kn_conn_endpoint(&c, KN_CH_CONTROL, ep, sizeof(ep)),
                "tcp://127.0.0.1:5004");
  kn_conn_clear(&c);
  ASSERT(c.key == NULL);
  kn_conn_clear(&c);
}

static void test_parse_ipc_and_defaults(void) {
  const char *ipc = "{\"transport\":\"ipc\",\"ip\":\"/tmp/kernel-x\","
                    "\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
                    "\"control_port\":4,\"hb_port\":5}";
  kn_conn c;
  rt_err err;
  char ep[300];
  ASSERT_EQ(kn_conn_parse(&c, ipc, strlen(ipc), &err), 0);
  ASSERT_STR_EQ(kn_conn_endpoint(&c, KN_CH_IOPUB, ep, sizeof(ep)),
                "ipc:///tmp/kernel-x-2");
  ASSERT_EQ(c.keylen, 0); /* no key: no signing */
  ASSERT_STR_EQ(c.scheme, "hmac-sha256");
  kn_conn_clear(&c);
}

static void expect_refused(const char *json, const char *needle) {
  kn_conn c;
  rt_err err;
  ASSERT_EQ(kn_conn_parse(&c, json, strlen(json), &err), RT_EINVAL);
  if (!strstr(err.msg, needle)) {
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.msg, needle);
    ASSERT(0);
  }
  ASSERT(c.key == NULL);
}

static void test_refused(void) {
  expect_refused("", "not a JSON object");
  expect_refused("[]", "not a JSON object");
  expect_refused("{\"shell_port\":1}", "iopub_port");
  expect_refused("{\"transport\":\"udp\"}", "transport");
  expect_refused("{\"transport\":7}", "transport");
  expect_refused("{\"shell_port\":70000,\"iopub_port\":2,\"stdin_port\":3,"
                 "\"control_port\":4,\"hb_port\":5}", "shell_port");
  expect_refused("{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
                 "\"control_port\":4,\"hb_port\":5,\"key\":5}", "key");
}

static void test_load_file(void) {
  char path[] = "/tmp/eddy-conn-XXXXXX";
  int fd = mkstemp(path);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, good, strlen(good)), (ssize_t)strlen(good));
  close(fd);
  kn_conn c;
  rt_err err;
  ASSERT_EQ(kn_conn_load(&c, path, &err), 0);
  ASSERT_EQ(c.ports[KN_CH_STDIN], 5003);
  kn_conn_clear(&c);
  unlink(path);
  ASSERT_EQ(kn_conn_load(&c, path, &err), RT_EIO);
  ASSERT(strstr(err.msg, path) != NULL);
}

int main(void) {
  TEST_RUN(test_parse_tcp);
  TEST_RUN(test_parse_ipc_and_defaults);
  TEST_RUN(test_refused);
  TEST_RUN(test_load_file);
  return test_summary();
}
