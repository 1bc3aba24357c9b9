/*
 * The logger. One fprintf per message keeps lines from different threads
 * whole (stdio locks the stream per call).
 */
#include "rt_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int rt__log_level = RT_LOG_WARN;

void rt_log_set_level(int level) { rt__log_level = level; }

void rt_log_init(void) {
  const char *v = getenv("EDDY_LOG");
  if (!v)
    return;
  static const char *names[] = {"error", "warn", "info", "debug"};
  for (int i = 0; i < 4; i++)
    if (strcmp(v, names[i]) == 0)
      rt__log_level = i;
}

void rt__log_write(int level, const char *file, int line, const char *fmt, ...) {
  static const char *tags[] = {"E", "W", "I", "D"};
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);

  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  int modlen = (int)strcspn(base, ".");

  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  fprintf(stderr, "%02d:%02d:%02d.%03ld %s %.*s:%d %s\n", tm.tm_hour,
          tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, tags[level & 3], modlen,
          base, line, msg);
}
