/*
 * The table output: keeps the latest results and renders them through
 * rt_result_format_html() / rt_result_format_text().
 */
#include "rt_sink_table.h"

#include "rt_mem.h"
#include "rt_time.h"

#include <string.h>

struct rt_sink_table {
  rt_result *shown;   /* rows on display (owned), or NULL before the first */
  size_t limit;       /* most rows shown */
  bool records;       /* a record stream: append, keep the last `limit` */
  rt_result_kind kind; /* of the shown rows */
};

rt_sink_table *rt_sink_table_new(const rt_output_desc *desc) {
  rt_sink_table *t = rt_xcalloc(1, sizeof(*t));
  t->records = !desc->windowed && !desc->running;
  t->limit = desc->table_limit > 0 ? (size_t)desc->table_limit : t->records ? 20 : 100;
  return t;
}

void rt_sink_table_free(rt_sink_table **t) {
  if (!t || !*t)
    return;
  rt_result_free(&(*t)->shown);
  rt_free(*t);
  *t = NULL;
}

static rt_result *copy_shape(const rt_result *res) {
  int nc = rt_result_ncols(res);
  const char **names = rt_xcalloc((size_t)nc + 1, sizeof(char *));
  for (int c = 0; c < nc; c++)
    names[c] = rt_result_col_name(res, c);
  rt_result *out = rt_result_new(nc, names);
  rt_free(names);
  rt_result_set_window(out, rt_result_window_start(res), rt_result_window_end(res));
  return out;
}

/* Appends records, keeping the newest `limit` rows. */
static void append_records(rt_sink_table *t, const rt_result *res) {
  size_t have = t->shown ? rt_result_nrows(t->shown) : 0, add = rt_result_nrows(res);
  size_t keep_old = add >= t->limit ? 0 : have + add > t->limit ? t->limit - add : have;
  rt_result *out = copy_shape(res);
  for (size_t i = have - keep_old; i < have; i++)
    rt_result_add_row(out, rt_result_row(t->shown, i));
  for (size_t i = add > t->limit ? add - t->limit : 0; i < add; i++)
    rt_result_add_row(out, rt_result_row(res, i));
  rt_result_free(&t->shown);
  t->shown = out;
}

void rt_sink_table_update(rt_sink_table *t, const rt_update *u) {
  if (t->records && t->shown && rt_result_ncols(t->shown) == rt_result_ncols(u->result)) {
    append_records(t, u->result);
    return;
  }
  if (u->kind == RT_RESULT_WINDOW && t->shown &&
      rt_result_window_end(t->shown) > rt_result_window_end(u->result))
    return; /* an older window closing late: the newer one stays */
  rt_result *out = copy_shape(u->result);
  for (size_t i = 0; i < rt_result_nrows(u->result) && i < t->limit; i++)
    rt_result_add_row(out, rt_result_row(u->result, i));
  rt_result_free(&t->shown);
  t->shown = out;
  t->kind = u->kind;
}

int rt_sink_table_render(const rt_sink_table *t, bool html, rt_buf *out) {
  if (!t->shown)
    return rt_buf_puts(out, html ? "<p>(no results yet)</p>" : "(no results yet)\n");
  char a[RT_TIME_ISO_MS_LEN], b[RT_TIME_ISO_MS_LEN];
  int rc = 0;
  if (t->kind == RT_RESULT_WINDOW)
    rc = rt_buf_printf(out, html ? "<p>window %s &ndash; %s</p>" : "window %s - %s\n",
                       rt_time_format_ms(rt_result_window_start(t->shown), a),
                       rt_time_format_ms(rt_result_window_end(t->shown), b));
  if (rc == 0)
    rc = html ? rt_result_format_html(t->shown, 0, out) : rt_result_format_text(t->shown, 0, out);
  return rc;
}
