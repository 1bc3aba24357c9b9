/*
 * Line and scatter charts: the kinds that draw points where they are.
 * Each series is one cairo path, stroked or filled once: a path of 10,000
 * segments is one rasterisation, where a stroke per segment would be 10,000.
 * Lines with several points per pixel become filled bands (see below).
 * A non-finite value breaks a line instead of bending it to a made-up value,
 * and a point with no finite neighbour is drawn as a dot so it stays visible.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"

#define PLOT__LINE_W 1.75
#define PLOT__DOT_R 2.5
#define PLOT__DENSE_DOTS 2000

static void plot__xy_extent(plot__ctx *c) { (void)c; /* data extent as is */ }

static int plot__finite_at(const plot__view *v, size_t i) {
  return i < v->n && isfinite(plot__vx(v, i)) && isfinite(v->y[i]);
}

static int plot__sorted_x(const plot__view *v) {
  double prev = -INFINITY;
  for (size_t i = 0; i < v->n; i++) {
    double x = plot__vx(v, i);
    if (isnan(x))
      continue;
    if (x < prev)
      return 0;
    prev = x;
  }
  return 1;
}

/* Vertical extent, in logical px, of a dense line over one pixel column. */
typedef struct plot__span {
  double top, bot; /* smallest and largest screen y; top > bot = empty */
} plot__span;

/* Fills cols[0..n) with the extent of the line over each pixel column,
 * including the joins to the previous point so the band stays connected. */
static void plot__spans(plot__ctx *c, const plot__view *v, plot__span *cols,
                        size_t n) {
  for (size_t k = 0; k < n; k++)
    cols[k] = (plot__span){INFINITY, -INFINITY};
  double prev_y = NAN;
  for (size_t i = 0; i < v->n; i++) {
    if (!plot__finite_at(v, i)) {
      prev_y = NAN;
      continue;
    }
    double px = plot__px_x(c, plot__vx(v, i)) - c->plot.x;
    double py = plot__px_y(c, v->y[i]);
    size_t k = px <= 0 ? 0 : px >= (double)(n - 1) ? n - 1 : (size_t)px;
    cols[k].top = fmin(cols[k].top, fmin(py, isnan(prev_y) ? py : prev_y));
    cols[k].bot = fmax(cols[k].bot, fmax(py, isnan(prev_y) ? py : prev_y));
    prev_y = py;
  }
}

/* A long series sorted by x, with several points per pixel column, is drawn
 * as the filled band those points would ink: one simple polygon per run of
 * columns instead of thousands of overlapping stroke segments, which cost
 * cairo's rasteriser an order of magnitude more for the same pixels. */
static int plot__line_band(plot__ctx *c, const plot__view *v) {
  size_t n = (size_t)ceil(c->plot.w) + 1;
  plot__span *cols = malloc(n * sizeof(*cols));
  if (!cols)
    return plot__fail(c->err, PLOT_ENOMEM, "no memory for %zu columns", n);
  plot__spans(c, v, cols, n);
  double h = PLOT__LINE_W / 2;
  for (size_t a = 0; a < n;) {
    if (cols[a].top > cols[a].bot) {
      a++;
      continue;
    }
    size_t b = a;
    while (b < n && cols[b].top <= cols[b].bot)
      b++;
    for (size_t k = a; k < b; k++)
      cairo_line_to(c->cr, c->plot.x + (double)k + 0.5, cols[k].top - h);
    for (size_t k = b; k-- > a;)
      cairo_line_to(c->cr, c->plot.x + (double)k + 0.5, cols[k].bot + h);
    cairo_close_path(c->cr);
    a = b;
  }
  cairo_fill(c->cr);
  free(cols);
  return PLOT_OK;
}

/* One path per series; returns whether any isolated point was seen. */
static int plot__line_path(plot__ctx *c, const plot__view *v) {
  cairo_t *cr = c->cr;
  int open = 0, lonely = 0;
  for (size_t i = 0; i < v->n; i++) {
    if (!plot__finite_at(v, i)) {
      open = 0;
      continue;
    }
    double px = plot__px_x(c, plot__vx(v, i)), py = plot__px_y(c, v->y[i]);
    if (open) {
      cairo_line_to(cr, px, py);
      continue;
    }
    cairo_move_to(cr, px, py);
    open = 1;
    lonely |= !plot__finite_at(v, i + 1);
  }
  return lonely;
}

static void plot__lonely_dots(plot__ctx *c, const plot__view *v) {
  cairo_t *cr = c->cr;
  for (size_t i = 0; i < v->n; i++) {
    int prev = i > 0 && plot__finite_at(v, i - 1);
    if (!plot__finite_at(v, i) || prev || plot__finite_at(v, i + 1))
      continue;
    cairo_new_sub_path(cr);
    cairo_arc(cr, plot__px_x(c, plot__vx(v, i)), plot__px_y(c, v->y[i]),
              PLOT__DOT_R, 0, 2 * M_PI);
  }
  cairo_fill(cr);
}

/* Lines are rasterised with cairo's FAST anti-aliasing (fewer coverage
 * levels): on long jagged polylines it is 2.5 to 5 times faster than the
 * default, and at 1.75 px, let alone at 2x density, it looks the same. */
static int plot__line_draw(plot__ctx *c) {
  cairo_t *cr = c->cr;
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
  cairo_set_line_width(cr, PLOT__LINE_W);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  /* Drawn last to first so that the first (most important) series is on top. */
  for (size_t s = c->data.n_views; s-- > 0;) {
    const plot__view *v = &c->data.views[s];
    plot__set_color(cr, v->color, 1);
    if (v->n > 2 * (size_t)c->plot.w && plot__sorted_x(v)) {
      int rc = plot__line_band(c, v);
      if (rc != PLOT_OK)
        return rc;
      continue;
    }
    int lonely = plot__line_path(c, v);
    cairo_stroke(cr);
    if (lonely)
      plot__lonely_dots(c, v);
  }
  return PLOT_OK;
}

/* Marks the half-pixel cell of (px, py) in the bitmap of c->plot; returns 1
 * when it was already marked, i.e. a dot there would add nothing visible. */
static int plot__seen(const plot__ctx *c, unsigned char *bits, size_t cols,
                      size_t rows, double px, double py) {
  double fx = (px - c->plot.x) * 2, fy = (py - c->plot.y) * 2;
  if (!(fx >= 0 && fy >= 0 && fx < (double)cols && fy < (double)rows))
    return 0;
  size_t k = (size_t)fy * cols + (size_t)fx;
  int was = (bits[k / 8] >> (k % 8)) & 1;
  bits[k / 8] |= (unsigned char)(1u << (k % 8));
  return was;
}

/* Dots of one series in one path. Dots landing on a half-pixel already
 * dotted by the same series are skipped: dense scatters cost what is seen,
 * not what was sent. Past PLOT__DENSE_DOTS points the dots are small
 * squares, because a path of only rectangles takes cairo's box compositor,
 * ten times faster than thousands of overlapping circles, and at that
 * density and size the shape cannot be told apart. */
static int plot__scatter_draw(plot__ctx *c) {
  cairo_t *cr = c->cr;
  size_t cols = (size_t)ceil(c->plot.w * 2) + 1, rows = (size_t)ceil(c->plot.h * 2) + 1;
  unsigned char *bits = malloc((cols * rows + 7) / 8);
  if (!bits)
    return plot__fail(c->err, PLOT_ENOMEM, "no memory for a %zux%zu bitmap",
                      cols, rows);
  cairo_set_tolerance(cr, 0.3);
  for (size_t s = c->data.n_views; s-- > 0;) {
    const plot__view *v = &c->data.views[s];
    int dense = v->n > PLOT__DENSE_DOTS;
    double r = dense ? PLOT__DOT_R * 0.7 : PLOT__DOT_R;
    memset(bits, 0, (cols * rows + 7) / 8);
    for (size_t i = 0; i < v->n; i++) {
      if (!plot__finite_at(v, i))
        continue;
      double px = plot__px_x(c, plot__vx(v, i)), py = plot__px_y(c, v->y[i]);
      if (plot__seen(c, bits, cols, rows, px, py))
        continue;
      if (dense) {
        /* snapped to whole pixels: aligned boxes are the fastest path */
        cairo_rectangle(cr, round(px - r), round(py - r), round(2 * r),
                        round(2 * r));
        continue;
      }
      cairo_move_to(cr, px + r, py);
      cairo_arc(cr, px, py, r, 0, 2 * M_PI);
    }
    plot__set_color(cr, v->color, 0.75);
    cairo_fill(cr);
  }
  free(bits);
  return PLOT_OK;
}

const plot__kind_ops plot__kind_line = {"line", 0, 0, 1, plot__xy_extent,
                                        plot__line_draw};
const plot__kind_ops plot__kind_scatter = {"scatter", 0, 0, 1,
                                           plot__xy_extent, plot__scatter_draw};
