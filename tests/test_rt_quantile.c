/* Unit tests for rt_quantile (KLL): normalized rank error under 1% for
 * p50/p90/p95/p99 on uniform, normal, skewed, sorted and reverse-sorted
 * inputs, for one sketch, for many merged sketches, and after serialization
 * round trips. Exact ranks come from sorting the input. */
#include "test.h"

#include "rt_buf.h"
#include "rt_err.h"
#include "rt_quantile.h"

enum { N = 200000 };

static double *rt_test_alloc(size_t n) {
  double *p = malloc(n * sizeof(double));
  ASSERT(p);
  return p;
}

static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static double unif(uint64_t *s) { return (double)(rng_next(s) >> 11) / 9007199254740992.0; }

typedef enum { D_UNIFORM, D_NORMAL, D_SKEWED, D_SORTED, D_REVERSE, D_DUPS } dist;

static void generate(double *x, int n, dist d, uint64_t seed) {
  uint64_t s = seed;
  for (int i = 0; i < n; i++) {
    switch (d) {
    case D_UNIFORM: x[i] = unif(&s) * 100; break;
    case D_NORMAL: { /* sum of 12 uniforms */
      double t = 0;
      for (int j = 0; j < 12; j++)
        t += unif(&s);
      x[i] = 20 + 5 * (t - 6);
      break;
    }
    case D_SKEWED: x[i] = exp(8 * unif(&s)); break; /* log-uniform over e^8 */
    case D_SORTED: x[i] = i; break;
    case D_REVERSE: x[i] = n - i; break;
    case D_DUPS: x[i] = (double)(rng_next(&s) % 7); break;
    }
  }
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Distance of phi from the normalized rank interval of v in sorted[]. */
static double rank_error(const double *sorted, int n, double v, double phi) {
  int lo = 0, hi = n; /* count < v */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (sorted[mid] < v) lo = mid + 1; else hi = mid;
  }
  int less = lo;
  hi = n; /* count <= v */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (sorted[mid] <= v) lo = mid + 1; else hi = mid;
  }
  double rlo = (double)less / n, rhi = (double)lo / n;
  if (phi < rlo) return rlo - phi;
  if (phi > rhi) return phi - rhi;
  return 0;
}

/* Checks every percentile 1..99 and 99.9, not only the four the language
 * names, so the bound holds across the whole rank range. */
static double check_sketch(rt_quantile *q, const double *sorted, int n, const char *what) {
  double worst = 0;
  for (int i = 1; i <= 100; i++) {
    double phi = i == 100 ? 0.999 : i / 100.0;
    double e = rank_error(sorted, n, rt_quantile_get(q, phi), phi);
    if (e > worst) worst = e;
  }
  fprintf(stderr, "   %-28s worst rank error %.3f%%\n", what, worst * 100);
  ASSERT(worst < 0.01);
  ASSERT_EQ(rt_quantile_count(q), n);
  ASSERT_NEAR(rt_quantile_get(q, 0), sorted[0], 0);
  ASSERT_NEAR(rt_quantile_get(q, 1), sorted[n - 1], 0);
  return worst;
}

static rt_quantile *roundtrip(rt_quantile *q) {
  rt_buf buf;
  rt_buf_init(&buf, 0);
  ASSERT_EQ(rt_quantile_serialize(q, &buf), 0);
  rt_quantile *back = NULL;
  size_t used = 0;
  ASSERT_EQ(rt_quantile_deserialize(buf.data, buf.len, &used, &back), 0);
  ASSERT_EQ(used, buf.len);
  rt_quantile *bad = NULL;
  ASSERT(rt_quantile_deserialize(buf.data, buf.len - 1, &used, &bad) == RT_EBADREC);
  ASSERT(bad == NULL);
  rt_buf_free(&buf);
  rt_quantile_free(&q);
  return back;
}

static void check_dist(dist d, const char *name) {
  double *x = rt_test_alloc(N);
  generate(x, N, d, 0x1234 + (uint64_t)d);
  double *sorted = rt_test_alloc(N);
  memcpy(sorted, x, N * sizeof(double));
  qsort(sorted, N, sizeof(double), cmp_d);
  char what[64];
  /* One sketch over everything. */
  rt_quantile *one = rt_quantile_new(0);
  for (int i = 0; i < N; i++) rt_quantile_add(one, x[i]);
  snprintf(what, sizeof(what), "%s single", name);
  check_sketch(one, sorted, N, what);
  /* 100 sketches over consecutive slices (like panes), each round-tripped
   * through bytes, merged in a chain and the result round-tripped again. */
  rt_quantile *merged = rt_quantile_new(0);
  for (int p = 0; p < 100; p++) {
    rt_quantile *part = rt_quantile_new(0);
    for (int i = p * (N / 100); i < (p + 1) * (N / 100); i++) rt_quantile_add(part, x[i]);
    part = roundtrip(part);
    rt_quantile_merge(merged, part);
    rt_quantile_free(&part);
  }
  merged = roundtrip(merged);
  snprintf(what, sizeof(what), "%s merged x100", name);
  check_sketch(merged, sorted, N, what);
  /* A tree of merges: pairs of merged halves. */
  rt_quantile *halves[2] = {rt_quantile_new(0), rt_quantile_new(0)};
  for (int i = 0; i < N; i++) rt_quantile_add(halves[i % 2], x[i]);
  rt_quantile_merge(halves[0], halves[1]);
  snprintf(what, sizeof(what), "%s interleaved halves", name);
  check_sketch(halves[0], sorted, N, what);
  fprintf(stderr, "   memory %zu bytes\n", rt_quantile_memory(one));
  ASSERT(rt_quantile_memory(one) < 64 * 1024);
  rt_quantile_free(&halves[0]);
  rt_quantile_free(&halves[1]);
  rt_quantile_free(&merged);
  rt_quantile_free(&one);
  free(x);
  free(sorted);
}

static void test_uniform(void) { check_dist(D_UNIFORM, "uniform"); }
static void test_normal(void) { check_dist(D_NORMAL, "normal"); }
static void test_skewed(void) { check_dist(D_SKEWED, "skewed"); }
static void test_sorted(void) { check_dist(D_SORTED, "sorted"); }
static void test_reverse(void) { check_dist(D_REVERSE, "reverse"); }
static void test_duplicates(void) { check_dist(D_DUPS, "duplicates"); }

static void test_small_and_empty(void) {
  rt_quantile *q = rt_quantile_new(0);
  ASSERT(isnan(rt_quantile_get(q, 0.5)));
  rt_quantile_add(q, NAN);
  ASSERT_EQ(rt_quantile_count(q), 0);
  for (int i = 1; i <= 100; i++) rt_quantile_add(q, i);
  ASSERT_NEAR(rt_quantile_get(q, 0.5), 50, 0);
  ASSERT_NEAR(rt_quantile_get(q, 0.95), 95, 0);
  ASSERT_NEAR(rt_quantile_get(q, 0.99), 99, 0);
  rt_quantile *c = rt_quantile_clone(q);
  rt_quantile_add(c, 1000);
  ASSERT_NEAR(rt_quantile_get(q, 1), 100, 0);
  ASSERT_NEAR(rt_quantile_get(c, 1), 1000, 0);
  rt_quantile_free(&c);
  rt_quantile_free(&q);
}

int main(void) {
  TEST_RUN(test_small_and_empty);
  TEST_RUN(test_uniform);
  TEST_RUN(test_normal);
  TEST_RUN(test_skewed);
  TEST_RUN(test_sorted);
  TEST_RUN(test_reverse);
  TEST_RUN(test_duplicates);
  return test_summary();
}
