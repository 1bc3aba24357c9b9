/*
 * Chart frames to plot specs (see kn_chart.h for the mapping). The ring holds
 * each result's frame decoded to doubles (and strings for categories and
 * `by` values), so a redraw reads no rt_values. Building a spec regroups the
 * ring's rows into series through a string-interning table that is cleared,
 * not freed, between builds; the series' point arrays are reused too, so a
 * steady chart redraws with few allocations. What must survive redraws for
 * the picture to stay calm lives here too: the set of series shown when
 * some are dropped, and the colour of every series name drawn.
 */
#include "kn_chart.h"

#include "rt_mem.h"
#include "rt_result.h"
#include "rt_time.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One result in the ring. */
typedef struct kc_entry {
  rt_result_kind kind; /* window, running totals or records */
  int64_t wstart, wend; /* the window, or 0 */
  size_t n;            /* rows */
  double *x;           /* n x values (NaN where the x is a string or null) */
  char **xs;           /* n category strings (NULL entries), or NULL: none */
  double *y;           /* n * ny values, row-major */
  char **by;           /* n `by` values as text, or NULL without `by` */
  bool x_time;         /* some x was a time */
} kc_entry;

/* One series while a spec is built. */
typedef struct kc_series {
  char *name;       /* owned, rebuilt per spec */
  double *x, *y;    /* points */
  size_t n, cap;
} kc_series;

/* A colour a series name had: kept for the chart's life so a series keeps
 * its colour when others come, go or change order. */
typedef struct kc_color {
  char *name;     /* owned series name */
  int color;      /* palette index, 0..KN_CHART_COLORS-1 */
  uint64_t seen;  /* the spec build that last drew it, for eviction */
} kc_color;

/* Open-addressing table from (tag, string) to a dense index. */
typedef struct kc_intern {
  int *slots;           /* index + 1, or 0 for empty */
  size_t nslots;
  struct kc_key { int tag; const char *s; uint64_t h; } *keys;
  size_t n, cap;
} kc_intern;

struct kn_chart {
  const rt_output_desc *desc; /* borrowed from the query */
  int ny;                     /* y columns */
  bool has_by;                /* frame has a `by` column */
  kc_entry *ring;             /* cap entries, circular */
  size_t cap, head, len;      /* ring size, oldest index, entries held */
  size_t points;              /* rows over the ring */
  rt_result *latest;          /* first KN_CHART_TEXT_ROWS rows of the newest result */
  size_t latest_rows;         /* its full row count */
  double *kpi;                /* KPI history: values of the last cap updates */
  size_t kpi_len, kpi_head;
  /* spec scratch */
  kc_intern keys, labels;
  kc_series *series;
  size_t nseries, capseries;
  plot_series *pseries;
  const char **label_ptrs;
  size_t caplabels;
  double *kx, *ky;            /* KPI sparkline */
  size_t *order;              /* series indexes in the order handed to plot */
  double *score;              /* per series: the ranking measure (mean y) */
  bool *in;                   /* per series: in the shown set */
  /* kept between specs */
  char **shown;               /* names of the series shown last (owned) */
  size_t nshown;
  kc_color *colors;           /* remembered colours, at most KN_CHART_MAX_COLORS */
  size_t ncolors;
  uint64_t builds;            /* spec builds so far */
};

/* ---------------------------------------------------------------- values */

static double num_of(rt_value v) {
  switch (v.type) {
  case RT_NUMBER:
    return v.u.num;
  case RT_TIME:
    return (double)v.u.ms;
  case RT_BOOL:
    return v.u.b ? 1.0 : 0.0;
  default:
    return NAN;
  }
}

/* The value as owned text (strings as they are, other values formatted);
 * NULL for null. */
static char *text_of(rt_value v) {
  char buf[RT_TIME_ISO_MS_LEN];
  switch (v.type) {
  case RT_STRING:
    return rt_xstrndup(v.u.str.ptr, v.u.str.len);
  case RT_NUMBER:
    snprintf(buf, sizeof(buf), "%.15g", v.u.num);
    return rt_xstrdup(buf);
  case RT_TIME:
    return rt_xstrdup(rt_time_format_ms(v.u.ms, buf));
  case RT_BOOL:
    return rt_xstrdup(v.u.b ? "true" : "false");
  default:
    return NULL;
  }
}

static void free_strs(char **v, size_t n) {
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    rt_free(v[i]);
  rt_free(v);
}

static void entry_clear(kc_entry *e) {
  rt_free(e->x);
  rt_free(e->y);
  free_strs(e->xs, e->n);
  free_strs(e->by, e->n);
  memset(e, 0, sizeof(*e));
}

/* Decodes the frame of u into e (at most KN_CHART_MAX_POINTS rows). */
static void entry_fill(const kn_chart *c, kc_entry *e, const rt_update *u) {
  const rt_result *f = u->chart;
  size_t n = rt_result_nrows(f);
  int ncols = rt_result_ncols(f);
  if (n > KN_CHART_MAX_POINTS)
    n = KN_CHART_MAX_POINTS;
  e->kind = u->kind;
  e->wstart = u->window_start;
  e->wend = u->window_end;
  e->n = n;
  e->x = rt_xmalloc((n ? n : 1) * sizeof(double));
  e->y = rt_xmalloc((n ? n : 1) * (size_t)c->ny * sizeof(double));
  if (c->has_by)
    e->by = rt_xcalloc(n ? n : 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    const rt_value *row = rt_result_row(f, i);
    rt_value xv = ncols > 0 ? row[0] : rt_null();
    e->x[i] = num_of(xv);
    e->x_time |= xv.type == RT_TIME;
    if (xv.type == RT_STRING) {
      if (!e->xs)
        e->xs = rt_xcalloc(n, sizeof(char *));
      e->xs[i] = text_of(xv);
    }
    for (int j = 0; j < c->ny; j++)
      e->y[i * (size_t)c->ny + (size_t)j] = 1 + j < ncols ? num_of(row[1 + j]) : NAN;
    if (c->has_by && 1 + c->ny < ncols)
      e->by[i] = text_of(row[1 + c->ny]);
  }
}

/* ------------------------------------------------------------------ ring */

static kc_entry *at(kn_chart *c, size_t i) { return &c->ring[(c->head + i) % c->cap]; }

static void drop_oldest(kn_chart *c) {
  kc_entry *e = at(c, 0);
  c->points -= e->n;
  entry_clear(e);
  c->head = (c->head + 1) % c->cap;
  c->len--;
}

kn_chart *kn_chart_new(const rt_output_desc *desc, size_t ring) {
  kn_chart *c = rt_xcalloc(1, sizeof(*c));
  c->desc = desc;
  c->ny = desc->ny > 0 ? desc->ny : 1;
  c->has_by = desc->by_name != NULL;
  c->cap = ring ? ring : KN_CHART_DEFAULT_RING;
  c->ring = rt_xcalloc(c->cap, sizeof(*c->ring));
  c->kpi = rt_xcalloc(c->cap, sizeof(double));
  return c;
}

static void intern_free(kc_intern *t) {
  rt_free(t->slots);
  rt_free(t->keys);
  memset(t, 0, sizeof(*t));
}

void kn_chart_free(kn_chart **chart) {
  if (!chart || !*chart)
    return;
  kn_chart *c = *chart;
  while (c->len)
    drop_oldest(c);
  rt_free(c->ring);
  rt_free(c->kpi);
  rt_result_free(&c->latest);
  intern_free(&c->keys);
  intern_free(&c->labels);
  for (size_t i = 0; i < c->capseries; i++) {
    rt_free(c->series[i].name);
    rt_free(c->series[i].x);
    rt_free(c->series[i].y);
  }
  rt_free(c->series);
  rt_free(c->pseries);
  rt_free(c->label_ptrs);
  rt_free(c->kx);
  rt_free(c->ky);
  rt_free(c->order);
  rt_free(c->score);
  rt_free(c->in);
  free_strs(c->shown, c->nshown);
  for (size_t i = 0; i < c->ncolors; i++)
    rt_free(c->colors[i].name);
  rt_free(c->colors);
  rt_free(c);
  *chart = NULL;
}

/* Keeps the head rows of res for the text twin. */
static void keep_latest(kn_chart *c, const rt_result *res) {
  int nc = rt_result_ncols(res);
  const char **names = rt_xcalloc((size_t)nc + 1, sizeof(char *));
  for (int i = 0; i < nc; i++)
    names[i] = rt_result_col_name(res, i);
  rt_result_free(&c->latest);
  c->latest = rt_result_new(nc, names);
  rt_free(names);
  c->latest_rows = rt_result_nrows(res);
  for (size_t i = 0; i < c->latest_rows && i < KN_CHART_TEXT_ROWS; i++)
    rt_result_add_row(c->latest, rt_result_row(res, i));
  rt_result_set_window(c->latest, rt_result_window_start(res), rt_result_window_end(res));
}

static void kpi_push(kn_chart *c, double v) {
  if (c->kpi_len == c->cap) {
    c->kpi[c->kpi_head] = v;
    c->kpi_head = (c->kpi_head + 1) % c->cap;
  } else {
    c->kpi[(c->kpi_head + c->kpi_len++) % c->cap] = v;
  }
}

static bool is_kpi(const kn_chart *c) {
  return c->desc->running && !c->has_by && c->ny == 1 && c->len == 1 &&
         c->ring[c->head].n == 1 && !c->ring[c->head].xs;
}

bool kn_chart_add(kn_chart *c, const rt_update *u) {
  if (!u->chart || u->partial)
    return false;
  if (u->result)
    keep_latest(c, u->result);
  kc_entry *slot = NULL;
  if (u->kind == RT_RESULT_RUNNING) {
    while (c->len)
      drop_oldest(c);
  } else if (u->kind == RT_RESULT_WINDOW) {
    for (size_t i = c->len; i-- > 0 && !slot;) {
      kc_entry *e = at(c, i);
      if (e->kind == RT_RESULT_WINDOW && e->wstart == u->window_start &&
          e->wend == u->window_end)
        slot = e;
    }
  }
  if (slot) {
    c->points -= slot->n;
    entry_clear(slot);
  } else {
    if (c->len == c->cap)
      drop_oldest(c);
    slot = at(c, c->len++);
  }
  entry_fill(c, slot, u);
  c->points += slot->n;
  while (c->points > KN_CHART_MAX_POINTS && c->len > 1)
    drop_oldest(c);
  if (u->kind == RT_RESULT_RUNNING && slot->n == 1)
    kpi_push(c, slot->y[0]);
  return true;
}

size_t kn_chart_len(const kn_chart *c) { return c->len; }

size_t kn_chart_points(const kn_chart *c) { return c->points; }

/* ---------------------------------------------------------------- intern */

static uint64_t hash_str(int tag, const char *s) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)tag;
  for (; s && *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static void intern_clear(kc_intern *t) {
  if (t->slots)
    memset(t->slots, 0, t->nslots * sizeof(int));
  t->n = 0;
}

static void intern_grow(kc_intern *t) {
  size_t ns = t->nslots ? t->nslots * 2 : 64;
  rt_free(t->slots);
  t->slots = rt_xcalloc(ns, sizeof(int));
  t->nslots = ns;
  for (size_t i = 0; i < t->n; i++) {
    size_t s = t->keys[i].h & (ns - 1);
    while (t->slots[s])
      s = (s + 1) & (ns - 1);
    t->slots[s] = (int)i + 1;
  }
}

/* The index of (tag, s) (s borrowed; NULL is a key too), adding it when new;
 * *added says which. */
static size_t intern(kc_intern *t, int tag, const char *s, bool *added) {
  if ((t->n + 1) * 2 > t->nslots)
    intern_grow(t);
  uint64_t h = hash_str(tag, s);
  size_t i = h & (t->nslots - 1);
  for (; t->slots[i]; i = (i + 1) & (t->nslots - 1)) {
    const struct kc_key *k = &t->keys[t->slots[i] - 1];
    if (k->h == h && k->tag == tag &&
        (k->s == s || (k->s && s && strcmp(k->s, s) == 0))) {
      *added = false;
      return (size_t)t->slots[i] - 1;
    }
  }
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 32;
    t->keys = rt_xrealloc(t->keys, t->cap * sizeof(*t->keys));
  }
  t->keys[t->n] = (struct kc_key){tag, s, h};
  t->slots[i] = (int)++t->n;
  *added = true;
  return t->n - 1;
}

/* ---------------------------------------------------------------- series */

static kc_series *series_add(kn_chart *c, int j, const char *by) {
  if (c->nseries == c->capseries) {
    size_t nc = c->capseries ? c->capseries * 2 : 8;
    c->series = rt_xrealloc(c->series, nc * sizeof(*c->series));
    memset(c->series + c->capseries, 0, (nc - c->capseries) * sizeof(*c->series));
    c->capseries = nc;
  }
  kc_series *s = &c->series[c->nseries++];
  rt_free(s->name);
  const char *yn = c->desc->y_names && j < c->desc->ny ? c->desc->y_names[j] : "y";
  if (!c->has_by)
    s->name = rt_xstrdup(yn);
  else if (c->ny == 1)
    s->name = rt_xstrdup(by ? by : "null");
  else {
    size_t n = strlen(yn) + strlen(by ? by : "null") + 3;
    s->name = rt_xmalloc(n);
    snprintf(s->name, n, "%s: %s", yn, by ? by : "null");
  }
  s->n = 0;
  return s;
}

static void series_push(kc_series *s, double x, double y) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->x = rt_xrealloc(s->x, s->cap * sizeof(double));
    s->y = rt_xrealloc(s->y, s->cap * sizeof(double));
  }
  s->x[s->n] = x;
  s->y[s->n++] = y;
}

typedef struct kc_pt { double x, y; } kc_pt;

static int pt_cmp(const void *a, const void *b) {
  double xa = ((const kc_pt *)a)->x, xb = ((const kc_pt *)b)->x;
  return (xa > xb) - (xa < xb);
}

/* Sorts a series by x when it is not already (lines join points in order). */
static void series_sort(kc_series *s) {
  size_t i = 1;
  while (i < s->n && !(s->x[i] < s->x[i - 1]))
    i++;
  if (i >= s->n)
    return;
  kc_pt *p = rt_xmalloc(s->n * sizeof(*p));
  for (i = 0; i < s->n; i++)
    p[i] = (kc_pt){s->x[i], s->y[i]};
  qsort(p, s->n, sizeof(*p), pt_cmp);
  for (i = 0; i < s->n; i++) {
    s->x[i] = p[i].x;
    s->y[i] = p[i].y;
  }
  rt_free(p);
}

/* Adds the rows of e to the series; categorical x values become label
 * indexes. */
static void add_rows(kn_chart *c, const kc_entry *e, bool categorical) {
  for (size_t i = 0; i < e->n; i++) {
    double x = e->x[i];
    bool added;
    if (categorical) {
      const char *xs = e->xs ? e->xs[i] : NULL;
      x = (double)intern(&c->labels, -1, xs ? xs : "null", &added);
    }
    for (int j = 0; j < c->ny; j++) {
      const char *by = c->has_by ? e->by[i] : NULL;
      size_t k = intern(&c->keys, j, by, &added);
      kc_series *s = added ? series_add(c, j, by) : &c->series[k];
      series_push(s, x, e->y[i * (size_t)c->ny + (size_t)j]);
    }
  }
}

plot_kind kn_chart_plot_kind(rt_chart_kind kind) {
  switch (kind) {
  case RT_CHART_AREA:
    return PLOT_AREA;
  case RT_CHART_BAR:
    return PLOT_BAR;
  case RT_CHART_SCATTER:
    return PLOT_SCATTER;
  default:
    return PLOT_LINE;
  }
}

static void kpi_spec(kn_chart *c, plot_spec *spec) {
  size_t n = c->kpi_len;
  c->kx = rt_xrealloc(c->kx, (n ? n : 1) * sizeof(double));
  c->ky = rt_xrealloc(c->ky, (n ? n : 1) * sizeof(double));
  for (size_t i = 0; i < n; i++) {
    c->kx[i] = (double)i;
    c->ky[i] = c->kpi[(c->kpi_head + i) % c->cap];
  }
  if (!c->pseries)
    c->pseries = rt_xcalloc(1, sizeof(plot_series));
  c->pseries[0] = (plot_series){.name = NULL, .x = c->kx, .y = c->ky, .n = n};
  spec->kind = PLOT_KPI;
  spec->kpi.value = n ? c->ky[n - 1] : c->ring[c->head].y[0];
  spec->kpi.delta = n >= 2 ? c->ky[n - 1] - c->ky[n - 2] : NAN;
  spec->series = c->pseries;
  spec->n_series = n >= 2 ? 1 : 0;
  if (!spec->title)
    spec->title = c->desc->y_names && c->desc->ny ? c->desc->y_names[0] : NULL;
}

/* ---------------------------------------------------------- which series */

/* True when every y is a count() or sum(): series then add up, and the ones
 * past the cap can be summed into "other". Anything else (avg, min, max,
 * percentiles, raw values) is dropped past the cap instead. */
static bool additive(const kn_chart *c) {
  if (!c->desc->y_additive || c->desc->ny < 1)
    return false;
  for (int j = 0; j < c->desc->ny; j++)
    if (!c->desc->y_additive[j])
      return false;
  return true;
}

/* Mean of the finite y values of s; -inf when there are none (ranks last). */
static double series_score(const kc_series *s) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++)
    if (isfinite(s->y[i])) {
      sum += s->y[i];
      n++;
    }
  return n ? sum / (double)n : -INFINITY;
}

static bool was_shown(const kn_chart *c, const char *name) {
  for (size_t i = 0; i < c->nshown; i++)
    if (strcmp(c->shown[i], name) == 0)
      return true;
  return false;
}

/* Among the series with in[] == member: the highest scoring, or with worst
 * the lowest; SIZE_MAX when there is none. */
static size_t pick(const kn_chart *c, bool member, bool worst) {
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < c->nseries; i++) {
    if (c->in[i] != member)
      continue;
    if (best == SIZE_MAX || (worst ? c->score[i] < c->score[best] : c->score[i] > c->score[best]))
      best = i;
  }
  return best;
}

/* Does a newcomer scoring b clearly beat a member scoring a? By more than
 * KN_CHART_HYSTERESIS of their size, so close values do not swap the shown
 * set back and forth between redraws. */
static bool beats(double b, double a) {
  if (!isfinite(a))
    return isfinite(b);
  double margin = KN_CHART_HYSTERESIS * fmax(fabs(a), fabs(b));
  return b > a + margin;
}

/* Marks in[] the top `max` series by score, keeping the set shown last unless
 * a newcomer clearly beats a member, and remembers the set. */
static void choose_shown(kn_chart *c, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < c->nseries; i++) {
    c->score[i] = series_score(&c->series[i]);
    c->in[i] = false;
  }
  for (size_t i = 0; i < c->nseries && n < max; i++)
    if (was_shown(c, c->series[i].name)) {
      c->in[i] = true;
      n++;
    }
  for (size_t best; n < max && (best = pick(c, false, false)) != SIZE_MAX; n++)
    c->in[best] = true;
  for (size_t k = 0; k < max; k++) {
    size_t out = pick(c, false, false), weak = pick(c, true, true);
    if (out == SIZE_MAX || weak == SIZE_MAX || !beats(c->score[out], c->score[weak]))
      break;
    c->in[out] = true;
    c->in[weak] = false;
  }
  free_strs(c->shown, c->nshown);
  c->shown = rt_xcalloc(max ? max : 1, sizeof(char *));
  c->nshown = 0;
  for (size_t i = 0; i < c->nseries; i++)
    if (c->in[i])
      c->shown[c->nshown++] = rt_xstrdup(c->series[i].name);
}

/* The remembered colour of name, or NULL. */
static kc_color *color_of(kn_chart *c, const char *name) {
  for (size_t i = 0; i < c->ncolors; i++)
    if (strcmp(c->colors[i].name, name) == 0)
      return &c->colors[i];
  return NULL;
}

static kc_color *color_add(kn_chart *c, const char *name, int color) {
  kc_color *e;
  if (c->ncolors < KN_CHART_MAX_COLORS) {
    if (!c->colors)
      c->colors = rt_xcalloc(KN_CHART_MAX_COLORS, sizeof(*c->colors));
    e = &c->colors[c->ncolors++];
  } else { /* forget the name drawn longest ago */
    e = &c->colors[0];
    for (size_t i = 1; i < c->ncolors; i++)
      if (c->colors[i].seen < e->seen)
        e = &c->colors[i];
    rt_free(e->name);
  }
  *e = (kc_color){rt_xstrdup(name), color, c->builds};
  return e;
}

/* Gives the first n plot series their colours: the one each had before when
 * no other drawn series holds it now, else the first colour free. */
static void assign_colors(kn_chart *c, size_t n) {
  bool used[KN_CHART_COLORS] = {false};
  kc_color **have = rt_xcalloc(n ? n : 1, sizeof(*have));
  for (size_t k = 0; k < n; k++) {
    kc_color *e = color_of(c, c->pseries[k].name);
    if (e && !used[e->color]) {
      used[e->color] = true;
      have[k] = e;
    }
  }
  for (size_t k = 0; k < n; k++) {
    kc_color *e = have[k];
    if (!e) {
      int free_c = (int)(k % KN_CHART_COLORS);
      for (int i = 0; i < KN_CHART_COLORS; i++)
        if (!used[i]) {
          free_c = i;
          break;
        }
      used[free_c] = true;
      e = color_of(c, c->pseries[k].name);
      if (e)
        e->color = free_c;
      else
        e = color_add(c, c->pseries[k].name, free_c);
    }
    e->seen = c->builds;
    c->pseries[k].color = e->color + 1;
  }
  rt_free(have);
}

/* Orders the plot series (shown first, each group in order of appearance),
 * picks the fold and colours. */
static void arrange_series(kn_chart *c, plot_spec *spec) {
  size_t max = KN_CHART_MAX_SERIES, ns = c->nseries;
  bool sum = additive(c);
  spec->max_series = (int)max;
  spec->fold = sum ? PLOT_FOLD_SUM : PLOT_FOLD_DROP;
  c->order = rt_xrealloc(c->order, (ns ? ns : 1) * sizeof(size_t));
  c->score = rt_xrealloc(c->score, (ns ? ns : 1) * sizeof(double));
  c->in = rt_xrealloc(c->in, (ns ? ns : 1) * sizeof(bool));
  /* Summing keeps every value in the picture, so order of appearance will
   * do; dropping must choose which to show. */
  size_t drawn = ns <= max ? ns : sum ? max - 1 : max;
  if (sum || ns <= max) {
    for (size_t i = 0; i < ns; i++)
      c->in[i] = i < drawn;
  } else {
    choose_shown(c, max);
  }
  size_t k = 0;
  for (int pass = 1; pass >= 0; pass--)
    for (size_t i = 0; i < ns; i++)
      if (c->in[i] == (bool)pass)
        c->order[k++] = i;
  for (size_t i = 0; i < ns; i++) {
    const kc_series *s = &c->series[c->order[i]];
    c->pseries[i] = (plot_series){.name = s->name, .x = s->x, .y = s->y, .n = s->n};
  }
  c->builds++;
  assign_colors(c, drawn);
}

void kn_chart_spec(kn_chart *c, const char *footer, plot_spec *spec) {
  memset(spec, 0, sizeof(*spec));
  spec->kind = kn_chart_plot_kind(c->desc->chart);
  spec->title = c->desc->title;
  spec->footer = footer;
  spec->x.label = c->desc->x_name;
  spec->y_label = c->ny == 1 && c->desc->y_names ? c->desc->y_names[0] : NULL;
  if (c->len == 0)
    return;
  if (is_kpi(c)) {
    kpi_spec(c, spec);
    return;
  }
  const kc_entry *newest = at(c, c->len - 1);
  bool categorical = newest->xs != NULL;
  intern_clear(&c->keys);
  intern_clear(&c->labels);
  c->nseries = 0;
  bool time = false;
  if (categorical) {
    add_rows(c, newest, true);
  } else {
    for (size_t i = 0; i < c->len; i++) {
      add_rows(c, at(c, i), false);
      time |= at(c, i)->x_time;
    }
  }
  spec->x.kind = time ? PLOT_AXIS_TIME : PLOT_AXIS_NUMERIC;
  c->pseries = rt_xrealloc(c->pseries, (c->nseries ? c->nseries : 1) * sizeof(plot_series));
  for (size_t i = 0; i < c->nseries; i++)
    if (!categorical && (spec->kind == PLOT_LINE || spec->kind == PLOT_AREA))
      series_sort(&c->series[i]);
  arrange_series(c, spec);
  spec->series = c->pseries;
  spec->n_series = c->nseries;
  if (categorical) {
    if (c->labels.n > c->caplabels) {
      c->caplabels = c->labels.n;
      c->label_ptrs = rt_xrealloc(c->label_ptrs, c->caplabels * sizeof(char *));
    }
    for (size_t i = 0; i < c->labels.n; i++)
      c->label_ptrs[i] = c->labels.keys[i].s;
    spec->labels = c->label_ptrs;
    spec->n_labels = c->labels.n;
  }
}

/* ---------------------------------------------------------------- text */

static const char *kind_name(rt_chart_kind k) {
  switch (k) {
  case RT_CHART_AREA:
    return "area";
  case RT_CHART_BAR:
    return "bar";
  case RT_CHART_SCATTER:
    return "scatter";
  default:
    return "line";
  }
}

int kn_chart_summary(const kn_chart *c, rt_buf *out) {
  int rc = rt_buf_printf(out, "%s chart", kind_name(c->desc->chart));
  if (rc == 0 && c->desc->title)
    rc = rt_buf_printf(out, " \"%s\"", c->desc->title);
  if (rc == 0 && c->len == 0)
    return rt_buf_puts(out, ": waiting for data\n");
  const char *what = c->desc->windowed ? "windows" : c->desc->running ? "updates" : "batches";
  if (rc == 0)
    rc = rt_buf_printf(out, ": %zu %s, %zu points\n", c->desc->running ? c->kpi_len : c->len,
                       what, c->points);
  if (rc == 0 && c->latest)
    rc = rt_result_format_text(c->latest, 0, out);
  if (rc == 0 && c->latest_rows > KN_CHART_TEXT_ROWS)
    rc = rt_buf_printf(out, "... %zu more rows\n", c->latest_rows - KN_CHART_TEXT_ROWS);
  return rc;
}
