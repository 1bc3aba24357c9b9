/* Unit tests for rt_hll: error under 2% from 1 to 1e6 distinct values,
 * sparse-to-dense conversion, merge and serialization. */
#include "test.h"

#include "rt_buf.h"
#include "rt_err.h"
#include "rt_hll.h"
#include "rt_value.h"

static uint64_t hash_of(uint64_t i) { return rt_value_hash(rt_number((double)i)); }

static double rel_err(double est, double truth) { return fabs(est - truth) / truth; }

static void test_empty_and_small_exactish(void) {
  rt_hll *h = rt_hll_new();
  ASSERT_NEAR(rt_hll_estimate(h), 0, 1e-9);
  for (int rep = 0; rep < 3; rep++) /* repeats must not count */
    for (uint64_t i = 0; i < 100; i++)
      rt_hll_add(h, hash_of(i));
  ASSERT(rt_hll_is_sparse(h));
  ASSERT_NEAR(rt_hll_estimate(h), 100, 0.5);
  ASSERT(rt_hll_memory(h) < 2048);
  rt_hll_free(&h);
  ASSERT(h == NULL);
}

static void check_distinct(uint64_t n, uint64_t offset) {
  rt_hll *h = rt_hll_new();
  for (uint64_t i = 0; i < n; i++)
    rt_hll_add(h, hash_of(offset + i));
  double err = rel_err(rt_hll_estimate(h), (double)n);
  fprintf(stderr, "   n=%llu estimate=%.0f err=%.3f%%\n", (unsigned long long)n,
          rt_hll_estimate(h), err * 100);
  ASSERT(err < 0.02);
  rt_hll_free(&h);
}

static void test_error_across_range(void) {
  uint64_t sizes[] = {10, 1000, 3000, 5000, 20000, 50000, 100000, 1000000};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
    check_distinct(sizes[i], i * 10000000ULL);
}

/* Strings hash through a different path than numbers. */
static void test_error_strings(void) {
  rt_hll *h = rt_hll_new();
  char buf[32];
  for (int i = 0; i < 100000; i++) {
    int len = snprintf(buf, sizeof(buf), "device-%d", i);
    rt_hll_add(h, rt_value_hash(rt_string(buf, (size_t)len)));
  }
  ASSERT(rel_err(rt_hll_estimate(h), 100000) < 0.02);
  rt_hll_free(&h);
}

static void test_merge_union(void) {
  /* 40 sketches with overlapping ranges: union is [0, 40*5000 + 5000). */
  rt_hll *all = rt_hll_new();
  for (int s = 0; s < 40; s++) {
    rt_hll *part = rt_hll_new();
    for (uint64_t i = 0; i < 10000; i++)
      rt_hll_add(part, hash_of((uint64_t)s * 5000 + i));
    rt_hll_merge(all, part);
    rt_hll_free(&part);
  }
  ASSERT(rel_err(rt_hll_estimate(all), 205000) < 0.02);
  /* Sparse into sparse stays sparse and exact-ish. */
  rt_hll *a = rt_hll_new(), *b = rt_hll_new();
  for (uint64_t i = 0; i < 300; i++) {
    rt_hll_add(a, hash_of(i));
    rt_hll_add(b, hash_of(i + 200));
  }
  rt_hll_merge(a, b);
  ASSERT(rt_hll_is_sparse(a));
  ASSERT_NEAR(rt_hll_estimate(a), 500, 1);
  rt_hll_merge(all, a); /* sparse into dense */
  rt_hll_merge(a, all); /* dense into sparse */
  ASSERT(!rt_hll_is_sparse(a));
  ASSERT_NEAR(rt_hll_estimate(a), rt_hll_estimate(all), 1e-6);
  rt_hll_free(&a);
  rt_hll_free(&b);
  rt_hll_free(&all);
}

static void roundtrip(rt_hll *h) {
  rt_buf buf;
  rt_buf_init(&buf, 0);
  ASSERT_EQ(rt_hll_serialize(h, &buf), 0);
  rt_hll *back = NULL;
  size_t used = 0;
  ASSERT_EQ(rt_hll_deserialize(buf.data, buf.len, &used, &back), 0);
  ASSERT_EQ(used, buf.len);
  ASSERT_NEAR(rt_hll_estimate(back), rt_hll_estimate(h), 1e-9);
  ASSERT_EQ(rt_hll_is_sparse(back), rt_hll_is_sparse(h));
  /* Truncated or corrupted input is rejected, not trusted. */
  ASSERT_EQ(rt_hll_deserialize(buf.data, buf.len - 1, &used, &back) == 0 ? 0 : 1, 1);
  buf.data[0] = 'X';
  rt_hll *bad = NULL;
  ASSERT_EQ(rt_hll_deserialize(buf.data, buf.len, &used, &bad), RT_EBADREC);
  rt_hll_free(&back);
  rt_buf_free(&buf);
}

static void test_serialize_roundtrip(void) {
  rt_hll *h = rt_hll_new();
  roundtrip(h);
  for (uint64_t i = 0; i < 1000; i++)
    rt_hll_add(h, hash_of(i));
  roundtrip(h);
  for (uint64_t i = 0; i < 100000; i++)
    rt_hll_add(h, hash_of(i));
  roundtrip(h);
  rt_hll *c = rt_hll_clone(h);
  ASSERT_NEAR(rt_hll_estimate(c), rt_hll_estimate(h), 1e-9);
  rt_hll_free(&c);
  rt_hll_free(&h);
}

int main(void) {
  TEST_RUN(test_empty_and_small_exactish);
  TEST_RUN(test_error_across_range);
  TEST_RUN(test_error_strings);
  TEST_RUN(test_merge_union);
  TEST_RUN(test_serialize_roundtrip);
  return test_summary();
}
