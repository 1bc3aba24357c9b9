/*
 * Error codes, messages and caret rendering. Errors are values: a code plus a
 * message a person can act on, with the source position when the text came
 * from the user.
 */
#include "rt_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rt_strerror(int code) {
  switch (code) {
#define RT__ERR_DESC(name, num, desc) \
  case num:                           \
    return desc;
    RT_ERRNO_MAP(RT__ERR_DESC)
#undef RT__ERR_DESC
  }
  return "unknown error";
}

const char *rt_errname(int code) {
  switch (code) {
#define RT__ERR_NAME(name, num, desc) \
  case num:                           \
    return "RT_" #name;
    RT_ERRNO_MAP(RT__ERR_NAME)
#undef RT__ERR_NAME
  }
  return "RT_EUNKNOWN";
}

void rt_err_clear(rt_err *err) {
  if (err)
    memset(err, 0, sizeof(*err));
}

static void err_vset(rt_err *err, int code, const char *fmt, va_list ap) {
  err->code = code;
  vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int rt_err_set(rt_err *err, int code, const char *fmt, ...) {
  if (!err)
    return code;
  rt_err_clear(err);
  va_list ap;
  va_start(ap, fmt);
  err_vset(err, code, fmt, ap);
  va_end(ap);
  return code;
}

/* Computes the 1-based line and column (in bytes) of byte offset off. */
static void locate(const char *src, int off, int *line, int *col) {
  int l = 1, c = 1;
  for (int i = 0; i < off && src[i]; i++) {
    if (src[i] == '\n') {
      l++;
      c = 1;
    } else {
      c++;
    }
  }
  *line = l;
  *col = c;
}

int rt_err_set_at(rt_err *err, int code, const char *src, int off, int len,
                  const char *fmt, ...) {
  if (!err)
    return code;
  rt_err_clear(err);
  va_list ap;
  va_start(ap, fmt);
  err_vset(err, code, fmt, ap);
  va_end(ap);
  err->off = off < 0 ? 0 : off;
  err->len = len < 0 ? 0 : len;
  if (src)
    locate(src, err->off, &err->line, &err->col);
  return code;
}

int rt_err_render(const rt_err *err, const char *src, char *out, size_t outsz) {
  if (!err->line || !src)
    return snprintf(out, outsz, "%s", err->msg);

  const char *start = src;
  for (int l = 1; l < err->line && *start; start++)
    if (*start == '\n')
      l++;
  const char *end = strchr(start, '\n');
  int linelen = end ? (int)(end - start) : (int)strlen(start);

  /* The caret spans the offending text, clipped to the end of its line. */
  int pad = err->col - 1;
  int carets = err->len > 0 ? err->len : 1;
  if (pad > linelen)
    pad = linelen;
  if (pad + carets > linelen + 1)
    carets = linelen + 1 - pad;

  size_t n = 0;
  int want = snprintf(out, outsz, "line %d, column %d: %s\n  %.*s\n  ",
                      err->line, err->col, err->msg, linelen, start);
  if (want < 0)
    return want;
  n = (size_t)want;
  for (int i = 0; i < pad + carets; i++, n++) {
    if (n + 1 < outsz) {
      /* Tabs stay tabs so the caret lines up under tabbed source. */
      out[n] = i < pad ? (start[i] == '\t' ? '\t' : ' ') : '^';
      out[n + 1] = '\0';
    }
  }
  return (int)n;
}
