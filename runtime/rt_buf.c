/*
 * Growable capped buffer. Growth doubles, so appends are amortized O(1).
 */
#include "rt_buf.h"

#include "rt_err.h"
#include "rt_mem.h"

#include <stdio.h>
#include <string.h>

void rt_buf_init(rt_buf *b, size_t max) {
  b->data = NULL;
  b->len = b->cap = 0;
  b->max = max;
}

void rt_buf_free(rt_buf *b) {
  rt_free(b->data);
  rt_buf_init(b, b->max);
}

void rt_buf_clear(rt_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

int rt_buf_reserve(rt_buf *b, size_t extra) {
  if (b->max && (extra > b->max || b->len > b->max - extra))
    return RT_ETOOBIG;
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  b->data = rt_xrealloc(b->data, cap);
  b->cap = cap;
  return 0;
}

int rt_buf_append(rt_buf *b, const void *data, size_t n) {
  if (rt_buf_reserve(b, n) != 0)
    return RT_ETOOBIG;
  if (n)
    memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int rt_buf_puts(rt_buf *b, const char *s) { return rt_buf_append(b, s, strlen(s)); }

int rt_buf_vprintf(rt_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return RT_EINVAL;
  if (rt_buf_reserve(b, (size_t)n) != 0)
    return RT_ETOOBIG;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int rt_buf_printf(rt_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = rt_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

char *rt_buf_take(rt_buf *b, size_t *len) {
  char *p = b->data ? b->data : rt_xstrdup("");
  if (len)
    *len = b->len;
  rt_buf_init(b, b->max);
  return p;
}
