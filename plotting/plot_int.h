/*
 * What the plotting files share and callers never see: the render context
 * (cairo context, fonts, layout and the prepared data of one chart), the
 * folded and aligned view of the series, the per-kind table of draw
 * functions, and the text, frame and PNG helpers. Names are plot__*.
 */
#ifndef EDDY_PLOT_INTERNAL_H
#define EDDY_PLOT_INTERNAL_H

#include <cairo.h>
#include <stddef.h>

#include "plot.h"
#include "plot_axis.h"

/* Defaults of the zero fields of plot_spec. */
#define PLOT__DEFAULT_W 800
#define PLOT__DEFAULT_H 400
#define PLOT__DEFAULT_SCALE 2.0
#define PLOT__DEFAULT_MAX_SERIES 8
#define PLOT__MAX_PX 8192 /* largest accepted image side, in pixels */
#define PLOT__OTHER_COLOR (-1) /* colour index of the folded "other" series */

/* A rectangle in logical pixels. */
typedef struct plot__rect {
  double x, y, w, h;
} plot__rect;

/* An RGB colour, components in 0..1. */
typedef struct plot__rgb {
  double r, g, b;
} plot__rgb;

/* One series as drawn: either borrowed from the spec or built by folding. */
typedef struct plot__view {
  const char *name; /* legend text, never NULL ("" = unnamed) */
  const double *x;  /* n x values, or NULL for 0..n-1 */
  const double *y;  /* n y values */
  size_t n;         /* number of points */
  int color;        /* palette index, or PLOT__OTHER_COLOR */
} plot__view;

/*
 * The data of one chart after folding, plus for stacked and bar kinds the
 * same data aligned on one grid of distinct x values: cell (s, i) of grid_y
 * is series s at grid_x[i], NaN when the series has no point there.
 */
typedef struct plot__data {
  plot__view *views; /* n_views series to draw (owned array) */
  size_t n_views;    /* number of views */
  size_t n_hidden;   /* PLOT_FOLD_DROP: series not drawn ("+N more series") */
  double *other_x, *other_y; /* storage of the folded "other" series (owned) */
  double *grid_x;    /* n_grid distinct finite x values, ascending (owned) */
  double *grid_y;    /* n_views x n_grid values (owned) */
  size_t n_grid;     /* number of grid columns */
  double xlo, xhi;   /* finite x extent of what is drawn; xlo > xhi if none */
  double ylo, yhi;   /* finite y extent of what is drawn; ylo > yhi if none */
  size_t n_finite;   /* number of drawable points */
} plot__data;

/* The state of one render, on the stack of plot_render_png(). */
typedef struct plot__ctx {
  const plot_spec *spec;    /* the chart, with defaults not yet applied */
  cairo_t *cr;              /* drawing context in logical pixels */
  cairo_font_face_t *font;  /* DejaVu Sans (cached by the renderer) */
  cairo_font_face_t *bold;  /* DejaVu Sans Bold (cached by the renderer) */
  double w, h;              /* logical size */
  int max_series;           /* effective fold threshold */
  plot__rect plot;          /* the data area, inside the axes */
  plot__data data;          /* folded series */
  plot_ticks xt, yt;        /* axis scales and ticks */
  int x_categorical;        /* bars: x ticks are grid slots, not values */
  plot_err *err;            /* where failures are described; may be NULL */
} plot__ctx;

/* One kind of chart: how to size its data and draw it. */
typedef struct plot__kind_ops {
  const char *name;         /* "line", "area", ... */
  int needs_grid;           /* 1 = build the aligned grid before drawing */
  double col_px;            /* grid kinds: fewest logical px per column;
                               denser grids are averaged down to this */
  int has_axes;             /* 0 = the kind draws the whole canvas itself */
  void (*extent)(plot__ctx *c); /* sets data.ylo/yhi (and x) for the axes */
  int (*draw)(plot__ctx *c);    /* draws the data inside c->plot; status */
} plot__kind_ops;

/* Kinds, defined by their files, listed in plot.c's table. */
extern const plot__kind_ops plot__kind_line;
extern const plot__kind_ops plot__kind_area;
extern const plot__kind_ops plot__kind_bar;
extern const plot__kind_ops plot__kind_scatter;
extern const plot__kind_ops plot__kind_kpi;

/* Records code and message in err (may be NULL); returns code. */
int plot__fail(plot_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * plot_data.c: builds c->data from the spec; PLOT_ENOMEM on failure. With
 * max_cols > 0 the aligned grid is built too, and averaged down to at most
 * max_cols columns (a column wider than a pixel is what can be seen).
 */
int plot__data_build(plot__ctx *c, size_t max_cols);
/* Frees what plot__data_build() allocated and zeroes the struct. */
void plot__data_free(plot__data *d);
/* x value of point i of v (i when v->x is NULL). */
static inline double plot__vx(const plot__view *v, size_t i) {
  return v->x ? v->x[i] : (double)i;
}

/* plot_draw_area.c: stacking shared by stacked areas and bars. */
/* Sets data.ylo/yhi to the extent of the positive and negative stacks. */
void plot__stack_extent(plot__ctx *c);
/* Stacks series s onto the running pos/neg bases (n_grid each); writes the
 * band's bottom and top per column into lo and hi. */
void plot__stack_step(const plot__data *d, size_t s, double *pos, double *neg,
                      double *lo, double *hi);

/* plot_palette.c: the colour of palette index i (PLOT__OTHER_COLOR = grey). */
plot__rgb plot__color(int i);
/* Sets the source of cr to colour i at the given opacity. */
void plot__set_color(cairo_t *cr, int i, double alpha);

/* plot_text.c: text in DejaVu Sans. All text drawing goes through here. */
typedef enum plot__align { PLOT__LEFT, PLOT__CENTER, PLOT__RIGHT } plot__align;
/* Selects the regular (bold = 0) or bold face at size px. */
void plot__font(plot__ctx *c, int bold, double size);
/* Width of text in the current font, after UTF-8 repair. */
double plot__text_width(plot__ctx *c, const char *text);
/*
 * Draws text with its baseline at y, aligned on x, ellipsized to max_w
 * (max_w <= 0 = no limit). Returns the width drawn.
 */
double plot__text(plot__ctx *c, const char *text, double x, double y,
                  plot__align align, double max_w);
/* Formats a KPI-style number (12,345.6 or 1.23M) into buf. */
char *plot__fmt_value(double v, char *buf, size_t size);

/* plot_frame.c: everything around the data. */
/* Computes c->plot and the tick scales from c->data; draws nothing. */
void plot__layout(plot__ctx *c);
/* Draws background, title, footer, grid, axes, tick labels and legend. */
void plot__frame(plot__ctx *c);
/* Draws the title (top left) and the footer (bottom left). */
void plot__title_footer(plot__ctx *c);
/* Draws "waiting for data" in the middle of the plot area. */
void plot__waiting(plot__ctx *c);
/* Maps a data value to a logical pixel coordinate, clamped to a safe range. */
double plot__px_x(const plot__ctx *c, double x);
double plot__px_y(const plot__ctx *c, double y);

/* plot_png.c: the PNG writer; its state (row buffers, deflate coders) is
 * kept between images. */
typedef struct plot__png_enc plot__png_enc;
/* Returns a new encoder, or NULL when out of memory. */
plot__png_enc *plot__png_enc_new(void);
/* Frees *e and sets it to NULL. Accepts NULL and a pointer to NULL. */
void plot__png_enc_free(plot__png_enc **e);
/*
 * Encodes the ARGB32 image surface s as a PNG (RGB when opaque, else RGBA)
 * into a new malloc'd buffer *out of *len bytes (caller frees).
 */
int plot__png_encode(plot__png_enc *e, cairo_surface_t *s, unsigned char **out,
                     size_t *len, plot_err *err);

/* plot_deflate.c: a run-length-only deflate with the fixed Huffman code. */
typedef struct plot__rle plot__rle;
/* Size of the coder state, to allocate it. */
size_t plot__rle_size(void);
/* Largest output for n input bytes. */
size_t plot__rle_bound(size_t n);
/* Starts a zlib stream into out (cap >= plot__rle_bound() of the input). */
void plot__rle_start(plot__rle *z, unsigned char *out, size_t cap);
/* Compresses the next n bytes. */
void plot__rle_feed(plot__rle *z, const unsigned char *p, size_t n);
/* Ends the stream; returns its size in bytes, or 0 if out was too small. */
size_t plot__rle_finish(plot__rle *z);
/* The "strategy" that selects plot__rle_* in plot__png_encode_with(). */
#define PLOT__Z_OWN_RLE (-1)

/*
 * Draws spec on r's surface without encoding it, for the benchmark. Returns
 * the surface (borrowed from r, valid until r's next render or free), or
 * NULL with err filled.
 */
cairo_surface_t *plot__draw_only(plot_renderer *r, const plot_spec *spec,
                                 plot_err *err);

/*
 * plot__png_encode() with explicit zlib level, strategy and PNG filter type
 * (0 None, 1 Sub, 2 Up): for the benchmark that chose the defaults.
 */
int plot__png_encode_with(plot__png_enc *e, cairo_surface_t *s, int level,
                          int strategy, int filter, unsigned char **out,
                          size_t *len, plot_err *err);

#endif
