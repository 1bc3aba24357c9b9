/* Unit tests for rt_agg: every aggregate against brute-force answers, on one
 * state, on merged partial states (in several split patterns) and after
 * serialization round trips; null skipping; empty results; the aggregate
 * set's shared percentile sketch. */
#include "test.h"

#include "rt_agg.h"
#include "rt_buf.h"
#include "rt_err.h"

enum { N = 5000 };

static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* Inputs: numbers with some nulls and a few strings; times as order. */
typedef struct input {
  rt_value v[N];
  int64_t t[N];
  char strbuf[N][16];
} input;

static void make_input(input *in, uint64_t seed) {
  uint64_t s = seed;
  for (int i = 0; i < N; i++) {
    uint64_t r = rng(&s);
    in->t[i] = (int64_t)(r % 1000); /* out of order, with ties */
    if (r % 13 == 0)
      in->v[i] = rt_null();
    else
      in->v[i] = rt_number((double)((int64_t)(rng(&s) % 20001) - 10000) / 7.0);
  }
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Brute-force answer of kind over in->v[lo..hi). */
static rt_value brute(const input *in, rt_agg_kind kind, int lo, int hi, double *scratch) {
  int n = 0, best = -1;
  double sum = 0;
  for (int i = lo; i < hi; i++) {
    if (kind == RT_AGG_COUNT) { n++; continue; }
    if (in->v[i].type == RT_NULL) continue;
    double x = in->v[i].u.num;
    scratch[n++] = x;
    sum += x;
    if (kind == RT_AGG_FIRST && (best < 0 || in->t[i] < in->t[best])) best = i;
    if (kind == RT_AGG_LAST && (best < 0 || in->t[i] >= in->t[best])) best = i;
  }
  if (kind == RT_AGG_COUNT) return rt_number(n);
  if (kind == RT_AGG_COUNT_DISTINCT) {
    qsort(scratch, (size_t)n, sizeof(double), cmp_d);
    int d = 0;
    for (int i = 0; i < n; i++) if (i == 0 || scratch[i] != scratch[i - 1]) d++;
    return rt_number(d);
  }
  if (n == 0) return rt_null();
  switch (kind) {
  case RT_AGG_SUM: return rt_number(sum);
  case RT_AGG_AVG: return rt_number(sum / n);
  case RT_AGG_STDDEV: {
    if (n < 2) return rt_null();
    double mean = sum / n, ss = 0;
    for (int i = 0; i < n; i++) ss += (scratch[i] - mean) * (scratch[i] - mean);
    return rt_number(sqrt(ss / (n - 1)));
  }
  case RT_AGG_MIN: case RT_AGG_MAX: {
    double m = scratch[0];
    for (int i = 1; i < n; i++)
      m = kind == RT_AGG_MIN ? fmin(m, scratch[i]) : fmax(m, scratch[i]);
    return rt_number(m);
  }
  case RT_AGG_FIRST: case RT_AGG_LAST: return in->v[best];
  default: { /* percentile: exact order statistic, checked by rank below */
    qsort(scratch, (size_t)n, sizeof(double), cmp_d);
    return rt_number(scratch[0]);
  }
  }
}

/* Checks a result against brute force; percentiles by rank within 1%. */
static void check(const input *in, rt_agg_kind kind, int lo, int hi, rt_value got) {
  static double scratch[N];
  rt_value want = brute(in, kind, lo, hi, scratch);
  if (rt_agg_kind_is_quantile(kind)) {
    double phi = kind == RT_AGG_P50 ? 0.5 : kind == RT_AGG_P90 ? 0.9 : kind == RT_AGG_P95 ? 0.95 : 0.99;
    int n = 0;
    for (int i = lo; i < hi; i++) if (in->v[i].type != RT_NULL) n++;
    ASSERT_EQ(got.type, RT_NUMBER);
    int below = 0, upto = 0;
    for (int i = 0; i < n; i++) { below += scratch[i] < got.u.num; upto += scratch[i] <= got.u.num; }
    ASSERT(phi >= (double)below / n - 0.01 && phi <= (double)upto / n + 0.01);
    return;
  }
  if (want.type == RT_NULL) { ASSERT_EQ(got.type, RT_NULL); return; }
  ASSERT_EQ(got.type, RT_NUMBER);
  double tol = kind == RT_AGG_COUNT_DISTINCT ? want.u.num * 0.02 : 1e-9 * (1 + fabs(want.u.num));
  ASSERT_NEAR(got.u.num, want.u.num, tol);
}

static void roundtrip(rt_agg_state *st, rt_agg_kind kind) {
  rt_buf buf;
  rt_buf_init(&buf, 0);
  ASSERT_EQ(rt_agg_serialize(st, kind, &buf), 0);
  rt_agg_state back;
  rt_agg_init(&back, kind);
  size_t used = 0;
  ASSERT_EQ(rt_agg_deserialize(&back, kind, buf.data, buf.len, &used), 0);
  ASSERT_EQ(used, buf.len);
  rt_agg_state bad;
  rt_agg_init(&bad, kind);
  if (buf.len > 1)
    ASSERT_EQ(rt_agg_deserialize(&bad, kind, buf.data, buf.len - 1, &used), RT_EBADREC);
  ASSERT_EQ(rt_agg_deserialize(&bad, (rt_agg_kind)((kind + 1) % RT_AGG__COUNT), buf.data, buf.len, &used), RT_EBADREC);
  rt_agg_clear(st, kind);
  *st = back;
  rt_buf_free(&buf);
}

/* Whole range in one state; then 1..37 parts merged, some round-tripped. */
static void check_kind(const input *in, rt_agg_kind kind) {
  rt_agg_state one;
  rt_agg_init(&one, kind);
  for (int i = 0; i < N; i++)
    rt_agg_add(&one, kind, in->v[i], in->t[i], (uint64_t)i);
  check(in, kind, 0, N, rt_agg_result(&one, kind));
  roundtrip(&one, kind);
  check(in, kind, 0, N, rt_agg_result(&one, kind));
  rt_agg_clear(&one, kind);
  int splits[] = {2, 7, 37};
  for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
    rt_agg_state total;
    rt_agg_init(&total, kind);
    int parts = splits[k];
    for (int p = 0; p < parts; p++) {
      rt_agg_state part;
      rt_agg_init(&part, kind);
      for (int i = p * N / parts; i < (p + 1) * N / parts; i++)
        rt_agg_add(&part, kind, in->v[i], in->t[i], (uint64_t)i);
      if (p % 2)
        roundtrip(&part, kind);
      rt_agg_merge(&total, &part, kind);
      rt_agg_clear(&part, kind);
    }
    check(in, kind, 0, N, rt_agg_result(&total, kind));
    rt_agg_clear(&total, kind);
  }
}

static void test_every_kind_brute_force(void) {
  static input in;
  make_input(&in, 0xfeed);
  for (int k = 0; k < RT_AGG__COUNT; k++) {
    fprintf(stderr, "   %s\n", rt_agg_kind_name((rt_agg_kind)k));
    check_kind(&in, (rt_agg_kind)k);
  }
}

static void test_empty_and_nulls(void) {
  for (int k = 0; k < RT_AGG__COUNT; k++) {
    rt_agg_state st;
    rt_agg_init(&st, (rt_agg_kind)k);
    rt_agg_add(&st, (rt_agg_kind)k, rt_null(), 0, 0);
    rt_value r = rt_agg_result(&st, (rt_agg_kind)k);
    if (k == RT_AGG_COUNT)
      ASSERT_NEAR(r.u.num, 1, 0); /* count() counts records */
    else if (k == RT_AGG_COUNT_DISTINCT)
      ASSERT_NEAR(r.u.num, 0, 0);
    else
      ASSERT_EQ(r.type, RT_NULL);
    rt_agg_clear(&st, (rt_agg_kind)k);
  }
  rt_agg_state sd;
  rt_agg_init(&sd, RT_AGG_STDDEV);
  rt_agg_add(&sd, RT_AGG_STDDEV, rt_number(5), 0, 0);
  ASSERT_EQ(rt_agg_result(&sd, RT_AGG_STDDEV).type, RT_NULL); /* sample: n >= 2 */
  rt_agg_add(&sd, RT_AGG_STDDEV, rt_number(7), 0, 0);
  ASSERT_NEAR(rt_agg_result(&sd, RT_AGG_STDDEV).u.num, sqrt(2.0), 1e-12);
}

/* Welford/Chan must not lose precision on a large offset. */
static void test_stddev_stable(void) {
  rt_agg_state a, b;
  rt_agg_init(&a, RT_AGG_STDDEV);
  rt_agg_init(&b, RT_AGG_STDDEV);
  for (int i = 0; i < 1000; i++)
    rt_agg_add(i < 500 ? &a : &b, RT_AGG_STDDEV, rt_number(1e9 + (i % 2)), 0, 0);
  rt_agg_merge(&a, &b, RT_AGG_STDDEV);
  ASSERT_NEAR(rt_agg_result(&a, RT_AGG_STDDEV).u.num, sqrt(0.25 * 1000 / 999), 1e-6);
}

static void test_strings_min_max_first_last(void) {
  const char *words[] = {"pear", "apple", "zebra", "mango", "apple"};
  rt_agg_kind kinds[] = {RT_AGG_MIN, RT_AGG_MAX, RT_AGG_FIRST, RT_AGG_LAST, RT_AGG_COUNT_DISTINCT};
  const char *want[] = {"apple", "zebra", "mango", "zebra", NULL};
  int64_t times[] = {5, 6, 9, 1, 5}; /* out of order: first by time is "mango" */
  for (int k = 0; k < 5; k++) {
    rt_agg_state st;
    rt_agg_init(&st, kinds[k]);
    char buf[16];
    for (int i = 0; i < 5; i++) {
      snprintf(buf, sizeof(buf), "%s", words[i]);
      rt_agg_add(&st, kinds[k], rt_string(buf, strlen(buf)), times[i], (uint64_t)i);
      memset(buf, 'X', sizeof(buf)); /* the state must hold its own copy */
    }
    roundtrip(&st, kinds[k]);
    rt_value r = rt_agg_result(&st, kinds[k]);
    if (want[k]) {
      ASSERT_EQ(r.type, RT_STRING);
      ASSERT_EQ(r.u.str.len, strlen(want[k]));
      ASSERT(memcmp(r.u.str.ptr, want[k], r.u.str.len) == 0);
    } else {
      ASSERT_NEAR(r.u.num, 4, 0);
    }
    rt_agg_clear(&st, kinds[k]);
  }
}

/* Ties in time: first keeps the earliest arrival, last the latest. */
static void test_first_last_ties(void) {
  rt_agg_state f, l, f2, l2;
  rt_agg_init(&f, RT_AGG_FIRST);
  rt_agg_init(&l, RT_AGG_LAST);
  rt_agg_init(&f2, RT_AGG_FIRST);
  rt_agg_init(&l2, RT_AGG_LAST);
  for (int i = 0; i < 4; i++) {
    rt_agg_state *fs = i < 2 ? &f : &f2, *ls = i < 2 ? &l : &l2;
    rt_agg_add(fs, RT_AGG_FIRST, rt_number(i), 100, (uint64_t)i);
    rt_agg_add(ls, RT_AGG_LAST, rt_number(i), 100, (uint64_t)i);
  }
  rt_agg_merge(&f2, &f, RT_AGG_FIRST); /* merge order must not matter */
  rt_agg_merge(&l, &l2, RT_AGG_LAST);
  ASSERT_NEAR(rt_agg_result(&f2, RT_AGG_FIRST).u.num, 0, 0);
  ASSERT_NEAR(rt_agg_result(&l, RT_AGG_LAST).u.num, 3, 0);
}

static void test_aggset_shares_sketch(void) {
  rt_agg_spec specs[] = {{RT_AGG_AVG, 0}, {RT_AGG_COUNT, -1}, {RT_AGG_P95, 0},
                         {RT_AGG_P50, 0}, {RT_AGG_P99, 1}, {RT_AGG_MAX, 1}};
  rt_aggset *set = rt_aggset_new(specs, 6);
  ASSERT_EQ(rt_aggset_count(set), 6);
  ASSERT_EQ(rt_aggset_block_size(set), 5 * sizeof(rt_agg_state)); /* p95+p50 share */
  void *a = malloc(rt_aggset_block_size(set)), *b = malloc(rt_aggset_block_size(set));
  rt_aggset_init(set, a);
  rt_aggset_init(set, b);
  for (int i = 1; i <= 100; i++) {
    rt_value args[2] = {rt_number(i), rt_number(-i)};
    rt_aggset_add(set, i % 2 ? a : b, args, i, (uint64_t)i);
  }
  rt_buf buf;
  rt_buf_init(&buf, 0);
  ASSERT_EQ(rt_aggset_serialize(set, b, &buf), 0);
  rt_aggset_clear(set, b);
  size_t used;
  ASSERT_EQ(rt_aggset_deserialize(set, b, buf.data, buf.len, &used), 0);
  ASSERT_EQ(used, buf.len);
  rt_aggset_merge(set, a, b);
  rt_value out[6];
  rt_aggset_results(set, a, out);
  ASSERT_NEAR(out[0].u.num, 50.5, 1e-12);
  ASSERT_NEAR(out[1].u.num, 100, 0);
  ASSERT_NEAR(out[2].u.num, 95, 0);
  ASSERT_NEAR(out[3].u.num, 50, 0);
  ASSERT_NEAR(out[4].u.num, -2, 0);
  ASSERT_NEAR(out[5].u.num, -1, 0);
  rt_aggset_clear(set, a);
  rt_aggset_clear(set, b);
  free(a);
  free(b);
  rt_buf_free(&buf);
  rt_aggset_free(&set);
  ASSERT(set == NULL);
}

int main(void) {
  TEST_RUN(test_every_kind_brute_force);
  TEST_RUN(test_empty_and_nulls);
  TEST_RUN(test_stddev_stable);
  TEST_RUN(test_strings_min_max_first_last);
  TEST_RUN(test_first_last_ties);
  TEST_RUN(test_aggset_shares_sketch);
  return test_summary();
}
