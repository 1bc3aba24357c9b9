/*
 * Leveled logging to stderr with a UTC timestamp and the module (source file)
 * that logged. Libraries return errors instead of logging them; the caller
 * that decides what to do logs once.
 */
#ifndef EDDY_RT_LOG_H
#define EDDY_RT_LOG_H

enum {
  RT_LOG_ERROR = 0,
  RT_LOG_WARN = 1,
  RT_LOG_INFO = 2,
  RT_LOG_DEBUG = 3,
};

/* The current threshold; messages above it are not formatted at all. */
extern int rt__log_level;

/* Sets the threshold (RT_LOG_*). Defaults to RT_LOG_WARN, or $EDDY_LOG
 * (error|warn|info|debug) when rt_log_init() ran. */
void rt_log_set_level(int level);

/* Reads $EDDY_LOG once; call at program start. */
void rt_log_init(void);

/* Evaluates its arguments only when level is enabled. */
#define rt_log(level, ...)                                \
  do {                                                    \
    if ((level) <= rt__log_level)                         \
      rt__log_write((level), __FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

void rt__log_write(int level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
