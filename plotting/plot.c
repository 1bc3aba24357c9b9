/*
 * The entry point of the plotting library: checks a spec, keeps the cached
 * state of a renderer, and runs one render through its steps (fold the data,
 * size the axes, draw the frame, let the kind draw, encode the PNG). Chart
 * kinds are rows of one table indexed by plot_kind, so adding a kind touches
 * that table and the kind's own file, nothing else. Every failure leaves
 * through one exit that frees what the render built.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"

static const plot__kind_ops *const plot__kinds[PLOT_KIND_COUNT] = {
    [PLOT_LINE] = &plot__kind_line,   [PLOT_AREA] = &plot__kind_area,
    [PLOT_BAR] = &plot__kind_bar,     [PLOT_SCATTER] = &plot__kind_scatter,
    [PLOT_KPI] = &plot__kind_kpi,
};

struct plot_renderer {
  cairo_surface_t *surface;   /* reused while the pixel size is unchanged */
  double scale;               /* device scale the surface was made with */
  cairo_font_face_t *font;    /* "DejaVu Sans" regular */
  cairo_font_face_t *bold;    /* "DejaVu Sans" bold */
  cairo_font_options_t *fopt; /* grey anti-aliasing, unhinted metrics */
  plot__png_enc *png;         /* the PNG encoder and its zlib state */
};

const char *plot_strerror(int code) {
  switch (code) {
#define PLOT__STR(name, num, desc)                                            \
  case PLOT_##name:                                                           \
    return desc;
    PLOT_STATUS_MAP(PLOT__STR)
#undef PLOT__STR
  default:
    return "unknown error";
  }
}

const char *plot_errname(int code) {
  switch (code) {
#define PLOT__NAME(name, num, desc)                                           \
  case PLOT_##name:                                                           \
    return "PLOT_" #name;
    PLOT_STATUS_MAP(PLOT__NAME)
#undef PLOT__NAME
  default:
    return "PLOT_EUNKNOWN";
  }
}

int plot__fail(plot_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
  }
  return code;
}

plot_renderer *plot_renderer_new(void) {
  plot_renderer *r = calloc(1, sizeof(*r));
  if (!r)
    return NULL;
  r->font = cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                       CAIRO_FONT_WEIGHT_NORMAL);
  r->bold = cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                       CAIRO_FONT_WEIGHT_BOLD);
  r->fopt = cairo_font_options_create();
  r->png = plot__png_enc_new();
  if (!r->png || cairo_font_options_status(r->fopt) != CAIRO_STATUS_SUCCESS ||
      cairo_font_face_status(r->font) != CAIRO_STATUS_SUCCESS ||
      cairo_font_face_status(r->bold) != CAIRO_STATUS_SUCCESS) {
    plot_renderer_free(&r);
    return NULL;
  }
  cairo_font_options_set_antialias(r->fopt, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(r->fopt, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_hint_metrics(r->fopt, CAIRO_HINT_METRICS_OFF);
  return r;
}

void plot_renderer_free(plot_renderer **r) {
  if (!r || !*r)
    return;
  plot_renderer *p = *r;
  if (p->surface)
    cairo_surface_destroy(p->surface);
  if (p->font)
    cairo_font_face_destroy(p->font);
  if (p->bold)
    cairo_font_face_destroy(p->bold);
  if (p->fopt)
    cairo_font_options_destroy(p->fopt);
  plot__png_enc_free(&p->png);
  free(p);
  *r = NULL;
}

void plot_png_free(plot_png *out) {
  if (!out)
    return;
  free(out->data);
  memset(out, 0, sizeof(*out));
}

/* The effective geometry of a spec, defaults applied. */
typedef struct plot__geom {
  int w, h;       /* logical size */
  double scale;   /* device scale */
  int pw, ph;     /* pixel size */
  int max_series; /* fold threshold */
} plot__geom;

static int plot__check_series(const plot_spec *s, plot_err *err) {
  if (s->n_series > 0 && !s->series)
    return plot__fail(err, PLOT_EINVAL, "%zu series but no series array",
                      s->n_series);
  for (size_t i = 0; i < s->n_series; i++)
    if (s->series[i].n > 0 && !s->series[i].y)
      return plot__fail(err, PLOT_EINVAL, "series %zu has %zu points but no y",
                        i, s->series[i].n);
  if (s->n_labels > 0 && !s->labels)
    return plot__fail(err, PLOT_EINVAL, "%zu labels but no label array",
                      s->n_labels);
  return PLOT_OK;
}

static int plot__check(const plot_spec *s, plot__geom *g, plot_err *err) {
  if ((unsigned)s->kind >= PLOT_KIND_COUNT)
    return plot__fail(err, PLOT_EINVAL, "unknown chart kind %d", (int)s->kind);
  g->w = s->width ? s->width : PLOT__DEFAULT_W;
  g->h = s->height ? s->height : PLOT__DEFAULT_H;
  g->scale = s->scale != 0 ? s->scale : PLOT__DEFAULT_SCALE;
  g->max_series = s->max_series ? s->max_series : PLOT__DEFAULT_MAX_SERIES;
  if (g->w < 32 || g->h < 32 || g->w > PLOT__MAX_PX || g->h > PLOT__MAX_PX)
    return plot__fail(err, PLOT_EINVAL, "size %dx%d is outside 32..%d", g->w,
                      g->h, PLOT__MAX_PX);
  if (!(g->scale >= 0.5 && g->scale <= 4))
    return plot__fail(err, PLOT_EINVAL, "scale %g is outside 0.5..4", g->scale);
  if (g->max_series < 1)
    return plot__fail(err, PLOT_EINVAL, "max_series %d is below 1",
                      g->max_series);
  if (s->fold != PLOT_FOLD_SUM && s->fold != PLOT_FOLD_DROP)
    return plot__fail(err, PLOT_EINVAL, "fold %d is not a plot_fold",
                      (int)s->fold);
  g->pw = (int)ceil(g->w * g->scale);
  g->ph = (int)ceil(g->h * g->scale);
  if (g->pw > PLOT__MAX_PX || g->ph > PLOT__MAX_PX)
    return plot__fail(err, PLOT_ETOOBIG, "%dx%d pixels is larger than %d",
                      g->pw, g->ph, PLOT__MAX_PX);
  return plot__check_series(s, err);
}

/* Makes r->surface match the geometry, reusing the old one when it does. */
static int plot__surface(plot_renderer *r, const plot__geom *g, plot_err *err) {
  cairo_surface_t *s = r->surface;
  if (s && cairo_image_surface_get_width(s) == g->pw &&
      cairo_image_surface_get_height(s) == g->ph && r->scale == g->scale)
    return PLOT_OK;
  if (s)
    cairo_surface_destroy(s);
  r->surface = NULL;
  s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, g->pw, g->ph);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return plot__fail(err, PLOT_ECAIRO, "cannot create a %dx%d surface", g->pw,
                      g->ph);
  }
  cairo_surface_set_device_scale(s, g->scale, g->scale);
  r->surface = s;
  r->scale = g->scale;
  return PLOT_OK;
}

/* Frame, then the kind's drawing clipped to the plot area (a few pixels of
 * slack so that a line on the top tick is not cut in half). */
static int plot__draw(plot__ctx *c, const plot__kind_ops *ops) {
  if (!ops->has_axes)
    return ops->draw(c);
  ops->extent(c);
  plot__layout(c);
  plot__frame(c);
  if (c->data.n_finite == 0) {
    plot__waiting(c);
    return PLOT_OK;
  }
  cairo_save(c->cr);
  cairo_rectangle(c->cr, c->plot.x - 3, c->plot.y - 3, c->plot.w + 6,
                  c->plot.h + 6);
  cairo_clip(c->cr);
  int rc = ops->draw(c);
  cairo_restore(c->cr);
  return rc;
}

static int plot__run(plot_renderer *r, const plot_spec *spec,
                     const plot__geom *g, plot_err *err) {
  const plot__kind_ops *ops = plot__kinds[spec->kind];
  plot__ctx c = {.spec = spec, .font = r->font, .bold = r->bold, .w = g->w,
                 .h = g->h, .max_series = g->max_series, .err = err};
  c.cr = cairo_create(r->surface);
  cairo_set_font_options(c.cr, r->fopt);
  size_t cols = ops->needs_grid ? (size_t)fmax(8, g->w / ops->col_px) : 0;
  int rc = plot__data_build(&c, cols);
  if (rc == PLOT_OK)
    rc = plot__draw(&c, ops);
  if (rc == PLOT_OK && cairo_status(c.cr) != CAIRO_STATUS_SUCCESS)
    rc = plot__fail(err, PLOT_ECAIRO, "drawing a %s chart: %s", ops->name,
                    cairo_status_to_string(cairo_status(c.cr)));
  plot__data_free(&c.data);
  cairo_destroy(c.cr);
  return rc;
}

static int plot__render(plot_renderer *r, const plot_spec *spec,
                        plot__geom *g, plot_err *err) {
  if (!r || !spec)
    return plot__fail(err, PLOT_EINVAL, "renderer and spec are required");
  int rc = plot__check(spec, g, err);
  if (rc == PLOT_OK)
    rc = plot__surface(r, g, err);
  if (rc == PLOT_OK)
    rc = plot__run(r, spec, g, err);
  return rc;
}

cairo_surface_t *plot__draw_only(plot_renderer *r, const plot_spec *spec,
                                 plot_err *err) {
  plot__geom g;
  return plot__render(r, spec, &g, err) == PLOT_OK ? r->surface : NULL;
}

int plot_render_png(plot_renderer *r, const plot_spec *spec, plot_png *out,
                    plot_err *err) {
  plot__geom g;
  if (!out)
    return plot__fail(err, PLOT_EINVAL, "out is required");
  memset(out, 0, sizeof(*out));
  int rc = plot__render(r, spec, &g, err);
  if (rc == PLOT_OK)
    rc = plot__png_encode(r->png, r->surface, &out->data, &out->len, err);
  if (rc != PLOT_OK)
    return rc;
  out->width = g.w;
  out->height = g.h;
  out->px_width = g.pw;
  out->px_height = g.ph;
  return PLOT_OK;
}

int plot_render_png_once(const plot_spec *spec, plot_png *out, plot_err *err) {
  plot_renderer *r = plot_renderer_new();
  if (!r) {
    if (out)
      memset(out, 0, sizeof(*out));
    return plot__fail(err, PLOT_ENOMEM, "no memory for a renderer");
  }
  int rc = plot_render_png(r, spec, out, err);
  plot_renderer_free(&r);
  return rc;
}
