/*
 * A deterministic sensor simulator: the data behind `demo sensors` and
 * `eddy produce sensors`. A reading is a pure function of (seed, device count,
 * record index, event time), so two runs with the same seed yield the same
 * sequence, any record can be regenerated on its own (tests, replays), and
 * there is no state to share between threads. Devices report round robin
 * (record i comes from device i % devices); each device's temperature drifts
 * smoothly around its own base, humidity moves against it, and about 2% of
 * readings are hot spikes above 80 degrees so `where temperature > 80` finds
 * some. Values are rounded to 2 decimals so the struct and its JSON agree.
 */
#ifndef EDDY_RT_SENSORS_H
#define EDDY_RT_SENSORS_H

#include <stddef.h>
#include <stdint.h>

/* Longest JSON line rt_sensors_json() can write, NUL included. */
enum { RT_SENSORS_JSON_MAX = 160, RT_SENSORS_ID_MAX = 24 };

/* What the simulator is asked for; a plain struct filled by the caller. */
typedef struct rt_sensors_cfg {
  uint64_t seed; /* same seed => same readings */
  int devices;   /* number of devices, >= 1 (values < 1 are taken as 1) */
  int64_t epoch_ms; /* origin of the drift clock: 0 = the Unix epoch (values then
                       depend on absolute event time, all sources agree); set it
                       to record 0's event time to make two runs with the same
                       seed and rate yield the same values whenever they start */
} rt_sensors_cfg;

/* One reading. */
typedef struct rt_sensor_reading {
  char device_id[RT_SENSORS_ID_MAX]; /* "sensor-007": zero-padded to 3 digits */
  int device;                        /* device number, 0 .. devices-1 */
  double temperature;                /* degrees C, 2 decimals; spikes > 80 */
  double humidity;                   /* percent, 2 decimals, in [0, 100] */
  int64_t ts;                        /* event time, ms since the epoch */
} rt_sensor_reading;

/*
 * Fills *out with record number index, stamped with event time ts_ms (which
 * also drives the drift, from cfg->epoch_ms). Deterministic in (cfg->seed,
 * cfg->devices, index, ts_ms - cfg->epoch_ms). Never fails; thread-safe.
 */
void rt_sensors_read(const rt_sensors_cfg *cfg, uint64_t index, int64_t ts_ms,
                     rt_sensor_reading *out);

/*
 * The event time of record index for a producer that starts at start_ms and
 * emits rate records per second (rate <= 0 is taken as 1): start_ms +
 * floor(index * 1000 / rate).
 */
int64_t rt_sensors_ts(int64_t start_ms, double rate, uint64_t index);

/*
 * Writes r as one JSON object (no newline) into buf of size bufsz, e.g.
 * {"device_id":"sensor-007","temperature":23.45,"humidity":51.2,"ts":1763...}
 * Returns the length written (excluding the NUL), or the length needed when
 * bufsz is too small (then buf holds nothing useful), like snprintf.
 * RT_SENSORS_JSON_MAX is always enough.
 */
size_t rt_sensors_json(const rt_sensor_reading *r, char *buf, size_t bufsz);

#endif
