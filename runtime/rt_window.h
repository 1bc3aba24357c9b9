/*
 * rt_window: the stateful operator behind `window ... | agg ...`,
 * `session ... | agg ...` and a bare `agg ...` (running totals). The
 * pipeline evaluates the group keys and the aggregate arguments of each
 * record and calls rt_window_add(); on each tick it calls
 * rt_window_advance(), which hands finished window results to a callback;
 * when a bounded source ends it calls rt_window_close_all().
 *
 * Sliding and tumbling windows (docs/language.md): windows are [start, start +
 * size), epoch-aligned, starting on multiples of the slide, so a record
 * belongs to size/slide windows. State is kept per pane (pane = gcd(size,
 * slide)): a record updates exactly one pane's partial aggregates for its
 * group, and a window's result merges its size/pane panes per group. State
 * grows with groups x live panes, never with records.
 *
 * Time: with event_time, the times given to add() are event times; a window
 * is emitted once its end <= (max event time seen - watermark_ms). A record
 * whose every window has already been emitted is dropped and counted as
 * late; a record that still belongs to some unemitted window is kept (it
 * then counts in those windows only). A caller that knows better (several
 * source partitions read at different speeds, rt_pipeline.h) gives the
 * watermark itself with rt_window_advance_to(). Without event_time, the times given
 * to add() are processing times (the batch clock) and a window is emitted
 * once its end <= now.
 *
 * Sessions: per group key, a session grows while records arrive less than
 * gap_ms apart and is emitted once (max event time - watermark_ms), or now
 * for processing time, reaches last record + gap. window_start is its first
 * record's time, window_end its last record's time + gap. Out-of-order
 * records that bridge two open sessions of a key merge them.
 *
 * Running (no window): one state per group for the whole stream; each
 * advance emits the current totals when any record arrived since the last
 * emission, and close_all emits the final totals.
 *
 * Not thread-safe: one query drives its operator from one thread.
 */
#ifndef EDDY_RT_WINDOW_H
#define EDDY_RT_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_agg.h"
#include "rt_buf.h"
#include "rt_err.h"
#include "rt_result.h"
#include "rt_value.h"

/* Times, lengths and watermarks are limited to +-1e15 ms (about 31,000
 * years) so window arithmetic can never overflow; add() counts a record
 * with a time outside that range as late. */
#define RT_WINDOW_TIME_LIMIT_MS INT64_C(1000000000000000)

typedef enum rt_window_kind {
  RT_WINDOW_SLIDING, /* window D [every S]: tumbling when slide == size */
  RT_WINDOW_SESSION, /* session GAP */
  RT_WINDOW_RUNNING, /* agg with no window before it */
} rt_window_kind;

/* Configuration; every pointer is borrowed for the rt_window_new() call
 * only (names and specs are copied). */
typedef struct rt_window_opts {
  rt_window_kind kind;
  int64_t size_ms;          /* SLIDING: window length, > 0 */
  int64_t slide_ms;         /* SLIDING: 0 or == size_ms for tumbling; else
                             * 0 < slide_ms <= size_ms */
  int64_t gap_ms;           /* SESSION: > 0 */
  bool event_time;          /* add() times are event times (else processing) */
  int64_t watermark_ms;     /* event time: allowed lateness, >= 0 */
  int nkeys;                /* number of group keys (0: one group) */
  const char *const *key_names; /* nkeys result column names */
  int naggs;                /* number of aggregates, >= 1 */
  const rt_agg_spec *aggs;  /* naggs aggregates (arg indexes into args) */
  const char *const *agg_names; /* naggs result column names */
  bool emit_partials;       /* SLIDING only, for scale-out: results carry
                             * window_start, window_end, the keys and one
                             * RT_PARTIAL_COLUMN of serialized partial state
                             * (binary bytes in an RT_STRING) instead of the
                             * aggregates; rt_merger (rt_merger.h) merges
                             * them across workers */
} rt_window_opts;

/* The column of a partial result that holds the serialized states. */
#define RT_PARTIAL_COLUMN "partial"

typedef struct rt_window rt_window;

/* The pane of a sliding window of size_ms every slide_ms (both > 0): their
 * greatest common divisor, the unit of partial state. The DSL checks a
 * window's pane count with it, so parser and operator cannot disagree. */
int64_t rt_window_pane_ms(int64_t size_ms, int64_t slide_ms);

/* Receives one finished result; the callee owns it (rt_result_free). For
 * SLIDING, one call per window, in order of window start; for SESSION and
 * RUNNING, one call per advance holding every row it emits. */
typedef void (*rt_window_emit_fn)(void *ctx, rt_result *res);

/* Creates the operator. Returns NULL and fills err (RT_EINVAL) when opts are
 * inconsistent (size <= 0, slide > size, gap <= 0, ...). Caller owns the
 * result; free with rt_window_free(). */
rt_window *rt_window_new(const rt_window_opts *opts, rt_err *err);

/* Frees the operator and all its state (open windows are discarded, not
 * emitted); NULLs *w. Accepts NULL. */
void rt_window_free(rt_window **w);

/*
 * Adds one record: keys[0..nkeys) its group key values, args the evaluated
 * aggregate arguments (indexed by the specs' arg; may be NULL when no spec
 * has an argument), time_ms its event time (event_time) or the processing
 * time. All values are borrowed for the call; strings are copied as needed.
 * Returns true, or false when the record was late and dropped (counted).
 */
bool rt_window_add(rt_window *w, const rt_value *keys, const rt_value *args,
                   int64_t time_ms);

/*
 * Emits every result that is complete at processing time now_ms (ignored
 * with event_time: the max event time seen minus the watermark decides) and
 * drops the state no later window needs. Returns the number of results
 * handed to emit.
 */
int rt_window_advance(rt_window *w, int64_t now_ms, rt_window_emit_fn emit,
                      void *ctx);

/*
 * Event time, for a caller that tracks the watermark itself (rt_pipeline
 * does, per source partition, when a source has several): emits every
 * result complete at watermark wm_ms, exactly as advance() does at (max
 * event time seen - watermark_ms), and drops the state no later window
 * needs; records at or behind it are late from then on. A watermark at or
 * below an earlier one emits nothing. The caller then drives every advance
 * this way (advance() would use the max event time again). Returns the
 * number of results handed to emit; 0 without event_time.
 */
int rt_window_advance_to(rt_window *w, int64_t wm_ms, rt_window_emit_fn emit,
                         void *ctx);

/* Emits everything still open (bounded source ended) as if time had run to
 * the end; the operator is empty afterwards and late-drops every later
 * record. Returns the number of results handed to emit. */
int rt_window_close_all(rt_window *w, rt_window_emit_fn emit, void *ctx);

/* Counters for %queries and tests. */
typedef struct rt_window_stats {
  uint64_t records; /* records accepted by add() */
  uint64_t late;    /* records dropped as late */
  size_t panes;     /* live panes (SLIDING), open sessions (SESSION) */
  size_t groups;    /* live group states summed over panes/sessions */
} rt_window_stats;

/* Fills stats with the operator's current counters (cheap: O(live panes)). */
void rt_window_get_stats(const rt_window *w, rt_window_stats *stats);

/* Heap bytes the operator's state holds (tables, key copies, sketches,
 * strings kept by min/max/first/last, sessions), for the memory budget.
 * The tables are measured each call, in O(live panes). What only a walk
 * over every group can measure (what aggregates own, sessions) is walked
 * again once as many records as there are groups (at least 4096) came since
 * the last walk, or when groups went since the last call: amortized O(1)
 * per record. In between, new groups count at the last walk's bytes per
 * group, and growth inside old groups (sketches filling) shows at the next
 * walk. */
size_t rt_window_memory(rt_window *w);

/*
 * Checkpoints. rt_window_save() appends the whole operator state (open panes
 * or sessions or running groups, with their partial aggregates and keys,
 * the emitted-up-to point, counters) to out as portable bytes. Returns 0 or
 * RT_ETOOBIG when out's cap is reached.
 *
 * rt_window_restore() loads such bytes into w, which must be freshly made by
 * rt_window_new() with the same options (same query) and not yet fed.
 * Returns 0, or RT_EBADREC / RT_EINVAL with err filled when the bytes are
 * malformed or were saved by a different kind of window; w is then empty.
 */
int rt_window_save(const rt_window *w, rt_buf *out);
int rt_window_restore(rt_window *w, const void *data, size_t len, rt_err *err);

#endif
