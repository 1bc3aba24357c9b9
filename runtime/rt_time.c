/*
 * Clocks, ISO-8601 conversion and durations. Parsing is hand-written rather
 * than strptime: it must be strict, locale-free, allocation-free and fast,
 * because event-time fields are parsed once per record. Durations are
 * converted in decimal, not through a double, so whether "1.001s" is a
 * whole number of milliseconds never depends on rounding.
 */
#include "rt_time.h"

#include "rt_err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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

/* ---- durations ----------------------------------------------------------- */

/* A unit's milliseconds as mult * 10^pow10, mult free of factors of 5, which
 * bounds the trailing zeros a product mantissa * mult can gain (at most 5,
 * from 864 = 2^5 * 27). */
typedef struct dur_unit {
  const char *name;
  uint64_t mult;
  int pow10;
} dur_unit;

static const dur_unit DUR_UNITS[] = {
    {"ms", 1, 0}, {"s", 1, 3}, {"m", 6, 4}, {"h", 36, 5}, {"d", 864, 5},
};

enum {
  DUR_MAX_DIGITS = 64,     /* significant digits kept; more only matter for size */
  DUR_MAX_EXP = 100000,    /* exponents are clamped here: far past any limit */
  DUR_MAX_GAINED_ZEROS = 5 /* see dur_unit */
};

/* A decimal number as digits[0..len) * 10^exp, without leading or trailing
 * zeros in digits (len 0 is zero). */
typedef struct dur_num {
  char digits[DUR_MAX_DIGITS];
  size_t len;    /* significant digits, also past DUR_MAX_DIGITS */
  int64_t exp;   /* power of ten of the last significant digit */
} dur_num;

static bool dur_digit(const char *s, size_t n, size_t i) { return i < n && s[i] >= '0' && s[i] <= '9'; }

/* Appends digit c, holding back zeros until a nonzero digit follows them. */
static void dur_push(dur_num *d, char c, size_t *zeros) {
  if (c == '0') {
    if (d->len)
      (*zeros)++;
    return;
  }
  for (; *zeros; (*zeros)--, d->len++)
    if (d->len < DUR_MAX_DIGITS)
      d->digits[d->len] = '0';
  if (d->len < DUR_MAX_DIGITS)
    d->digits[d->len] = c;
  d->len++;
}

/* Scans digits [. digits] [e [+-] digits], the grammar of the language's
 * numbers. Returns the bytes taken, 0 when s does not start with a digit. */
static size_t dur_scan_number(const char *s, size_t n, dur_num *d) {
  size_t i = 0, zeros = 0;
  int64_t frac = 0;
  memset(d, 0, sizeof(*d));
  for (; dur_digit(s, n, i); i++)
    dur_push(d, s[i], &zeros);
  if (i == 0)
    return 0;
  if (i < n && s[i] == '.' && dur_digit(s, n, i + 1))
    for (i++; dur_digit(s, n, i); i++, frac++)
      dur_push(d, s[i], &zeros);
  size_t e = i;
  if (e < n && (s[e] == 'e' || s[e] == 'E')) {
    size_t j = e + 1;
    bool neg = j < n && s[j] == '-';
    j += j < n && (s[j] == '-' || s[j] == '+');
    if (dur_digit(s, n, j)) {
      int64_t x = 0;
      for (; dur_digit(s, n, j); j++)
        if (x < DUR_MAX_EXP)
          x = x * 10 + (s[j] - '0');
      d->exp = neg ? -x : x;
      i = j;
    }
  }
  d->exp += (int64_t)zeros - frac; /* held-back zeros were trailing ones */
  return i;
}

/* The value of digits [from, to) of d (at most 19 of them). */
static uint64_t dur_digits_value(const dur_num *d, size_t from, size_t to) {
  uint64_t v = 0;
  for (size_t i = from; i < to; i++)
    v = v * 10 + (uint64_t)(d->digits[i] - '0');
  return v;
}

static int dur_error(rt_err *err, size_t off, size_t len, const char *msg) {
  rt_err_set(err, RT_EINVAL, "%s", msg);
  if (err) {
    err->off = (int)off;
    err->len = (int)len;
  }
  return RT_EINVAL;
}

/* d * u in ms, exactly: 0, or RT_EINVAL ("too long" or "not whole" in *why). */
static int dur_value(const dur_num *d, const dur_unit *u, int64_t *ms, const char **why) {
  static const uint64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                   100000000, 1000000000, 10000000000, 100000000000,
                                   1000000000000, 10000000000000, 100000000000000,
                                   1000000000000000, 10000000000000000};
  const char *too_long = "duration too long", *not_whole =
      "a duration must be a whole number of milliseconds";
  int64_t t = d->exp + u->pow10, len = (int64_t)d->len;
  uint64_t v;
  if (len == 0) {
    v = 0;
  } else if (t >= 0) { /* digits * 10^t * mult: at least 10^(len-1+t) */
    if (len + t > 16)
      return *why = too_long, RT_EINVAL;
    v = dur_digits_value(d, 0, d->len) * pow10[t] * u->mult;
  } else { /* (q * 10^m + r) * mult / 10^m, whole only if 10^m divides r * mult */
    int64_t m = -t;
    if (m > DUR_MAX_GAINED_ZEROS)
      return *why = not_whole, RT_EINVAL;
    if (len - m > 16)
      return *why = too_long, RT_EINVAL;
    size_t split = len > m ? (size_t)(len - m) : 0;
    uint64_t q = dur_digits_value(d, 0, split), r = dur_digits_value(d, split, d->len);
    if (r * u->mult % pow10[m] != 0)
      return *why = not_whole, RT_EINVAL;
    v = q * u->mult + r * u->mult / pow10[m];
  }
  if (v > (uint64_t)RT_DURATION_MAX_MS)
    return *why = too_long, RT_EINVAL;
  *ms = (int64_t)v;
  return 0;
}

int rt_duration_parse(const char *s, size_t n, int64_t *ms, rt_err *err) {
  dur_num d;
  size_t at = dur_scan_number(s, n, &d);
  if (at == 0)
    return dur_error(err, 0, n, "a duration is a number and a unit, as in 250ms, 10s, 5m, 1h, 1d");
  const dur_unit *u = at == n ? &DUR_UNITS[0] : NULL;
  for (size_t i = 0; !u && i < sizeof(DUR_UNITS) / sizeof(DUR_UNITS[0]); i++)
    if (strlen(DUR_UNITS[i].name) == n - at && memcmp(DUR_UNITS[i].name, s + at, n - at) == 0)
      u = &DUR_UNITS[i];
  if (!u) {
    char msg[160];
    int ulen = n - at > 20 ? 20 : (int)(n - at);
    snprintf(msg, sizeof(msg),
             "bad duration unit `%.*s`; use ms, s, m, h or d (as in 250ms, 10s, 5m, 1h, 1d)", ulen,
             s + at);
    return dur_error(err, at, n - at, msg);
  }
  const char *why;
  if (dur_value(&d, u, ms, &why) < 0)
    return dur_error(err, 0, n, why);
  return 0;
}
