/*
 * Speed of the two simulators that feed the demo and `eddy produce`:
 * readings (or clicks) generated and written as JSON per second, against
 * the plain cost of formatting the same JSON with snprintf alone (the
 * peer: what any producer pays anyway). Moved here from the unit tests,
 * which assert only what the generators produce, never how fast.
 *
 *   generators [n]     (default 2,000,000 of each)
 */
#include "rt_clicks.h"
#include "rt_sensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const int64_t T0 = 1763600000000; /* a fixed event time */

/* Thread CPU time: other load on a shared machine skews it less. */
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double sensors(int n, size_t *bytes) {
  rt_sensors_cfg c = {.seed = 5, .devices = 100};
  double t0 = cpu_s();
  for (int i = 0; i < n; i++) {
    rt_sensor_reading r;
    char buf[RT_SENSORS_JSON_MAX];
    rt_sensors_read(&c, (uint64_t)i, T0 + i, &r);
    *bytes += rt_sensors_json(&r, buf, sizeof(buf));
  }
  return cpu_s() - t0;
}

static double clicks(int n, size_t *bytes) {
  rt_clicks_cfg c = {.seed = 5, .users = 1000};
  double t0 = cpu_s();
  for (int i = 0; i < n; i++) {
    rt_click k;
    char buf[RT_CLICKS_JSON_MAX];
    rt_clicks_read(&c, (uint64_t)i, T0 + i, &k);
    *bytes += rt_clicks_json(&k, buf, sizeof(buf));
  }
  return cpu_s() - t0;
}

/* The peer: the same shape of JSON from constants, formatting alone. */
static double snprintf_only(int n, size_t *bytes) {
  double t0 = cpu_s();
  for (int i = 0; i < n; i++) {
    char buf[160];
    int len = snprintf(buf, sizeof(buf),
                       "{\"device_id\":\"sensor-%03d\",\"temperature\":%.1f,"
                       "\"humidity\":%.1f,\"ts\":%lld}",
                       i % 100, 20.0 + (i % 200) / 10.0, 40.0 + (i % 300) / 10.0,
                       (long long)(T0 + i));
    *bytes += (size_t)len;
  }
  return cpu_s() - t0;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000000;
  size_t b1 = 0, b2 = 0, b3 = 0;
  double peer = snprintf_only(n, &b3), s = sensors(n, &b1), c = clicks(n, &b2);
  printf("snprintf alone:     %6.2f M/s  (%zu bytes)\n", n / peer / 1e6, b3);
  printf("sensors + JSON:     %6.2f M/s  (%zu bytes)  %.2fx the cost of snprintf alone\n",
         n / s / 1e6, b1, s / peer);
  printf("clicks + JSON:      %6.2f M/s  (%zu bytes)  %.2fx the cost of snprintf alone\n",
         n / c / 1e6, b2, c / peer);
  return 0;
}
