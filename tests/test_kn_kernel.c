/*
 * The kernel end to end, in process: kn_kernel_run() on a thread with ipc
 * endpoints in a temporary directory, driven through real ZeroMQ sockets
 * with kn_wire. Checks the sequencing rules (busy first, idle last, parent =
 * request), execute counts and errors, that forged and malformed messages
 * get no reply but leave the kernel answering, and shutdown on control.
 */
#include "test.h"

#include "kn_kernel.h"
#include "kn_session.h"
#include "kn_wire.h"

#include <pthread.h>
#include <unistd.h>
#include <zmq.h>

typedef struct harness {
  char dir[64];        /* temporary directory of the ipc endpoints */
  kn_conn conn;        /* the kernel's connection */
  pthread_t thread;    /* runs kn_kernel_run() */
  int rc;              /* what it returned */
  void *ctx;           /* client context */
  void *shell, *control, *iopub, *hb; /* client sockets */
  kn_signer *signer;   /* client-side signer */
  kn_session *session; /* client-side headers */
} harness;

static void *kernel_thread(void *arg) {
  harness *h = arg;
  char hist[128];
  snprintf(hist, sizeof(hist), "%s/history.jsonl", h->dir);
  kn_options opts = {.history_path = hist};
  rt_err err;
  h->rc = kn_kernel_run(&h->conn, &opts, &err);
  return NULL;
}

static void *client_socket(harness *h, int type, kn_channel ch) {
  char ep[300];
  void *s = zmq_socket(h->ctx, type);
  int zero = 0;
  zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
  if (type == ZMQ_SUB)
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
  ASSERT_EQ(zmq_connect(s, kn_conn_endpoint(&h->conn, ch, ep, sizeof(ep))), 0);
  return s;
}

static void harness_start(harness *h) {
  memset(h, 0, sizeof(*h));
  snprintf(h->dir, sizeof(h->dir), "/tmp/eddy-kernel-XXXXXX");
  ASSERT(mkdtemp(h->dir) != NULL);
  char json[512];
  int n = snprintf(json, sizeof(json),
                   "{\"transport\":\"ipc\",\"ip\":\"%s/k\",\"shell_port\":1,"
                   "\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,"
                   "\"hb_port\":5,\"key\":\"test-key\"}", h->dir);
  rt_err err;
  ASSERT_EQ(kn_conn_parse(&h->conn, json, (size_t)n, &err), 0);
  ASSERT_EQ(kn_signer_new("hmac-sha256", "test-key", 8, &h->signer, &err), 0);
  h->session = kn_session_new();
  h->ctx = zmq_ctx_new();
  ASSERT_EQ(pthread_create(&h->thread, NULL, kernel_thread, h), 0);
  h->shell = client_socket(h, ZMQ_DEALER, KN_CH_SHELL);
  h->control = client_socket(h, ZMQ_DEALER, KN_CH_CONTROL);
  h->iopub = client_socket(h, ZMQ_SUB, KN_CH_IOPUB);
  h->hb = client_socket(h, ZMQ_REQ, KN_CH_HB);
}

/* Sends a request; returns its msg_id in id (KN_UUID_LEN). */
static void send_req(harness *h, void *sock, const char *type,
                     const char *content, char *id) {
  char header[KN_HEADER_MAX];
  size_t n = kn_session_header(h->session, type, header);
  json_t *hj = json_loadb(header, n, 0, NULL);
  snprintf(id, KN_UUID_LEN, "%s", json_string_value(json_object_get(hj, "msg_id")));
  json_decref(hj);
  kn_frame parts[4] = {{header, n}, {"{}", 2}, {"{}", 2},
                       {(char *)content, strlen(content)}};
  ASSERT_EQ(kn_wire_send(sock, h->signer, NULL, 0, parts), 0);
}

/* Receives one message within ms, or NULL. */
static kn_msg *recv_msg(harness *h, void *sock, int ms) {
  zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
  kn_msg *m = NULL;
  rt_err err;
  if (zmq_poll(&item, 1, ms) != 1)
    return NULL;
  ASSERT_EQ(kn_wire_recv(sock, h->signer, 1 << 20, &m, &err), 0);
  return m;
}

static const char *parent_id(const kn_msg *m) {
  json_t *p = json_loadb(m->raw[1].data, m->raw[1].len, 0, NULL);
  static char id[64];
  snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(p, "msg_id")));
  json_decref(p);
  return id;
}

/* Waits until a kernel_info round trip works and IOPub is subscribed. */
static void wait_ready(harness *h) {
  char id[KN_UUID_LEN];
  for (int tries = 0; tries < 200; tries++) {
    send_req(h, h->shell, "kernel_info_request", "{}", id);
    kn_msg *r = recv_msg(h, h->shell, 2000);
    ASSERT(r != NULL);
    kn_msg_free(&r);
    kn_msg *s = recv_msg(h, h->iopub, 20);
    bool ok = s != NULL;
    kn_msg_free(&s);
    while ((s = recv_msg(h, h->iopub, 20)) != NULL)
      kn_msg_free(&s);
    if (ok)
      return;
  }
  ASSERT(0);
}

/* Collects IOPub messages for request id up to its idle; checks that the
 * first is busy. Returns the msg_types joined by spaces in out. */
static void iopub_until_idle(harness *h, const char *id, char *out, size_t outsz) {
  out[0] = '\0';
  for (;;) {
    kn_msg *m = recv_msg(h, h->iopub, 3000);
    ASSERT(m != NULL);
    if (strcmp(parent_id(m), id) != 0) {
      kn_msg_free(&m);
      continue;
    }
    const char *state = json_string_value(json_object_get(m->content, "execution_state"));
    if (out[0] == '\0')
      ASSERT_STR_EQ(state, "busy");
    size_t len = strlen(out);
    snprintf(out + len, outsz - len, "%s%s", len ? " " : "",
             state ? state : m->msg_type);
    bool idle = state && strcmp(state, "idle") == 0;
    kn_msg_free(&m);
    if (idle)
      return;
  }
}

static void harness_stop(harness *h) {
  char id[KN_UUID_LEN];
  send_req(h, h->control, "shutdown_request", "{\"restart\":false}", id);
  kn_msg *r = recv_msg(h, h->control, 3000);
  ASSERT(r != NULL);
  ASSERT_STR_EQ(r->msg_type, "shutdown_reply");
  ASSERT_STR_EQ(parent_id(r), id);
  kn_msg_free(&r);
  pthread_join(h->thread, NULL);
  ASSERT_EQ(h->rc, 0);
  zmq_close(h->shell);
  zmq_close(h->control);
  zmq_close(h->iopub);
  zmq_close(h->hb);
  zmq_ctx_term(h->ctx);
  kn_signer_free(&h->signer);
  kn_session_free(&h->session);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
  ASSERT_EQ(system(cmd), 0);
  kn_conn_clear(&h->conn);
}

static void test_execute_sequence(harness *h) {
  char id[KN_UUID_LEN], seq[256];
  send_req(h, h->shell, "execute_request", "{\"code\":\"%set batch 200ms\\n%queries\"}", id);
  kn_msg *r = recv_msg(h, h->shell, 3000);
  ASSERT(r != NULL);
  ASSERT_STR_EQ(r->msg_type, "execute_reply");
  ASSERT_STR_EQ(parent_id(r), id);
  ASSERT_STR_EQ(json_string_value(json_object_get(r->content, "status")), "ok");
  ASSERT_EQ(json_integer_value(json_object_get(r->content, "execution_count")), 1);
  kn_msg_free(&r);
  iopub_until_idle(h, id, seq, sizeof(seq));
  /* %set confirms the value; %queries says none run */
  ASSERT_STR_EQ(seq, "busy execute_input stream stream idle");

  send_req(h, h->shell, "execute_request", "{\"code\":\"%set batch 5ms\"}", id);
  r = recv_msg(h, h->shell, 3000);
  ASSERT_STR_EQ(json_string_value(json_object_get(r->content, "status")), "error");
  ASSERT_STR_EQ(json_string_value(json_object_get(r->content, "ename")), "ValueError");
  ASSERT_EQ(json_integer_value(json_object_get(r->content, "execution_count")), 2);
  json_t *tb = json_object_get(r->content, "traceback");
  ASSERT(strstr(json_string_value(json_array_get(tb, 3)), "^^^") != NULL);
  kn_msg_free(&r);
  iopub_until_idle(h, id, seq, sizeof(seq));
  ASSERT_STR_EQ(seq, "busy execute_input error idle");

  send_req(h, h->shell, "execute_request", "{\"code\":\"%queries\",\"silent\":true}", id);
  r = recv_msg(h, h->shell, 3000);
  ASSERT_EQ(json_integer_value(json_object_get(r->content, "execution_count")), 2);
  kn_msg_free(&r);
  iopub_until_idle(h, id, seq, sizeof(seq));
  ASSERT_STR_EQ(seq, "busy stream idle");
}

static void test_bad_input_survives(harness *h) {
  char id[KN_UUID_LEN], seq[256];
  zmq_send(h->shell, "no delimiter", 12, 0);
  zmq_send(h->shell, "<IDS|MSG>", 9, 0);
  /* forged: signed with another key */
  kn_signer *forger = NULL;
  rt_err err;
  ASSERT_EQ(kn_signer_new("hmac-sha256", "guess", 5, &forger, &err), 0);
  kn_signer *real = h->signer;
  h->signer = forger;
  send_req(h, h->shell, "execute_request", "{\"code\":\"%queries\"}", id);
  h->signer = real;
  kn_signer_free(&forger);
  /* unknown type: busy/idle, no reply */
  send_req(h, h->shell, "foo_request", "{}", id);
  iopub_until_idle(h, id, seq, sizeof(seq));
  ASSERT_STR_EQ(seq, "busy idle");
  /* a comm nobody serves is closed at once */
  send_req(h, h->shell, "comm_open",
           "{\"comm_id\":\"c1\",\"target_name\":\"w\",\"data\":{}}", id);
  iopub_until_idle(h, id, seq, sizeof(seq));
  ASSERT_STR_EQ(seq, "busy comm_close idle");
  send_req(h, h->shell, "kernel_info_request", "{}", id);
  kn_msg *r = recv_msg(h, h->shell, 3000);
  ASSERT(r != NULL);
  ASSERT_STR_EQ(r->msg_type, "kernel_info_reply"); /* nothing before it */
  ASSERT_STR_EQ(json_string_value(json_object_get(
                    json_object_get(r->content, "language_info"), "name")), "eddy");
  kn_msg_free(&r);
  iopub_until_idle(h, id, seq, sizeof(seq));
}

static void test_heartbeat_and_control(harness *h) {
  char id[KN_UUID_LEN], buf[16];
  ASSERT_EQ(zmq_send(h->hb, "ping", 4, 0), 4);
  ASSERT_EQ(zmq_recv(h->hb, buf, sizeof(buf), 0), 4);
  ASSERT(memcmp(buf, "ping", 4) == 0);
  send_req(h, h->control, "interrupt_request", "{}", id);
  kn_msg *r = recv_msg(h, h->control, 3000);
  ASSERT_STR_EQ(r->msg_type, "interrupt_reply");
  kn_msg_free(&r);
  send_req(h, h->shell, "complete_request", "{\"code\":\"%que\",\"cursor_pos\":4}", id);
  r = recv_msg(h, h->shell, 3000);
  ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(r->content, "matches"), 0)),
                "%queries");
  ASSERT_EQ(json_integer_value(json_object_get(r->content, "cursor_start")), 0);
  kn_msg_free(&r);
  send_req(h, h->shell, "history_request",
           "{\"hist_access_type\":\"tail\",\"n\":10,\"output\":false,\"raw\":true}", id);
  r = recv_msg(h, h->shell, 3000);
  ASSERT_EQ(json_array_size(json_object_get(r->content, "history")), 2);
  kn_msg_free(&r);
}

/* A connection file without a key: kn_kernel_run refuses before it binds
 * anything (no ipc endpoint appears) unless the options allow it. */
static void test_unsigned_refused(void) {
  char dir[] = "/tmp/eddy-kernel-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  char json[512], shell[128];
  int n = snprintf(json, sizeof(json),
                   "{\"transport\":\"ipc\",\"ip\":\"%s/k\",\"shell_port\":1,"
                   "\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,"
                   "\"hb_port\":5,\"key\":\"\"}", dir);
  kn_conn conn;
  rt_err err;
  ASSERT_EQ(kn_conn_parse(&conn, json, (size_t)n, &err), 0);
  kn_options opts = {0};
  ASSERT_EQ(kn_kernel_run(&conn, &opts, &err), RT_EAUTH);
  ASSERT(strstr(err.msg, "--allow-unsigned") != NULL);
  snprintf(shell, sizeof(shell), "%s/k-1", dir);
  ASSERT(access(shell, F_OK) != 0); /* nothing was bound */
  kn_conn_clear(&conn);
  ASSERT_EQ(rmdir(dir), 0);
}

static void test_kernel(void) {
  harness h;
  harness_start(&h);
  wait_ready(&h);
  test_execute_sequence(&h);
  test_bad_input_survives(&h);
  test_heartbeat_and_control(&h);
  harness_stop(&h);
}

int main(void) {
  TEST_RUN(test_unsigned_refused);
  TEST_RUN(test_kernel);
  return test_summary();
}
