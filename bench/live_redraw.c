/*
 * The kernel's cost of one live redraw: a window result arrives (on_update),
 * kn_chart folds it into the ring and builds the spec, plotting renders and
 * encodes the PNG, kn_live base64s it into an update_display_data, and the
 * publisher thread signs it and sends it on a real XPUB socket to a SUB
 * socket over ipc. The fake query is a 1 s tumbling window, `agg count() by
 * device` over 8 devices, drawn as a line chart whose ring is full (120
 * windows, 960 points), i.e. what a long-running live chart redraws every
 * refresh.
 *
 * Reports median and p99 of (a) the on_update call (fold + render + encode +
 * hand-over), the time a query thread spends per redraw, (b) from the
 * update to the signed message arriving at the subscriber, and (c) the
 * chart alone (kn_chart_spec + plot_render_png, same ring, renderer reused),
 * so (a) - (c) is the kernel's own share (base64, JSON, hand-over).
 *
 *   ./live_redraw [redraws]       (default 300)
 */
#include "kn_chart.h"
#include "kn_iopub.h"
#include "kn_live.h"
#include "kn_session.h"
#include "kn_wire.h"
#include "rt_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* Fontconfig keeps its configuration for the life of the process. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\nleak:FcPattern\nleak:FcConfig\n";
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void report(const char *what, int64_t *ns, int n) {
  qsort(ns, (size_t)n, sizeof(*ns), cmp_i64);
  printf("%-44s median %7.2f ms   p99 %7.2f ms   max %7.2f ms\n", what, ns[n / 2] / 1e6,
         ns[(n * 99) / 100] / 1e6, ns[n - 1] / 1e6);
}

/* Receives one message; returns its msg_type length or -1 on timeout. */
static int recv_one(void *sub, const kn_signer *signer, char *type, size_t typesz) {
  zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, 5000) != 1)
    return -1;
  kn_msg *m = NULL;
  rt_err err;
  if (kn_wire_recv(sub, signer, 64 << 20, &m, &err) < 0 || !m)
    return -1;
  snprintf(type, typesz, "%s", m->msg_type);
  kn_msg_free(&m);
  return 0;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 300;
  if (n < 10)
    n = 10;
  char path[128], url[160];
  snprintf(path, sizeof(path), "/tmp/eddy-live-bench-%d", (int)getpid());
  snprintf(url, sizeof(url), "ipc://%s", path);
  void *ctx = zmq_ctx_new();
  kn_session *session = kn_session_new();
  kn_signer *signer = NULL;
  rt_err err;
  if (kn_signer_new("hmac-sha256", "bench-key", 9, &signer, &err) < 0)
    return 1;
  void *pub = zmq_socket(ctx, ZMQ_XPUB);
  zmq_bind(pub, url);
  kn_iopub *iopub = NULL;
  if (kn_iopub_start(ctx, &pub, session, signer, &iopub, &err) < 0)
    return 1;
  void *sub = zmq_socket(ctx, ZMQ_SUB);
  zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
  zmq_connect(sub, url);
  char type[64];
  recv_one(sub, signer, type, sizeof(type)); /* status: starting */

  static const char *const ys[] = {"n"};
  static const char *const cols[] = {"window_start", "window_end", "device", "n"};
  rt_output_desc desc = {.kind = RT_OUT_CHART, .table_limit = -1, .chart = RT_CHART_LINE,
                         .title = "records per device", .x_name = "window_end", .y_names = ys,
                         .ny = 1, .by_name = "device", .ncols = 4, .cols = cols,
                         .windowed = true};
  rt_query_info q = {.id = 1, .cell = "bench", .index = 0, .text = "bench",
                     .source = "demo sensors", .output = &desc};
  kn_live *live = kn_live_new();
  kn_live_set_refresh(live, 1);
  static const char parent[] = "{\"msg_id\":\"bench\",\"msg_type\":\"execute_request\"}";
  kn_frame pf = {(char *)parent, sizeof(parent) - 1};
  kn_live_begin_cell(live, "bench", iopub, &pf);
  const rt_output_ops *ops = kn_live_ops();
  ops->on_start(live, &q);
  recv_one(sub, signer, type, sizeof(type)); /* display_data */

  static const char *const fcols[] = {"window_end", "n", "device"};
  int warm = 120, total = warm + n;
  int64_t *call = calloc((size_t)n, sizeof(int64_t)), *e2e = calloc((size_t)n, sizeof(int64_t));
  int64_t t0ms = 1763633100000LL;
  for (int w = 0; w < total; w++) {
    rt_result *frame = rt_result_new(3, fcols);
    for (int dev = 0; dev < 8; dev++) {
      char name[8];
      snprintf(name, sizeof(name), "d%d", dev);
      rt_value row[3] = {rt_time(t0ms + w * 1000LL),
                         rt_number(100 + 20 * dev + (w * 7 + dev * 13) % 30),
                         rt_string(name, strlen(name))};
      rt_result_add_row(frame, row);
    }
    rt_update u = {.kind = RT_RESULT_WINDOW, .result = frame, .chart = frame,
                   .window_start = t0ms + (w - 1) * 1000LL, .window_end = t0ms + w * 1000LL,
                   .seq = (uint64_t)w + 1};
    struct timespec pause = {0, 1100000}; /* past the 1 ms refresh */
    nanosleep(&pause, NULL);
    int64_t a = rt_mono_ns();
    ops->on_update(live, &q, &u);
    int64_t b = rt_mono_ns();
    if (recv_one(sub, signer, type, sizeof(type)) < 0 ||
        strcmp(type, "update_display_data") != 0) {
      fprintf(stderr, "window %d: no update_display_data\n", w);
      return 1;
    }
    int64_t c = rt_mono_ns();
    if (w >= warm) {
      call[w - warm] = b - a;
      e2e[w - warm] = c - a;
    }
    rt_result_free(&frame);
  }
  rt_query_stats st = {.state = RT_QUERY_STOPPED};
  ops->on_end(live, &q, &st, NULL);
  recv_one(sub, signer, type, sizeof(type));
  /* (c): the chart alone, on the same data */
  kn_chart *chart = kn_chart_new(&desc, 0);
  for (int w = 0; w < 120; w++) {
    rt_result *frame = rt_result_new(3, fcols);
    for (int dev = 0; dev < 8; dev++) {
      char name[8];
      snprintf(name, sizeof(name), "d%d", dev);
      rt_value row[3] = {rt_time(t0ms + w * 1000LL), rt_number(100 + 20 * dev + (w * 7) % 30),
                         rt_string(name, strlen(name))};
      rt_result_add_row(frame, row);
    }
    rt_update u = {.kind = RT_RESULT_WINDOW, .result = frame, .chart = frame,
                   .window_start = t0ms + (w - 1) * 1000LL, .window_end = t0ms + w * 1000LL};
    kn_chart_add(chart, &u);
    rt_result_free(&frame);
  }
  plot_renderer *r = plot_renderer_new();
  int64_t *only = calloc((size_t)n, sizeof(int64_t));
  size_t png_bytes = 0;
  for (int i = 0; i < n; i++) {
    int64_t a = rt_mono_ns();
    plot_spec spec;
    kn_chart_spec(chart, "query 1 \xc2\xb7 200 rec/s", &spec);
    plot_png png;
    plot_render_png(r, &spec, &png, NULL);
    only[i] = rt_mono_ns() - a;
    png_bytes = png.len;
    plot_png_free(&png);
  }
  plot_renderer_free(&r);
  kn_chart_free(&chart);
  kn_live_stats ls;
  kn_live_get_stats(live, &ls);
  printf("live redraw: line chart, 8 series x 120 windows (ring full), 800x400 @2x, %d redraws\n",
         n);
  report("on_update (fold+spec+render+PNG+base64+JSON)", call, n);
  report("update -> signed message at subscriber", e2e, n);
  report("chart alone (spec + render + PNG encode)", only, n);
  printf("PNG %zu bytes (%zu base64)\n", png_bytes, (png_bytes + 2) / 3 * 4);
  printf("redraws %llu, render errors %llu\n", (unsigned long long)ls.redraws,
         (unsigned long long)ls.render_errors);
  kn_live_free(&live);
  kn_iopub_stop(&iopub);
  zmq_close(sub);
  zmq_ctx_term(ctx);
  kn_signer_free(&signer);
  kn_session_free(&session);
  unlink(path);
  free(call);
  free(e2e);
  free(only);
  return 0;
}
