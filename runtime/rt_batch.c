/*
 * The micro-batch: column arrays that keep their capacity across batches, and
 * an arena for everything the values point to.
 */
#include "rt_batch.h"

#include "rt_mem.h"

#include <string.h>

struct rt_batch {
  int ncols;        /* number of columns */
  rt_value **cols;  /* ncols arrays of cap values */
  size_t nrows;     /* rows in use */
  size_t cap;       /* rows allocated per column */
  rt_arena *arena;  /* bytes of this batch's values */
  int64_t time_ms;  /* processing time of the batch */
  uint64_t bytes;   /* payload bytes delivered */
};

rt_batch *rt_batch_new(int ncols) {
  rt_batch *b = rt_xcalloc(1, sizeof(*b));
  b->ncols = ncols;
  b->cols = rt_xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof(*b->cols));
  b->arena = rt_arena_new(256 * 1024);
  return b;
}

void rt_batch_free(rt_batch **batch) {
  if (!batch || !*batch)
    return;
  rt_batch *b = *batch;
  for (int i = 0; i < b->ncols; i++)
    rt_free(b->cols[i]);
  rt_free(b->cols);
  rt_arena_free(&b->arena);
  rt_free(b);
  *batch = NULL;
}

void rt_batch_reset(rt_batch *b) {
  b->nrows = 0;
  b->bytes = 0;
  rt_arena_reset(b->arena);
}

size_t rt_batch_nrows(const rt_batch *b) { return b->nrows; }
int rt_batch_ncols(const rt_batch *b) { return b->ncols; }

size_t rt_batch_add_row(rt_batch *b) {
  if (b->nrows == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 1024;
    for (int i = 0; i < b->ncols; i++)
      b->cols[i] = rt_xrealloc(b->cols[i], b->cap * sizeof(rt_value));
  }
  size_t r = b->nrows++;
  for (int i = 0; i < b->ncols; i++)
    b->cols[i][r] = rt_null();
  return r;
}

size_t rt_batch_add_rows(rt_batch *b, size_t n) {
  if (b->nrows + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->nrows + n)
      cap *= 2;
    b->cap = cap;
    for (int i = 0; i < b->ncols; i++)
      b->cols[i] = rt_xrealloc(b->cols[i], b->cap * sizeof(rt_value));
  }
  size_t first = b->nrows;
  for (int i = 0; i < b->ncols; i++) {
    rt_value *c = b->cols[i] + first;
    for (size_t r = 0; r < n; r++)
      c[r] = rt_null();
  }
  b->nrows += n;
  return first;
}

rt_value *rt_batch_col(rt_batch *b, int col) { return b->cols[col]; }

void rt_batch_set(rt_batch *b, size_t row, int col, rt_value v) { b->cols[col][row] = v; }

void rt_batch_set_str(rt_batch *b, size_t row, int col, const char *s, size_t n) {
  char *p = rt_arena_strndup(b->arena, s, n);
  b->cols[col][row] = rt_string(p, n);
}

rt_arena *rt_batch_arena(rt_batch *b) { return b->arena; }
void rt_batch_set_time(rt_batch *b, int64_t ms) { b->time_ms = ms; }
int64_t rt_batch_time(const rt_batch *b) { return b->time_ms; }
void rt_batch_add_bytes(rt_batch *b, size_t n) { b->bytes += n; }
uint64_t rt_batch_bytes(const rt_batch *b) { return b->bytes; }
