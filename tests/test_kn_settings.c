/* Unit tests for kn_settings (the %set table) and kn_names (completion). */
#include "test.h"

#include "kn_names.h"
#include "kn_settings.h"

static kn_setting_value dur(double ms) {
  kn_setting_value v = {KN_SET_DURATION, ms, ""};
  return v;
}

static void test_settings(void) {
  kn_settings *s = kn_settings_new();
  kn_setting_value v, got;
  rt_err err;
  ASSERT_EQ(kn_settings_get(s, "batch", &got), 0);
  ASSERT_NEAR(got.num, 1000, 0);
  v = dur(200);
  ASSERT_EQ(kn_settings_set(s, "batch", &v, &err), 0);
  ASSERT_EQ(kn_settings_get(s, "batch", &got), 0);
  ASSERT_NEAR(got.num, 200, 0);
  v = dur(50);
  ASSERT_EQ(kn_settings_set(s, "batch", &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "100ms") != NULL);
  ASSERT_EQ(kn_settings_set(s, "btach", &v, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "unknown setting") != NULL);
  ASSERT_EQ(kn_settings_set(s, "region", &v, &err), RT_EINVAL); /* kind */
  ASSERT_EQ(kn_settings_get(s, "region", &got), RT_ENOTFOUND);
  v = (kn_setting_value){KN_SET_STRING, 0, "eu-west-1"};
  ASSERT_EQ(kn_settings_set(s, "region", &v, &err), 0);
  ASSERT_EQ(kn_settings_get(s, "region", &got), 0);
  ASSERT_STR_EQ(got.str, "eu-west-1");
  v = (kn_setting_value){KN_SET_NUMBER, 2.5, ""};
  ASSERT_EQ(kn_settings_set(s, "window_ring", &v, &err), RT_EINVAL);
  rt_buf out;
  rt_buf_init(&out, 0);
  kn_settings_format(s, &out);
  ASSERT(strstr(out.data, "batch        200ms                micro-batch interval\n") != NULL);
  ASSERT(strstr(out.data, "region       \"eu-west-1\"") != NULL);
  ASSERT(strstr(out.data, "refresh      1s                   chart and table redraw interval (default)\n") != NULL);
  ASSERT(strstr(out.data, "endpoint     -                    Kinesis/DynamoDB endpoint URL\n") != NULL);
  rt_buf_free(&out);
  kn_settings_free(&s);
  ASSERT(s == NULL);
}

static void test_names(void) {
  kn_names *n = kn_names_new();
  kn_names_add(n, "temperature", 11);
  kn_names_add(n, "sensors", 7);
  kn_names_add(n, "temperature", 11);
  kn_names_add(n, "tempo", 5);
  kn_names_add(n, "", 0);
  for (int i = 0; i < 100; i++) {
    char name[16];
    int len = snprintf(name, sizeof(name), "f%03d", i);
    kn_names_add(n, name, (size_t)len);
  }
  ASSERT_EQ(kn_names_count(n), 103);
  json_t *m = json_array();
  json_array_append_new(m, json_string("tempo"));
  kn_names_match(n, "tem", 3, m);
  ASSERT_EQ(json_array_size(m), 2); /* tempo already there */
  ASSERT_STR_EQ(json_string_value(json_array_get(m, 1)), "temperature");
  json_decref(m);
  m = json_array();
  kn_names_match(n, "f05", 3, m);
  ASSERT_EQ(json_array_size(m), 10);
  json_decref(m);
  kn_names_free(&n);
  ASSERT(n == NULL);
}

int main(void) {
  TEST_RUN(test_settings);
  TEST_RUN(test_names);
  return test_summary();
}
