/*
 * bench/aws_creds: what credentials cost a query.
 *
 * 1. Start-up: the time rt_aws_creds_get() takes to resolve credentials from
 *    each source when no provider is live (what a query's first client pays),
 *    median and max of --runs, against tests/py/aws_cred_server.py on
 *    loopback (STS, SSO, IMDSv2, container) and local files and processes.
 * 2. Renewal off the signing path: a "query thread" prepares signed requests
 *    in a loop (rt_awsj_req_prepare, which reads the provider's current
 *    credentials) while the provider renews credentials that live 2 s on its
 *    own thread. Printed: renewals seen, how long a renewal took, and the
 *    prepare times (median, p99, max) overall and for the prepares that ran
 *    while a renewal was in flight. A query thread that waited on a renewal
 *    would show a prepare as long as a renewal; the provider also counts
 *    the copies that found its lock taken (held only for a copy).
 *
 *   build-release/aws_creds [--runs 21] [--seconds 8]
 */
#include "rt_aws.h"
#include "rt_aws_creds.h"
#include "rt_aws_json.h"
#include "rt_time.h"
#include "../tests/test_spawn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char home[256], srv[64];

static void write_home(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", home, rel);
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0)
    exit(1);
  fclose(f);
}

/* Starts tests/py/aws_cred_server.py (Debian's python3); fills srv. */
static pid_t server_start(int *in_fd) {
  char *argv[] = {"/usr/bin/python3", "tests/py/aws_cred_server.py", "3600", NULL};
  pid_t pid;
  long port = spawn_with_port(argv, &pid, in_fd);
  if (port < 0)
    exit(1);
  snprintf(srv, sizeof(srv), "http://127.0.0.1:%ld", port);
  return pid;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void base_env(void) {
  static const char *const VARS[] = {
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
      "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
      "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"};
  for (size_t i = 0; i < sizeof(VARS) / sizeof(VARS[0]); i++)
    unsetenv(VARS[i]);
  setenv("HOME", home, 1);
  setenv("AWS_REGION", "eu-west-1", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_ENDPOINT_URL_STS", srv, 1);
  setenv("AWS_ENDPOINT_URL_SSO", srv, 1);
}

/* One source: set up by setup(), then runs x (get + release), median/max ms. */
static void measure(const char *name, void (*setup)(void), int runs) {
  double *ms = calloc((size_t)runs, sizeof(double));
  char source[256] = "";
  for (int i = 0; i < runs; i++) {
    base_env();
    setup();
    rt_aws_config cfg;
    rt_err err;
    int64_t t0 = rt_mono_ns(); /* a client's start: resolve, then the provider */
    if (rt_aws_resolve(&cfg, NULL, &err) != 0) {
      fprintf(stderr, "%s: %s\n", name, err.msg);
      exit(1);
    }
    rt_aws_creds *p = NULL;
    if (rt_aws_creds_get(&cfg, "https://kinesis.eu-west-1.amazonaws.com", &p, &err) != 0) {
      fprintf(stderr, "%s: %s\n", name, err.msg);
      exit(1);
    }
    ms[i] = (double)(rt_mono_ns() - t0) / 1e6;
    rt_aws_creds_status st;
    rt_aws_creds_status_get(p, &st);
    snprintf(source, sizeof(source), "%s", st.source);
    rt_aws_creds_release(&p);
  }
  qsort(ms, (size_t)runs, sizeof(double), cmp);
  printf("| %-18s | %8.2f | %8.2f | %s |\n", name, ms[runs / 2], ms[runs - 1], source);
  free(ms);
}

static void s_env(void) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDBENCH", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
}
static void s_file(void) { setenv("AWS_PROFILE", "static", 1); }
static void s_process(void) { setenv("AWS_PROFILE", "proc", 1); }
static void s_web(void) {
  char tok[512];
  snprintf(tok, sizeof(tok), "%s/token", home);
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/Web", 1);
}
static void s_role(void) { setenv("AWS_PROFILE", "role", 1); }
static void s_sso(void) { setenv("AWS_PROFILE", "sso", 1); }
static void s_container(void) {
  char url[128];
  snprintf(url, sizeof(url), "%s/container/v1", srv);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token", 1);
}
static void s_imds(void) {
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv, 1);
}

/* Prepare times: all, and those that ran while a renewal was in flight. */
typedef struct times {
  double *v;
  size_t n, cap;
} times;

static void times_add(times *t, double ms) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 4096;
    t->v = realloc(t->v, t->cap * sizeof(double));
  }
  t->v[t->n++] = ms;
}

static void times_print(const char *what, times *t) {
  if (!t->n) {
    printf("| %-36s | %9s | %9s | %9s | %8s |\n", what, "-", "-", "-", "0");
    return;
  }
  qsort(t->v, t->n, sizeof(double), cmp);
  printf("| %-36s | %9.4f | %9.4f | %9.4f | %8zu |\n", what, t->v[t->n / 2] * 1000,
         t->v[t->n * 99 / 100] * 1000, t->v[t->n - 1] * 1000, t->n);
  free(t->v);
}

static void signing_during_renewal(int seconds) {
  base_env();
  s_web();
  char cmd[256]; /* credentials that live 2 s: a renewal about every second */
  snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -d '{\"expires\": 2}' %s/_config", srv);
  if (system(cmd) != 0)
    exit(1);
  rt_aws_config cfg;
  rt_err err;
  if (rt_aws_resolve(&cfg, NULL, &err) != 0)
    exit(1);
  snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "https://kinesis.eu-west-1.amazonaws.com");
  rt_awsj *c = rt_awsj_new(&cfg, RT_AWSJ_SERVICE_KINESIS, NULL, &err);
  rt_aws_creds *p = NULL;
  if (!c || rt_aws_creds_get(&cfg, cfg.kinesis_endpoint, &p, &err) != 0) {
    fprintf(stderr, "client: %s\n", err.msg);
    exit(1);
  }
  rt_awsj_req *r = rt_awsj_req_new(c);
  times all = {0}, during = {0};
  uint64_t gen0 = rt_aws_creds_generation(p);
  int64_t end = rt_mono_ns() + (int64_t)seconds * 1000000000;
  while (rt_mono_ns() < end) {
    int renewing = rt_aws_creds_renewing(p);
    int64_t t0 = rt_mono_ns();
    if (rt_awsj_req_prepare(r, "ListShards", "{\"StreamName\":\"s\"}", &err) != 0)
      exit(1);
    double ms = (double)(rt_mono_ns() - t0) / 1e6;
    times_add(&all, ms);
    if (renewing || rt_aws_creds_renewing(p))
      times_add(&during, ms);
  }
  rt_aws_creds_status st;
  rt_aws_creds_status_get(p, &st);
  printf("\nrenewals in %d s: %llu (failed %llu), generations seen by the client: %llu, "
         "last renewal took %.2f ms, credential copies that found the lock taken: %llu\n\n",
         seconds, (unsigned long long)st.refreshes, (unsigned long long)st.failures,
         (unsigned long long)(rt_aws_creds_generation(p) - gen0), st.last_renewal_ms,
         (unsigned long long)st.reader_waits);
  printf("| %-36s | %9s | %9s | %9s | %8s |\n", "rt_awsj_req_prepare (signing path)", "p50 us",
         "p99 us", "max us", "calls");
  printf("| --- | --- | --- | --- | --- |\n");
  times_print("all", &all);
  times_print("while a renewal was in flight", &during);
  rt_awsj_req_free(&r);
  rt_aws_creds_release(&p);
  rt_awsj_free(&c);
}

int main(int argc, char **argv) {
  int runs = 21, seconds = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--runs") == 0)
      runs = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0)
      seconds = atoi(argv[i + 1]);
  }
  snprintf(home, sizeof(home), "/tmp/eddy-creds-bench-XXXXXX");
  if (!mkdtemp(home))
    return 1;
  char dir[300];
  const char *dirs[] = {".aws", ".aws/sso", ".aws/sso/cache"};
  for (int i = 0; i < 3; i++) {
    snprintf(dir, sizeof(dir), "%s/%s", home, dirs[i]);
    mkdir(dir, 0700);
  }
  write_home("token", "web-identity-token\n");
  write_home(".aws/credentials", "[static]\naws_access_key_id = AKIDSTATIC\n"
                                 "aws_secret_access_key = s\n"
                                 "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = s\n");
  write_home(".aws/config",
             "[profile proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": "
             "\"AKP\", \"SecretAccessKey\": \"s\"}'\n"
             "[profile role]\nrole_arn = arn:aws:iam::1:role/Dev\nsource_profile = base\n"
             "[profile sso]\nsso_session = my-sso\nsso_account_id = 123456789012\n"
             "sso_role_name = EddyReader\n[sso-session my-sso]\n"
             "sso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n");
  write_home(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
             "{\"accessToken\": \"sso-bearer-token\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}");
  int srv_in;
  pid_t pid = server_start(&srv_in);
  printf("Credentials at query start (rt_aws_resolve + rt_aws_creds_get, no live provider), %d runs, ms:\n\n", runs);
  printf("| %-18s | %8s | %8s | %s |\n", "source", "median", "max", "source as %aws shows it");
  printf("| --- | --- | --- | --- |\n");
  measure("environment", s_env, runs);
  measure("credentials file", s_file, runs);
  measure("credential_process", s_process, runs);
  measure("web identity", s_web, runs);
  measure("assume-role", s_role, runs);
  measure("sso", s_sso, runs);
  measure("container", s_container, runs);
  measure("instance metadata", s_imds, runs);
  signing_during_renewal(seconds);
  close(srv_in);
  waitpid(pid, NULL, 0);
  snprintf(dir, sizeof(dir), "rm -rf %s", home);
  return system(dir) == 0 ? 0 : 1;
}
