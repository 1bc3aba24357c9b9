/* Unit tests for the shared runtime base: errors, arena, buffer, time. */
#include "test.h"

#include "rt_arena.h"
#include "rt_buf.h"
#include "rt_err.h"
#include "rt_mem.h"
#include "rt_time.h"

static void test_err_names(void) {
  ASSERT_STR_EQ(rt_errname(RT_ESYNTAX), "RT_ESYNTAX");
  ASSERT_STR_EQ(rt_strerror(RT_OK), "success");
  ASSERT_STR_EQ(rt_errname(-9999), "RT_EUNKNOWN");
}

static void test_err_render_caret(void) {
  const char *src = "demo sensors\n| wher x > 1\n";
  rt_err err;
  ASSERT_EQ(rt_err_set_at(&err, RT_ESYNTAX, src, 15, 4, "unknown stage"), RT_ESYNTAX);
  ASSERT_EQ(err.line, 2);
  ASSERT_EQ(err.col, 3);
  char out[256];
  rt_err_render(&err, src, out, sizeof(out));
  ASSERT_STR_EQ(out, "line 2, column 3: unknown stage\n  | wher x > 1\n    ^^^^");
}

static void test_err_render_at_end(void) {
  const char *src = "agg count(";
  rt_err err;
  rt_err_set_at(&err, RT_ESYNTAX, src, 10, 0, "expected )");
  char out[256];
  rt_err_render(&err, src, out, sizeof(out));
  ASSERT_STR_EQ(out, "line 1, column 11: expected )\n  agg count(\n            ^");
}

static void test_arena_grows_and_resets(void) {
  rt_arena *a = rt_arena_new(128);
  char *small = rt_arena_alloc(a, 10);
  memset(small, 'x', 10);
  char *big = rt_arena_alloc(a, 100000);
  memset(big, 'y', 100000);
  ASSERT(((uintptr_t)big % 16) == 0);
  ASSERT(rt_arena_used(a) >= 100010);
  rt_arena_reset(a);
  ASSERT_EQ(rt_arena_used(a), 0);
  char *again = rt_arena_alloc(a, 50000);
  ASSERT(again != NULL);
  ASSERT_STR_EQ(rt_arena_strndup(a, "hello world", 5), "hello");
  rt_arena_free(&a);
  ASSERT(a == NULL);
  rt_arena_free(&a);
}

static void test_buf_cap(void) {
  rt_buf b;
  rt_buf_init(&b, 8);
  ASSERT_EQ(rt_buf_puts(&b, "12345"), 0);
  ASSERT_EQ(rt_buf_printf(&b, "%d", 678), 0);
  ASSERT_STR_EQ(b.data, "12345678");
  ASSERT_EQ(rt_buf_puts(&b, "9"), RT_ETOOBIG);
  ASSERT_EQ(b.len, 8);
  size_t n;
  char *s = rt_buf_take(&b, &n);
  ASSERT_EQ(n, 8);
  ASSERT_STR_EQ(s, "12345678");
  rt_free(s);
  rt_buf_free(&b);
}

static void test_time_roundtrip(void) {
  int64_t ms;
  ASSERT_EQ(rt_time_parse("2026-11-20T10:00:03.250Z", 24, &ms), 0);
  char out[RT_TIME_ISO_MS_LEN];
  ASSERT_STR_EQ(rt_time_format_ms(ms, out), "2026-11-20T10:00:03.250Z");
  int64_t ms2;
  const char *off = "2026-11-20T12:00:03.25+02:00";
  ASSERT_EQ(rt_time_parse(off, strlen(off), &ms2), 0);
  ASSERT_EQ(ms2, ms);
  ASSERT_EQ(rt_time_parse("1970-01-01", 10, &ms2), 0);
  ASSERT_EQ(ms2, 0);
  ASSERT_EQ(rt_time_parse("2026-13-01T00:00Z", 17, &ms2), RT_EINVAL);
  ASSERT_EQ(rt_time_parse("yesterday", 9, &ms2), RT_EINVAL);
  ASSERT_STR_EQ(rt_time_format_ms(-1, out), "1969-12-31T23:59:59.999Z");
  char us[RT_TIME_ISO_US_LEN];
  ASSERT_STR_EQ(rt_time_format_us(5, us), "1970-01-01T00:00:00.000005Z");
}

int main(void) {
  TEST_RUN(test_err_names);
  TEST_RUN(test_err_render_caret);
  TEST_RUN(test_err_render_at_end);
  TEST_RUN(test_arena_grows_and_resets);
  TEST_RUN(test_buf_cap);
  TEST_RUN(test_time_roundtrip);
  return test_summary();
}
