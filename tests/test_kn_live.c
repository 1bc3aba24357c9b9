/*
 * kn_live with the real runtime and a real publisher: a live query's display
 * starts with display_data and a display_id, redraws with update_display_data
 * for the same id at most once per refresh, keeps the parent of the cell that
 * started it, and ends with a final redraw; a re-run of the cell reuses the
 * display id with a fresh display_data.
 */
#include "test.h"

#include "kn_iopub.h"
#include "kn_live.h"
#include "rt_runtime.h"
#include "rt_time.h"

#include <zmq.h>

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\nleak:FcPattern\nleak:FcConfig\n";
}

typedef struct fixture {
  void *ctx, *sub;
  kn_session *session;
  kn_signer *signer;
  kn_iopub *iopub;
  kn_live *live;
  rt_runtime *rt;
} fixture;

static void fixture_start(fixture *f) {
  rt_err err;
  f->ctx = zmq_ctx_new();
  f->session = kn_session_new();
  ASSERT_EQ(kn_signer_new("hmac-sha256", "k", 1, &f->signer, &err), 0);
  void *pub = zmq_socket(f->ctx, ZMQ_XPUB);
  ASSERT_EQ(zmq_bind(pub, "inproc://live-test"), 0);
  ASSERT_EQ(kn_iopub_start(f->ctx, &pub, f->session, f->signer, &f->iopub, &err), 0);
  f->sub = zmq_socket(f->ctx, ZMQ_SUB);
  zmq_setsockopt(f->sub, ZMQ_SUBSCRIBE, "", 0);
  ASSERT_EQ(zmq_connect(f->sub, "inproc://live-test"), 0);
  f->live = kn_live_new();
  kn_live_set_refresh(f->live, 200);
  f->rt = rt_runtime_new();
  ASSERT_EQ(rt_runtime_set(f->rt, "batch", "100ms", &err), 0);
}

static void fixture_stop(fixture *f) {
  rt_runtime_free(&f->rt);
  kn_live_free(&f->live);
  kn_iopub_stop(&f->iopub);
  zmq_close(f->sub);
  zmq_ctx_term(f->ctx);
  kn_signer_free(&f->signer);
  kn_session_free(&f->session);
}

/* The next message other than status, or NULL after timeout_ms. */
static kn_msg *next(fixture *f, int timeout_ms) {
  for (;;) {
    zmq_pollitem_t item = {f->sub, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) != 1)
      return NULL;
    kn_msg *m = NULL;
    rt_err err;
    ASSERT_EQ(kn_wire_recv(f->sub, f->signer, 64 << 20, &m, &err), 0);
    if (strcmp(m->msg_type, "status") != 0)
      return m;
    kn_msg_free(&m);
  }
}

static const char *did(const kn_msg *m) {
  return json_string_value(
      json_object_get(json_object_get(m->content, "transient"), "display_id"));
}

static void run(fixture *f, const char *cell, const char *code) {
  rt_exec_opts o = {.cell = cell, .ops = kn_live_ops(), .ud = f->live};
  rt_err err;
  ASSERT_EQ(rt_runtime_exec(f->rt, code, strlen(code), &o, &err), 0);
}

static const char chart_q[] =
    "demo sensors rate 200 devices 3 | window 200ms | agg count() as n by device_id"
    " | chart line x=window_end y=n by device_id";

static void test_chart_redraws_throttled(void) {
  fixture f;
  fixture_start(&f);
  static char parent[] = "{\"msg_id\":\"cell-one\"}";
  kn_frame pf = {parent, sizeof(parent) - 1};
  kn_live_begin_cell(f.live, "c1", f.iopub, &pf);
  run(&f, "c1", chart_q);
  kn_msg *m = next(&f, 3000);
  ASSERT(m);
  ASSERT_STR_EQ(m->msg_type, "display_data");
  char id[64];
  kn_live_display_id("c1", 0, id, sizeof(id));
  ASSERT_STR_EQ(did(m), id);
  ASSERT_EQ(m->raw[1].len, sizeof(parent) - 1);
  ASSERT(memcmp(m->raw[1].data, parent, m->raw[1].len) == 0);
  json_t *data = json_object_get(m->content, "data");
  ASSERT(json_object_get(data, "image/png"));
  ASSERT(json_object_get(data, "text/plain"));
  json_t *md = json_object_get(json_object_get(m->content, "metadata"), "image/png");
  ASSERT_EQ(json_integer_value(json_object_get(md, "width")), 800);
  kn_msg_free(&m);
  int64_t last = 0, min_gap = INT64_MAX;
  int updates = 0;
  while (updates < 4 && (m = next(&f, 3000))) {
    ASSERT_STR_EQ(m->msg_type, "update_display_data");
    ASSERT_STR_EQ(did(m), id);
    ASSERT(memcmp(m->raw[1].data, parent, m->raw[1].len) == 0);
    int64_t now = rt_mono_ns() / 1000000;
    if (last && now - last < min_gap)
      min_gap = now - last;
    last = now;
    updates++;
    kn_msg_free(&m);
  }
  ASSERT_EQ(updates, 4);
  ASSERT(min_gap >= 150); /* refresh 200 ms, less delivery jitter */
  /* a re-run: the old query ends (final update), the new one starts afresh
   * on the same display id */
  static char parent2[] = "{\"msg_id\":\"cell-two\"}";
  kn_frame pf2 = {parent2, sizeof(parent2) - 1};
  kn_live_begin_cell(f.live, "c1", f.iopub, &pf2);
  run(&f, "c1", chart_q);
  bool fresh = false;
  while (!fresh && (m = next(&f, 3000))) {
    ASSERT_STR_EQ(did(m), id);
    if (strcmp(m->msg_type, "display_data") == 0) {
      fresh = true;
      ASSERT(memcmp(m->raw[1].data, parent2, m->raw[1].len) == 0);
    }
    kn_msg_free(&m);
  }
  ASSERT(fresh);
  kn_live_stats st;
  kn_live_get_stats(f.live, &st);
  ASSERT(st.redraws >= 6);
  ASSERT_EQ(st.render_errors, 0);
  fixture_stop(&f);
}

static void test_table_and_end(void) {
  fixture f;
  fixture_start(&f);
  kn_live_begin_cell(f.live, "t", f.iopub, NULL);
  run(&f, "t", "demo sensors rate 100 | agg count() as n");
  kn_msg *m = next(&f, 3000);
  ASSERT(m);
  ASSERT_STR_EQ(m->msg_type, "display_data");
  ASSERT(json_object_get(json_object_get(m->content, "data"), "text/html"));
  kn_msg_free(&m);
  m = next(&f, 3000);
  ASSERT(m);
  ASSERT_STR_EQ(m->msg_type, "update_display_data");
  kn_msg_free(&m);
  ASSERT_EQ(rt_runtime_stop(f.rt, 0), 0);
  ASSERT_EQ(rt_runtime_wait_all(f.rt, 3000), 0);
  /* the final redraw says how it ended */
  const char *text = NULL;
  kn_msg *last = NULL;
  while ((m = next(&f, 300))) {
    kn_msg_free(&last);
    last = m;
  }
  ASSERT(last);
  text = json_string_value(json_object_get(json_object_get(last->content, "data"), "text/plain"));
  ASSERT(text && strstr(text, "stopped"));
  kn_msg_free(&last);
  fixture_stop(&f);
}

int main(void) {
  TEST_RUN(test_chart_redraws_throttled);
  TEST_RUN(test_table_and_end);
  return test_summary();
}
