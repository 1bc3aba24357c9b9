/*
 * The source wrapper: a vtable, an owned implementation, the column names and
 * a description. Thin on purpose; each source lives in its own rt_src_*.c.
 */
#include "rt_source.h"

#include "rt_mem.h"

#include <string.h>

struct rt_source {
  const rt_source_ops *ops; /* static vtable */
  void *impl;               /* owned; released by ops->close */
  int ncols;                /* column count */
  char **cols;              /* owned column names */
  char *desc;               /* owned description, or NULL */
};

rt_source *rt_source_new(const rt_source_ops *ops, void *impl, int ncols,
                         const char *const *cols) {
  rt_source *s = rt_xcalloc(1, sizeof(*s));
  s->ops = ops;
  s->impl = impl;
  s->ncols = ncols;
  s->cols = rt_xcalloc((size_t)(ncols ? ncols : 1), sizeof(*s->cols));
  for (int i = 0; i < ncols; i++)
    s->cols[i] = rt_xstrdup(cols[i]);
  return s;
}

void rt_source_free(rt_source **src) {
  if (!src || !*src)
    return;
  rt_source *s = *src;
  s->ops->close(s->impl);
  for (int i = 0; i < s->ncols; i++)
    rt_free(s->cols[i]);
  rt_free(s->cols);
  rt_free(s->desc);
  rt_free(s);
  *src = NULL;
}

const char *rt_source_kind(const rt_source *s) { return s->ops->kind; }

const char *rt_source_describe(const rt_source *s) { return s->desc ? s->desc : s->ops->kind; }

void rt_source_set_description(rt_source *s, const char *text) {
  rt_free(s->desc);
  s->desc = rt_xstrdup(text);
}

int rt_source_ncols(const rt_source *s) { return s->ncols; }
const char *rt_source_col(const rt_source *s, int i) { return s->cols[i]; }

int rt_source_col_index(const rt_source *s, const char *name) {
  for (int i = 0; i < s->ncols; i++)
    if (strcmp(s->cols[i], name) == 0)
      return i;
  return -1;
}

int rt_source_poll(rt_source *s, rt_batch *batch, size_t max_rows, rt_err *err) {
  return s->ops->poll(s->impl, batch, max_rows, err);
}

void rt_source_stats_get(rt_source *s, rt_source_stats *out) {
  memset(out, 0, sizeof(*out));
  out->lag_ms = -1;
  s->ops->stats(s->impl, out);
}

int rt_source_commit(rt_source *s, bool final, rt_err *err) {
  return s->ops->commit ? s->ops->commit(s->impl, final, err) : 0;
}

void rt_source_positions(rt_source *s, rt_source_position_fn fn, void *ctx) {
  if (s->ops->positions)
    s->ops->positions(s->impl, fn, ctx);
}

void rt_source_wake(rt_source *s) {
  if (s->ops->wake)
    s->ops->wake(s->impl);
}
