/* Tests of the manual clock (rt_clock.h) and of the runtime's behaviour in
 * time, driven by it: the demo source's pacing, processing-time windows,
 * status reports per refresh, and `for D`. Each test advances the clock,
 * settles (waits until the query thread has done everything due at the new
 * time), then asserts on what happened: counts and order, never durations,
 * so a slow or loaded machine gives the same answers. */
#include "rt_clock.h"
#include "rt_runtime.h"
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>

/* A whole second, so processing-time windows start on clock steps. */
#define T0_MS 1764000000000LL
#define SETTLE_MS 30000 /* real time a settle may take: only a hung query fails it */

static void test_manual_clock_basics(void) {
  rt_manual_clock *m = rt_manual_clock_new(5000000, T0_MS);
  const rt_clock *c = rt_manual_clock_get(m);
  ASSERT(rt_clock_is_manual(c));
  ASSERT(!rt_clock_is_manual(NULL));
  ASSERT_EQ(rt_clock_mono_ns(c), 5000000);
  ASSERT_EQ(rt_clock_wall_ms(c), T0_MS);
  rt_manual_clock_advance(m, 250);
  ASSERT_EQ(rt_clock_mono_ns(c), 255000000);
  ASSERT_EQ(rt_clock_wall_ms(c), T0_MS + 250);
  /* nobody waits: settling finds no one */
  ASSERT_EQ(rt_manual_clock_settle(m, 1, 10), RT_ETIMEDOUT);
  ASSERT_EQ(rt_manual_clock_settle(m, 0, 10), 0);
  /* the system clock moves by itself */
  ASSERT(rt_clock_mono_ns(NULL) > 0 && rt_clock_wall_ms(NULL) > T0_MS - 365LL * 86400000);
  rt_manual_clock_free(&m);
  ASSERT(m == NULL);
  rt_manual_clock_free(&m);
}

typedef struct sleeper {
  const rt_clock *c;
  atomic_int woke;
} sleeper;

static void *sleep_500ms(void *arg) {
  sleeper *s = arg;
  rt_clock_sleep_ns(s->c, 500000000LL);
  atomic_store(&s->woke, 1);
  return NULL;
}

/* A sleeper on a manual clock wakes when the clock, not real time, has
 * moved far enough; while it sleeps it counts as settled. */
static void test_sleep_follows_the_clock(void) {
  rt_manual_clock *m = rt_manual_clock_new(0, T0_MS);
  sleeper s = {.c = rt_manual_clock_get(m)};
  pthread_t th;
  pthread_create(&th, NULL, sleep_500ms, &s);
  ASSERT_EQ(rt_manual_clock_settle(m, 1, SETTLE_MS), 0);
  rt_manual_clock_advance(m, 499);
  ASSERT_EQ(rt_manual_clock_settle(m, 1, SETTLE_MS), 0); /* asleep again, at 499 */
  ASSERT_EQ(atomic_load(&s.woke), 0);
  rt_manual_clock_advance(m, 1);
  pthread_join(th, NULL);
  ASSERT_EQ(atomic_load(&s.woke), 1);
  rt_manual_clock_free(&m);
}

/* ---- queries in clock time ------------------------------------------------ */

enum { MAX_WINDOWS = 64 };

typedef struct tape {
  pthread_mutex_t mu;
  int windows;                      /* window results seen */
  int64_t start[MAX_WINDOWS];       /* their window_start, in order */
  double n[MAX_WINDOWS];            /* their count */
  bool partial[MAX_WINDOWS];
  int statuses;                     /* on_status calls */
  uint64_t status_records;          /* records_in at the last status */
  int ends;
  rt_query_state end_state;
  uint64_t end_records;
} tape;

static void on_update(void *ud, const rt_query_info *q, const rt_update *u) {
  (void)q;
  tape *t = ud;
  if (u->kind != RT_RESULT_WINDOW)
    return;
  pthread_mutex_lock(&t->mu);
  if (t->windows < MAX_WINDOWS) {
    int col = rt_result_col_index(u->result, "n");
    double n = 0;
    for (size_t i = 0; i < rt_result_nrows(u->result); i++)
      n += rt_result_get(u->result, i, col).u.num;
    t->start[t->windows] = u->window_start;
    t->n[t->windows] = n;
    t->partial[t->windows] = u->partial;
  }
  t->windows++;
  pthread_mutex_unlock(&t->mu);
}

static void on_status(void *ud, const rt_query_info *q, const rt_query_stats *st) {
  (void)q;
  tape *t = ud;
  pthread_mutex_lock(&t->mu);
  t->statuses++;
  t->status_records = st->records_in;
  pthread_mutex_unlock(&t->mu);
}

static void on_end(void *ud, const rt_query_info *q, const rt_query_stats *st, const rt_err *e) {
  (void)q;
  (void)e;
  tape *t = ud;
  pthread_mutex_lock(&t->mu);
  t->ends++;
  t->end_state = st->state;
  t->end_records = st->records_in;
  pthread_mutex_unlock(&t->mu);
}

static const rt_output_ops TAPE_OPS = {.on_update = on_update, .on_status = on_status,
                                       .on_end = on_end};

typedef struct rig {
  rt_manual_clock *m;
  rt_runtime *rt;
  tape t;
} rig;

static void rig_start(rig *r, const char *query) {
  memset(r, 0, sizeof(*r));
  pthread_mutex_init(&r->t.mu, NULL);
  r->m = rt_manual_clock_new(1000000000LL, T0_MS);
  r->rt = rt_runtime_new();
  rt_runtime_set_clock(r->rt, rt_manual_clock_get(r->m));
  rt_err err;
  ASSERT_EQ(rt_runtime_set(r->rt, "batch", "100ms", &err), 0);
  ASSERT_EQ(rt_runtime_set(r->rt, "refresh", "500ms", &err), 0);
  rt_exec_opts o = {.cell = "c", .ops = &TAPE_OPS, .ud = &r->t, .nowait = true};
  ASSERT_EQ(rt_runtime_exec(r->rt, query, strlen(query), &o, &err), 0);
  ASSERT_EQ(rt_manual_clock_settle(r->m, 1, SETTLE_MS), 0);
}

/* Moves the clock forward in steps of step_ms, settling after each. */
static void rig_run(rig *r, int steps, int64_t step_ms) {
  for (int i = 0; i < steps; i++) {
    rt_manual_clock_advance(r->m, step_ms);
    ASSERT_EQ(rt_manual_clock_settle(r->m, 1, SETTLE_MS), 0);
  }
}

static void rig_stop(rig *r) {
  rt_runtime_free(&r->rt); /* stops the query: after this, nothing reads the clock */
  rt_manual_clock_free(&r->m);
  pthread_mutex_destroy(&r->t.mu);
}

/* `demo sensors rate 100` hands over exactly 100 records per second of clock
 * time, and a 1 s processing-time window holds exactly them: the windows
 * close in order, one per second, none early, none twice. */
static void test_pacing_and_processing_time_windows(void) {
  rig r;
  rig_start(&r, "demo sensors rate 100 devices 4 | window 1s | agg count() as n");
  rig_run(&r, 9, 100); /* 0.9 s: the first window is still open */
  ASSERT_EQ(r.t.windows, 0);
  rig_run(&r, 1, 100);
  ASSERT_EQ(r.t.windows, 1);
  rig_run(&r, 40, 100); /* 5 s */
  ASSERT_EQ(r.t.windows, 5);
  for (int i = 0; i < 5; i++) {
    ASSERT_EQ(r.t.start[i], T0_MS + i * 1000LL);
    ASSERT(!r.t.partial[i]);
  }
  /* record i is due at i * 10 ms and polled every 100 ms (batch): the first
   * window holds the 91 due by its last poll at 900 ms, each next one 100 */
  ASSERT_NEAR(r.t.n[0], 91, 0);
  for (int i = 1; i < 5; i++)
    ASSERT_NEAR(r.t.n[i], 100, 0);
  /* two status reports per clock second (refresh 500ms) */
  ASSERT_EQ(r.t.statuses, 10);
  rig_stop(&r);
  ASSERT_EQ(r.t.ends, 1);
  ASSERT_EQ(r.t.end_state, RT_QUERY_STOPPED);
  /* the stop closes the open window as partial: it holds the poll at 5.0 s
   * (501 due by then, 491 counted before) */
  ASSERT_EQ(r.t.windows, 6);
  ASSERT(r.t.partial[5]);
  ASSERT_NEAR(r.t.n[5], 10, 0);
  ASSERT_EQ(r.t.end_records, 501);
}

/* A clock that stands still gives a query nothing new: no records past the
 * first, no windows, however long real time runs. */
static void test_time_stands_still(void) {
  rig r;
  rig_start(&r, "demo sensors rate 1000 | window 100ms | agg count() as n");
  for (int i = 0; i < 20; i++)
    ASSERT_EQ(rt_manual_clock_settle(r.m, 1, SETTLE_MS), 0);
  ASSERT_EQ(r.t.windows, 0);
  rt_query_row row;
  ASSERT_EQ(rt_runtime_list(r.rt, &row, 1), 1);
  ASSERT(row.stats.records_in <= 1);
  rig_stop(&r);
}

/* `for 2s` ends the query after 2 s of clock time: still running at 1.9 s,
 * done at 2 s, its windows closed as complete (DONE, never partial), and
 * every record it read counted once. */
static void test_for_duration(void) {
  rig r;
  rig_start(&r, "demo sensors rate 50 | window 500ms | agg count() as n | for 2s");
  rig_run(&r, 19, 100);
  ASSERT_EQ(r.t.ends, 0);
  rt_manual_clock_advance(r.m, 100);
  ASSERT_EQ(rt_runtime_wait(r.rt, 0, SETTLE_MS), 0);
  ASSERT_EQ(r.t.ends, 1);
  ASSERT_EQ(r.t.end_state, RT_QUERY_DONE);
  /* 50/s polled every 100 ms: 21 records by 400 ms, 25 per half second
   * after, and the last poll at 2.0 s opens a fifth window with 5 */
  static const double want[] = {21, 25, 25, 25, 5};
  ASSERT_EQ(r.t.windows, 5);
  for (int i = 0; i < 5; i++) {
    ASSERT_EQ(r.t.start[i], T0_MS + i * 500LL);
    ASSERT(!r.t.partial[i]);
    ASSERT_NEAR(r.t.n[i], want[i], 0);
  }
  ASSERT_EQ(r.t.end_records, 101);
  rig_stop(&r);
}

int main(void) {
  TEST_RUN(test_manual_clock_basics);
  TEST_RUN(test_sleep_follows_the_clock);
  TEST_RUN(test_pacing_and_processing_time_windows);
  TEST_RUN(test_time_stands_still);
  TEST_RUN(test_for_duration);
  return test_summary();
}
