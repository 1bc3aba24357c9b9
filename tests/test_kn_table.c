/* Tests of the live table display (kn_table): it keeps the latest window
 * (or the last N records), and its HTML escapes every text. */
#include "kn_table.h"
#include "rt_value.h"
#include "test.h"

static rt_result *make(int64_t start, const char *dev, double v) {
  static const char *const cols[] = {"window_start", "device_id", "v"};
  rt_result *r = rt_result_new(3, cols);
  rt_result_set_window(r, start, start + 10000);
  rt_value row[3] = {rt_time(start), rt_string(dev, strlen(dev)), rt_number(v)};
  rt_result_add_row(r, row);
  return r;
}

static void test_html_escapes(void) {
  rt_result *r = make(1795168800000, "<b>&", 2.5);
  rt_buf h;
  rt_buf_init(&h, 0);
  ASSERT_EQ(kn_table_html(r, 0, &h), 0);
  ASSERT(strstr(h.data, "<td>&lt;b&gt;&amp;</td>"));
  ASSERT(strstr(h.data, "<th>window_start</th>"));
  ASSERT(strstr(h.data, "<td style=\"text-align:right\">2.5</td>"));
  rt_buf_free(&h);
  rt_result_free(&r);
}

static void test_html_cuts_rows(void) {
  static const char *const cols[] = {"n"};
  rt_result *r = rt_result_new(1, cols);
  for (int i = 0; i < 5; i++) {
    rt_value v = rt_number(i);
    rt_result_add_row(r, &v);
  }
  rt_buf h;
  rt_buf_init(&h, 0);
  ASSERT_EQ(kn_table_html(r, 3, &h), 0);
  ASSERT(strstr(h.data, "... 2 more rows"));
  rt_buf_free(&h);
  rt_result_free(&r);
}

static void test_table_keeps_latest_window(void) {
  rt_output_desc d = {.kind = RT_OUT_TABLE, .table_limit = -1, .windowed = true};
  kn_table *ts = kn_table_new(&d);
  rt_result *a = make(1795168810000, "a", 1), *b = make(1795168800000, "b", 2);
  rt_update u = {.kind = RT_RESULT_WINDOW, .result = a};
  kn_table_update(ts, &u);
  u.result = b; /* an older window arriving later does not replace it */
  kn_table_update(ts, &u);
  rt_buf t;
  rt_buf_init(&t, 0);
  kn_table_render(ts, false, &t);
  ASSERT(strstr(t.data, "window 2026-11-20T10:00:10.000Z - 2026-11-20T10:00:20.000Z"));
  ASSERT(strstr(t.data, "  a  "));
  rt_buf_free(&t);
  rt_result_free(&a);
  rt_result_free(&b);
  kn_table_free(&ts);
  ASSERT(ts == NULL);
}

static void test_table_record_tail(void) {
  rt_output_desc d = {.kind = RT_OUT_TABLE, .table_limit = 2};
  kn_table *ts = kn_table_new(&d);
  for (int i = 0; i < 5; i++) {
    char dev[8];
    snprintf(dev, sizeof(dev), "d%d", i);
    rt_result *r = make(0, dev, i);
    rt_update u = {.kind = RT_RESULT_RECORDS, .result = r};
    kn_table_update(ts, &u);
    rt_result_free(&r);
  }
  rt_buf t;
  rt_buf_init(&t, 0);
  kn_table_render(ts, false, &t);
  ASSERT(strstr(t.data, "d3") && strstr(t.data, "d4") && !strstr(t.data, "d2"));
  rt_buf_free(&t);
  kn_table_free(&ts);
}

int main(void) {
  TEST_RUN(test_html_escapes);
  TEST_RUN(test_html_cuts_rows);
  TEST_RUN(test_table_keeps_latest_window);
  TEST_RUN(test_table_record_tail);
  return test_summary();
}
