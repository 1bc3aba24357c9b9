/*
 * The table output: what a query shows when it ends in `table` (or in no
 * output stage at all). It keeps the latest results (the newest closed
 * window, the current running totals, or the last N records) and renders
 * them as an HTML table with a plain-text twin for the kernel's
 * display_data, and as aligned text for `eddy run`, through
 * rt_result_format_html() and rt_result_format_text() (rt_result.h).
 *
 * Not thread-safe: feed and render it from one thread (the query's own, in
 * the on_update callback).
 */
#ifndef EDDY_RT_SINK_TABLE_H
#define EDDY_RT_SINK_TABLE_H

#include "rt_buf.h"
#include "rt_query.h"
#include "rt_result.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct rt_sink_table rt_sink_table;

/* Creates a table for a query's output (borrowed for the call): it shows at
 * most `table limit N` rows, else 100 (20 for a record stream). Caller owns
 * it; free with rt_sink_table_free(). */
rt_sink_table *rt_sink_table_new(const rt_output_desc *desc);

/* Frees the table; NULLs *t. Accepts NULL. */
void rt_sink_table_free(rt_sink_table **t);

/* Takes an update into the table (copies what it keeps): a window result
 * replaces the shown rows when it is newer, running totals replace them,
 * records are appended and the oldest dropped past the limit. */
void rt_sink_table_update(rt_sink_table *t, const rt_update *u);

/* Appends the table as HTML (html) or text, with a caption line naming the
 * window ("window 10:00:00.000Z - 10:00:10.000Z"). Returns 0 or RT_ETOOBIG. */
int rt_sink_table_render(const rt_sink_table *t, bool html, rt_buf *out);

#endif
