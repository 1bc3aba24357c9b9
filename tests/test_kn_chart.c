/*
 * kn_chart: query chart frames to plot specs. Frames are built by hand as
 * the runtime hands them over (columns x, y..., [by]); the specs are checked
 * field by field, and one of each kind is rendered to prove plotting takes it.
 */
#include "kn_chart.h"

#include "rt_mem.h"
#include "test.h"

#include <math.h>
#include <string.h>

/* Fontconfig keeps its configuration for the life of the process (as
 * test_plot.c notes); that is not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\nleak:FcPattern\nleak:FcConfig\n";
}

static const char *const ys1[] = {"n"};
static const char *const ys2[] = {"n", "avg_t"};

static rt_output_desc desc_of(dsl_chart_kind kind, const char *x, const char *const *ys, int ny,
                              const char *by, bool windowed) {
  return (rt_output_desc){.kind = DSL_OUT_CHART, .table_limit = -1, .chart = kind,
                          .title = "t", .x_name = x, .y_names = ys, .ny = ny,
                          .by_name = by, .windowed = windowed, .running = !windowed};
}

/* A frame result: x, y (and y2), [by]; rows given as parallel arrays. */
static rt_result *frame(int ny, bool by, size_t n, const rt_value *x, const double *y,
                        const char *const *byv) {
  const char *names[4] = {"x", "y", "y2", "by"};
  int nc = 1 + ny + (by ? 1 : 0);
  if (by)
    names[1 + ny] = "by";
  rt_result *r = rt_result_new(nc, names);
  for (size_t i = 0; i < n; i++) {
    rt_value row[4];
    row[0] = x[i];
    for (int j = 0; j < ny; j++)
      row[1 + j] = rt_number(y[i * (size_t)ny + (size_t)j]);
    if (by)
      row[1 + ny] = rt_string(byv[i], strlen(byv[i]));
    rt_result_add_row(r, row);
  }
  return r;
}

static void add_window(kn_chart *c, int64_t end, size_t n, const double *y, int ny,
                       const char *const *byv) {
  rt_value x[8];
  for (size_t i = 0; i < n; i++)
    x[i] = rt_time(end);
  rt_result *f = frame(ny, byv != NULL, n, x, y, byv);
  rt_update u = {.kind = RT_RESULT_WINDOW, .result = f, .chart = f,
                 .window_start = end - 1000, .window_end = end};
  kn_chart_add(c, &u);
  rt_result_free(&f);
}

static void render_ok(const plot_spec *s) {
  plot_png png = {0};
  plot_err e;
  ASSERT_EQ(plot_render_png_once(s, &png, &e), PLOT_OK);
  ASSERT(png.len > 8 && memcmp(png.data, "\x89PNG", 4) == 0);
  ASSERT_EQ(png.width, 800);
  ASSERT_EQ(png.px_width, 1600);
  plot_png_free(&png);
}

static void test_waiting(void) {
  rt_output_desc d = desc_of(DSL_CHART_LINE, "window_end", ys1, 1, NULL, true);
  kn_chart *c = kn_chart_new(&d, 0);
  plot_spec s;
  kn_chart_spec(c, "footer", &s);
  ASSERT_EQ(s.n_series, 0);
  ASSERT_EQ(s.kind, PLOT_LINE);
  ASSERT_STR_EQ(s.footer, "footer");
  ASSERT_STR_EQ(s.title, "t");
  render_ok(&s);
  rt_buf b;
  rt_buf_init(&b, 0);
  ASSERT_EQ(kn_chart_summary(c, &b), 0);
  ASSERT(strstr(b.data, "waiting for data"));
  rt_buf_free(&b);
  kn_chart_free(&c);
  ASSERT(c == NULL);
  kn_chart_free(&c);
}

static void test_windows_by(void) {
  rt_output_desc d = desc_of(DSL_CHART_LINE, "window_end", ys1, 1, "device", true);
  kn_chart *c = kn_chart_new(&d, 0);
  static const char *const by[] = {"a", "b"};
  for (int w = 3; w >= 1; w--) { /* out of order: series are sorted by x */
    double y[] = {w, 10.0 * w};
    add_window(c, 1700000000000LL + w * 1000, 2, y, 1, by);
  }
  ASSERT_EQ(kn_chart_len(c), 3);
  ASSERT_EQ(kn_chart_points(c), 6);
  plot_spec s;
  kn_chart_spec(c, NULL, &s);
  ASSERT_EQ(s.kind, PLOT_LINE);
  ASSERT_EQ(s.x.kind, PLOT_AXIS_TIME);
  ASSERT_EQ(s.n_series, 2);
  ASSERT_STR_EQ(s.series[0].name, "a");
  ASSERT_STR_EQ(s.series[1].name, "b");
  ASSERT_EQ(s.series[1].n, 3);
  ASSERT_NEAR(s.series[1].x[0], 1700000001000.0, 0);
  ASSERT_NEAR(s.series[1].y[0], 10, 0);
  ASSERT_NEAR(s.series[1].y[2], 30, 0);
  ASSERT_STR_EQ(s.x.label, "window_end");
  ASSERT_STR_EQ(s.y_label, "n");
  render_ok(&s);
  kn_chart_free(&c);
}

static void test_ring_bound_and_late(void) {
  rt_output_desc d = desc_of(DSL_CHART_AREA, "window_end", ys2, 2, NULL, true);
  kn_chart *c = kn_chart_new(&d, 5);
  for (int w = 0; w < 20; w++) {
    double y[] = {w, -w};
    add_window(c, 1000LL * w, 1, y, 2, NULL);
  }
  ASSERT_EQ(kn_chart_len(c), 5);
  ASSERT_EQ(kn_chart_points(c), 5);
  double late[] = {99, 98}; /* window 17 again: replaced, not appended */
  add_window(c, 17000, 1, late, 2, NULL);
  ASSERT_EQ(kn_chart_len(c), 5);
  plot_spec s;
  kn_chart_spec(c, NULL, &s);
  ASSERT_EQ(s.kind, PLOT_AREA);
  ASSERT_EQ(s.n_series, 2);
  ASSERT_STR_EQ(s.series[0].name, "n");
  ASSERT_STR_EQ(s.series[1].name, "avg_t");
  ASSERT(s.y_label == NULL);
  ASSERT_EQ(s.series[0].n, 5);
  ASSERT_NEAR(s.series[0].x[0], 15000, 0);
  ASSERT_NEAR(s.series[0].y[2], 99, 0);
  ASSERT_NEAR(s.series[1].y[2], 98, 0);
  render_ok(&s);
  kn_chart_free(&c);
}

static void test_categorical_running(void) {
  rt_output_desc d = desc_of(DSL_CHART_BAR, "device", ys1, 1, NULL, false);
  kn_chart *c = kn_chart_new(&d, 0);
  for (int k = 1; k <= 3; k++) {
    rt_value x[] = {rt_string("d1", 2), rt_string("d2", 2), rt_string("d3", 2)};
    double y[] = {k, 2.0 * k, 3.0 * k};
    rt_result *f = frame(1, false, 3, x, y, NULL);
    rt_update u = {.kind = RT_RESULT_RUNNING, .result = f, .chart = f};
    kn_chart_add(c, &u);
    rt_result_free(&f);
  }
  ASSERT_EQ(kn_chart_len(c), 1); /* running totals replace */
  plot_spec s;
  kn_chart_spec(c, NULL, &s);
  ASSERT_EQ(s.kind, PLOT_BAR);
  ASSERT_EQ(s.n_labels, 3);
  ASSERT_STR_EQ(s.labels[1], "d2");
  ASSERT_EQ(s.n_series, 1);
  ASSERT_NEAR(s.series[0].x[2], 2, 0);
  ASSERT_NEAR(s.series[0].y[2], 9, 0);
  render_ok(&s);
  rt_buf b;
  rt_buf_init(&b, 0);
  ASSERT_EQ(kn_chart_summary(c, &b), 0);
  ASSERT(strstr(b.data, "bar chart \"t\""));
  ASSERT(strstr(b.data, "d3"));
  rt_buf_free(&b);
  kn_chart_free(&c);
}

static void test_kpi(void) {
  rt_output_desc d = desc_of(DSL_CHART_LINE, "x", ys1, 1, NULL, false);
  d.title = NULL;
  kn_chart *c = kn_chart_new(&d, 0);
  for (int k = 1; k <= 4; k++) {
    rt_value x[] = {rt_number(0)};
    double y[] = {k * 10.0};
    rt_result *f = frame(1, false, 1, x, y, NULL);
    rt_update u = {.kind = RT_RESULT_RUNNING, .result = f, .chart = f};
    kn_chart_add(c, &u);
    rt_result_free(&f);
  }
  plot_spec s;
  kn_chart_spec(c, "f", &s);
  ASSERT_EQ(s.kind, PLOT_KPI);
  ASSERT_NEAR(s.kpi.value, 40, 0);
  ASSERT_NEAR(s.kpi.delta, 10, 0);
  ASSERT_STR_EQ(s.title, "n");
  ASSERT_EQ(s.n_series, 1);
  ASSERT_EQ(s.series[0].n, 4);
  render_ok(&s);
  kn_chart_free(&c);
}

static void test_point_cap(void) {
  rt_output_desc d = desc_of(DSL_CHART_SCATTER, "temperature", ys1, 1, NULL, false);
  d.running = false;
  kn_chart *c = kn_chart_new(&d, 1000);
  enum { N = 9000 };
  rt_value *x = rt_xmalloc(N * sizeof(*x));
  double *y = rt_xmalloc(N * sizeof(*y));
  for (int i = 0; i < N; i++) {
    x[i] = rt_number(i);
    y[i] = i % 17;
  }
  rt_result *f = frame(1, false, N, x, y, NULL);
  for (int k = 0; k < 30; k++) {
    rt_update u = {.kind = RT_RESULT_RECORDS, .result = f, .chart = f};
    kn_chart_add(c, &u);
    ASSERT(kn_chart_points(c) <= KN_CHART_MAX_POINTS);
  }
  ASSERT_EQ(kn_chart_len(c), KN_CHART_MAX_POINTS / N);
  plot_spec s;
  kn_chart_spec(c, NULL, &s);
  ASSERT_EQ(s.kind, PLOT_SCATTER);
  ASSERT_EQ(s.x.kind, PLOT_AXIS_NUMERIC);
  ASSERT_EQ(s.series[0].n, kn_chart_points(c));
  render_ok(&s);
  rt_buf b;
  rt_buf_init(&b, 0);
  ASSERT_EQ(kn_chart_summary(c, &b), 0);
  ASSERT(strstr(b.data, "more rows"));
  rt_buf_free(&b);
  rt_result_free(&f);
  rt_free(x);
  rt_free(y);
  kn_chart_free(&c);
}

static void test_kinds(void) {
  ASSERT_EQ(kn_chart_plot_kind(DSL_CHART_LINE), PLOT_LINE);
  ASSERT_EQ(kn_chart_plot_kind(DSL_CHART_AREA), PLOT_AREA);
  ASSERT_EQ(kn_chart_plot_kind(DSL_CHART_BAR), PLOT_BAR);
  ASSERT_EQ(kn_chart_plot_kind(DSL_CHART_SCATTER), PLOT_SCATTER);
}

int main(void) {
  TEST_RUN(test_waiting);
  TEST_RUN(test_windows_by);
  TEST_RUN(test_ring_bound_and_late);
  TEST_RUN(test_categorical_running);
  TEST_RUN(test_kpi);
  TEST_RUN(test_point_cap);
  TEST_RUN(test_kinds);
  return test_summary();
}
