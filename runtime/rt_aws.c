/*
 * AWS configuration resolution. The shared files are small INI files read
 * once per lookup with getline(); nothing is cached, so a notebook that edits
 * ~/.aws/credentials sees the change on its next query. Values are copied
 * with length checks: a truncated secret would fail later as a confusing
 * signature error, so an oversized value is an error here instead.
 */
#include "rt_aws.h"

#include "rt_aws_creds.h"
#include "rt_aws_int.h"
#include "rt_mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The static part of the chain: keys from the environment or the files when
 * the chain ends there; otherwise only the step's name in cred_source. */
/* The resolution context: the two file paths and the profile. */
typedef struct aws_files {
  const char *config;
  const char *profile;
} aws_files;

static int resolve_creds(rt_aws_config *out, rt_err *err) {
  rt_aws_chain_in in = {.profile = out->profile, .profile_explicit = out->profile_explicit,
                        .config_file = out->config_file, .creds_file = out->creds_file};
  rt_aws_step step;
  int rc = rt_aws_chain_pick(&in, &step, err);
  if (rc != 0)
    return rc;
  snprintf(out->cred_source, sizeof(out->cred_source), "%s", rt_aws_step_name(step));
  if (step != RT_AWS_STEP_ENV && step != RT_AWS_STEP_CREDS_FILE &&
      step != RT_AWS_STEP_CONFIG_FILE)
    return 0;
  rt_aws_creds_value *v = rt_xcalloc(1, sizeof(*v));
  rc = rt_aws_chain_resolve(&in, v, err);
  if (rc == 0) {
    memcpy(out->access_key, v->access_key, sizeof(out->access_key));
    memcpy(out->secret_key, v->secret_key, sizeof(out->secret_key));
    memcpy(out->session_token, v->session_token, sizeof(out->session_token));
  }
  rt_aws_creds_value_wipe(v);
  rt_free(v);
  return rc;
}

static int resolve_region(rt_aws_config *out, const rt_aws_settings *s, const aws_files *f,
                          rt_err *err) {
  const char *v = s && s->region[0] ? s->region : rt_aws__env("AWS_REGION");
  if (!v)
    v = rt_aws__env("AWS_DEFAULT_REGION");
  if (v)
    return rt_aws__copy(out->region, sizeof(out->region), v, "region", err);
  int rc = rt_aws__config_get(f->config, f->profile, "region", out->region, sizeof(out->region),
                              err);
  if (rc < 0)
    return rc;
  if (rc == 0 || !out->region[0])
    snprintf(out->region, sizeof(out->region), "us-east-1");
  return 0;
}

/* Checks the scheme and drops trailing slashes. A user name or password in
 * the URL is refused, and not repeated: AWS endpoints take none, and the
 * endpoint is shown by %aws, `eddy run --verbose` and every network error. */
static int check_url(char *url, const char *what, rt_err *err) {
  const char *host = strstr(url, "://");
  size_t hostlen = host ? strcspn(host + 3, "/?#") : 0;
  if (host && memchr(host + 3, '@', hostlen))
    return rt_err_set(err, RT_EINVAL, "%s must not carry a user name or password (\"user:pass@\"): "
                      "AWS endpoints take none, and the URL is shown in messages", what);
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
    return rt_err_set(err, RT_EINVAL, "%s \"%s\" must start with http:// or https://", what,
                      url);
  size_t n = strlen(url);
  while (n > 8 && url[n - 1] == '/')
    url[--n] = '\0';
  return 0;
}

/* One service's endpoint: session > env (service, then global) > file > default. */
static int resolve_endpoint(char *out, size_t outsz, const char *session, const char *envvar,
                            const char *service, const aws_files *f, const char *region,
                            int *set, rt_err *err) {
  int use_cfg = !rt_aws__env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  const char *v = session && session[0] ? session : NULL;
  if (!v && use_cfg)
    v = rt_aws__env(envvar) ? rt_aws__env(envvar) : rt_aws__env("AWS_ENDPOINT_URL");
  int rc = 0;
  *set = v != NULL;
  if (v) {
    rc = rt_aws__copy(out, outsz, v, envvar, err);
  } else {
    rc = use_cfg ? rt_aws__config_get(f->config, f->profile, "endpoint_url", out, outsz, err) : 0;
    *set = rc == 1 && out[0];
    if (!*set)
      snprintf(out, outsz, "https://%s.%s.amazonaws.com", service, region);
    rc = rc < 0 ? rc : 0;
  }
  return rc < 0 ? rc : check_url(out, envvar, err);
}

int rt_aws_resolve(rt_aws_config *out, const rt_aws_settings *s, rt_err *err) {
  memset(out, 0, sizeof(*out));
  const char *profile = s && s->profile[0] ? s->profile : rt_aws__env("AWS_PROFILE");
  int rc = rt_aws__copy(out->profile, sizeof(out->profile), profile ? profile : "default",
                    "profile", err);
  if (rc < 0)
    return rc;
  out->profile_explicit = s && s->profile[0];
  rt_aws__shared_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", out->creds_file,
                      sizeof(out->creds_file));
  rt_aws__shared_path("AWS_CONFIG_FILE", "config", out->config_file, sizeof(out->config_file));
  aws_files f = {.config = out->config_file, .profile = out->profile};
  rc = resolve_creds(out, err);
  if (rc == 0)
    rc = resolve_region(out, s, &f, err);
  int kset = 0;
  if (rc == 0)
    rc = resolve_endpoint(out->kinesis_endpoint, sizeof(out->kinesis_endpoint),
                          s ? s->endpoint : NULL, "AWS_ENDPOINT_URL_KINESIS", "kinesis", &f,
                          out->region, &kset, err);
  if (rc == 0)
    rc = resolve_endpoint(out->dynamodb_endpoint, sizeof(out->dynamodb_endpoint),
                          s ? s->dynamodb_endpoint : NULL, "AWS_ENDPOINT_URL_DYNAMODB",
                          "dynamodb", &f, out->region, &out->dynamodb_endpoint_set, err);
  return rc;
}

int rt_aws_is_loopback(const char *url) {
  const char *h = strstr(url, "://");
  if (!h)
    return 0;
  h += 3;
  static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    size_t n = strlen(names[i]);
    if (strncasecmp(h, names[i], n) == 0 && (h[n] == '\0' || h[n] == ':' || h[n] == '/'))
      return 1;
  }
  return 0;
}
