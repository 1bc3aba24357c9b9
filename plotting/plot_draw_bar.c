/*
 * Bar charts. The x axis is categorical: one slot per distinct x value of
 * the aligned grid, labelled with the spec's labels (x = index) or with the
 * x value itself. Grouped bars split a slot between the series; stacked bars
 * stack them like areas. Bars grow from zero, which the y extent always
 * includes, so their lengths compare honestly. One path per series.
 */
#include <math.h>
#include <stdlib.h>

#include "plot_int.h"

#define PLOT__BAR_FILL 0.8 /* share of a slot covered by its bars */

static void plot__bar_extent(plot__ctx *c) {
  c->x_categorical = 1;
  if (c->spec->stacked) {
    plot__stack_extent(c);
    return;
  }
  if (c->data.n_finite == 0)
    return;
  /* From the grid: what is drawn (duplicates summed, dense grids averaged). */
  double lo = 0, hi = 0;
  for (size_t i = 0; i < c->data.n_views * c->data.n_grid; i++) {
    double y = c->data.grid_y[i];
    if (!isnan(y)) {
      lo = fmin(lo, y);
      hi = fmax(hi, y);
    }
  }
  c->data.ylo = lo;
  c->data.yhi = hi;
}

/* Adds one rectangle from value a to value b, at least a hairline tall. */
static void plot__bar_rect(plot__ctx *c, double x, double w, double a,
                           double b) {
  double y0 = plot__px_y(c, a), y1 = plot__px_y(c, b);
  double top = fmin(y0, y1), h = fabs(y1 - y0);
  if (h < 0.5 && a != b) {
    h = 0.5;
    top = b > a ? y0 - h : y0;
  }
  cairo_rectangle(c->cr, x, top, w, h);
}

static void plot__bars_grouped(plot__ctx *c, double slot) {
  size_t nv = c->data.n_views, n = c->data.n_grid;
  double bw = slot * PLOT__BAR_FILL / (double)nv;
  double gap = bw > 4 ? 1 : 0; /* a hairline between neighbours */
  for (size_t s = 0; s < nv; s++) {
    const double *row = c->data.grid_y + s * n;
    for (size_t i = 0; i < n; i++) {
      if (isnan(row[i]))
        continue;
      double x = c->plot.x + slot * ((double)i + (1 - PLOT__BAR_FILL) / 2) +
                 bw * (double)s;
      plot__bar_rect(c, x, bw - gap, 0, row[i]);
    }
    plot__set_color(c->cr, c->data.views[s].color, 1);
    cairo_fill(c->cr);
  }
}

static int plot__bars_stacked(plot__ctx *c, double slot) {
  size_t n = c->data.n_grid;
  double *buf = calloc(4 * n, sizeof(double));
  if (!buf)
    return plot__fail(c->err, PLOT_ENOMEM, "no memory to stack %zu bars", n);
  double *pos = buf, *neg = buf + n, *lo = buf + 2 * n, *hi = buf + 3 * n;
  double bw = slot * PLOT__BAR_FILL;
  for (size_t s = 0; s < c->data.n_views; s++) {
    plot__stack_step(&c->data, s, pos, neg, lo, hi);
    for (size_t i = 0; i < n; i++) {
      if (lo[i] == hi[i])
        continue;
      double x = c->plot.x + slot * ((double)i + (1 - PLOT__BAR_FILL) / 2);
      plot__bar_rect(c, x, bw, lo[i], hi[i]);
    }
    plot__set_color(c->cr, c->data.views[s].color, 1);
    cairo_fill(c->cr);
  }
  free(buf);
  return PLOT_OK;
}

static int plot__bar_draw(plot__ctx *c) {
  if (c->data.n_grid == 0 || c->data.n_views == 0)
    return PLOT_OK;
  double slot = c->plot.w / (double)c->data.n_grid;
  if (c->spec->stacked)
    return plot__bars_stacked(c, slot);
  plot__bars_grouped(c, slot);
  return PLOT_OK;
}

const plot__kind_ops plot__kind_bar = {"bar", 1, 3.0, 1, plot__bar_extent,
                                       plot__bar_draw};
