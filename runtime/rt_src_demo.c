/*
 * `demo sensors`: readings from the deterministic simulator (rt_sensors.h),
 * at `rate` per second of the clock's time (rt_clock.h), `limit` of them
 * when given. Record i is stamped start + i/rate, and the simulator's drift
 * clock starts at start, so the values are the same for a seed and a rate
 * whenever a run starts; pacing only decides when each record is handed
 * over.
 */
#include "rt_source.h"

#include "rt_clock.h"
#include "rt_mem.h"
#include "rt_sensors.h"
#include "rt_time.h"

#include <stdio.h>
#include <string.h>

enum { DEMO_COL_ID, DEMO_COL_TEMP, DEMO_COL_HUM, DEMO_COL_TS };

typedef struct src_demo {
  rt_src_demo_opts o;   /* options with defaults applied */
  rt_sensors_cfg cfg;   /* simulator configuration */
  int64_t start_mono;   /* monotonic ns at open, for pacing */
  uint64_t next;        /* index of the next record */
  rt_source_stats st;   /* counters */
} src_demo;

/* How many records are due by now (all of them when unpaced). */
static uint64_t demo_due(const src_demo *d) {
  if (d->o.unpaced)
    return d->o.limit >= 0 ? (uint64_t)d->o.limit : UINT64_MAX;
  double secs = (double)(rt_clock_mono_ns(d->o.clock) - d->start_mono) / 1e9;
  /* the epsilon keeps a whole number of records (0.3 s * 10/s) from being
   * read as one fewer through binary rounding */
  uint64_t due = (uint64_t)(secs * d->o.rate + 1e-9) + 1;
  if (d->o.limit >= 0 && due > (uint64_t)d->o.limit)
    due = (uint64_t)d->o.limit;
  return due;
}

static void demo_emit(src_demo *d, rt_batch *batch) {
  rt_sensor_reading r;
  int64_t ts = rt_sensors_ts(d->o.start_ms, d->o.rate, d->next);
  rt_sensors_read(&d->cfg, d->next, ts, &r);
  size_t row = rt_batch_add_row(batch);
  rt_batch_set_str(batch, row, DEMO_COL_ID, r.device_id, strlen(r.device_id));
  rt_batch_set(batch, row, DEMO_COL_TEMP, rt_number(r.temperature));
  rt_batch_set(batch, row, DEMO_COL_HUM, rt_number(r.humidity));
  rt_batch_set(batch, row, DEMO_COL_TS, rt_time(r.ts));
  d->next++;
  d->st.records++;
  d->st.bytes += 64; /* about the size of its JSON form */
}

static int demo_poll(void *impl, rt_batch *batch, size_t max_rows, rt_err *err) {
  src_demo *d = impl;
  if (d->o.limit >= 0 && d->next >= (uint64_t)d->o.limit)
    return RT_EEOF;
  uint64_t due = demo_due(d);
  for (size_t n = 0; n < max_rows && d->next < due; n++)
    demo_emit(d, batch);
  if (d->o.limit >= 0 && d->next >= (uint64_t)d->o.limit)
    return RT_EEOF;
  return d->next < due ? RT_SOURCE_MORE : 0;
}

static void demo_stats(void *impl, rt_source_stats *out) {
  src_demo *d = impl;
  *out = d->st;
  out->lag_ms = 0;
  out->partitions = 1;
}

static void demo_positions(void *impl, rt_source_position_fn fn, void *ctx) {
  src_demo *d = impl;
  char buf[32];
  snprintf(buf, sizeof(buf), "%llu", (unsigned long long)d->next);
  fn(ctx, "demo", buf);
}

static void demo_close(void *impl) { rt_free(impl); }

static const rt_source_ops demo_ops = {
    .kind = "demo",
    .poll = demo_poll,
    .stats = demo_stats,
    .positions = demo_positions,
    .close = demo_close,
};

rt_source *rt_src_demo_open(const rt_src_demo_opts *opts) {
  src_demo *d = rt_xcalloc(1, sizeof(*d));
  d->o = *opts;
  if (!(d->o.rate > 0))
    d->o.rate = 100; /* as eddy produce */
  if (d->o.devices < 1)
    d->o.devices = 10;
  if (!d->o.start_ms)
    d->o.start_ms = rt_clock_wall_ms(d->o.clock);
  d->cfg.seed = d->o.seed;
  d->cfg.devices = d->o.devices;
  d->cfg.epoch_ms = d->o.start_ms; /* same seed and rate => same values, any day */
  d->start_mono = rt_clock_mono_ns(d->o.clock);
  static const char *const cols[] = {"device_id", "temperature", "humidity", "ts"};
  rt_source *s = rt_source_new(&demo_ops, d, 4, cols);
  char desc[160];
  snprintf(desc, sizeof(desc), "demo sensors rate %g devices %d seed %llu", d->o.rate,
           d->o.devices, (unsigned long long)d->o.seed);
  rt_source_set_description(s, desc);
  return s;
}
