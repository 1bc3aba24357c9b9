/*
 * Fault injection for crash tests (rt_crash.h). The one process-wide state
 * in the runtime on purpose: the point and its count come from the
 * environment, fixed for the process's life, and the places that pass a
 * point (checkpoint stores several layers down) have no handle in common
 * that could carry it.
 */
#include "rt_crash.h"

#include "rt_file.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CRASH_UNREAD = 0, CRASH_INERT = 1, CRASH_ARMED = 2 };

static atomic_int crash_state = CRASH_UNREAD;
static pthread_once_t crash_once = PTHREAD_ONCE_INIT;
static char crash_name[64];     /* the armed point */
static long crash_at;           /* the pass that kills (>= 1) */
static atomic_long crash_count; /* passes of the armed point so far */

static void say(const char *line) {
  (void)rt_file_write_all(STDERR_FILENO, line, strlen(line));
}

static void read_env(void) {
  const char *v = getenv("EDDY_CRASH_AT");
  int armed = 0;
  if (v && v[0]) {
    const char *colon = strrchr(v, ':');
    char *end = NULL;
    errno = 0;
    long n = colon ? strtol(colon + 1, &end, 10) : 0;
    size_t len = colon ? (size_t)(colon - v) : 0;
    if (colon && end != colon + 1 && *end == '\0' && errno == 0 && n >= 1 && len > 0 &&
        len < sizeof(crash_name)) {
      memcpy(crash_name, v, len);
      crash_name[len] = '\0';
      crash_at = n;
      armed = 1;
    } else {
      say("eddy: EDDY_CRASH_AT wants POINT:N (N >= 1); ignored\n");
    }
  }
  atomic_store(&crash_state, armed ? CRASH_ARMED : CRASH_INERT);
}

void rt_crash_point(const char *point) {
  if (atomic_load_explicit(&crash_state, memory_order_acquire) == CRASH_INERT)
    return;
  pthread_once(&crash_once, read_env);
  if (atomic_load(&crash_state) != CRASH_ARMED || strcmp(point, crash_name) != 0)
    return;
  long pass = atomic_fetch_add(&crash_count, 1) + 1;
  if (pass != crash_at)
    return;
  char line[160];
  snprintf(line, sizeof(line), "eddy: crash point %s pass %ld: SIGKILL\n", point, pass);
  say(line);
  raise(SIGKILL);
}
