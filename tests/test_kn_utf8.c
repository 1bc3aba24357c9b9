/* Unit tests for kn_utf8: repair of invalid UTF-8 to U+FFFD, and cursor
 * conversion between code points and bytes. */
#include "test.h"

#include "kn_utf8.h"

static void expect_repair(const char *in, size_t n, const char *want) {
  json_t *j = kn_utf8_json(in, n);
  ASSERT(j != NULL);
  ASSERT_STR_EQ(json_string_value(j), want);
  json_decref(j);
}

static void test_repair(void) {
  expect_repair("plain", 5, "plain");
  expect_repair("caf\xc3\xa9", 5, "caf\xc3\xa9");
  expect_repair("a\xff" "b", 3, "a\xef\xbf\xbd" "b");
  expect_repair("\xc3", 1, "\xef\xbf\xbd");                    /* truncated */
  expect_repair("\xc0\xaf", 2, "\xef\xbf\xbd");                /* overlong */
  expect_repair("\xed\xa0\x80x", 4, "\xef\xbf\xbdx");          /* surrogate */
  expect_repair("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd");        /* > U+10FFFF */
  expect_repair("\xf0\x9f\x8c\x8a", 4, "\xf0\x9f\x8c\x8a");    /* emoji ok */
  json_t *j = kn_utf8_json("a\0b", 3);                          /* NUL kept */
  ASSERT_EQ(json_string_length(j), 3);
  json_decref(j);
}

static void test_cursor(void) {
  const char *s = "\xc3\xa9t\xc3\xa9 x"; /* "été x" */
  size_t n = strlen(s);
  ASSERT_EQ(kn_utf8_offset(s, n, 0), 0);
  ASSERT_EQ(kn_utf8_offset(s, n, 1), 2);
  ASSERT_EQ(kn_utf8_offset(s, n, 3), 5);
  ASSERT_EQ(kn_utf8_offset(s, n, 99), n);
  ASSERT_EQ(kn_utf8_count(s, 5), 3);
  ASSERT_EQ(kn_utf8_count(s, n), 5);
}

int main(void) {
  TEST_RUN(test_repair);
  TEST_RUN(test_cursor);
  return test_summary();
}
