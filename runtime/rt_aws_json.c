/*
 * The AWS JSON transport: one easy handle per request, signed by libcurl's
 * SigV4 (which signs every header we add, so the target and the session
 * token are set before the transfer), the response body collected into a
 * capped rt_buf, and the outcome classified into RT_E* codes and retry
 * classes. What differs between Kinesis and DynamoDB is one row of SERVICES.
 * The easy handle is kept across prepares, so a request reused for
 * sequential calls keeps its connection alive; in a multi handle the multi's
 * pool does the same.
 */
#include "rt_aws_json.h"
#include "rt_aws_json_int.h"

#include "rt_aws_creds.h"
#include "rt_buf.h"
#include "rt_hash.h"
#include "rt_mem.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* What a client of each rt_awsj_service sends. */
static const struct {
  const char *label;        /* for messages: "Kinesis GetRecords: ..." */
  const char *sigv4;        /* service name in the SigV4 scope */
  const char *target;       /* X-Amz-Target prefix */
  const char *content_type; /* JSON 1.1 (Kinesis) or 1.0 (DynamoDB) */
} SERVICES[] = {
    [RT_AWSJ_SERVICE_KINESIS] = {"Kinesis", "kinesis", "Kinesis_20131202",
                                 "Content-Type: application/x-amz-json-1.1"},
    [RT_AWSJ_SERVICE_DYNAMODB] = {"DynamoDB", "dynamodb", "DynamoDB_20120810",
                                  "Content-Type: application/x-amz-json-1.0"},
};

struct rt_awsj {
  char url[RT_AWS_URL_MAX + 2];       /* endpoint + "/" */
  char sigv4[RT_AWS_REGION_MAX + 32]; /* "aws:amz:REGION:kinesis" */
  const char *label;                  /* "Kinesis" or "DynamoDB", for messages */
  const char *target;                 /* X-Amz-Target prefix */
  const char *content_type;           /* JSON 1.1 (Kinesis) or 1.0 (DynamoDB) */
  rt_aws_creds *creds;                /* the shared provider (a reference) */
  rt_awsj_opts opts;                  /* with defaults filled in */
  rt_awsj_req *sync;                  /* request used by the blocking calls */
};

struct rt_awsj_req {
  rt_awsj *c;                     /* the client (outlives the request) */
  CURL *easy;                     /* reused across prepares (keep-alive) */
  struct curl_slist *headers;     /* content type, target, token */
  char *body;                     /* request body; must outlive the transfer */
  rt_buf resp;                    /* response body, capped at opts.max_body */
  int too_big;                    /* the body hit the cap */
  char action[48];                /* e.g. "GetRecords", for messages */
  long status;                    /* HTTP status of the last response */
  rt_awsj_class klass;            /* class of the last outcome */
  char err_type[96];              /* AWS error type of the last failure */
  double elapsed_ms;              /* duration of the last transfer */
  char curl_msg[CURL_ERROR_SIZE]; /* libcurl's detail for transport errors */
  uint64_t creds_gen;             /* the provider's generation copied below */
  char *key, *secret;             /* signing credentials, copied when they change */
  char *token_header;             /* "X-Amz-Security-Token: ..." or NULL */
};

/* Frees a request's copy of the credentials (wiping the secrets). */
static void creds_drop(rt_awsj_req *r) {
  rt_free(r->key);
  if (r->secret) {
    OPENSSL_cleanse(r->secret, strlen(r->secret));
    rt_free(r->secret);
  }
  if (r->token_header) {
    OPENSSL_cleanse(r->token_header, strlen(r->token_header));
    rt_free(r->token_header);
  }
  r->key = r->secret = r->token_header = NULL;
}

/* Copies the provider's credentials into the request when they changed
 * since its last copy: the per-request read that lets a renewal reach
 * running queries. Per request, not per client, since a client's requests
 * may live on different threads. Never waits for a renewal
 * (rt_aws_creds_current holds its lock only to copy). */
static void creds_sync(rt_awsj_req *r) {
  if (r->key && rt_aws_creds_generation(r->c->creds) == r->creds_gen)
    return;
  rt_aws_creds_value *v = rt_xmalloc(sizeof(*v));
  r->creds_gen = rt_aws_creds_current(r->c->creds, v);
  creds_drop(r);
  r->key = rt_xstrdup(v->access_key);
  r->secret = rt_xstrdup(v->secret_key);
  if (v->session_token[0]) {
    rt_buf b;
    rt_buf_init(&b, 0);
    rt_buf_printf(&b, "X-Amz-Security-Token: %s", v->session_token);
    r->token_header = rt_buf_take(&b, NULL);
  }
  rt_aws_creds_value_wipe(v);
  rt_free(v);
}

rt_awsj *rt_awsj_new(const rt_aws_config *cfg, rt_awsj_service service, const rt_awsj_opts *opts,
                     rt_err *err) {
  int ddb = service == RT_AWSJ_SERVICE_DYNAMODB;
  const char *endpoint = ddb ? cfg->dynamodb_endpoint : cfg->kinesis_endpoint;
  rt_aws_creds *creds = NULL;
  if (rt_aws_creds_get(cfg, endpoint, &creds, err) != 0)
    return NULL;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    rt_aws_creds_release(&creds);
    rt_err_set(err, RT_EIO, "libcurl could not be initialized");
    return NULL;
  }
  rt_awsj *c = rt_xcalloc(1, sizeof(*c));
  snprintf(c->url, sizeof(c->url), "%s/", endpoint);
  snprintf(c->sigv4, sizeof(c->sigv4), "aws:amz:%s:%s", cfg->region, SERVICES[ddb].sigv4);
  c->label = SERVICES[ddb].label;
  c->target = SERVICES[ddb].target;
  c->content_type = SERVICES[ddb].content_type;
  c->creds = creds;
  if (opts)
    c->opts = *opts;
  if (c->opts.timeout_ms <= 0)
    c->opts.timeout_ms = 10000;
  if (c->opts.connect_timeout_ms <= 0)
    c->opts.connect_timeout_ms = 3000;
  if (c->opts.max_body == 0)
    c->opts.max_body = (size_t)64 << 20;
  c->sync = rt_awsj_req_new(c);
  return c;
}

void rt_awsj_free(rt_awsj **cp) {
  if (!cp || !*cp)
    return;
  rt_awsj *c = *cp;
  rt_awsj_req_free(&c->sync);
  rt_aws_creds_release(&c->creds);
  rt_free(c);
  curl_global_cleanup();
  *cp = NULL;
}

const char *rt_awsj_endpoint(const rt_awsj *c) { return c->url; }

rt_awsj_req *rt_awsj_sync_req(rt_awsj *c) { return c->sync; }

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  rt_awsj_req *r = ud;
  size_t n = size * nmemb;
  if (rt_buf_append(&r->resp, data, n) != 0) {
    r->too_big = 1;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  return n;
}

rt_awsj_req *rt_awsj_req_new(rt_awsj *c) {
  rt_awsj_req *r = rt_xcalloc(1, sizeof(*r));
  r->c = c;
  rt_buf_init(&r->resp, c->opts.max_body);
  return r;
}

void rt_awsj_req_free(rt_awsj_req **rp) {
  if (!rp || !*rp)
    return;
  rt_awsj_req *r = *rp;
  if (r->easy)
    curl_easy_cleanup(r->easy);
  curl_slist_free_all(r->headers);
  rt_free(r->body);
  rt_buf_free(&r->resp);
  creds_drop(r);
  rt_free(r);
  *rp = NULL;
}

CURL *rt_awsj_req_easy(rt_awsj_req *r) { return r->easy; }

rt_awsj_class rt_awsj_req_class(const rt_awsj_req *r) { return r->klass; }

const char *rt_awsj_req_error_type(const rt_awsj_req *r) { return r->err_type; }

long rt_awsj_req_status(const rt_awsj_req *r) { return r->status; }

double rt_awsj_req_elapsed_ms(const rt_awsj_req *r) { return r->elapsed_ms; }

void rt_awsj_req_set_class(rt_awsj_req *r, rt_awsj_class c) { r->klass = c; }

/* Sets the options that never change for this request's easy handle. */
static int easy_setup(rt_awsj_req *r, rt_err *err) {
  if (r->easy)
    return 0;
  r->easy = curl_easy_init();
  if (!r->easy)
    return rt_err_set(err, RT_EIO, "libcurl could not make a handle");
  rt_awsj *c = r->c;
  CURL *e = r->easy;
  curl_easy_setopt(e, CURLOPT_URL, c->url);
  curl_easy_setopt(e, CURLOPT_AWS_SIGV4, c->sigv4);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_msg);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* gzip if the server offers */
  /* Bodies over 1 MiB make curl ask "Expect: 100-continue"; do not stall on a
   * server that never answers it. (Suppressing the header with "Expect:" is
   * not an option: curl 7.88's SigV4 then signs an "expect" header it never
   * sends, and AWS rejects the signature; tests/py/test_kinesis_faults.py
   * recomputes every signature to catch this.) */
  curl_easy_setopt(e, CURLOPT_EXPECT_100_TIMEOUT_MS, 300L);
  return 0;
}

int rt_awsj_req_prepare(rt_awsj_req *r, const char *action, const char *json_body, rt_err *err) {
  if (!action || strlen(action) >= sizeof(r->action) || !json_body)
    return rt_err_set(err, RT_EINVAL, "bad %s action \"%.40s\"", r->c->label,
                      action ? action : "(none)");
  int rc = easy_setup(r, err);
  if (rc != 0)
    return rc;
  snprintf(r->action, sizeof(r->action), "%s", action);
  rt_free(r->body);
  r->body = rt_xstrdup(json_body);
  rt_buf_clear(&r->resp);
  r->too_big = 0;
  r->status = 0;
  r->klass = RT_AWSJ_OK;
  r->err_type[0] = r->curl_msg[0] = '\0';
  r->elapsed_ms = 0;

  creds_sync(r); /* the credentials of this request: renewed ones reach it here */
  curl_easy_setopt(r->easy, CURLOPT_USERNAME, r->key);
  curl_easy_setopt(r->easy, CURLOPT_PASSWORD, r->secret);
  char target[96];
  snprintf(target, sizeof(target), "X-Amz-Target: %s.%s", r->c->target, action);
  curl_slist_free_all(r->headers);
  r->headers = curl_slist_append(NULL, r->c->content_type);
  r->headers = curl_slist_append(r->headers, target);
  if (r->token_header)
    r->headers = curl_slist_append(r->headers, r->token_header);
  if (!r->headers)
    return rt_err_set(err, RT_EIO, "libcurl could not build headers");
  curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
  curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, r->c->opts.timeout_ms);
  curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
  curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
  return 0;
}

int rt_awsj_req_prepare_json(rt_awsj_req *r, const char *action, json_t *body, rt_err *err) {
  char *text = json_dumps(body, JSON_COMPACT);
  if (!text)
    return rt_err_set(err, RT_EINVAL, "%s %s: request is not serializable", r->c->label, action);
  int rc = rt_awsj_req_prepare(r, action, text, err);
  free(text);
  return rc;
}

void rt_awsj_req_set_timeout(rt_awsj_req *r, long timeout_ms) {
  if (r->easy && timeout_ms > 0)
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
}

/* The test seam (rt_aws_json_int.h): set only by tests and fuzzers. */
static rt_awsj_answer_fn g_answerer;
static void *g_answerer_ctx;

void rt_awsj__set_answerer(rt_awsj_answer_fn fn, void *ctx) {
  g_answerer = fn;
  g_answerer_ctx = ctx;
}

/* A transfer answered by the seam: the answer goes through the same capped
 * buffer as one from the network. */
static CURLcode answer_by_seam(rt_awsj_req *r) {
  rt_buf body;
  rt_buf_init(&body, 0);
  r->status = 0;
  CURLcode cc = g_answerer(g_answerer_ctx, r->c->label, r->action, r->body ? r->body : "",
                           &r->status, &body);
  if (cc == CURLE_OK && body.len && rt_buf_append(&r->resp, body.data, body.len) != 0) {
    r->too_big = 1;
    cc = CURLE_WRITE_ERROR;
  }
  rt_buf_free(&body);
  return cc;
}

CURLcode rt_awsj_req_perform(rt_awsj_req *r) {
  if (!r->easy)
    return CURLE_FAILED_INIT;
  if (g_answerer)
    return answer_by_seam(r);
  return curl_easy_perform(r->easy);
}

const char *rt_awsj_str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

/* Classification of AWS error types (namespace stripped). */
static const struct {
  const char *type;
  int code;
  rt_awsj_class klass;
} ERROR_TYPES[] = {
    {"ProvisionedThroughputExceededException", RT_ETHROTTLED, RT_AWSJ_THROTTLED},
    {"LimitExceededException", RT_ETHROTTLED, RT_AWSJ_THROTTLED},
    {"KMSThrottlingException", RT_ETHROTTLED, RT_AWSJ_THROTTLED},
    {"ThrottlingException", RT_ETHROTTLED, RT_AWSJ_THROTTLED},
    {"ExpiredIteratorException", RT_ETIMEDOUT, RT_AWSJ_EXPIRED},
    {"ExpiredNextTokenException", RT_ETIMEDOUT, RT_AWSJ_EXPIRED},
    {"ResourceNotFoundException", RT_ENOTFOUND, RT_AWSJ_FATAL},
    {"ResourceInUseException", RT_EEXIST, RT_AWSJ_FATAL},
    {"ConditionalCheckFailedException", RT_ECONFLICT, RT_AWSJ_FATAL},
    {"TransactionConflictException", RT_ECONFLICT, RT_AWSJ_FATAL},
    {"RequestLimitExceeded", RT_ETHROTTLED, RT_AWSJ_THROTTLED},
    {"InternalFailure", RT_ESERVER, RT_AWSJ_RETRYABLE},
    {"InternalFailureException", RT_ESERVER, RT_AWSJ_RETRYABLE},
    {"ServiceUnavailable", RT_ESERVER, RT_AWSJ_RETRYABLE},
    {"ServiceUnavailableException", RT_ESERVER, RT_AWSJ_RETRYABLE},
    {"AccessDeniedException", RT_EAUTH, RT_AWSJ_FATAL},
    {"UnrecognizedClientException", RT_EAUTH, RT_AWSJ_FATAL},
    {"InvalidSignatureException", RT_EAUTH, RT_AWSJ_FATAL},
    {"IncompleteSignatureException", RT_EAUTH, RT_AWSJ_FATAL},
    {"MissingAuthenticationTokenException", RT_EAUTH, RT_AWSJ_FATAL},
    {"ExpiredTokenException", RT_EAUTH, RT_AWSJ_FATAL},
    {"KMSAccessDeniedException", RT_EAUTH, RT_AWSJ_FATAL},
    {"KMSDisabledException", RT_EAUTH, RT_AWSJ_FATAL},
    {"KMSInvalidStateException", RT_EAUTH, RT_AWSJ_FATAL},
    {"KMSNotFoundException", RT_EAUTH, RT_AWSJ_FATAL},
    {"KMSOptInRequired", RT_EAUTH, RT_AWSJ_FATAL},
};

/* Classifies a transport-level failure. */
static int transport_error(rt_awsj_req *r, CURLcode cc, rt_err *err) {
  const char *detail = r->curl_msg[0] ? r->curl_msg : curl_easy_strerror(cc);
  if (r->too_big) {
    r->klass = RT_AWSJ_FATAL;
    return rt_err_set(err, RT_ETOOBIG, "%s %s: response larger than %zu bytes", r->c->label,
                      r->action, r->resp.max);
  }
  r->klass = RT_AWSJ_RETRYABLE;
  if (cc == CURLE_OPERATION_TIMEDOUT)
    return rt_err_set(err, RT_ETIMEDOUT, "%s %s: request timed out: %s", r->c->label, r->action,
                      detail);
  if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
    return rt_err_set(err, RT_ENET, "%s %s: cannot connect to %s: %s", r->c->label, r->action,
                      r->c->url, detail);
  if (cc == CURLE_FAILED_INIT || cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT) {
    r->klass = RT_AWSJ_FATAL;
    return rt_err_set(err, RT_EINVAL, "%s %s: %s", r->c->label, r->action, detail);
  }
  return rt_err_set(err, RT_ENET, "%s %s: %s", r->c->label, r->action, detail);
}

/* Appends text to out with every occurrence of secret replaced by mask.
 * Secrets under 8 bytes (the "local" placeholder) are not hunted. */
static void mask_into(rt_buf *out, const char *text, const char *secret, const char *mask) {
  size_t n = secret ? strlen(secret) : 0;
  const char *hit;
  if (!text)
    text = "";
  while (n >= 8 && (hit = strstr(text, secret)) != NULL) {
    rt_buf_append(out, text, (size_t)(hit - text));
    rt_buf_puts(out, mask);
    text = hit + n;
  }
  rt_buf_puts(out, text);
}

/* An error body is the endpoint's text, and an endpoint may echo what it was
 * sent (a proxy, a mock, a hostile override): the message is built whole,
 * then masked, then cut to fit, so it keeps neither the secret key nor the
 * session token (not even a cut-off prefix of one), and the access key id
 * only as its last 4 characters. Returns code. */
static int set_redacted(const rt_awsj_req *r, rt_err *err, int code, const char *type,
                        const char *msg) {
  if (!err)
    return code;
  const char *token = r->token_header ? strchr(r->token_header, ' ') + 1 : NULL;
  char keymask[16] = "";
  size_t klen = r->key ? strlen(r->key) : 0;
  if (klen >= 8)
    snprintf(keymask, sizeof(keymask), "****%s", r->key + klen - 4);
  rt_buf text, a, b;
  rt_buf_init(&text, 0);
  rt_buf_init(&a, 0);
  rt_buf_init(&b, 0);
  rt_buf_printf(&text, "%s %s: %s: %s", r->c->label, r->action, type, msg);
  mask_into(&a, text.data, r->secret, "[secret]");
  mask_into(&b, a.data, token, "[token]");
  rt_buf_clear(&a);
  mask_into(&a, b.data, klen >= 8 ? r->key : NULL, keymask);
  rt_err_set(err, code, "%s", a.data ? a.data : "");
  OPENSSL_cleanse(text.data, text.len);
  OPENSSL_cleanse(b.data, b.len);
  rt_buf_free(&text);
  rt_buf_free(&a);
  rt_buf_free(&b);
  return code;
}

/* Classifies an HTTP error response with an AWS error body (maybe absent). */
static int http_error(rt_awsj_req *r, json_t *body, rt_err *err) {
  const char *type = rt_awsj_str(body, "__type");
  const char *msg = rt_awsj_str(body, "message");
  if (!msg)
    msg = rt_awsj_str(body, "Message");
  if (type && strchr(type, '#'))
    type = strchr(type, '#') + 1;
  snprintf(r->err_type, sizeof(r->err_type), "%s", type ? type : "");
  int code = r->status >= 500 ? RT_ESERVER : RT_EPROTO;
  r->klass = r->status >= 500 ? RT_AWSJ_RETRYABLE : RT_AWSJ_FATAL;
  if (r->status == 413)
    code = RT_ETOOBIG;
  for (size_t i = 0; type && i < sizeof(ERROR_TYPES) / sizeof(ERROR_TYPES[0]); i++) {
    if (strcmp(type, ERROR_TYPES[i].type) == 0) {
      code = ERROR_TYPES[i].code;
      r->klass = ERROR_TYPES[i].klass;
      break;
    }
  }
  if (r->klass == RT_AWSJ_FATAL && code == RT_EPROTO && type &&
      (strstr(type, "Validation") || strstr(type, "InvalidArgument") ||
       strstr(type, "Serialization") || strstr(type, "UnknownOperation")))
    code = RT_EINVAL;
  if (type)
    return set_redacted(r, err, code, type, msg ? msg : "");
  return rt_err_set(err, code, "%s %s: HTTP %ld", r->c->label, r->action, r->status);
}

int rt_awsj_req_finish(rt_awsj_req *r, CURLcode cc, json_t **out, rt_err *err) {
  *out = NULL;
  if (r->easy && !g_answerer) {
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    double t = 0;
    curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &t);
    r->elapsed_ms = t * 1000.0;
  }
  if (cc != CURLE_OK)
    return transport_error(r, cc, err);
  json_error_t je;
  json_t *body = r->resp.len ? json_loadb(r->resp.data, r->resp.len, 0, &je) : NULL;
  if (r->status != 200) {
    int rc = http_error(r, body, err);
    json_decref(body);
    return rc;
  }
  if (!body && r->resp.len == 0)
    body = json_object(); /* CreateStream, SplitShard, ... answer with no body */
  if (!json_is_object(body)) {
    json_decref(body);
    r->klass = RT_AWSJ_RETRYABLE; /* a truncated or garbled answer: try again */
    return rt_err_set(err, RT_EPROTO, "%s %s: response is not a JSON object", r->c->label,
                      r->action);
  }
  r->klass = RT_AWSJ_OK;
  *out = body;
  return 0;
}

int rt_awsj_call(rt_awsj *c, const char *action, json_t *body, json_t **out, rt_err *err) {
  rt_awsj_req *r = c->sync;
  int rc = rt_awsj_req_prepare_json(r, action, body, err);
  json_decref(body);
  json_t *o = NULL;
  if (rc == 0)
    rc = rt_awsj_req_finish(r, rt_awsj_req_perform(r), &o, err);
  if (out)
    *out = o;
  else
    json_decref(o);
  return rc;
}

/* --- helpers ---------------------------------------------------------------- */

long rt_awsj_backoff_ms(int attempt, long base_ms, long cap_ms, uint64_t *rng) {
  if (base_ms < 1)
    base_ms = 1;
  if (cap_ms < base_ms)
    cap_ms = base_ms;
  long hi = base_ms;
  for (int i = 0; i < attempt && hi < cap_ms; i++)
    hi *= 2;
  if (hi > cap_ms)
    hi = cap_ms;
  long lo = base_ms / 2;
  return lo + (long)(rt_splitmix64_next(rng) % (uint64_t)(hi - lo + 1));
}
