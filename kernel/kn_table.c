/*
 * The live table display: keeps the latest results and renders them as HTML
 * (here) or text (rt_result_format_text).
 */
#include "kn_table.h"

#include "rt_mem.h"
#include "rt_time.h"

#include <string.h>

struct kn_table {
  rt_result *shown;   /* rows on display (owned), or NULL before the first */
  size_t limit;       /* most rows shown */
  bool records;       /* a record stream: append, keep the last `limit` */
  rt_result_kind kind; /* of the shown rows */
};

kn_table *kn_table_new(const rt_output_desc *desc) {
  kn_table *t = rt_xcalloc(1, sizeof(*t));
  t->records = !desc->windowed && !desc->running;
  t->limit = desc->table_limit > 0 ? (size_t)desc->table_limit : t->records ? 20 : 100;
  return t;
}

void kn_table_free(kn_table **t) {
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
static void append_records(kn_table *t, const rt_result *res) {
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

void kn_table_update(kn_table *t, const rt_update *u) {
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

/* ------------------------------------------------------------------ HTML */

/* Writes value v to a scratch buffer and returns its text (in scratch). */
static const char *cell_text(rt_value v, rt_buf *scratch) {
  rt_buf_clear(scratch);
  rt_value_write_text(v, scratch);
  return scratch->data ? scratch->data : "";
}

static int html_escaped(rt_buf *out, const char *s) {
  int rc = 0;
  for (; *s && rc == 0; s++) {
    switch (*s) {
    case '<': rc = rt_buf_puts(out, "&lt;"); break;
    case '>': rc = rt_buf_puts(out, "&gt;"); break;
    case '&': rc = rt_buf_puts(out, "&amp;"); break;
    case '"': rc = rt_buf_puts(out, "&quot;"); break;
    default: rc = rt_buf_append(out, s, 1); break;
    }
  }
  return rc;
}

int kn_table_html(const rt_result *res, size_t max_rows, rt_buf *out) {
  int nc = rt_result_ncols(res);
  size_t n = rt_result_nrows(res);
  if (max_rows && n > max_rows)
    n = max_rows;
  rt_buf sc;
  rt_buf_init(&sc, 0);
  int rc = rt_buf_puts(out, "<table class=\"eddy-table\"><thead><tr>");
  for (int c = 0; c < nc && rc == 0; c++) {
    rc = rt_buf_puts(out, "<th>");
    rc = rc ? rc : html_escaped(out, rt_result_col_name(res, c));
    rc = rc ? rc : rt_buf_puts(out, "</th>");
  }
  rc = rc ? rc : rt_buf_puts(out, "</tr></thead><tbody>");
  for (size_t i = 0; i < n && rc == 0; i++) {
    rc = rt_buf_puts(out, "<tr>");
    for (int c = 0; c < nc && rc == 0; c++) {
      rt_value v = rt_result_get(res, i, c);
      rc = rt_buf_puts(out, v.type == RT_NUMBER ? "<td style=\"text-align:right\">" : "<td>");
      rc = rc ? rc : html_escaped(out, cell_text(v, &sc));
      rc = rc ? rc : rt_buf_puts(out, "</td>");
    }
    rc = rc ? rc : rt_buf_puts(out, "</tr>");
  }
  rc = rc ? rc : rt_buf_puts(out, "</tbody></table>");
  if (rc == 0 && n < rt_result_nrows(res))
    rc = rt_buf_printf(out, "<p>... %zu more rows</p>", rt_result_nrows(res) - n);
  rt_buf_free(&sc);
  return rc;
}

int kn_table_render(const kn_table *t, bool html, rt_buf *out) {
  if (!t->shown)
    return rt_buf_puts(out, html ? "<p>(no results yet)</p>" : "(no results yet)\n");
  char a[RT_TIME_ISO_MS_LEN], b[RT_TIME_ISO_MS_LEN];
  int rc = 0;
  if (t->kind == RT_RESULT_WINDOW)
    rc = rt_buf_printf(out, html ? "<p>window %s &ndash; %s</p>" : "window %s - %s\n",
                       rt_time_format_ms(rt_result_window_start(t->shown), a),
                       rt_time_format_ms(rt_result_window_end(t->shown), b));
  if (rc == 0)
    rc = html ? kn_table_html(t->shown, 0, out) : rt_result_format_text(t->shown, 0, out);
  return rc;
}
