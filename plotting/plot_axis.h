/*
 * Axis ticks: where the ticks of an axis go and how they are labelled.
 *
 * Numeric axes get "nice" ticks, steps of 1, 2 or 5 times a power of ten,
 * between a minimum and a maximum count. Time axes (milliseconds since the
 * epoch) get clock steps a person would pick: 1, 2, 5, 10, 15, 30 seconds or
 * minutes, 1, 3, 6, 12 hours, 1, 2, 7 days (with sub-second and multi-week
 * steps at the ends), labelled 10:05:30, 10:05 or Nov 20. Pure functions with
 * no cairo in them, so the tests can pin them on tricky ranges.
 */
#ifndef EDDY_PLOT_AXIS_H
#define EDDY_PLOT_AXIS_H

#include <stddef.h>

#define PLOT_MAX_TICKS 16

/* How tick labels are written. */
typedef enum plot_tick_fmt {
  PLOT_FMT_NUMBER = 0, /* plain decimal with as many decimals as the step needs */
  PLOT_FMT_SI,         /* 1.5k, 20M, 3G: for large magnitudes */
  PLOT_FMT_EXP,        /* 1.5e-07: for magnitudes too small or too large */
  PLOT_FMT_MSEC,       /* 10:05:30.250 */
  PLOT_FMT_SEC,        /* 10:05:30 */
  PLOT_FMT_MIN,        /* 10:05, and "Nov 20" at midnight */
  PLOT_FMT_DAY,        /* Nov 20 */
  PLOT_FMT_YEAR        /* 2026 */
} plot_tick_fmt;

/* A computed axis scale. */
typedef struct plot_ticks {
  double lo, hi;              /* the axis range (may be wider than the data) */
  double step;                /* distance between ticks */
  double v[PLOT_MAX_TICKS];   /* tick positions, ascending, within [lo, hi] */
  int n;                      /* number of ticks */
  plot_tick_fmt fmt;          /* label style */
  int decimals;               /* PLOT_FMT_NUMBER/SI: digits after the point */
  int tz_offset_min;          /* time formats: minutes added to UTC */
} plot_ticks;

/*
 * Nice numeric ticks for data in [lo, hi]. With expand != 0 the range grows
 * to the enclosing ticks (a y axis); otherwise it stays [lo, hi] and only
 * ticks inside it are listed (an x axis). A degenerate range (lo == hi, or
 * one that is NaN or inf) is widened around the value first. Aims for
 * min_ticks..max_ticks ticks (clamped to 2..PLOT_MAX_TICKS). Always succeeds.
 */
void plot_ticks_nice(double lo, double hi, int min_ticks, int max_ticks,
                     int expand, plot_ticks *out);

/*
 * Clock ticks for times lo..hi in milliseconds since the epoch, at most
 * max_ticks of them, labelled with the given offset from UTC. The range is
 * not expanded. Ranges beyond a few centuries fall back to numeric ticks.
 */
void plot_ticks_time(double lo, double hi, int max_ticks, int tz_offset_min,
                     plot_ticks *out);

/*
 * Writes the label of tick value v into buf (always NUL-terminated when
 * size > 0) and returns buf.
 */
char *plot_tick_label(const plot_ticks *t, double v, char *buf, size_t size);

#endif
