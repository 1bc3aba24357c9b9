/*
 * Aggregate partial states and the compiled aggregate set. The hot path is
 * rt_aggset_add(): one switch per slot, no allocation except when a min/max/
 * first/last string changes or a sketch is created. Percentiles over the
 * same argument share one slot (one KLL sketch); every other aggregate has
 * its own slot, so a slot's kind is the kind of its first aggregate.
 */
#include "rt_agg.h"

#include "dsl_ast.h"
#include "rt_err.h"
#include "rt_hll.h"
#include "rt_mem.h"
#include "rt_quantile.h"
#include "rt_sketch_io.h"

#include <math.h>
#include <string.h>

#define AGG_SAME(a, b) _Static_assert((int)RT_AGG_##a == (int)DSL_AGG_##b, #a)
AGG_SAME(COUNT, COUNT);
AGG_SAME(COUNT_DISTINCT, COUNT_DISTINCT);
AGG_SAME(SUM, SUM);
AGG_SAME(AVG, AVG);
AGG_SAME(MIN, MIN);
AGG_SAME(MAX, MAX);
AGG_SAME(STDDEV, STDDEV);
AGG_SAME(FIRST, FIRST);
AGG_SAME(LAST, LAST);
AGG_SAME(P50, P50);
AGG_SAME(P90, P90);
AGG_SAME(P95, P95);
AGG_SAME(P99, P99);
#undef AGG_SAME

static const char *const AGG_NAMES[RT_AGG__COUNT] = {
    "count", "count_distinct", "sum",   "avg", "min", "max", "stddev",
    "first", "last",           "p50",   "p90", "p95", "p99"};

const char *rt_agg_kind_name(rt_agg_kind kind) {
  return (unsigned)kind < RT_AGG__COUNT ? AGG_NAMES[kind] : "?";
}

bool rt_agg_kind_is_quantile(rt_agg_kind kind) {
  return kind >= RT_AGG_P50 && kind <= RT_AGG_P99;
}

static double quantile_phi(rt_agg_kind kind) {
  switch (kind) {
  case RT_AGG_P50:
    return 0.50;
  case RT_AGG_P90:
    return 0.90;
  case RT_AGG_P95:
    return 0.95;
  default:
    return 0.99;
  }
}

/* The numeric value of v for sum/avg/stddev/percentiles, or false. */
static inline bool as_number(rt_value v, double *d) {
  if (v.type == RT_NUMBER) {
    *d = v.u.num;
    return !isnan(*d);
  }
  if (v.type == RT_TIME) {
    *d = (double)v.u.ms;
    return true;
  }
  return false;
}

void rt_agg_init(rt_agg_state *st, rt_agg_kind kind) {
  memset(st, 0, sizeof(*st));
  if (kind == RT_AGG_MIN || kind == RT_AGG_MAX)
    st->u.ext = rt_null();
  else if (kind == RT_AGG_FIRST || kind == RT_AGG_LAST)
    st->u.ord.v = rt_null();
}

void rt_agg_clear(rt_agg_state *st, rt_agg_kind kind) {
  switch (kind) {
  case RT_AGG_MIN:
  case RT_AGG_MAX:
    rt_value_release(&st->u.ext);
    break;
  case RT_AGG_FIRST:
  case RT_AGG_LAST:
    rt_value_release(&st->u.ord.v);
    break;
  case RT_AGG_COUNT_DISTINCT:
    rt_hll_free(&st->u.hll);
    break;
  default:
    if (rt_agg_kind_is_quantile(kind))
      rt_quantile_free(&st->u.q);
    break;
  }
  rt_agg_init(st, kind);
}

static inline void sum_add(rt_agg_state *st, double x) {
  /* Neumaier: exact low-order bits survive large partial sums. */
  double s = st->u.sum.sum, t = s + x;
  if (fabs(s) >= fabs(x))
    st->u.sum.comp += (s - t) + x;
  else
    st->u.sum.comp += (x - t) + s;
  st->u.sum.sum = t;
  st->u.sum.n++;
}

static inline void moments_add(rt_agg_state *st, double x) {
  int64_t n = ++st->u.moments.n;
  double delta = x - st->u.moments.mean;
  st->u.moments.mean += delta / (double)n;
  st->u.moments.m2 += delta * (x - st->u.moments.mean);
}

/* Replaces an owned value with a copy of v. */
static inline void set_owned(rt_value *dst, rt_value v) {
  rt_value_release(dst);
  *dst = rt_value_dup(v);
}

/* Does (order, seq) come before the state's ordering key? */
static inline bool ord_before(int64_t order, uint64_t seq, const rt_agg_state *st) {
  return order < st->u.ord.order ||
         (order == st->u.ord.order && seq < st->u.ord.seq);
}

static void ord_add(rt_agg_state *st, rt_agg_kind kind, rt_value v,
                    int64_t order, uint64_t seq) {
  bool take = st->u.ord.v.type == RT_NULL ||
              (kind == RT_AGG_FIRST ? ord_before(order, seq, st)
                                    : !ord_before(order, seq, st));
  if (!take)
    return;
  set_owned(&st->u.ord.v, v);
  st->u.ord.order = order;
  st->u.ord.seq = seq;
}

void rt_agg_add(rt_agg_state *st, rt_agg_kind kind, rt_value v, int64_t order,
                uint64_t seq) {
  double d;
  if (kind == RT_AGG_COUNT) {
    st->u.count++;
    return;
  }
  if (v.type == RT_NULL)
    return;
  switch (kind) {
  case RT_AGG_SUM:
  case RT_AGG_AVG:
    if (as_number(v, &d))
      sum_add(st, d);
    break;
  case RT_AGG_STDDEV:
    if (as_number(v, &d))
      moments_add(st, d);
    break;
  case RT_AGG_MIN:
  case RT_AGG_MAX: {
    int c = st->u.ext.type == RT_NULL ? 0 : rt_value_compare(v, st->u.ext);
    if (st->u.ext.type == RT_NULL || (kind == RT_AGG_MIN ? c < 0 : c > 0))
      set_owned(&st->u.ext, v);
    break;
  }
  case RT_AGG_FIRST:
  case RT_AGG_LAST:
    ord_add(st, kind, v, order, seq);
    break;
  case RT_AGG_COUNT_DISTINCT:
    if (!st->u.hll)
      st->u.hll = rt_hll_new();
    rt_hll_add(st->u.hll, rt_value_hash(v));
    break;
  default: /* percentiles */
    if (as_number(v, &d)) {
      if (!st->u.q)
        st->u.q = rt_quantile_new(0);
      rt_quantile_add(st->u.q, d);
    }
    break;
  }
}

static void moments_merge(rt_agg_state *dst, const rt_agg_state *src) {
  int64_t na = dst->u.moments.n, nb = src->u.moments.n;
  if (nb == 0)
    return;
  if (na == 0) {
    dst->u.moments = src->u.moments;
    return;
  }
  /* Chan et al.: combine means and M2 without revisiting inputs. */
  double n = (double)(na + nb);
  double delta = src->u.moments.mean - dst->u.moments.mean;
  dst->u.moments.mean += delta * (double)nb / n;
  dst->u.moments.m2 += src->u.moments.m2 + delta * delta * (double)na * (double)nb / n;
  dst->u.moments.n = na + nb;
}

void rt_agg_merge(rt_agg_state *dst, const rt_agg_state *src,
                  rt_agg_kind kind) {
  switch (kind) {
  case RT_AGG_COUNT:
    dst->u.count += src->u.count;
    break;
  case RT_AGG_SUM:
  case RT_AGG_AVG:
    if (src->u.sum.n) {
      sum_add(dst, src->u.sum.sum);
      dst->u.sum.comp += src->u.sum.comp;
      dst->u.sum.n += src->u.sum.n - 1;
    }
    break;
  case RT_AGG_STDDEV:
    moments_merge(dst, src);
    break;
  case RT_AGG_MIN:
  case RT_AGG_MAX:
    if (src->u.ext.type != RT_NULL)
      rt_agg_add(dst, kind, src->u.ext, 0, 0);
    break;
  case RT_AGG_FIRST:
  case RT_AGG_LAST:
    if (src->u.ord.v.type != RT_NULL)
      ord_add(dst, kind, src->u.ord.v, src->u.ord.order, src->u.ord.seq);
    break;
  case RT_AGG_COUNT_DISTINCT:
    if (src->u.hll) {
      if (!dst->u.hll)
        dst->u.hll = rt_hll_clone(src->u.hll);
      else
        rt_hll_merge(dst->u.hll, src->u.hll);
    }
    break;
  default:
    if (src->u.q) {
      if (!dst->u.q)
        dst->u.q = rt_quantile_clone(src->u.q);
      else
        rt_quantile_merge(dst->u.q, src->u.q);
    }
    break;
  }
}

rt_value rt_agg_result(const rt_agg_state *st, rt_agg_kind kind) {
  switch (kind) {
  case RT_AGG_COUNT:
    return rt_number((double)st->u.count);
  case RT_AGG_SUM:
    return st->u.sum.n ? rt_number(st->u.sum.sum + st->u.sum.comp) : rt_null();
  case RT_AGG_AVG:
    return st->u.sum.n ? rt_number((st->u.sum.sum + st->u.sum.comp) /
                                   (double)st->u.sum.n)
                       : rt_null();
  case RT_AGG_STDDEV:
    if (st->u.moments.n < 2)
      return rt_null();
    return rt_number(sqrt(fmax(0.0, st->u.moments.m2) /
                          (double)(st->u.moments.n - 1)));
  case RT_AGG_MIN:
  case RT_AGG_MAX:
    return st->u.ext;
  case RT_AGG_FIRST:
  case RT_AGG_LAST:
    return st->u.ord.v;
  case RT_AGG_COUNT_DISTINCT:
    return rt_number(st->u.hll ? round(rt_hll_estimate(st->u.hll)) : 0.0);
  default:
    if (!st->u.q || rt_quantile_count(st->u.q) == 0)
      return rt_null();
    return rt_number(rt_quantile_get(st->u.q, quantile_phi(kind)));
  }
}

/* ---- serialization ---------------------------------------------------- */

/* A sketch pointer is written as a presence byte and its bytes. */
static int put_sketch(rt_buf *out, const rt_agg_state *st, rt_agg_kind kind) {
  bool is_hll = kind == RT_AGG_COUNT_DISTINCT;
  const void *p = is_hll ? (const void *)st->u.hll : (const void *)st->u.q;
  if (!p)
    return rt_sk_put_u8(out, 0);
  int rc = rt_sk_put_u8(out, 1);
  return rc | (is_hll ? rt_hll_serialize(st->u.hll, out)
                      : rt_quantile_serialize(st->u.q, out));
}

int rt_agg_serialize(const rt_agg_state *st, rt_agg_kind kind, rt_buf *out) {
  int rc = rt_sk_put_u8(out, (unsigned)kind);
  switch (kind) {
  case RT_AGG_COUNT:
    rc |= rt_sk_put_u64(out, (uint64_t)st->u.count);
    break;
  case RT_AGG_SUM:
  case RT_AGG_AVG:
    rc |= rt_sk_put_f64(out, st->u.sum.sum);
    rc |= rt_sk_put_f64(out, st->u.sum.comp);
    rc |= rt_sk_put_u64(out, (uint64_t)st->u.sum.n);
    break;
  case RT_AGG_STDDEV:
    rc |= rt_sk_put_u64(out, (uint64_t)st->u.moments.n);
    rc |= rt_sk_put_f64(out, st->u.moments.mean);
    rc |= rt_sk_put_f64(out, st->u.moments.m2);
    break;
  case RT_AGG_MIN:
  case RT_AGG_MAX:
    rc |= rt_sk_put_value(out, st->u.ext);
    break;
  case RT_AGG_FIRST:
  case RT_AGG_LAST:
    rc |= rt_sk_put_value(out, st->u.ord.v);
    rc |= rt_sk_put_u64(out, (uint64_t)st->u.ord.order);
    rc |= rt_sk_put_u64(out, st->u.ord.seq);
    break;
  default:
    rc |= put_sketch(out, st, kind);
    break;
  }
  return rc ? RT_ETOOBIG : 0;
}

static void get_sketch(rt_sk_reader *r, rt_agg_state *st, rt_agg_kind kind) {
  unsigned present = rt_sk_get_u8(r);
  if (r->bad || present == 0)
    return;
  size_t used = 0;
  int rc = kind == RT_AGG_COUNT_DISTINCT
               ? rt_hll_deserialize(r->p + r->off, r->len - r->off, &used, &st->u.hll)
               : rt_quantile_deserialize(r->p + r->off, r->len - r->off, &used, &st->u.q);
  if (rc || present != 1)
    r->bad = true;
  else
    r->off += used;
}

static void get_state(rt_sk_reader *r, rt_agg_state *st, rt_agg_kind kind) {
  switch (kind) {
  case RT_AGG_COUNT:
    st->u.count = (int64_t)rt_sk_get_u64(r);
    break;
  case RT_AGG_SUM:
  case RT_AGG_AVG:
    st->u.sum.sum = rt_sk_get_f64(r);
    st->u.sum.comp = rt_sk_get_f64(r);
    st->u.sum.n = (int64_t)rt_sk_get_u64(r);
    break;
  case RT_AGG_STDDEV:
    st->u.moments.n = (int64_t)rt_sk_get_u64(r);
    st->u.moments.mean = rt_sk_get_f64(r);
    st->u.moments.m2 = rt_sk_get_f64(r);
    break;
  case RT_AGG_MIN:
  case RT_AGG_MAX:
    st->u.ext = rt_sk_get_value(r);
    break;
  case RT_AGG_FIRST:
  case RT_AGG_LAST:
    st->u.ord.v = rt_sk_get_value(r);
    st->u.ord.order = (int64_t)rt_sk_get_u64(r);
    st->u.ord.seq = rt_sk_get_u64(r);
    break;
  default:
    get_sketch(r, st, kind);
    break;
  }
}

int rt_agg_deserialize(rt_agg_state *st, rt_agg_kind kind, const void *data,
                       size_t len, size_t *used) {
  rt_sk_reader r = {data, len, 0, false};
  unsigned tag = rt_sk_get_u8(&r);
  if (r.bad || tag != (unsigned)kind || (unsigned)kind >= RT_AGG__COUNT)
    return RT_EBADREC;
  get_state(&r, st, kind);
  if (r.bad) {
    rt_agg_clear(st, kind);
    return RT_EBADREC;
  }
  *used = r.off;
  return 0;
}

/* ---- the aggregate set ------------------------------------------------- */

/* One state in a block: which kind it holds and which argument feeds it. */
typedef struct agg_slot {
  rt_agg_kind kind;
  int arg;
} agg_slot;

struct rt_aggset {
  int n;             /* aggregates (result columns) */
  rt_agg_spec *specs; /* n specs as given */
  int *slot_of;      /* n: the slot each aggregate reads */
  int nslots;        /* states per block */
  agg_slot *slots;   /* nslots */
};

/* The slot an aggregate can share: percentiles over the same argument. */
static int find_shared_slot(const rt_aggset *set, rt_agg_spec spec) {
  if (!rt_agg_kind_is_quantile(spec.kind))
    return -1;
  for (int s = 0; s < set->nslots; s++)
    if (rt_agg_kind_is_quantile(set->slots[s].kind) && set->slots[s].arg == spec.arg)
      return s;
  return -1;
}

rt_aggset *rt_aggset_new(const rt_agg_spec *specs, int n) {
  rt_aggset *set = rt_xcalloc(1, sizeof(*set));
  set->n = n;
  set->specs = rt_xcalloc((size_t)n + 1, sizeof(rt_agg_spec));
  set->slot_of = rt_xcalloc((size_t)n + 1, sizeof(int));
  set->slots = rt_xcalloc((size_t)n + 1, sizeof(agg_slot));
  for (int i = 0; i < n; i++) {
    set->specs[i] = specs[i];
    int s = find_shared_slot(set, specs[i]);
    if (s < 0) {
      s = set->nslots++;
      set->slots[s] = (agg_slot){specs[i].kind, specs[i].arg};
    }
    set->slot_of[i] = s;
  }
  return set;
}

void rt_aggset_free(rt_aggset **set) {
  if (!set || !*set)
    return;
  rt_free((*set)->specs);
  rt_free((*set)->slot_of);
  rt_free((*set)->slots);
  rt_free(*set);
  *set = NULL;
}

int rt_aggset_count(const rt_aggset *set) { return set->n; }

size_t rt_aggset_block_size(const rt_aggset *set) {
  return (size_t)set->nslots * sizeof(rt_agg_state);
}

void rt_aggset_init(const rt_aggset *set, void *block) {
  rt_agg_state *st = block;
  for (int s = 0; s < set->nslots; s++)
    rt_agg_init(&st[s], set->slots[s].kind);
}

void rt_aggset_clear(const rt_aggset *set, void *block) {
  rt_agg_state *st = block;
  for (int s = 0; s < set->nslots; s++)
    rt_agg_clear(&st[s], set->slots[s].kind);
}

void rt_aggset_add(const rt_aggset *set, void *block, const rt_value *args,
                   int64_t order, uint64_t seq) {
  rt_agg_state *st = block;
  for (int s = 0; s < set->nslots; s++) {
    const agg_slot *sl = &set->slots[s];
    rt_value v = sl->arg >= 0 && args ? args[sl->arg] : rt_null();
    rt_agg_add(&st[s], sl->kind, v, order, seq);
  }
}

bool rt_aggset_has_heap(const rt_aggset *set) {
  for (int s = 0; s < set->nslots; s++)
    if (set->slots[s].kind != RT_AGG_COUNT && set->slots[s].kind != RT_AGG_SUM &&
        set->slots[s].kind != RT_AGG_AVG && set->slots[s].kind != RT_AGG_STDDEV)
      return true;
  return false;
}

size_t rt_aggset_heap_bytes(const rt_aggset *set, const void *block) {
  const rt_agg_state *st = block;
  size_t n = 0;
  for (int s = 0; s < set->nslots; s++) {
    rt_agg_kind kind = set->slots[s].kind;
    if (kind == RT_AGG_MIN || kind == RT_AGG_MAX)
      n += rt_value_heap_bytes(st[s].u.ext);
    else if (kind == RT_AGG_FIRST || kind == RT_AGG_LAST)
      n += rt_value_heap_bytes(st[s].u.ord.v);
    else if (kind == RT_AGG_COUNT_DISTINCT && st[s].u.hll)
      n += rt_hll_memory(st[s].u.hll);
    else if (rt_agg_kind_is_quantile(kind) && st[s].u.q)
      n += rt_quantile_memory(st[s].u.q);
  }
  return n;
}

void rt_aggset_merge(const rt_aggset *set, void *dst, const void *src) {
  rt_agg_state *d = dst;
  const rt_agg_state *s = src;
  for (int i = 0; i < set->nslots; i++)
    rt_agg_merge(&d[i], &s[i], set->slots[i].kind);
}

void rt_aggset_results(const rt_aggset *set, const void *block, rt_value *out) {
  const rt_agg_state *st = block;
  for (int i = 0; i < set->n; i++)
    out[i] = rt_agg_result(&st[set->slot_of[i]], set->specs[i].kind);
}

int rt_aggset_serialize(const rt_aggset *set, const void *block, rt_buf *out) {
  const rt_agg_state *st = block;
  for (int s = 0; s < set->nslots; s++) {
    int rc = rt_agg_serialize(&st[s], set->slots[s].kind, out);
    if (rc)
      return rc;
  }
  return 0;
}

int rt_aggset_deserialize(const rt_aggset *set, void *block, const void *data,
                          size_t len, size_t *used) {
  rt_agg_state *st = block;
  size_t off = 0;
  for (int s = 0; s < set->nslots; s++) {
    size_t n = 0;
    int rc = rt_agg_deserialize(&st[s], set->slots[s].kind,
                                (const unsigned char *)data + off, len - off, &n);
    if (rc) {
      rt_aggset_clear(set, block);
      return rc;
    }
    off += n;
  }
  *used = off;
  return 0;
}
