/*
 * STS, the one source that answers in XML: AssumeRole (signed with the
 * source credentials) and AssumeRoleWithWebIdentity (unsigned; the token
 * file is the proof), both through the Query API (a form-encoded POST). The
 * answers are small and fixed in shape, so the values are found by their
 * element names rather than by a general XML parser; entities are decoded.
 */
#include "rt_aws_int.h"

#include "rt_mem.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Finds <tag>text</tag> in xml[0..len) and decodes the five XML entities
 * into out[outsz]. Returns 1 found, 0 not, RT_ETOOBIG too long. */
static int xml_text(const char *xml, size_t len, const char *tag, char *out, size_t outsz) {
  char open[64], close[64];
  snprintf(open, sizeof(open), "<%s>", tag);
  snprintf(close, sizeof(close), "</%s>", tag);
  const char *p = memmem(xml, len, open, strlen(open));
  if (!p)
    return 0;
  p += strlen(open);
  const char *end = memmem(p, len - (size_t)(p - xml), close, strlen(close));
  if (!end)
    return 0;
  static const struct {
    const char *ent;
    char c;
  } ENT[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  size_t n = 0;
  while (p < end) {
    char c = *p++;
    for (size_t i = 0; c == '&' && i < sizeof(ENT) / sizeof(ENT[0]); i++) {
      size_t el = strlen(ENT[i].ent);
      if ((size_t)(end - p + 1) >= el && memcmp(p - 1, ENT[i].ent, el) == 0) {
        c = ENT[i].c;
        p += el - 1;
        break;
      }
    }
    if (n + 1 >= outsz)
      return RT_ETOOBIG;
    out[n++] = c;
  }
  while (n && isspace((unsigned char)out[n - 1]))
    n--;
  out[n] = '\0';
  char *s = out;
  while (isspace((unsigned char)*s))
    s++;
  memmove(out, s, strlen(s) + 1);
  return 1;
}

/* The RT_E* code of an STS error. */
static int sts_error_code(const char *code, long status) {
  static const char *const AUTH[] = {"AccessDenied", "InvalidClientTokenId", "ExpiredToken",
                                     "ExpiredTokenException", "InvalidIdentityToken",
                                     "SignatureDoesNotMatch", "RegionDisabledException"};
  for (size_t i = 0; i < sizeof(AUTH) / sizeof(AUTH[0]); i++)
    if (strcmp(code, AUTH[i]) == 0)
      return RT_EAUTH;
  if (status >= 500 || strcmp(code, "IDPCommunicationError") == 0 ||
      strcmp(code, "Throttling") == 0)
    return RT_ESERVER;
  return status == 401 || status == 403 ? RT_EAUTH : RT_EINVAL;
}

int rt_aws_sts_parse(const char *xml, size_t len, long status, rt_aws_creds_value *out,
                     rt_err *err) {
  rt_aws_creds_value_wipe(out);
  char code[96] = "", msg[160] = "", expiry[64] = "";
  if (status != 200) {
    xml_text(xml, len, "Code", code, sizeof(code));
    xml_text(xml, len, "Message", msg, sizeof(msg));
    return rt_err_set(err, sts_error_code(code, status), "STS answered %ld %s: %s", status,
                      code[0] ? code : "(no error code)", msg[0] ? msg : "(no message)");
  }
  struct {
    const char *tag;
    char *out;
    size_t sz;
  } want[] = {{"AccessKeyId", out->access_key, sizeof(out->access_key)},
              {"SecretAccessKey", out->secret_key, sizeof(out->secret_key)},
              {"SessionToken", out->session_token, sizeof(out->session_token)},
              {"Expiration", expiry, sizeof(expiry)}};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    int rc = xml_text(xml, len, want[i].tag, want[i].out, want[i].sz);
    if (rc < 0)
      return rt_err_set(err, RT_ETOOBIG, "STS answer: %s is too long", want[i].tag);
    if (rc == 0 || !want[i].out[0])
      return rt_err_set(err, RT_EPROTO, "STS answer has no %s: not an AssumeRole answer",
                        want[i].tag);
  }
  return rt_aws__parse_expiry(expiry, "STS answer", &out->expires_ms, err);
}

/* STS's endpoint: env (STS, then global) > the profile's services section >
 * regional. */
int rt_aws__sts_endpoint(const rt_aws_chain_in *in, const char *profile, char *out,
                         size_t outsz, rt_err *err) {
  int use_cfg = !rt_aws__env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  const char *v = use_cfg ? rt_aws__env("AWS_ENDPOINT_URL_STS") : NULL;
  if (!v && use_cfg)
    v = rt_aws__env("AWS_ENDPOINT_URL");
  if (v)
    return rt_aws__copy(out, outsz, v, "AWS_ENDPOINT_URL_STS", err);
  char services[RT_AWS_NAME_MAX], section[RT_AWS_NAME_MAX + 16];
  int rc = use_cfg ? rt_aws__config_get(in->config_file, profile, "services", services,
                                        sizeof(services), err)
                   : 0;
  if (rc == 1) {
    snprintf(section, sizeof(section), "services %s", services);
    rc = rt_aws__ini_get(in->config_file, section, "sts", "endpoint_url", out, outsz, err);
  }
  if (rc < 0)
    return rc;
  if (rc == 0)
    snprintf(out, outsz, "https://sts.%s.amazonaws.com",
             in->region && in->region[0] ? in->region : "us-east-1");
  size_t n = strlen(out);
  while (n > 8 && out[n - 1] == '/')
    out[--n] = '\0';
  return 0;
}

/* The form body of the call (the web identity token read from its file). */
static int sts_body(const rt_aws_role *role, rt_buf *b, rt_err *err) {
  int web = role->web_token_file && role->web_token_file[0];
  rt_buf_printf(b, "Action=%s&Version=2011-06-15&RoleArn=",
                web ? "AssumeRoleWithWebIdentity" : "AssumeRole");
  rt_aws__urlencode(b, role->role_arn);
  rt_buf_puts(b, "&RoleSessionName=");
  rt_aws__urlencode(b, role->session_name && role->session_name[0] ? role->session_name
                                                                    : "eddy-session");
  if (role->external_id && role->external_id[0]) {
    rt_buf_puts(b, "&ExternalId=");
    rt_aws__urlencode(b, role->external_id);
  }
  if (role->duration && role->duration[0]) {
    rt_buf_puts(b, "&DurationSeconds=");
    rt_aws__urlencode(b, role->duration);
  }
  if (!web)
    return 0;
  rt_buf tok;
  rt_buf_init(&tok, 0);
  int rc = rt_aws__read_file(role->web_token_file, 64 * 1024, &tok, err);
  if (rc == 0 && tok.len == 0)
    rc = rt_err_set(err, RT_EAUTH, "web identity token file %s is empty",
                    role->web_token_file);
  if (rc == 0) {
    while (tok.len && isspace((unsigned char)tok.data[tok.len - 1]))
      tok.data[--tok.len] = '\0';
    rt_buf_puts(b, "&WebIdentityToken=");
    rt_aws__urlencode(b, tok.data);
  }
  if (tok.data)
    memset(tok.data, 0, tok.len);
  rt_buf_free(&tok);
  return rc;
}

int rt_aws__sts_assume(const rt_aws_chain_in *in, const rt_aws_role *role,
                       const rt_aws_creds_value *src, rt_aws_creds_value *out, rt_err *err) {
  char url[RT_AWS_URL_MAX], scope[RT_AWS_REGION_MAX + 16];
  int rc = rt_aws__sts_endpoint(in, role->profile, url, sizeof(url), err);
  if (rc != 0)
    return rc;
  snprintf(scope, sizeof(scope), "aws:amz:%s:sts",
           in->region && in->region[0] ? in->region : "us-east-1");
  rt_buf body, resp;
  rt_buf_init(&body, 0);
  rt_buf_init(&resp, 0);
  rc = sts_body(role, &body, err);
  static const char *const HEADERS[] = {
      "Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
  rt_aws_http_req rq = {.method = "POST", .url = url, .headers = HEADERS, .body = body.data,
                        .sign = src, .sigv4 = scope};
  long status = 0;
  if (rc == 0)
    rc = rt_aws__http(&rq, &resp, &status, err);
  if (rc == 0)
    rc = rt_aws_sts_parse(resp.data ? resp.data : "", resp.len, status, out, err);
  if (rc != 0)
    rt_aws__prefix(err, rc, "assume role %s", role->role_arn);
  if (body.data)
    memset(body.data, 0, body.len);
  if (resp.data)
    memset(resp.data, 0, resp.len);
  rt_buf_free(&body);
  rt_buf_free(&resp);
  return rc;
}
