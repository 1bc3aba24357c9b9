/*
 * The data step of a render: turns the spec's series into what is drawn.
 * Series past the limit are folded into one "other" series by summing their
 * finite points at equal x (PLOT_FOLD_SUM, for additive values), or left
 * out and counted (PLOT_FOLD_DROP, for values whose sum means nothing), so a
 * chart of 200 keys stays readable and keeps its first keys' colours. Stacked and bar kinds also get the series aligned
 * on one grid of distinct x values, because stacking is only meaningful at
 * equal x and real windows do not give every key a value in every window.
 * Non-finite points are dropped here and never reach the drawing code's
 * extents. Memory is plain malloc; failure is PLOT_ENOMEM, never an abort.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"

/* Largest aligned grid (series x columns) accepted, in cells. */
#define PLOT__MAX_GRID_CELLS ((size_t)64 << 20)

typedef struct plot__pt {
  double x, y;
} plot__pt;

static int plot__cmp_pt(const void *a, const void *b) {
  double x = ((const plot__pt *)a)->x, y = ((const plot__pt *)b)->x;
  return (x > y) - (x < y);
}

static int plot__cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int plot__finite_pt(const plot_series *s, size_t i, plot__pt *p) {
  p->x = s->x ? s->x[i] : (double)i;
  p->y = s->y[i];
  return isfinite(p->x) && isfinite(p->y);
}

/* Sums series[first..n_series) into d->other_x/y; sets *n to its length. */
static int plot__fold_other(const plot_spec *spec, size_t first,
                            plot__data *d, size_t *n) {
  size_t total = 0, m = 0;
  for (size_t s = first; s < spec->n_series; s++)
    total += spec->series[s].n;
  plot__pt *pts = malloc((total ? total : 1) * sizeof(*pts));
  if (!pts)
    return PLOT_ENOMEM;
  for (size_t s = first; s < spec->n_series; s++)
    for (size_t i = 0; i < spec->series[s].n; i++)
      if (plot__finite_pt(&spec->series[s], i, &pts[m]))
        m++;
  qsort(pts, m, sizeof(*pts), plot__cmp_pt);
  d->other_x = malloc((m ? m : 1) * sizeof(double));
  d->other_y = malloc((m ? m : 1) * sizeof(double));
  if (!d->other_x || !d->other_y) {
    free(pts);
    return PLOT_ENOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < m; i++) {
    if (k > 0 && d->other_x[k - 1] == pts[i].x) {
      d->other_y[k - 1] += pts[i].y;
      continue;
    }
    d->other_x[k] = pts[i].x;
    d->other_y[k++] = pts[i].y;
  }
  free(pts);
  *n = k;
  return PLOT_OK;
}

static int plot__make_views(const plot_spec *spec, int max_series,
                            plot__data *d) {
  size_t ns = spec->n_series, max = (size_t)max_series;
  int drop = spec->fold == PLOT_FOLD_DROP;
  size_t keep = ns <= max ? ns : drop ? max : max - 1;
  d->n_views = ns <= max || drop ? keep : keep + 1;
  d->n_hidden = drop ? ns - keep : 0;
  d->views = calloc(d->n_views ? d->n_views : 1, sizeof(*d->views));
  if (!d->views)
    return PLOT_ENOMEM;
  for (size_t i = 0; i < keep; i++) {
    const plot_series *s = &spec->series[i];
    int color = s->color > 0 ? s->color - 1 : (int)i;
    d->views[i] = (plot__view){s->name ? s->name : "", s->x, s->y,
                               s->y ? s->n : 0, color};
  }
  if (keep == d->n_views)
    return PLOT_OK;
  size_t n = 0;
  int rc = plot__fold_other(spec, keep, d, &n);
  if (rc != PLOT_OK)
    return rc;
  d->views[keep] = (plot__view){"other", d->other_x, d->other_y, n,
                                PLOT__OTHER_COLOR};
  return PLOT_OK;
}

/* The finite extent of every drawn point, and how many there are. */
static void plot__extent(plot__data *d) {
  d->xlo = d->ylo = INFINITY;
  d->xhi = d->yhi = -INFINITY;
  d->n_finite = 0;
  for (size_t s = 0; s < d->n_views; s++) {
    const plot__view *v = &d->views[s];
    for (size_t i = 0; i < v->n; i++) {
      double x = plot__vx(v, i), y = v->y[i];
      if (!isfinite(x) || !isfinite(y))
        continue;
      d->xlo = fmin(d->xlo, x);
      d->xhi = fmax(d->xhi, x);
      d->ylo = fmin(d->ylo, y);
      d->yhi = fmax(d->yhi, y);
      d->n_finite++;
    }
  }
}

/* Index of x in the ascending grid g of n values (x is known to be there). */
static size_t plot__grid_find(const double *g, size_t n, double x) {
  size_t lo = 0, hi = n;
  while (lo + 1 < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (g[mid] <= x)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

static int plot__grid_columns(plot__data *d) {
  d->grid_x = malloc((d->n_finite ? d->n_finite : 1) * sizeof(double));
  if (!d->grid_x)
    return PLOT_ENOMEM;
  size_t m = 0;
  for (size_t s = 0; s < d->n_views; s++)
    for (size_t i = 0; i < d->views[s].n; i++) {
      double x = plot__vx(&d->views[s], i);
      if (isfinite(x) && isfinite(d->views[s].y[i]))
        d->grid_x[m++] = x;
    }
  qsort(d->grid_x, m, sizeof(double), plot__cmp_dbl);
  size_t k = 0;
  for (size_t i = 0; i < m; i++)
    if (k == 0 || d->grid_x[k - 1] != d->grid_x[i])
      d->grid_x[k++] = d->grid_x[i];
  d->n_grid = k;
  return PLOT_OK;
}

static int plot__grid_build(plot__data *d) {
  int rc = plot__grid_columns(d);
  if (rc != PLOT_OK)
    return rc;
  size_t g = d->n_grid ? d->n_grid : 1;
  if (d->n_views > PLOT__MAX_GRID_CELLS / g)
    return PLOT_ETOOBIG;
  d->grid_y = malloc((d->n_views ? d->n_views : 1) * g * sizeof(double));
  if (!d->grid_y)
    return PLOT_ENOMEM;
  for (size_t i = 0; i < d->n_views * d->n_grid; i++)
    d->grid_y[i] = NAN;
  for (size_t s = 0; s < d->n_views; s++) {
    const plot__view *v = &d->views[s];
    double *row = d->grid_y + s * d->n_grid;
    for (size_t i = 0; i < v->n; i++) {
      double x = plot__vx(v, i), y = v->y[i];
      if (!isfinite(x) || !isfinite(y))
        continue;
      size_t j = plot__grid_find(d->grid_x, d->n_grid, x);
      row[j] = isnan(row[j]) ? y : row[j] + y;
    }
  }
  return PLOT_OK;
}

/* Mean of the finite values of v[a..b), NaN when there are none. */
static double plot__mean(const double *v, size_t a, size_t b) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = a; i < b; i++)
    if (!isnan(v[i])) {
      sum += v[i] / (double)(b - a); /* scaled first: no overflow */
      n++;
    }
  return n ? sum * (double)(b - a) / (double)n : NAN;
}

/* Averages a grid of more than k columns down to k columns. Means keep
 * stacks consistent: the mean of sums is the sum of means. */
static int plot__grid_thin(plot__data *d, size_t k) {
  size_t n = d->n_grid;
  if (n <= k || k == 0)
    return PLOT_OK;
  double *gx = malloc(k * sizeof(double));
  double *gy = malloc((d->n_views ? d->n_views : 1) * k * sizeof(double));
  if (!gx || !gy) {
    free(gx);
    free(gy);
    return PLOT_ENOMEM;
  }
  for (size_t b = 0; b < k; b++) {
    size_t lo = b * n / k, hi = (b + 1) * n / k;
    gx[b] = plot__mean(d->grid_x, lo, hi);
    for (size_t s = 0; s < d->n_views; s++)
      gy[s * k + b] = plot__mean(d->grid_y + s * n, lo, hi);
  }
  free(d->grid_x);
  free(d->grid_y);
  d->grid_x = gx;
  d->grid_y = gy;
  d->n_grid = k;
  return PLOT_OK;
}

int plot__data_build(plot__ctx *c, size_t max_cols) {
  plot__data *d = &c->data;
  memset(d, 0, sizeof(*d));
  int rc = plot__make_views(c->spec, c->max_series, d);
  if (rc == PLOT_OK) {
    plot__extent(d);
    if (max_cols > 0)
      rc = plot__grid_build(d);
    if (rc == PLOT_OK && max_cols > 0)
      rc = plot__grid_thin(d, max_cols);
  }
  if (rc != PLOT_OK) {
    plot__data_free(d);
    return plot__fail(c->err, rc, "cannot prepare %zu series: %s",
                      c->spec->n_series, plot_strerror(rc));
  }
  return PLOT_OK;
}

void plot__data_free(plot__data *d) {
  free(d->views);
  free(d->other_x);
  free(d->other_y);
  free(d->grid_x);
  free(d->grid_y);
  memset(d, 0, sizeof(*d));
}
