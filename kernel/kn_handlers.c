/*
 * The handlers of every request except execute (kn_exec.c): kernel_info,
 * is_complete, complete, inspect, history, comm_info, interrupt and
 * shutdown. They turn request content into calls on kn_lang or kn_history
 * and build the reply; cursor positions arrive in code points and are
 * converted to bytes here, at the protocol edge.
 */
#include "kn_int.h"

#include "kn_utf8.h"
#include "rt_buf.h"
#include "rt_log.h"

#include <string.h>

json_t *kn__kernel_info(void) {
  return json_pack(
      "{sssssssss{ssssssssssssss}sss[{ssss}{ssss}]sb}", "status", "ok",
      "protocol_version", "5.3", "implementation", "eddy",
      "implementation_version", EDDY_VERSION, "language_info", "name", "eddy",
      "version", EDDY_VERSION, "mimetype", "text/x-eddy", "file_extension",
      ".eddy", "pygments_lexer", "mysql", "codemirror_mode", "sql",
      "nbconvert_exporter", "script", "banner",
      "Eddy " EDDY_VERSION ": live queries over Kinesis streams.\n"
      "%help lists the language; %help WORD explains one word.",
      "help_links", "text", "Eddy language (%help)", "url",
      "https://docs.aws.amazon.com/streams/latest/dev/introduction.html",
      "text", "Jupyter messaging", "url",
      "https://jupyter-client.readthedocs.io/en/stable/messaging.html",
      "debugger", 0);
}

void kn_on_kernel_info_request(kn_req *req) {
  kn_reply_send(req, kn__kernel_info());
}

void kn_on_comm_info_request(kn_req *req) {
  kn_reply_send(req, json_pack("{sss{}}", "status", "ok", "comms"));
}

void kn_on_is_complete_request(kn_req *req) {
  json_t *code = json_object_get(req->msg->content, "code");
  const char *status = "unknown";
  if (json_is_string(code))
    status = kn_lang_is_complete(req->k->lang, json_string_value(code),
                                 json_string_length(code));
  json_t *reply = json_pack("{ss}", "status", status);
  if (strcmp(status, "incomplete") == 0)
    json_object_set_new(reply, "indent", json_string(""));
  kn_reply_send(req, reply);
}

/* A character that may be part of a word to complete or inspect. */
static bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '%';
}

/* The code and the cursor as a byte offset; false when code is missing. */
static bool code_cursor(const kn_req *req, const char **code, size_t *len,
                        size_t *cursor) {
  json_t *c = json_object_get(req->msg->content, "code");
  json_t *pos = json_object_get(req->msg->content, "cursor_pos");
  if (!json_is_string(c))
    return false;
  *code = json_string_value(c);
  *len = json_string_length(c);
  json_int_t cp = json_is_integer(pos) ? json_integer_value(pos) : (json_int_t)*len;
  *cursor = kn_utf8_offset(*code, *len, cp < 0 ? 0 : (size_t)cp);
  return true;
}

void kn_on_complete_request(kn_req *req) {
  const char *code = "";
  size_t len = 0, cur = 0;
  code_cursor(req, &code, &len, &cur);
  size_t start = cur;
  while (start > 0 && word_char(code[start - 1]))
    start--;
  json_t *matches = json_array();
  if (cur > start)
    kn_lang_complete(req->k->lang, code + start, cur - start, matches);
  kn_reply_send(req, json_pack("{sssosIsIs{}}", "status", "ok", "matches",
                               matches, "cursor_start",
                               (json_int_t)kn_utf8_count(code, start),
                               "cursor_end", (json_int_t)kn_utf8_count(code, cur),
                               "metadata"));
}

void kn_on_inspect_request(kn_req *req) {
  const char *code = "";
  size_t len = 0, cur = 0;
  code_cursor(req, &code, &len, &cur);
  size_t start = cur, end = cur;
  while (start > 0 && word_char(code[start - 1]))
    start--;
  while (end < len && word_char(code[end]))
    end++;
  rt_buf help;
  rt_buf_init(&help, 0);
  bool found = end > start &&
               kn_lang_inspect(req->k->lang, code + start, end - start, &help);
  json_t *data = json_object();
  if (found)
    json_object_set_new(data, "text/plain", kn_utf8_json(help.data, help.len));
  rt_buf_free(&help);
  kn_reply_send(req, json_pack("{sssbsos{}}", "status", "ok", "found", found,
                               "data", data, "metadata"));
}

void kn_on_history_request(kn_req *req) {
  json_t *history = kn_history_query(req->k->history, req->msg->content);
  kn_reply_send(req, json_pack("{ssso}", "status", "ok", "history", history));
}

/* No comm targets exist: the opener is told the comm is closed, as the
 * protocol asks, so a widget front end does not wait for it. */
void kn_on_comm_open(kn_req *req) {
  json_t *id = json_object_get(req->msg->content, "comm_id");
  if (!json_is_string(id))
    return;
  kn_iopub_publish(req->k->iopub, "comm_close", kn__parent(req),
                   json_pack("{sOs{}}", "comm_id", id, "data"));
}

/* Messages for comms that were never opened: nothing to do. */
void kn_on_comm_msg(kn_req *req) {
  rt_log(RT_LOG_DEBUG, "%s for an unknown comm ignored", req->msg->msg_type);
}

void kn_on_interrupt_request(kn_req *req) {
  atomic_store(&req->k->interrupt, 1);
  rt_log(RT_LOG_INFO, "interrupt_request: interrupting the running cell");
  kn_reply_send(req, json_pack("{ss}", "status", "ok"));
}

void kn_on_shutdown_request(kn_req *req) {
  bool restart = json_is_true(json_object_get(req->msg->content, "restart"));
  kn_reply_send(req, json_pack("{sssb}", "status", "ok", "restart", restart));
  rt_log(RT_LOG_INFO, "shutdown_request (restart %s)", restart ? "true" : "false");
  if (req->ch == KN_CH_CONTROL)
    kn__request_stop(req->k);
  else
    atomic_store(&req->k->stopping, 1);
}
