/*
 * Tests of AWS configuration resolution against a temporary HOME holding
 * ~/.aws/credentials and ~/.aws/config, with the environment cleared first so
 * the developer's own settings never leak in.
 */
#include "rt_aws.h"
#include "rt_aws_creds.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char home[256];

static const char *const VARS[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS",
    "AWS_ENDPOINT_URL_DYNAMODB", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"};

static void clear_env(void) {
  for (size_t i = 0; i < sizeof(VARS) / sizeof(VARS[0]); i++)
    unsetenv(VARS[i]);
  setenv("HOME", home, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* no 1 s wait on a metadata service */
}

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof(path), "%s/.aws/%s", home, name);
  FILE *f = fopen(path, "w");
  ASSERT(f != NULL);
  fputs(text, f);
  fclose(f);
}

static void remove_files(void) {
  char path[512];
  snprintf(path, sizeof(path), "%s/.aws/credentials", home);
  unlink(path);
  snprintf(path, sizeof(path), "%s/.aws/config", home);
  unlink(path);
}

static void test_defaults_without_anything(void) {
  clear_env();
  rt_aws_config c;
  rt_err err;
  ASSERT_EQ(rt_aws_resolve(&c, NULL, &err), 0);
  ASSERT_STR_EQ(c.region, "us-east-1");
  ASSERT_STR_EQ(c.profile, "default");
  ASSERT_STR_EQ(c.cred_source, "none");
  ASSERT_STR_EQ(c.kinesis_endpoint, "https://kinesis.us-east-1.amazonaws.com");
  ASSERT_STR_EQ(c.dynamodb_endpoint, "https://dynamodb.us-east-1.amazonaws.com");
  ASSERT_EQ(c.dynamodb_endpoint_set, 0);
  rt_aws_creds *p = NULL;
  ASSERT_EQ(rt_aws_creds_get(&c, c.kinesis_endpoint, &p, &err), RT_EAUTH);
  ASSERT(p == NULL);
  ASSERT(strstr(err.msg, "AWS_ACCESS_KEY_ID") != NULL);
  const char *loopback[] = {"http://127.0.0.1:4567", "http://localhost/"};
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(rt_aws_creds_get(&c, loopback[i], &p, &err), 0);
    rt_aws_creds_value v;
    rt_aws_creds_current(p, &v);
    ASSERT_STR_EQ(v.access_key, "local");
    rt_aws_creds_release(&p);
    ASSERT(p == NULL);
  }
  ASSERT_EQ(rt_aws_creds_get(&c, "http://127.0.0.10:1", &p, &err), RT_EAUTH);
}

static void test_environment(void) {
  clear_env();
  setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  setenv("AWS_SESSION_TOKEN", "envtoken", 1);
  setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/", 1);
  setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9001", 1);
  rt_aws_config c;
  ASSERT_EQ(rt_aws_resolve(&c, NULL, NULL), 0);
  ASSERT_STR_EQ(c.access_key, "AKIAENV");
  ASSERT_STR_EQ(c.secret_key, "envsecret");
  ASSERT_STR_EQ(c.session_token, "envtoken");
  ASSERT_STR_EQ(c.cred_source, "environment");
  ASSERT_STR_EQ(c.region, "eu-west-1");
  ASSERT_STR_EQ(c.kinesis_endpoint, "http://127.0.0.1:9000");
  ASSERT_STR_EQ(c.dynamodb_endpoint, "http://127.0.0.1:9001");
  ASSERT_EQ(c.dynamodb_endpoint_set, 1);
  setenv("AWS_REGION", "ap-south-1", 1); /* AWS_REGION beats AWS_DEFAULT_REGION */
  setenv("AWS_ENDPOINT_URL_KINESIS", "https://k.example", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, NULL), 0);
  ASSERT_STR_EQ(c.region, "ap-south-1");
  ASSERT_STR_EQ(c.kinesis_endpoint, "https://k.example");
  setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, NULL), 0);
  ASSERT_STR_EQ(c.kinesis_endpoint, "https://kinesis.ap-south-1.amazonaws.com");
}

static const char CREDS[] =
    "# comment\n"
    "[default]\n"
    "aws_access_key_id = AKIADEFAULT\n"
    "aws_secret_access_key=defsecret\n"
    "\n"
    "[dev]\n"
    "aws_access_key_id = AKIADEV\n"
    "aws_secret_access_key = devsecret\n"
    "aws_session_token = devtoken\n";

static const char CONFIG[] =
    "[default]\n"
    "region = us-west-2\n"
    "[profile dev]\n"
    "region = eu-central-1\n"
    "endpoint_url = http://localhost:4567\n"
    "s3 =\n"
    "  region = nowhere\n"
    "[profile cfgonly]\n"
    "aws_access_key_id = AKIACFG\n"
    "aws_secret_access_key = cfgsecret\n"
    "[dev]\n"
    "region = wrong-section\n";

static void test_files_and_profiles(void) {
  clear_env();
  write_file("credentials", CREDS);
  write_file("config", CONFIG);
  rt_aws_config c;
  ASSERT_EQ(rt_aws_resolve(&c, NULL, NULL), 0);
  ASSERT_STR_EQ(c.access_key, "AKIADEFAULT");
  ASSERT_STR_EQ(c.secret_key, "defsecret");
  ASSERT_STR_EQ(c.session_token, "");
  ASSERT_STR_EQ(c.cred_source, "credentials file");
  ASSERT_STR_EQ(c.region, "us-west-2");
  ASSERT_STR_EQ(c.kinesis_endpoint, "https://kinesis.us-west-2.amazonaws.com");

  setenv("AWS_PROFILE", "dev", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, NULL), 0);
  ASSERT_STR_EQ(c.profile, "dev");
  ASSERT_STR_EQ(c.access_key, "AKIADEV");
  ASSERT_STR_EQ(c.session_token, "devtoken");
  ASSERT_STR_EQ(c.region, "eu-central-1");
  ASSERT_STR_EQ(c.kinesis_endpoint, "http://localhost:4567");
  ASSERT_STR_EQ(c.dynamodb_endpoint, "http://localhost:4567");

  setenv("AWS_PROFILE", "cfgonly", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, NULL), 0);
  ASSERT_STR_EQ(c.access_key, "AKIACFG");
  ASSERT_STR_EQ(c.cred_source, "config file");
  ASSERT_STR_EQ(c.region, "us-east-1");

  /* env credentials beat the files... */
  setenv("AWS_PROFILE", "dev", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, NULL), 0);
  ASSERT_STR_EQ(c.access_key, "AKIAENV");
  /* ...unless the session names a profile. */
  rt_aws_settings s = {.profile = "default"};
  ASSERT_EQ(rt_aws_resolve(&c, &s, NULL), 0);
  ASSERT_STR_EQ(c.access_key, "AKIADEFAULT");
  remove_files();
}

static void test_session_overrides(void) {
  clear_env();
  setenv("AWS_REGION", "eu-west-1", 1);
  setenv("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:1", 1);
  rt_aws_settings s = {.region = "sa-east-1", .endpoint = "http://127.0.0.1:4567/"};
  rt_aws_config c;
  ASSERT_EQ(rt_aws_resolve(&c, &s, NULL), 0);
  ASSERT_STR_EQ(c.region, "sa-east-1");
  ASSERT_STR_EQ(c.kinesis_endpoint, "http://127.0.0.1:4567");
  ASSERT_STR_EQ(c.dynamodb_endpoint, "https://dynamodb.sa-east-1.amazonaws.com");
}

static void test_bad_values(void) {
  clear_env();
  rt_err err;
  rt_aws_settings s = {.endpoint = "127.0.0.1:4567"};
  rt_aws_config c;
  ASSERT_EQ(rt_aws_resolve(&c, &s, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "http://") != NULL);
  snprintf(s.endpoint, sizeof(s.endpoint), "https://user:SECRETpass@kinesis.example/x");
  ASSERT_EQ(rt_aws_resolve(&c, &s, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "user name or password") != NULL);
  ASSERT(strstr(err.msg, "SECRET") == NULL);
  setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://SECRETuser@127.0.0.1:1", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "SECRET") == NULL);
  unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
  snprintf(s.endpoint, sizeof(s.endpoint), "https://k.example/p@x"); /* @ after the host */
  ASSERT_EQ(rt_aws_resolve(&c, &s, &err), 0);
  char big[300];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  setenv("AWS_ACCESS_KEY_ID", big, 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, &err), RT_ETOOBIG);
  ASSERT(strstr(err.msg, "AWS_ACCESS_KEY_ID") != NULL);
  clear_env();
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/creds", 1);
  ASSERT_EQ(rt_aws_resolve(&c, NULL, &err), 0);
  ASSERT_STR_EQ(c.cred_source, "none");
}

int main(void) {
  snprintf(home, sizeof(home), "/tmp/eddy-aws-test-XXXXXX");
  ASSERT(mkdtemp(home) != NULL);
  char dir[300];
  snprintf(dir, sizeof(dir), "%s/.aws", home);
  ASSERT(mkdir(dir, 0700) == 0);
  TEST_RUN(test_defaults_without_anything);
  TEST_RUN(test_environment);
  TEST_RUN(test_files_and_profiles);
  TEST_RUN(test_session_overrides);
  TEST_RUN(test_bad_values);
  rmdir(dir);
  rmdir(home);
  return test_summary();
}
