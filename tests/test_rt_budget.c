/* Tests of memory budgets (rt_budget): sizes as people write them, sizes
 * as people read them, and the session's pool that queries share. The
 * budgets at work in queries are tested in test_rt_runtime.c. */
#include "rt_budget.h"
#include "test.h"

static void test_size_parse(void) {
  rt_err err;
  size_t b = 0;
  ASSERT_EQ(rt_size_parse("256MB", &b, &err), 0);
  ASSERT_EQ(b, (size_t)256 << 20);
  ASSERT_EQ(rt_size_parse("1.5 GB", &b, &err), 0);
  ASSERT_EQ(b, (size_t)3 << 29);
  ASSERT_EQ(rt_size_parse("512k", &b, &err), 0);
  ASSERT_EQ(b, (size_t)512 << 10);
  ASSERT_EQ(rt_size_parse("64MiB", &b, &err), 0);
  ASSERT_EQ(b, (size_t)64 << 20);
  ASSERT_EQ(rt_size_parse("2gb", &b, &err), 0);
  ASSERT_EQ(b, (size_t)2 << 30);
  ASSERT_EQ(rt_size_parse("1000", &b, &err), 0); /* bytes */
  ASSERT_EQ(b, 1000);
  ASSERT_EQ(rt_size_parse("2 XB", &b, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "unknown size unit \"XB\" (use KB, MB, GB or TB)"));
  ASSERT_EQ(rt_size_parse("lots", &b, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "a size looks like 256MB or 1.5GB, not \"lots\""));
  ASSERT_EQ(rt_size_parse("-5MB", &b, &err), RT_EINVAL);
  ASSERT_EQ(rt_size_parse("1e30 TB", &b, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "out of range"));
}

static void test_size_format(void) {
  char out[24];
  ASSERT_STR_EQ(rt_size_format(0, out, sizeof(out)), "0 B");
  ASSERT_STR_EQ(rt_size_format(900, out, sizeof(out)), "900 B");
  ASSERT_STR_EQ(rt_size_format(1536, out, sizeof(out)), "1.5 KB");
  ASSERT_STR_EQ(rt_size_format((size_t)64 << 20, out, sizeof(out)), "64 MB");
  ASSERT_STR_EQ(rt_size_format((size_t)3 << 29, out, sizeof(out)), "1.5 GB");
  ASSERT_STR_EQ(rt_size_format(((size_t)200 << 20) + 12345, out, sizeof(out)), "200 MB");
  ASSERT_STR_EQ(rt_size_format(((size_t)2 << 20) + 31000, out, sizeof(out)), "2.03 MB");
  ASSERT_STR_EQ(rt_size_format((size_t)12 << 19, out, sizeof(out)), "6 MB");
  ASSERT_STR_EQ(rt_size_format((size_t)25 << 19, out, sizeof(out)), "12.5 MB");
  /* what a size prints reads back as the same size */
  size_t b;
  rt_err err;
  ASSERT_EQ(rt_size_parse(rt_size_format((size_t)3 << 29, out, sizeof(out)), &b, &err), 0);
  ASSERT_EQ(b, (size_t)3 << 29);
}

static void test_pool(void) {
  rt_budget_pool *pool = rt_budget_pool_new(1000);
  ASSERT_EQ(rt_budget_pool_limit(pool), 1000);
  size_t a = 0, b = 0;
  ASSERT_EQ(rt_budget_pool_update(pool, &a, 300), 300);
  ASSERT_EQ(rt_budget_pool_update(pool, &b, 500), 800);
  ASSERT_EQ(rt_budget_pool_update(pool, &a, 100), 600); /* a shrank */
  ASSERT_EQ(a, 100);
  ASSERT_EQ(rt_budget_pool_update(pool, &b, 0), 100); /* b ended */
  ASSERT_EQ(rt_budget_pool_update(pool, &a, 0), 0);
  rt_budget_pool_set_limit(pool, 0);
  ASSERT_EQ(rt_budget_pool_limit(pool), 0);
  ASSERT(rt_budget_session_default() >= ((size_t)256 << 20));
  rt_budget_pool_free(&pool);
  ASSERT(pool == NULL);
}

int main(void) {
  TEST_RUN(test_size_parse);
  TEST_RUN(test_size_format);
  TEST_RUN(test_pool);
  return test_summary();
}
