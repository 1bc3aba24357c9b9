/* Tests of the JSON field scanner: values, nested paths, escapes, numbers,
 * and rejection of broken records. Every input sits against a PROT_NONE
 * guard page so a read past its end crashes the test. */
#include "rt_err.h"
#include "rt_json_scan.h"
#include "test.h"
#include "test_guard.h"


static int scan(rt_json_paths *p, const char *s, rt_value *out, rt_arena *a) {
  guarded g;
  const char *t = guard(&g, s);
  int rc = rt_json_scan(p, t, strlen(s), out, a);
  /* strings may point into the guarded copy: copy them to the arena first */
  for (int i = 0; rc == 0 && i < rt_json_paths_count(p); i++)
    if (out[i].type == RT_STRING)
      out[i].u.str.ptr = rt_arena_strndup(a, out[i].u.str.ptr, out[i].u.str.len);
  unguard(&g);
  return rc;
}

static int add1(rt_json_paths *p, const char *k) { return rt_json_paths_add(p, &k, 1); }

static bool str_is(rt_value v, const char *s) {
  return v.type == RT_STRING && v.u.str.len == strlen(s) && memcmp(v.u.str.ptr, s, v.u.str.len) == 0;
}

static void test_top_level_fields(void) {
  rt_json_paths *p = rt_json_paths_new();
  rt_arena *a = rt_arena_new(0);
  ASSERT_EQ(add1(p, "temperature"), 0);
  ASSERT_EQ(add1(p, "device_id"), 1);
  ASSERT_EQ(add1(p, "ok"), 2);
  ASSERT_EQ(add1(p, "missing"), 3);
  ASSERT_EQ(add1(p, "temperature"), 0);
  rt_value out[4];
  ASSERT_EQ(scan(p, " {\"device_id\":\"sensor-001\", \"x\":[1,{\"y\":2}],\"temperature\":23.45,"
                    "\"ok\":true,\"n\":null} \n", out, a), 0);
  ASSERT_EQ(out[0].type, RT_NUMBER);
  ASSERT_NEAR(out[0].u.num, 23.45, 0);
  ASSERT(str_is(out[1], "sensor-001"));
  ASSERT(out[2].type == RT_BOOL && out[2].u.b);
  ASSERT_EQ(out[3].type, RT_NULL);
  rt_arena_free(&a);
  rt_json_paths_free(&p);
}

static void test_nested_paths(void) {
  rt_json_paths *p = rt_json_paths_new();
  rt_arena *a = rt_arena_new(0);
  const char *abc[] = {"a", "b", "c"}, *ax[] = {"a", "x"}, *aa[] = {"a"};
  ASSERT_EQ(rt_json_paths_add(p, abc, 3), 0);
  ASSERT_EQ(rt_json_paths_add(p, ax, 2), 1);
  ASSERT_EQ(rt_json_paths_add(p, aa, 1), 2);
  rt_value out[3];
  ASSERT_EQ(scan(p, "{\"a\":{\"b\":{\"c\":-1.5e2},\"x\":\"y\"}}", out, a), 0);
  ASSERT_NEAR(out[0].u.num, -150, 0);
  ASSERT(str_is(out[1], "y"));
  ASSERT(str_is(out[2], "{\"b\":{\"c\":-1.5e2},\"x\":\"y\"}"));
  /* a step that is not an object leaves the path null */
  ASSERT_EQ(scan(p, "{\"a\":5}", out, a), 0);
  ASSERT_EQ(out[0].type, RT_NULL);
  ASSERT_NEAR(out[2].u.num, 5, 0);
  rt_arena_free(&a);
  rt_json_paths_free(&p);
}

static void test_escapes(void) {
  rt_json_paths *p = rt_json_paths_new();
  rt_arena *a = rt_arena_new(0);
  add1(p, "s");
  add1(p, "k\"q");
  rt_value out[2];
  ASSERT_EQ(scan(p, "{\"s\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\",\"k\\\"q\":1}", out, a), 0);
  ASSERT(str_is(out[0], "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80"));
  ASSERT_NEAR(out[1].u.num, 1, 0);
  rt_arena_free(&a);
  rt_json_paths_free(&p);
}

static void test_numbers(void) {
  rt_json_paths *p = rt_json_paths_new();
  rt_arena *a = rt_arena_new(0);
  add1(p, "n");
  rt_value out[1];
  const char *cases[] = {"0", "-0.5", "12345678901234567890", "1e300", "0.1", "3.14159265358979",
                         "1E-7", "0.000123", "123.456e-2", "9007199254740993"};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"n\":%s}", cases[i]);
    ASSERT_EQ(scan(p, buf, out, a), 0);
    ASSERT_EQ(out[0].type, RT_NUMBER);
    ASSERT(out[0].u.num == strtod(cases[i], NULL));
  }
  rt_arena_free(&a);
  rt_json_paths_free(&p);
}

static void test_bad_records(void) {
  rt_json_paths *p = rt_json_paths_new();
  rt_arena *a = rt_arena_new(0);
  add1(p, "t");
  rt_value out[1];
  const char *bad[] = {"", "   ", "[1,2]", "5", "\"s\"", "null", "{", "{\"t\":1",
                       "{\"t\":1,}", "{\"t\" 1}", "{t:1}", "{\"t\":01}", "{\"t\":1.}",
                       "{\"t\":-}", "{\"t\":tru}", "{\"t\":\"a\\x\"}", "{\"t\":\"a\tb\"}",
                       "{\"u\":[1,2}", "{\"t\":1} x", "{\"t\":1}{}", "{\"t\":\"\\u12\"}",
                       "{\"u\":{\"v\":[}}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (scan(p, bad[i], out, a) != RT_EBADREC) {
      fprintf(stderr, "accepted: %s\n", bad[i]);
      ASSERT(0);
    }
  }
  ASSERT_EQ(scan(p, "{}", out, a), 0);
  ASSERT_EQ(out[0].type, RT_NULL);
  rt_arena_free(&a);
  rt_json_paths_free(&p);
}

static void test_deep_nesting_rejected(void) {
  rt_json_paths *p = rt_json_paths_new();
  rt_arena *a = rt_arena_new(0);
  add1(p, "t");
  char buf[512] = "{\"x\":";
  for (int i = 0; i < 100; i++)
    strcat(buf, "[");
  rt_value out[1];
  ASSERT_EQ(scan(p, buf, out, a), RT_EBADREC);
  rt_arena_free(&a);
  rt_json_paths_free(&p);
}

int main(void) {
  TEST_RUN(test_top_level_fields);
  TEST_RUN(test_nested_paths);
  TEST_RUN(test_escapes);
  TEST_RUN(test_numbers);
  TEST_RUN(test_bad_records);
  TEST_RUN(test_deep_nesting_rejected);
  return test_summary();
}
