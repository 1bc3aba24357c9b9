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
  ASSERT(max_size <= 2 * D + 1); /* keys live 2D, at most one kept per ms */
  rt_dedup_free(&d);
}

/* Event times up to D behind the newest are judged exactly: the case of a
 * key kept at 33 s, a record of another key at 66 s, then the first key
 * again at 49 s, which is within 30 s of 33 s and so a duplicate. */
static void test_out_of_order_within_d(void) {
  rt_dedup *d = rt_dedup_new(30000, 0);
  ASSERT(check(d, 1, 33000));
  ASSERT(check(d, 2, 66000));
  ASSERT(!check(d, 1, 49000));
  rt_dedup_free(&d);

  /* Against brute force: the model remembers every key's last kept time
   * forever; rt_dedup must agree while records lag at most D. */
  enum { N = 100000, KEYS = 500, D = 5000 };
  d = rt_dedup_new(D, 0);
  static int64_t kept_at[KEYS];
  for (int k = 0; k < KEYS; k++)
    kept_at[k] = INT64_MIN;
  uint64_t s = 7;
  for (int i = 0; i < N; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    int k = (int)(s % KEYS);
    int64_t t = i - (int64_t)((s >> 20) % D); /* up to D behind the newest */
    bool want = kept_at[k] == INT64_MIN || t - kept_at[k] >= D;
    ASSERT_EQ(check(d, k, t), want);
    if (want)
      kept_at[k] = t;
  }
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
  TEST_RUN(test_out_of_order_within_d);
  TEST_RUN(test_forever_with_cap);
  return test_summary();
}
