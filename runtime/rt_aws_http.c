/*
 * Blocking HTTP for the credential sources (STS, the SSO portal, instance
 * metadata, container agents) and the small helpers they share. These calls
 * happen at query start and on the provider's refresher thread, never on a
 * query's signing path, so one easy handle per call is fine.
 */
#include "rt_aws_int.h"

#include "rt_mem.h"
#include "rt_time.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum { HTTP_MAX_BODY = 1 << 20 };

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  size_t n = size * nmemb;
  return rt_buf_append(ud, data, n) == 0 ? n : 0;
}

/* The easy handle's options for rq; returns the header list to free. */
static struct curl_slist *setup(CURL *e, const rt_aws_http_req *rq, rt_buf *resp, char *msg) {
  struct curl_slist *h = NULL;
  for (size_t i = 0; rq->headers && rq->headers[i]; i++)
    h = curl_slist_append(h, rq->headers[i]);
  if (rq->sign && rq->sign->session_token[0]) {
    rt_buf t;
    rt_buf_init(&t, 0);
    rt_buf_printf(&t, "X-Amz-Security-Token: %s", rq->sign->session_token);
    h = curl_slist_append(h, t.data);
    rt_buf_free(&t);
  }
  curl_easy_setopt(e, CURLOPT_URL, rq->url);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq->method);
  if (strcmp(rq->method, "GET") != 0) {
    const char *body = rq->body ? rq->body : "";
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  if (rq->sign) {
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, rq->sigv4);
    curl_easy_setopt(e, CURLOPT_USERNAME, rq->sign->access_key);
    curl_easy_setopt(e, CURLOPT_PASSWORD, rq->sign->secret_key);
  }
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_ms > 0 ? rq->connect_ms : 3000L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : 10000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, msg);
  return h;
}

int rt_aws__http(const rt_aws_http_req *rq, rt_buf *resp, long *status, rt_err *err) {
  *status = 0;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return rt_err_set(err, RT_EIO, "libcurl could not be initialized");
  CURL *e = curl_easy_init();
  if (!e) {
    curl_global_cleanup();
    return rt_err_set(err, RT_EIO, "libcurl could not make a handle");
  }
  char msg[CURL_ERROR_SIZE] = "";
  if (resp->max == 0 || resp->max > HTTP_MAX_BODY)
    resp->max = HTTP_MAX_BODY;
  struct curl_slist *h = setup(e, rq, resp, msg);
  CURLcode cc = curl_easy_perform(e);
  int rc = 0;
  if (cc == CURLE_OK)
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
  else if (cc == CURLE_WRITE_ERROR)
    rc = rt_err_set(err, RT_ETOOBIG, "%s %s: answer over %d bytes", rq->method, rq->url,
                    HTTP_MAX_BODY);
  else
    rc = rt_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ? RT_ETIMEDOUT : RT_ENET,
                    "%s %s: %s", rq->method, rq->url, msg[0] ? msg : curl_easy_strerror(cc));
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  curl_global_cleanup();
  return rc;
}

void rt_aws__urlencode(rt_buf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '_' || c == '.' || c == '~') {
      rt_buf_append(out, s, 1);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      rt_buf_append(out, e, 3);
    }
  }
}

int rt_aws__read_file(const char *path, size_t max, rt_buf *out, rt_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return rt_err_set(err, errno == ENOENT ? RT_ENOTFOUND : RT_EIO, "cannot read %s: %s", path,
                      strerror(errno));
  char chunk[4096];
  size_t n;
  int rc = 0;
  while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    if (out->len + n > max || rt_buf_append(out, chunk, n) != 0)
      rc = rt_err_set(err, RT_ETOOBIG, "%s is over %zu bytes", path, max);
  if (rc == 0 && ferror(f))
    rc = rt_err_set(err, RT_EIO, "cannot read %s", path);
  fclose(f);
  return rc;
}

int rt_aws__json_str(json_t *o, const char *key, const char *what, char *out, size_t outsz,
                     rt_err *err) {
  const char *v = json_string_value(json_object_get(o, key));
  if (!v || !v[0])
    return rt_err_set(err, RT_EPROTO, "%s: no \"%s\" in the answer", what, key);
  if (strlen(v) >= outsz)
    return rt_err_set(err, RT_ETOOBIG, "%s: \"%s\" is too long", what, key);
  memcpy(out, v, strlen(v) + 1);
  return 0;
}

int rt_aws__parse_expiry(const char *s, const char *what, int64_t *ms, rt_err *err) {
  if (rt_time_parse(s, strlen(s), ms) != 0)
    return rt_err_set(err, RT_EPROTO, "%s: expiration \"%.40s\" is not an ISO-8601 time", what,
                      s);
  return 0;
}

void rt_aws_creds_value_wipe(rt_aws_creds_value *v) {
  if (!v)
    return;
  volatile unsigned char *p = (volatile unsigned char *)v;
  for (size_t i = 0; i < sizeof(*v); i++)
    p[i] = 0;
}

int rt_aws__prefix(rt_err *err, int code, const char *fmt, ...) {
  if (!err)
    return code;
  char prefix[256], msg[sizeof(err->msg)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof(prefix), fmt, ap);
  va_end(ap);
  snprintf(msg, sizeof(msg), "%s", err->msg);
  return rt_err_set(err, code, "%s: %s", prefix, msg);
}
