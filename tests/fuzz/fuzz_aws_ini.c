/*
 * libFuzzer target for the AWS CLI's shared files as the runtime reads
 * them: the input is ~/.aws/config, then a line "~~~", then
 * ~/.aws/credentials. They are written to a private directory the
 * environment points at (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), and
 * read through the production entry points: rt_aws_resolve (profile,
 * region, endpoints, the chain's step) for the default profile and for
 * "dev", the chain's pick, and the chain itself when it stops at a file's
 * static keys (nothing is run and nothing is dialled: steps that would
 * reach a process or the network are only picked). A malformed file must
 * come back as an error with a message, and reading is repeatable.
 */
#include "rt_aws.h"
#include "rt_aws_creds.h"
#include "rt_aws_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_config[256], g_creds[256];

static void setup(void) {
  static const char *const unset[] = {
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
      "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS",
      "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
      "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
  for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
    unsetenv(unset[i]);
  const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  char dir[200];
  snprintf(dir, sizeof(dir), "%s/fuzz_aws_ini.XXXXXX", tmp);
  if (!mkdtemp(dir))
    abort();
  snprintf(g_config, sizeof(g_config), "%s/config", dir);
  snprintf(g_creds, sizeof(g_creds), "%s/credentials", dir);
  setenv("HOME", dir, 1);
  setenv("AWS_CONFIG_FILE", g_config, 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", g_creds, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void put_file(const char *path, const uint8_t *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
    abort();
}

static void check_err(int rc, const rt_err *err) {
  if (rc < 0 && (err->code != rc || err->msg[0] == '\0'))
    abort();
}

static void resolve(const char *profile) {
  rt_aws_settings s;
  rt_aws_config a, b;
  rt_err err = {0};
  memset(&s, 0, sizeof(s));
  snprintf(s.profile, sizeof(s.profile), "%s", profile);
  int rc = rt_aws_resolve(&a, &s, &err);
  check_err(rc, &err);
  if (rc != rt_aws_resolve(&b, &s, &err) || memcmp(&a, &b, sizeof(a)) != 0)
    abort(); /* nothing is cached: the same files give the same answer */
  if (rc == 0 && (!a.region[0] || strncmp(a.kinesis_endpoint, "http", 4) != 0 ||
                  strncmp(a.dynamodb_endpoint, "http", 4) != 0))
    abort();
  rt_aws_chain_in in = {.profile = profile, .profile_explicit = 1, .config_file = g_config,
                        .creds_file = g_creds, .region = "us-east-1", .loopback = 1};
  rt_aws_step step = RT_AWS_STEP_NONE;
  rc = rt_aws_chain_pick(&in, &step, &err);
  check_err(rc, &err);
  if (rc == 0 && (step == RT_AWS_STEP_CREDS_FILE || step == RT_AWS_STEP_CONFIG_FILE)) {
    rt_aws_creds_value v;
    rc = rt_aws_chain_resolve(&in, &v, &err);
    check_err(rc, &err);
    if (rc == 0 && (!v.access_key[0] || !v.secret_key[0]))
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_config[0])
    setup();
  const uint8_t *sep = NULL;
  for (size_t i = 0; i + 3 <= size && !sep; i++)
    if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "~~~", 3) == 0)
      sep = data + i;
  size_t nconf = sep ? (size_t)(sep - data) : size;
  const uint8_t *creds = sep ? sep + 3 : data + size;
  put_file(g_config, data, nconf);
  put_file(g_creds, creds, (size_t)(data + size - creds));
  resolve("default");
  resolve("dev");
  return 0;
}
