/* Unit tests for kn_names (completion). The %set table is the runtime's
 * (rt_runtime_set/get, tested in test_rt_runtime.c). */
#include "test.h"

#include "kn_names.h"

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
  TEST_RUN(test_names);
  return test_summary();
}
