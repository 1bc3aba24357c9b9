/*
 * AWS configuration resolution. The shared files are small INI files read
 * once per lookup with getline(); nothing is cached, so a notebook that edits
 * ~/.aws/credentials sees the change on its next query. Values are copied
 * with length checks: a truncated secret would fail later as a confusing
 * signature error, so an oversized value is an error here instead.
 */
#include "rt_aws.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies s into out[outsz]; RT_ETOOBIG (out untouched) when it does not fit. */
static int copy_str(char *out, size_t outsz, const char *s, const char *what, rt_err *err) {
  size_t n = strlen(s);
  if (n >= outsz)
    return rt_err_set(err, RT_ETOOBIG, "%s is too long (%zu bytes, at most %zu)", what, n,
                      outsz - 1);
  memcpy(out, s, n + 1);
  return 0;
}

/* getenv() that treats an empty variable as unset. */
static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* Trims ASCII whitespace at both ends, in place; returns the new start. */
static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

/* Does the header line "[ ... ]" (already trimmed, brackets removed) name
 * profile? In the config file, profiles other than default are "profile X". */
static int section_matches(char *name, const char *profile, int config_style) {
  name = trim(name);
  if (!config_style || strcmp(profile, "default") == 0) {
    if (strcmp(name, profile) == 0)
      return 1;
    if (!config_style)
      return 0;
  }
  if (strncmp(name, "profile", 7) != 0 || !isspace((unsigned char)name[7]))
    return 0;
  return strcmp(trim(name + 8), profile) == 0;
}

/*
 * Looks key up in section profile of the INI file at path. Returns 1 and
 * fills out when found, 0 when not (or no file), RT_ETOOBIG when too long.
 */
static int ini_get(const char *path, const char *profile, int config_style, const char *key,
                   char *out, size_t outsz, rt_err *err) {
  FILE *f = path ? fopen(path, "r") : NULL;
  if (!f)
    return 0;
  char *line = NULL;
  size_t cap = 0;
  int in_section = 0, rc = 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    int indented = isspace((unsigned char)line[0]);
    char *s = trim(line);
    if (*s == '\0' || *s == '#' || *s == ';')
      continue;
    if (*s == '[') {
      char *end = strchr(s, ']');
      if (end)
        *end = '\0';
      in_section = section_matches(s + 1, profile, config_style);
      continue;
    }
    char *eq = strchr(s, '=');
    if (!in_section || indented || !eq) /* indented = nested sub-section */
      continue;
    *eq = '\0';
    if (strcasecmp(trim(s), key) != 0)
      continue;
    rc = copy_str(out, outsz, trim(eq + 1), key, err) == 0 ? 1 : RT_ETOOBIG;
  }
  free(line);
  fclose(f);
  return rc;
}

/* The path of a shared file: $VAR, else $HOME/.aws/NAME; "" when neither. */
static void shared_path(const char *var, const char *name, char *out, size_t outsz) {
  const char *p = env(var);
  const char *home = env("HOME");
  out[0] = '\0';
  if (p)
    snprintf(out, outsz, "%s", p);
  else if (home)
    snprintf(out, outsz, "%s/.aws/%s", home, name);
}

/* The resolution context: the two file paths and the profile. */
typedef struct aws_files {
  char creds[1024];
  char config[1024];
  const char *profile;
} aws_files;

/* Reads key/secret/token from one file; 1 when key and secret were found. */
static int creds_from_file(rt_aws_config *out, const aws_files *f, int config_style,
                           rt_err *err) {
  const char *path = config_style ? f->config : f->creds;
  int rc = ini_get(path, f->profile, config_style, "aws_access_key_id", out->access_key,
                   sizeof(out->access_key), err);
  if (rc <= 0)
    return rc;
  rc = ini_get(path, f->profile, config_style, "aws_secret_access_key", out->secret_key,
               sizeof(out->secret_key), err);
  if (rc <= 0) {
    out->access_key[0] = '\0';
    return rc;
  }
  rc = ini_get(path, f->profile, config_style, "aws_session_token", out->session_token,
               sizeof(out->session_token), err);
  if (rc < 0)
    return rc;
  snprintf(out->cred_source, sizeof(out->cred_source), "%s",
           config_style ? "config file" : "credentials file");
  return 1;
}

/* Credentials from the environment; 1 when found. */
static int creds_from_env(rt_aws_config *out, rt_err *err) {
  const char *key = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
  const char *token = env("AWS_SESSION_TOKEN");
  if (!key || !secret)
    return 0;
  int rc = copy_str(out->access_key, sizeof(out->access_key), key, "AWS_ACCESS_KEY_ID", err);
  if (rc == 0)
    rc = copy_str(out->secret_key, sizeof(out->secret_key), secret, "AWS_SECRET_ACCESS_KEY",
                  err);
  if (rc == 0 && token)
    rc = copy_str(out->session_token, sizeof(out->session_token), token, "AWS_SESSION_TOKEN",
                  err);
  if (rc < 0)
    return rc;
  snprintf(out->cred_source, sizeof(out->cred_source), "environment");
  return 1;
}

static int resolve_creds(rt_aws_config *out, const aws_files *f, int session_profile,
                         rt_err *err) {
  int rc = session_profile ? 0 : creds_from_env(out, err);
  if (rc == 0)
    rc = creds_from_file(out, f, 0, err);
  if (rc == 0)
    rc = creds_from_file(out, f, 1, err);
  if (rc == 0)
    snprintf(out->cred_source, sizeof(out->cred_source), "none");
  return rc < 0 ? rc : 0;
}

static int resolve_region(rt_aws_config *out, const rt_aws_settings *s, const aws_files *f,
                          rt_err *err) {
  const char *v = s && s->region[0] ? s->region : env("AWS_REGION");
  if (!v)
    v = env("AWS_DEFAULT_REGION");
  if (v)
    return copy_str(out->region, sizeof(out->region), v, "region", err);
  int rc = ini_get(f->config, f->profile, 1, "region", out->region, sizeof(out->region), err);
  if (rc < 0)
    return rc;
  if (rc == 0 || !out->region[0])
    snprintf(out->region, sizeof(out->region), "us-east-1");
  return 0;
}

/* Checks the scheme and drops trailing slashes. */
static int check_url(char *url, const char *what, rt_err *err) {
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
  const char *ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  int use_cfg = !(ignore && strcasecmp(ignore, "true") == 0);
  const char *v = session && session[0] ? session : NULL;
  if (!v && use_cfg)
    v = env(envvar) ? env(envvar) : env("AWS_ENDPOINT_URL");
  int rc = 0;
  *set = v != NULL;
  if (v) {
    rc = copy_str(out, outsz, v, envvar, err);
  } else {
    rc = use_cfg ? ini_get(f->config, f->profile, 1, "endpoint_url", out, outsz, err) : 0;
    *set = rc == 1 && out[0];
    if (!*set)
      snprintf(out, outsz, "https://%s.%s.amazonaws.com", service, region);
    rc = rc < 0 ? rc : 0;
  }
  return rc < 0 ? rc : check_url(out, envvar, err);
}

int rt_aws_resolve(rt_aws_config *out, const rt_aws_settings *s, rt_err *err) {
  memset(out, 0, sizeof(*out));
  const char *profile = s && s->profile[0] ? s->profile : env("AWS_PROFILE");
  int rc = copy_str(out->profile, sizeof(out->profile), profile ? profile : "default",
                    "profile", err);
  if (rc < 0)
    return rc;
  aws_files f = {.profile = out->profile};
  shared_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", f.creds, sizeof(f.creds));
  shared_path("AWS_CONFIG_FILE", "config", f.config, sizeof(f.config));
  rc = resolve_creds(out, &f, s && s->profile[0], err);
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

int rt_aws_credentials(const rt_aws_config *cfg, const char *endpoint, const char **key,
                       const char **secret, rt_err *err) {
  if (cfg->access_key[0] && cfg->secret_key[0]) {
    *key = cfg->access_key;
    *secret = cfg->secret_key;
    return 0;
  }
  if (endpoint && rt_aws_is_loopback(endpoint)) {
    *key = *secret = "local";
    return 0;
  }
  return rt_err_set(err, RT_EAUTH,
                    "no AWS credentials for %s: set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or add profile \"%s\" to ~/.aws/credentials",
                    endpoint ? endpoint : "AWS", cfg->profile);
}
