/* Unit tests for rt_value: equality, total order, hash consistency, dup. */
#include "test.h"

#include "rt_value.h"

static rt_value str(const char *s) { return rt_string(s, strlen(s)); }

static void test_equal_semantics(void) {
  ASSERT(rt_value_equal(rt_null(), rt_null()));
  ASSERT(!rt_value_equal(rt_null(), rt_number(0)));
  ASSERT(rt_value_equal(rt_number(1000), rt_time(1000)));
  ASSERT(!rt_value_equal(rt_number(1000.5), rt_time(1000)));
  ASSERT(rt_value_equal(rt_number(0.0), rt_number(-0.0)));
  ASSERT(rt_value_equal(str("abc"), rt_string("abcd", 3)));
  ASSERT(!rt_value_equal(str("1"), rt_number(1)));
  ASSERT(!rt_value_equal(rt_bool(true), rt_number(1)));
  ASSERT(rt_value_equal(rt_string(NULL, 0), str("")));
  ASSERT(rt_value_equal(rt_number(NAN), rt_number(NAN)));
}

static void test_compare_order(void) {
  rt_value order[] = {rt_null(),      rt_bool(false), rt_bool(true),
                      rt_number(-1e300), rt_number(-1), rt_time(0),
                      rt_number(0.5), rt_time(1),     rt_number(1e300),
                      rt_number(NAN), str(""),        str("a"),
                      str("ab"),      str("b")};
  int n = (int)(sizeof(order) / sizeof(order[0]));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int c = rt_value_compare(order[i], order[j]);
      if (i < j)
        ASSERT(c < 0);
      else if (i > j)
        ASSERT(c > 0);
      else
        ASSERT_EQ(c, 0);
    }
  ASSERT_EQ(rt_value_compare(rt_number(5), rt_time(5)), 0);
}

static void test_hash_consistent_with_equal(void) {
  ASSERT_EQ(rt_value_hash(rt_number(1234)), rt_value_hash(rt_time(1234)));
  ASSERT_EQ(rt_value_hash(rt_number(0.0)), rt_value_hash(rt_number(-0.0)));
  ASSERT_EQ(rt_value_hash(rt_number(NAN)), rt_value_hash(rt_number(-NAN)));
  ASSERT_EQ(rt_value_hash(str("device-17")), rt_value_hash(rt_string("device-17xyz", 9)));
  ASSERT(rt_value_hash(str("1")) != rt_value_hash(rt_number(1)));
  ASSERT(rt_value_hash(rt_null()) != rt_value_hash(rt_bool(false)));
}

/* Every output bit should flip about half the time over similar inputs. */
static void test_hash_bits_balanced(void) {
  enum { N = 20000 };
  int ones[64] = {0};
  char buf[32];
  for (int i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof(buf), "k%d", i);
    uint64_t h = rt_value_hash(rt_string(buf, (size_t)len));
    uint64_t g = rt_value_hash(rt_number(i));
    for (int b = 0; b < 64; b++)
      ones[b] += (int)((h >> b) & 1) + (int)((g >> b) & 1);
  }
  for (int b = 0; b < 64; b++)
    ASSERT(ones[b] > 2 * N * 0.47 && ones[b] < 2 * N * 0.53);
}

static void test_dup_release(void) {
  char buf[] = "hello";
  rt_value d = rt_value_dup(rt_string(buf, 5));
  buf[0] = 'j';
  ASSERT(rt_value_equal(d, str("hello")));
  ASSERT(d.u.str.ptr != buf);
  rt_value_release(&d);
  ASSERT_EQ(d.type, RT_NULL);
  rt_value n = rt_value_dup(rt_number(3));
  ASSERT(rt_value_equal(n, rt_number(3)));
  rt_value_release(&n);
  rt_value e = rt_value_dup(rt_string(NULL, 0));
  ASSERT(rt_value_equal(e, str("")));
  rt_value_release(&e);
  rt_value_release(NULL);
}

int main(void) {
  TEST_RUN(test_equal_semantics);
  TEST_RUN(test_compare_order);
  TEST_RUN(test_hash_consistent_with_equal);
  TEST_RUN(test_hash_bits_balanced);
  TEST_RUN(test_dup_release);
  return test_summary();
}
