/*
 * rt_result: one window's (or one advance's) output as a small owned table:
 * named columns and rows of rt_values. Windows and running aggregates produce
 * it; `top`, `sort` and `limit` reorder and cut its rows in place; the table,
 * chart, file and Kinesis sinks read it. Every string in a result is owned by
 * the result (copied in on rt_result_add_row), so a result outlives the
 * batch, the window state and the records it came from. The writers at the
 * end turn it into JSON rows (`into file`, `into kinesis`) or an aligned-text
 * table (`eddy run`, the text twin of the notebook's tables; the notebook's
 * HTML is the kernel's: kernel/kn_table.h).
 *
 * A windowed result has columns window_start, window_end (RT_TIME), then the
 * group keys, then the aggregates, in the order of the `agg` stage. A running
 * result (no window) has the keys and the aggregates only.
 */
#ifndef EDDY_RT_RESULT_H
#define EDDY_RT_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_buf.h"
#include "rt_value.h"

/* What a result is. */
typedef enum rt_result_kind {
  RT_RESULT_WINDOW,  /* a closed window (or a closed session batch) */
  RT_RESULT_RUNNING, /* current totals of a running agg */
  RT_RESULT_RECORDS, /* the records of one batch, when there is no agg */
} rt_result_kind;

typedef struct rt_result rt_result;

/* Creates an empty result with ncols columns named names[0..ncols) (copied).
 * Caller owns it; free with rt_result_free(). */
rt_result *rt_result_new(int ncols, const char *const *names);

/* Frees the result, its rows and strings; NULLs *res. Accepts NULL. */
void rt_result_free(rt_result **res);

/* Number of columns / rows. */
int rt_result_ncols(const rt_result *res);
size_t rt_result_nrows(const rt_result *res);

/* Name of column col (0-based). Borrowed; valid until the result is freed. */
const char *rt_result_col_name(const rt_result *res, int col);

/* Index of the column named name, or -1. */
int rt_result_col_index(const rt_result *res, const char *name);

/* Appends a row of ncols values; strings are copied into the result. */
void rt_result_add_row(rt_result *res, const rt_value *values);

/* Row i (ncols values). Borrowed; valid until the result is changed or
 * freed. Strings point into memory owned by the result. */
const rt_value *rt_result_row(const rt_result *res, size_t i);

/* The value at row i, column col (see rt_result_row for lifetime). */
rt_value rt_result_get(const rt_result *res, size_t i, int col);

/* The window this result covers, when it is a window result: window_start
 * and window_end in ms (set by the window operator; both 0 for running
 * results). Also available as the first two columns of each row. */
void rt_result_set_window(rt_result *res, int64_t start_ms, int64_t end_ms);
int64_t rt_result_window_start(const rt_result *res);
int64_t rt_result_window_end(const rt_result *res);

/* One key of a multi-key sort: a column index, or (col < 0) a per-row value
 * the caller computed, e.g. an evaluated `sort EXPR`: values[i] ranks row i
 * (borrowed for the duration of the call). */
typedef struct rt_sort_key {
  int col;                /* column index, or -1 to use values */
  const rt_value *values; /* nrows values when col < 0, else NULL */
  bool desc;              /* descending when true */
} rt_sort_key;

/* Sorts the rows by keys[0], then keys[1], ... (rt_value_compare order;
 * nulls first ascending, last descending). Stable: ties keep their order. */
void rt_result_sort(rt_result *res, const rt_sort_key *keys, int nkeys);

/* `top N by X [asc|desc]`: keeps the n best rows by key, best first (stable
 * among ties). Same as sort by key then limit n. */
void rt_result_top(rt_result *res, size_t n, rt_sort_key key);

/* `limit N`: keeps the first n rows. */
void rt_result_limit(rt_result *res, size_t n);

/* --- Writing ---------------------------------------------------------------- */

/* Appends row i of res as one JSON object {"col":value,...} (no newline).
 * Returns 0 or RT_ETOOBIG. */
int rt_result_write_json_row(const rt_result *res, size_t i, rt_buf *out);

/* Appends res as aligned text: a header line, a rule, then at most max_rows
 * rows (0: all) and a "... N more rows" line when cut. Numbers are right
 * aligned. Returns 0 or RT_ETOOBIG. */
int rt_result_format_text(const rt_result *res, size_t max_rows, rt_buf *out);


#endif
