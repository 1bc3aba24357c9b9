/*
 * Stacked areas. Series are stacked at equal x on the aligned grid, a
 * missing value counting as zero; positive values stack upwards from zero
 * and negative ones downwards, so a negative series never hides the ones
 * below it. The stacking helpers are shared with stacked bars.
 */
#include <math.h>
#include <stdlib.h>

#include "plot_int.h"

void plot__stack_extent(plot__ctx *c) {
  plot__data *d = &c->data;
  double lo = 0, hi = 0;
  for (size_t i = 0; i < d->n_grid; i++) {
    double pos = 0, neg = 0;
    for (size_t s = 0; s < d->n_views; s++) {
      double y = d->grid_y[s * d->n_grid + i];
      if (y > 0)
        pos += y;
      else if (y < 0)
        neg += y;
    }
    lo = fmin(lo, neg);
    hi = fmax(hi, pos);
  }
  if (d->n_finite == 0)
    return; /* keep the empty extent: the frame shows 0..1 */
  d->ylo = isfinite(lo) ? lo : -1e308;
  d->yhi = isfinite(hi) ? hi : 1e308;
}

void plot__stack_step(const plot__data *d, size_t s, double *pos, double *neg,
                      double *lo, double *hi) {
  const double *row = d->grid_y + s * d->n_grid;
  for (size_t i = 0; i < d->n_grid; i++) {
    double y = isnan(row[i]) ? 0 : row[i];
    double *base = y >= 0 ? &pos[i] : &neg[i];
    lo[i] = *base;
    hi[i] = *base + y;
    *base = hi[i];
  }
}

/* x position of grid column i; one column spans the whole width. */
static double plot__col_x(plot__ctx *c, size_t i, int end) {
  if (c->data.n_grid == 1)
    return end ? c->plot.x + c->plot.w : c->plot.x;
  return plot__px_x(c, c->data.grid_x[i]);
}

static void plot__area_band(plot__ctx *c, const double *lo, const double *hi,
                            int color) {
  cairo_t *cr = c->cr;
  size_t n = c->data.n_grid;
  cairo_move_to(cr, plot__col_x(c, 0, 0), plot__px_y(c, hi[0]));
  for (size_t i = 0; i < n; i++)
    cairo_line_to(cr, plot__col_x(c, i, 1), plot__px_y(c, hi[i]));
  for (size_t i = n; i-- > 0;) {
    cairo_line_to(cr, plot__col_x(c, i, 1), plot__px_y(c, lo[i]));
    if (n == 1) /* one column: the band's bottom-left corner too */
      cairo_line_to(cr, plot__col_x(c, i, 0), plot__px_y(c, lo[i]));
  }
  cairo_close_path(cr);
  plot__set_color(cr, color, 0.8);
  cairo_fill(cr);
  cairo_move_to(cr, plot__col_x(c, 0, 0), plot__px_y(c, hi[0]));
  for (size_t i = 0; i < n; i++)
    cairo_line_to(cr, plot__col_x(c, i, 1), plot__px_y(c, hi[i]));
  plot__set_color(cr, color, 1);
  cairo_stroke(cr);
}

static int plot__area_draw(plot__ctx *c) {
  size_t n = c->data.n_grid;
  if (n == 0)
    return PLOT_OK;
  double *buf = calloc(4 * n, sizeof(double));
  if (!buf)
    return plot__fail(c->err, PLOT_ENOMEM, "no memory to stack %zu columns", n);
  double *pos = buf, *neg = buf + n, *lo = buf + 2 * n, *hi = buf + 3 * n;
  cairo_set_antialias(c->cr, CAIRO_ANTIALIAS_FAST); /* see plot__line_draw */
  cairo_set_line_width(c->cr, 1.25);
  cairo_set_line_join(c->cr, CAIRO_LINE_JOIN_ROUND);
  for (size_t s = 0; s < c->data.n_views; s++) {
    plot__stack_step(&c->data, s, pos, neg, lo, hi);
    plot__area_band(c, lo, hi, c->data.views[s].color);
  }
  free(buf);
  return PLOT_OK;
}

const plot__kind_ops plot__kind_area = {"area", 1, 1.0, 1, plot__stack_extent,
                                        plot__area_draw};
