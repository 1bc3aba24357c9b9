/*
 * The partial-state merger. Windows are kept in an array sorted by (start,
 * end), each a group table of aggregate blocks; a partial deserializes into
 * a scratch block that is merged into the window's block for its key. The
 * array is small (windows still waiting for some worker), so inserting by
 * memmove is cheaper than a tree.
 */
#include "rt_merger.h"

#include "rt_agg.h"
#include "rt_group.h"
#include "rt_mem.h"

#include <string.h>

typedef struct merge_window {
  int64_t start, end; /* the window [start, end) */
  rt_group *groups;   /* key -> merged aggregate block */
} merge_window;

struct rt_merger {
  int nkeys;            /* key values per row */
  int naggs;            /* aggregates */
  char **names;         /* window_start, window_end, keys, aggs (owned) */
  rt_aggset *aggs;      /* the aggregate list */
  merge_window *wins;   /* held windows sorted by (start, end) */
  size_t nwins, awins;  /* in use, allocated */
  void *scratch;        /* one block for deserializing */
  rt_value *row;        /* scratch result row */
};

rt_merger *rt_merger_new(const rt_window_opts *opts, rt_err *err) {
  rt_window_opts o = *opts;
  o.emit_partials = false;
  rt_window *probe = rt_window_new(&o, err); /* same validation as workers */
  if (!probe)
    return NULL;
  rt_window_free(&probe);
  if (o.kind != RT_WINDOW_SLIDING) {
    rt_err_set(err, RT_EINVAL, "only sliding and tumbling windows merge partials");
    return NULL;
  }
  rt_merger *m = rt_xcalloc(1, sizeof(*m));
  m->nkeys = o.nkeys;
  m->naggs = o.naggs;
  int n = 2 + o.nkeys + o.naggs;
  m->names = rt_xcalloc((size_t)n, sizeof(char *));
  m->names[0] = rt_xstrdup("window_start");
  m->names[1] = rt_xstrdup("window_end");
  for (int i = 0; i < o.nkeys; i++)
    m->names[2 + i] = rt_xstrdup(o.key_names && o.key_names[i] ? o.key_names[i] : "");
  for (int i = 0; i < o.naggs; i++)
    m->names[2 + o.nkeys + i] = rt_xstrdup(
        o.agg_names && o.agg_names[i] ? o.agg_names[i] : rt_agg_kind_name(o.aggs[i].kind));
  m->aggs = rt_aggset_new(o.aggs, o.naggs);
  m->scratch = rt_xmalloc(rt_aggset_block_size(m->aggs) + 1);
  m->row = rt_xcalloc((size_t)n, sizeof(rt_value));
  return m;
}

static void window_drop(rt_merger *m, merge_window *w) {
  for (size_t i = 0; i < rt_group_count(w->groups); i++)
    rt_aggset_clear(m->aggs, rt_group_payload(w->groups, i));
  rt_group_free(&w->groups);
}

void rt_merger_free(rt_merger **mp) {
  if (!mp || !*mp)
    return;
  rt_merger *m = *mp;
  for (size_t i = 0; i < m->nwins; i++)
    window_drop(m, &m->wins[i]);
  rt_free(m->wins);
  for (int i = 0; i < 2 + m->nkeys + m->naggs; i++)
    rt_free(m->names[i]);
  rt_free(m->names);
  rt_aggset_free(&m->aggs);
  rt_free(m->scratch);
  rt_free(m->row);
  rt_free(m);
  *mp = NULL;
}

size_t rt_merger_pending(const rt_merger *m) { return m->nwins; }

static bool window_before(const merge_window *w, int64_t start, int64_t end) {
  return w->start < start || (w->start == start && w->end < end);
}

/* The held window [start, end), created when missing. */
static merge_window *window_get(rt_merger *m, int64_t start, int64_t end) {
  size_t lo = 0, hi = m->nwins;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (window_before(&m->wins[mid], start, end))
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < m->nwins && m->wins[lo].start == start && m->wins[lo].end == end)
    return &m->wins[lo];
  if (m->nwins == m->awins) {
    m->awins = m->awins ? m->awins * 2 : 8;
    m->wins = rt_xrealloc(m->wins, m->awins * sizeof(merge_window));
  }
  memmove(&m->wins[lo + 1], &m->wins[lo], (m->nwins - lo) * sizeof(merge_window));
  m->wins[lo] = (merge_window){start, end, rt_group_new(m->nkeys, rt_aggset_block_size(m->aggs))};
  m->nwins++;
  return &m->wins[lo];
}

int rt_merger_add(rt_merger *m, int64_t start, int64_t end, const rt_value *keys,
                  const void *data, size_t len, rt_err *err) {
  size_t used = 0;
  rt_aggset_init(m->aggs, m->scratch);
  if (end <= start ||
      rt_aggset_deserialize(m->aggs, m->scratch, data, len, &used) != 0 || used != len) {
    rt_aggset_clear(m->aggs, m->scratch);
    return rt_err_set(err, RT_EBADREC, "not a partial state of this query's aggregates");
  }
  merge_window *w = window_get(m, start, end);
  bool created;
  size_t gi = rt_group_upsert(w->groups, keys, rt_group_hash(keys, m->nkeys), &created);
  void *block = rt_group_payload(w->groups, gi);
  if (created)
    rt_aggset_init(m->aggs, block);
  rt_aggset_merge(m->aggs, block, m->scratch);
  rt_aggset_clear(m->aggs, m->scratch);
  return 0;
}

int rt_merger_add_result(rt_merger *m, const rt_result *res, rt_err *err) {
  int pc = 2 + m->nkeys;
  if (rt_result_ncols(res) != pc + 1 ||
      strcmp(rt_result_col_name(res, pc), RT_PARTIAL_COLUMN) != 0)
    return rt_err_set(err, RT_EINVAL, "not a partial result of this query");
  for (size_t i = 0; i < rt_result_nrows(res); i++) {
    const rt_value *row = rt_result_row(res, i);
    if (row[0].type != RT_TIME || row[1].type != RT_TIME || row[pc].type != RT_STRING)
      return rt_err_set(err, RT_EBADREC, "partial row %zu is malformed", i);
    int rc = rt_merger_add(m, row[0].u.ms, row[1].u.ms, row + 2, row[pc].u.str.ptr,
                           row[pc].u.str.len, err);
    if (rc)
      return rc;
  }
  return 0;
}

/* Emits one window's merged rows. */
static void emit_one(rt_merger *m, merge_window *w, rt_window_emit_fn emit, void *ctx) {
  rt_result *res = rt_result_new(2 + m->nkeys + m->naggs, (const char *const *)m->names);
  rt_result_set_window(res, w->start, w->end);
  m->row[0] = rt_time(w->start);
  m->row[1] = rt_time(w->end);
  for (size_t i = 0; i < rt_group_count(w->groups); i++) {
    const rt_value *keys = rt_group_keys(w->groups, i);
    for (int k = 0; k < m->nkeys; k++)
      m->row[2 + k] = keys[k];
    rt_aggset_results(m->aggs, rt_group_payload(w->groups, i), &m->row[2 + m->nkeys]);
    rt_result_add_row(res, m->row);
  }
  emit(ctx, res);
}

int rt_merger_emit(rt_merger *m, int64_t end_upto, bool all, rt_window_emit_fn emit,
                   void *ctx) {
  size_t kept = 0;
  int n = 0;
  for (size_t i = 0; i < m->nwins; i++) {
    merge_window *w = &m->wins[i];
    if (all || w->end <= end_upto) {
      emit_one(m, w, emit, ctx);
      window_drop(m, w);
      n++;
    } else {
      m->wins[kept++] = *w;
    }
  }
  m->nwins = kept;
  return n;
}
