/*
 * Eddy charts: a plain chart spec in, PNG bytes out.
 *
 * This is the public contract of the plotting library. It is a leaf: it
 * depends on cairo and zlib only and knows nothing of queries, the runtime or
 * Jupyter. The caller fills a plot_spec (plain struct, every field documented
 * below, zero means "default"), hands it to a plot_renderer, and gets back a
 * heap buffer holding a PNG. A renderer keeps its cairo surface, fonts and
 * zlib state between calls, because a live chart is redrawn on every refresh
 * of every query: keep one renderer per live chart (or per thread) and reuse it.
 *
 * Errors are codes plus a message: every function that can fail returns 0 or
 * a negative PLOT_E* code and fills an optional caller-allocated plot_err.
 * Nothing is logged and nothing aborts, not even on out-of-memory.
 */
#ifndef EDDY_PLOT_H
#define EDDY_PLOT_H

#include <stddef.h>

/* XX(name, number, description). Append-only: never renumber or reuse. */
#define PLOT_STATUS_MAP(XX)                                                   \
  XX(OK, 0, "success")                                                        \
  XX(EINVAL, -1, "invalid chart spec")                                        \
  XX(ENOMEM, -2, "out of memory")                                             \
  XX(ECAIRO, -3, "cairo failed")                                              \
  XX(EZLIB, -4, "zlib failed")                                                \
  XX(ETOOBIG, -5, "chart too large")

enum {
#define PLOT__STATUS_ENUM(name, num, desc) PLOT_##name = (num),
  PLOT_STATUS_MAP(PLOT__STATUS_ENUM)
#undef PLOT__STATUS_ENUM
};

/* Details of a failure, allocated by the caller; NULL means "not wanted". */
typedef struct plot_err {
  int code;      /* the PLOT_E* code, 0 when no error was recorded */
  char msg[256]; /* human-readable message, NUL-terminated */
} plot_err;

/* Returns the static description of code ("invalid chart spec"); never NULL. */
const char *plot_strerror(int code);

/* Returns the static symbolic name of code ("PLOT_EINVAL"); never NULL. */
const char *plot_errname(int code);

/*
 * Chart kinds. Each kind is one entry of a table of draw functions inside the
 * library, so a new kind is appended here and in that table only. Append-only.
 * Dense data costs what the pixels can show: a line with several points per
 * pixel (sorted by x) is drawn as the band it would ink, and area and bar
 * charts with more x values than pixels average neighbouring values.
 */
typedef enum plot_kind {
  PLOT_LINE = 0,    /* one polyline per series; NaN/inf values break the line */
  PLOT_AREA = 1,    /* stacked areas, series stacked at equal x values */
  PLOT_BAR = 2,     /* bars per distinct x value, grouped (or stacked) */
  PLOT_SCATTER = 3, /* one dot per point, squares past 2,000 points */
  PLOT_KPI = 4,     /* a single-value tile: big number, label, delta, sparkline */
  PLOT_KIND_COUNT   /* number of kinds; not a kind */
} plot_kind;

/* How x values are read and labelled. */
typedef enum plot_axis_kind {
  PLOT_AXIS_NUMERIC = 0, /* plain numbers, "nice" 1-2-5 ticks */
  PLOT_AXIS_TIME = 1     /* milliseconds since the Unix epoch, clock labels */
} plot_axis_kind;

/* The x axis. */
typedef struct plot_axis {
  plot_axis_kind kind; /* numeric (default) or time */
  const char *label;   /* axis title under the tick labels; NULL = none */
  int tz_offset_min;   /* time axes: minutes added to UTC for labels (0 = UTC) */
} plot_axis;

/*
 * One series. x and y are borrowed for the duration of the render call only.
 * x may be NULL, meaning 0, 1, ..., n-1. Non-finite values (NaN, +-inf) in x
 * or y are skipped: they never crash a render or reach cairo. Points need not
 * be sorted, but line charts join them in the order given.
 */
typedef struct plot_series {
  const char *name; /* legend entry (UTF-8); NULL or "" = unnamed */
  const double *x;  /* n x values, or NULL for 0..n-1 */
  const double *y;  /* n y values; may be NULL only when n == 0 */
  size_t n;         /* number of points */
  int color;        /* palette colour + 1 (1 = the first colour; the palette
                       wraps after 8); 0 = the colour of its position. Set it
                       to keep a series' colour when the set or order of
                       series changes between redraws */
} plot_series;

/* What happens to the series beyond max_series. Append-only. */
typedef enum plot_fold {
  PLOT_FOLD_SUM = 0, /* the rest are summed at equal x into one grey series
                        "other": right for additive values (counts, sums),
                        meaningless for averages, minima or percentiles */
  PLOT_FOLD_DROP = 1 /* the rest are not drawn; the legend ends with
                        "+N more series" */
} plot_fold;

/* Extra fields of the single-value KPI tile (kind PLOT_KPI). */
typedef struct plot_kpi {
  double value;     /* the big number; NaN shows a dash */
  double delta;     /* change shown under the number; NaN = no delta line */
  const char *unit; /* suffix after the number ("ms", "%"); NULL = none */
  /* The sparkline, when wanted, is series[0] of the spec. */
} plot_kpi;

/*
 * A chart. Zero-initialise it (`plot_spec s = {0};`) and set what you need:
 * every zero field has a sensible default. All pointers are borrowed for the
 * duration of the render call only; all strings are UTF-8 (invalid bytes are
 * shown as '?'), and text too long for its place is ellipsized.
 *
 * Series beyond max_series are folded as `fold` says: summed into "other"
 * (the first max_series-1 are drawn as given) or dropped (the first
 * max_series are drawn). Order series by importance. Colours follow the
 * position unless a series sets its own `color`.
 */
typedef struct plot_spec {
  plot_kind kind;             /* what to draw */
  const char *title;          /* top line (KPI: the label above the number) */
  plot_axis x;                /* x axis kind and label */
  const char *y_label;        /* y axis title, drawn vertically; NULL = none */
  const plot_series *series;  /* n_series series; borrowed */
  size_t n_series;            /* number of series (0 = "waiting for data") */
  const char *const *labels;  /* bar charts: name of x value i (x = 0..n-1) */
  size_t n_labels;            /* number of labels */
  int stacked;                /* bar charts: 1 = stacked, 0 = grouped */
  const char *footer;         /* small grey line at the bottom; NULL = none */
  plot_kpi kpi;               /* kind PLOT_KPI only */
  int width, height;          /* logical size in CSS pixels; 0 = 800 x 400 */
  double scale;               /* device pixels per logical pixel; 0 = 2 */
  int max_series;             /* fold beyond this many series; 0 = 8 */
  plot_fold fold;             /* how to fold them (default: sum) */
  int y_zero;                 /* line, scatter: 1 = the y axis includes 0
                                 (areas and bars always do) */
} plot_spec;

/* A rendered chart. */
typedef struct plot_png {
  unsigned char *data;  /* PNG bytes; caller owns, free with plot_png_free() */
  size_t len;           /* number of bytes in data */
  int width, height;    /* logical size: what a notebook should display */
  int px_width, px_height; /* pixel size of the image (logical x scale) */
} plot_png;

/*
 * A renderer caches what does not change between redraws: the cairo surface
 * (while the size stays the same; 5 MB for 800x400 at 2x), the font faces
 * and the PNG encoder's buffers. One renderer must not be used by two
 * threads at once; different renderers may run on different threads.
 */
typedef struct plot_renderer plot_renderer;

/* Returns a new renderer, or NULL when out of memory. Free with plot_renderer_free(). */
plot_renderer *plot_renderer_new(void);

/* Frees *r and sets it to NULL. Accepts NULL and a pointer to NULL. */
void plot_renderer_free(plot_renderer **r);

/*
 * Draws spec and encodes it as a PNG into *out. On success returns PLOT_OK
 * and out->data is a new heap buffer the caller owns (plot_png_free()). On
 * failure returns a PLOT_E* code, fills err (if not NULL) and leaves out
 * zeroed. Empty, degenerate or non-finite data is not an error: it draws the
 * axes with "waiting for data", or skips the bad points.
 */
int plot_render_png(plot_renderer *r, const plot_spec *spec, plot_png *out,
                    plot_err *err);

/* One-shot form of plot_render_png() with a temporary renderer. */
int plot_render_png_once(const plot_spec *spec, plot_png *out, plot_err *err);

/* Frees out->data and zeroes *out. Accepts NULL. */
void plot_png_free(plot_png *out);

#endif
