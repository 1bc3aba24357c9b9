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
  QK_L0_DIV = 4,      /* level 0 holds at least k / QK_L0_DIV */
  QK_VERSION = 1,
};

/* One retained item with its weight, for queries. */
typedef struct qk_item {
  double v;
  uint64_t w;
} qk_item;

typedef struct qk_level {
  double *items;  /* level 0 unsorted; others ascending */
  uint32_t size;  /* items in use */
  uint32_t alloc; /* items allocated */
  uint32_t cap;   /* items the level may hold before it is compacted */
} qk_level;

struct rt_quantile {
  uint32_t k;          /* accuracy parameter: capacity of the top level */
  uint32_t nlevels;    /* levels in use (>= 1) */
  uint64_t n;          /* values added */
  double min, max;     /* exact extremes */
  uint64_t rng;        /* xorshift64 state for compaction offsets */
  uint64_t total_cap;  /* sum of the levels' caps */
  uint64_t total_size; /* items retained */
  qk_level *levels;    /* nlevels in use */
  uint32_t levels_alloc; /* levels allocated */
  qk_item *view;       /* sorted items with cumulative weights, or NULL */
  uint32_t view_n;     /* items in view */
};

/* Level capacities shrink by 2/3 per level down from k at the top. Level 0
 * keeps at least k/4: a larger append buffer means fewer, larger compactions
 * (sorting 64 items beats sorting 8 items eight times and merging into the
 * level above eight times), and only makes low levels more exact. */
static void compute_caps(rt_quantile *q) {
  q->total_cap = 0;
  double c = q->k;
  for (int h = (int)q->nlevels - 1; h >= 0; h--) {
    uint32_t cap = (uint32_t)c, floor_cap = h == 0 ? q->k / QK_L0_DIV : QK_MIN_CAP;
    q->levels[h].cap = cap < floor_cap ? floor_cap : cap;
    q->total_cap += q->levels[h].cap;
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
  q->levels_alloc = 4;
  q->levels = rt_xcalloc(q->levels_alloc, sizeof(qk_level));
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
  rt_free((*q)->levels);
  view_drop(*q);
  rt_free(*q);
  *q = NULL;
}

rt_quantile *rt_quantile_clone(const rt_quantile *q) {
  rt_quantile *c = rt_xmalloc(sizeof(*c));
  *c = *q;
  c->view = NULL;
  c->view_n = 0;
  c->levels = rt_xmalloc(q->levels_alloc * sizeof(qk_level));
  memcpy(c->levels, q->levels, q->levels_alloc * sizeof(qk_level));
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
  size_t m = sizeof(*q) + q->view_n * sizeof(qk_item) +
             q->levels_alloc * sizeof(qk_level);
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

/* Sorts doubles (no NaNs) ascending: quicksort with median-of-three and an
 * insertion-sort finish, recursing on the smaller side. qsort's indirect
 * comparator made sorting the bulk of compaction and of window merges. */
static void sort_doubles(double *a, size_t n) {
  while (n > 16) {
    double x = a[0], y = a[n / 2], z = a[n - 1];
    double pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    size_t i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot)
        i++;
      while (a[j] > pivot)
        j--;
      if (i >= j)
        break;
      double t = a[i];
      a[i++] = a[j];
      a[j--] = t;
    }
    size_t left = j + 1; /* a[0..left) <= pivot <= a[left..n) */
    if (left < n - left) {
      sort_doubles(a, left);
      a += left;
      n -= left;
    } else {
      sort_doubles(a + left, n - left);
      n = left;
    }
  }
  for (size_t i = 1; i < n; i++) {
    double v = a[i];
    size_t j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
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
  if (q->nlevels == q->levels_alloc) {
    q->levels_alloc *= 2;
    q->levels = rt_xrealloc(q->levels, q->levels_alloc * sizeof(qk_level));
  }
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
    sort_doubles(l->items, l->size);
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
  if (l->alloc > 2 * l->cap) {
    l->alloc = l->cap + QK_MIN_CAP;
    l->items = rt_xrealloc(l->items, l->alloc * sizeof(double));
  }
}

static void compress(rt_quantile *q) {
  while (q->total_size >= q->total_cap) {
    uint32_t h = 0;
    while (h < q->nlevels && q->levels[h].size < q->levels[h].cap)
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

/* Merges the sorted run src[0..n) of weight w into view[0..*vn), using tmp
 * (room for *vn + n items) as the output, then swaps buffers. */
static void view_merge_run(qk_item **view, qk_item **tmp, uint32_t *vn,
                           const double *src, uint32_t n, uint64_t w) {
  qk_item *a = *view, *out = *tmp;
  uint32_t i = 0, j = 0, o = 0;
  while (i < *vn && j < n)
    out[o++] = a[i].v <= src[j] ? a[i++] : (qk_item){src[j++], w};
  while (i < *vn)
    out[o++] = a[i++];
  while (j < n)
    out[o++] = (qk_item){src[j++], w};
  *tmp = a;
  *view = out;
  *vn = o;
}

/* Builds the sorted view; w then holds cumulative weights. Level 0 is
 * sorted in place (compaction sorts it anyway), then every level, already
 * sorted, is merged in as a run. */
static void view_build(rt_quantile *q) {
  size_t cap = q->total_size ? q->total_size : 1;
  qk_item *view = rt_xmalloc(cap * sizeof(qk_item));
  qk_item *tmp = rt_xmalloc(cap * sizeof(qk_item));
  uint32_t n = 0;
  sort_doubles(q->levels[0].items, q->levels[0].size);
  for (uint32_t h = 0; h < q->nlevels; h++)
    view_merge_run(&view, &tmp, &n, q->levels[h].items, q->levels[h].size,
                   (uint64_t)1 << h);
  rt_free(tmp);
  for (uint32_t i = 1; i < n; i++)
    view[i].w += view[i - 1].w;
  q->view = view;
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
      sort_doubles(l->items, size);
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
