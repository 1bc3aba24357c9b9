/* Unit tests for the shared runtime base: errors, arena, buffer, time,
 * durations. */
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

static int64_t duration(const char *s) {
  int64_t ms = -1;
  rt_err err;
  if (rt_duration_parse(s, strlen(s), &ms, &err) != 0) {
    fprintf(stderr, "  \"%s\": %s\n", s, err.msg);
    ASSERT(!"the duration parses");
  }
  return ms;
}

/* Refused, with the message containing msg and the caret at [off, off+len). */
static void duration_refused(const char *s, int off, int len, const char *msg) {
  int64_t ms = -1;
  rt_err err;
  ASSERT_EQ(rt_duration_parse(s, strlen(s), &ms, &err), RT_EINVAL);
  ASSERT_EQ(ms, -1);
  ASSERT_EQ(err.off, off);
  ASSERT_EQ(err.len, len);
  if (!strstr(err.msg, msg)) {
    fprintf(stderr, "  \"%s\": \"%s\"\n", s, err.msg);
    ASSERT(!"the message says why");
  }
}

static void test_duration_units_and_forms(void) {
  ASSERT_EQ(duration("250ms"), 250);
  ASSERT_EQ(duration("250"), 250); /* no unit: milliseconds */
  ASSERT_EQ(duration("10s"), 10000);
  ASSERT_EQ(duration("5m"), 300000);
  ASSERT_EQ(duration("1h"), 3600000);
  ASSERT_EQ(duration("1d"), 86400000);
  ASSERT_EQ(duration("0s"), 0);
  ASSERT_EQ(duration("00010s"), 10000);
  ASSERT_EQ(duration("2e3ms"), 2000);
  ASSERT_EQ(duration("1.5E3"), 1500);
  ASSERT_EQ(duration("1e-3s"), 1);
  ASSERT_EQ(duration("0e99999999999d"), 0);
  ASSERT_EQ(duration("9007199254740992ms"), RT_DURATION_MAX_MS);
}

/* Whole milliseconds are decided in decimal: no double rounding either way. */
static void test_duration_exact_decimal(void) {
  ASSERT_EQ(duration("0.001s"), 1);
  ASSERT_EQ(duration("1.001s"), 1001); /* 1.001 * 1000 is 1000.9999999999999 in doubles */
  ASSERT_EQ(duration("4.1m"), 246000); /* 4.1 * 60000 is 245999.99999999997 */
  ASSERT_EQ(duration("2.5m"), 150000);
  ASSERT_EQ(duration("0.1h"), 360000);
  ASSERT_EQ(duration("0.00001d"), 864);
  ASSERT_EQ(duration("0.0000125d"), 1080);
  ASSERT_EQ(duration("10.500s"), 10500);
  uint64_t x = 12345;
  for (int i = 0; i < 2000; i++) { /* random seconds with three decimals */
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t want = (x >> 20) % 100000000000ULL;
    char s[40];
    snprintf(s, sizeof(s), "%llu.%03llus", (unsigned long long)(want / 1000),
             (unsigned long long)(want % 1000));
    ASSERT_EQ(duration(s), want);
  }
}

static void test_duration_refusals(void) {
  const char *whole = "a duration must be a whole number of milliseconds";
  duration_refused("0.5ms", 0, 5, whole);
  duration_refused("1.0005s", 0, 7, whole);
  duration_refused("0.000001d", 0, 9, whole);
  duration_refused("1e-999999s", 0, 10, whole);
  duration_refused("0.000000000000000000000000000001s", 0, 33, whole);
  duration_refused("9007199254740993ms", 0, 18, "duration too long");
  duration_refused("99999999999999999999d", 0, 21, "duration too long");
  duration_refused("1e999999999999s", 0, 15, "duration too long");
  duration_refused("10x", 2, 1, "bad duration unit `x`; use ms, s, m, h or d");
  duration_refused("5min", 1, 3, "bad duration unit `min`");
  duration_refused("10 s", 2, 2, "bad duration unit ` s`");
  duration_refused("1.s", 1, 2, "bad duration unit `.s`");
  duration_refused("-5s", 0, 3, "a duration is a number and a unit");
  duration_refused(".5s", 0, 3, "a duration is a number and a unit");
  duration_refused("", 0, 0, "a duration is a number and a unit");
}

int main(void) {
  TEST_RUN(test_err_names);
  TEST_RUN(test_err_render_caret);
  TEST_RUN(test_err_render_at_end);
  TEST_RUN(test_arena_grows_and_resets);
  TEST_RUN(test_buf_cap);
  TEST_RUN(test_time_roundtrip);
  TEST_RUN(test_duration_units_and_forms);
  TEST_RUN(test_duration_exact_decimal);
  TEST_RUN(test_duration_refusals);
  return test_summary();
}
