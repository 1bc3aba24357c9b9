/*
 * IAM Identity Center (SSO): Eddy never logs in itself. It reads the token
 * `aws sso login` caches in ~/.aws/sso/cache (file name: SHA-1 of the
 * sso-session name, or of the start URL for legacy profiles) and trades it
 * at the portal's GetRoleCredentials for the profile's account and role.
 * A missing, expired or rejected token ends in the one useful advice: run
 * `aws sso login --profile X`.
 */
#include "rt_aws_int.h"

#include "rt_mem.h"
#include "rt_time.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

void rt_aws_sso_cache_name(const char *key, char out[48]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(key, strlen(key), md, &n, EVP_sha1(), NULL);
  static const char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < n && i < 20; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  snprintf(out + 40, 8, ".json");
}

int rt_aws_sso_parse_cache(const char *text, size_t len, char *token, size_t tokensz,
                           int64_t *expires_ms, rt_err *err) {
  json_error_t je;
  json_t *o = json_loadb(text, len, 0, &je);
  if (!json_is_object(o)) {
    json_decref(o);
    return rt_err_set(err, RT_EPROTO, "SSO token cache: not a JSON object (line %d, column %d)",
                      je.line, je.column);
  }
  char expiry[64];
  int rc = rt_aws__json_str(o, "accessToken", "SSO token cache", token, tokensz, err);
  if (rc == 0)
    rc = rt_aws__json_str(o, "expiresAt", "SSO token cache", expiry, sizeof(expiry), err);
  if (rc == 0) { /* older CLIs wrote "2019-11-14T04:05:45UTC" */
    char *utc = strstr(expiry, "UTC");
    if (utc)
      snprintf(utc, sizeof(expiry) - (size_t)(utc - expiry), "Z");
    rc = rt_aws__parse_expiry(expiry, "SSO token cache", expires_ms, err);
  }
  json_decref(o);
  return rc;
}

int rt_aws_sso_parse_role(const char *text, size_t len, rt_aws_creds_value *out, rt_err *err) {
  rt_aws_creds_value_wipe(out);
  json_error_t je;
  json_t *o = json_loadb(text, len, 0, &je);
  json_t *rc_ = json_object_get(o, "roleCredentials");
  int rc = 0;
  if (!json_is_object(rc_))
    rc = rt_err_set(err, RT_EPROTO,
                    "SSO GetRoleCredentials: no roleCredentials object in the answer");
  const char *w = "SSO GetRoleCredentials";
  if (rc == 0)
    rc = rt_aws__json_str(rc_, "accessKeyId", w, out->access_key, sizeof(out->access_key), err);
  if (rc == 0)
    rc = rt_aws__json_str(rc_, "secretAccessKey", w, out->secret_key, sizeof(out->secret_key),
                          err);
  if (rc == 0)
    rc = rt_aws__json_str(rc_, "sessionToken", w, out->session_token,
                          sizeof(out->session_token), err);
  json_t *exp = rc == 0 ? json_object_get(rc_, "expiration") : NULL;
  if (rc == 0 && !json_is_integer(exp))
    rc = rt_err_set(err, RT_EPROTO, "%s: no expiration (epoch milliseconds) in the answer", w);
  if (rc == 0)
    out->expires_ms = (int64_t)json_integer_value(exp);
  json_decref(o);
  return rc;
}

/* The profile's SSO settings. */
typedef struct sso_conf {
  char session[RT_AWS_NAME_MAX];   /* sso_session, "" for legacy */
  char start_url[RT_AWS_URL_MAX];  /* sso_start_url */
  char region[RT_AWS_REGION_MAX];  /* sso_region */
  char account[64];                /* sso_account_id */
  char role[RT_AWS_NAME_MAX];      /* sso_role_name */
} sso_conf;

/* One setting: from the sso-session section when named there, else the profile. */
static int sso_get(const rt_aws_chain_in *in, const char *profile, const sso_conf *c,
                   const char *key, char *out, size_t outsz, rt_err *err) {
  int rc = 0;
  if (c->session[0]) {
    char section[RT_AWS_NAME_MAX + 16];
    snprintf(section, sizeof(section), "sso-session %s", c->session);
    rc = rt_aws__ini_get(in->config_file, section, NULL, key, out, outsz, err);
  }
  return rc != 0 ? rc : rt_aws__config_get(in->config_file, profile, key, out, outsz, err);
}

static int sso_conf_read(const rt_aws_chain_in *in, const char *profile, sso_conf *c,
                         rt_err *err) {
  memset(c, 0, sizeof(*c));
  int rc = rt_aws__config_get(in->config_file, profile, "sso_session", c->session,
                              sizeof(c->session), err);
  if (rc >= 0)
    rc = sso_get(in, profile, c, "sso_start_url", c->start_url, sizeof(c->start_url), err);
  if (rc >= 0)
    rc = sso_get(in, profile, c, "sso_region", c->region, sizeof(c->region), err);
  if (rc >= 0)
    rc = rt_aws__config_get(in->config_file, profile, "sso_account_id", c->account,
                            sizeof(c->account), err);
  if (rc >= 0)
    rc = rt_aws__config_get(in->config_file, profile, "sso_role_name", c->role,
                            sizeof(c->role), err);
  if (rc < 0)
    return rc;
  const char *missing = !c->region[0] ? "sso_region" : !c->account[0] ? "sso_account_id"
                        : !c->role[0] ? "sso_role_name" : NULL;
  if (missing)
    return rt_err_set(err, RT_EINVAL, "profile %s uses IAM Identity Center but sets no %s",
                      profile, missing);
  return 0;
}

/* The cached token for c into tok; RT_EAUTH with the login advice when
 * missing or expired. */
static int sso_token(const char *profile, const sso_conf *c, char *tok, size_t toksz,
                     rt_err *err) {
  const char *home = rt_aws__env("HOME");
  char name[48], path[1024];
  rt_aws_sso_cache_name(c->session[0] ? c->session : c->start_url, name);
  snprintf(path, sizeof(path), "%s/.aws/sso/cache/%s", home ? home : "", name);
  rt_buf b;
  rt_buf_init(&b, 0);
  int64_t expires = 0;
  int rc = rt_aws__read_file(path, 1 << 20, &b, err);
  if (rc == RT_ENOTFOUND)
    rc = rt_err_set(err, RT_EAUTH, "profile %s: no IAM Identity Center token cached (%s): run "
                    "`aws sso login --profile %s`", profile, path, profile);
  else if (rc == 0)
    rc = rt_aws_sso_parse_cache(b.data ? b.data : "", b.len, tok, toksz, &expires, err);
  if (rc == 0 && expires <= rt_wall_ms()) {
    char when[RT_TIME_ISO_MS_LEN];
    rc = rt_err_set(err, RT_EAUTH, "profile %s: the IAM Identity Center token expired at %s: "
                    "run `aws sso login --profile %s`", profile,
                    rt_time_format_ms(expires, when), profile);
  }
  if (b.data)
    memset(b.data, 0, b.len);
  rt_buf_free(&b);
  return rc;
}

int rt_aws__sso(const rt_aws_chain_in *in, const char *profile, rt_aws_creds_value *out,
                rt_err *err) {
  sso_conf c;
  char tok[8192], hdr[8300];
  int rc = sso_conf_read(in, profile, &c, err);
  if (rc == 0)
    rc = sso_token(profile, &c, tok, sizeof(tok), err);
  if (rc != 0)
    return rc;
  rt_buf url, resp;
  rt_buf_init(&url, 0);
  rt_buf_init(&resp, 0);
  const char *ep = rt_aws__env("AWS_ENDPOINT_URL_SSO");
  if (ep)
    rt_buf_puts(&url, ep);
  else
    rt_buf_printf(&url, "https://portal.sso.%s.amazonaws.com", c.region);
  while (url.len > 8 && url.data[url.len - 1] == '/')
    url.data[--url.len] = '\0';
  rt_buf_puts(&url, "/federation/credentials?account_id=");
  rt_aws__urlencode(&url, c.account);
  rt_buf_puts(&url, "&role_name=");
  rt_aws__urlencode(&url, c.role);
  snprintf(hdr, sizeof(hdr), "x-amz-sso_bearer_token: %s", tok);
  const char *headers[] = {hdr, NULL};
  rt_aws_http_req rq = {.method = "GET", .url = url.data, .headers = headers};
  long status = 0;
  rc = rt_aws__http(&rq, &resp, &status, err);
  if (rc == 0 && status == 401) /* UnauthorizedException: the token */
    rc = rt_err_set(err, RT_EAUTH, "profile %s: the IAM Identity Center portal refused the "
                    "cached token: run `aws sso login --profile %s`", profile, profile);
  else if (rc == 0 && status == 403) /* ForbiddenException: the assignment */
    rc = rt_err_set(err, RT_EAUTH, "profile %s: IAM Identity Center gives no access to "
                    "account %s role %s", profile, c.account, c.role);
  else if (rc == 0 && status != 200)
    rc = rt_err_set(err, status >= 500 ? RT_ESERVER : RT_EINVAL,
                    "profile %s: GetRoleCredentials for account %s role %s answered %ld",
                    profile, c.account, c.role, status);
  if (rc == 0)
    rc = rt_aws_sso_parse_role(resp.data ? resp.data : "", resp.len, out, err);
  if (rc == 0)
    snprintf(out->source, sizeof(out->source), "sso account %s role %s via profile %s",
             c.account, c.role, profile);
  memset(tok, 0, sizeof(tok));
  memset(hdr, 0, sizeof(hdr));
  if (resp.data)
    memset(resp.data, 0, resp.len);
  rt_buf_free(&resp);
  rt_buf_free(&url);
  return rc;
}
