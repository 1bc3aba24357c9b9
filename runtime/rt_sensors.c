/*
 * Sensor simulator. Everything is derived from splitmix64 hashes of the seed,
 * the device number and the record index, so no state is kept: drift is a
 * sum of two slow sinusoids of the event time with per-device base, period
 * and phase; noise and spikes hash the record index. The JSON writer formats
 * fixed-point numbers by hand because snprintf("%.2f") would dominate the
 * cost at millions of readings per second.
 */
#include "rt_sensors.h"

#include "rt_hash.h"

#include <math.h>
#include <string.h>

/* A uniform double in [0, 1) from a hash. */
static double unit(uint64_t h) { return (double)(h >> 11) * (1.0 / 9007199254740992.0); }

/* Per-device constants, all in [lo, hi). */
static double dev_param(uint64_t seed, int device, uint64_t salt, double lo, double hi) {
  uint64_t h = rt_splitmix64(seed ^ rt_splitmix64((uint64_t)device * 0x100000001B3ull + salt));
  return lo + (hi - lo) * unit(h);
}

static double round2(double v) { return round(v * 100.0) / 100.0; }

/* Writes "sensor-NNN" (at least 3 digits) into out. */
static void format_id(int device, char *out) {
  char digits[16];
  int n = 0;
  unsigned v = (unsigned)device;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n < 3)
    digits[n++] = '0';
  memcpy(out, "sensor-", 7);
  int k = 7;
  while (n)
    out[k++] = digits[--n];
  out[k] = '\0';
}

int64_t rt_sensors_ts(int64_t start_ms, double rate, uint64_t index) {
  if (!(rate > 0))
    rate = 1;
  return start_ms + (int64_t)floor((double)index * 1000.0 / rate);
}

void rt_sensors_read(const rt_sensors_cfg *cfg, uint64_t index, int64_t ts_ms,
                     rt_sensor_reading *out) {
  int devices = cfg->devices < 1 ? 1 : cfg->devices;
  uint64_t seed = cfg->seed;
  int dev = (int)(index % (uint64_t)devices);
  double t = (double)(ts_ms - cfg->epoch_ms) / 1000.0;

  double base = dev_param(seed, dev, 1, 18.0, 30.0);
  double amp1 = dev_param(seed, dev, 2, 2.0, 6.0);
  double per1 = dev_param(seed, dev, 3, 300.0, 1800.0); /* 5-30 min */
  double ph1 = dev_param(seed, dev, 4, 0.0, 2 * M_PI);
  double amp2 = dev_param(seed, dev, 5, 0.5, 2.0);
  double per2 = dev_param(seed, dev, 6, 30.0, 120.0);
  double ph2 = dev_param(seed, dev, 7, 0.0, 2 * M_PI);
  double wave = amp1 * sin(2 * M_PI * t / per1 + ph1) + amp2 * sin(2 * M_PI * t / per2 + ph2);

  uint64_t h = rt_splitmix64(seed ^ rt_splitmix64(index ^ 0x5EED5EED5EED5EEDull));
  double noise = (unit(h) - 0.5) * 0.6;
  double temp = base + wave + noise;
  if ((h & 0xFFFF) < 0x051E) /* ~2.0% of readings: a hot spike */
    temp = 80.5 + 19.0 * unit(rt_splitmix64(h));

  double hbase = dev_param(seed, dev, 8, 35.0, 65.0);
  double hum = hbase - 1.5 * wave + (unit(rt_splitmix64(h ^ 0xABCDEFull)) - 0.5) * 2.0;
  if (hum < 0)
    hum = 0;
  if (hum > 100)
    hum = 100;

  format_id(dev, out->device_id);
  out->device = dev;
  out->temperature = round2(temp);
  out->humidity = round2(hum);
  out->ts = ts_ms;
}

/* Appends the decimal digits of v (non-negative) at p; returns the new end. */
static char *put_u64(char *p, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n)
    *p++ = tmp[--n];
  return p;
}

/* Appends v (already rounded to 2 decimals) as fixed point, trailing zeros trimmed. */
static char *put_fixed2(char *p, double v) {
  int64_t c = (int64_t)llround(v * 100.0);
  if (c < 0) {
    *p++ = '-';
    c = -c;
  }
  p = put_u64(p, (uint64_t)(c / 100));
  int frac = (int)(c % 100);
  if (frac) {
    *p++ = '.';
    *p++ = (char)('0' + frac / 10);
    if (frac % 10)
      *p++ = (char)('0' + frac % 10);
  }
  return p;
}

size_t rt_sensors_json(const rt_sensor_reading *r, char *buf, size_t bufsz) {
  char tmp[RT_SENSORS_JSON_MAX];
  char *p = tmp;
  size_t idlen = strnlen(r->device_id, RT_SENSORS_ID_MAX - 1);
  memcpy(p, "{\"device_id\":\"", 14);
  p += 14;
  memcpy(p, r->device_id, idlen); /* ids are "sensor-N": nothing to escape */
  p += idlen;
  memcpy(p, "\",\"temperature\":", 16);
  p = put_fixed2(p + 16, r->temperature);
  memcpy(p, ",\"humidity\":", 12);
  p = put_fixed2(p + 12, r->humidity);
  memcpy(p, ",\"ts\":", 6);
  p += 6;
  if (r->ts < 0) {
    *p++ = '-';
    p = put_u64(p, (uint64_t)0 - (uint64_t)r->ts);
  } else {
    p = put_u64(p, (uint64_t)r->ts);
  }
  *p++ = '}';
  size_t n = (size_t)(p - tmp);
  if (n < bufsz) {
    memcpy(buf, tmp, n);
    buf[n] = '\0';
  } else if (bufsz) {
    buf[0] = '\0';
  }
  return n;
}
