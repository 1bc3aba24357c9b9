/*
 * Shared inside the kernel module only: the kernel's state and the request
 * being served, used by the dispatcher, the handlers and the control thread.
 * Nothing outside kernel/ includes this file; its functions carry the kn__
 * prefix of non-static internals.
 */
#ifndef EDDY_KN_INT_H
#define EDDY_KN_INT_H

#include "kn_conn.h"
#include "kn_history.h"
#include "kn_iopub.h"
#include "kn_lang.h"
#include "kn_session.h"
#include "kn_wire.h"

#include <stdatomic.h>
#include <stdbool.h>

typedef struct kn_control kn_control;
typedef struct kn_heartbeat kn_heartbeat;

/* Largest request content the kernel processes; larger ones get an error.
 * At most KN_MAX_HELD requests are held back for aborting after an error. */
enum { KN_CONTENT_MAX = 8 * 1024 * 1024, KN_MAX_HELD = 64 };

typedef struct kn_kernel {
  void *zctx;              /* the ZeroMQ context */
  kn_signer *signer;       /* HMAC with the connection key */
  kn_session *session;     /* session id and headers */
  kn_iopub *iopub;         /* publisher thread */
  kn_heartbeat *hb;        /* heartbeat thread */
  kn_control *control;     /* control thread */
  void *shell;             /* shell ROUTER, main thread only */
  void *stdin_sock;        /* stdin ROUTER, main thread only (unused yet) */
  void *wake;              /* PAIR: control -> main "stop serving" */
  atomic_int interrupt;    /* set by control (message or SIGINT) */
  atomic_int stopping;     /* shutdown requested */
  int execution_count;     /* the In[n] counter, main thread only */
  kn_lang *lang;           /* the Eddy language, main thread only */
  kn_history *history;     /* input history, main thread only */
  kn_msg *held[KN_MAX_HELD]; /* requests queued behind a failed execute */
  int nheld;               /* how many are held */
} kn_kernel;

/* One request being served, and where its reply goes. */
typedef struct kn_req {
  kn_kernel *k;   /* the kernel */
  kn_msg *msg;    /* the request (borrowed) */
  void *sock;     /* the socket the request came from; the reply goes back */
  kn_channel ch;  /* KN_CH_SHELL or KN_CH_CONTROL */
  bool aborting;  /* execute requests are answered ExecutionAborted */
} kn_req;

/* Serves req: busy, the msg_type's handler (or a log line), idle. */
void kn__dispatch(kn_req *req);

/* The raw header of the request, as the parent of everything it causes. */
static inline const kn_frame *kn__parent(const kn_req *req) {
  return &req->msg->raw[0];
}

/* Sends the reply to req: msg_type with "_request" turned into "_reply",
 * content stolen. Returns 0 or RT_EIO / RT_EINVAL. */
int kn_reply_send(kn_req *req, json_t *content);

enum {
  KN_ERR_PUBLISH = 1, /* also publish the error on IOPub */
};

/*
 * THE conversion of an rt_err into a Jupyter error: ename from the code,
 * evalue from the message, a traceback that renders the line, column and
 * caret against src (may be NULL), all sanitized to valid UTF-8. With
 * KN_ERR_PUBLISH publishes one `error` on IOPub; then sends the error reply,
 * with execution_count when count >= 0. Returns what kn_reply_send() returns.
 */
int kn_reply_error(kn_req *req, const rt_err *err, const char *src, int count,
                   int flags);

/* Builds the kernel_info_reply content. Caller owns the result. */
json_t *kn__kernel_info(void);

/* Handlers, one per msg_type (kn_dispatch.c holds the table). */
void kn_on_kernel_info_request(kn_req *req);
void kn_on_execute_request(kn_req *req);
void kn_on_is_complete_request(kn_req *req);
void kn_on_complete_request(kn_req *req);
void kn_on_inspect_request(kn_req *req);
void kn_on_history_request(kn_req *req);
void kn_on_comm_info_request(kn_req *req);
void kn_on_comm_open(kn_req *req);
void kn_on_comm_msg(kn_req *req); /* also comm_close */
void kn_on_interrupt_request(kn_req *req);
void kn_on_shutdown_request(kn_req *req);

/* After a failed execute with stop_on_error, and before its reply: takes
 * every request already queued on the shell socket, or arriving within a
 * short grace period (the client sent them before it could see the error),
 * into k->held. The shell loop then serves them right after the failed
 * request, answering the executes among them ExecutionAborted. Main thread. */
void kn__hold_queue(kn_kernel *k);

/* Starts the control thread on ctl (a bound ROUTER whose ownership passes to
 * the thread) with wake (a connected PAIR, likewise). Returns 0 or RT_EIO. */
int kn__control_start(kn_kernel *k, void **ctl, void **wake, rt_err *err);

/* Joins the control thread (it ends on shutdown or context shutdown). */
void kn__control_join(kn_control **ctl);

/* Asks the main thread to stop serving; callable from the control thread. */
void kn__request_stop(kn_kernel *k);

#endif
