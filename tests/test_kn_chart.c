/*
 * kn_chart: query chart frames to plot specs. Frames are built by hand as
 * the runtime hands them over (columns x, y..., [by]); the specs are checked
 * field by field, and one of each kind is rendered to prove plotting takes it.
 */
#include "kn_chart.h"

#include "rt_mem.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fontconfig keeps its configuration for the life of the process (as
 * test_plot.c notes); that is not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\nleak:FcPattern\nleak:FcConfig\n";
}

static const char *const ys1[] = {"n"};
static const char *const ys2[] = {"n", "avg_t"};

static rt_output_desc desc_of(rt_chart_kind kind, const char *x, const char *const *ys, int ny,
                              const char *by, bool windowed) {
  return (rt_output_desc){.kind = RT_OUT_CHART, .table_limit = -1, .chart = kind,
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
  rt_output_desc d = desc_of(RT_CHART_LINE, "window_end", ys1, 1, NULL, true);
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
  rt_output_desc d = desc_of(RT_CHART_LINE, "window_end", ys1, 1, "device", true);
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
  rt_output_desc d = desc_of(RT_CHART_AREA, "window_end", ys2, 2, NULL, true);
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
  rt_output_desc d = desc_of(RT_CHART_BAR, "device", ys1, 1, NULL, false);
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
  rt_output_desc d = desc_of(RT_CHART_LINE, "x", ys1, 1, NULL, false);
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
  rt_output_desc d = desc_of(RT_CHART_SCATTER, "temperature", ys1, 1, NULL, false);
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

/* ---- many series: fold by what y is, stable set, stable colours -------- */

static const char *const devs12[] = {"d00", "d01", "d02", "d03", "d04", "d05",
                                     "d06", "d07", "d08", "d09", "d10", "d11"};

/* One window of 12 devices: y[k] = base[k] (or k-based when base is NULL). */
static void add_window12(kn_chart *c, int64_t end, const double *y) {
  rt_value x[12];
  for (size_t i = 0; i < 12; i++)
    x[i] = rt_time(end);
  rt_result *f = frame(1, true, 12, x, y, devs12);
  rt_update u = {.kind = RT_RESULT_WINDOW, .result = f, .chart = f,
                 .window_start = end - 1000, .window_end = end};
  kn_chart_add(c, &u);
  rt_result_free(&f);
}

/* Writes the chart to $EDDY_CHART_PNG_DIR/name.png when that is set, to look at. */
static void maybe_save(const plot_spec *s, const char *name) {
  const char *dir = getenv("EDDY_CHART_PNG_DIR");
  if (!dir)
    return;
  plot_png png = {0};
  ASSERT_EQ(plot_render_png_once(s, &png, NULL), PLOT_OK);
  char path[512];
  snprintf(path, sizeof(path), "%s/%s.png", dir, name);
  FILE *f = fopen(path, "wb");
  ASSERT(f != NULL);
  ASSERT_EQ(fwrite(png.data, 1, png.len, f), png.len);
  fclose(f);
  plot_png_free(&png);
}

static bool spec_has(const plot_spec *s, size_t first_n, const char *name) {
  for (size_t i = 0; i < first_n && i < s->n_series; i++)
    if (strcmp(s->series[i].name, name) == 0)
      return true;
  return false;
}

static int color_of_series(const plot_spec *s, const char *name) {
  for (size_t i = 0; i < s->n_series; i++)
    if (strcmp(s->series[i].name, name) == 0)
      return s->series[i].color;
  return -1;
}

static const char *const y_avg[] = {"avg_t"};

static void test_fold_averages_drops(void) {
  static const bool not_additive[] = {false};
  rt_output_desc d = desc_of(RT_CHART_LINE, "window_end", y_avg, 1, "device", true);
  d.y_additive = not_additive;
  kn_chart *c = kn_chart_new(&d, 0);
  for (int w = 0; w < 20; w++) {
    double y[12];
    for (int k = 0; k < 12; k++)
      y[k] = 20 + k + 0.5 * sin(w + k);
    add_window12(c, 1700000000000LL + w * 1000, y);
  }
  plot_spec s;
  kn_chart_spec(c, "12 devices, avg", &s);
  ASSERT_EQ(s.fold, PLOT_FOLD_DROP);
  ASSERT_EQ(s.max_series, 8);
  ASSERT_EQ(s.n_series, 12);
  for (int k = 4; k < 12; k++) /* the 8 warmest are drawn */
    ASSERT(spec_has(&s, 8, devs12[k]));
  render_ok(&s);
  maybe_save(&s, "kn_chart_avg12");
  kn_chart_free(&c);
  /* a desc without flags (no aggregates known) must not sum either */
  d.y_additive = NULL;
  c = kn_chart_new(&d, 0);
  add_window12(c, 1700000000000LL, (const double[12]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  kn_chart_spec(c, NULL, &s);
  ASSERT_EQ(s.fold, PLOT_FOLD_DROP);
  kn_chart_free(&c);
}

static void test_fold_counts_sums(void) {
  static const bool additive[] = {true};
  rt_output_desc d = desc_of(RT_CHART_LINE, "window_end", ys1, 1, "device", true);
  d.y_additive = additive;
  kn_chart *c = kn_chart_new(&d, 0);
  for (int w = 0; w < 20; w++) {
    double y[12];
    for (int k = 0; k < 12; k++)
      y[k] = 100 + 10 * k + 5 * sin(w + k);
    add_window12(c, 1700000000000LL + w * 1000, y);
  }
  plot_spec s;
  kn_chart_spec(c, "12 devices, count", &s);
  ASSERT_EQ(s.fold, PLOT_FOLD_SUM);
  ASSERT_EQ(s.max_series, 8);
  for (int k = 0; k < 7; k++) /* order of appearance; the rest in "other" */
    ASSERT_STR_EQ(s.series[k].name, devs12[k]);
  render_ok(&s);
  maybe_save(&s, "kn_chart_count12");
  kn_chart_free(&c);
}

static void test_shown_set_is_stable(void) {
  static const bool not_additive[] = {false};
  rt_output_desc d = desc_of(RT_CHART_LINE, "window_end", y_avg, 1, "device", true);
  d.y_additive = not_additive;
  kn_chart *c = kn_chart_new(&d, 3); /* a short ring: means follow the data */
  double y[12];
  for (int k = 0; k < 12; k++)
    y[k] = 10 + k; /* d04..d11 on top, d03 at 13 just below d04 at 14 */
  add_window12(c, 1700000000000LL, y);
  plot_spec s;
  kn_chart_spec(c, NULL, &s);
  ASSERT(spec_has(&s, 8, "d04") && !spec_has(&s, 8, "d03"));
  /* d03 and d04 trade places by a hair, redraw after redraw: no flicker */
  for (int w = 1; w < 8; w++) {
    y[3] = w % 2 ? 14.2 : 13.8;
    y[4] = w % 2 ? 13.8 : 14.2;
    add_window12(c, 1700000000000LL + w * 1000, y);
    kn_chart_spec(c, NULL, &s);
    ASSERT(spec_has(&s, 8, "d04") && !spec_has(&s, 8, "d03"));
  }
  /* a clear winner gets in, in place of the weakest */
  for (int w = 8; w < 12; w++) {
    y[3] = 40;
    add_window12(c, 1700000000000LL + w * 1000, y);
  }
  kn_chart_spec(c, NULL, &s);
  ASSERT(spec_has(&s, 8, "d03") && !spec_has(&s, 8, "d04"));
  kn_chart_free(&c);
}

/* One window with the given devices, each at y = 1. */
static void add_devs(kn_chart *c, int64_t end, size_t n, const char *const *devs) {
  rt_value x[8];
  double y[8];
  for (size_t i = 0; i < n; i++) {
    x[i] = rt_time(end);
    y[i] = 1;
  }
  rt_result *f = frame(1, true, n, x, y, devs);
  rt_update u = {.kind = RT_RESULT_WINDOW, .result = f, .chart = f,
                 .window_start = end - 1000, .window_end = end};
  kn_chart_add(c, &u);
  rt_result_free(&f);
}

static void test_colors_are_stable(void) {
  rt_output_desc d = desc_of(RT_CHART_LINE, "window_end", ys1, 1, "device", true);
  kn_chart *c = kn_chart_new(&d, 2);
  add_devs(c, 1000, 1, (const char *const[]){"c"});
  add_devs(c, 2000, 3, (const char *const[]){"a", "b", "c"});
  plot_spec s;
  kn_chart_spec(c, NULL, &s);
  ASSERT_STR_EQ(s.series[0].name, "c"); /* order of first appearance */
  int ca = color_of_series(&s, "a"), cb = color_of_series(&s, "b"),
      cc = color_of_series(&s, "c");
  ASSERT(ca > 0 && cb > 0 && cc > 0 && ca != cb && cb != cc && ca != cc);
  /* the window with only c falls out: a comes first now, colours stay */
  add_devs(c, 3000, 2, (const char *const[]){"a", "b"});
  kn_chart_spec(c, NULL, &s);
  ASSERT_STR_EQ(s.series[0].name, "a");
  ASSERT_EQ(color_of_series(&s, "a"), ca);
  ASSERT_EQ(color_of_series(&s, "b"), cb);
  ASSERT_EQ(color_of_series(&s, "c"), cc);
  /* a newcomer takes a free colour, not one a drawn series holds; c, gone,
   * gave its colour up */
  add_devs(c, 4000, 3, (const char *const[]){"n", "b", "a"});
  kn_chart_spec(c, NULL, &s);
  int cn = color_of_series(&s, "n");
  ASSERT_EQ(color_of_series(&s, "a"), ca);
  ASSERT_EQ(color_of_series(&s, "b"), cb);
  ASSERT_EQ(color_of_series(&s, "c"), -1);
  ASSERT(cn > 0 && cn != ca && cn != cb);
  ASSERT_EQ(cn, cc); /* the first free one */
  kn_chart_free(&c);
}

static void test_partial_windows_are_not_drawn(void) {
  rt_output_desc d = desc_of(RT_CHART_LINE, "window_end", ys1, 1, NULL, true);
  kn_chart *c = kn_chart_new(&d, 0);
  double y[] = {50};
  add_window(c, 1000, 1, y, 1, NULL);
  add_window(c, 2000, 1, y, 1, NULL);
  rt_value x[] = {rt_time(3000)};
  double low[] = {3};
  rt_result *f = frame(1, false, 1, x, low, NULL);
  rt_update u = {.kind = RT_RESULT_WINDOW, .result = f, .chart = f, .window_start = 2000,
                 .window_end = 3000, .final = true, .partial = true};
  ASSERT(!kn_chart_add(c, &u));
  rt_result_free(&f);
  ASSERT_EQ(kn_chart_len(c), 2);
  plot_spec s;
  kn_chart_spec(c, NULL, &s);
  ASSERT_EQ(s.series[0].n, 2);
  ASSERT_NEAR(s.series[0].y[1], 50, 0);
  kn_chart_free(&c);
}

static void test_kinds(void) {
  ASSERT_EQ(kn_chart_plot_kind(RT_CHART_LINE), PLOT_LINE);
  ASSERT_EQ(kn_chart_plot_kind(RT_CHART_AREA), PLOT_AREA);
  ASSERT_EQ(kn_chart_plot_kind(RT_CHART_BAR), PLOT_BAR);
  ASSERT_EQ(kn_chart_plot_kind(RT_CHART_SCATTER), PLOT_SCATTER);
}

int main(void) {
  TEST_RUN(test_waiting);
  TEST_RUN(test_windows_by);
  TEST_RUN(test_ring_bound_and_late);
  TEST_RUN(test_categorical_running);
  TEST_RUN(test_kpi);
  TEST_RUN(test_point_cap);
  TEST_RUN(test_kinds);
  TEST_RUN(test_fold_averages_drops);
  TEST_RUN(test_fold_counts_sums);
  TEST_RUN(test_shown_set_is_stable);
  TEST_RUN(test_colors_are_stable);
  TEST_RUN(test_partial_windows_are_not_drawn);
  return test_summary();
}
