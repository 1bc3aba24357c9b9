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
 *      runs (%set, %stop, %queries here; others through on_magic), a query
 *      starts on its own thread. A bounded query (file, demo limit, until
 *      now, for D, a record limit) is waited for before the next statement
 *      and before exec returns; an endless one keeps running in the
 *      background, and exec returns once it has started.
 *   3. Output arrives through rt_output_ops (rt_query.h) on each query's own
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

#include "dsl_ast.h"
#include "rt_buf.h"
#include "rt_err.h"
#include "rt_query.h"

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
 * Sets a session setting from its text, as `%set NAME VALUE` does. Known
 * names: batch (duration >= 100ms, default 1s), refresh (duration >= 100ms,
 * default 1s), region, endpoint, dynamodb_endpoint, checkpoint_dir, dir
 * (where relative file paths start), clock (an ISO-8601 time that fixes
 * processing time, for tests and replays; "off" to clear), pace (on, or
 * off: demo sources hand records over as fast as they are polled instead
 * of at their rate, for tests), window_ring (results a live chart keeps,
 * 2..100000, default 120; read by the kernel's displays). Strings may be
 * quoted. Returns 0, or RT_EINVAL with err naming what is wrong.
 */
int rt_runtime_set(rt_runtime *rt, const char *name, const char *value, rt_err *err);

/* Copies the setting's current value (as text; "" when unset) into out.
 * Returns 0 or RT_ENOTFOUND for an unknown name. */
int rt_runtime_get(rt_runtime *rt, const char *name, char *out, size_t outsz);

/* How one cell runs. Every pointer is borrowed for the exec call, except ops
 * and ud, which must stay valid until each query started by the call has
 * called on_end (rt_runtime_free() guarantees that point is reached). */
typedef struct rt_exec_opts {
  const char *cell;          /* the cell's id: re-running it replaces its queries */
  const rt_output_ops *ops;  /* query output (may be NULL: results are dropped) */
  void *ud;                  /* user data for ops and the two below */
  bool nowait;               /* do not wait for bounded queries */
  /* Text a magic produces (%queries table, %set confirmation); caller's thread. */
  void (*on_text)(void *ud, const char *text);
  /* Magics the caller handles itself (%streams, %describe, %help, ...): return
   * 1 when handled, 0 to let the runtime try, < 0 (RT_E*, with err filled) to
   * fail the cell. Caller's thread. src is the cell text (for spans). */
  int (*on_magic)(void *ud, const dsl_stmt *magic, const char *src, rt_err *err);
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

/* Waits until every query has ended (eddy run), at most timeout_ms (< 0:
 * forever). Returns 0 or RT_ETIMEDOUT. */
int rt_runtime_wait_all(rt_runtime *rt, int64_t timeout_ms);

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

/* Appends the %queries table as aligned text (html == false) or an HTML
 * table. Returns 0 or RT_ETOOBIG. */
int rt_runtime_format_queries(rt_runtime *rt, bool html, rt_buf *out);

#endif
