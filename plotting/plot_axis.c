/*
 * Axis ticks. Numeric steps walk the 1-2-5 ladder from below until the tick
 * count fits, so the first fit is the densest readable one. Time steps walk a
 * fixed ladder of clock intervals, aligned to multiples of the step in the
 * displayed time zone, so that day ticks fall on midnight and minute ticks on
 * round minutes. All arithmetic is guarded against ranges near the limits of
 * double: halves are used where a difference could overflow, and a result
 * that is not finite falls back to the unexpanded range.
 */
#include "plot_axis.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PLOT__MS_SEC 1000.0
#define PLOT__MS_MIN 60000.0
#define PLOT__MS_HOUR 3600000.0
#define PLOT__MS_DAY 86400000.0
/* Beyond this many ms from the epoch (about 300,000 years) clocks stop. */
#define PLOT__MS_CLOCK_LIMIT 1e16

static const double plot__time_steps[] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500,
    1 * PLOT__MS_SEC, 2 * PLOT__MS_SEC, 5 * PLOT__MS_SEC, 10 * PLOT__MS_SEC,
    15 * PLOT__MS_SEC, 30 * PLOT__MS_SEC,
    1 * PLOT__MS_MIN, 2 * PLOT__MS_MIN, 5 * PLOT__MS_MIN, 10 * PLOT__MS_MIN,
    15 * PLOT__MS_MIN, 30 * PLOT__MS_MIN,
    1 * PLOT__MS_HOUR, 3 * PLOT__MS_HOUR, 6 * PLOT__MS_HOUR, 12 * PLOT__MS_HOUR,
    1 * PLOT__MS_DAY, 2 * PLOT__MS_DAY, 7 * PLOT__MS_DAY, 14 * PLOT__MS_DAY,
    28 * PLOT__MS_DAY, 56 * PLOT__MS_DAY, 91 * PLOT__MS_DAY,
    182 * PLOT__MS_DAY, 364 * PLOT__MS_DAY};

static const char *const plot__months[12] = {"Jan", "Feb", "Mar", "Apr",
                                             "May", "Jun", "Jul", "Aug",
                                             "Sep", "Oct", "Nov", "Dec"};

static int plot__clamp_int(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* The i-th step of the 1-2-5 ladder starting at 10^e0. */
static double plot__ladder(int e0, int i) {
  static const double mant[3] = {1, 2, 5};
  int q = i / 3;
  return mant[i % 3] * pow(10.0, e0 + q);
}

/* Makes [*lo, *hi] a usable, finite, non-degenerate range: one narrower
 * than min_span (absolute) or than rel times its magnitude is widened. */
static void plot__sane_range(double *lo, double *hi, double min_span,
                             double rel) {
  double a = *lo, b = *hi;
  if (!isfinite(a) && !isfinite(b)) {
    a = 0;
    b = 1;
  } else if (!isfinite(a)) {
    a = b;
  } else if (!isfinite(b)) {
    b = a;
  }
  if (a > b) {
    double t = a;
    a = b;
    b = t;
  }
  double mid = a / 2 + b / 2;
  if (b / 2 - a / 2 <= fabs(mid) * rel || b - a < min_span) {
    double d = min_span > 1e-300 ? min_span : mid == 0 ? 1 : fabs(mid) * 0.1;
    a = mid - d;
    b = mid + d;
    if (mid == 0 && min_span <= 1e-300)
      a = 0; /* a flat zero line sits on the axis, not in the middle */
  }
  *lo = a;
  *hi = b;
}

/* Counts ticks of step s over [lo, hi]; sets the first/last multiples. */
static double plot__count(double lo, double hi, double s, int expand,
                          double *k0, double *k1) {
  *k0 = expand ? floor(lo / s) : ceil(lo / s);
  *k1 = expand ? ceil(hi / s) : floor(hi / s);
  if (*k1 < *k0)
    return 0;
  return *k1 - *k0 + 1;
}

static void plot__choose_numeric_fmt(plot_ticks *t) {
  double mag = fmax(fabs(t->lo), fabs(t->hi));
  double s = t->step;
  int se = (int)floor(log10(s) + 1e-9);
  t->fmt = PLOT_FMT_NUMBER;
  t->decimals = se < 0 ? -se : 0;
  if (mag >= 1e15 || (s < 1e-5 && mag > 0)) {
    int me = (int)floor(log10(mag));
    t->fmt = PLOT_FMT_EXP;
    t->decimals = plot__clamp_int(me - se, 0, 6);
  } else if (mag >= 1e4 && s >= 100) {
    double unit = mag >= 1e12 ? 1e12 : mag >= 1e9 ? 1e9 : mag >= 1e6 ? 1e6 : 1e3;
    int ue = (int)floor(log10(s / unit) + 1e-9);
    t->fmt = PLOT_FMT_SI;
    t->decimals = ue < 0 ? -ue : 0;
  }
}

/* Fills t->v with ticks k0*s .. k1*s, snapping rounding noise to zero. */
static void plot__fill(plot_ticks *t, double k0, double k1, double phase) {
  t->n = 0;
  for (double k = k0; k <= k1 && t->n < PLOT_MAX_TICKS; k++) {
    double v = k * t->step + phase;
    if (fabs(v) < t->step * 1e-9)
      v = 0;
    t->v[t->n++] = v;
  }
}

void plot_ticks_nice(double lo, double hi, int min_ticks, int max_ticks,
                     int expand, plot_ticks *out) {
  memset(out, 0, sizeof(*out));
  max_ticks = plot__clamp_int(max_ticks, 2, PLOT_MAX_TICKS);
  min_ticks = plot__clamp_int(min_ticks, 2, max_ticks);
  plot__sane_range(&lo, &hi, 1e-300, 1e-9);
  double half = hi / 2 - lo / 2;
  int e0 = (int)floor(log10(half) + log10(2.0 / max_ticks)) - 1;
  double s = 0, k0 = 0, k1 = 0, n = 0;
  for (int i = 0; i < 12; i++) {
    double next = plot__ladder(e0, i);
    if (!isfinite(next) && s > 0)
      break; /* near DBL_MAX: keep the last finite step, even if dense */
    s = next;
    n = plot__count(lo, hi, s, expand, &k0, &k1);
    if (n <= max_ticks)
      break;
  }
  out->step = s;
  out->lo = lo;
  out->hi = hi;
  if (expand && isfinite(k0 * s) && isfinite(k1 * s)) {
    out->lo = k0 * s;
    out->hi = k1 * s;
  } else if (expand) {
    plot__count(lo, hi, s, 0, &k0, &k1); /* the ends would overflow */
  }
  plot__fill(out, k0, k1, 0);
  (void)min_ticks; /* the 1-2-5 ladder lands between min and max on its own */
  plot__choose_numeric_fmt(out);
}

static plot_tick_fmt plot__time_fmt(double step) {
  if (step < PLOT__MS_SEC)
    return PLOT_FMT_MSEC;
  if (step < PLOT__MS_MIN)
    return PLOT_FMT_SEC;
  if (step < PLOT__MS_DAY)
    return PLOT_FMT_MIN;
  return PLOT_FMT_DAY;
}

void plot_ticks_time(double lo, double hi, int max_ticks, int tz_offset_min,
                     plot_ticks *out) {
  plot__sane_range(&lo, &hi, 1.0, 0); /* under a millisecond: +-1 ms */
  max_ticks = plot__clamp_int(max_ticks, 2, PLOT_MAX_TICKS);
  size_t nsteps = sizeof(plot__time_steps) / sizeof(plot__time_steps[0]);
  double off = tz_offset_min * PLOT__MS_MIN;
  double last = plot__time_steps[nsteps - 1];
  if (fabs(lo) > PLOT__MS_CLOCK_LIMIT || fabs(hi) > PLOT__MS_CLOCK_LIMIT ||
      hi - lo > last * max_ticks) {
    plot_ticks_nice(lo, hi, 2, max_ticks, 0, out);
    if (fabs(lo) <= PLOT__MS_CLOCK_LIMIT && fabs(hi) <= PLOT__MS_CLOCK_LIMIT)
      out->fmt = PLOT_FMT_YEAR;
    out->tz_offset_min = tz_offset_min;
    return;
  }
  memset(out, 0, sizeof(*out));
  double k0 = 0, k1 = 0, phase = 0;
  for (size_t i = 0; i < nsteps; i++) {
    out->step = plot__time_steps[i];
    /* Weeks start on Monday: the epoch was a Thursday. */
    phase = out->step >= 7 * PLOT__MS_DAY ? 4 * PLOT__MS_DAY : 0;
    double n = plot__count(lo + off - phase, hi + off - phase, out->step, 0,
                           &k0, &k1);
    if (n <= max_ticks)
      break;
  }
  out->lo = lo;
  out->hi = hi;
  out->tz_offset_min = tz_offset_min;
  out->fmt = plot__time_fmt(out->step);
  plot__fill(out, k0, k1, phase - off);
}

/* Breaks ms (already shifted to local time) into calendar fields. */
static int plot__civil(double ms, struct tm *tm, int *millis) {
  double secs = floor(ms / 1000.0);
  if (!(fabs(secs) < 1e13))
    return -1;
  time_t t = (time_t)secs;
  *millis = (int)(ms - secs * 1000.0 + 0.5);
  if (*millis > 999)
    *millis = 999;
  return gmtime_r(&t, tm) ? 0 : -1;
}

static char *plot__time_label(const plot_ticks *t, double v, char *buf,
                              size_t size) {
  struct tm tm;
  int ms = 0;
  if (plot__civil(v + t->tz_offset_min * PLOT__MS_MIN, &tm, &ms) != 0) {
    snprintf(buf, size, "?");
    return buf;
  }
  int midnight = tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0;
  switch (t->fmt) {
  case PLOT_FMT_MSEC:
    snprintf(buf, size, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
             tm.tm_sec, ms);
    break;
  case PLOT_FMT_SEC:
    snprintf(buf, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    break;
  case PLOT_FMT_MIN:
    if (midnight)
      snprintf(buf, size, "%s %d", plot__months[tm.tm_mon], tm.tm_mday);
    else
      snprintf(buf, size, "%02d:%02d", tm.tm_hour, tm.tm_min);
    break;
  case PLOT_FMT_YEAR:
    snprintf(buf, size, "%d", tm.tm_year + 1900);
    break;
  default:
    snprintf(buf, size, "%s %d", plot__months[tm.tm_mon], tm.tm_mday);
    break;
  }
  return buf;
}

static char *plot__si_label(const plot_ticks *t, double v, char *buf,
                            size_t size) {
  double mag = fmax(fabs(t->lo), fabs(t->hi));
  double unit = 1e3;
  const char *suffix = "k";
  if (mag >= 1e12) {
    unit = 1e12;
    suffix = "T";
  } else if (mag >= 1e9) {
    unit = 1e9;
    suffix = "G";
  } else if (mag >= 1e6) {
    unit = 1e6;
    suffix = "M";
  }
  if (v == 0)
    snprintf(buf, size, "0");
  else
    snprintf(buf, size, "%.*f%s", t->decimals, v / unit, suffix);
  return buf;
}

char *plot_tick_label(const plot_ticks *t, double v, char *buf, size_t size) {
  if (size == 0)
    return buf;
  switch (t->fmt) {
  case PLOT_FMT_SI:
    return plot__si_label(t, v, buf, size);
  case PLOT_FMT_EXP:
    if (v == 0)
      snprintf(buf, size, "0");
    else
      snprintf(buf, size, "%.*e", t->decimals, v);
    return buf;
  case PLOT_FMT_NUMBER:
    snprintf(buf, size, "%.*f", t->decimals, v == 0 ? 0.0 : v);
    return buf;
  default:
    return plot__time_label(t, v, buf, size);
  }
}
