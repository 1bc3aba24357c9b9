/*
 * rt_merger: the merging side of scale-out. Workers run the same query
 * with rt_window_opts.emit_partials, so each window they close comes out as
 * rows of (window_start, window_end, keys, serialized partial state) instead
 * of final values. A merger built from the same options folds those rows
 * from any number of workers, per window and key, with rt_aggset_merge, and
 * emits final results shaped exactly like a single process's window results
 * (window_start, window_end, keys, aggregates). Because every state merges
 * exactly (counts, sums, moments, min/max, first/last by time) or as a sketch
 * of the union (HyperLogLog, KLL), the merged result is the result over all
 * workers' records.
 *
 * The merger does not know how many workers there are: its caller decides
 * when a window is complete (all workers reported, or a deadline passed) and
 * calls rt_merger_emit() with that window end.
 */
#ifndef EDDY_RT_MERGER_H
#define EDDY_RT_MERGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_err.h"
#include "rt_result.h"
#include "rt_value.h"
#include "rt_window.h"

typedef struct rt_merger rt_merger;

/* Creates a merger for the workers' window options (kind must be SLIDING;
 * emit_partials is ignored). Returns NULL and fills err (RT_EINVAL) when the
 * options are invalid. Caller owns it; free with rt_merger_free(). */
rt_merger *rt_merger_new(const rt_window_opts *opts, rt_err *err);

/* Frees the merger and every window it holds; NULLs *m. Accepts NULL. */
void rt_merger_free(rt_merger **m);

/* Merges one partial: the window [start, end), the nkeys key values
 * (borrowed) and the state bytes data[0..len). Returns 0, or RT_EBADREC when
 * the bytes are not a state of these aggregates (nothing merged). */
int rt_merger_add(rt_merger *m, int64_t start, int64_t end, const rt_value *keys,
                  const void *data, size_t len, rt_err *err);

/* Merges every row of a worker's partial result (as emitted with
 * emit_partials). Returns 0, or the first error (earlier rows stay merged). */
int rt_merger_add_result(rt_merger *m, const rt_result *partials, rt_err *err);

/* Emits every held window whose end <= end_upto (all of them when all is
 * true), in order of start, one result per window, and forgets them.
 * Returns the number of results handed to emit (which owns each). */
int rt_merger_emit(rt_merger *m, int64_t end_upto, bool all,
                   rt_window_emit_fn emit, void *ctx);

/* Windows currently held. */
size_t rt_merger_pending(const rt_merger *m);

#endif
