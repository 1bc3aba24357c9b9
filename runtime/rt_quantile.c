/*
 * KLL sketch. Levels hold items of weight 2^level; level 0 is an unsorted
 * append buffer, higher levels are kept sorted. Level h may hold about
 * k * (2/3)^(H-1-h) items (at least QK_MIN_CAP), H being the number of
 * levels, so the top level holds k and the total stays under ~3k. When the
 * total reaches the sum of capacities, the lowest level at capacity is
 * compacted: sorted, and every other item (random offset) promoted into the
 * next level with double weight; an odd leftover stays. Weights are
 * conserved, so the total weight is exactly the count.
 *
 * The random offsets come from a per-sketch xorshift generator (no global
 * state); its seed is fixed, so runs are reproducible.
 */
#include "rt_quantile.h"

#include "rt_err.h"
#include "rt_mem.h"
#include "rt_sketch_io.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
  QK_MAX_LEVELS = 60, /* 2^60 values before the top level would overflow */
  QK_MIN_CAP = 8,     /* smallest level capacity */
  QK_MIN_K = 16,
  QK_VERSION = 1,
};

/* One retained item with its weight, for queries. */
typedef struct qk_item {
  double v;
  uint64_t w;
} qk_item;

typedef struct qk_level {
  double *items; /* level 0 unsorted; others ascending */
  uint32_t size; /* items in use */
  uint32_t alloc; /* items allocated */
} qk_level;

struct rt_quantile {
  uint32_t k;          /* accuracy parameter: capacity of the top level */
  uint32_t nlevels;    /* levels in use (>= 1) */
  uint64_t n;          /* values added */
  double min, max;     /* exact extremes */
  uint64_t rng;        /* xorshift64 state for compaction offsets */
  uint32_t caps[QK_MAX_LEVELS]; /* capacity per level for nlevels */
  uint64_t total_cap;  /* sum of caps */
  uint64_t total_size; /* items retained */
  qk_level levels[QK_MAX_LEVELS];
  qk_item *view;       /* sorted items with cumulative weights, or NULL */
  uint32_t view_n;     /* items in view */
};

static void compute_caps(rt_quantile *q) {
  q->total_cap = 0;
  double c = q->k;
  for (int h = (int)q->nlevels - 1; h >= 0; h--) {
    uint32_t cap = (uint32_t)c;
    q->caps[h] = cap < QK_MIN_CAP ? QK_MIN_CAP : cap;
    q->total_cap += q->caps[h];
    c *= 2.0 / 3.0;
  }
}

static void view_drop(rt_quantile *q) {
  rt_free(q->view);
  q->view = NULL;
  q->view_n = 0;
}

rt_quantile *rt_quantile_new(uint32_t k) {
  rt_quantile *q = rt_xcalloc(1, sizeof(*q));
  q->k = k == 0 ? RT_QUANTILE_DEFAULT_K : (k < QK_MIN_K ? QK_MIN_K : k);
  q->nlevels = 1;
  q->min = INFINITY;
  q->max = -INFINITY;
  q->rng = 0x2545f4914f6cdd1dULL;
  compute_caps(q);
  return q;
}

void rt_quantile_free(rt_quantile **q) {
  if (!q || !*q)
    return;
  for (uint32_t h = 0; h < (*q)->nlevels; h++)
    rt_free((*q)->levels[h].items);
  view_drop(*q);
  rt_free(*q);
  *q = NULL;
}

rt_quantile *rt_quantile_clone(const rt_quantile *q) {
  rt_quantile *c = rt_xmalloc(sizeof(*c));
  *c = *q;
  c->view = NULL;
  c->view_n = 0;
  for (uint32_t h = 0; h < q->nlevels; h++) {
    qk_level *l = &c->levels[h];
    l->alloc = l->size;
    l->items = l->size ? rt_xmalloc(l->size * sizeof(double)) : NULL;
    if (l->size)
      memcpy(l->items, q->levels[h].items, l->size * sizeof(double));
  }
  return c;
}

uint64_t rt_quantile_count(const rt_quantile *q) { return q->n; }

size_t rt_quantile_memory(const rt_quantile *q) {
  size_t m = sizeof(*q) + q->view_n * sizeof(qk_item);
  for (uint32_t h = 0; h < q->nlevels; h++)
    m += q->levels[h].alloc * sizeof(double);
  return m;
}

static void level_reserve(qk_level *l, uint32_t need) {
  if (need <= l->alloc)
    return;
  uint32_t a = l->alloc ? l->alloc : QK_MIN_CAP;
  while (a < need)
    a *= 2;
  l->items = rt_xrealloc(l->items, a * sizeof(double));
  l->alloc = a;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Merges sorted src[0..n) into the sorted level l. */
static void level_merge_sorted(qk_level *l, const double *src, uint32_t n) {
  if (!n)
    return;
  level_reserve(l, l->size + n);
  /* Merge from the back so it happens in place. */
  int64_t i = (int64_t)l->size - 1, j = (int64_t)n - 1;
  int64_t out = (int64_t)l->size + n - 1;
  while (j >= 0) {
    if (i >= 0 && l->items[i] > src[j])
      l->items[out--] = l->items[i--];
    else
      l->items[out--] = src[j--];
  }
  l->size += n;
}

static unsigned random_bit(rt_quantile *q) {
  uint64_t x = q->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  q->rng = x;
  return (unsigned)(x >> 63);
}

static void add_level(rt_quantile *q) {
  q->levels[q->nlevels] = (qk_level){0};
  q->nlevels++;
  compute_caps(q);
}

/* Halves level h into level h + 1. */
static void compact_level(rt_quantile *q, uint32_t h) {
  if (h + 1 >= q->nlevels)
    add_level(q);
  qk_level *l = &q->levels[h];
  if (h == 0)
    qsort(l->items, l->size, sizeof(double), cmp_double);
  uint32_t odd = l->size & 1, pairs = l->size / 2;
  /* The odd item out is the largest; it stays at this level. */
  uint32_t off = random_bit(q);
  for (uint32_t i = 0; i < pairs; i++)
    l->items[i] = l->items[2 * i + off];
  level_merge_sorted(&q->levels[h + 1], l->items, pairs);
  if (odd)
    l->items[0] = l->items[l->size - 1];
  l->size = odd;
  q->total_size -= pairs;
  /* A level's capacity shrinks as levels are added above it; give back the
   * room it needed when it was the top. */
  if (l->alloc > 2 * q->caps[h]) {
    l->alloc = q->caps[h] + QK_MIN_CAP;
    l->items = rt_xrealloc(l->items, l->alloc * sizeof(double));
  }
}

static void compress(rt_quantile *q) {
  while (q->total_size >= q->total_cap) {
    uint32_t h = 0;
    while (h < q->nlevels && q->levels[h].size < q->caps[h])
      h++;
    if (h >= q->nlevels || h + 1 >= QK_MAX_LEVELS)
      return; /* cannot happen: some level is at capacity */
    compact_level(q, h);
  }
}

void rt_quantile_add(rt_quantile *q, double x) {
  if (isnan(x))
    return;
  if (q->view)
    view_drop(q);
  qk_level *l0 = &q->levels[0];
  if (l0->size == l0->alloc)
    level_reserve(l0, l0->size + 1);
  l0->items[l0->size++] = x;
  q->total_size++;
  q->n++;
  if (x < q->min)
    q->min = x;
  if (x > q->max)
    q->max = x;
  if (q->total_size >= q->total_cap)
    compress(q);
}

void rt_quantile_merge(rt_quantile *dst, const rt_quantile *src) {
  if (src->n == 0)
    return;
  view_drop(dst);
  while (dst->nlevels < src->nlevels)
    add_level(dst);
  for (uint32_t h = 0; h < src->nlevels; h++) {
    const qk_level *s = &src->levels[h];
    qk_level *d = &dst->levels[h];
    if (h == 0) {
      level_reserve(d, d->size + s->size);
      if (s->size)
        memcpy(d->items + d->size, s->items, s->size * sizeof(double));
      d->size += s->size;
    } else {
      level_merge_sorted(d, s->items, s->size);
    }
    dst->total_size += s->size;
  }
  dst->n += src->n;
  if (src->min < dst->min)
    dst->min = src->min;
  if (src->max > dst->max)
    dst->max = src->max;
  compress(dst);
}

static int cmp_item(const void *a, const void *b) {
  double x = ((const qk_item *)a)->v, y = ((const qk_item *)b)->v;
  return (x > y) - (x < y);
}

/* Builds the sorted view; w then holds cumulative weights. */
static void view_build(rt_quantile *q) {
  q->view = rt_xmalloc((q->total_size ? q->total_size : 1) * sizeof(qk_item));
  uint32_t n = 0;
  for (uint32_t h = 0; h < q->nlevels; h++)
    for (uint32_t i = 0; i < q->levels[h].size; i++)
      q->view[n++] = (qk_item){q->levels[h].items[i], (uint64_t)1 << h};
  qsort(q->view, n, sizeof(qk_item), cmp_item);
  for (uint32_t i = 1; i < n; i++)
    q->view[i].w += q->view[i - 1].w;
  q->view_n = n;
}

double rt_quantile_get(rt_quantile *q, double phi) {
  if (q->n == 0)
    return NAN;
  if (phi <= 0)
    return q->min;
  if (phi >= 1)
    return q->max;
  if (!q->view)
    view_build(q);
  double target = phi * (double)q->n;
  uint32_t lo = 0, hi = q->view_n - 1;
  while (lo < hi) { /* first item whose cumulative weight reaches target */
    uint32_t mid = lo + (hi - lo) / 2;
    if ((double)q->view[mid].w >= target)
      hi = mid;
    else
      lo = mid + 1;
  }
  return q->view[lo].v;
}

int rt_quantile_serialize(const rt_quantile *q, rt_buf *out) {
  int rc = 0;
  rc |= rt_sk_put_u8(out, QK_VERSION);
  rc |= rt_sk_put_u32(out, q->k);
  rc |= rt_sk_put_u64(out, q->n);
  rc |= rt_sk_put_f64(out, q->min);
  rc |= rt_sk_put_f64(out, q->max);
  rc |= rt_sk_put_u64(out, q->rng);
  rc |= rt_sk_put_u8(out, q->nlevels);
  for (uint32_t h = 0; h < q->nlevels && !rc; h++) {
    rc |= rt_sk_put_u32(out, q->levels[h].size);
    for (uint32_t i = 0; i < q->levels[h].size; i++)
      rc |= rt_sk_put_f64(out, q->levels[h].items[i]);
  }
  return rc ? RT_ETOOBIG : 0;
}

/* Reads the levels; checks sizes, NaNs and that weights add up to n. */
static bool read_levels(rt_sk_reader *r, rt_quantile *q, uint32_t nlevels) {
  uint64_t weight = 0;
  while (q->nlevels < nlevels)
    add_level(q);
  for (uint32_t h = 0; h < nlevels; h++) {
    uint32_t size = rt_sk_get_u32(r);
    if (r->bad || !rt_sk_need(r, (size_t)size * 8))
      return false;
    qk_level *l = &q->levels[h];
    level_reserve(l, size);
    for (uint32_t i = 0; i < size; i++) {
      l->items[i] = rt_sk_get_f64(r);
      if (isnan(l->items[i]))
        return false;
    }
    l->size = size;
    if (h > 0 && size > 1)
      qsort(l->items, size, sizeof(double), cmp_double);
    q->total_size += size;
    weight += (uint64_t)size << h;
  }
  return weight == q->n;
}

int rt_quantile_deserialize(const void *data, size_t len, size_t *used,
                            rt_quantile **out) {
  rt_sk_reader r = {data, len, 0, false};
  unsigned version = rt_sk_get_u8(&r);
  uint32_t k = rt_sk_get_u32(&r);
  rt_quantile *q = rt_quantile_new(k);
  q->n = rt_sk_get_u64(&r);
  q->min = rt_sk_get_f64(&r);
  q->max = rt_sk_get_f64(&r);
  q->rng = rt_sk_get_u64(&r);
  unsigned nlevels = rt_sk_get_u8(&r);
  bool ok = !r.bad && version == QK_VERSION && k >= QK_MIN_K && q->rng != 0 &&
            nlevels >= 1 && nlevels < QK_MAX_LEVELS &&
            read_levels(&r, q, nlevels);
  if (ok)
    compress(q);
  if (!ok || r.bad) {
    rt_quantile_free(&q);
    return RT_EBADREC;
  }
  *used = r.off;
  *out = q;
  return 0;
}
