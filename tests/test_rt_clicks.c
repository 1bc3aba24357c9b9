/*
 * Tests of the clickstream simulator: determinism, independence from the
 * start time, ids, the Zipf-like page popularity, sessions that span
 * minutes and break after an idle minute, referrers, and JSON that jansson
 * reads back.
 */
#include "rt_clicks.h"
#include "rt_time.h"
#include "test.h"

#include <jansson.h>

static const int64_t T0 = 1763600000000; /* 2025-11-20, a fixed event time */

static void test_deterministic(void) {
  rt_clicks_cfg a = {.seed = 42, .users = 500};
  rt_clicks_cfg b = {.seed = 43, .users = 500};
  int differ = 0;
  for (uint64_t i = 0; i < 2000; i++) {
    rt_click c1, c2, c3;
    int64_t ts = rt_clicks_ts(T0, 50, i);
    rt_clicks_read(&a, i, ts, &c1);
    rt_clicks_read(&a, i, ts, &c2);
    rt_clicks_read(&b, i, ts, &c3);
    ASSERT_STR_EQ(c1.user_id, c2.user_id);
    ASSERT_STR_EQ(c1.session_id, c2.session_id);
    ASSERT_STR_EQ(c1.page, c2.page);
    ASSERT_STR_EQ(c1.referrer, c2.referrer);
    ASSERT_EQ(c1.ts, ts);
    differ += strcmp(c1.user_id, c3.user_id) != 0;
  }
  ASSERT(differ > 1800);
}

static void test_epoch(void) {
  rt_clicks_cfg a = {.seed = 3, .users = 100, .epoch_ms = T0};
  rt_clicks_cfg b = {.seed = 3, .users = 100, .epoch_ms = T0 + 987654321};
  for (uint64_t i = 0; i < 3000; i++) {
    rt_click c1, c2;
    rt_clicks_read(&a, i, rt_clicks_ts(a.epoch_ms, 20, i), &c1);
    rt_clicks_read(&b, i, rt_clicks_ts(b.epoch_ms, 20, i), &c2);
    ASSERT_STR_EQ(c1.user_id, c2.user_id);
    ASSERT_STR_EQ(c1.session_id, c2.session_id);
    ASSERT_STR_EQ(c1.page, c2.page);
    ASSERT_EQ(c2.ts - c1.ts, 987654321);
  }
}

static void test_ids(void) {
  rt_clicks_cfg c = {.seed = 1, .users = 50};
  for (uint64_t i = 0; i < 1000; i++) {
    rt_click k;
    rt_clicks_read(&c, i, T0 + (int64_t)i * 10, &k);
    ASSERT(k.user >= 0 && k.user < 50);
    char want[RT_CLICKS_ID_MAX];
    snprintf(want, sizeof(want), "user-%04d", k.user);
    ASSERT_STR_EQ(k.user_id, want);
    ASSERT_EQ(strlen(k.session_id), 14);
    ASSERT(strncmp(k.session_id, "s-", 2) == 0);
    ASSERT(k.page_rank >= 0 && k.page_rank < RT_CLICKS_PAGES);
    ASSERT_STR_EQ(k.page, rt_clicks_page(k.page_rank));
  }
  c.users = 0; /* taken as 1 */
  rt_click k;
  rt_clicks_read(&c, 77, T0, &k);
  ASSERT_STR_EQ(k.user_id, "user-0000");
  ASSERT(rt_clicks_page(-1) == NULL);
  ASSERT(rt_clicks_page(RT_CLICKS_PAGES) == NULL);
  ASSERT_STR_EQ(rt_clicks_page(0), "/");
}

/* "/" is the most viewed page, about twice "/search"; every page is seen. */
static void test_page_popularity(void) {
  rt_clicks_cfg c = {.seed = 9, .users = 300};
  int n = 200000, counts[RT_CLICKS_PAGES] = {0};
  for (int i = 0; i < n; i++) {
    rt_click k;
    rt_clicks_read(&c, (uint64_t)i, rt_clicks_ts(T0, 100, (uint64_t)i), &k);
    counts[k.page_rank]++;
  }
  for (int r = 0; r < RT_CLICKS_PAGES; r++)
    ASSERT(counts[r] > 0);
  for (int r = 1; r < RT_CLICKS_PAGES; r++)
    ASSERT(counts[0] > counts[r]);
  double ratio = (double)counts[0] / counts[1];
  ASSERT(ratio > 1.8 && ratio < 2.2);
  ASSERT(counts[0] > n / 6 && counts[0] < n / 4); /* 1000 / 4104 of the weight */
  ASSERT(counts[2] > counts[10] && counts[10] > counts[29]);
}

/* A session belongs to one user, lasts while the user is active (often
 * several minutes), and a user's sessions are separated by an idle minute. */
static void test_sessions(void) {
  rt_clicks_cfg c = {.seed = 5, .users = 40, .epoch_ms = T0};
  enum { N = 60000 }; /* 20 per second for 50 minutes */
  static rt_click k[N];
  for (int i = 0; i < N; i++)
    rt_clicks_read(&c, (uint64_t)i, rt_clicks_ts(T0, 20, (uint64_t)i), &k[i]);
  int long_sessions = 0, sessions = 0, gaps_checked = 0;
  for (int u = 0; u < 40; u++) {
    const rt_click *prev = NULL;
    int64_t first_ts = 0;
    for (int i = 0; i < N; i++) {
      if (k[i].user != u)
        continue;
      if (!prev || strcmp(prev->session_id, k[i].session_id) != 0) {
        if (prev) {
          /* a new session starts after a whole idle slot: > 60 s apart */
          ASSERT(k[i].ts - prev->ts > RT_CLICKS_SLOT_MS);
          gaps_checked++;
          if (prev->ts - first_ts > 2 * RT_CLICKS_SLOT_MS)
            long_sessions++;
        }
        sessions++;
        first_ts = k[i].ts;
      } else {
        ASSERT(k[i].ts - prev->ts <= RT_CLICKS_SLOT_MS * 2);
      }
      prev = &k[i];
    }
  }
  ASSERT(gaps_checked > 100);
  ASSERT(long_sessions > 5);
  ASSERT(sessions > 150);
  /* one session id never spans two users */
  for (int i = 0; i < 2000; i++)
    for (int j = i + 1; j < i + 400 && j < N; j++)
      if (strcmp(k[i].session_id, k[j].session_id) == 0)
        ASSERT_EQ(k[i].user, k[j].user);
}

static void test_referrers(void) {
  rt_clicks_cfg c = {.seed = 11, .users = 200};
  int internal = 0, google = 0, n = 50000;
  for (int i = 0; i < n; i++) {
    rt_click k;
    rt_clicks_read(&c, (uint64_t)i, rt_clicks_ts(T0, 100, (uint64_t)i), &k);
    internal += strcmp(k.referrer, "internal") == 0;
    google += strcmp(k.referrer, "google.com") == 0;
  }
  ASSERT(internal > n * 0.70 && internal < n * 0.80);
  ASSERT(google > n * 0.05 && google < n * 0.15);
}

static void test_json(void) {
  rt_clicks_cfg c = {.seed = 99, .users = 100000};
  for (uint64_t i = 0; i < 5000; i++) {
    rt_click k;
    char buf[RT_CLICKS_JSON_MAX];
    rt_clicks_read(&c, i * 7919, rt_clicks_ts(T0, 1000, i), &k);
    size_t n = rt_clicks_json(&k, buf, sizeof(buf));
    ASSERT(n > 0 && n < sizeof(buf));
    ASSERT_EQ(strlen(buf), n);
    json_error_t je;
    json_t *o = json_loads(buf, 0, &je);
    ASSERT(o != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "user_id")), k.user_id);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "session_id")), k.session_id);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "page")), k.page);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "referrer")), k.referrer);
    ASSERT_EQ(json_integer_value(json_object_get(o, "ts")), k.ts);
    ASSERT_EQ(json_object_size(o), 5);
    json_decref(o);
  }
  rt_click k = {.user_id = "user-0003", .session_id = "s-00000000abcd", .page = "/cart",
                .referrer = "internal", .ts = 12};
  char buf[RT_CLICKS_JSON_MAX], small[8];
  size_t n = rt_clicks_json(&k, buf, sizeof(buf));
  ASSERT_STR_EQ(buf, "{\"user_id\":\"user-0003\",\"session_id\":\"s-00000000abcd\","
                     "\"page\":\"/cart\",\"referrer\":\"internal\",\"ts\":12}");
  ASSERT_EQ(rt_clicks_json(&k, small, sizeof(small)), n);
  ASSERT_EQ(small[0], '\0');
}

int main(void) {
  TEST_RUN(test_deterministic);
  TEST_RUN(test_epoch);
  TEST_RUN(test_ids);
  TEST_RUN(test_page_popularity);
  TEST_RUN(test_sessions);
  TEST_RUN(test_referrers);
  TEST_RUN(test_json);
  return test_summary();
}
