/*
 * Tests of the credential chain and the shared provider: the parsers of each
 * source's answer (good and malformed), the chain's order and its refusals
 * (loops, MFA, failing or garbled credential_process, missing or expired SSO
 * tokens, an unreachable metadata service), and every network source against
 * tests/py/aws_cred_server.py, a scripted server that checks the requests
 * (signature key id, IMDSv2 token, container authorization, SSO bearer
 * token). The refresh test waits on the provider's counters (events),
 * bounded in real time.
 */
#include "rt_aws.h"
#include "rt_aws_creds.h"
#include "rt_time.h"
#include "test.h"
#include "test_spawn.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char home[256];
static char srv_url[64];
static pid_t srv_pid;
static int srv_stdin = -1;

static const char *const VARS[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS",
    "AWS_ENDPOINT_URL_DYNAMODB", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO"};

static void clear_env(void) {
  for (size_t i = 0; i < sizeof(VARS) / sizeof(VARS[0]); i++)
    unsetenv(VARS[i]);
  setenv("HOME", home, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_REGION", "eu-west-1", 1);
  if (srv_url[0]) {
    setenv("AWS_ENDPOINT_URL_STS", srv_url, 1);
    setenv("AWS_ENDPOINT_URL_SSO", srv_url, 1);
  }
}

static void write_home(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", home, rel);
  FILE *f = fopen(path, "w");
  ASSERT(f != NULL);
  fputs(text, f);
  fclose(f);
}

static void unlink_home(const char *rel) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", home, rel);
  unlink(path);
}

/* Resolves the chain for profile (NULL: default) with the files in home. */
static int chain(const char *profile, int loopback, rt_aws_creds_value *v, rt_err *err) {
  char cfg[512], creds[512];
  snprintf(cfg, sizeof(cfg), "%s/.aws/config", home);
  snprintf(creds, sizeof(creds), "%s/.aws/credentials", home);
  rt_aws_chain_in in = {.profile = profile ? profile : "default", .config_file = cfg,
                        .creds_file = creds, .region = "eu-west-1", .loopback = loopback};
  rt_err_clear(err);
  return rt_aws_chain_resolve(&in, v, err);
}

/* ---- the scripted server ------------------------------------------------- */

/* Starts tests/py/aws_cred_server.py (Debian's python3), credentials living
 * an hour. Not named server_start: that name marks a Kinesis test to CMake,
 * which would run this binary twice. */
static void start_cred_server(void) {
  char script[512];
  snprintf(script, sizeof(script), "%s/py/aws_cred_server.py", EDDY_TEST_DATA);
  char *argv[] = {"/usr/bin/python3", script, "3600", NULL};
  long port = spawn_with_port(argv, &srv_pid, &srv_stdin);
  ASSERT(port > 0);
  snprintf(srv_url, sizeof(srv_url), "http://127.0.0.1:%ld", port);
}

static void stop_cred_server(void) {
  close(srv_stdin); /* the server exits when its stdin closes */
  waitpid(srv_pid, NULL, 0);
}

/* POST /_config or GET /_stats; the answer into out (may be NULL). */
static long server_call(const char *path, const char *post, char *out, size_t outsz) {
  char url[128];
  snprintf(url, sizeof(url), "%s%s", srv_url, path);
  FILE *mem = out ? fmemopen(out, outsz, "w") : fopen("/dev/null", "w");
  CURL *e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, url);
  if (post)
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, post);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, mem);
  ASSERT_EQ(curl_easy_perform(e), CURLE_OK);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  fclose(mem);
  return status;
}

/* ---- parsers --------------------------------------------------------------- */

static const char STS_OK[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n    <Credentials>\n"
    "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>se/cr+et&amp;x</SecretAccessKey>\n"
    "      <SessionToken>tok==</SessionToken>\n"
    "      <Expiration>2026-11-20T10:00:00Z</Expiration>\n"
    "    </Credentials>\n  </AssumeRoleResult>\n</AssumeRoleResponse>\n";

static void test_sts_parse(void) {
  rt_aws_creds_value v = {0};
  rt_err err;
  ASSERT_EQ(rt_aws_sts_parse(STS_OK, strlen(STS_OK), 200, &v, &err), 0);
  ASSERT_STR_EQ(v.access_key, "ASIAEXAMPLE");
  ASSERT_STR_EQ(v.secret_key, "se/cr+et&x");
  ASSERT_STR_EQ(v.session_token, "tok==");
  int64_t ms;
  ASSERT_EQ(rt_time_parse("2026-11-20T10:00:00Z", 20, &ms), 0);
  ASSERT_EQ(v.expires_ms, ms);
  const char *e403 = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                     "<Message>not allowed to assume</Message></Error></ErrorResponse>";
  ASSERT_EQ(rt_aws_sts_parse(e403, strlen(e403), 403, &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "AccessDenied") && strstr(err.msg, "not allowed to assume"));
  ASSERT_EQ(rt_aws_sts_parse("<x/>", 4, 200, &v, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "AccessKeyId") != NULL);
  const char *bad_exp = "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
                        "<SessionToken>T</SessionToken><Expiration>soon</Expiration>";
  ASSERT_EQ(rt_aws_sts_parse(bad_exp, strlen(bad_exp), 200, &v, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "expiration") != NULL);
  ASSERT_EQ(rt_aws_sts_parse("", 0, 503, &v, &err), RT_ESERVER);
}

static void test_process_parse(void) {
  rt_aws_creds_value v = {0};
  rt_err err;
  const char *ok = "{\"Version\": 1, \"AccessKeyId\": \"AKP\", \"SecretAccessKey\": \"SP\","
                   " \"SessionToken\": \"TP\", \"Expiration\": \"2026-11-20T10:00:00Z\"}";
  ASSERT_EQ(rt_aws_process_parse(ok, strlen(ok), &v, &err), 0);
  ASSERT_STR_EQ(v.access_key, "AKP");
  ASSERT_STR_EQ(v.session_token, "TP");
  ASSERT_EQ(v.expires_ms, 1795168800000LL); /* the Expiration given, 2026-11-20T10:00:00Z */
  const char *forever = "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}";
  ASSERT_EQ(rt_aws_process_parse(forever, strlen(forever), &v, &err), 0);
  ASSERT_EQ(v.expires_ms, 0);
  const char *v2 = "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}";
  ASSERT_EQ(rt_aws_process_parse(v2, strlen(v2), &v, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "Version") != NULL);
  const char *nosecret = "{\"Version\": 1, \"AccessKeyId\": \"A\"}";
  ASSERT_EQ(rt_aws_process_parse(nosecret, strlen(nosecret), &v, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "SecretAccessKey") != NULL);
  const char *garbage = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY oops";
  ASSERT_EQ(rt_aws_process_parse(garbage, strlen(garbage), &v, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "wJalr") == NULL); /* never quote what may be a secret */
  ASSERT(strstr(err.msg, "not a JSON object") != NULL);
}

static void test_meta_parse(void) {
  rt_aws_creds_value v = {0};
  rt_err err;
  const char *ok = "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", \"AccessKeyId\": \"AKI\","
                   " \"SecretAccessKey\": \"SI\", \"Token\": \"TI\","
                   " \"Expiration\": \"2026-11-20T10:00:00Z\"}";
  ASSERT_EQ(rt_aws_meta_parse(ok, strlen(ok), "instance metadata", &v, &err), 0);
  ASSERT_STR_EQ(v.session_token, "TI");
  const char *fail = "{\"Code\": \"AssumeRoleUnauthorizedAccess\", \"Message\": \"no\"}";
  ASSERT_EQ(rt_aws_meta_parse(fail, strlen(fail), "instance metadata", &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "AssumeRoleUnauthorizedAccess") != NULL);
  ASSERT_EQ(rt_aws_meta_parse("[1,2", 4, "container credentials", &v, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "container credentials") != NULL);
}

static void test_sso_parse(void) {
  char tok[64], name[48];
  int64_t exp;
  rt_err err;
  const char *cache = "{\"startUrl\": \"https://x\", \"region\": \"eu-west-1\","
                      " \"accessToken\": \"abc\", \"expiresAt\": \"2026-11-20T10:00:00Z\"}";
  ASSERT_EQ(rt_aws_sso_parse_cache(cache, strlen(cache), tok, sizeof(tok), &exp, &err), 0);
  ASSERT_STR_EQ(tok, "abc");
  const char *legacy = "{\"accessToken\": \"abc\", \"expiresAt\": \"2026-11-20T10:00:00UTC\"}";
  int64_t exp2;
  ASSERT_EQ(rt_aws_sso_parse_cache(legacy, strlen(legacy), tok, sizeof(tok), &exp2, &err), 0);
  ASSERT_EQ(exp, exp2);
  ASSERT_EQ(rt_aws_sso_parse_cache("{}", 2, tok, sizeof(tok), &exp, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "accessToken") != NULL);
  rt_aws_creds_value v = {0};
  const char *role = "{\"roleCredentials\": {\"accessKeyId\": \"AS\", \"secretAccessKey\": \"SS\","
                     " \"sessionToken\": \"TS\", \"expiration\": 1795000000000}}";
  ASSERT_EQ(rt_aws_sso_parse_role(role, strlen(role), &v, &err), 0);
  ASSERT_EQ(v.expires_ms, 1795000000000LL);
  ASSERT_EQ(rt_aws_sso_parse_role("{\"roleCredentials\": 1}", 21, &v, &err), RT_EPROTO);
  rt_aws_sso_cache_name("my-sso", name);
  ASSERT_STR_EQ(name, "0ad374308c5a4e22f723adf10145eafad7c4031c.json");
  rt_aws_sso_cache_name("https://example.awsapps.com/start", name);
  ASSERT_STR_EQ(name, "e8be5486177c5b5392bd9aa76563515b29358e6e.json");
}

/* ---- the chain without a network --------------------------------------------- */

static void test_pick_order(void) {
  clear_env();
  write_home(".aws/config", "[profile r]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = s\n"
                            "[profile s]\naws_access_key_id = AKIDSOURCE\n"
                            "aws_secret_access_key = x\n"
                            "[profile p]\ncredential_process = echo\n"
                            "[profile sso]\nsso_session = my-sso\nsso_account_id = 1\n");
  write_home(".aws/credentials", "[p]\naws_access_key_id = A\naws_secret_access_key = B\n");
  char cfg[512], creds[512];
  snprintf(cfg, sizeof(cfg), "%s/.aws/config", home);
  snprintf(creds, sizeof(creds), "%s/.aws/credentials", home);
  static const struct {
    const char *profile;
    rt_aws_step step;
  } CASES[] = {{"r", RT_AWS_STEP_ASSUME_ROLE}, {"s", RT_AWS_STEP_CONFIG_FILE},
               {"p", RT_AWS_STEP_CREDS_FILE}, /* static keys before the process */
               {"sso", RT_AWS_STEP_SSO}, {"nothing", RT_AWS_STEP_NONE}};
  for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
    rt_aws_chain_in in = {.profile = CASES[i].profile, .config_file = cfg, .creds_file = creds};
    rt_aws_step step;
    ASSERT_EQ(rt_aws_chain_pick(&in, &step, NULL), 0);
    ASSERT_STR_EQ(rt_aws_step_name(step), rt_aws_step_name(CASES[i].step));
  }
  rt_aws_chain_in in = {.profile = "r", .config_file = cfg, .creds_file = creds};
  rt_aws_step step;
  setenv("AWS_ACCESS_KEY_ID", "E", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "E", 1);
  ASSERT_EQ(rt_aws_chain_pick(&in, &step, NULL), 0);
  ASSERT_EQ(step, RT_AWS_STEP_ENV);
  in.profile_explicit = 1; /* %set profile: the environment's keys do not count */
  ASSERT_EQ(rt_aws_chain_pick(&in, &step, NULL), 0);
  ASSERT_EQ(step, RT_AWS_STEP_ASSUME_ROLE);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  in.profile = "nothing";
  in.loopback = 1; /* kinesalite: no metadata wait unless asked for */
  ASSERT_EQ(rt_aws_chain_pick(&in, &step, NULL), 0);
  ASSERT_EQ(step, RT_AWS_STEP_NONE);
  in.loopback = 0;
  ASSERT_EQ(rt_aws_chain_pick(&in, &step, NULL), 0);
  ASSERT_EQ(step, RT_AWS_STEP_IMDS);
  unlink_home(".aws/credentials");
}

static void test_role_refusals(void) {
  clear_env();
  write_home(".aws/config",
             "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
             "[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n"
             "[profile m]\nrole_arn = arn:aws:iam::1:role/M\nsource_profile = s\n"
             "mfa_serial = arn:aws:iam::1:mfa/me\n"
             "[profile n]\nrole_arn = arn:aws:iam::1:role/N\n"
             "[profile c]\nrole_arn = arn:aws:iam::1:role/C\ncredential_source = Laptop\n");
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain("a", 0, &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "loop") != NULL);
  ASSERT_EQ(chain("m", 0, &v, &err), RT_EUNSUPPORTED);
  ASSERT(strstr(err.msg, "mfa_serial") != NULL);
  ASSERT_EQ(chain("n", 0, &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "source_profile") != NULL);
  ASSERT_EQ(chain("c", 0, &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "Ec2InstanceMetadata") != NULL);
  ASSERT_EQ(v.access_key[0], '\0');
}

static void test_credential_process(void) {
  clear_env();
  write_home(".aws/config",
             "[profile ok]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":"
             "\"AKPROC\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\"}'\n"
             "[profile fails]\ncredential_process = sh -c 'exit 3'\n"
             "[profile garbage]\ncredential_process = echo SECRETSECRET not json\n");
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain("ok", 0, &v, &err), 0);
  ASSERT_STR_EQ(v.access_key, "AKPROC");
  ASSERT_STR_EQ(v.source, "credential_process via profile ok");
  ASSERT_EQ(chain("fails", 0, &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "exited with status 3") != NULL);
  ASSERT_EQ(chain("garbage", 0, &v, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "credential_process of profile garbage") != NULL);
  ASSERT(strstr(err.msg, "SECRET") == NULL);
}

static void test_malformed_config(void) {
  clear_env();
  write_home(".aws/config", "[profile keyonly]\naws_access_key_id = A\n");
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain("keyonly", 0, &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "aws_secret_access_key") != NULL);
  write_home(".aws/config", "[profile emptysecret]\naws_access_key_id = A\naws_secret_access_key =\n");
  ASSERT_EQ(chain("emptysecret", 0, &v, &err), RT_EINVAL); /* found by fuzz_aws_ini */
  ASSERT(strstr(err.msg, "no aws_secret_access_key") != NULL);
  write_home(".aws/config", "[default]\nregion = x\n[profile half\naws_access_key_id = A\n");
  ASSERT_EQ(chain("half", 0, &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "line 3") && strstr(err.msg, "without \"]\""));
  write_home(".aws/config", "[default]\ngarbage line without equals\n");
  ASSERT_EQ(chain(NULL, 0, &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "line 2") && strstr(err.msg, "key = value"));
  char big[6000];
  memset(big, 'k', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  char text[6200];
  snprintf(text, sizeof(text), "[profile big]\naws_access_key_id = %s\n", big);
  write_home(".aws/config", text);
  ASSERT_EQ(chain("big", 0, &v, &err), RT_ETOOBIG);
}

static void test_sso_token_missing_and_expired(void) {
  clear_env();
  write_home(".aws/config", "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
                            "sso_role_name = EddyReader\n"
                            "[sso-session my-sso]\nsso_start_url = https://example.awsapps.com/start\n"
                            "sso_region = eu-west-1\n");
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain("dev", 0, &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "aws sso login --profile dev") != NULL);
  write_home(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
             "{\"accessToken\": \"sso-bearer-token\", \"expiresAt\": \"2020-01-01T00:00:00Z\"}");
  ASSERT_EQ(chain("dev", 0, &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "expired") && strstr(err.msg, "aws sso login --profile dev"));
  write_home(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json", "{not json");
  ASSERT_EQ(chain("dev", 0, &v, &err), RT_EPROTO);
}

static void test_imds_unreachable_then_next(void) {
  clear_env();
  unlink_home(".aws/config");
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1); /* nothing listens */
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain(NULL, 0, &v, &err), RT_ENOTFOUND);
  ASSERT(strstr(err.msg, "instance metadata") != NULL);
  rt_aws_config cfg;
  ASSERT_EQ(rt_aws_resolve(&cfg, NULL, &err), 0);
  rt_aws_creds *p = NULL;
  ASSERT_EQ(rt_aws_creds_get(&cfg, "http://127.0.0.1:4567", &p, &err), 0); /* next: placeholder */
  rt_aws_creds_current(p, &v);
  ASSERT_STR_EQ(v.access_key, "local");
  rt_aws_creds_release(&p);
  ASSERT_EQ(rt_aws_creds_get(&cfg, "https://kinesis.eu-west-1.amazonaws.com", &p, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "instance metadata") && strstr(err.msg, "AWS_ACCESS_KEY_ID"));
}

/* ---- secrets never reach a message -------------------------------------- */

/* Recognisable fake secrets, and the part that would show a leak. */
#define SEC_KEY "SECRETkey-0123456789abcdefghij-SECRET"
#define SEC_TOKEN "SECRETtoken-0123456789abcdefghij-SECRET"
#define SEC_BEARER "SECRETbearer-sso-0123456789-SECRET"

static void assert_no_secret(const char *text) {
  if (strstr(text, "SECRET") || strstr(text, "AKIDSHOWN")) {
    fprintf(stderr, "  a secret leaked into: %s\n", text);
    ASSERT(0);
  }
}

/* Every error path that handles a secret, with fake ones: a bad line of the
 * credentials file, credential_process printing them and then failing or
 * answering badly, an over-long secret, an expired SSO token, and %aws on
 * static environment credentials (no key id either). */
static void test_no_secret_in_messages(void) {
  clear_env();
  rt_aws_creds_value v;
  rt_err err;
  write_home(".aws/credentials", "[default]\naws_access_key_id = AKIDSHOWN\n"
                                 "aws_secret_access_key " SEC_KEY "\n");
  ASSERT_EQ(chain(NULL, 0, &v, &err), RT_EINVAL);
  assert_no_secret(err.msg);
  unlink_home(".aws/credentials");
  static const char *const procs[] = {
      /* printed, then a failure */
      "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDSHOWN\",\"SecretAccessKey\":\"" SEC_KEY
      "\"}'; exit 1",
      /* the wrong version */
      "printf '{\"Version\":2,\"AccessKeyId\":\"AKIDSHOWN\",\"SecretAccessKey\":\"" SEC_KEY
      "\",\"SessionToken\":\"" SEC_TOKEN "\"}'",
      /* no secret key beside the token */
      "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDSHOWN\",\"SessionToken\":\"" SEC_TOKEN
      "\"}'",
      /* not JSON, a secret in the middle */
      "printf 'Version 1 " SEC_KEY " " SEC_TOKEN "'",
      /* an expiration that is not a time: the secret after it */
      "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDSHOWN\",\"SecretAccessKey\":\"" SEC_KEY
      "\",\"Expiration\":\"soon\"}'",
  };
  for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
    char cfg[1024];
    snprintf(cfg, sizeof(cfg), "[profile p]\ncredential_process = %s\n", procs[i]);
    write_home(".aws/config", cfg);
    ASSERT(chain("p", 0, &v, &err) < 0);
    assert_no_secret(err.msg);
  }
  char big[RT_AWS_KEY_MAX + 64], cfg[1024];
  memset(big, 'S', sizeof(big) - 1);
  memcpy(big, "SECRET", 6);
  big[sizeof(big) - 1] = '\0';
  snprintf(cfg, sizeof(cfg), "[profile p]\naws_access_key_id = AKIDSHOWN\n"
                             "aws_secret_access_key = %s\n", big);
  write_home(".aws/config", cfg);
  ASSERT_EQ(chain("p", 0, &v, &err), RT_ETOOBIG);
  assert_no_secret(err.msg);
  write_home(".aws/config", "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
                            "sso_role_name = EddyReader\n"
                            "[sso-session my-sso]\nsso_start_url = https://example.awsapps.com/start\n"
                            "sso_region = eu-west-1\n");
  write_home(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
             "{\"accessToken\": \"" SEC_BEARER "\", \"expiresAt\": \"2020-01-01T00:00:00Z\"}");
  ASSERT_EQ(chain("dev", 0, &v, &err), RT_EAUTH);
  assert_no_secret(err.msg);
  unlink_home(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json");
  unlink_home(".aws/config");
  setenv("AWS_ACCESS_KEY_ID", "AKIDSHOWN", 1);
  setenv("AWS_SECRET_ACCESS_KEY", SEC_KEY, 1);
  setenv("AWS_SESSION_TOKEN", SEC_TOKEN, 1);
  setenv("AWS_ENDPOINT_URL_KINESIS", "https://kinesis.example", 1);
  rt_buf out;
  rt_buf_init(&out, 0);
  ASSERT_EQ(rt_aws_describe(NULL, &out, &err), 0);
  ASSERT(strstr(out.data, "credentials  environment") != NULL);
  assert_no_secret(out.data);
  rt_buf_free(&out);
  clear_env();
}

/* A clean environment whose web identity token file holds token, for the
 * role arn:aws:iam::1:role/Web. */
static void web_identity_env(const char *token) {
  clear_env();
  write_home("token", token);
  char tok[512];
  snprintf(tok, sizeof(tok), "%s/token", home);
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/Web", 1);
}

/* A web identity token the STS endpoint refuses: the message says so, and
 * holds neither the token nor any of it. */
static void test_web_identity_token_not_shown(void) {
  web_identity_env("SECRETjwt-someone-else-0123456789\n");
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain(NULL, 0, &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "InvalidIdentityToken") != NULL);
  assert_no_secret(err.msg);
  unlink_home("token");
  clear_env();
}

/* ---- every network source against the scripted server --------------------- */

static void test_web_identity(void) {
  web_identity_env("web-identity-token\n");
  setenv("AWS_ROLE_SESSION_NAME", "eddy-test", 1);
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain(NULL, 0, &v, &err), 0);
  ASSERT(strncmp(v.access_key, "ASIASTSA", 8) == 0);
  ASSERT(v.session_token[0] && v.expires_ms > rt_wall_ms());
  ASSERT_STR_EQ(v.source, "web identity arn:aws:iam::1:role/Web via profile default");
  write_home("token", "someone-else\n");
  ASSERT_EQ(chain(NULL, 0, &v, &err), RT_EAUTH); /* the server refused the token */
  ASSERT(strstr(err.msg, "InvalidIdentityToken") != NULL);
}

static void test_assume_role_signed_with_source(void) {
  clear_env();
  write_home(".aws/config",
             "[profile dev]\nrole_arn = arn:aws:iam::1:role/Dev\nsource_profile = base\n"
             "external_id = ext-1\nrole_session_name = eddy-dev\nduration_seconds = 900\n"
             "[profile chained]\nrole_arn = arn:aws:iam::1:role/Top\nsource_profile = dev\n"
             "[profile envsrc]\nrole_arn = arn:aws:iam::1:role/E\ncredential_source = Environment\n"
             "[profile wrong]\nrole_arn = arn:aws:iam::1:role/W\nsource_profile = bad\n");
  write_home(".aws/credentials", "[base]\naws_access_key_id = AKIDSOURCE\n"
                                 "aws_secret_access_key = src-secret\n"
                                 "[bad]\naws_access_key_id = AKIDWRONG\n"
                                 "aws_secret_access_key = x\n");
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain("dev", 0, &v, &err), 0);
  ASSERT(strncmp(v.access_key, "ASIASTSA", 8) == 0);
  ASSERT_STR_EQ(v.source, "assume-role arn:aws:iam::1:role/Dev via profile dev");
  char stats[4096];
  ASSERT_EQ(server_call("/_stats", NULL, stats, sizeof(stats)), 200);
  ASSERT(strstr(stats, "\"ExternalId\": \"ext-1\"") && strstr(stats, "\"DurationSeconds\": \"900\""));
  ASSERT(strstr(stats, "\"RoleSessionName\": \"eddy-dev\""));
  /* a chain: Top is assumed with Dev's temporary credentials (key + token checked) */
  ASSERT_EQ(chain("chained", 0, &v, &err), 0);
  ASSERT_STR_EQ(v.source, "assume-role arn:aws:iam::1:role/Top via profile chained");
  setenv("AWS_ACCESS_KEY_ID", "AKIDSOURCE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "x", 1);
  rt_aws_chain_in in = {0};
  (void)in;
  char cfg[512];
  snprintf(cfg, sizeof(cfg), "%s/.aws/config", home);
  rt_aws_chain_in ein = {.profile = "envsrc", .profile_explicit = 1, .config_file = cfg,
                         .region = "eu-west-1"};
  ASSERT_EQ(rt_aws_chain_resolve(&ein, &v, &err), 0);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_EQ(chain("wrong", 0, &v, &err), RT_EAUTH); /* the server checks the key id */
  ASSERT(strstr(err.msg, "InvalidClientTokenId") && strstr(err.msg, "role/W"));
  ASSERT(strstr(err.msg, "secret") == NULL);
  unlink_home(".aws/credentials");
}

/* STS's endpoint from the profile's services section when no variable names one. */
static void test_sts_endpoint_from_services_section(void) {
  clear_env();
  unsetenv("AWS_ENDPOINT_URL_STS");
  char cfg[1024];
  snprintf(cfg, sizeof(cfg),
           "[profile dev]\nrole_arn = arn:aws:iam::1:role/Dev\nsource_profile = base\n"
           "services = local\n"
           "[services local]\nkinesis =\n  endpoint_url = http://127.0.0.1:1\n"
           "sts =\n  endpoint_url = %s/\n", srv_url);
  write_home(".aws/config", cfg);
  write_home(".aws/credentials", "[base]\naws_access_key_id = AKIDSOURCE\n"
                                 "aws_secret_access_key = s\n");
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain("dev", 0, &v, &err), 0);
  ASSERT(strncmp(v.access_key, "ASIASTSA", 8) == 0);
  setenv("AWS_PROFILE", "dev", 1); /* %aws names it */
  rt_buf out;
  rt_buf_init(&out, 0);
  ASSERT_EQ(rt_aws_describe(NULL, &out, &err), 0);
  char want[128];
  snprintf(want, sizeof(want), "sts          %s\n", srv_url);
  ASSERT(strstr(out.data, want) != NULL);
  ASSERT(strstr(out.data, "credentials  assume-role arn:aws:iam::1:role/Dev via profile dev\n"));
  rt_buf_free(&out);
  unlink_home(".aws/credentials");
}

static void test_sso(void) {
  clear_env();
  write_home(".aws/config",
             "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
             "sso_role_name = EddyReader\nregion = eu-west-1\n"
             "[profile legacy]\nsso_start_url = https://example.awsapps.com/start\n"
             "sso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = EddyReader\n"
             "[profile norole]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
             "sso_role_name = Admin\n"
             "[sso-session my-sso]\nsso_start_url = https://example.awsapps.com/start\n"
             "sso_region = eu-west-1\n");
  const char *cache = "{\"accessToken\": \"sso-bearer-token\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}";
  write_home(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json", cache);
  write_home(".aws/sso/cache/e8be5486177c5b5392bd9aa76563515b29358e6e.json", cache);
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain("dev", 0, &v, &err), 0);
  ASSERT(strncmp(v.access_key, "ASIASSO", 7) == 0);
  ASSERT_STR_EQ(v.source, "sso account 123456789012 role EddyReader via profile dev");
  ASSERT_EQ(chain("legacy", 0, &v, &err), 0);
  ASSERT_EQ(chain("norole", 0, &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "Admin") != NULL);
  write_home(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
             "{\"accessToken\": \"revoked\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}");
  ASSERT_EQ(chain("dev", 0, &v, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "aws sso login --profile dev") != NULL);
}

static void test_container_and_imds(void) {
  clear_env();
  unlink_home(".aws/config");
  char url[128];
  snprintf(url, sizeof(url), "%s/container/creds", srv_url);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token", 1);
  rt_aws_creds_value v;
  rt_err err;
  ASSERT_EQ(chain(NULL, 0, &v, &err), 0);
  ASSERT(strncmp(v.access_key, "ASIACONT", 8) == 0);
  write_home("auth", "wrong-token\n"); /* the token file wins over the variable */
  char path[512];
  snprintf(path, sizeof(path), "%s/auth", home);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
  ASSERT_EQ(chain(NULL, 0, &v, &err), RT_EAUTH);
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
  ASSERT_EQ(chain(NULL, 0, &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "https://") != NULL);
  clear_env();
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv_url, 1);
  ASSERT_EQ(chain(NULL, 1, &v, &err), 0);
  ASSERT(strncmp(v.access_key, "ASIAIMDS", 8) == 0);
  ASSERT_STR_EQ(v.source, "instance metadata (role eddy-instance-role)");
}

/* ---- the provider renews ahead of expiry, and keeps old credentials on failure */

/* Waits (bounded by 20 s of real time) until p's counters satisfy the wish. */
static rt_aws_creds_status wait_status(rt_aws_creds *p, uint64_t refreshes, uint64_t failures) {
  rt_aws_creds_status st;
  for (int i = 0; i < 2000; i++) {
    rt_aws_creds_status_get(p, &st);
    if (st.refreshes >= refreshes && st.failures >= failures)
      return st;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "refreshes %llu failures %llu\n", (unsigned long long)st.refreshes,
          (unsigned long long)st.failures);
  ASSERT(!"the provider's counters did not move within 20 s");
  return st;
}

static void test_provider_refreshes(void) {
  clear_env();
  unlink_home(".aws/config");
  write_home("token", "web-identity-token\n");
  char tok[512];
  snprintf(tok, sizeof(tok), "%s/token", home);
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/Web", 1);
  ASSERT_EQ(server_call("/_config", "{\"expires\": 2}", NULL, 0), 200);
  rt_aws_config cfg;
  rt_err err;
  ASSERT_EQ(rt_aws_resolve(&cfg, NULL, &err), 0);
  ASSERT_STR_EQ(cfg.cred_source, "web identity");
  ASSERT_EQ(cfg.access_key[0], '\0');
  rt_aws_creds *p = NULL, *q = NULL;
  ASSERT_EQ(rt_aws_creds_get(&cfg, "https://kinesis.eu-west-1.amazonaws.com", &p, &err), 0);
  ASSERT_EQ(rt_aws_creds_get(&cfg, "https://dynamodb.eu-west-1.amazonaws.com", &q, &err), 0);
  ASSERT(p == q); /* one provider, shared */
  rt_aws_creds_release(&q);
  rt_aws_creds_value a, b;
  uint64_t g0 = rt_aws_creds_current(p, &a);
  wait_status(p, 2, 0);
  uint64_t g1 = rt_aws_creds_current(p, &b);
  ASSERT(g1 >= g0 + 2);
  ASSERT(strcmp(a.access_key, b.access_key) != 0);
  /* renewals fail: the last good credentials stay, the failure is visible */
  ASSERT_EQ(server_call("/_config", "{\"fail\": [\"sts\"]}", NULL, 0), 200);
  rt_aws_creds_status st = wait_status(p, 0, 2);
  ASSERT(strstr(st.last_error, "InternalFailure") != NULL);
  uint64_t failed_at = st.refreshes;
  rt_aws_creds_current(p, &a);
  ASSERT(a.access_key[0] != '\0');
  ASSERT_EQ(server_call("/_config", "{\"fail\": [], \"expires\": 3600}", NULL, 0), 200);
  st = wait_status(p, failed_at + 1, 0);
  ASSERT_STR_EQ(st.last_error, "");
  rt_buf out;
  rt_buf_init(&out, 0);
  ASSERT_EQ(rt_aws_creds_describe_all(&out), 1);
  ASSERT(strstr(out.data, "web identity arn:aws:iam::1:role/Web") != NULL);
  ASSERT(strstr(out.data, "secret-") == NULL && strstr(out.data, "token-") == NULL);
  rt_buf_free(&out);
  uint64_t r, f;
  int failing;
  rt_aws_creds_totals(&r, &f, &failing);
  ASSERT(r >= failed_at + 1 && f >= 2);
  ASSERT_EQ(failing, 0);
  rt_aws_creds_release(&p);
}

int main(void) {
  snprintf(home, sizeof(home), "/tmp/eddy-creds-test-XXXXXX");
  ASSERT(mkdtemp(home) != NULL);
  char dir[300];
  snprintf(dir, sizeof(dir), "%s/.aws", home);
  ASSERT(mkdir(dir, 0700) == 0);
  snprintf(dir, sizeof(dir), "%s/.aws/sso", home);
  ASSERT(mkdir(dir, 0700) == 0);
  snprintf(dir, sizeof(dir), "%s/.aws/sso/cache", home);
  ASSERT(mkdir(dir, 0700) == 0);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  TEST_RUN(test_sts_parse);
  TEST_RUN(test_process_parse);
  TEST_RUN(test_meta_parse);
  TEST_RUN(test_sso_parse);
  TEST_RUN(test_pick_order);
  TEST_RUN(test_role_refusals);
  TEST_RUN(test_credential_process);
  TEST_RUN(test_malformed_config);
  TEST_RUN(test_sso_token_missing_and_expired);
  TEST_RUN(test_imds_unreachable_then_next);
  TEST_RUN(test_no_secret_in_messages);
  start_cred_server();
  TEST_RUN(test_web_identity);
  TEST_RUN(test_web_identity_token_not_shown);
  TEST_RUN(test_assume_role_signed_with_source);
  TEST_RUN(test_sts_endpoint_from_services_section);
  TEST_RUN(test_sso);
  TEST_RUN(test_container_and_imds);
  TEST_RUN(test_provider_refreshes);
  stop_cred_server();
  curl_global_cleanup();
  char cmd[400];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
  ASSERT(system(cmd) == 0);
  return test_summary();
}
