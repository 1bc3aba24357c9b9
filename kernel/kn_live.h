/*
 * Live displays: the kernel's side of a running query's output. kn_live
 * implements the runtime's rt_output_ops (rt_query.h): each query gets one
 * display in the notebook, a display_data with a display_id when it starts
 * (a "waiting for data" chart, an empty table, or a status line for `into`
 * outputs), then update_display_data messages for that id as results come.
 *
 * Rules it keeps (docs/live.md; the Jupyter messaging spec on
 * update_display_data):
 *   - publishing goes through kn_iopub_publish() from the query's thread; the
 *     publisher thread is the only writer of the socket;
 *   - a redraw happens at most once per `refresh` (read on every redraw, so
 *     `%set refresh` applies to running queries too), and only between
 *     results, never mid-window; an update the throttle held back is drawn at
 *     the next result, the next status tick or the end, never left stale;
 *   - every message carries text/plain besides the PNG or HTML;
 *   - parent_header is the execute_request of the cell that started the
 *     query, copied when the cell ran, so updates never land in another cell;
 *   - display ids are "eddy-<hash of cell id>-<query index>": a re-run of a
 *     cell reuses them. Its first output is a fresh display_data (front ends
 *     clear a cell's outputs when it runs again, and an update for an id with
 *     no output on the page shows nothing), and every later redraw an update;
 *   - chart memory is bounded by kn_chart's ring (`window_ring` results);
 *   - windows cut short by a stop (rt_update.partial) are not drawn in a
 *     chart (their low counts would read as a fall); a table shows them, and
 *     the footer says how many were partial either way;
 *   - a chart's series keep their colours for the display's life (kn_chart).
 *
 * Thread-safety: the ops may be called from any number of query threads at
 * once; the setters and kn_live_begin_cell() from the kernel's shell thread.
 */
#ifndef EDDY_KN_LIVE_H
#define EDDY_KN_LIVE_H

#include "kn_iopub.h"
#include "kn_wire.h"
#include "rt_clock.h"
#include "rt_output.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kn_live kn_live;

/* Makes the live displays of one kernel session. Caller owns it; free with
 * kn_live_free() after every query using its ops has ended. */
kn_live *kn_live_new(void);

/* Frees it (displays of queries still open are dropped, their last output
 * stays in the notebook); NULLs *live. Accepts NULL. */
void kn_live_free(kn_live **live);

/* The output callbacks; pass the kn_live as their user data. Static. */
const rt_output_ops *kn_live_ops(void);

/*
 * Records that cell (its id; copied) is about to run with parent (its
 * execute_request header; copied) and publisher iopub (borrowed; must
 * outlive every query). Queries the cell starts take their parent from here.
 * The most recent 256 cells are remembered.
 */
void kn_live_begin_cell(kn_live *live, const char *cell, kn_iopub *iopub,
                        const kn_frame *parent);

/* The clock that times redraws against the refresh interval (NULL: the
 * system's; borrowed, must outlive every query). Set it before queries
 * start, to the clock the runtime's queries read (rt_runtime_set_clock):
 * tests drive both. */
void kn_live_set_clock(kn_live *live, const rt_clock *c);

/* The redraw interval (>= 1 ms) of displays whose query gives none
 * (rt_query_info.refresh_ms 0; a query's own refresh wins), and the number
 * of results a chart keeps (`%set window_ring`). Both apply to queries
 * started afterwards. */
void kn_live_set_refresh(kn_live *live, int64_t refresh_ms);
void kn_live_set_ring(kn_live *live, size_t ring);

/* The number of results a chart keeps. */
size_t kn_live_ring(kn_live *live);

/* Counters for tests and benchmarks. */
typedef struct kn_live_stats {
  uint64_t redraws;       /* display messages published */
  uint64_t deferred;      /* updates the throttle held back */
  uint64_t render_errors; /* charts that failed to render */
} kn_live_stats;

void kn_live_get_stats(kn_live *live, kn_live_stats *out);

/* The display id of query index of cell into out (at least 48 bytes). */
void kn_live_display_id(const char *cell, int index, char *out, size_t outsz);

#endif
