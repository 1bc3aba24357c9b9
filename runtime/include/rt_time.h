/*
 * Clocks and ISO-8601 times. Eddy's times are int64 milliseconds since the
 * Unix epoch (UTC) unless a name says otherwise; durations measured for
 * latency use the monotonic clock in nanoseconds.
 */
#ifndef EDDY_RT_TIME_H
#define EDDY_RT_TIME_H

#include "rt_err.h"

#include <stddef.h>
#include <stdint.h>

/* Monotonic nanoseconds, for intervals and timeouts only. */
int64_t rt_mono_ns(void);

/* Wall-clock microseconds since the epoch (UTC). */
int64_t rt_wall_us(void);

/* Wall-clock milliseconds since the epoch (UTC). */
int64_t rt_wall_ms(void);

/* Formats ms since the epoch as "2026-11-20T10:00:03.250Z" into out (at least
 * RT_TIME_ISO_MS_LEN bytes). Returns out. */
enum { RT_TIME_ISO_MS_LEN = 64, RT_TIME_ISO_US_LEN = 64 };
char *rt_time_format_ms(int64_t ms, char *out);

/* Formats us since the epoch as "2026-11-20T10:00:03.250123Z" (six padded
 * fraction digits: microsecond precision, which message headers and logs
 * carry). Returns out. */
char *rt_time_format_us(int64_t us, char *out);

/*
 * Parses an ISO-8601 date-time of n bytes ("2026-11-20T10:00:03Z",
 * "2026-11-20 10:00:03.25+02:00", "2026-11-20T10:00:03" taken as UTC, or a
 * date alone) into ms since the epoch. Returns 0, or RT_EINVAL when s is not
 * such a time.
 */
int rt_time_parse(const char *s, size_t n, int64_t *ms);

/* The longest duration, 2^53 ms (about 285,000 years): exact in a double. */
#define RT_DURATION_MAX_MS (INT64_C(1) << 53)

/*
 * Parses a duration of n bytes (s need not be NUL-terminated): a decimal
 * number (digits, then an optional fraction and exponent: 250, 1.5, 2e3)
 * and a unit (ms, s, m, h, d; none means ms). The one rule of the language
 * and of %set: the value must be a whole number of milliseconds, from 0 to
 * RT_DURATION_MAX_MS, computed in decimal rather than through a double, so
 * "0.001s" is 1 ms and "0.5ms" is refused. Returns 0 with *ms set, or
 * RT_EINVAL with err (may be NULL) saying why; err->off and err->len mark
 * the part at fault (the unit, or the whole text).
 */
int rt_duration_parse(const char *s, size_t n, int64_t *ms, rt_err *err);

/* Days since 1970-01-01 of a proleptic Gregorian date (no table, no timegm). */
int64_t rt_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
