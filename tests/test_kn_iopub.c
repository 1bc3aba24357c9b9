/*
 * Unit tests for kn_iopub and kn_display: `starting` greets a subscriber that
 * arrives before anything else, messages from several threads all arrive
 * signed and in per-thread order, and a display sends display_data once,
 * then update_display_data with the same id and its own copy of the parent.
 */
#include "test.h"

#include "kn_display.h"
#include "kn_iopub.h"

#include <pthread.h>
#include <zmq.h>

typedef struct fixture {
  void *ctx, *sub;
  kn_session *session;
  kn_signer *signer;
  kn_iopub *iopub;
} fixture;

static void fixture_start(fixture *f) {
  rt_err err;
  f->ctx = zmq_ctx_new();
  f->session = kn_session_new();
  ASSERT_EQ(kn_signer_new("hmac-sha256", "k", 1, &f->signer, &err), 0);
  void *pub = zmq_socket(f->ctx, ZMQ_XPUB);
  ASSERT_EQ(zmq_bind(pub, "inproc://iopub-test"), 0);
  ASSERT_EQ(kn_iopub_start(f->ctx, &pub, f->session, f->signer, &f->iopub, &err), 0);
  ASSERT(pub == NULL);
  f->sub = zmq_socket(f->ctx, ZMQ_SUB);
  zmq_setsockopt(f->sub, ZMQ_SUBSCRIBE, "", 0);
  ASSERT_EQ(zmq_connect(f->sub, "inproc://iopub-test"), 0);
}

static kn_msg *next(fixture *f) {
  zmq_pollitem_t item = {f->sub, 0, ZMQ_POLLIN, 0};
  kn_msg *m = NULL;
  rt_err err;
  ASSERT_EQ(zmq_poll(&item, 1, 3000), 1);
  ASSERT_EQ(kn_wire_recv(f->sub, f->signer, 1 << 20, &m, &err), 0);
  ASSERT_EQ(m->nidents, 1); /* the topic */
  return m;
}

static void fixture_stop(fixture *f) {
  kn_iopub_stop(&f->iopub);
  ASSERT(f->iopub == NULL);
  zmq_close(f->sub);
  zmq_ctx_term(f->ctx);
  kn_signer_free(&f->signer);
  kn_session_free(&f->session);
}

static void test_starting_on_subscribe(void) {
  fixture f;
  fixture_start(&f);
  kn_msg *m = next(&f);
  ASSERT_STR_EQ(m->msg_type, "status");
  ASSERT_STR_EQ(json_string_value(json_object_get(m->content, "execution_state")),
                "starting");
  ASSERT_EQ(m->raw[1].len, 2); /* parent {} */
  kn_msg_free(&m);
  fixture_stop(&f);
}

typedef struct sender {
  fixture *f;
  int tag;
} sender;

static void *send_many(void *arg) {
  sender *s = arg;
  for (int i = 0; i < 200; i++)
    ASSERT_EQ(kn_iopub_publish(s->f->iopub, "stream", NULL,
                               json_pack("{sssi}", "name", "stdout", "n",
                                         s->tag * 1000 + i)), 0);
  return NULL;
}

static void test_threads_keep_order(void) {
  fixture f;
  fixture_start(&f);
  kn_msg *m = next(&f); /* starting */
  kn_msg_free(&m);
  sender a = {&f, 1}, b = {&f, 2};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, send_many, &a);
  pthread_create(&tb, NULL, send_many, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  int last[3] = {-1, -1, -1};
  for (int i = 0; i < 400; i++) {
    m = next(&f);
    int n = (int)json_integer_value(json_object_get(m->content, "n"));
    int tag = n / 1000;
    ASSERT(tag == 1 || tag == 2);
    ASSERT_EQ(n % 1000, last[tag] + 1);
    last[tag] = n % 1000;
    kn_msg_free(&m);
  }
  /* content that cannot be serialized is refused, not sent */
  ASSERT_EQ(kn_iopub_publish(f.iopub, "stream", NULL, NULL), RT_EINVAL);
  fixture_stop(&f);
}

static void test_display(void) {
  fixture f;
  fixture_start(&f);
  kn_msg *m = next(&f);
  kn_msg_free(&m);
  char parent[] = "{\"msg_id\":\"req-1\"}";
  kn_frame p = {parent, strlen(parent)};
  kn_display *d = kn_display_new(f.iopub, &p, "eddy-q1");
  memset(parent, 'x', strlen(parent)); /* the display kept its own copy */
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(kn_display_show(d, json_pack("{ss}", "text/plain", "frame"), NULL), 0);
  for (int i = 0; i < 3; i++) {
    m = next(&f);
    ASSERT_STR_EQ(m->msg_type, i == 0 ? "display_data" : "update_display_data");
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_object_get(m->content, "transient"), "display_id")),
                  "eddy-q1");
    ASSERT(memcmp(m->raw[1].data, "{\"msg_id\":\"req-1\"}", m->raw[1].len) == 0);
    kn_msg_free(&m);
  }
  kn_display_free(&d);
  ASSERT(d == NULL);
  kn_display_free(&d);
  fixture_stop(&f);
}

int main(void) {
  TEST_RUN(test_starting_on_subscribe);
  TEST_RUN(test_threads_keep_order);
  TEST_RUN(test_display);
  return test_summary();
}
