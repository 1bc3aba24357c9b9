/*
 * Clocks and ISO-8601 conversion. Parsing is hand-written rather than
 * strptime: it must be strict, locale-free, allocation-free and fast,
 * because event-time fields are parsed once per record.
 */
#include "rt_time.h"

#include "rt_err.h"

#include <stdio.h>
#include <time.h>

int64_t rt_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t rt_wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t rt_wall_ms(void) { return rt_wall_us() / 1000; }

/* Howard Hinnant's days_from_civil: exact for every Gregorian date. */
int64_t rt_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void split(int64_t t, int64_t unit, int64_t *secs, int64_t *frac) {
  *secs = t / unit;
  *frac = t % unit;
  if (*frac < 0) {
    *frac += unit;
    *secs -= 1;
  }
}

static struct tm utc(int64_t secs) {
  time_t tt = (time_t)secs;
  struct tm tm;
  gmtime_r(&tt, &tm);
  return tm;
}

char *rt_time_format_ms(int64_t ms, char *out) {
  int64_t secs, frac;
  split(ms, 1000, &secs, &frac);
  struct tm tm = utc(secs);
  snprintf(out, RT_TIME_ISO_MS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, (int)frac);
  return out;
}

char *rt_time_format_us(int64_t us, char *out) {
  int64_t secs, frac;
  split(us, 1000000, &secs, &frac);
  struct tm tm = utc(secs);
  snprintf(out, RT_TIME_ISO_US_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, (int)frac);
  return out;
}

/* Reads exactly k digits at s[*i]; returns -1 if they are not all digits. */
static int digits(const char *s, size_t n, size_t *i, int k) {
  int v = 0;
  for (int j = 0; j < k; j++, (*i)++) {
    if (*i >= n || s[*i] < '0' || s[*i] > '9')
      return -1;
    v = v * 10 + (s[*i] - '0');
  }
  return v;
}

static int expect(const char *s, size_t n, size_t *i, char c) {
  if (*i < n && s[*i] == c) {
    (*i)++;
    return 1;
  }
  return 0;
}

static int parse_offset(const char *s, size_t n, size_t *i, int64_t *off_ms) {
  *off_ms = 0;
  if (*i == n)
    return 0;
  if (s[*i] == 'Z' || s[*i] == 'z') {
    (*i)++;
    return 0;
  }
  if (s[*i] != '+' && s[*i] != '-')
    return RT_EINVAL;
  int sign = s[(*i)++] == '-' ? -1 : 1;
  int hh = digits(s, n, i, 2);
  expect(s, n, i, ':');
  int mm = digits(s, n, i, 2);
  if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
    return RT_EINVAL;
  *off_ms = sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
  return 0;
}

int rt_time_parse(const char *s, size_t n, int64_t *ms) {
  size_t i = 0;
  int y = digits(s, n, &i, 4);
  int mo = expect(s, n, &i, '-') ? digits(s, n, &i, 2) : -1;
  int d = expect(s, n, &i, '-') ? digits(s, n, &i, 2) : -1;
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
    return RT_EINVAL;
  int hh = 0, mi = 0, ss = 0, frac_ms = 0;
  if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    i++;
    hh = digits(s, n, &i, 2);
    mi = expect(s, n, &i, ':') ? digits(s, n, &i, 2) : -1;
    ss = expect(s, n, &i, ':') ? digits(s, n, &i, 2) : 0;
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60)
      return RT_EINVAL;
    if (expect(s, n, &i, '.') || expect(s, n, &i, ',')) {
      int scale = 100, any = 0;
      for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1) {
        frac_ms += (s[i] - '0') * scale;
        scale /= 10;
      }
      if (!any)
        return RT_EINVAL;
    }
  }
  int64_t off_ms;
  if (parse_offset(s, n, &i, &off_ms) != 0 || i != n)
    return RT_EINVAL;
  int64_t days = rt_days_from_civil(y, (unsigned)mo, (unsigned)d);
  *ms = ((days * 86400 + hh * 3600 + mi * 60 + ss) * 1000 + frac_ms) - off_ms;
  return 0;
}
