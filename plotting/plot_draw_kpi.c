/*
 * The single-value KPI tile: the label on top, one big number, an optional
 * change under it, an optional sparkline of recent values along the bottom,
 * and the footer. The change carries an arrow as well as a colour, so it
 * reads without colour vision. The number shrinks until it fits the width:
 * a tile must never cut a digit.
 */
#include <math.h>
#include <stdio.h>

#include "plot_int.h"

#define PLOT__KPI_PAD 12.0

/* Font size at which text fits width w, starting from size and shrinking. */
static double plot__fit_size(plot__ctx *c, const char *text, double size,
                             double w) {
  plot__font(c, 1, size);
  double tw = plot__text_width(c, text);
  if (tw > w && tw > 0)
    size = fmax(8, size * w / tw);
  return size;
}

/* Draws the number (and unit) with its baseline at y; returns the size used. */
static double plot__kpi_number(plot__ctx *c, double y, double size) {
  char num[64];
  const plot_kpi *k = &c->spec->kpi;
  const char *unit = k->unit && k->unit[0] ? k->unit : NULL;
  plot__fmt_value(k->value, num, sizeof(num));
  double avail = c->w - 2 * PLOT__KPI_PAD;
  double unit_w = 0;
  if (unit) {
    plot__font(c, 0, size * 0.4);
    unit_w = fmin(plot__text_width(c, unit) + 6, avail * 0.3);
  }
  size = plot__fit_size(c, num, size, avail - unit_w);
  cairo_set_source_rgb(c->cr, 0.1, 0.1, 0.1);
  double w = plot__text(c, num, PLOT__KPI_PAD, y, PLOT__LEFT, avail - unit_w);
  if (unit) {
    cairo_set_source_rgb(c->cr, 0.4, 0.4, 0.4);
    plot__font(c, 0, size * 0.4);
    plot__text(c, unit, PLOT__KPI_PAD + w + 6, y, PLOT__LEFT, unit_w);
  }
  return size;
}

static void plot__kpi_delta(plot__ctx *c, double y, double size) {
  char num[64], line[96];
  double d = c->spec->kpi.delta;
  plot__fmt_value(fabs(d), num, sizeof(num));
  if (d > 0) {
    snprintf(line, sizeof(line), "\xE2\x96\xB2 +%s", num); /* up triangle */
    plot__set_color(c->cr, 0, 1);                          /* blue */
  } else if (d < 0) {
    snprintf(line, sizeof(line), "\xE2\x96\xBC \xE2\x88\x92%s", num);
    plot__set_color(c->cr, 3, 1); /* vermillion */
  } else {
    snprintf(line, sizeof(line), "= 0");
    cairo_set_source_rgb(c->cr, 0.45, 0.45, 0.45);
  }
  plot__font(c, 1, size);
  plot__text(c, line, PLOT__KPI_PAD, y, PLOT__LEFT, c->w - 2 * PLOT__KPI_PAD);
}

/* The sparkline of series[0] in rect r, scaled to its own finite extent. */
static void plot__kpi_spark(plot__ctx *c, plot__rect r) {
  const plot__view *v = &c->data.views[0];
  const plot__data *d = &c->data;
  c->plot = r;
  c->xt.lo = d->xlo;
  c->xt.hi = d->xhi > d->xlo ? d->xhi : d->xlo + 1;
  c->yt.lo = d->ylo;
  c->yt.hi = d->yhi > d->ylo ? d->yhi : d->ylo + 1;
  cairo_t *cr = c->cr;
  int open = 0;
  for (size_t i = 0; i < v->n; i++) {
    double x = plot__vx(v, i), y = v->y[i];
    if (!isfinite(x) || !isfinite(y)) {
      open = 0;
      continue;
    }
    if (open)
      cairo_line_to(cr, plot__px_x(c, x), plot__px_y(c, y));
    else
      cairo_move_to(cr, plot__px_x(c, x), plot__px_y(c, y));
    open = 1;
  }
  plot__set_color(cr, 0, 1);
  cairo_set_line_width(cr, 1.5);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke(cr);
}

static void plot__kpi_extent(plot__ctx *c) { (void)c; }

static int plot__kpi_draw(plot__ctx *c) {
  const plot_spec *s = c->spec;
  double top = PLOT__KPI_PAD + (s->title && s->title[0] ? 27 : 0);
  double bottom = c->h - PLOT__KPI_PAD - (s->footer && s->footer[0] ? 19 : 0);
  int spark = c->data.n_views > 0 && c->data.n_finite > 1;
  int delta = isfinite(s->kpi.delta);
  double room = bottom - top;
  double size = fmin(room * (spark ? 0.42 : 0.6) / (delta ? 1.35 : 1), 120);
  cairo_set_source_rgb(c->cr, 1, 1, 1);
  cairo_paint(c->cr);
  plot__title_footer(c);
  size = plot__kpi_number(c, top + size * 0.95, fmax(size, 10));
  double y = top + size * 0.95;
  if (delta) {
    double ds = fmax(10, fmin(size * 0.3, 22));
    y += ds * 1.5;
    plot__kpi_delta(c, y, ds);
  }
  if (spark && bottom - y > 24)
    plot__kpi_spark(c, (plot__rect){PLOT__KPI_PAD, y + 12,
                                    c->w - 2 * PLOT__KPI_PAD, bottom - y - 18});
  return PLOT_OK;
}

const plot__kind_ops plot__kind_kpi = {"kpi", 0, 0, 0, plot__kpi_extent,
                                       plot__kpi_draw};
