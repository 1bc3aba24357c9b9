/*
 * Start-up, the shell loop and shutdown. Sockets are created and bound here,
 * on the main thread, so a port in use fails the start with a clear message;
 * then each socket moves to the one thread that will ever touch it. SIGINT
 * and SIGTERM are blocked before any thread starts, so every thread inherits
 * the mask and none is ever interrupted mid-call: the control thread reads
 * them from a signalfd instead (see kn_control.c).
 */
#include "kn_int.h"

#include "kn_heartbeat.h"
#include "kn_kernel.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

/* How long after a failed execute with stop_on_error the kernel waits for
 * requests that the client had already sent, to abort them too. */
enum { KN_ABORT_GRACE_MS = 2, KN_LINGER_MS = 1000 };

static void *make_socket(kn_kernel *k, const kn_conn *conn, kn_channel ch,
                         int type, rt_err *err) {
  char ep[300];
  int linger = KN_LINGER_MS;
  void *s = zmq_socket(k->zctx, type);
  kn_conn_endpoint(conn, ch, ep, sizeof(ep));
  int ipv6 = strcmp(conn->transport, "tcp") == 0 && strchr(conn->ip, ':') != NULL;
  if (s && zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) == 0 &&
      zmq_setsockopt(s, ZMQ_IPV6, &ipv6, sizeof(ipv6)) == 0 && zmq_bind(s, ep) == 0)
    return s;
  rt_err_set(err, RT_EIO, "cannot bind the %s socket to %s: %s",
             kn_channel_port_name(ch), ep, zmq_strerror(errno));
  zmq_close(s);
  return NULL;
}

/* Starts the three helper threads; sockets they take are NULLed. */
static int start_threads(kn_kernel *k, void **pub, void **hb, void **ctl,
                         rt_err *err) {
  char ep[64];
  snprintf(ep, sizeof(ep), "inproc://kn-wake-%p", (void *)k);
  int linger = 0;
  void *wake_ctl = zmq_socket(k->zctx, ZMQ_PAIR);
  k->wake = zmq_socket(k->zctx, ZMQ_PAIR);
  if (!k->wake || !wake_ctl ||
      zmq_setsockopt(k->wake, ZMQ_LINGER, &linger, sizeof(linger)) ||
      zmq_setsockopt(wake_ctl, ZMQ_LINGER, &linger, sizeof(linger)) ||
      zmq_bind(k->wake, ep) || zmq_connect(wake_ctl, ep)) {
    zmq_close(wake_ctl);
    return rt_err_set(err, RT_EIO, "cannot make the wake pipe: %s",
                      zmq_strerror(errno));
  }
  int rc = kn_iopub_start(k->zctx, pub, k->session, k->signer, &k->iopub, err);
  if (rc == 0)
    rc = kn_heartbeat_start(hb, &k->hb, err);
  if (rc == 0)
    rc = kn__control_start(k, ctl, &wake_ctl, err);
  zmq_close(wake_ctl);
  return rc;
}

static int kernel_open(kn_kernel *k, const kn_conn *conn, rt_err *err) {
  int rc = kn_signer_new(conn->scheme, conn->key, conn->keylen, &k->signer, err);
  if (rc < 0)
    return rc;
  k->session = kn_session_new();
  k->zctx = zmq_ctx_new();
  void *pub = make_socket(k, conn, KN_CH_IOPUB, ZMQ_XPUB, err);
  void *hb = pub ? make_socket(k, conn, KN_CH_HB, ZMQ_ROUTER, err) : NULL;
  void *ctl = hb ? make_socket(k, conn, KN_CH_CONTROL, ZMQ_ROUTER, err) : NULL;
  k->shell = ctl ? make_socket(k, conn, KN_CH_SHELL, ZMQ_ROUTER, err) : NULL;
  k->stdin_sock =
      k->shell ? make_socket(k, conn, KN_CH_STDIN, ZMQ_ROUTER, err) : NULL;
  rc = k->stdin_sock ? start_threads(k, &pub, &hb, &ctl, err) : RT_EIO;
  zmq_close(pub);
  zmq_close(hb);
  zmq_close(ctl);
  return rc;
}

/* Stops everything in dependency order: the control thread (told through
 * the wake pipe), the language and its queries, the publisher after its last
 * message, and last the heartbeat, which only the context shutdown wakes. */
static void kernel_close(kn_kernel *k) {
  if (k->control)
    zmq_send(k->wake, "", 0, ZMQ_DONTWAIT);
  kn__control_join(&k->control);
  kn_lang_free(&k->lang);
  kn_history_free(&k->history);
  for (int i = 0; i < k->nheld; i++)
    kn_msg_free(&k->held[i]);
  kn_iopub_stop(&k->iopub);
  if (k->zctx)
    zmq_ctx_shutdown(k->zctx);
  kn_heartbeat_join(&k->hb);
  zmq_close(k->shell);
  zmq_close(k->stdin_sock);
  zmq_close(k->wake);
  if (k->zctx)
    zmq_ctx_term(k->zctx);
  kn_session_free(&k->session);
  kn_signer_free(&k->signer);
}

/* Receives one shell message into *out; logs and drops what is refused.
 * Returns 0 (with *out maybe NULL), or RT_ESTOPPED when the context ends. */
static int recv_shell(kn_kernel *k, kn_msg **out) {
  rt_err err;
  int rc = kn_wire_recv(k->shell, k->signer, KN_CONTENT_MAX, out, &err);
  if (rc == RT_ESTOPPED)
    return rc;
  if (rc == RT_EAUTH)
    rt_log(RT_LOG_WARN, "shell: dropped a message: %s", err.msg);
  else if (rc < 0 && rc != RT_ETIMEDOUT)
    rt_log(RT_LOG_WARN, "shell: dropped a malformed message: %s", err.msg);
  return 0;
}

static void serve_msg(kn_kernel *k, kn_msg **msg, bool aborting) {
  kn_req req = {k, *msg, k->shell, KN_CH_SHELL, aborting};
  kn__dispatch(&req);
  kn_msg_free(msg);
}

void kn__hold_queue(kn_kernel *k) {
  int64_t deadline = rt_mono_ns() + KN_ABORT_GRACE_MS * 1000000LL;
  zmq_pollitem_t item = {k->shell, 0, ZMQ_POLLIN, 0};
  while (k->nheld < KN_MAX_HELD) {
    int64_t left_ms = (deadline - rt_mono_ns()) / 1000000;
    int rc = zmq_poll(&item, 1, left_ms > 0 ? (long)left_ms : 0);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0 || recv_shell(k, &k->held[k->nheld]) < 0)
      break;
    if (k->held[k->nheld])
      k->nheld++;
  }
}

/* Serves the held requests, aborting the executes among them. */
static void serve_held(kn_kernel *k) {
  for (int i = 0; i < k->nheld; i++)
    serve_msg(k, &k->held[i], true);
  k->nheld = 0;
}

static void serve_shell(kn_kernel *k) {
  zmq_pollitem_t items[2] = {{k->shell, 0, ZMQ_POLLIN, 0},
                             {k->wake, 0, ZMQ_POLLIN, 0}};
  while (!atomic_load(&k->stopping)) {
    int rc = zmq_poll(items, 2, -1);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0 || (items[1].revents & ZMQ_POLLIN))
      return;
    kn_msg *msg = NULL;
    if (recv_shell(k, &msg) < 0)
      return;
    if (msg)
      serve_msg(k, &msg, false);
    if (k->nheld)
      serve_held(k);
  }
}

int kn_kernel_run(const kn_conn *conn, const kn_options *opts, rt_err *err) {
  int rc = kn_conn_check_signed(conn, opts && opts->allow_unsigned, err);
  if (rc < 0)
    return rc;
  if (conn->keylen == 0)
    rt_log(RT_LOG_WARN, "the connection file has no key: messages are neither "
                        "signed nor checked (allowed by the user)");
  if (conn->file_mode & 077)
    rt_log(RT_LOG_WARN, "the connection file is readable or writable by other users (mode "
                        "%04o): they can take its key and run code as you; Jupyter writes "
                        "it 0600", conn->file_mode);
  if (kn_conn_is_wildcard(conn))
    rt_log(RT_LOG_WARN, "listening on every interface (%s), as the connection file "
                        "says: only the key guards the kernel, and nothing on the "
                        "wire is encrypted", conn->ip);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  kn_kernel *k = rt_xcalloc(1, sizeof(*k));
  atomic_init(&k->interrupt, 0);
  atomic_init(&k->stopping, 0);
  rc = kernel_open(k, conn, err);
  if (rc == 0) {
    k->lang = kn_lang_new();
    k->history = kn_history_new(opts ? opts->history_path : NULL);
    if (opts && opts->connection_file)
      kn_lang_protect_file(k->lang, opts->connection_file, "the kernel's connection file");
    kn_lang_protect_file(k->lang, kn_history_path(k->history), "the kernel's history");
    rt_log(RT_LOG_INFO, "kernel %s serving %s://%s", kn_session_id(k->session),
           conn->transport, conn->ip);
    serve_shell(k);
    rt_log(RT_LOG_INFO, "kernel %s shutting down", kn_session_id(k->session));
  }
  kernel_close(k);
  rt_free(k);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}
