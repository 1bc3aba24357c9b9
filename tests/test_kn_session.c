/* Unit tests for kn_session: unique uuids and well-formed headers. */
#include "test.h"

#include "kn_session.h"

#include <jansson.h>

static void test_uuids_unique(void) {
  kn_session *s = kn_session_new();
  char a[KN_UUID_LEN], b[KN_UUID_LEN];
  kn_session_uuid(s, a);
  ASSERT_EQ(strlen(a), 36);
  ASSERT_EQ(a[14], '4');
  ASSERT(strchr("89ab", a[19]) != NULL);
  for (int i = 0; i < 10000; i++) {
    kn_session_uuid(s, b);
    ASSERT(strcmp(a, b) != 0);
  }
  ASSERT(strcmp(kn_session_id(s), a) != 0);
  kn_session_free(&s);
  ASSERT(s == NULL);
}

static void test_header(void) {
  kn_session *s = kn_session_new();
  char h[KN_HEADER_MAX];
  size_t n = kn_session_header(s, "execute_reply", h);
  ASSERT(n > 0);
  json_t *j = json_loadb(h, n, 0, NULL);
  ASSERT(j != NULL);
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "msg_type")), "execute_reply");
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "version")), "5.3");
  ASSERT_STR_EQ(json_string_value(json_object_get(j, "session")), kn_session_id(s));
  const char *date = json_string_value(json_object_get(j, "date"));
  ASSERT_EQ(strlen(date), 27); /* 2026-11-20T10:00:03.000005Z */
  ASSERT_EQ(date[19], '.');
  ASSERT_EQ(date[26], 'Z');
  json_decref(j);
  ASSERT_EQ(kn_session_header(s, "bad\"type", h), 0);
  kn_session_free(&s);
}

int main(void) {
  TEST_RUN(test_uuids_unique);
  TEST_RUN(test_header);
  return test_summary();
}
