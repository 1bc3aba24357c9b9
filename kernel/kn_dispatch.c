/*
 * The msg_type table and the wrapper every request goes through: status busy
 * first, the handler, status idle last, on shell and control alike, so a
 * client always learns that its request was seen (Debian's jupyter_client
 * only calls a kernel ready once it saw IOPub traffic for its kernel_info).
 * Checks that hold for every handler (is the content an object, may this
 * channel serve this type) are made here once, not in each handler.
 */
#include "kn_int.h"

#include "rt_log.h"

#include <string.h>

typedef struct kn_handler {
  const char *msg_type;      /* request type */
  void (*fn)(kn_req *req);   /* its handler */
  bool on_control;           /* also served on the control channel */
} kn_handler;

static const kn_handler handlers[] = {
    {"kernel_info_request", kn_on_kernel_info_request, true},
    {"execute_request", kn_on_execute_request, false},
    {"is_complete_request", kn_on_is_complete_request, false},
    {"complete_request", kn_on_complete_request, false},
    {"inspect_request", kn_on_inspect_request, false},
    {"history_request", kn_on_history_request, false},
    {"comm_info_request", kn_on_comm_info_request, false},
    {"comm_open", kn_on_comm_open, false},
    {"comm_msg", kn_on_comm_msg, false},
    {"comm_close", kn_on_comm_msg, false},
    {"interrupt_request", kn_on_interrupt_request, true},
    {"shutdown_request", kn_on_shutdown_request, true},
};

static const kn_handler *find_handler(const char *msg_type) {
  for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
    if (strcmp(handlers[i].msg_type, msg_type) == 0)
      return &handlers[i];
  return NULL;
}

/* Runs h for req, or answers a request whose content was refused. */
static void run_handler(kn_req *req, const kn_handler *h) {
  if (req->msg->content) {
    h->fn(req);
    return;
  }
  rt_err err;
  rt_log(RT_LOG_WARN, "%s %s: %s", req->msg->msg_type, req->msg->msg_id,
         req->msg->bad_content);
  rt_err_set(&err, RT_EPROTO, "%s", req->msg->bad_content);
  int count = strcmp(h->msg_type, "execute_request") == 0
                  ? req->k->execution_count
                  : -1;
  kn_reply_error(req, &err, NULL, count, 0);
}

void kn__dispatch(kn_req *req) {
  const kn_handler *h = find_handler(req->msg->msg_type);
  kn_iopub_status(req->k->iopub, kn__parent(req), "busy");
  if (!h)
    rt_log(RT_LOG_WARN, "unknown message type \"%.64s\" on %s; no reply",
           req->msg->msg_type, req->ch == KN_CH_CONTROL ? "control" : "shell");
  else if (req->ch == KN_CH_CONTROL && !h->on_control)
    rt_log(RT_LOG_WARN, "%s is not served on the control channel; no reply",
           h->msg_type);
  else
    run_handler(req, h);
  kn_iopub_status(req->k->iopub, kn__parent(req), "idle");
}
