/*
 * The smallest test harness that says what went wrong: each ASSERT prints
 * both sides and the location, then aborts the test binary (CTest reports the
 * failure; ASan's leak check does not run on abort, so a failing test is
 * never mistaken for a leaking one).
 *
 * A test file defines static void test_*(void) functions and a main() that
 * calls test_run() for each, then returns test_summary().
 */
#ifndef EDDY_TEST_H
#define EDDY_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test__count;

static inline void test__fail(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
  abort();
}

#define ASSERT(cond)                                                    \
  do {                                                                  \
    if (!(cond))                                                        \
      test__fail(__FILE__, __LINE__, #cond);                            \
  } while (0)

#define ASSERT_EQ(a, b)                                                 \
  do {                                                                  \
    int64_t test__a = (int64_t)(a), test__b = (int64_t)(b);             \
    if (test__a != test__b) {                                           \
      fprintf(stderr, "  %s = %" PRId64 "\n  %s = %" PRId64 "\n", #a,   \
              test__a, #b, test__b);                                    \
      test__fail(__FILE__, __LINE__, #a " == " #b);                     \
    }                                                                   \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                             \
  do {                                                                  \
    const char *test__a = (a), *test__b = (b);                          \
    if (!test__a || !test__b || strcmp(test__a, test__b) != 0) {        \
      fprintf(stderr, "  %s = \"%s\"\n  %s = \"%s\"\n", #a,             \
              test__a ? test__a : "(null)", #b,                         \
              test__b ? test__b : "(null)");                            \
      test__fail(__FILE__, __LINE__, #a " == " #b);                     \
    }                                                                   \
  } while (0)

#define ASSERT_NEAR(a, b, tol)                                          \
  do {                                                                  \
    double test__a = (a), test__b = (b);                                \
    if (!(fabs(test__a - test__b) <= (tol))) {                          \
      fprintf(stderr, "  %s = %.17g\n  %s = %.17g\n", #a, test__a, #b,  \
              test__b);                                                 \
      test__fail(__FILE__, __LINE__, #a " ~= " #b);                     \
    }                                                                   \
  } while (0)

/* Runs one test and prints its name, so a crash points at the test. */
static inline void test_run(const char *name, void (*fn)(void)) {
  fprintf(stderr, "-- %s\n", name);
  fn();
  test__count++;
}

static inline int test_summary(void) {
  fprintf(stderr, "%d passed, 0 failed\n", test__count);
  return 0;
}

#define TEST_RUN(fn) test_run(#fn, fn)

#endif
