/*
 * kn_table: a live table display, what a query shows in a notebook when it
 * ends in `table` (or in no output stage at all). It keeps the latest
 * results (the newest closed window, the current running totals, or the
 * last N records) and renders them as an HTML table with a plain-text twin
 * for display_data (the text through rt_result_format_text(), which
 * `eddy run` prints too). kn_table_html() writes any result as HTML
 * (%queries uses it).
 *
 * Not thread-safe: feed and render it from one thread (the query's own, in
 * the on_update callback).
 */
#ifndef EDDY_KN_TABLE_H
#define EDDY_KN_TABLE_H

#include "rt_buf.h"
#include "rt_output.h"
#include "rt_result.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct kn_table kn_table;

/* Creates a table for a query's output (borrowed for the call): it shows at
 * most `table limit N` rows, else 100 (20 for a record stream). Caller owns
 * it; free with kn_table_free(). */
kn_table *kn_table_new(const rt_output_desc *desc);

/* Frees the table; NULLs *t. Accepts NULL. */
void kn_table_free(kn_table **t);

/* Takes an update into the table (copies what it keeps): a window result
 * replaces the shown rows when it is newer, running totals replace them,
 * records are appended and the oldest dropped past the limit. */
void kn_table_update(kn_table *t, const rt_update *u);

/* Appends the table as HTML (html) or text, with a caption line naming the
 * window ("window 10:00:00.000Z - 10:00:10.000Z"). Returns 0 or RT_ETOOBIG. */
int kn_table_render(const kn_table *t, bool html, rt_buf *out);

/* Appends res as an HTML <table> (every text escaped), at most max_rows
 * rows (0: all; a "... N more rows" line says what was cut). Returns 0 or
 * RT_ETOOBIG. */
int kn_table_html(const rt_result *res, size_t max_rows, rt_buf *out);

#endif
