/*
 * Credentials from the machine: the EC2 instance metadata service (IMDSv2:
 * a session token from PUT /latest/api/token, then the role's name and its
 * credentials) and the container agent of ECS or EKS Pod Identity (one GET
 * with an authorization token). Both answer the same JSON. The metadata
 * service is bounded hard (1 s to connect), since off EC2 nothing answers
 * at its link-local address.
 */
#include "rt_aws_int.h"

#include "rt_mem.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum { IMDS_CONNECT_MS = 1000, IMDS_TIMEOUT_MS = 2000 };

int rt_aws_meta_parse(const char *text, size_t len, const char *what, rt_aws_creds_value *out,
                      rt_err *err) {
  rt_aws_creds_value_wipe(out);
  json_error_t je;
  json_t *o = json_loadb(text, len, 0, &je);
  if (!json_is_object(o)) { /* never quote the text: it may hold a secret */
    json_decref(o);
    return rt_err_set(err, RT_EPROTO, "%s: the answer is not a JSON object (line %d, column %d)",
                      what, je.line, je.column);
  }
  const char *code = json_string_value(json_object_get(o, "Code"));
  int rc = 0;
  if (code && strcmp(code, "Success") != 0)
    rc = rt_err_set(err, RT_EAUTH, "%s: Code \"%.40s\": %.120s", what, code,
                    json_string_value(json_object_get(o, "Message"))
                        ? json_string_value(json_object_get(o, "Message"))
                        : "no message");
  char expiry[64] = "";
  if (rc == 0)
    rc = rt_aws__json_str(o, "AccessKeyId", what, out->access_key, sizeof(out->access_key), err);
  if (rc == 0)
    rc = rt_aws__json_str(o, "SecretAccessKey", what, out->secret_key, sizeof(out->secret_key),
                          err);
  if (rc == 0 && json_object_get(o, "Token"))
    rc = rt_aws__json_str(o, "Token", what, out->session_token, sizeof(out->session_token), err);
  if (rc == 0 && json_object_get(o, "Expiration"))
    rc = rt_aws__json_str(o, "Expiration", what, expiry, sizeof(expiry), err);
  if (rc == 0 && expiry[0])
    rc = rt_aws__parse_expiry(expiry, what, &out->expires_ms, err);
  json_decref(o);
  return rc;
}

/* One metadata request; answer in resp (caller frees). */
static int imds_call(const char *method, const char *url, const char *token, rt_buf *resp,
                     long *status, rt_err *err) {
  char auth[512];
  const char *headers[2] = {NULL, NULL};
  if (token) {
    snprintf(auth, sizeof(auth), "X-aws-ec2-metadata-token: %s", token);
    headers[0] = auth;
  } else {
    headers[0] = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
  }
  rt_aws_http_req rq = {.method = method, .url = url, .headers = headers,
                        .connect_ms = IMDS_CONNECT_MS, .timeout_ms = IMDS_TIMEOUT_MS};
  return rt_aws__http(&rq, resp, status, err);
}

/* The IMDSv2 session token into tok[toksz]. */
static int imds_token(const char *base, char *tok, size_t toksz, rt_err *err) {
  char url[RT_AWS_URL_MAX + 64];
  snprintf(url, sizeof(url), "%s/latest/api/token", base);
  rt_buf resp;
  rt_buf_init(&resp, 0);
  long status;
  int rc = imds_call("PUT", url, NULL, &resp, &status, err);
  if (rc == 0 && (status != 200 || resp.len == 0 || resp.len >= toksz))
    rc = rt_err_set(err, RT_EAUTH, "PUT %s answered %ld without a token", url, status);
  if (rc == 0)
    snprintf(tok, toksz, "%s", resp.data);
  rt_buf_free(&resp);
  return rc;
}

/* The first role name listed, into role[rolesz]. */
static int imds_role(const char *base, const char *tok, char *role, size_t rolesz,
                     rt_err *err) {
  char url[RT_AWS_URL_MAX + 64];
  snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/", base);
  rt_buf resp;
  rt_buf_init(&resp, 0);
  long status;
  int rc = imds_call("GET", url, tok, &resp, &status, err);
  size_t n = 0;
  if (rc == 0 && status == 200)
    while (n < resp.len && !isspace((unsigned char)resp.data[n]))
      n++;
  if (rc == 0 && (status != 200 || n == 0 || n >= rolesz))
    rc = rt_err_set(err, RT_ENOTFOUND, "GET %s answered %ld: no instance role attached", url,
                    status);
  if (rc == 0)
    snprintf(role, rolesz, "%.*s", (int)n, resp.data);
  rt_buf_free(&resp);
  return rc;
}

int rt_aws__imds(rt_aws_creds_value *out, rt_err *err) {
  const char *ep = rt_aws__env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  char base[RT_AWS_URL_MAX], tok[256], role[RT_AWS_NAME_MAX];
  snprintf(base, sizeof(base), "%s", ep ? ep : "http://169.254.169.254");
  size_t n = strlen(base);
  while (n > 8 && base[n - 1] == '/')
    base[--n] = '\0';
  int rc = imds_token(base, tok, sizeof(tok), err);
  if (rc == 0)
    rc = imds_role(base, tok, role, sizeof(role), err);
  if (rc == 0) {
    char url[RT_AWS_URL_MAX + 200];
    snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/%s", base, role);
    rt_buf resp;
    rt_buf_init(&resp, 0);
    long status;
    rc = imds_call("GET", url, tok, &resp, &status, err);
    if (rc == 0 && status != 200)
      rc = rt_err_set(err, RT_EAUTH, "GET %s answered %ld", url, status);
    if (rc == 0)
      rc = rt_aws_meta_parse(resp.data, resp.len, "instance metadata", out, err);
    if (resp.data)
      memset(resp.data, 0, resp.len);
    rt_buf_free(&resp);
  }
  if (rc == 0)
    snprintf(out->source, sizeof(out->source), "instance metadata (role %.120s)", role);
  memset(tok, 0, sizeof(tok));
  return rc;
}

/* Is an http:// full URI one the SDKs allow (loopback or the ECS/EKS agents)? */
static int container_host_ok(const char *url) {
  if (strncmp(url, "https://", 8) == 0 || rt_aws_is_loopback(url))
    return 1;
  static const char *const AGENTS[] = {"http://169.254.170.2", "http://169.254.170.23",
                                       "http://[fd00:ec2::23]"};
  for (size_t i = 0; i < sizeof(AGENTS) / sizeof(AGENTS[0]); i++) {
    size_t n = strlen(AGENTS[i]);
    if (strncmp(url, AGENTS[i], n) == 0 && (url[n] == '/' || url[n] == ':' || !url[n]))
      return 1;
  }
  return 0;
}

/* The authorization header line, from the token file or the variable ("" none). */
static int container_auth(char *out, size_t outsz, rt_err *err) {
  const char *file = rt_aws__env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const char *tok = rt_aws__env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  out[0] = '\0';
  if (!file) {
    if (tok && strlen(tok) + 16 >= outsz)
      return rt_err_set(err, RT_ETOOBIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN is too long");
    if (tok)
      snprintf(out, outsz, "Authorization: %s", tok);
    return 0;
  }
  rt_buf b;
  rt_buf_init(&b, 0);
  int rc = rt_aws__read_file(file, outsz - 16, &b, err);
  while (rc == 0 && b.len && isspace((unsigned char)b.data[b.len - 1]))
    b.data[--b.len] = '\0';
  if (rc == 0)
    snprintf(out, outsz, "Authorization: %s", b.data ? b.data : "");
  if (b.data)
    memset(b.data, 0, b.len);
  rt_buf_free(&b);
  return rc;
}

int rt_aws__container(rt_aws_creds_value *out, rt_err *err) {
  const char *rel = rt_aws__env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = rt_aws__env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  char url[RT_AWS_URL_MAX + 256], auth[4096];
  if (rel)
    snprintf(url, sizeof(url), "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
  else
    snprintf(url, sizeof(url), "%s", full ? full : "");
  if (!rel && !container_host_ok(url))
    return rt_err_set(err, RT_EINVAL,
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI %s: http:// is allowed only to "
                      "loopback or the ECS/EKS agent addresses; use https://", url);
  int rc = container_auth(auth, sizeof(auth), err);
  const char *headers[2] = {auth[0] ? auth : NULL, NULL};
  rt_aws_http_req rq = {.method = "GET", .url = url, .headers = headers, .connect_ms = 2000,
                        .timeout_ms = 5000};
  rt_buf resp;
  rt_buf_init(&resp, 0);
  long status = 0;
  if (rc == 0)
    rc = rt_aws__http(&rq, &resp, &status, err);
  if (rc == 0 && status != 200)
    rc = rt_err_set(err, status == 401 || status == 403 ? RT_EAUTH : RT_ESERVER,
                    "container credentials: GET %s answered %ld", url, status);
  if (rc == 0)
    rc = rt_aws_meta_parse(resp.data, resp.len, "container credentials", out, err);
  if (rc == 0)
    snprintf(out->source, sizeof(out->source), "container (%.200s)", url);
  memset(auth, 0, sizeof(auth));
  if (resp.data)
    memset(resp.data, 0, resp.len);
  rt_buf_free(&resp);
  return rc;
}
