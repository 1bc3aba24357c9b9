/*
 * The system clock (NULL) and the manual clock tests drive. There are only
 * these two kinds, so a flag tells them apart instead of a table of
 * function pointers: the system path is one branch and a clock_gettime.
 */
#include "rt_clock.h"

#include "rt_err.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

struct rt_clock {
  bool manual; /* always true: the system clock is NULL */
};

struct rt_manual_clock {
  rt_clock base;            /* first: rt_clock * converts back */
  int64_t mono0_ns;         /* times at creation */
  int64_t wall0_ms;
  _Atomic int64_t moved_ns; /* advanced since: one word, so mono and wall agree */
  pthread_mutex_t mu;       /* guards gen and settled; with cv: */
  pthread_cond_t cv;        /* sleepers wait for advances, settle for waiters */
  uint64_t gen;             /* advances so far */
  int settled;              /* threads waiting that have seen time gen */
};

/* A manual clock is the only non-NULL kind. */
static rt_manual_clock *manual(const rt_clock *c) { return (rt_manual_clock *)(uintptr_t)c; }

int64_t rt_clock_mono_ns(const rt_clock *c) {
  if (!c)
    return rt_mono_ns();
  const rt_manual_clock *m = manual(c);
  return m->mono0_ns + atomic_load(&manual(c)->moved_ns);
}

int64_t rt_clock_wall_ms(const rt_clock *c) {
  if (!c)
    return rt_wall_ms();
  const rt_manual_clock *m = manual(c);
  return m->wall0_ms + atomic_load(&manual(c)->moved_ns) / 1000000;
}

bool rt_clock_is_manual(const rt_clock *c) { return c != NULL; }

/* A real deadline ns from now, for pthread_cond_timedwait (CLOCK_REALTIME). */
static struct timespec real_deadline(int64_t ns) {
  int64_t at = rt_wall_us() * 1000 + ns;
  return (struct timespec){.tv_sec = (time_t)(at / 1000000000), .tv_nsec = (long)(at % 1000000000)};
}

/* How long a waiter on a manual clock blocks before it looks at the time
 * again: advances do not signal the waiter's own condition variable. */
enum { MANUAL_POLL_NS = 2000000 };

/* Counts the caller as settled at the current time, unless until_ns has
 * come. Returns the generation it settled at, or 0 when it has not. */
static uint64_t settle_in(rt_manual_clock *m, int64_t until_ns) {
  pthread_mutex_lock(&m->mu);
  uint64_t gen = 0;
  if (m->mono0_ns + atomic_load(&m->moved_ns) < until_ns) {
    gen = m->gen + 1; /* + 1: 0 means "not settled" */
    m->settled++;
    pthread_cond_broadcast(&m->cv);
  }
  pthread_mutex_unlock(&m->mu);
  return gen;
}

static void settle_out(rt_manual_clock *m, uint64_t gen) {
  pthread_mutex_lock(&m->mu);
  if (gen == m->gen + 1)
    m->settled--; /* after an advance the count was reset */
  pthread_mutex_unlock(&m->mu);
}

void rt_clock_cond_wait(const rt_clock *c, pthread_cond_t *cv, pthread_mutex_t *mu,
                        int64_t until_ns) {
  int64_t left = until_ns - rt_clock_mono_ns(c);
  if (left <= 0)
    return;
  if (!c) {
    struct timespec ts = real_deadline(left);
    pthread_cond_timedwait(cv, mu, &ts);
    return;
  }
  uint64_t gen = settle_in(manual(c), until_ns);
  if (!gen)
    return;
  struct timespec ts = real_deadline(MANUAL_POLL_NS);
  pthread_cond_timedwait(cv, mu, &ts);
  settle_out(manual(c), gen);
}

void rt_clock_sleep_ns(const rt_clock *c, int64_t ns) {
  if (ns <= 0)
    return;
  if (!c) {
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0) {
    }
    return;
  }
  rt_manual_clock *m = manual(c);
  int64_t until = rt_clock_mono_ns(c) + ns;
  pthread_mutex_lock(&m->mu);
  while (m->mono0_ns + atomic_load(&m->moved_ns) < until) {
    uint64_t gen = m->gen;
    m->settled++;
    pthread_cond_broadcast(&m->cv);
    while (gen == m->gen)
      pthread_cond_wait(&m->cv, &m->mu);
  }
  pthread_mutex_unlock(&m->mu);
}

rt_manual_clock *rt_manual_clock_new(int64_t mono_ns, int64_t wall_ms) {
  rt_manual_clock *m = rt_xcalloc(1, sizeof(*m));
  m->base.manual = true;
  m->mono0_ns = mono_ns;
  m->wall0_ms = wall_ms;
  atomic_init(&m->moved_ns, 0);
  pthread_mutex_init(&m->mu, NULL);
  pthread_cond_init(&m->cv, NULL);
  return m;
}

const rt_clock *rt_manual_clock_get(rt_manual_clock *m) { return &m->base; }

void rt_manual_clock_advance(rt_manual_clock *m, int64_t ms) {
  pthread_mutex_lock(&m->mu);
  atomic_fetch_add(&m->moved_ns, ms * 1000000);
  m->gen++;
  m->settled = 0; /* each waiter has to see the new time first */
  pthread_cond_broadcast(&m->cv);
  pthread_mutex_unlock(&m->mu);
}

int rt_manual_clock_settle(rt_manual_clock *m, int n, int64_t timeout_ms) {
  int64_t end = rt_mono_ns() + timeout_ms * 1000000;
  pthread_mutex_lock(&m->mu);
  while (m->settled < n && rt_mono_ns() < end) {
    struct timespec ts = real_deadline(1000000);
    pthread_cond_timedwait(&m->cv, &m->mu, &ts);
  }
  int ok = m->settled >= n;
  pthread_mutex_unlock(&m->mu);
  return ok ? 0 : RT_ETIMEDOUT;
}

void rt_manual_clock_free(rt_manual_clock **m) {
  if (!m || !*m)
    return;
  pthread_cond_destroy(&(*m)->cv);
  pthread_mutex_destroy(&(*m)->mu);
  rt_free(*m);
  *m = NULL;
}
