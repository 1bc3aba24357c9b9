/*
 * Session windows. The group table maps a key tuple to its list of open
 * sessions; most keys have exactly one, so the list is a small sorted array.
 * Aggregate blocks are heap-allocated per session because merging two
 * sessions must move one block into another without touching the table.
 */
#include "rt_session_window.h"

#include "rt_err.h"
#include "rt_group.h"
#include "rt_mem.h"

#include <string.h>

typedef struct session {
  int64_t start; /* first record's time */
  int64_t last;  /* last record's time */
  void *block;   /* the session's aggregate block */
} session;

/* The payload of a group: its open sessions, sorted by start. */
typedef struct session_list {
  session *items;
  uint32_t n;
  uint32_t alloc;
} session_list;

struct rt_session_window {
  int nkeys;                    /* group key values */
  const rt_aggset *aggs;        /* borrowed */
  int64_t gap;                  /* inactivity that closes a session */
  const char *const *col_names; /* borrowed result column names */
  rt_group *groups;             /* key -> session_list */
  int64_t closed_upto;          /* last threshold advanced to */
  bool advanced;                /* closed_upto is meaningful */
  size_t open;                  /* open sessions over all keys */
  rt_value *row;                /* scratch row: 2 + nkeys + naggs */
};

rt_session_window *rt_session_window_new(int nkeys, const rt_aggset *aggs, int64_t gap_ms,
                                         const char *const *col_names) {
  rt_session_window *s = rt_xcalloc(1, sizeof(*s));
  s->nkeys = nkeys;
  s->aggs = aggs;
  s->gap = gap_ms;
  s->col_names = col_names;
  s->groups = rt_group_new(nkeys, sizeof(session_list));
  s->row = rt_xcalloc((size_t)(2 + nkeys + rt_aggset_count(aggs)), sizeof(rt_value));
  return s;
}

static void session_drop(const rt_session_window *s, session *x) {
  rt_aggset_clear(s->aggs, x->block);
  rt_free(x->block);
  x->block = NULL;
}

void rt_session_window_free(rt_session_window **sp) {
  if (!sp || !*sp)
    return;
  rt_session_window *s = *sp;
  for (size_t i = 0; i < rt_group_count(s->groups); i++) {
    session_list *l = rt_group_payload(s->groups, i);
    for (uint32_t j = 0; j < l->n; j++)
      session_drop(s, &l->items[j]);
    rt_free(l->items);
  }
  rt_group_free(&s->groups);
  rt_free(s->row);
  rt_free(s);
  *sp = NULL;
}

size_t rt_session_window_memory(const rt_session_window *s) {
  size_t block = rt_aggset_block_size(s->aggs) + RT_MEM_CHUNK_OVERHEAD;
  bool heap = rt_aggset_has_heap(s->aggs);
  size_t n = sizeof(*s) + rt_group_memory(s->groups);
  for (size_t g = 0; g < rt_group_count(s->groups); g++) {
    const session_list *l = rt_group_payload(s->groups, g);
    n += l->alloc * sizeof(session) + (l->alloc ? RT_MEM_CHUNK_OVERHEAD : 0) + l->n * block;
    for (uint32_t j = 0; heap && j < l->n; j++)
      n += rt_aggset_heap_bytes(s->aggs, l->items[j].block);
  }
  return n;
}

size_t rt_session_window_open_count(const rt_session_window *s) { return s->open; }

/* Does a record at t belong with session x (within gap of its span)? */
static inline bool joins(const rt_session_window *s, const session *x, int64_t t) {
  return t > x->start - s->gap && t < x->last + s->gap;
}

static void list_remove(session_list *l, uint32_t j) {
  memmove(&l->items[j], &l->items[j + 1], (l->n - j - 1) * sizeof(session));
  l->n--;
}

static void list_insert(session_list *l, session x) {
  if (l->n == l->alloc) {
    l->alloc = l->alloc ? l->alloc * 2 : 2;
    l->items = rt_xrealloc(l->items, l->alloc * sizeof(session));
  }
  uint32_t j = l->n;
  while (j > 0 && l->items[j - 1].start > x.start)
    j--;
  memmove(&l->items[j + 1], &l->items[j], (l->n - j) * sizeof(session));
  l->items[j] = x;
  l->n++;
}

/* Folds every later session that t also joins into the first one found. */
static session *absorb(rt_session_window *s, session_list *l, int64_t t) {
  session *into = NULL;
  for (uint32_t j = 0; j < l->n;) {
    if (!joins(s, &l->items[j], t)) {
      j++;
      continue;
    }
    if (!into) {
      into = &l->items[j++];
      continue;
    }
    session *x = &l->items[j];
    rt_aggset_merge(s->aggs, into->block, x->block);
    if (x->last > into->last)
      into->last = x->last;
    session_drop(s, x);
    list_remove(l, j);
    s->open--;
  }
  return into;
}

bool rt_session_window_add(rt_session_window *s, const rt_value *keys, const rt_value *args,
                           int64_t t, uint64_t seq) {
  uint64_t h = rt_group_hash(keys, s->nkeys);
  size_t gi = rt_group_find(s->groups, keys, h);
  session_list *l = gi == (size_t)-1 ? NULL : rt_group_payload(s->groups, gi);
  session *x = l ? absorb(s, l, t) : NULL;
  if (!x) {
    if (s->advanced && t + s->gap <= s->closed_upto)
      return false;
    bool created;
    gi = rt_group_upsert(s->groups, keys, h, &created);
    l = rt_group_payload(s->groups, gi);
    session fresh = {t, t, rt_xmalloc(rt_aggset_block_size(s->aggs))};
    rt_aggset_init(s->aggs, fresh.block);
    list_insert(l, fresh);
    s->open++;
    x = absorb(s, l, t);
  }
  if (t < x->start)
    x->start = t;
  if (t > x->last)
    x->last = t;
  rt_aggset_add(s->aggs, x->block, args, t, seq);
  return true;
}

static void emit_row(rt_session_window *s, rt_result *res, const rt_value *keys,
                     const session *x) {
  s->row[0] = rt_time(x->start);
  s->row[1] = rt_time(x->last + s->gap);
  for (int k = 0; k < s->nkeys; k++)
    s->row[2 + k] = keys[k];
  rt_aggset_results(s->aggs, x->block, &s->row[2 + s->nkeys]);
  rt_result_add_row(res, s->row);
}

/* Emits and drops group gi's sessions that are closed; true when the group
 * has none left. */
static bool close_group(rt_session_window *s, size_t gi, int64_t threshold, bool all,
                        rt_result *res) {
  session_list *l = rt_group_payload(s->groups, gi);
  const rt_value *keys = rt_group_keys(s->groups, gi);
  for (uint32_t j = 0; j < l->n;) {
    session *x = &l->items[j];
    if (!all && x->last + s->gap > threshold) {
      j++;
      continue;
    }
    emit_row(s, res, keys, x);
    session_drop(s, x);
    list_remove(l, j);
    s->open--;
  }
  if (l->n)
    return false;
  rt_free(l->items);
  return true;
}

int rt_session_window_advance(rt_session_window *s, int64_t threshold, bool all,
                              rt_window_emit_fn emit, void *ctx) {
  int ncols = 2 + s->nkeys + rt_aggset_count(s->aggs);
  rt_result *res = rt_result_new(ncols, s->col_names);
  for (size_t i = rt_group_count(s->groups); i-- > 0;)
    if (close_group(s, i, threshold, all, res))
      rt_group_remove(s->groups, i);
  if (!s->advanced || threshold > s->closed_upto)
    s->closed_upto = threshold;
  s->advanced = true;
  if (rt_result_nrows(res) == 0) {
    rt_result_free(&res);
    return 0;
  }
  rt_sort_key by_start = {0, NULL, false};
  rt_result_sort(res, &by_start, 1);
  int64_t lo = rt_result_get(res, 0, 0).u.ms, hi = INT64_MIN;
  for (size_t r = 0; r < rt_result_nrows(res); r++)
    if (rt_result_get(res, r, 1).u.ms > hi)
      hi = rt_result_get(res, r, 1).u.ms;
  rt_result_set_window(res, lo, hi);
  emit(ctx, res);
  return 1;
}

/* ---- checkpoints ----------------------------------------------------------- */

int rt_session_window_save(const rt_session_window *s, rt_buf *out) {
  int rc = rt_sk_put_u8(out, s->advanced);
  rc |= rt_sk_put_u64(out, (uint64_t)s->closed_upto);
  rc |= rt_sk_put_u64(out, rt_group_count(s->groups));
  for (size_t i = 0; i < rt_group_count(s->groups) && !rc; i++) {
    const rt_value *keys = rt_group_keys(s->groups, i);
    const session_list *l = rt_group_payload(s->groups, i);
    for (int k = 0; k < s->nkeys; k++)
      rc |= rt_sk_put_value(out, keys[k]);
    rc |= rt_sk_put_u32(out, l->n);
    for (uint32_t j = 0; j < l->n && !rc; j++) {
      rc |= rt_sk_put_u64(out, (uint64_t)l->items[j].start);
      rc |= rt_sk_put_u64(out, (uint64_t)l->items[j].last);
      rc |= rt_aggset_serialize(s->aggs, l->items[j].block, out);
    }
  }
  return rc ? RT_ETOOBIG : 0;
}

/* Reads one session of a group into list l. */
static bool load_session(rt_session_window *s, rt_sk_reader *r, session_list *l) {
  session x = {(int64_t)rt_sk_get_u64(r), (int64_t)rt_sk_get_u64(r), NULL};
  if (r->bad || x.last < x.start || x.start < -RT_WINDOW_TIME_LIMIT_MS ||
      x.last > RT_WINDOW_TIME_LIMIT_MS)
    return false;
  x.block = rt_xmalloc(rt_aggset_block_size(s->aggs));
  rt_aggset_init(s->aggs, x.block);
  size_t used = 0;
  if (rt_aggset_deserialize(s->aggs, x.block, r->p + r->off, r->len - r->off, &used)) {
    rt_free(x.block);
    return false;
  }
  r->off += used;
  list_insert(l, x);
  s->open++;
  return true;
}

/* Reads one group (keys, then its sessions). */
static bool load_group(rt_session_window *s, rt_sk_reader *r, rt_value *keys) {
  bool ok = true, created;
  for (int k = 0; k < s->nkeys; k++)
    keys[k] = rt_sk_get_value(r);
  uint32_t n = rt_sk_get_u32(r);
  if (r->bad || n == 0 || n > r->len - r->off)
    ok = false;
  session_list *l = NULL;
  if (ok) {
    size_t gi = rt_group_upsert(s->groups, keys, rt_group_hash(keys, s->nkeys), &created);
    l = rt_group_payload(s->groups, gi);
    ok = created;
  }
  for (uint32_t j = 0; ok && j < n; j++)
    ok = load_session(s, r, l);
  for (int k = 0; k < s->nkeys; k++)
    rt_value_release(&keys[k]);
  return ok;
}

bool rt_session_window_load(rt_session_window *s, rt_sk_reader *r) {
  s->advanced = rt_sk_get_u8(r) != 0;
  s->closed_upto = (int64_t)rt_sk_get_u64(r);
  uint64_t ngroups = rt_sk_get_u64(r);
  bool ok = !r->bad && ngroups <= r->len - r->off;
  for (uint64_t i = 0; ok && i < ngroups; i++)
    ok = load_group(s, r, s->row);
  if (!ok)
    r->bad = true;
  return ok;
}
