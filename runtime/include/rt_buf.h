/*
 * A growable byte buffer with a hard cap, for response bodies, JSON output
 * and anything built piecewise. The cap turns a hostile or broken peer that
 * streams forever into an RT_ETOOBIG error instead of an out-of-memory abort.
 */
#ifndef EDDY_RT_BUF_H
#define EDDY_RT_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* Fields are public so callers can read data/len directly. data is always
 * NUL-terminated (when not NULL) so text can be used as a C string. */
typedef struct rt_buf {
  char *data; /* owned bytes, NULL until the first append */
  size_t len; /* bytes in use, not counting the terminating NUL */
  size_t cap; /* bytes allocated */
  size_t max; /* hard limit on len; 0 means unlimited */
} rt_buf;

/* Initializes an empty buffer that may grow to max bytes (0 = unlimited). */
void rt_buf_init(rt_buf *buf, size_t max);

/* Frees the bytes and leaves an empty buffer with the same max. */
void rt_buf_free(rt_buf *buf);

/* Empties the buffer, keeping its allocation. */
void rt_buf_clear(rt_buf *buf);

/* Ensures room for extra more bytes. Returns 0 or RT_ETOOBIG (buffer unchanged). */
int rt_buf_reserve(rt_buf *buf, size_t extra);

/* Appends n bytes. Returns 0 or RT_ETOOBIG (nothing appended). */
int rt_buf_append(rt_buf *buf, const void *data, size_t n);

/* Appends a NUL-terminated string. Returns 0 or RT_ETOOBIG. */
int rt_buf_puts(rt_buf *buf, const char *s);

/* Appends printf-style text. Returns 0 or RT_ETOOBIG (nothing appended). */
int rt_buf_printf(rt_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int rt_buf_vprintf(rt_buf *buf, const char *fmt, va_list ap);

/* Hands the bytes to the caller (free with rt_free) and empties the buffer.
 * Never NULL: an empty buffer yields "". Stores the length in *len if given. */
char *rt_buf_take(rt_buf *buf, size_t *len);

#endif
