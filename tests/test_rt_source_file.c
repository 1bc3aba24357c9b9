/* Tests of the file and demo sources: lines in, records out, the end of the
 * stream, the batch cap, and the demo's determinism. */
#include "rt_sensors.h"
#include "rt_clock.h"
#include "rt_source.h"
#include "test.h"

#include <unistd.h>

static char *write_tmp(const char *text) {
  static char path[64];
  snprintf(path, sizeof(path), "/tmp/eddy_src_test_%d.txt", (int)getpid());
  FILE *f = fopen(path, "w");
  ASSERT(f);
  fputs(text, f);
  fclose(f);
  return path;
}

static bool str_is(rt_value v, const char *s) {
  return v.type == RT_STRING && v.u.str.len == strlen(s) && memcmp(v.u.str.ptr, s, v.u.str.len) == 0;
}

static void test_file_lines(void) {
  char *path = write_tmp("{\"a\":1}\r\n\n  \nsecond\nthird");
  rt_source *s = NULL;
  rt_err err;
  ASSERT_EQ(rt_src_file_open(path, NULL, &s, &err), 0);
  ASSERT_STR_EQ(rt_source_col(s, 0), "data");
  rt_batch *b = rt_batch_new(1);
  ASSERT_EQ(rt_source_poll(s, b, 2, &err), RT_SOURCE_MORE);
  ASSERT_EQ(rt_batch_nrows(b), 2);
  ASSERT(str_is(rt_batch_col(b, 0)[0], "{\"a\":1}"));
  ASSERT(str_is(rt_batch_col(b, 0)[1], "second"));
  rt_batch_reset(b);
  ASSERT_EQ(rt_source_poll(s, b, 2, &err), RT_EEOF);
  ASSERT_EQ(rt_batch_nrows(b), 1);
  ASSERT(str_is(rt_batch_col(b, 0)[0], "third"));
  rt_batch_reset(b);
  ASSERT_EQ(rt_source_poll(s, b, 2, &err), RT_EEOF);
  rt_source_stats st;
  rt_source_stats_get(s, &st);
  ASSERT_EQ(st.records, 3);
  rt_batch_free(&b);
  rt_source_free(&s);
  ASSERT(s == NULL);
  unlink(path);
}

static void test_file_missing(void) {
  rt_source *s = NULL;
  rt_err err;
  ASSERT_EQ(rt_src_file_open("no/such/file.jsonl", NULL, &s, &err), RT_EIO);
  ASSERT(s == NULL);
  ASSERT(strstr(err.msg, "no/such/file.jsonl"));
}

static void test_demo_deterministic(void) {
  rt_src_demo_opts o = {.rate = 100, .devices = 3, .seed = 7, .limit = 10,
                        .start_ms = 1763632800000, .unpaced = true};
  rt_source *s = rt_src_demo_open(&o);
  rt_batch *b = rt_batch_new(4);
  rt_err err;
  ASSERT_EQ(rt_source_poll(s, b, 100, &err), RT_EEOF);
  ASSERT_EQ(rt_batch_nrows(b), 10);
  rt_sensors_cfg cfg = {.seed = 7, .devices = 3, .epoch_ms = o.start_ms};
  for (int i = 0; i < 10; i++) {
    rt_sensor_reading r;
    rt_sensors_read(&cfg, (uint64_t)i, rt_sensors_ts(o.start_ms, 100, (uint64_t)i), &r);
    ASSERT(str_is(rt_batch_col(b, 0)[i], r.device_id));
    ASSERT(rt_batch_col(b, 1)[i].u.num == r.temperature);
    ASSERT_EQ(rt_batch_col(b, 3)[i].type, RT_TIME);
    ASSERT_EQ(rt_batch_col(b, 3)[i].u.ms, o.start_ms + i * 10);
  }
  /* the same seed and rate give the same values on another day */
  rt_src_demo_opts o2 = o;
  o2.start_ms += 86400000 * 3 + 12345;
  rt_source *s2 = rt_src_demo_open(&o2);
  rt_batch *b2 = rt_batch_new(4);
  ASSERT_EQ(rt_source_poll(s2, b2, 100, &err), RT_EEOF);
  for (int i = 0; i < 10; i++)
    ASSERT(rt_batch_col(b2, 1)[i].u.num == rt_batch_col(b, 1)[i].u.num);
  rt_batch_free(&b2);
  rt_source_free(&s2);
  rt_batch_free(&b);
  rt_source_free(&s);
}

/* The demo source hands over records at its rate of clock time: exactly
 * floor(elapsed * rate) + 1 of them, whatever the machine's speed. */
static void test_demo_paced(void) {
  rt_manual_clock *m = rt_manual_clock_new(0, 1764000000000LL);
  rt_src_demo_opts o = {.rate = 1000, .devices = 2, .seed = 1, .limit = -1,
                        .clock = rt_manual_clock_get(m)};
  rt_source *s = rt_src_demo_open(&o);
  rt_batch *b = rt_batch_new(4);
  rt_err err;
  ASSERT(rt_source_poll(s, b, 10000, &err) >= 0);
  ASSERT_EQ(rt_batch_nrows(b), 1); /* record 0 is due at once */
  rt_batch_reset(b);
  ASSERT(rt_source_poll(s, b, 10000, &err) >= 0);
  ASSERT_EQ(rt_batch_nrows(b), 0); /* no time has passed */
  rt_manual_clock_advance(m, 100);
  ASSERT(rt_source_poll(s, b, 10000, &err) >= 0);
  ASSERT_EQ(rt_batch_nrows(b), 100);
  rt_batch_reset(b);
  rt_manual_clock_advance(m, 10000); /* a long pause: 10,000 due, in batches of max_rows */
  ASSERT_EQ(rt_source_poll(s, b, 4000, &err), RT_SOURCE_MORE);
  ASSERT_EQ(rt_batch_nrows(b), 4000);
  rt_batch_reset(b);
  ASSERT_EQ(rt_source_poll(s, b, 10000, &err), 0);
  ASSERT_EQ(rt_batch_nrows(b), 6000);
  rt_batch_free(&b);
  rt_source_free(&s);
  rt_manual_clock_free(&m);
}

int main(void) {
  TEST_RUN(test_file_lines);
  TEST_RUN(test_file_missing);
  TEST_RUN(test_demo_deterministic);
  TEST_RUN(test_demo_paced);
  return test_summary();
}
