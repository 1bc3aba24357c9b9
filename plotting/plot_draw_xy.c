/*
 * Line and scatter charts: the kinds that draw points where they are.
 * Each series is one cairo path, stroked or filled once: a path of 10,000
 * segments is one rasterisation, where a stroke per segment would be 10,000.
 * A non-finite value breaks a line instead of bending it to a made-up value,
 * and a point with no finite neighbour is drawn as a dot so it stays visible.
 */
#include <math.h>

#include "plot_internal.h"

#define PLOT__LINE_W 1.75
#define PLOT__DOT_R 2.5

static void plot__xy_extent(plot__ctx *c) { (void)c; /* data extent as is */ }

static int plot__finite_at(const plot__view *v, size_t i) {
  return i < v->n && isfinite(plot__vx(v, i)) && isfinite(v->y[i]);
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

static int plot__line_draw(plot__ctx *c) {
  cairo_t *cr = c->cr;
  cairo_set_line_width(cr, PLOT__LINE_W);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  /* Drawn last to first so that the first (most important) series is on top. */
  for (size_t s = c->data.n_views; s-- > 0;) {
    const plot__view *v = &c->data.views[s];
    plot__set_color(cr, v->color, 1);
    int lonely = plot__line_path(c, v);
    cairo_stroke(cr);
    if (lonely)
      plot__lonely_dots(c, v);
  }
  return PLOT_OK;
}

static int plot__scatter_draw(plot__ctx *c) {
  cairo_t *cr = c->cr;
  for (size_t s = c->data.n_views; s-- > 0;) {
    const plot__view *v = &c->data.views[s];
    double r = v->n > 2000 ? PLOT__DOT_R * 0.7 : PLOT__DOT_R;
    for (size_t i = 0; i < v->n; i++) {
      if (!plot__finite_at(v, i))
        continue;
      double px = plot__px_x(c, plot__vx(v, i)), py = plot__px_y(c, v->y[i]);
      cairo_move_to(cr, px + r, py);
      cairo_arc(cr, px, py, r, 0, 2 * M_PI);
    }
    plot__set_color(cr, v->color, 0.75);
    cairo_fill(cr);
  }
  return PLOT_OK;
}

const plot__kind_ops plot__kind_line = {"line", 0, 1, plot__xy_extent,
                                        plot__line_draw};
const plot__kind_ops plot__kind_scatter = {"scatter", 0, 1, plot__xy_extent,
                                           plot__scatter_draw};
