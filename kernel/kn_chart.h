/*
 * A live chart's data: the chart frames of a query's last N results (a ring,
 * so memory stays bounded however long the query runs) turned into a
 * plot_spec. This is the mapping from query output to chart, and it lives in
 * the kernel so that plotting stays free of queries and the runtime free of
 * charts. Pure: no I/O, no clock, no threads; one kn_chart per live chart,
 * fed and drawn from one thread (the query's).
 *
 * How a frame (columns x, y..., [by]) becomes a chart:
 *   - a series per y column, or per `by` value (named by the value; with
 *     several y columns, "y: value"), in order of first appearance in the ring;
 *   - x values that are times make a time axis (ms); numbers a numeric axis;
 *     strings are categories: the chart then shows the newest result only
 *     (a bar per category; a categorical axis over many windows means
 *     nothing), labelled by the strings;
 *   - windows are kept by [start, end): a result for a window already in the
 *     ring replaces it (a late update), otherwise it is appended and the
 *     oldest window falls out past the ring size or the point cap;
 *   - running totals replace the whole frame (they are cumulative); record
 *     batches are appended like windows;
 *   - partial windows (rt_update.partial: cut short by a stop) are not
 *     kept: their low counts would read as a fall at the end of the chart;
 *   - past KN_CHART_MAX_SERIES series: when every y is a count() or sum()
 *     (rt_output_desc.y_additive) the rest are summed into "other"; otherwise
 *     summing means nothing (12 averages do not add up to a temperature), so
 *     the top KN_CHART_MAX_SERIES by mean y over the ring are drawn and the
 *     legend says "+N more series". The shown set is kept between redraws
 *     unless a newcomer's mean beats a member's by KN_CHART_HYSTERESIS;
 *   - each series name keeps its colour for the chart's life (a live
 *     display's), whatever else comes, goes or reorders; a new series takes
 *     the first colour no drawn series holds;
 *   - the KPI tile: a running aggregate (no window) with one y, no `by` and a
 *     one-row result has no useful line to draw (one point that moves), so it
 *     draws PLOT_KPI: the value, its change since the previous update and a
 *     sparkline of the last N values.
 */
#ifndef EDDY_KN_CHART_H
#define EDDY_KN_CHART_H

#include "plot.h"
#include "rt_buf.h"
#include "rt_output.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Points kept over the whole ring, whatever its length: the bound on memory
 * for record streams (a batch may hold thousands of rows). */
enum { KN_CHART_MAX_POINTS = 50000, KN_CHART_DEFAULT_RING = 120,
       KN_CHART_TEXT_ROWS = 20,
       KN_CHART_MAX_SERIES = 8,   /* series drawn; the rest are folded */
       KN_CHART_COLORS = 8,       /* plotting's palette size */
       KN_CHART_MAX_COLORS = 256  /* series names whose colour is remembered */ };

/* A series outside the shown set replaces a member only when its mean is
 * higher by more than this fraction. */
#define KN_CHART_HYSTERESIS 0.10

typedef struct kn_chart kn_chart;

/*
 * Makes the chart of a query's output desc (borrowed; must outlive the
 * chart, as the query's rt_output_desc does until on_end returns). ring is
 * the number of results kept (0: KN_CHART_DEFAULT_RING). Caller owns it; free
 * with kn_chart_free().
 */
kn_chart *kn_chart_new(const rt_output_desc *desc, size_t ring);

/* Frees the chart; NULLs *chart. Accepts NULL. */
void kn_chart_free(kn_chart **chart);

/* Folds an update into the ring (copies what it keeps; u is borrowed for the
 * call). Updates without a chart frame, and partial windows, are ignored;
 * returns false for those. */
bool kn_chart_add(kn_chart *chart, const rt_update *u);

/*
 * Fills spec (zeroed first) for the chart as it is now, with footer
 * (borrowed; may be NULL). The pointers in spec point into the chart and
 * footer: valid until the next kn_chart_add/kn_chart_spec/kn_chart_free.
 * No data yet gives a spec with no series ("waiting for data").
 */
void kn_chart_spec(kn_chart *chart, const char *footer, plot_spec *spec);

/* Results held in the ring, and points over all of them. */
size_t kn_chart_len(const kn_chart *chart);
size_t kn_chart_points(const kn_chart *chart);

/* Appends the text/plain twin of the chart: a line naming the chart and what
 * it holds, then the newest result's first KN_CHART_TEXT_ROWS rows as text.
 * Returns 0 or RT_ETOOBIG. */
int kn_chart_summary(const kn_chart *chart, rt_buf *out);

/* The plot kind for a chart kind of the language. */
plot_kind kn_chart_plot_kind(rt_chart_kind kind);

#endif
