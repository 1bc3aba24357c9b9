/* Unit tests for rt_result: owned rows, multi-key stable sort, top with
 * column or caller-computed keys, limit. */
#include "test.h"

#include "rt_result.h"

static rt_value str(const char *s) { return rt_string(s, strlen(s)); }

static rt_result *make(void) {
  const char *names[] = {"device_id", "avg_t", "n"};
  rt_result *res = rt_result_new(3, names);
  const char *devs[] = {"d3", "d1", "d2", "d1", "d4", "d5"};
  double avgs[] = {20, 35, 35, 10, NAN, 50};
  for (int i = 0; i < 6; i++) {
    char buf[8];
    snprintf(buf, sizeof(buf), "%s", devs[i]);
    rt_value row[3] = {str(buf), isnan(avgs[i]) ? rt_null() : rt_number(avgs[i]), rt_number(i)};
    rt_result_add_row(res, row);
    memset(buf, 'X', sizeof(buf)); /* the result holds its own copy */
  }
  return res;
}

static double n_at(const rt_result *res, size_t i) { return rt_result_get(res, i, 2).u.num; }

static void test_basics(void) {
  rt_result *res = make();
  ASSERT_EQ(rt_result_ncols(res), 3);
  ASSERT_EQ(rt_result_nrows(res), 6);
  ASSERT_STR_EQ(rt_result_col_name(res, 1), "avg_t");
  ASSERT_EQ(rt_result_col_index(res, "n"), 2);
  ASSERT_EQ(rt_result_col_index(res, "nope"), -1);
  rt_value v = rt_result_get(res, 0, 0);
  ASSERT(v.u.str.len == 2 && memcmp(v.u.str.ptr, "d3", 2) == 0);
  rt_result_set_window(res, 1000, 2000);
  ASSERT_EQ(rt_result_window_start(res), 1000);
  ASSERT_EQ(rt_result_window_end(res), 2000);
  rt_result_free(&res);
  ASSERT(res == NULL);
  rt_result_free(NULL);
}

static void test_top_desc_nulls_last(void) {
  rt_result *res = make();
  rt_result_top(res, 3, (rt_sort_key){1, NULL, true});
  ASSERT_EQ(rt_result_nrows(res), 3);
  ASSERT_NEAR(n_at(res, 0), 5, 0); /* 50 */
  ASSERT_NEAR(n_at(res, 1), 1, 0); /* 35, first of the tie */
  ASSERT_NEAR(n_at(res, 2), 2, 0); /* 35 */
  rt_result_free(&res);
  res = make();
  rt_result_top(res, 100, (rt_sort_key){1, NULL, false}); /* asc: null first */
  ASSERT_EQ(rt_result_nrows(res), 6);
  ASSERT_NEAR(n_at(res, 0), 4, 0);
  ASSERT_NEAR(n_at(res, 1), 3, 0);
  rt_result_free(&res);
}

static void test_sort_multi_key_and_values(void) {
  rt_result *res = make();
  rt_sort_key keys[] = {{0, NULL, false}, {1, NULL, true}};
  rt_result_sort(res, keys, 2);
  double want[] = {1, 3, 2, 0, 4, 5}; /* d1(35), d1(10), d2, d3, d4, d5 */
  for (int i = 0; i < 6; i++)
    ASSERT_NEAR(n_at(res, (size_t)i), want[i], 0);
  /* A caller-evaluated key per row (e.g. `sort -n`), indexed by row. */
  rt_value by[6];
  for (int i = 0; i < 6; i++)
    by[i] = rt_number(-n_at(res, (size_t)i));
  rt_result_sort(res, &(rt_sort_key){-1, by, false}, 1);
  for (int i = 0; i < 6; i++)
    ASSERT_NEAR(n_at(res, (size_t)i), 5 - i, 0);
  rt_result_limit(res, 2);
  ASSERT_EQ(rt_result_nrows(res), 2);
  rt_result_limit(res, 10);
  ASSERT_EQ(rt_result_nrows(res), 2);
  rt_result_free(&res);
}

static void test_empty_result(void) {
  rt_result *res = rt_result_new(0, NULL);
  rt_result_sort(res, NULL, 0);
  rt_result_top(res, 3, (rt_sort_key){0, NULL, true});
  ASSERT_EQ(rt_result_nrows(res), 0);
  rt_result_free(&res);
}

int main(void) {
  TEST_RUN(test_basics);
  TEST_RUN(test_top_desc_nulls_last);
  TEST_RUN(test_sort_multi_key_and_values);
  TEST_RUN(test_empty_result);
  return test_summary();
}
