/*
 * Error codes and error details shared by every Eddy module.
 *
 * Functions return 0 on success or a negative RT_E* code, and fill an optional
 * caller-allocated rt_err with a readable message (and, for the DSL, a source
 * position). The code list is one X-macro so the enum, rt_strerror() and
 * rt_errname() can never disagree. Codes are append-only: never renumber or
 * reuse one, because they may be logged, compared and persisted.
 */
#ifndef EDDY_RT_ERR_H
#define EDDY_RT_ERR_H

#include <stddef.h>

/* XX(name, number, description) */
#define RT_ERRNO_MAP(XX)                                                      \
  XX(OK, 0, "success")                                                        \
  XX(EINVAL, -1, "invalid argument")                                          \
  XX(ESYNTAX, -2, "syntax error")                                             \
  XX(ETYPE, -3, "type error")                                                 \
  XX(EIO, -4, "input/output error")                                           \
  XX(ENET, -5, "network error")                                               \
  XX(ETIMEDOUT, -6, "operation timed out")                                    \
  XX(ETHROTTLED, -7, "request throttled by the server")                       \
  XX(EPROTO, -8, "protocol error")                                            \
  XX(ENOTFOUND, -9, "not found")                                              \
  XX(EEXIST, -10, "already exists")                                           \
  XX(ETOOBIG, -11, "value too large")                                         \
  XX(EBADREC, -12, "malformed record")                                        \
  XX(ESTOPPED, -13, "stopped")                                                \
  XX(EINTR, -14, "interrupted")                                               \
  XX(EUNSUPPORTED, -15, "not supported")                                      \
  XX(ESERVER, -16, "server error")                                            \
  XX(EAUTH, -17, "authentication failed")                                     \
  XX(ECONFLICT, -18, "conditional update failed")                             \
  XX(EEOF, -19, "end of stream")                                              \
  XX(EMEMORY, -20, "memory budget exceeded")

enum {
#define RT__ERR_ENUM(name, num, desc) RT_##name = (num),
  RT_ERRNO_MAP(RT__ERR_ENUM)
#undef RT__ERR_ENUM
};

/*
 * Details of a failure. Callers allocate it (usually on the stack) and pass a
 * pointer; NULL means "no details wanted". Positions are 1-based line/column
 * and 0-based byte offset/length into the source text, or 0 when unknown.
 */
typedef struct rt_err {
  int code;      /* the RT_E* code, 0 when no error was recorded */
  int line, col; /* 1-based position of the offending text, 0 if none */
  int off, len;  /* byte span of the offending text in the source */
  char msg[512]; /* human-readable message, NUL-terminated */
} rt_err;

/* Returns the static description of code ("invalid argument"); never NULL. */
const char *rt_strerror(int code);

/* Returns the static symbolic name of code ("RT_EINVAL"); never NULL. */
const char *rt_errname(int code);

/*
 * Records code and a printf-style message in err (if err is not NULL) and
 * returns code, so callers can write `return rt_err_set(err, RT_EIO, ...)`.
 * The position fields are cleared.
 */
int rt_err_set(rt_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Like rt_err_set() but also records the byte span [off, off+len) of src,
 * computing line and column from src. src may be NULL (no position).
 */
int rt_err_set_at(rt_err *err, int code, const char *src, int off, int len,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Clears err to "no error". Accepts NULL. */
void rt_err_clear(rt_err *err);

/*
 * Renders err against src as "line N, column M: msg\n  <source line>\n  ^^^"
 * into out (at most outsz bytes, always NUL-terminated). Without a position
 * only the message is written. Returns the length that was needed, like
 * snprintf.
 */
int rt_err_render(const rt_err *err, const char *src, char *out, size_t outsz);

#endif
