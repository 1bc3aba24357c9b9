/*
 * The clock the runtime reads. Everything that depends on the passing of
 * time (batch ticks, processing-time windows, refresh, `for D`, the demo
 * source's rate, the Kinesis reader's pacing and backoff, lease expiry)
 * reads an rt_clock instead of the system clocks, so that tests can drive
 * time by hand, as stream engines' test harnesses do, and assert on what
 * happens at each instant instead of on how long things took.
 *
 * A NULL clock is the system's everywhere: production code passes NULL.
 */
#ifndef EDDY_RT_CLOCK_H
#define EDDY_RT_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct rt_clock rt_clock;

/* Monotonic nanoseconds of clock c (NULL: the system's). Thread-safe. */
int64_t rt_clock_mono_ns(const rt_clock *c);

/* Wall-clock milliseconds since the epoch of clock c (NULL: the system's).
 * Thread-safe. */
int64_t rt_clock_wall_ms(const rt_clock *c);

/* Blocks until ns of c's time have passed (a manual clock: until it has
 * been advanced that far, by another thread). Thread-safe. */
void rt_clock_sleep_ns(const rt_clock *c, int64_t ns);

/*
 * One wait on cv (mu held by the caller, as for pthread_cond_wait) until
 * c's monotonic time reaches until_ns, or cv is signalled, or spuriously:
 * the caller loops on its own condition. Returns at once when until_ns has
 * come. On a manual clock the thread counts as settled at the clock's
 * current time while it waits (see rt_manual_clock_settle).
 */
void rt_clock_cond_wait(const rt_clock *c, pthread_cond_t *cv, pthread_mutex_t *mu,
                        int64_t until_ns);

/* True for a manual clock. */
bool rt_clock_is_manual(const rt_clock *c);

/*
 * A manual clock for tests: time stands still until rt_manual_clock_advance
 * moves it. Starts at mono_ns and wall_ms. Caller owns it; free with
 * rt_manual_clock_free() after everything that reads it has stopped.
 */
typedef struct rt_manual_clock rt_manual_clock;

rt_manual_clock *rt_manual_clock_new(int64_t mono_ns, int64_t wall_ms);

/* The clock to hand to the runtime (borrowed; valid until the free). */
const rt_clock *rt_manual_clock_get(rt_manual_clock *m);

/* Moves both times forward by ms and wakes rt_clock_sleep_ns callers whose
 * time has come. Thread-safe. */
void rt_manual_clock_advance(rt_manual_clock *m, int64_t ms);

/* Waits until n threads wait on the clock (rt_clock_cond_wait or
 * rt_clock_sleep_ns) having seen its current time: everything due so far
 * has been done. Gives up after timeout_ms of real time. Returns 0, or
 * RT_ETIMEDOUT. A test advances, then settles, then asserts. */
int rt_manual_clock_settle(rt_manual_clock *m, int n, int64_t timeout_ms);

/* Frees *m and NULLs it. Accepts NULL. */
void rt_manual_clock_free(rt_manual_clock **m);

#endif
