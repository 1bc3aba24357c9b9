/*
 * rt_session_window: the session-window state behind rt_window's
 * RT_WINDOW_SESSION kind (rt_window.h is the public face; this header is for
 * rt_window.c and tests). Per group key it keeps the open sessions, sorted
 * by start, each with one aggregate block. Records less than gap_ms apart
 * belong to one session; an out-of-order record that lands within gap of two
 * sessions merges them. A session closes when the threshold the caller
 * computes (event time minus watermark, or processing time) reaches
 * last + gap.
 */
#ifndef EDDY_RT_SESSION_WINDOW_H
#define EDDY_RT_SESSION_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_agg.h"
#include "rt_buf.h"
#include "rt_sketch_io.h"
#include "rt_result.h"
#include "rt_value.h"
#include "rt_window.h"

typedef struct rt_session_window rt_session_window;

/* Creates the state. aggs and col_names (2 + nkeys + naggs names: window
 * bounds, keys, aggregates) are borrowed and must outlive the state. Caller
 * owns the result; free with rt_session_window_free(). */
rt_session_window *rt_session_window_new(int nkeys, const rt_aggset *aggs, int64_t gap_ms,
                                         const char *const *col_names);

/* Frees every open session; NULLs *s. Accepts NULL. */
void rt_session_window_free(rt_session_window **s);

/* Adds a record at time t (seq orders first/last). Returns false when it is
 * late: no open session takes it and a new one would already be closed
 * (t + gap <= the last threshold passed to rt_session_window_advance). */
bool rt_session_window_add(rt_session_window *s, const rt_value *keys, const rt_value *args,
                           int64_t t, uint64_t seq);

/* Emits, as one result, every session with last + gap <= threshold (all of
 * them when all is true), in order of start. Returns 1 when a result was
 * emitted, else 0. */
int rt_session_window_advance(rt_session_window *s, int64_t threshold, bool all,
                              rt_window_emit_fn emit, void *ctx);

/* Appends the open sessions and the closed-up-to point to out. Returns 0 or
 * RT_ETOOBIG. */
int rt_session_window_save(const rt_session_window *s, rt_buf *out);

/* Loads what rt_session_window_save() wrote into an empty state from r. Returns
 * false on malformed input (r->bad is set; the state may hold part of it and
 * is freed by the caller). */
bool rt_session_window_load(rt_session_window *s, rt_sk_reader *r);

/* Open sessions (and thus aggregate blocks) held. */
size_t rt_session_window_open_count(const rt_session_window *s);

/* Heap bytes the open sessions hold (lists, blocks, what blocks own, keys),
 * for the memory budget. O(keys + open sessions). */
size_t rt_session_window_memory(const rt_session_window *s);

#endif
