/*
 * Everything around the data: layout, title, footer, grid, axes, tick
 * labels and the legend. The legend lives outside the plot area (on the
 * right, or below on narrow charts), so it can never cover a data point.
 * Layout runs before drawing: the y ticks depend on the plot height only,
 * their label widths fix the plot's left edge, and only then are the x ticks
 * chosen for the width that is left. Coordinates are logical pixels; the
 * device scale set on the surface makes them sharp on high-DPI screens.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_int.h"

#define PLOT__PAD 12.0
#define PLOT__TITLE_PX 15.0
#define PLOT__TICK_PX 11.0
#define PLOT__LABEL_PX 12.0
#define PLOT__FOOTER_PX 11.0
#define PLOT__LEGEND_PX 12.0
#define PLOT__LEGEND_ROW 18.0
#define PLOT__LEGEND_SWATCH 22.0 /* swatch plus gap before the name */
#define PLOT__NARROW 480.0       /* below this width the legend goes under */

static int plot__clampi(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

static int plot__has_legend(const plot__ctx *c) {
  const plot__data *d = &c->data;
  return d->n_views > 1 || d->n_hidden > 0 ||
         (d->n_views == 1 && d->views[0].name[0]);
}

/* The last legend line of a chart that dropped series: "+4 more series". */
static const char *plot__hidden_text(const plot__ctx *c, char *buf, size_t n) {
  if (!c->data.n_hidden)
    return NULL;
  snprintf(buf, n, "+%zu more series", c->data.n_hidden);
  return buf;
}

static int plot__legend_below(const plot__ctx *c) {
  return c->w < PLOT__NARROW;
}

/* Width of the right-hand legend column, names ellipsized past a cap. */
static double plot__legend_width(plot__ctx *c) {
  double cap = fmax(60, c->w * 0.25), wmax = 0;
  plot__font(c, 0, PLOT__LEGEND_PX);
  char buf[48];
  const char *hidden = plot__hidden_text(c, buf, sizeof(buf));
  for (size_t i = 0; i < c->data.n_views; i++)
    wmax = fmax(wmax, plot__text_width(c, c->data.views[i].name));
  if (hidden)
    wmax = fmax(wmax, plot__text_width(c, hidden));
  return fmin(wmax + PLOT__LEGEND_SWATCH, cap) + PLOT__PAD;
}

/* Rows needed by the legend laid out below the plot across width w. */
static int plot__legend_rows(plot__ctx *c, double w) {
  double x = 0;
  int rows = 1;
  char buf[48];
  const char *hidden = plot__hidden_text(c, buf, sizeof(buf));
  plot__font(c, 0, PLOT__LEGEND_PX);
  for (size_t i = 0; i < c->data.n_views + (hidden ? 1 : 0); i++) {
    const char *name = i < c->data.n_views ? c->data.views[i].name : hidden;
    double ew = fmin(plot__text_width(c, name), w * 0.5) +
                PLOT__LEGEND_SWATCH + 14;
    if (x > 0 && x + ew > w) {
      rows++;
      x = 0;
    }
    x += ew;
  }
  return rows > 3 ? 3 : rows;
}

static double plot__ytick_width(plot__ctx *c) {
  char buf[64];
  double wmax = 0;
  plot__font(c, 0, PLOT__TICK_PX);
  for (int i = 0; i < c->yt.n; i++)
    wmax = fmax(wmax, plot__text_width(c, plot_tick_label(&c->yt, c->yt.v[i],
                                                          buf, sizeof(buf))));
  return wmax + 8;
}

static void plot__y_scale(plot__ctx *c) {
  const plot__data *d = &c->data;
  int maxn = plot__clampi((int)(c->plot.h / 24), 5, 8);
  double lo = d->ylo, hi = d->yhi;
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  if (c->spec->y_zero) {
    lo = fmin(lo, 0);
    hi = fmax(hi, 0);
  }
  plot_ticks_nice(lo, hi, 4, maxn, 1, &c->yt);
}

/* Room one x tick label needs: the widest label plus a gap. */
static double plot__xtick_width(plot__ctx *c) {
  char buf[64];
  double wmax = 0;
  plot__font(c, 0, PLOT__TICK_PX);
  for (int i = 0; i < c->xt.n; i++)
    wmax = fmax(wmax, plot__text_width(c, plot_tick_label(&c->xt, c->xt.v[i],
                                                          buf, sizeof(buf))));
  return wmax + 16;
}

static void plot__x_scale(plot__ctx *c) {
  const plot__data *d = &c->data;
  int maxn = plot__clampi((int)(c->plot.w / 60), 2, 8);
  double lo = d->xlo, hi = d->xhi;
  if (c->x_categorical) {
    plot_ticks_nice(0, d->n_grid ? d->n_grid - 1.0 : 1, 2, maxn, 0, &c->xt);
    c->xt.lo = -0.5;
    c->xt.hi = (d->n_grid ? (double)d->n_grid : 1) - 0.5;
    c->xt.n = 0; /* slots are labelled by plot__x_slots() */
    return;
  }
  if (!(lo <= hi)) {
    plot_ticks_nice(0, 1, 2, maxn, 0, &c->xt);
    c->xt.n = 0; /* no data: an empty axis, no made-up labels */
    return;
  }
  if (c->spec->x.kind == PLOT_AXIS_TIME && hi - lo < 1) {
    lo -= 30000; /* one instant: show a minute around it */
    hi += 30000;
  }
  if (c->spec->kind == PLOT_SCATTER && hi > lo) {
    double m = (hi / 2 - lo / 2) * 0.06;
    lo -= m;
    hi += m;
  }
  /* Fewer ticks until the widest label, with a gap, fits between ticks. */
  for (; maxn >= 2; maxn--) {
    if (c->spec->x.kind == PLOT_AXIS_TIME)
      plot_ticks_time(lo, hi, maxn, c->spec->x.tz_offset_min, &c->xt);
    else
      plot_ticks_nice(lo, hi, 2, maxn, 0, &c->xt);
    if (plot__xtick_width(c) * c->xt.n <= c->plot.w)
      break;
  }
}

void plot__layout(plot__ctx *c) {
  const plot_spec *s = c->spec;
  double top = PLOT__PAD, bottom = c->h - PLOT__PAD;
  double left = PLOT__PAD, right = c->w - PLOT__PAD;
  if (s->title && s->title[0])
    top += PLOT__TITLE_PX + 12;
  else
    top += 4;
  if (s->footer && s->footer[0])
    bottom -= PLOT__FOOTER_PX + 8;
  if (plot__has_legend(c) && plot__legend_below(c))
    bottom -= plot__legend_rows(c, right - left) * PLOT__LEGEND_ROW + 4;
  else if (plot__has_legend(c))
    right -= plot__legend_width(c);
  bottom -= PLOT__TICK_PX + 10;
  if (s->x.label && s->x.label[0])
    bottom -= PLOT__LABEL_PX + 6;
  if (s->y_label && s->y_label[0])
    left += PLOT__LABEL_PX + 8;
  c->plot = (plot__rect){left, top, fmax(right - left, 10), fmax(bottom - top, 10)};
  plot__y_scale(c);
  double yw = plot__ytick_width(c);
  c->plot.x += yw;
  c->plot.w = fmax(c->plot.w - yw, 10);
  plot__x_scale(c);
}

/* Maps v on [lo, hi] to [p0, p0 + len], via halves so that no difference of
 * finite doubles can overflow, and clamps far-away points to a range cairo's
 * fixed-point coordinates handle exactly. */
static double plot__map(double v, double lo, double hi, double p0, double len) {
  double span = hi / 2 - lo / 2;
  double t = span != 0 ? (v / 2 - lo / 2) / span : 0.5;
  double p = p0 + t * len;
  if (!(p > p0 - 1e4))
    return p0 - 1e4;
  if (!(p < p0 + len + 1e4))
    return p0 + len + 1e4;
  return p;
}

double plot__px_x(const plot__ctx *c, double x) {
  return plot__map(x, c->xt.lo, c->xt.hi, c->plot.x, c->plot.w);
}

double plot__px_y(const plot__ctx *c, double y) {
  return plot__map(y, c->yt.hi, c->yt.lo, c->plot.y, c->plot.h);
}

void plot__title_footer(plot__ctx *c) {
  const plot_spec *s = c->spec;
  cairo_t *cr = c->cr;
  if (s->title && s->title[0]) {
    cairo_set_source_rgb(cr, 0.13, 0.13, 0.13);
    plot__font(c, 1, PLOT__TITLE_PX);
    plot__text(c, s->title, PLOT__PAD, PLOT__PAD + PLOT__TITLE_PX, PLOT__LEFT,
               c->w - 2 * PLOT__PAD);
  }
  if (s->footer && s->footer[0]) {
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    plot__font(c, 0, PLOT__FOOTER_PX);
    plot__text(c, s->footer, PLOT__PAD, c->h - PLOT__PAD - 1, PLOT__LEFT,
               c->w - 2 * PLOT__PAD);
  }
}

/* Horizontal grid lines and y tick labels. Lines sit on half pixels at 1x
 * so that they are crisp. */
static void plot__y_axis(plot__ctx *c) {
  cairo_t *cr = c->cr;
  char buf[64];
  cairo_set_line_width(cr, 1);
  cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
  for (int i = 0; i < c->yt.n; i++) {
    double y = floor(plot__px_y(c, c->yt.v[i])) + 0.5;
    cairo_move_to(cr, c->plot.x, y);
    cairo_line_to(cr, c->plot.x + c->plot.w, y);
  }
  cairo_stroke(cr);
  if (c->yt.lo < 0 && c->yt.hi > 0) { /* zero, where bars and stacks grow from */
    double y = floor(plot__px_y(c, 0)) + 0.5;
    cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
    cairo_move_to(cr, c->plot.x, y);
    cairo_line_to(cr, c->plot.x + c->plot.w, y);
    cairo_stroke(cr);
  }
  cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
  plot__font(c, 0, PLOT__TICK_PX);
  for (int i = 0; i < c->yt.n; i++) {
    double y = plot__px_y(c, c->yt.v[i]) + PLOT__TICK_PX * 0.36;
    plot__text(c, plot_tick_label(&c->yt, c->yt.v[i], buf, sizeof(buf)),
               c->plot.x - 6, y, PLOT__RIGHT, 0);
  }
  if (c->spec->y_label && c->spec->y_label[0]) {
    cairo_save(cr);
    cairo_translate(cr, PLOT__PAD + PLOT__LABEL_PX, c->plot.y + c->plot.h / 2);
    cairo_rotate(cr, -M_PI / 2);
    plot__font(c, 0, PLOT__LABEL_PX);
    plot__text(c, c->spec->y_label, 0, 0, PLOT__CENTER, c->plot.h);
    cairo_restore(cr);
  }
}

/* Label of x tick i (value v): bar slots show the spec's labels. */
static const char *plot__x_label(plot__ctx *c, double v, char *buf, size_t n) {
  if (!c->x_categorical)
    return plot_tick_label(&c->xt, v, buf, n);
  size_t slot = (size_t)v;
  double x = c->data.grid_x[slot];
  const plot_spec *s = c->spec;
  if (s->labels && x >= 0 && x < (double)s->n_labels && x == floor(x) &&
      s->labels[(size_t)x])
    return s->labels[(size_t)x];
  if (s->x.kind == PLOT_AXIS_TIME) {
    /* Label precision follows the spacing of the bars, not the range. */
    double gap = c->data.n_grid > 1
                     ? (c->data.xhi - c->data.xlo) / (double)(c->data.n_grid - 1)
                     : 60000;
    plot_ticks t = {.tz_offset_min = s->x.tz_offset_min};
    t.fmt = gap < 1000 ? PLOT_FMT_MSEC : gap < 60000 ? PLOT_FMT_SEC
          : gap < 86400000 ? PLOT_FMT_MIN : PLOT_FMT_DAY;
    return plot_tick_label(&t, x, buf, n);
  }
  snprintf(buf, n, "%.6g", x);
  return buf;
}

/* Categorical axes label every k-th slot so that labels never overlap. */
static void plot__x_slots(plot__ctx *c) {
  double slot_w = c->plot.w / (double)(c->data.n_grid ? c->data.n_grid : 1);
  size_t every = (size_t)ceil(70.0 / slot_w);
  c->xt.n = 0;
  for (size_t i = 0; i < c->data.n_grid && c->xt.n < PLOT_MAX_TICKS;
       i += every ? every : 1)
    c->xt.v[c->xt.n++] = (double)i;
}

static void plot__x_axis(plot__ctx *c) {
  cairo_t *cr = c->cr;
  char buf[64];
  double base = floor(c->plot.y + c->plot.h) + 0.5;
  cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, c->plot.x, base);
  cairo_line_to(cr, c->plot.x + c->plot.w, base);
  if (c->x_categorical && c->data.n_grid > 0)
    plot__x_slots(c);
  for (int i = 0; i < c->xt.n; i++) {
    double x = floor(plot__px_x(c, c->xt.v[i])) + 0.5;
    cairo_move_to(cr, x, base);
    cairo_line_to(cr, x, base + 4);
  }
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
  plot__font(c, 0, PLOT__TICK_PX);
  double room = c->x_categorical ? c->plot.w / (c->xt.n ? c->xt.n : 1) - 4 : 0;
  for (int i = 0; i < c->xt.n; i++) {
    const char *l = plot__x_label(c, c->xt.v[i], buf, sizeof(buf));
    double x = plot__px_x(c, c->xt.v[i]);
    double w = plot__text_width(c, l);
    plot__align a = x + w / 2 > c->w - 2 ? PLOT__RIGHT : PLOT__CENTER;
    plot__text(c, l, a == PLOT__RIGHT ? c->w - 2 : x, base + PLOT__TICK_PX + 5,
               a, room);
  }
  if (c->spec->x.label && c->spec->x.label[0]) {
    plot__font(c, 0, PLOT__LABEL_PX);
    plot__text(c, c->spec->x.label, c->plot.x + c->plot.w / 2,
               base + PLOT__TICK_PX + PLOT__LABEL_PX + 12, PLOT__CENTER,
               c->plot.w);
  }
}

/* A swatch: a short thick line for line kinds, a square for filled kinds. */
static void plot__swatch(plot__ctx *c, const plot__view *v, double x, double y) {
  cairo_t *cr = c->cr;
  plot__set_color(cr, v->color, 1);
  if (c->spec->kind == PLOT_LINE) {
    cairo_set_line_width(cr, 2.5);
    cairo_move_to(cr, x, y - 4);
    cairo_line_to(cr, x + 14, y - 4);
    cairo_stroke(cr);
  } else {
    cairo_rectangle(cr, x + 2, y - 9, 10, 10);
    cairo_fill(cr);
  }
}

static void plot__legend_right(plot__ctx *c) {
  double x = c->plot.x + c->plot.w + PLOT__PAD;
  double y = c->plot.y + PLOT__LEGEND_PX;
  double maxw = c->w - PLOT__PAD - x - PLOT__LEGEND_SWATCH;
  size_t fit = (size_t)fmax(1, floor(c->plot.h / PLOT__LEGEND_ROW));
  size_t nv = c->data.n_views, rows = nv + (c->data.n_hidden ? 1 : 0);
  char more[48];
  plot__font(c, 0, PLOT__LEGEND_PX);
  for (size_t i = 0; i <= nv; i++, y += PLOT__LEGEND_ROW) {
    if ((i + 1 == fit && rows > fit) || i == nv) {
      size_t left = nv - i + c->data.n_hidden;
      if (!left)
        break;
      snprintf(more, sizeof(more),
               c->data.n_hidden ? "+%zu more series" : "+%zu more", left);
      cairo_set_source_rgb(c->cr, 0.4, 0.4, 0.4);
      plot__text(c, more, x + PLOT__LEGEND_SWATCH, y, PLOT__LEFT, maxw);
      break;
    }
    plot__swatch(c, &c->data.views[i], x, y);
    cairo_set_source_rgb(c->cr, 0.2, 0.2, 0.2);
    plot__text(c, c->data.views[i].name, x + PLOT__LEGEND_SWATCH, y, PLOT__LEFT,
               maxw);
  }
}

static void plot__legend_under(plot__ctx *c) {
  double x0 = PLOT__PAD, w = c->w - 2 * PLOT__PAD;
  double y = c->plot.y + c->plot.h + PLOT__TICK_PX + 14 + PLOT__LEGEND_ROW;
  double x = x0;
  int row = 0;
  if (c->spec->x.label && c->spec->x.label[0])
    y += PLOT__LABEL_PX + 6;
  plot__font(c, 0, PLOT__LEGEND_PX);
  for (size_t i = 0; i < c->data.n_views; i++) {
    const plot__view *v = &c->data.views[i];
    double tw = fmin(plot__text_width(c, v->name), w * 0.5);
    double ew = tw + PLOT__LEGEND_SWATCH + 14;
    if (x > x0 && x + ew > x0 + w) {
      if (++row == 3)
        break;
      x = x0;
      y += PLOT__LEGEND_ROW;
    }
    plot__swatch(c, v, x, y);
    cairo_set_source_rgb(c->cr, 0.2, 0.2, 0.2);
    plot__text(c, v->name, x + PLOT__LEGEND_SWATCH, y, PLOT__LEFT, tw + 1);
    x += ew;
  }
  char buf[48];
  const char *hidden = plot__hidden_text(c, buf, sizeof(buf));
  if (hidden && row < 3) {
    double tw = fmin(plot__text_width(c, hidden), w * 0.5);
    if (x > x0 && x + tw + PLOT__LEGEND_SWATCH > x0 + w) {
      if (++row == 3)
        return;
      x = x0;
      y += PLOT__LEGEND_ROW;
    }
    cairo_set_source_rgb(c->cr, 0.4, 0.4, 0.4);
    plot__text(c, hidden, x, y, PLOT__LEFT, tw + 1);
  }
}

void plot__frame(plot__ctx *c) {
  cairo_set_source_rgb(c->cr, 1, 1, 1);
  cairo_paint(c->cr);
  plot__title_footer(c);
  plot__y_axis(c);
  plot__x_axis(c);
  if (!plot__has_legend(c))
    return;
  if (plot__legend_below(c))
    plot__legend_under(c);
  else
    plot__legend_right(c);
}

void plot__waiting(plot__ctx *c) {
  cairo_set_source_rgb(c->cr, 0.5, 0.5, 0.5);
  plot__font(c, 0, 13);
  plot__text(c, "waiting for data", c->plot.x + c->plot.w / 2,
             c->plot.y + c->plot.h / 2, PLOT__CENTER, c->plot.w);
}
