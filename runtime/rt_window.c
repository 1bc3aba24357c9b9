/*
 * The window operator. Sliding and tumbling windows keep a sorted array of
 * live panes (pane = gcd(size, slide)), each a group table of aggregate
 * blocks; add() finds the pane (a cached index, so the common case of a
 * batch landing in the newest pane costs a comparison), then the group, then
 * updates one block. advance() walks window starts in order from the oldest
 * window that still has panes, merging each window's panes into a scratch
 * table, and frees panes no later window can need. Windows over empty stretches
 * are skipped by jumping to the first window of the next live pane, so a
 * clock jump never loops over empty windows.
 *
 * Lateness: a record at t belongs to windows starting on multiples of the
 * slide up to floor(t / slide) * slide; it is late when the last of them
 * ended at or before the threshold of the latest advance, which is exactly
 * when its pane has been (or would have been) freed.
 */
#include "rt_window.h"

#include "rt_group.h"
#include "rt_mem.h"
#include "rt_session_window.h"
#include "rt_sketch_io.h"

#include <string.h>

typedef struct pane {
  int64_t idx;      /* pane start / pane length */
  rt_group *groups; /* key -> aggregate block */
} pane;

struct rt_window {
  rt_window_kind kind;
  bool event_time;     /* add() times are event times */
  int64_t size;        /* window length (SLIDING) */
  int64_t slide;       /* window start spacing (SLIDING) */
  int64_t pane_ms;     /* gcd(size, slide) */
  int64_t gap;         /* SESSION inactivity gap */
  int64_t watermark;   /* allowed lateness (event time) */
  int nkeys;           /* group key values per record */
  int naggs;           /* aggregates */
  char **names;        /* window_start, window_end, keys, aggs (owned) */
  rt_aggset *aggs;     /* the compiled aggregate list */
  pane *panes;         /* SLIDING: live panes sorted by idx */
  size_t npanes;       /* panes in use */
  size_t apanes;       /* panes allocated */
  size_t hot;          /* index of the pane add() used last */
  rt_group *scratch;   /* SLIDING: per-window merge table, kept for reuse */
  rt_group *running;   /* RUNNING: key -> block for the whole stream */
  bool dirty;          /* RUNNING: records since the last emission */
  rt_session_window *session; /* SESSION state */
  int64_t max_time;    /* largest time add() saw */
  bool seen;           /* max_time is meaningful */
  int64_t done_upto;   /* every window ending at or before this is emitted */
  bool advanced;       /* done_upto is meaningful */
  bool closed;         /* close_all ran: every record is late */
  uint64_t seq;        /* arrival sequence for first/last */
  uint64_t records;    /* accepted records */
  uint64_t late;       /* late records */
  rt_value *row;       /* scratch result row */
  bool partials;       /* emit serialized partial states (scale-out) */
  rt_buf pbuf;         /* scratch bytes of one partial state */
  bool walked;         /* walked_bytes is meaningful: */
  size_t walked_bytes; /* what a walk over every group measured (memory()), */
  uint64_t walked_at;  /* and `records` then, */
  size_t walked_groups; /* and the live groups then */
  size_t prev_groups;  /* live groups at the previous memory() */
};

int64_t rt_window_pane_ms(int64_t size_ms, int64_t slide_ms) {
  int64_t a = size_ms, b = slide_ms;
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t floor_to(int64_t a, int64_t b) { return floor_div(a, b) * b; }

static inline int64_t ceil_to(int64_t a, int64_t b) { return -floor_div(-a, b) * b; }

static inline bool time_ok(int64_t t) {
  return t >= -RT_WINDOW_TIME_LIMIT_MS && t <= RT_WINDOW_TIME_LIMIT_MS;
}

static int check_opts(const rt_window_opts *o, rt_err *err) {
  if (o->nkeys < 0 || o->naggs < 1 || !o->aggs)
    return rt_err_set(err, RT_EINVAL, "agg needs at least one aggregate");
  if (!time_ok(o->size_ms) || !time_ok(o->slide_ms) || !time_ok(o->gap_ms) ||
      !time_ok(o->watermark_ms))
    return rt_err_set(err, RT_EINVAL, "window, slide, gap or watermark too long");
  if (o->watermark_ms < 0)
    return rt_err_set(err, RT_EINVAL, "watermark must not be negative");
  if (o->kind == RT_WINDOW_SLIDING) {
    int64_t slide = o->slide_ms ? o->slide_ms : o->size_ms;
    if (o->size_ms <= 0)
      return rt_err_set(err, RT_EINVAL, "window length must be positive");
    if (slide <= 0 || slide > o->size_ms)
      return rt_err_set(err, RT_EINVAL,
                        "window slide must be positive and at most the window length");
  } else if (o->kind == RT_WINDOW_SESSION) {
    if (o->gap_ms <= 0)
      return rt_err_set(err, RT_EINVAL, "session gap must be positive");
  } else if (o->kind != RT_WINDOW_RUNNING) {
    return rt_err_set(err, RT_EINVAL, "unknown window kind");
  }
  if (o->emit_partials && o->kind != RT_WINDOW_SLIDING)
    return rt_err_set(err, RT_EINVAL, "only sliding and tumbling windows emit partials");
  return 0;
}

static char **copy_names(const rt_window_opts *o) {
  int n = 2 + o->nkeys + o->naggs;
  char **names = rt_xcalloc((size_t)n, sizeof(char *));
  names[0] = rt_xstrdup("window_start");
  names[1] = rt_xstrdup("window_end");
  for (int i = 0; i < o->nkeys; i++)
    names[2 + i] = rt_xstrdup(o->key_names && o->key_names[i] ? o->key_names[i] : "");
  for (int i = 0; i < o->naggs; i++)
    names[2 + o->nkeys + i] =
        rt_xstrdup(o->agg_names && o->agg_names[i] ? o->agg_names[i]
                                                   : rt_agg_kind_name(o->aggs[i].kind));
  if (o->emit_partials) { /* one column of state replaces the aggregates */
    rt_free(names[2 + o->nkeys]);
    names[2 + o->nkeys] = rt_xstrdup(RT_PARTIAL_COLUMN);
  }
  return names;
}

rt_window *rt_window_new(const rt_window_opts *o, rt_err *err) {
  if (check_opts(o, err))
    return NULL;
  rt_window *w = rt_xcalloc(1, sizeof(*w));
  w->kind = o->kind;
  w->event_time = o->event_time;
  w->size = o->size_ms;
  w->slide = o->slide_ms ? o->slide_ms : o->size_ms;
  w->pane_ms = w->kind == RT_WINDOW_SLIDING ? rt_window_pane_ms(w->size, w->slide) : 0;
  w->gap = o->gap_ms;
  w->watermark = o->event_time ? o->watermark_ms : 0;
  w->nkeys = o->nkeys;
  w->naggs = o->naggs;
  w->names = copy_names(o);
  w->aggs = rt_aggset_new(o->aggs, o->naggs);
  w->row = rt_xcalloc((size_t)(2 + o->nkeys + o->naggs), sizeof(rt_value));
  w->partials = o->emit_partials;
  rt_buf_init(&w->pbuf, 0);
  size_t block = rt_aggset_block_size(w->aggs);
  if (w->kind == RT_WINDOW_SLIDING)
    w->scratch = rt_group_new(w->nkeys, block);
  else if (w->kind == RT_WINDOW_RUNNING)
    w->running = rt_group_new(w->nkeys, block);
  else
    w->session = rt_session_window_new(w->nkeys, w->aggs, w->gap,
                                       (const char *const *)w->names);
  return w;
}

/* Clears every block of a group table, then the table itself. */
static void groups_clear(const rt_window *w, rt_group *g) {
  for (size_t i = 0; i < rt_group_count(g); i++)
    rt_aggset_clear(w->aggs, rt_group_payload(g, i));
  rt_group_clear(g);
}

static void groups_free(const rt_window *w, rt_group **g) {
  if (!*g)
    return;
  groups_clear(w, *g);
  rt_group_free(g);
}

void rt_window_free(rt_window **wp) {
  if (!wp || !*wp)
    return;
  rt_window *w = *wp;
  for (size_t i = 0; i < w->npanes; i++)
    groups_free(w, &w->panes[i].groups);
  rt_free(w->panes);
  groups_free(w, &w->scratch);
  groups_free(w, &w->running);
  rt_session_window_free(&w->session);
  for (int i = 0; i < 2 + w->nkeys + w->naggs; i++)
    rt_free(w->names[i]);
  rt_free(w->names);
  rt_aggset_free(&w->aggs);
  rt_free(w->row);
  rt_buf_free(&w->pbuf);
  rt_free(w);
  *wp = NULL;
}

/* ---- panes -------------------------------------------------------------- */

/* Index of the first pane with idx >= want. */
static size_t pane_lower_bound(const rt_window *w, int64_t want) {
  size_t lo = 0, hi = w->npanes;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (w->panes[mid].idx < want)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static pane *pane_get(rt_window *w, int64_t idx) {
  if (w->hot < w->npanes && w->panes[w->hot].idx == idx)
    return &w->panes[w->hot];
  size_t at = pane_lower_bound(w, idx);
  if (at == w->npanes || w->panes[at].idx != idx) {
    if (w->npanes == w->apanes) {
      w->apanes = w->apanes ? w->apanes * 2 : 8;
      w->panes = rt_xrealloc(w->panes, w->apanes * sizeof(pane));
    }
    memmove(&w->panes[at + 1], &w->panes[at], (w->npanes - at) * sizeof(pane));
    w->panes[at] = (pane){idx, rt_group_new(w->nkeys, rt_aggset_block_size(w->aggs))};
    w->npanes++;
  }
  w->hot = at;
  return &w->panes[at];
}

/* Frees the panes that start before t_ms. */
static void panes_drop_before(rt_window *w, int64_t t_ms) {
  size_t n = 0;
  while (n < w->npanes && w->panes[n].idx * w->pane_ms < t_ms)
    groups_free(w, &w->panes[n++].groups);
  if (!n)
    return;
  memmove(&w->panes[0], &w->panes[n], (w->npanes - n) * sizeof(pane));
  w->npanes -= n;
  w->hot = 0;
}

/* ---- add ---------------------------------------------------------------- */

static bool sliding_add(rt_window *w, const rt_value *keys, const rt_value *args,
                        int64_t t) {
  if (w->advanced && floor_to(t, w->slide) + w->size <= w->done_upto)
    return false;
  pane *p = pane_get(w, floor_div(t, w->pane_ms));
  bool created;
  size_t gi = rt_group_upsert(p->groups, keys, rt_group_hash(keys, w->nkeys), &created);
  void *block = rt_group_payload(p->groups, gi);
  if (created)
    rt_aggset_init(w->aggs, block);
  rt_aggset_add(w->aggs, block, args, t, w->seq++);
  return true;
}

static bool running_add(rt_window *w, const rt_value *keys, const rt_value *args,
                        int64_t t) {
  bool created;
  size_t gi = rt_group_upsert(w->running, keys, rt_group_hash(keys, w->nkeys), &created);
  void *block = rt_group_payload(w->running, gi);
  if (created)
    rt_aggset_init(w->aggs, block);
  rt_aggset_add(w->aggs, block, args, t, w->seq++);
  w->dirty = true;
  return true;
}

bool rt_window_add(rt_window *w, const rt_value *keys, const rt_value *args,
                   int64_t time_ms) {
  bool ok;
  if (w->closed || !time_ok(time_ms))
    ok = false;
  else if (w->kind == RT_WINDOW_SLIDING)
    ok = sliding_add(w, keys, args, time_ms);
  else if (w->kind == RT_WINDOW_RUNNING)
    ok = running_add(w, keys, args, time_ms);
  else
    ok = rt_session_window_add(w->session, keys, args, time_ms, w->seq++);
  if (!ok) {
    w->late++;
    return false;
  }
  w->records++;
  if (!w->seen || time_ms > w->max_time)
    w->max_time = time_ms;
  w->seen = true;
  return true;
}

/* ---- emission ----------------------------------------------------------- */

/* Appends one row per group of g to res; with_window prefixes the bounds. */
static void add_rows(rt_window *w, rt_result *res, const rt_group *g,
                     bool with_window, int64_t start, int64_t end) {
  int off = with_window ? 2 : 0;
  w->row[0] = rt_time(start);
  w->row[1] = rt_time(end);
  for (size_t i = 0; i < rt_group_count(g); i++) {
    const rt_value *keys = rt_group_keys(g, i);
    for (int k = 0; k < w->nkeys; k++)
      w->row[2 + k] = keys[k];
    if (w->partials) {
      rt_buf_clear(&w->pbuf);
      rt_aggset_serialize(w->aggs, rt_group_payload(g, i), &w->pbuf); /* no cap */
      w->row[2 + w->nkeys] = rt_string(w->pbuf.data, w->pbuf.len);
    } else {
      rt_aggset_results(w->aggs, rt_group_payload(g, i), &w->row[2 + w->nkeys]);
    }
    rt_result_add_row(res, w->row + 2 - off);
  }
}

/* Merges panes [lo, hi) into the scratch table. */
static void merge_panes(rt_window *w, size_t lo, size_t hi) {
  for (size_t p = lo; p < hi; p++) {
    const rt_group *src = w->panes[p].groups;
    for (size_t i = 0; i < rt_group_count(src); i++) {
      bool created;
      size_t gi = rt_group_upsert(w->scratch, rt_group_keys(src, i),
                                  rt_group_hash_at(src, i), &created);
      void *dst = rt_group_payload(w->scratch, gi);
      if (created)
        rt_aggset_init(w->aggs, dst);
      rt_aggset_merge(w->aggs, dst, rt_group_payload(src, i));
    }
  }
}

/* Emits window [s, s + size) if any pane in it holds data. */
static int emit_window(rt_window *w, int64_t s, rt_window_emit_fn emit, void *ctx) {
  int64_t e = s + w->size;
  size_t lo = pane_lower_bound(w, floor_div(s, w->pane_ms));
  size_t hi = pane_lower_bound(w, floor_div(e, w->pane_ms));
  if (lo == hi)
    return 0;
  int ncols = 2 + w->nkeys + (w->partials ? 1 : w->naggs);
  rt_result *res = rt_result_new(ncols, (const char *const *)w->names);
  rt_result_set_window(res, s, e);
  if (hi - lo == 1 && w->pane_ms == w->size) {
    add_rows(w, res, w->panes[lo].groups, true, s, e); /* tumbling: no merge */
  } else {
    merge_panes(w, lo, hi);
    add_rows(w, res, w->scratch, true, s, e);
    groups_clear(w, w->scratch);
  }
  emit(ctx, res);
  return 1;
}

/* The first window start whose window contains time t. */
static inline int64_t first_window_with(const rt_window *w, int64_t t) {
  return ceil_to(t - w->size + 1, w->slide);
}

/* Emits windows in start order while they end by threshold (all: until no
 * pane is left), dropping panes behind them. */
static int sliding_advance(rt_window *w, int64_t threshold, bool all,
                           rt_window_emit_fn emit, void *ctx) {
  int emitted = 0;
  int64_t s = INT64_MIN;
  if (w->advanced)
    s = first_window_with(w, w->done_upto); /* first window ending after it */
  while (w->npanes > 0) {
    int64_t first = first_window_with(w, w->panes[0].idx * w->pane_ms);
    if (first > s)
      s = first;
    if (!all && s + w->size > threshold)
      break;
    emitted += emit_window(w, s, emit, ctx);
    s += w->slide;
    panes_drop_before(w, s);
  }
  return emitted;
}

static int running_emit(rt_window *w, rt_window_emit_fn emit, void *ctx) {
  if (!w->dirty || rt_group_count(w->running) == 0)
    return 0;
  rt_result *res = rt_result_new(w->nkeys + w->naggs, (const char *const *)w->names + 2);
  add_rows(w, res, w->running, false, 0, 0);
  w->dirty = false;
  emit(ctx, res);
  return 1;
}

/* Advances to threshold (all: to the end of time). */
static int advance_to(rt_window *w, int64_t threshold, bool all,
                      rt_window_emit_fn emit, void *ctx) {
  int n = 0;
  if (w->kind == RT_WINDOW_SLIDING)
    n = sliding_advance(w, threshold, all, emit, ctx);
  else if (w->kind == RT_WINDOW_SESSION)
    n = rt_session_window_advance(w->session, threshold, all, emit, ctx);
  else
    n = running_emit(w, emit, ctx);
  if (!w->advanced || threshold > w->done_upto)
    w->done_upto = threshold;
  w->advanced = true;
  return n;
}

int rt_window_advance(rt_window *w, int64_t now_ms, rt_window_emit_fn emit,
                      void *ctx) {
  if (w->closed)
    return 0;
  if (!w->event_time)
    return advance_to(w, now_ms, false, emit, ctx);
  if (!w->seen)
    return 0;
  return advance_to(w, w->max_time - w->watermark, false, emit, ctx);
}

int rt_window_advance_to(rt_window *w, int64_t wm_ms, rt_window_emit_fn emit,
                         void *ctx) {
  if (w->closed || !w->event_time || !time_ok(wm_ms) ||
      (w->advanced && wm_ms <= w->done_upto))
    return 0;
  return advance_to(w, wm_ms, false, emit, ctx);
}

int rt_window_close_all(rt_window *w, rt_window_emit_fn emit, void *ctx) {
  if (w->closed)
    return 0;
  int n = advance_to(w, INT64_MAX, true, emit, ctx);
  if (w->running)
    groups_clear(w, w->running);
  w->closed = true;
  return n;
}

void rt_window_get_stats(const rt_window *w, rt_window_stats *st) {
  memset(st, 0, sizeof(*st));
  st->records = w->records;
  st->late = w->late;
  if (w->kind == RT_WINDOW_SLIDING) {
    st->panes = w->npanes;
    for (size_t i = 0; i < w->npanes; i++)
      st->groups += rt_group_count(w->panes[i].groups);
  } else if (w->kind == RT_WINDOW_SESSION) {
    st->panes = st->groups = rt_session_window_open_count(w->session);
  } else {
    st->groups = rt_group_count(w->running);
  }
}

/* What the aggregate blocks of a group table own beyond the table. */
static size_t blocks_heap(const rt_window *w, const rt_group *g) {
  size_t n = 0;
  for (size_t i = 0; g && i < rt_group_count(g); i++)
    n += rt_aggset_heap_bytes(w->aggs, rt_group_payload(g, i));
  return n;
}

/* The part of the state only a walk over every group or session measures:
 * what blocks own (sketches, strings), and sessions. */
static size_t walk_memory(const rt_window *w) {
  size_t n = 0;
  if (w->session)
    return rt_session_window_memory(w->session);
  if (!rt_aggset_has_heap(w->aggs))
    return 0;
  n += blocks_heap(w, w->running);
  for (size_t i = 0; i < w->npanes; i++)
    n += blocks_heap(w, w->panes[i].groups);
  return n;
}

size_t rt_window_memory(rt_window *w) {
  size_t n = sizeof(*w) + w->apanes * sizeof(pane) + w->pbuf.cap;
  size_t groups = 0;
  if (w->scratch)
    n += rt_group_memory(w->scratch);
  if (w->running) {
    n += rt_group_memory(w->running);
    groups += rt_group_count(w->running);
  }
  for (size_t i = 0; i < w->npanes; i++) {
    n += rt_group_memory(w->panes[i].groups);
    groups += rt_group_count(w->panes[i].groups);
  }
  if (w->session)
    groups = rt_session_window_open_count(w->session);
  /* The walk costs O(groups): it runs after as many records as there are
   * groups (at least 4096), so it costs O(1) per record, and after groups
   * went (closed windows), which cost as much to emit. In between, the last
   * walk's bytes per group stand for the groups since. */
  uint64_t since = w->records - w->walked_at;
  if (!w->walked || since >= (groups > 4096 ? groups : 4096) || groups < w->prev_groups) {
    w->walked_bytes = walk_memory(w);
    w->walked_groups = groups;
    w->walked_at = w->records;
    w->walked = true;
  }
  w->prev_groups = groups;
  if (w->walked_groups && groups > w->walked_groups)
    return n + (size_t)((double)w->walked_bytes * (double)groups / (double)w->walked_groups);
  return n + w->walked_bytes;
}

/* ---- checkpoints ------------------------------------------------------------ */

enum { WINDOW_SAVE_VERSION = 1 };

/* Appends a group table of aggregate blocks: count, then keys + block each. */
static int save_groups(const rt_window *w, const rt_group *g, rt_buf *out) {
  int rc = rt_sk_put_u64(out, rt_group_count(g));
  for (size_t i = 0; i < rt_group_count(g) && !rc; i++) {
    const rt_value *keys = rt_group_keys(g, i);
    for (int k = 0; k < w->nkeys; k++)
      rc |= rt_sk_put_value(out, keys[k]);
    rc |= rt_aggset_serialize(w->aggs, rt_group_payload(g, i), out);
  }
  return rc ? RT_ETOOBIG : 0;
}

int rt_window_save(const rt_window *w, rt_buf *out) {
  int rc = rt_sk_put_u8(out, WINDOW_SAVE_VERSION);
  rc |= rt_sk_put_u8(out, (unsigned)w->kind);
  rc |= rt_sk_put_u8(out, (unsigned)w->seen | (unsigned)w->advanced << 1 |
                              (unsigned)w->closed << 2 | (unsigned)w->dirty << 3);
  rc |= rt_sk_put_u64(out, (uint64_t)w->max_time);
  rc |= rt_sk_put_u64(out, (uint64_t)w->done_upto);
  rc |= rt_sk_put_u64(out, w->seq);
  rc |= rt_sk_put_u64(out, w->records);
  rc |= rt_sk_put_u64(out, w->late);
  if (rc)
    return RT_ETOOBIG;
  if (w->kind == RT_WINDOW_SESSION)
    return rt_session_window_save(w->session, out);
  if (w->kind == RT_WINDOW_RUNNING)
    return save_groups(w, w->running, out);
  rc = rt_sk_put_u64(out, w->npanes);
  for (size_t p = 0; p < w->npanes && !rc; p++) {
    rc |= rt_sk_put_u64(out, (uint64_t)w->panes[p].idx);
    rc |= save_groups(w, w->panes[p].groups, out);
  }
  return rc ? RT_ETOOBIG : 0;
}

/* Reads one group (keys + block) into g; false on malformed input. */
static bool load_group(rt_window *w, rt_sk_reader *r, rt_group *g) {
  rt_value *keys = w->row;
  for (int k = 0; k < w->nkeys; k++)
    keys[k] = rt_sk_get_value(r);
  bool ok = !r->bad, created = false;
  if (ok) {
    size_t gi = rt_group_upsert(g, keys, rt_group_hash(keys, w->nkeys), &created);
    void *block = rt_group_payload(g, gi);
    size_t used = 0;
    if (created)
      rt_aggset_init(w->aggs, block);
    ok = created && rt_aggset_deserialize(w->aggs, block, r->p + r->off,
                                          r->len - r->off, &used) == 0;
    r->off += used;
  }
  for (int k = 0; k < w->nkeys; k++)
    rt_value_release(&keys[k]);
  return ok;
}

static bool load_groups(rt_window *w, rt_sk_reader *r, rt_group *g) {
  uint64_t n = rt_sk_get_u64(r);
  bool ok = !r->bad && n <= r->len - r->off;
  for (uint64_t i = 0; ok && i < n; i++)
    ok = load_group(w, r, g);
  return ok;
}

static bool load_panes(rt_window *w, rt_sk_reader *r) {
  uint64_t n = rt_sk_get_u64(r);
  bool ok = !r->bad && n <= r->len - r->off;
  for (uint64_t i = 0; ok && i < n; i++) {
    int64_t idx = (int64_t)rt_sk_get_u64(r);
    if (r->bad || idx < -RT_WINDOW_TIME_LIMIT_MS / w->pane_ms ||
        idx > RT_WINDOW_TIME_LIMIT_MS / w->pane_ms ||
        (w->npanes && idx <= w->panes[w->npanes - 1].idx))
      return false; /* panes are saved in order, each once, in range */
    ok = load_groups(w, r, pane_get(w, idx)->groups);
  }
  return ok;
}

/* Drops everything restore may have loaded, leaving a new, empty operator. */
static void reset_state(rt_window *w) {
  panes_drop_before(w, INT64_MAX);
  if (w->running)
    groups_clear(w, w->running);
  if (w->session) {
    rt_session_window_free(&w->session);
    w->session = rt_session_window_new(w->nkeys, w->aggs, w->gap, (const char *const *)w->names);
  }
  w->seen = w->advanced = w->closed = w->dirty = false;
  w->max_time = w->done_upto = 0;
  w->seq = w->records = w->late = 0;
}

int rt_window_restore(rt_window *w, const void *data, size_t len, rt_err *err) {
  rt_sk_reader r = {data, len, 0, false};
  unsigned version = rt_sk_get_u8(&r), kind = rt_sk_get_u8(&r);
  unsigned flags = rt_sk_get_u8(&r);
  if (r.bad || version != WINDOW_SAVE_VERSION)
    return rt_err_set(err, RT_EBADREC, "window checkpoint: unknown format");
  if (kind != (unsigned)w->kind)
    return rt_err_set(err, RT_EINVAL, "window checkpoint: saved by another kind of window");
  reset_state(w);
  w->seen = flags & 1, w->advanced = flags >> 1 & 1;
  w->closed = flags >> 2 & 1, w->dirty = flags >> 3 & 1;
  w->max_time = (int64_t)rt_sk_get_u64(&r);
  w->done_upto = (int64_t)rt_sk_get_u64(&r);
  w->seq = rt_sk_get_u64(&r);
  w->records = rt_sk_get_u64(&r);
  w->late = rt_sk_get_u64(&r);
  bool ok = !r.bad && (w->closed || (time_ok(w->max_time) && time_ok(w->done_upto)));
  if (ok && w->kind == RT_WINDOW_SESSION)
    ok = rt_session_window_load(w->session, &r);
  else if (ok && w->kind == RT_WINDOW_RUNNING)
    ok = load_groups(w, &r, w->running);
  else if (ok)
    ok = load_panes(w, &r);
  if (!ok || r.bad || r.off != len) {
    reset_state(w);
    return rt_err_set(err, RT_EBADREC, "window checkpoint: malformed state");
  }
  return 0;
}
