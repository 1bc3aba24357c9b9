/* Unit tests for rt_window: every emitted window checked against a
 * brute-force recomputation from the raw records, on a deterministic data
 * set with out-of-order and late records: tumbling, sliding with
 * size/slide = 30, sliding with a slide that does not divide the size,
 * processing time, sessions and running aggregates; plus late counting,
 * session bridging and memory staying flat. add() throughput is measured
 * in bench/window_add.c. */
#include "test.h"

#include "rt_buf.h"
#include "rt_err.h"
#include "rt_merger.h"
#include "rt_time.h"
#include "rt_window.h"

enum { NREC = 20000, NKEYS = 7, BATCH = 50, NAGG = 11 };

typedef struct rec {
  int key;      /* device index */
  double v;     /* value, NAN for null */
  int64_t t;    /* event time (or processing time once assigned) */
  int batch;    /* batch it was fed in */
} rec;

static const rt_agg_kind KINDS[NAGG] = {
    RT_AGG_COUNT, RT_AGG_SUM,   RT_AGG_AVG,  RT_AGG_MIN,
    RT_AGG_MAX,   RT_AGG_STDDEV, RT_AGG_FIRST, RT_AGG_LAST,
    RT_AGG_COUNT_DISTINCT, RT_AGG_P50, RT_AGG_P95};

static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static const int64_t T0 = 1763632800000; /* 2025-11-20T10:00:00Z */

/* Clock advances ~250 ms per record; jitter up to 3 s back; 2% of records
 * arrive very late (up to 2 minutes behind). */
static void generate(rec *r, int n, bool very_late, uint64_t seed) {
  uint64_t s = seed;
  for (int i = 0; i < n; i++) {
    int64_t clock = T0 + (int64_t)i * 250;
    int64_t t = clock - (int64_t)(rng(&s) % 3000);
    if (very_late && rng(&s) % 50 == 0)
      t = clock - 10000 - (int64_t)(rng(&s) % 110000);
    r[i].t = t;
    r[i].key = (int)(rng(&s) % NKEYS);
    r[i].v = rng(&s) % 10 == 0 ? NAN : (double)(rng(&s) % 1000) / 10.0;
    r[i].batch = i / BATCH;
  }
}

/* ---- capture of emitted results ---------------------------------------- */

typedef struct capture {
  rt_result **res;
  int n, alloc;
} capture;

static void on_emit(void *ctx, rt_result *res) {
  capture *c = ctx;
  if (c->n == c->alloc) {
    c->alloc = c->alloc ? c->alloc * 2 : 64;
    c->res = realloc(c->res, (size_t)c->alloc * sizeof(rt_result *));
  }
  c->res[c->n++] = res;
}

static void capture_free(capture *c) {
  for (int i = 0; i < c->n; i++)
    rt_result_free(&c->res[i]);
  free(c->res);
  memset(c, 0, sizeof(*c));
}

/* ---- brute force --------------------------------------------------------- */

static char key_buf[NKEYS][24];

static rt_value key_value(int k) {
  snprintf(key_buf[k], sizeof(key_buf[k]), "device-%d", k);
  return rt_string(key_buf[k], strlen(key_buf[k]));
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Checks one emitted row against the records sel[0..n) (indexes into r). */
static void check_row(const rec *r, const int *sel, int n, const rt_value *aggs) {
  static double vals[NREC];
  int nv = 0, first = -1, last = -1;
  double sum = 0;
  for (int j = 0; j < n; j++) {
    const rec *x = &r[sel[j]];
    if (isnan(x->v))
      continue;
    vals[nv++] = x->v;
    sum += x->v;
    if (first < 0 || x->t < r[first].t)
      first = sel[j];
    if (last < 0 || x->t >= r[last].t)
      last = sel[j];
  }
  ASSERT_NEAR(aggs[0].u.num, n, 0);
  if (nv == 0) {
    for (int a = 1; a < NAGG; a++)
      if (KINDS[a] != RT_AGG_COUNT_DISTINCT)
        ASSERT_EQ(aggs[a].type, RT_NULL);
    return;
  }
  double mean = sum / nv, ss = 0;
  for (int j = 0; j < nv; j++)
    ss += (vals[j] - mean) * (vals[j] - mean);
  qsort(vals, (size_t)nv, sizeof(double), cmp_d);
  int distinct = 0;
  for (int j = 0; j < nv; j++)
    distinct += j == 0 || vals[j] != vals[j - 1];
  ASSERT_NEAR(aggs[1].u.num, sum, 1e-6);
  ASSERT_NEAR(aggs[2].u.num, mean, 1e-9);
  ASSERT_NEAR(aggs[3].u.num, vals[0], 0);
  ASSERT_NEAR(aggs[4].u.num, vals[nv - 1], 0);
  if (nv < 2)
    ASSERT_EQ(aggs[5].type, RT_NULL);
  else
    ASSERT_NEAR(aggs[5].u.num, sqrt(ss / (nv - 1)), 1e-6);
  ASSERT_NEAR(aggs[6].u.num, r[first].v, 0);
  ASSERT_NEAR(aggs[7].u.num, r[last].v, 0);
  ASSERT_NEAR(aggs[8].u.num, distinct, distinct * 0.02 + 0.5);
  double phis[2] = {0.5, 0.95};
  for (int p = 0; p < 2; p++) {
    double got = aggs[9 + p].u.num;
    int below = 0, upto = 0;
    for (int j = 0; j < nv; j++) {
      below += vals[j] < got;
      upto += vals[j] <= got;
    }
    ASSERT(phis[p] >= (double)below / nv - 0.01 && phis[p] <= (double)upto / nv + 0.01);
  }
}

static inline int64_t floor_to(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0)
    q--;
  return q * b;
}

static int cmp_int(const void *a, const void *b) {
  return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

/* Record indexes sorted by time, to find a window's records quickly. */
static const rec *by_time_recs;
static int by_time[NREC];

static int cmp_by_time(const void *a, const void *b) {
  int64_t x = by_time_recs[*(const int *)a].t, y = by_time_recs[*(const int *)b].t;
  return (x > y) - (x < y);
}

static void index_by_time(const rec *r, int n) {
  by_time_recs = r;
  for (int i = 0; i < n; i++)
    by_time[i] = i;
  qsort(by_time, (size_t)n, sizeof(int), cmp_by_time);
}

/* Position in by_time of the first record with time >= t. */
static int time_lower_bound(const rec *r, int n, int64_t t) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (r[by_time[mid]].t < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Selects, in arrival order, the accepted records of key in [s, e) fed by
 * batch eb (key < 0: any key). Returns how many. */
static int select_window(const rec *r, const bool *ok, int64_t s, int64_t e, int key,
                         int eb, int *sel) {
  int a = time_lower_bound(r, NREC, s), b = time_lower_bound(r, NREC, e), n = 0;
  for (int j = a; j < b; j++) {
    int i = by_time[j];
    if (ok[i] && (key < 0 || r[i].key == key) && r[i].batch <= eb)
      sel[n++] = i;
  }
  qsort(sel, (size_t)n, sizeof(int), cmp_int); /* back to arrival order */
  return n;
}

/* Builds the operator used by every sliding test. */
static rt_window *make_window(rt_window_kind kind, int64_t size, int64_t slide,
                              int64_t gap, bool event_time, int64_t wm) {
  rt_agg_spec specs[NAGG];
  const char *names[NAGG];
  for (int a = 0; a < NAGG; a++) {
    specs[a] = (rt_agg_spec){KINDS[a], KINDS[a] == RT_AGG_COUNT ? -1 : 0};
    names[a] = rt_agg_kind_name(KINDS[a]);
  }
  const char *key_names[] = {"device_id"};
  rt_window_opts o = {.kind = kind, .size_ms = size, .slide_ms = slide, .gap_ms = gap,
                      .event_time = event_time, .watermark_ms = wm, .nkeys = 1,
                      .key_names = key_names, .naggs = NAGG, .aggs = specs,
                      .agg_names = names};
  rt_err err;
  rt_window *w = rt_window_new(&o, &err);
  ASSERT(w != NULL);
  return w;
}

/* Feeds r batch by batch, advancing after each batch to threshold[b]
 * (processing time) or by the watermark (event time); then close_all.
 * Returns the emitted results in *cap and accepted flags in ok[]. */
static void feed(rt_window *w, rec *r, int n, bool event_time, const int64_t *now,
                 capture *cap, bool *ok) {
  for (int i = 0; i < n; i++) {
    rt_value keys[1] = {key_value(r[i].key)};
    rt_value args[1] = {isnan(r[i].v) ? rt_null() : rt_number(r[i].v)};
    ok[i] = rt_window_add(w, keys, args, r[i].t);
    if (i % BATCH == BATCH - 1 || i == n - 1)
      rt_window_advance(w, event_time ? 0 : now[r[i].batch], on_emit, cap);
  }
  rt_window_close_all(w, on_emit, cap);
}

/* The threshold each advance used: max time so far - watermark, or now. */
static void thresholds(const rec *r, int n, bool event_time, int64_t wm,
                       const int64_t *now, int64_t *thr) {
  int64_t mx = INT64_MIN;
  for (int i = 0; i < n; i++) {
    if (r[i].t > mx)
      mx = r[i].t;
    if (i % BATCH == BATCH - 1 || i == n - 1)
      thr[r[i].batch] = event_time ? mx - wm : now[r[i].batch];
  }
  for (int b = 1; b <= r[n - 1].batch; b++) /* done_upto never goes back */
    if (thr[b] < thr[b - 1])
      thr[b] = thr[b - 1];
}

/* First batch whose advance emits a window ending at end (nbatches: the
 * final close_all). */
static int emit_batch(const int64_t *thr, int nbatches, int64_t end) {
  for (int b = 0; b < nbatches; b++)
    if (thr[b] >= end)
      return b;
  return nbatches;
}

static void run_sliding(const char *what, int64_t size, int64_t slide, bool event_time,
                        int64_t wm, bool very_late) {
  static rec r[NREC];
  static bool ok[NREC];
  static int64_t thr[NREC / BATCH + 1], now[NREC / BATCH + 1];
  generate(r, NREC, very_late, 0xabcdef + (uint64_t)size + (uint64_t)slide);
  int nb = r[NREC - 1].batch + 1;
  for (int b = 0; b < nb; b++)
    now[b] = T0 + (int64_t)(b + 1) * BATCH * 250 + 1;
  if (!event_time)
    for (int i = 0; i < NREC; i++)
      r[i].t = now[r[i].batch] - 1; /* processing time: the batch clock */
  thresholds(r, NREC, event_time, wm, now, thr);
  index_by_time(r, NREC);
  rt_window *w = make_window(RT_WINDOW_SLIDING, size, slide, 0, event_time, wm);
  capture cap = {0};
  feed(w, r, NREC, event_time, now, &cap, ok);

  /* Brute-force lateness: every window of t ended by the last threshold. */
  int late = 0;
  for (int i = 0; i < NREC; i++) {
    bool want_late = r[i].batch > 0 && floor_to(r[i].t, slide) + size <= thr[r[i].batch - 1];
    ASSERT_EQ(ok[i], !want_late);
    late += want_late;
  }
  rt_window_stats st;
  rt_window_get_stats(w, &st);
  ASSERT_EQ(st.late, late);
  ASSERT_EQ(st.records, NREC - late);
  ASSERT_EQ(st.panes, 0);

  /* Every emitted row against the records it should hold. */
  static int sel[NREC];
  size_t rows = 0, want_rows = 0;
  int64_t prev_start = INT64_MIN;
  for (int e = 0; e < cap.n; e++) {
    rt_result *res = cap.res[e];
    int64_t s = rt_result_window_start(res);
    ASSERT(s > prev_start); /* windows come out in start order, once */
    prev_start = s;
    ASSERT_EQ(rt_result_window_end(res), s + size);
    ASSERT_EQ(s % slide, 0);
    ASSERT_EQ(rt_result_ncols(res), 3 + NAGG);
    ASSERT_STR_EQ(rt_result_col_name(res, 2), "device_id");
    int eb = emit_batch(thr, nb, s + size);
    for (size_t row = 0; row < rt_result_nrows(res); row++) {
      const rt_value *v = rt_result_row(res, row);
      ASSERT_EQ(v[0].u.ms, s);
      ASSERT_EQ(v[1].u.ms, s + size);
      int key = atoi(v[2].u.str.ptr + 7);
      int n = select_window(r, ok, s, s + size, key, eb, sel);
      ASSERT(n > 0);
      check_row(r, sel, n, v + 3);
      rows++;
    }
  }
  /* And no expected row is missing: count (window, key) pairs with data. */
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int i = 0; i < NREC; i++)
    if (ok[i]) {
      lo = r[i].t < lo ? r[i].t : lo;
      hi = r[i].t > hi ? r[i].t : hi;
    }
  static unsigned char seen[NKEYS];
  for (int64_t s = floor_to(lo - size + slide, slide); s <= hi; s += slide) {
    memset(seen, 0, sizeof(seen));
    int n = select_window(r, ok, s, s + size, -1, emit_batch(thr, nb, s + size), sel);
    for (int j = 0; j < n; j++)
      seen[r[sel[j]].key] = 1;
    for (int k = 0; k < NKEYS; k++)
      want_rows += seen[k];
  }
  fprintf(stderr, "   %-34s windows=%d rows=%zu late=%d\n", what, cap.n, rows, late);
  ASSERT_EQ(rows, want_rows);
  capture_free(&cap);
  rt_window_free(&w);
  ASSERT(w == NULL);
}

static void test_tumbling_event_time(void) {
  run_sliding("tumbling 10s, watermark 5s", 10000, 10000, true, 5000, true);
}

static void test_sliding_30_panes(void) {
  run_sliding("sliding 60s every 2s, watermark 5s", 60000, 2000, true, 5000, true);
}

static void test_pane_is_gcd(void) {
  ASSERT_EQ(rt_window_pane_ms(10000, 10000), 10000); /* tumbling: one pane */
  ASSERT_EQ(rt_window_pane_ms(300000, 10000), 10000);
  ASSERT_EQ(rt_window_pane_ms(10000, 4000), 2000); /* slide does not divide */
  ASSERT_EQ(rt_window_pane_ms(7, 3), 1);
}

static void test_sliding_non_dividing(void) {
  run_sliding("sliding 50s every 20s (pane 10s)", 50000, 20000, true, 3000, true);
  run_sliding("sliding 35s every 15s (pane 5s)", 35000, 15000, true, 0, true);
}

static void test_processing_time(void) {
  run_sliding("processing 30s every 10s", 30000, 10000, false, 0, false);
  run_sliding("processing tumbling 7s", 7000, 7000, false, 0, false);
}

/* Random window shapes: any slide up to the size, any watermark. */
static void test_random_shapes(void) {
  uint64_t s = 0x5eed;
  for (int i = 0; i < 6; i++) {
    int64_t size = 1000 * (int64_t)(1 + rng(&s) % 90);
    int64_t slide = 1000 * (int64_t)(1 + rng(&s) % (uint64_t)(size / 1000));
    int64_t wm = 500 * (int64_t)(rng(&s) % 12);
    char what[64];
    snprintf(what, sizeof(what), "random %llds every %llds wm %lldms", (long long)size / 1000,
             (long long)slide / 1000, (long long)wm);
    run_sliding(what, size, slide, true, wm, true);
  }
}

/* ---- sessions ------------------------------------------------------------ */

/* Sessions over jittered data (jitter 3 s < watermark 5 s, nothing very
 * late) must equal the offline sessionization of all records per key. */
static void test_sessions_brute_force(void) {
  static rec r[NREC];
  static bool ok[NREC];
  static int sel[NREC];
  const int n = 6000;
  const int64_t gap = 4000, wm = 5000;
  generate(r, n, false, 0x5e55);
  /* Make sessions: the clock skips 20 s after every 40 s of records. */
  for (int i = 0; i < n; i++)
    r[i].t += (int64_t)(i / 160) * 20000;
  rt_window *w = make_window(RT_WINDOW_SESSION, 0, 0, gap, true, wm);
  capture cap = {0};
  feed(w, r, n, true, NULL, &cap, ok);
  for (int i = 0; i < n; i++)
    ASSERT(ok[i]);
  int sessions = 0;
  for (int k = 0; k < NKEYS; k++) {
    /* Offline: this key's records by time, split at gaps >= gap. */
    int m = 0;
    for (int i = 0; i < n; i++)
      if (r[i].key == k)
        sel[m++] = i;
    by_time_recs = r;
    qsort(sel, (size_t)m, sizeof(int), cmp_by_time);
    for (int a = 0; a < m;) {
      int b = a + 1;
      while (b < m && r[sel[b]].t - r[sel[b - 1]].t < gap)
        b++;
      int64_t start = r[sel[a]].t, end = r[sel[b - 1]].t + gap;
      /* Find the emitted row (start, key). */
      const rt_value *found = NULL;
      for (int e = 0; e < cap.n && !found; e++)
        for (size_t row = 0; row < rt_result_nrows(cap.res[e]); row++) {
          const rt_value *v = rt_result_row(cap.res[e], row);
          if (v[0].u.ms == start && atoi(v[2].u.str.ptr + 7) == k) {
            found = v;
            break;
          }
        }
      ASSERT(found != NULL);
      ASSERT_EQ(found[1].u.ms, end);
      int arrival[NREC / 4];
      int cnt = b - a;
      memcpy(arrival, sel + a, (size_t)cnt * sizeof(int));
      qsort(arrival, (size_t)cnt, sizeof(int), cmp_int);
      check_row(r, arrival, cnt, found + 3);
      sessions++;
      a = b;
    }
  }
  size_t rows = 0;
  for (int e = 0; e < cap.n; e++)
    rows += rt_result_nrows(cap.res[e]);
  fprintf(stderr, "   sessions=%d emitted in %d results\n", sessions, cap.n);
  ASSERT_EQ(rows, sessions);
  ASSERT(cap.n > 10); /* sessions closed as time went on, not only at the end */
  capture_free(&cap);
  rt_window_free(&w);
}

static rt_window *small_window(rt_window_kind kind, int64_t size, int64_t slide,
                               int64_t gap, bool event_time, int64_t wm) {
  rt_agg_spec specs[] = {{RT_AGG_COUNT, -1}, {RT_AGG_SUM, 0}};
  const char *names[] = {"n", "total"};
  const char *key_names[] = {"k"};
  rt_window_opts o = {.kind = kind, .size_ms = size, .slide_ms = slide, .gap_ms = gap,
                      .event_time = event_time, .watermark_ms = wm, .nkeys = 1,
                      .key_names = key_names, .naggs = 2, .aggs = specs, .agg_names = names};
  return rt_window_new(&o, NULL);
}

static bool add1(rt_window *w, const char *key, double v, int64_t t) {
  rt_value keys[1] = {rt_string(key, strlen(key))};
  rt_value args[1] = {rt_number(v)};
  return rt_window_add(w, keys, args, t);
}

/* A record between two sessions of its key bridges them into one; a record
 * whose session would already be closed is late. */
static void test_session_bridge_and_late(void) {
  rt_window *w = small_window(RT_WINDOW_SESSION, 0, 0, 1000, true, 0);
  capture cap = {0};
  ASSERT(add1(w, "a", 1, 10000));
  ASSERT(add1(w, "a", 2, 11500)); /* 1.5 s later: a second session */
  ASSERT(add1(w, "b", 5, 10200));
  rt_window_stats st;
  rt_window_get_stats(w, &st);
  ASSERT_EQ(st.panes, 3);
  ASSERT(add1(w, "a", 4, 10800)); /* within 1 s of both: one session */
  rt_window_get_stats(w, &st);
  ASSERT_EQ(st.panes, 2);
  ASSERT_EQ(rt_window_advance(w, 0, on_emit, &cap), 1); /* b closes at 11200 */
  ASSERT_EQ(rt_result_nrows(cap.res[0]), 1);
  ASSERT(add1(w, "c", 1, 20000)); /* moves the watermark to 20000 */
  ASSERT_EQ(rt_window_advance(w, 0, on_emit, &cap), 1);
  rt_result *res = cap.res[1];
  ASSERT_EQ(rt_result_nrows(res), 1);
  ASSERT_EQ(rt_result_get(res, 0, 0).u.ms, 10000);
  ASSERT_EQ(rt_result_get(res, 0, 1).u.ms, 12500);
  ASSERT_NEAR(rt_result_get(res, 0, 3).u.num, 3, 0);
  ASSERT_NEAR(rt_result_get(res, 0, 4).u.num, 7, 0);
  ASSERT(!add1(w, "a", 9, 15000)); /* 15000 + gap <= 20000: late */
  ASSERT(add1(w, "c", 9, 19500));  /* joins c's open session */
  ASSERT_EQ(rt_window_close_all(w, on_emit, &cap), 1);
  ASSERT_NEAR(rt_result_get(cap.res[2], 0, 3).u.num, 2, 0);
  ASSERT(!add1(w, "c", 1, 30000)); /* closed: everything is late */
  rt_window_get_stats(w, &st);
  ASSERT_EQ(st.late, 2);
  capture_free(&cap);
  rt_window_free(&w);
}

/* A watermark given by the caller (rt_pipeline's per-partition minimum)
 * decides, not the newest time added: windows close at it, records behind it
 * are late, and a lower one later changes nothing. */
static void test_advance_to_watermark(void) {
  rt_window *w = small_window(RT_WINDOW_SLIDING, 5000, 0, 0, true, 1000);
  capture cap = {0};
  ASSERT(add1(w, "a", 1, 1000));
  ASSERT(add1(w, "a", 1, 60000)); /* another partition is ahead */
  ASSERT_EQ(rt_window_advance_to(w, 4999, on_emit, &cap), 0);
  ASSERT(add1(w, "a", 1, 2000)); /* not late: [0, 5 s) is still open */
  ASSERT_EQ(rt_window_advance_to(w, 5000, on_emit, &cap), 1);
  ASSERT_NEAR(rt_result_get(cap.res[0], 0, 3).u.num, 2, 0);
  ASSERT_EQ(rt_window_advance_to(w, 3000, on_emit, &cap), 0); /* lower: nothing */
  ASSERT(!add1(w, "a", 1, 4000));                             /* behind it: late */
  ASSERT(add1(w, "a", 1, 5000));
  ASSERT_EQ(rt_window_advance_to(w, 10000, on_emit, &cap), 1);
  ASSERT_EQ(rt_result_get(cap.res[1], 0, 0).u.ms, 5000);
  rt_window_stats st;
  rt_window_get_stats(w, &st);
  ASSERT_EQ(st.late, 1);
  ASSERT_EQ(rt_window_close_all(w, on_emit, &cap), 1); /* the 60 s window */
  capture_free(&cap);
  rt_window_free(&w);
  rt_window *pt = small_window(RT_WINDOW_SLIDING, 5000, 0, 0, false, 0);
  ASSERT(add1(pt, "a", 1, 1000));
  ASSERT_EQ(rt_window_advance_to(pt, 100000, on_emit, &cap), 0); /* not event time */
  rt_window_free(&pt);
}

/* ---- running aggregates ---------------------------------------------------- */

static void test_running_totals(void) {
  rt_window *w = small_window(RT_WINDOW_RUNNING, 0, 0, 0, false, 0);
  capture cap = {0};
  double want[3] = {0};
  int wantn[3] = {0};
  const char *keys[3] = {"x", "y", "z"};
  for (int i = 0; i < 3000; i++) {
    int k = (i * 7) % 3;
    ASSERT(add1(w, keys[k], i, i));
    want[k] += i;
    wantn[k]++;
    if (i % 1000 == 999) {
      ASSERT_EQ(rt_window_advance(w, i, on_emit, &cap), 1);
      ASSERT_EQ(rt_window_advance(w, i, on_emit, &cap), 0); /* nothing new */
      rt_result *res = cap.res[cap.n - 1];
      ASSERT_EQ(rt_result_ncols(res), 3);
      ASSERT_STR_EQ(rt_result_col_name(res, 0), "k");
      ASSERT_EQ(rt_result_nrows(res), 3);
      for (size_t row = 0; row < 3; row++) {
        const rt_value *v = rt_result_row(res, row);
        int kk = v[0].u.str.ptr[0] - 'x';
        ASSERT_NEAR(v[1].u.num, wantn[kk], 0);
        ASSERT_NEAR(v[2].u.num, want[kk], 1e-9);
      }
    }
  }
  ASSERT(add1(w, "x", 1, 0));
  ASSERT_EQ(rt_window_close_all(w, on_emit, &cap), 1);
  ASSERT_NEAR(rt_result_get(cap.res[cap.n - 1], 0, 2).u.num, want[0] + 1, 1e-9);
  capture_free(&cap);
  rt_window_free(&w);
}

/* ---- edges, memory, options ------------------------------------------------ */

static void test_bad_options(void) {
  rt_err err;
  rt_agg_spec specs[] = {{RT_AGG_COUNT, -1}};
  rt_window_opts o = {.kind = RT_WINDOW_SLIDING, .size_ms = 5 * 60000, .slide_ms = 7 * 60000,
                      .naggs = 1, .aggs = specs};
  ASSERT(rt_window_new(&o, &err) == NULL);
  ASSERT_EQ(err.code, RT_EINVAL);
  o.slide_ms = 0;
  o.size_ms = 0;
  ASSERT(rt_window_new(&o, &err) == NULL);
  o.kind = RT_WINDOW_SESSION;
  ASSERT(rt_window_new(&o, NULL) == NULL);
  o.kind = RT_WINDOW_SLIDING;
  o.size_ms = RT_WINDOW_TIME_LIMIT_MS * 2;
  ASSERT(rt_window_new(&o, &err) == NULL);
  o.naggs = 0;
  o.kind = RT_WINDOW_RUNNING;
  ASSERT(rt_window_new(&o, &err) == NULL);
  rt_window_free(NULL);
}

/* Epoch alignment with negative times, a clock jump over many empty windows,
 * and no key columns at all. */
static void test_alignment_and_jumps(void) {
  rt_agg_spec specs[] = {{RT_AGG_COUNT, -1}};
  rt_window_opts o = {.kind = RT_WINDOW_SLIDING, .size_ms = 60000, .slide_ms = 20000,
                      .naggs = 1, .aggs = specs};
  rt_window *w = rt_window_new(&o, NULL);
  capture cap = {0};
  ASSERT(rt_window_add(w, NULL, NULL, -1));
  ASSERT_EQ(rt_window_advance(w, -1, on_emit, &cap), 0);
  ASSERT_EQ(rt_window_advance(w, 0, on_emit, &cap), 1);     /* [-60,0) */
  ASSERT_EQ(rt_window_advance(w, 40000, on_emit, &cap), 2); /* [-40,20) [-20,40) */
  ASSERT_EQ(rt_result_window_start(cap.res[0]), -60000);
  ASSERT_EQ(rt_result_window_start(cap.res[2]), -20000);
  ASSERT_EQ(rt_result_ncols(cap.res[0]), 3);
  ASSERT(rt_window_add(w, NULL, NULL, 1000000000000));
  ASSERT_EQ(rt_window_advance(w, 2000000000000, on_emit, &cap), 3);
  ASSERT_EQ(rt_result_window_start(cap.res[3]), 1000000000000 - 40000);
  ASSERT_EQ(rt_result_window_end(cap.res[5]), 1000000000000 + 60000);
  ASSERT(!rt_window_add(w, NULL, NULL, 1999999000000)); /* behind the clock */
  ASSERT(!rt_window_add(w, NULL, NULL, INT64_MAX));     /* out of range: late */
  ASSERT(!rt_window_add(w, NULL, NULL, INT64_MIN));
  capture_free(&cap);
  rt_window_free(&w);
}

/* State grows with keys x panes, not with records. */
static void test_memory_flat(void) {
  rt_window *w = small_window(RT_WINDOW_SLIDING, 300000, 10000, 0, true, 0);
  capture cap = {0};
  char key[24];
  rt_window_stats st;
  size_t max_groups = 0;
  for (int i = 0; i < 400000; i++) {
    snprintf(key, sizeof(key), "d%d", i % 100);
    add1(w, key, i, T0 + (int64_t)i * 10); /* 100 records/s, 4000 s */
    if (i % 1000 == 999) {
      rt_window_advance(w, 0, on_emit, &cap);
      capture_free(&cap);
      rt_window_get_stats(w, &st);
      if (st.groups > max_groups)
        max_groups = st.groups;
    }
  }
  ASSERT(max_groups <= 100 * 32); /* 100 keys x (30 + 2) panes */
  rt_window_free(&w);
}

/* The memory budget's measure: state grows with groups and with what the
 * sketches hold, and goes when the windows close. */
static void test_memory_measure(void) {
  rt_window *all = make_window(RT_WINDOW_SLIDING, 600000, 600000, 0, true, 0);
  rt_window *counts = small_window(RT_WINDOW_SLIDING, 600000, 600000, 0, true, 0);
  size_t empty = rt_window_memory(all);
  char key[24];
  for (int i = 0; i < 20000; i++) {
    snprintf(key, sizeof(key), "device-%d", i % 500);
    rt_value keys[1] = {rt_string(key, strlen(key))};
    rt_value args[1] = {rt_number(i)};
    rt_window_add(all, keys, args, T0 + i);
    add1(counts, key, i, T0 + i);
  }
  size_t full = rt_window_memory(all);
  rt_window_stats st;
  rt_window_get_stats(all, &st);
  ASSERT_EQ(st.groups, 500);
  ASSERT(full > empty + 500 * (sizeof(rt_agg_state) * NAGG + 9)); /* blocks and keys */
  /* 40 distinct values per group in count_distinct and the percentiles */
  ASSERT(full > rt_window_memory(counts) + 500 * 40 * 8);
  capture cap = {0};
  rt_window_close_all(all, on_emit, &cap);
  capture_free(&cap);
  ASSERT(rt_window_memory(all) < empty + (full - empty) / 4); /* the scratch table stays */
  rt_window_free(&all);
  rt_window_free(&counts);
}

/* ---- checkpoints ------------------------------------------------------------ */

static void same_results(const capture *a, const capture *b) {
  ASSERT_EQ(a->n, b->n);
  for (int e = 0; e < a->n; e++) {
    ASSERT_EQ(rt_result_nrows(a->res[e]), rt_result_nrows(b->res[e]));
    ASSERT_EQ(rt_result_window_start(a->res[e]), rt_result_window_start(b->res[e]));
    for (size_t row = 0; row < rt_result_nrows(a->res[e]); row++)
      for (int c = 0; c < rt_result_ncols(a->res[e]); c++)
        ASSERT(rt_value_equal(rt_result_get(a->res[e], row, c), rt_result_get(b->res[e], row, c)));
  }
}

/* Saving halfway and restoring into a new operator must not change a single
 * emitted value, for every kind of window; damaged bytes are refused. */
static void checkpoint_kind(rt_window_kind kind, int64_t size, int64_t slide, int64_t gap) {
  static rec r[NREC];
  const int n = 8000;
  generate(r, n, true, 0xc0ffee);
  rt_window *a = make_window(kind, size, slide, gap, true, 5000);
  rt_window *b = make_window(kind, size, slide, gap, true, 5000);
  capture ca = {0}, cb = {0};
  for (int i = 0; i < n; i++) {
    if (i == n / 2) {
      rt_buf buf;
      rt_buf_init(&buf, 0);
      ASSERT_EQ(rt_window_save(a, &buf), 0);
      rt_err err;
      ASSERT_EQ(rt_window_restore(b, buf.data, buf.len - 1, &err), RT_EBADREC);
      rt_window_stats st;
      rt_window_get_stats(b, &st);
      ASSERT_EQ(st.records + st.groups, 0);
      ASSERT_EQ(rt_window_restore(b, buf.data, buf.len, &err), 0);
      rt_buf_free(&buf);
    }
    rt_window *both[2] = {a, b};
    for (int k = 0; k < 2; k++) {
      if (k == 1 && i < n / 2)
        continue;
      rt_value keys[1] = {key_value(r[i].key)};
      rt_value args[1] = {isnan(r[i].v) ? rt_null() : rt_number(r[i].v)};
      rt_window_add(both[k], keys, args, r[i].t);
      if (i % BATCH == BATCH - 1)
        rt_window_advance(both[k], r[i].t, on_emit, k ? &cb : &ca);
    }
    if (i == n / 2 - 1)
      capture_free(&ca); /* compare what both emit after the checkpoint */
  }
  rt_window_close_all(a, on_emit, &ca);
  rt_window_close_all(b, on_emit, &cb);
  ASSERT(ca.n > 0);
  same_results(&ca, &cb);
  rt_window_stats sa, sb;
  rt_window_get_stats(a, &sa);
  rt_window_get_stats(b, &sb);
  ASSERT_EQ(sa.records, sb.records);
  ASSERT_EQ(sa.late, sb.late);
  capture_free(&ca);
  capture_free(&cb);
  rt_window_free(&a);
  rt_window_free(&b);
}

static void test_checkpoint_restore(void) {
  checkpoint_kind(RT_WINDOW_SLIDING, 60000, 2000, 0);
  checkpoint_kind(RT_WINDOW_SLIDING, 10000, 10000, 0);
  checkpoint_kind(RT_WINDOW_SESSION, 0, 0, 2000);
  checkpoint_kind(RT_WINDOW_RUNNING, 0, 0, 0);
  /* A checkpoint of another kind of window is refused. */
  rt_window *s = make_window(RT_WINDOW_SESSION, 0, 0, 1000, true, 0);
  rt_window *t = make_window(RT_WINDOW_SLIDING, 1000, 1000, 0, true, 0);
  rt_buf buf;
  rt_buf_init(&buf, 0);
  ASSERT_EQ(rt_window_save(s, &buf), 0);
  ASSERT_EQ(rt_window_restore(t, buf.data, buf.len, NULL), RT_EINVAL);
  rt_buf_free(&buf);
  rt_window_free(&s);
  rt_window_free(&t);
}

/* Corrupted checkpoints (random byte flips, truncations) are refused or
 * loaded as some valid state; never a crash or a leak (ASan checks). */
static void test_checkpoint_corruption(void) {
  rt_window_kind kinds[3] = {RT_WINDOW_SLIDING, RT_WINDOW_SESSION, RT_WINDOW_RUNNING};
  static rec r[2000];
  generate(r, 2000, true, 77);
  for (int k = 0; k < 3; k++) {
    rt_window *w = make_window(kinds[k], 20000, 5000, 3000, true, 1000);
    capture cap = {0};
    for (int i = 0; i < 2000; i++) {
      rt_value keys[1] = {key_value(r[i].key)};
      rt_value args[1] = {isnan(r[i].v) ? rt_null() : rt_number(r[i].v)};
      rt_window_add(w, keys, args, r[i].t);
    }
    rt_window_advance(w, 0, on_emit, &cap);
    capture_free(&cap);
    rt_buf buf;
    rt_buf_init(&buf, 0);
    ASSERT_EQ(rt_window_save(w, &buf), 0);
    uint64_t s = 1234 + (uint64_t)k;
    int refused = 0;
    for (int trial = 0; trial < 300; trial++) {
      unsigned char *copy = malloc(buf.len);
      memcpy(copy, buf.data, buf.len);
      size_t len = buf.len;
      if (trial % 3 == 0)
        len = (size_t)(rng(&s) % buf.len);
      for (int f = 0; f < 1 + trial % 4; f++)
        copy[rng(&s) % buf.len] ^= (unsigned char)(1u << (rng(&s) % 8));
      rt_window *v = make_window(kinds[k], 20000, 5000, 3000, true, 1000);
      refused += rt_window_restore(v, copy, len, NULL) != 0;
      rt_window_close_all(v, on_emit, &cap);
      capture_free(&cap);
      rt_window_free(&v);
      free(copy);
    }
    ASSERT(refused > 100);
    rt_buf_free(&buf);
    rt_window_free(&w);
  }
}

/* ---- scale-out: partials from several workers, merged ----------------------- */

/* Three workers each see a random third of the records (the same key on
 * every worker); their partial windows, merged, must equal brute force over
 * all records, and cover the same (window, key) pairs. */
static void test_partials_merge_across_workers(void) {
  static rec r[NREC];
  static bool ok[NREC];
  static int sel[NREC];
  const int n = 6000, workers = 3;
  const int64_t size = 30000, slide = 10000;
  generate(r, n, false, 0x5ca1e);
  for (int i = 0; i < n; i++)
    r[i].t = T0 + (int64_t)i * 250; /* unique times: first/last have no ties */
  for (int i = n; i < NREC; i++)
    r[i].t = INT64_MAX; /* outside every window */
  index_by_time(r, NREC);
  rt_window *w[3];
  capture parts = {0};
  rt_agg_spec specs[NAGG];
  const char *names[NAGG];
  for (int a = 0; a < NAGG; a++) {
    specs[a] = (rt_agg_spec){KINDS[a], KINDS[a] == RT_AGG_COUNT ? -1 : 0};
    names[a] = rt_agg_kind_name(KINDS[a]);
  }
  const char *key_names[] = {"device_id"};
  rt_window_opts o = {.kind = RT_WINDOW_SLIDING, .size_ms = size, .slide_ms = slide,
                      .event_time = true, .nkeys = 1, .key_names = key_names,
                      .naggs = NAGG, .aggs = specs, .agg_names = names,
                      .emit_partials = true};
  for (int k = 0; k < workers; k++) {
    w[k] = rt_window_new(&o, NULL);
    ASSERT(w[k] != NULL);
  }
  uint64_t s = 31;
  for (int i = 0; i < n; i++) {
    int k = (int)(rng(&s) % (uint64_t)workers);
    rt_value keys[1] = {key_value(r[i].key)};
    rt_value args[1] = {isnan(r[i].v) ? rt_null() : rt_number(r[i].v)};
    ASSERT(rt_window_add(w[k], keys, args, r[i].t));
    ok[i] = true;
    if (i % BATCH == 0)
      rt_window_advance(w[k], 0, on_emit, &parts);
  }
  for (int k = 0; k < workers; k++)
    rt_window_close_all(w[k], on_emit, &parts);
  rt_err err;
  rt_merger *m = rt_merger_new(&o, &err);
  ASSERT(m != NULL);
  for (int e = 0; e < parts.n; e++) {
    ASSERT_STR_EQ(rt_result_col_name(parts.res[e], 3), RT_PARTIAL_COLUMN);
    ASSERT_EQ(rt_merger_add_result(m, parts.res[e], &err), 0);
  }
  /* A damaged partial is refused. */
  rt_value key = key_value(0);
  ASSERT_EQ(rt_merger_add(m, T0, T0 + size, &key, "\x00\x01", 2, &err), RT_EBADREC);
  capture merged = {0};
  size_t pending = rt_merger_pending(m);
  ASSERT(rt_merger_emit(m, T0 + 100000, false, on_emit, &merged) > 0);
  ASSERT(rt_merger_pending(m) < pending);
  rt_merger_emit(m, 0, true, on_emit, &merged);
  ASSERT_EQ(rt_merger_pending(m), 0);
  size_t rows = 0;
  int64_t prev = INT64_MIN;
  for (int e = 0; e < merged.n; e++) {
    rt_result *res = merged.res[e];
    ASSERT(rt_result_window_start(res) > prev);
    prev = rt_result_window_start(res);
    ASSERT_EQ(rt_result_ncols(res), 3 + NAGG);
    for (size_t row = 0; row < rt_result_nrows(res); row++) {
      const rt_value *v = rt_result_row(res, row);
      int cnt = select_window(r, ok, v[0].u.ms, v[1].u.ms, atoi(v[2].u.str.ptr + 7),
                              INT32_MAX, sel);
      ASSERT(cnt > 0);
      check_row(r, sel, cnt, v + 3);
      rows++;
    }
  }
  /* Every (window, key) with records is there once. */
  size_t want = 0;
  for (int64_t ws = floor_to(T0 - size + slide, slide); ws <= r[n - 1].t; ws += slide) {
    unsigned char seen[NKEYS] = {0};
    int cnt = select_window(r, ok, ws, ws + size, -1, INT32_MAX, sel);
    for (int j = 0; j < cnt; j++)
      seen[r[sel[j]].key] = 1;
    for (int k = 0; k < NKEYS; k++)
      want += seen[k];
  }
  fprintf(stderr, "   %d partial results from %d workers -> %d windows, %zu rows\n", parts.n,
          workers, merged.n, rows);
  ASSERT_EQ(rows, want);
  capture_free(&parts);
  capture_free(&merged);
  rt_merger_free(&m);
  for (int k = 0; k < workers; k++)
    rt_window_free(&w[k]);
  o.kind = RT_WINDOW_SESSION;
  o.gap_ms = 1000;
  ASSERT(rt_window_new(&o, &err) == NULL); /* sessions do not emit partials */
  ASSERT(rt_merger_new(&o, &err) == NULL);
}

int main(void) {
  TEST_RUN(test_tumbling_event_time);
  TEST_RUN(test_sliding_30_panes);
  TEST_RUN(test_pane_is_gcd);
  TEST_RUN(test_sliding_non_dividing);
  TEST_RUN(test_processing_time);
  TEST_RUN(test_random_shapes);
  TEST_RUN(test_sessions_brute_force);
  TEST_RUN(test_session_bridge_and_late);
  TEST_RUN(test_advance_to_watermark);
  TEST_RUN(test_running_totals);
  TEST_RUN(test_bad_options);
  TEST_RUN(test_alignment_and_jumps);
  TEST_RUN(test_memory_flat);
  TEST_RUN(test_memory_measure);
  TEST_RUN(test_checkpoint_restore);
  TEST_RUN(test_checkpoint_corruption);
  TEST_RUN(test_partials_merge_across_workers);
  return test_summary();
}
