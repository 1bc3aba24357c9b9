/*
 * Unit tests for kn_iopub and kn_display: `starting` greets a subscriber that
 * arrives before anything else, messages from several threads all arrive
 * signed and in per-thread order, and a display sends display_data once,
 * then update_display_data with the same id and its own copy of the parent.
 */
#include "test.h"
#include "test_kn_iopub_fixture.h"

#include "kn_display.h"

#include <pthread.h>

typedef iopub_fixture fixture;

static void fixture_start(fixture *f) { iopub_fixture_start(f, "inproc://iopub-test"); }

/* The next message; it must come within 3 s. */
static kn_msg *next(fixture *f) {
  kn_msg *m = iopub_fixture_recv(f, 3000, 1 << 20);
  ASSERT(m != NULL);
  return m;
}

static void fixture_stop(fixture *f) { iopub_fixture_stop(f); }

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
