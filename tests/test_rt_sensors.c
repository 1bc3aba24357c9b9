/*
 * Tests of the sensor simulator: determinism, shape of the values, spike
 * frequency, JSON that jansson reads back to the same numbers. Its speed
 * is measured in bench/generators.c, not asserted here.
 */
#include "rt_sensors.h"
#include "rt_time.h"
#include "test.h"

#include <jansson.h>

static const int64_t T0 = 1763600000000; /* 2025-11-20, a fixed event time */

static void test_deterministic(void) {
  rt_sensors_cfg a = {.seed = 42, .devices = 10};
  rt_sensors_cfg b = {.seed = 43, .devices = 10};
  int differ = 0;
  for (uint64_t i = 0; i < 1000; i++) {
    rt_sensor_reading r1, r2, r3;
    int64_t ts = rt_sensors_ts(T0, 100, i);
    rt_sensors_read(&a, i, ts, &r1);
    rt_sensors_read(&a, i, ts, &r2);
    rt_sensors_read(&b, i, ts, &r3);
    ASSERT_STR_EQ(r1.device_id, r2.device_id);
    ASSERT(r1.temperature == r2.temperature);
    ASSERT(r1.humidity == r2.humidity);
    ASSERT_EQ(r1.ts, ts);
    differ += r1.temperature != r3.temperature;
  }
  ASSERT(differ > 900);
}

/* With epoch_ms at the first record, values do not depend on the start time. */
static void test_epoch(void) {
  rt_sensors_cfg a = {.seed = 3, .devices = 4, .epoch_ms = T0};
  rt_sensors_cfg b = {.seed = 3, .devices = 4, .epoch_ms = T0 + 987654321};
  for (uint64_t i = 0; i < 500; i++) {
    rt_sensor_reading r1, r2;
    rt_sensors_read(&a, i, rt_sensors_ts(a.epoch_ms, 50, i), &r1);
    rt_sensors_read(&b, i, rt_sensors_ts(b.epoch_ms, 50, i), &r2);
    ASSERT(r1.temperature == r2.temperature);
    ASSERT(r1.humidity == r2.humidity);
    ASSERT_EQ(r2.ts - r1.ts, 987654321);
  }
}

static void test_devices_and_ids(void) {
  rt_sensors_cfg c = {.seed = 1, .devices = 12};
  rt_sensor_reading r;
  rt_sensors_read(&c, 7, T0, &r);
  ASSERT_STR_EQ(r.device_id, "sensor-007");
  ASSERT_EQ(r.device, 7);
  rt_sensors_read(&c, 12 + 11, T0, &r);
  ASSERT_STR_EQ(r.device_id, "sensor-011");
  c.devices = 5000;
  rt_sensors_read(&c, 4321, T0, &r);
  ASSERT_STR_EQ(r.device_id, "sensor-4321");
  c.devices = 0; /* taken as 1 */
  rt_sensors_read(&c, 99, T0, &r);
  ASSERT_STR_EQ(r.device_id, "sensor-000");
}

static void test_ts(void) {
  ASSERT_EQ(rt_sensors_ts(T0, 500, 0), T0);
  ASSERT_EQ(rt_sensors_ts(T0, 500, 1), T0 + 2);
  ASSERT_EQ(rt_sensors_ts(T0, 3, 1), T0 + 333);
  ASSERT_EQ(rt_sensors_ts(T0, 0, 2), T0 + 2000);
}

/* Normal readings stay in a plausible band and drift slowly; ~2% spike. */
static void test_value_ranges(void) {
  rt_sensors_cfg c = {.seed = 7, .devices = 10};
  int hot = 0, n = 100000;
  double prev[10] = {0};
  for (int i = 0; i < n; i++) {
    rt_sensor_reading r;
    rt_sensors_read(&c, (uint64_t)i, rt_sensors_ts(T0, 100, (uint64_t)i), &r);
    ASSERT(r.humidity >= 0 && r.humidity <= 100);
    if (r.temperature > 80) {
      hot++;
      ASSERT(r.temperature < 100);
      continue;
    }
    ASSERT(r.temperature > 5 && r.temperature < 45);
    if (prev[r.device] != 0) /* 0.1 s later: drift is small, noise < 0.6 */
      ASSERT(fabs(r.temperature - prev[r.device]) < 1.5);
    prev[r.device] = r.temperature;
  }
  ASSERT(hot > n / 100 * 1.5 && hot < n / 100 * 2.5);
}

static void test_json_roundtrip(void) {
  rt_sensors_cfg c = {.seed = 99, .devices = 1000};
  for (uint64_t i = 0; i < 5000; i++) {
    rt_sensor_reading r;
    char buf[RT_SENSORS_JSON_MAX];
    rt_sensors_read(&c, i * 7919, rt_sensors_ts(T0, 1000, i), &r);
    size_t n = rt_sensors_json(&r, buf, sizeof(buf));
    ASSERT(n > 0 && n < sizeof(buf));
    ASSERT_EQ(strlen(buf), n);
    json_error_t je;
    json_t *o = json_loads(buf, 0, &je);
    ASSERT(o != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "device_id")), r.device_id);
    ASSERT(json_number_value(json_object_get(o, "temperature")) == r.temperature);
    ASSERT(json_number_value(json_object_get(o, "humidity")) == r.humidity);
    ASSERT_EQ(json_integer_value(json_object_get(o, "ts")), r.ts);
    ASSERT_EQ(json_object_size(o), 4);
    json_decref(o);
  }
}

static void test_json_exact_and_small_buffer(void) {
  rt_sensor_reading r = {.device_id = "sensor-003", .device = 3,
                         .temperature = 21.5, .humidity = 40.05, .ts = 12};
  char buf[RT_SENSORS_JSON_MAX];
  size_t n = rt_sensors_json(&r, buf, sizeof(buf));
  ASSERT_STR_EQ(buf, "{\"device_id\":\"sensor-003\",\"temperature\":21.5,"
                     "\"humidity\":40.05,\"ts\":12}");
  char small[8];
  ASSERT_EQ(rt_sensors_json(&r, small, sizeof(small)), n);
  ASSERT_EQ(small[0], '\0');
  r.temperature = -3.2;
  r.humidity = 0;
  rt_sensors_json(&r, buf, sizeof(buf));
  ASSERT_STR_EQ(buf, "{\"device_id\":\"sensor-003\",\"temperature\":-3.2,"
                     "\"humidity\":0,\"ts\":12}");
}

int main(void) {
  TEST_RUN(test_deterministic);
  TEST_RUN(test_epoch);
  TEST_RUN(test_devices_and_ids);
  TEST_RUN(test_ts);
  TEST_RUN(test_value_ranges);
  TEST_RUN(test_json_roundtrip);
  TEST_RUN(test_json_exact_and_small_buffer);
  return test_summary();
}
