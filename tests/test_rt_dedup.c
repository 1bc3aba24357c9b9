/* Unit tests for rt_dedup: duplicates within D dropped, kept again after D,
 * memory bounded by expiry and by the key cap, remember-forever mode. */
#include "test.h"

#include "rt_dedup.h"

static bool check(rt_dedup *d, int key, int64_t t) {
  return rt_dedup_check(d, rt_number(key), t);
}

static void test_within(void) {
  rt_dedup *d = rt_dedup_new(1000, 0);
  ASSERT(check(d, 1, 0));
  ASSERT(!check(d, 1, 999));
  ASSERT(check(d, 2, 500));
  ASSERT(check(d, 1, 1000)); /* D after it was kept */
  ASSERT(!check(d, 2, 1499));
  ASSERT(!check(d, 1, 1500));
  ASSERT(check(d, 2, 1500));
  ASSERT(rt_dedup_check(d, rt_string("1", 1), 1600)); /* "1" is not 1 */
  ASSERT(!rt_dedup_check(d, rt_time(1), 1700));      /* but time 1 is */
  rt_dedup_free(&d);
  ASSERT(d == NULL);
  rt_dedup_free(NULL);
}

/* Against brute force over a random stream with out-of-order times. */
static void test_brute_force_and_bounded(void) {
  enum { N = 200000, KEYS = 5000, D = 10000 };
  rt_dedup *d = rt_dedup_new(D, 0);
  static int64_t kept_at[KEYS];
  for (int k = 0; k < KEYS; k++)
    kept_at[k] = INT64_MIN;
  uint64_t s = 99;
  size_t max_size = 0;
  for (int i = 0; i < N; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    int k = (int)(s % KEYS);
    int64_t t = (int64_t)i; /* 1 record per ms */
    bool want = kept_at[k] == INT64_MIN || t - kept_at[k] >= D;
    ASSERT_EQ(check(d, k, t), want);
    if (want)
      kept_at[k] = t;
    if (rt_dedup_size(d) > max_size)
      max_size = rt_dedup_size(d);
  }
  ASSERT(max_size <= D + 1); /* at most one key kept per ms within D */
  rt_dedup_free(&d);
}

static void test_forever_with_cap(void) {
  rt_dedup *d = rt_dedup_new(0, 100);
  for (int i = 0; i < 1000; i++)
    ASSERT(check(d, i, i));
  ASSERT_EQ(rt_dedup_size(d), 100);
  ASSERT(!check(d, 999, 5000)); /* recent keys are still remembered */
  ASSERT(check(d, 0, 5000));    /* the oldest were evicted */
  rt_dedup_free(&d);
}

int main(void) {
  TEST_RUN(test_within);
  TEST_RUN(test_brute_force_and_bounded);
  TEST_RUN(test_forever_with_cap);
  return test_summary();
}
