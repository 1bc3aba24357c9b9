/*
 * HyperLogLog with a sparse start. Hash bits: the top 14 bits pick the dense
 * register, the rank is the position of the first 1 in the remaining 50
 * bits (1..51). The sparse form keeps the top 25 bits as its index and the
 * rank of the remaining 39 bits, from which the dense register and rank
 * follow exactly, so converting loses nothing; while sparse, the estimate is
 * linear counting over 2^25 buckets, which is within a fraction of a percent
 * of exact at the few thousand entries the sparse form holds.
 */
#include "rt_hll.h"

#include "rt_err.h"
#include "rt_mem.h"
#include "rt_sketch_io.h"

#include <math.h>
#include <string.h>

enum {
  HLL_P = 14,                      /* dense precision */
  HLL_M = 1 << HLL_P,              /* dense registers */
  HLL_Q = 64 - HLL_P,              /* bits after the index; max rank Q+1 */
  HLL_SP = 25,                     /* sparse precision */
  HLL_SPARSE_MIN_CAP = 16,         /* first sparse table size (slots) */
  HLL_SPARSE_MAX_CAP = 4096,       /* sparse tables never grow past this */
  HLL_TAG_SPARSE = 'S',
  HLL_TAG_DENSE = 'D',
};

struct rt_hll {
  uint8_t *regs;   /* HLL_M ranks when dense, else NULL */
  uint32_t *set;   /* sparse slots: idx25 << 6 | rank39; 0 = empty */
  uint32_t cap;    /* sparse slots (power of two) */
  uint32_t count;  /* sparse entries in use */
};

rt_hll *rt_hll_new(void) {
  rt_hll *h = rt_xcalloc(1, sizeof(*h));
  h->cap = HLL_SPARSE_MIN_CAP;
  h->set = rt_xcalloc(h->cap, sizeof(uint32_t));
  return h;
}

void rt_hll_free(rt_hll **h) {
  if (!h || !*h)
    return;
  rt_free((*h)->regs);
  rt_free((*h)->set);
  rt_free(*h);
  *h = NULL;
}

rt_hll *rt_hll_clone(const rt_hll *h) {
  rt_hll *c = rt_xcalloc(1, sizeof(*c));
  *c = *h;
  if (h->regs) {
    c->regs = rt_xmalloc(HLL_M);
    memcpy(c->regs, h->regs, HLL_M);
  }
  if (h->set) {
    c->set = rt_xmalloc(h->cap * sizeof(uint32_t));
    memcpy(c->set, h->set, h->cap * sizeof(uint32_t));
  }
  return c;
}

bool rt_hll_is_sparse(const rt_hll *h) { return h->regs == NULL; }

size_t rt_hll_memory(const rt_hll *h) {
  return sizeof(*h) + (h->regs ? HLL_M : 0) +
         (h->set ? h->cap * sizeof(uint32_t) : 0);
}

/* Position of the first 1 bit of w's top `bits` bits (1-based), or bits+1. */
static inline unsigned rank_of(uint64_t w, unsigned bits) {
  if (w == 0)
    return bits + 1;
  unsigned r = (unsigned)__builtin_clzll(w) + 1;
  return r > bits ? bits + 1 : r;
}

static inline void dense_set(uint8_t *regs, uint32_t idx, unsigned rank) {
  if (regs[idx] < rank)
    regs[idx] = (uint8_t)rank;
}

/* The dense register and rank of a sparse entry. */
static void dense_add_entry(uint8_t *regs, uint32_t e) {
  uint32_t idx25 = e >> 6, rank39 = e & 63;
  uint32_t low = idx25 & ((1u << (HLL_SP - HLL_P)) - 1);
  unsigned rank;
  if (low)
    rank = (unsigned)__builtin_clz(low << (32 - (HLL_SP - HLL_P))) + 1;
  else
    rank = (HLL_SP - HLL_P) + rank39;
  dense_set(regs, idx25 >> (HLL_SP - HLL_P), rank);
}

static void to_dense(rt_hll *h) {
  h->regs = rt_xcalloc(HLL_M, 1);
  for (uint32_t i = 0; i < h->cap; i++)
    if (h->set[i])
      dense_add_entry(h->regs, h->set[i]);
  rt_free(h->set);
  h->set = NULL;
  h->cap = h->count = 0;
}

/* Inserts an entry into a sparse table with room; keeps the max rank. */
static void set_insert(uint32_t *set, uint32_t cap, uint32_t e,
                       uint32_t *count) {
  uint32_t mask = cap - 1, key = e >> 6;
  /* idx25 is uniform already; scramble it so low bits spread well. */
  uint32_t i = (key * 0x9e3779b1u) >> 7 & mask;
  for (;; i = (i + 1) & mask) {
    if (set[i] == 0) {
      set[i] = e;
      (*count)++;
      return;
    }
    if (set[i] >> 6 == key) {
      if ((set[i] & 63) < (e & 63))
        set[i] = e;
      return;
    }
  }
}

static void sparse_grow(rt_hll *h) {
  uint32_t ncap = h->cap * 2, n = 0;
  uint32_t *nset = rt_xcalloc(ncap, sizeof(uint32_t));
  for (uint32_t i = 0; i < h->cap; i++)
    if (h->set[i])
      set_insert(nset, ncap, h->set[i], &n);
  rt_free(h->set);
  h->set = nset;
  h->cap = ncap;
  h->count = n;
}

static void sparse_add(rt_hll *h, uint32_t e) {
  if ((h->count + 1) * 4 > h->cap * 3) {
    if (h->cap >= HLL_SPARSE_MAX_CAP) {
      to_dense(h);
      dense_add_entry(h->regs, e);
      return;
    }
    sparse_grow(h);
  }
  set_insert(h->set, h->cap, e, &h->count);
}

void rt_hll_add(rt_hll *h, uint64_t hash) {
  if (h->regs) {
    dense_set(h->regs, (uint32_t)(hash >> HLL_Q), rank_of(hash << HLL_P, HLL_Q));
    return;
  }
  uint32_t idx25 = (uint32_t)(hash >> (64 - HLL_SP));
  unsigned rank39 = rank_of(hash << HLL_SP, 64 - HLL_SP);
  sparse_add(h, idx25 << 6 | rank39);
}

void rt_hll_merge(rt_hll *dst, const rt_hll *src) {
  if (src->regs) {
    if (!dst->regs)
      to_dense(dst);
    for (uint32_t i = 0; i < HLL_M; i++)
      dense_set(dst->regs, i, src->regs[i]);
    return;
  }
  for (uint32_t i = 0; i < src->cap; i++) {
    if (!src->set[i])
      continue;
    if (dst->regs)
      dense_add_entry(dst->regs, src->set[i]);
    else
      sparse_add(dst, src->set[i]);
  }
}

/* Ertl's sigma and tau (arXiv:1702.01284, algorithm 6). */
static double hll_sigma(double x) {
  if (x == 1.0)
    return INFINITY;
  double y = 1.0, z = x, prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z != prev);
  return z;
}

static double hll_tau(double x) {
  if (x == 0.0 || x == 1.0)
    return 0.0;
  double y = 1.0, z = 1.0 - x, prev;
  do {
    x = sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != prev);
  return z / 3.0;
}

static double dense_estimate(const uint8_t *regs) {
  uint32_t c[HLL_Q + 2] = {0};
  for (uint32_t i = 0; i < HLL_M; i++)
    c[regs[i]]++;
  const double m = HLL_M;
  double z = m * hll_tau(1.0 - c[HLL_Q + 1] / m);
  for (int k = HLL_Q; k >= 1; k--)
    z = 0.5 * (z + c[k]);
  z += m * hll_sigma(c[0] / m);
  return (0.5 / log(2.0)) * m * m / z;
}

double rt_hll_estimate(const rt_hll *h) {
  if (h->regs)
    return dense_estimate(h->regs);
  const double mp = (double)(1u << HLL_SP);
  return mp * log(mp / (mp - h->count));
}

int rt_hll_serialize(const rt_hll *h, rt_buf *out) {
  int rc = 0;
  if (h->regs) {
    rc |= rt_sk_put_u8(out, HLL_TAG_DENSE);
    rc |= rt_buf_append(out, h->regs, HLL_M);
  } else {
    rc |= rt_sk_put_u8(out, HLL_TAG_SPARSE);
    rc |= rt_sk_put_u32(out, h->count);
    for (uint32_t i = 0; i < h->cap; i++)
      if (h->set[i])
        rc |= rt_sk_put_u32(out, h->set[i]);
  }
  return rc ? RT_ETOOBIG : 0;
}

static int read_dense(rt_sk_reader *r, rt_hll *h) {
  if (!rt_sk_need(r, HLL_M))
    return RT_EBADREC;
  for (uint32_t i = 0; i < HLL_M; i++)
    if (r->p[r->off + i] > HLL_Q + 1)
      return RT_EBADREC;
  rt_free(h->set);
  h->set = NULL;
  h->cap = h->count = 0;
  h->regs = rt_xmalloc(HLL_M);
  memcpy(h->regs, r->p + r->off, HLL_M);
  r->off += HLL_M;
  return 0;
}

static int read_sparse(rt_sk_reader *r, rt_hll *h) {
  uint32_t n = rt_sk_get_u32(r);
  if (r->bad || n > HLL_SPARSE_MAX_CAP || !rt_sk_need(r, (size_t)n * 4))
    return RT_EBADREC;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t e = rt_sk_get_u32(r);
    unsigned rank = e & 63;
    if (rank < 1 || rank > 64 - HLL_SP + 1 || e >> 31)
      return RT_EBADREC;
    sparse_add(h, e);
  }
  return 0;
}

int rt_hll_deserialize(const void *data, size_t len, size_t *used,
                       rt_hll **out) {
  rt_sk_reader r = {data, len, 0, false};
  rt_hll *h = rt_hll_new();
  unsigned tag = rt_sk_get_u8(&r);
  int rc = tag == HLL_TAG_DENSE    ? read_dense(&r, h)
           : tag == HLL_TAG_SPARSE ? read_sparse(&r, h)
                                   : RT_EBADREC;
  if (rc || r.bad) {
    rt_hll_free(&h);
    return RT_EBADREC;
  }
  *used = r.off;
  *out = h;
  return 0;
}
