/*
 * Replies on the request's own socket, and the one place where an rt_err
 * becomes a Jupyter error (ename, evalue, traceback). Keeping that conversion
 * in one function means every error the user sees has the same shape, the
 * same caret rendering and the same UTF-8 repair, whichever handler failed.
 */
#include "kn_int.h"

#include "kn_utf8.h"
#include "rt_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "execute_request" -> "execute_reply"; other names get "_reply" appended. */
static void reply_type(const char *req_type, char *out, size_t outsz) {
  size_t n = strlen(req_type);
  if (n > 8 && strcmp(req_type + n - 8, "_request") == 0)
    n -= 8;
  snprintf(out, outsz, "%.*s_reply", (int)n, req_type);
}

int kn_reply_send(kn_req *req, json_t *content) {
  char type[96], header[KN_HEADER_MAX];
  kn_kernel *k = req->k;
  char *body = content ? json_dumps(content, JSON_COMPACT) : NULL;
  json_decref(content);
  reply_type(req->msg->msg_type, type, sizeof(type));
  size_t hlen = kn_session_header(k->session, type, header);
  if (!body || hlen == 0) {
    free(body);
    rt_log(RT_LOG_ERROR, "cannot serialize the %s", type);
    return RT_EINVAL;
  }
  kn_frame parts[4] = {{header, hlen}, *kn__parent(req), {"{}", 2},
                       {body, strlen(body)}};
  int rc = kn_wire_send(req->sock, k->signer, req->msg->idents,
                        req->msg->nidents, parts);
  free(body);
  if (rc < 0)
    rt_log(RT_LOG_WARN, "cannot send the %s", type);
  return rc;
}

/* The Jupyter ename of an Eddy error code. */
static const char *err_ename(int code) {
  switch (code) {
  case RT_ESYNTAX: return "SyntaxError";
  case RT_ETYPE: return "TypeError";
  case RT_EINVAL: return "ValueError";
  case RT_EINTR: return "KeyboardInterrupt";
  case RT_ESTOPPED: return "ExecutionAborted";
  case RT_EUNSUPPORTED: return "NotSupported";
  case RT_ETOOBIG: return "MessageTooLarge";
  case RT_EPROTO: return "BadRequest";
  case RT_ENOTFOUND: return "NotFound";
  case RT_EAUTH: return "AuthError";
  case RT_ETIMEDOUT: return "TimeoutError";
  case RT_EIO: return "IOError";
  case RT_ENET: return "NetworkError";
  default: return "Error";
  }
}

/* The error with its column and length counted in characters rather than
 * bytes, so the caret sits under non-ASCII text as the user sees it. */
static rt_err err_in_chars(const rt_err *err, const char *src) {
  rt_err e = *err;
  if (!src || e.line == 0)
    return e;
  size_t n = strnlen(src, (size_t)e.off + (size_t)e.len);
  size_t off = (size_t)e.off < n ? (size_t)e.off : n;
  size_t end = off + (size_t)e.len < n ? off + (size_t)e.len : n;
  size_t line_start = off;
  while (line_start > 0 && src[line_start - 1] != '\n')
    line_start--;
  e.col = (int)kn_utf8_count(src + line_start, off - line_start) + 1;
  e.len = (int)kn_utf8_count(src + off, end - off);
  return e;
}

/* Traceback lines: the rendered error (with caret) split at newlines, the
 * first line in red like other kernels' error headers. */
static json_t *err_traceback(const rt_err *err, const char *ename,
                             const char *src) {
  char text[2048];
  json_t *tb = json_array();
  if (err->code == RT_ESTOPPED)
    return tb;
  rt_err shown = err_in_chars(err, src);
  int n = rt_err_render(&shown, src, text, sizeof(text));
  size_t len = n < 0 ? 0 : (size_t)n >= sizeof(text) ? sizeof(text) - 1 : (size_t)n;
  char head[128];
  snprintf(head, sizeof(head), "\x1b[0;31m%s\x1b[0m", ename);
  json_array_append_new(tb, json_string(head));
  for (size_t start = 0; start <= len;) {
    const char *nl = memchr(text + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - text) : len;
    json_array_append_new(tb, kn_utf8_json(text + start, end - start));
    start = end + 1;
  }
  return tb;
}

int kn_reply_error(kn_req *req, const rt_err *err, const char *src, int count,
                   int flags) {
  const char *ename = err_ename(err->code);
  json_t *evalue = kn_utf8_json(err->msg, strnlen(err->msg, sizeof(err->msg)));
  json_t *tb = err_traceback(err, ename, src);
  if (flags & KN_ERR_PUBLISH)
    kn_iopub_publish(req->k->iopub, "error", kn__parent(req),
                     json_pack("{sssOsO}", "ename", ename, "evalue", evalue,
                               "traceback", tb));
  json_t *reply = json_pack("{sssssoso}", "status", "error", "ename", ename,
                            "evalue", evalue, "traceback", tb);
  if (reply && count >= 0)
    json_object_set_new(reply, "execution_count", json_integer(count));
  return kn_reply_send(req, reply);
}
