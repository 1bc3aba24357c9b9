/*
 * A micro-batch: the records that arrived since the last tick, held column
 * by column. Column i of every row is one contiguous rt_value array, so an
 * expression is evaluated in a tight loop over one column, and a stage that
 * adds fields (parse json, extend, select) adds columns without touching the
 * others. Bytes the values point to (record text, decoded strings, evaluation
 * scratch) live in the batch's arena, which is reset, not freed, when the
 * next batch starts; the column arrays themselves keep their capacity across
 * batches, so a steady stream allocates nothing per batch.
 *
 * A source fills columns 0..k-1 (its own fields, rt_source.h); the compiled
 * pipeline owns the columns after them. Not thread-safe: one batch belongs to
 * one query thread.
 */
#ifndef EDDY_RT_BATCH_H
#define EDDY_RT_BATCH_H

#include "rt_arena.h"
#include "rt_value.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rt_batch rt_batch;

/* Creates an empty batch of ncols columns. Caller owns it; free with
 * rt_batch_free(). */
rt_batch *rt_batch_new(int ncols);

/* Frees the batch, its columns and its arena; NULLs *batch. Accepts NULL. */
void rt_batch_free(rt_batch **batch);

/* Forgets every row and resets the arena (capacity is kept). */
void rt_batch_reset(rt_batch *batch);

/* Number of rows / columns. */
size_t rt_batch_nrows(const rt_batch *batch);
int rt_batch_ncols(const rt_batch *batch);

/* Appends a row whose values are all null and returns its index. */
size_t rt_batch_add_row(rt_batch *batch);

/* Appends n rows whose values are all null and returns the index of the
 * first (column by column: cheaper than n calls of rt_batch_add_row). */
size_t rt_batch_add_rows(rt_batch *batch, size_t n);

/* Column col: nrows values, writable. Borrowed; valid until the next
 * rt_batch_add_row() (which may move it) or rt_batch_free(). */
rt_value *rt_batch_col(rt_batch *batch, int col);

/* Stores v at (row, col). Strings in v must live at least until the next
 * reset (point into the arena, or into static memory). */
void rt_batch_set(rt_batch *batch, size_t row, int col, rt_value v);

/* Stores a copy of n bytes of s (copied into the arena) at (row, col). */
void rt_batch_set_str(rt_batch *batch, size_t row, int col, const char *s, size_t n);

/* The batch's arena, for bytes that live until the next reset. */
rt_arena *rt_batch_arena(rt_batch *batch);

/* The processing time of the batch (wall ms when its tick began), set by the
 * query; the clock of processing-time windows and now(). */
void rt_batch_set_time(rt_batch *batch, int64_t ms);
int64_t rt_batch_time(const rt_batch *batch);

/* Payload bytes the source delivered into this batch (for bytes/s). */
void rt_batch_add_bytes(rt_batch *batch, size_t n);
uint64_t rt_batch_bytes(const rt_batch *batch);

#endif
