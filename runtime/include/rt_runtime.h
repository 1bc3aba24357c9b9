/*
 * rt_runtime: the session API the kernel and `eddy run` call. One runtime per
 * notebook session (or per `eddy run`). It keeps the `let` definitions of
 * every cell run so far, the session settings (%set), and the running
 * queries; it compiles and runs cells; it lists and stops queries.
 *
 * Running a cell (rt_runtime_exec):
 *   1. The whole cell is parsed and every statement compiled first; an error
 *      anywhere rejects the cell before anything runs (err has the span;
 *      render it with rt_err_render() against the cell text).
 *   2. Queries the same cell started earlier are stopped (a re-run replaces
 *      them), then the statements run in order: a `let` is recorded, a magic
 *      runs (the runtime serves it unless the caller's on_magic does), a query
 *      starts on its own thread. A bounded query (file, demo limit, until
 *      now, for D, a record limit) is waited for before the next statement
 *      and before exec returns; an endless one keeps running in the
 *      background, and exec returns once it has started.
 *   3. Output arrives through rt_output_ops (rt_output.h) on each query's own
 *      thread: on_start, then on_update per result, on_status once per
 *      `refresh`, and on_end once.
 *
 * Thread-safety: rt_runtime_stop(), rt_runtime_stop_cell(),
 * rt_runtime_list() and the formatters may be called from any thread, also
 * while another thread is inside rt_runtime_exec() (that is how an interrupt
 * stops the query a cell is waiting for). Two exec calls must not overlap.
 */
#ifndef EDDY_RT_RUNTIME_H
#define EDDY_RT_RUNTIME_H

#include "rt_buf.h"
#include "rt_clock.h"
#include "rt_err.h"
#include "rt_output.h"
#include "rt_result.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rt_runtime rt_runtime;

/* Creates a runtime with default settings and no queries. Caller owns it;
 * free with rt_runtime_free(). */
rt_runtime *rt_runtime_new(void);

/* Stops every query (each emits its final results and calls on_end), waits
 * for them, and frees everything; NULLs *rt. Accepts NULL. */
void rt_runtime_free(rt_runtime **rt);

/* Makes the queries started from now on read clock c (rt_clock.h) for
 * ticks, refresh, windows, pacing and `for D` instead of the system's
 * (NULL: the system's again). c is borrowed: it must outlive every query
 * started with it. Tests drive time this way. */
void rt_runtime_set_clock(rt_runtime *rt, const rt_clock *c);

/*
 * Names a file that no `into file` of this session may write, and what it is
 * ("the kernel's connection file"): both copied. The output file is compared
 * with it by device and inode once opened, so another path to the same file
 * (a hard link, "..") is refused as well; a file that does not exist yet is
 * compared when it does. The kernel protects its connection file and its
 * history this way.
 */
void rt_runtime_protect_file(rt_runtime *rt, const char *path, const char *what);

/*
 * Sets a session setting from its text, as `%set NAME VALUE` does. The
 * runtime's names: batch (duration >= 100ms, default 1s), refresh (duration
 * >= 100ms, default 1s: how often queries report, and front ends redraw),
 * region, endpoint, dynamodb_endpoint, checkpoint_dir, dir (where relative
 * file paths start), clock (an ISO-8601 time that fixes processing time,
 * for tests and replays; "off" to clear), pace (on, or off: demo sources
 * hand records over as fast as they are polled instead of at their rate,
 * for tests); and the caller's (rt_runtime_add_setting). Strings may be
 * quoted. Returns 0, RT_ENOTFOUND for an unknown name, or RT_EINVAL, with
 * err naming what is wrong.
 */
int rt_runtime_set(rt_runtime *rt, const char *name, const char *value, rt_err *err);

/* Copies the setting's current value (as text; "" when unset) into out.
 * Returns 0 or RT_ENOTFOUND for an unknown name. */
int rt_runtime_get(rt_runtime *rt, const char *name, char *out, size_t outsz);

/* The name of setting i (0, 1, ... in %set's order; the caller's last) and,
 * in *what, a line saying what it does; NULL past the last. Static or
 * borrowed for the runtime's life. */
const char *rt_runtime_setting(const rt_runtime *rt, int i, const char **what);

/* A setting the caller keeps, listed and changed by %set like the
 * runtime's own (the kernel's window_ring: how many windows a live chart
 * keeps, which no query needs to know). */
typedef struct rt_setting_ext {
  const char *name; /* "window_ring" (static) */
  const char *what; /* one line for %set's list (static) */
  /* Checks and applies value (unquoted); 0, or RT_EINVAL with err. */
  int (*set)(void *ud, const char *value, rt_err *err);
  /* Writes the current value as text. */
  void (*get)(void *ud, char *out, size_t outsz);
  void *ud; /* borrowed for the runtime's life */
} rt_setting_ext;

/* Adds a caller's setting (copied). Returns 0, RT_EEXIST when the name is
 * taken, or RT_ETOOBIG past 8 of them. */
int rt_runtime_add_setting(rt_runtime *rt, const rt_setting_ext *s);

/* A magic statement (`%name args...`) as on_magic sees it: names and
 * strings, every pointer borrowed for the call. */
typedef struct rt_magic {
  const char *name;        /* without the %: "queries", "set" */
  int nargs;
  const char *const *args; /* each argument's text: a string's contents,
                            * else its source text */
  const char *rest;        /* the raw text after the name, trimmed ("" if none) */
  const char *src;         /* the cell's text, for error spans (rt_err_set_at) */
  int off, len;            /* the magic's span in src */
} rt_magic;

/* How one cell runs. Every pointer is borrowed for the exec call, except ops
 * and ud, which must stay valid until each query started by the call has
 * called on_end (rt_runtime_free() guarantees that point is reached). */
typedef struct rt_exec_opts {
  const char *cell;          /* the cell's id: re-running it replaces its queries */
  const rt_output_ops *ops;  /* query output (may be NULL: results are dropped) */
  void *ud;                  /* user data for ops and the two below */
  bool nowait;               /* do not wait for bounded queries */
  /* Text a magic produces (%queries table, %set confirmation, %help, ...),
   * one call per magic; caller's thread. */
  void (*on_text)(void *ud, const char *text);
  /* Sees every magic first, and may serve it its own way: return 1 when
   * handled, 0 to let the runtime serve it (%set, %stop, %queries,
   * %streams, %describe, %create, %help), < 0 (RT_E*, with err filled) to
   * fail the cell. Caller's thread. May be NULL. */
  int (*on_magic)(void *ud, const rt_magic *magic, rt_err *err);
  /* Polled (every 50 ms, caller's thread) while exec waits for a bounded
   * query: returning true stops the cell's queries, as an interrupt does
   * (e.g. the kernel's kn_cell_interrupted). May be NULL. */
  bool (*interrupted)(void *ud);
} rt_exec_opts;

/*
 * Runs a cell of len bytes (see the file comment). Returns 0; or a parse or
 * compile error (RT_ESYNTAX, RT_ETYPE, ...) with err at its span, nothing
 * run; or, after some statements ran, the error of a query that could not
 * start or that failed while waited for (err has its message); or RT_EINTR
 * when a bounded query it waited for was stopped (an interrupt).
 */
int rt_runtime_exec(rt_runtime *rt, const char *src, size_t len, const rt_exec_opts *o,
                    rt_err *err);

/* Parses and compiles a cell as rt_runtime_exec() would, against the lets
 * the session holds, and runs nothing. Returns 0 or the error (err at its
 * span). */
int rt_runtime_check(rt_runtime *rt, const char *src, size_t len, rt_err *err);

/* Stops query id (0: all). Returns 0 or RT_ENOTFOUND. Does not wait. */
int rt_runtime_stop(rt_runtime *rt, uint64_t id);

/* Stops the queries started by cell (an interrupt). Returns how many. */
int rt_runtime_stop_cell(rt_runtime *rt, const char *cell);

/* Waits until query id (0: every query) has ended, at most timeout_ms (< 0:
 * forever). Returns 0 or RT_ETIMEDOUT. */
int rt_runtime_wait(rt_runtime *rt, uint64_t id, int64_t timeout_ms);

/* Appends what %aws shows to out: profile, region, the endpoints and where
 * the credentials come from (source, expiry, renewals), with the session's
 * region and endpoints on top; never a secret. Resolves the credentials if
 * no query holds them yet (blocking: STS, SSO, instance metadata). Returns
 * 0, or RT_EINVAL / RT_ETOOBIG for a bad configuration, with err. */
int rt_runtime_aws(rt_runtime *rt, rt_buf *out, rt_err *err);

/* One line of %queries. */
typedef struct rt_query_row {
  uint64_t id;
  char cell[64];
  char source[128];
  rt_query_stats stats;
} rt_query_row;

/* Copies at most max rows of the queries still running into rows; returns
 * the number of running queries (which may exceed max). */
size_t rt_runtime_list(rt_runtime *rt, rt_query_row *rows, size_t max);

/* The %queries table: one row per running query (id, cell, source, state,
 * records in, records/s, lag, bad, late), at most 64. Caller owns it; free
 * with rt_result_free(). Render it with rt_result_format_text() (or as HTML
 * in the kernel). */
rt_result *rt_runtime_queries(rt_runtime *rt);

#endif
