/* Unit tests for kn_conn: connection files, endpoints, and what is refused. */
#include "test.h"

#include "kn_conn.h"

#include <sys/stat.h>
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

static const char *ports = "\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
                           "\"control_port\":4,\"hb_port\":5";

/* An empty or missing key is parsed (the file is well formed) but refused at
 * start-up unless the user opted in; the message says how. */
static void test_unsigned_refused_unless_allowed(void) {
  const char *files[] = {"{%s,\"key\":\"\"}", "{%s}"};
  for (int i = 0; i < 2; i++) {
    char json[256];
    int n = snprintf(json, sizeof(json), files[i], ports);
    kn_conn c;
    rt_err err;
    ASSERT_EQ(kn_conn_parse(&c, json, (size_t)n, &err), 0);
    ASSERT_EQ(kn_conn_check_signed(&c, false, &err), RT_EAUTH);
    ASSERT(strstr(err.msg, "no \"key\"") != NULL);
    ASSERT(strstr(err.msg, "--allow-unsigned") != NULL);
    ASSERT(strstr(err.msg, "EDDY_ALLOW_UNSIGNED=1") != NULL);
    ASSERT_EQ(kn_conn_check_signed(&c, true, &err), 0);
    kn_conn_clear(&c);
  }
  kn_conn c;
  rt_err err;
  ASSERT_EQ(kn_conn_parse(&c, good, strlen(good), &err), 0);
  ASSERT_EQ(kn_conn_check_signed(&c, false, &err), 0);
  kn_conn_clear(&c);
}

/* Only SHA-2 HMACs sign: OpenSSL knows hmac-md5 and hmac-sha1 too. */
static void test_schemes(void) {
  const char *refused[] = {"hmac-md5", "hmac-sha1", "sha256", "hmac-nosuch", ""};
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    char json[256];
    snprintf(json, sizeof(json), "{%s,\"key\":\"k\",\"signature_scheme\":\"%s\"}", ports,
             refused[i]);
    expect_refused(json, "signature_scheme");
  }
  const char *accepted[] = {"hmac-sha256", "hmac-sha384", "hmac-sha512"};
  for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
    char json[256];
    int n = snprintf(json, sizeof(json),
                     "{%s,\"key\":\"k\",\"signature_scheme\":\"%s\"}", ports, accepted[i]);
    kn_conn c;
    rt_err err;
    ASSERT_EQ(kn_conn_parse(&c, json, (size_t)n, &err), 0);
    ASSERT_STR_EQ(c.scheme, accepted[i]);
    kn_conn_clear(&c);
  }
}

/* No message about the connection file quotes its key. */
static void test_key_never_in_messages(void) {
  const char *secret = "KEYSECRET-9f8e7d";
  char json[512];
  snprintf(json, sizeof(json), "{%s,\"key\":\"%s\",\"signature_scheme\":\"hmac-md5\"}",
           ports, secret);
  expect_refused(json, "signature_scheme");
  kn_conn c;
  rt_err err;
  ASSERT_EQ(kn_conn_parse(&c, json, strlen(json), &err), RT_EINVAL);
  ASSERT(strstr(err.msg, secret) == NULL);
  snprintf(json, sizeof(json), "{\"key\":\"%s\",\"shell_port\":0}", secret);
  ASSERT_EQ(kn_conn_parse(&c, json, strlen(json), &err), RT_EINVAL);
  ASSERT(strstr(err.msg, secret) == NULL);
}

/* tcp binds only literal addresses; IPv6 ones get brackets. */
static void test_ip_literal_only(void) {
  const char *refused[] = {"*", "localhost", "eth0", "", "127.0.0.1:80", "0"};
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    char json[256];
    snprintf(json, sizeof(json), "{%s,\"key\":\"k\",\"ip\":\"%s\"}", ports, refused[i]);
    expect_refused(json, "is not an IP address");
  }
  kn_conn c;
  rt_err err;
  char ep[300], json[256];
  int n = snprintf(json, sizeof(json), "{%s,\"key\":\"k\",\"ip\":\"::1\"}", ports);
  ASSERT_EQ(kn_conn_parse(&c, json, (size_t)n, &err), 0);
  ASSERT_STR_EQ(kn_conn_endpoint(&c, KN_CH_SHELL, ep, sizeof(ep)), "tcp://[::1]:1");
  ASSERT(!kn_conn_is_wildcard(&c));
  kn_conn_clear(&c);
  n = snprintf(json, sizeof(json), "{%s,\"key\":\"k\",\"ip\":\"0.0.0.0\"}", ports);
  ASSERT_EQ(kn_conn_parse(&c, json, (size_t)n, &err), 0);
  ASSERT(kn_conn_is_wildcard(&c));
  kn_conn_clear(&c);
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
  ASSERT_EQ(c.file_mode, 0600); /* mkstemp's */
  kn_conn_clear(&c);
  ASSERT_EQ(chmod(path, 0644), 0);
  ASSERT_EQ(kn_conn_load(&c, path, &err), 0);
  ASSERT_EQ(c.file_mode, 0644);
  kn_conn_clear(&c);
  unlink(path);
  ASSERT_EQ(kn_conn_load(&c, path, &err), RT_EIO);
  ASSERT(strstr(err.msg, path) != NULL);
}

int main(void) {
  TEST_RUN(test_parse_tcp);
  TEST_RUN(test_parse_ipc_and_defaults);
  TEST_RUN(test_refused);
  TEST_RUN(test_unsigned_refused_unless_allowed);
  TEST_RUN(test_schemes);
  TEST_RUN(test_key_never_in_messages);
  TEST_RUN(test_ip_literal_only);
  TEST_RUN(test_load_file);
  return test_summary();
}
