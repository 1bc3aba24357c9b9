/*
 * Result tables. Rows are one flat array of rt_values (row-major); strings
 * live in an arena owned by the result, so sorting and cutting rows move
 * only the small values and freeing is one arena free. Sorting sorts an
 * index permutation (stable merge sort, so ties keep their emission order)
 * and then applies it, because caller-provided key values are indexed by the
 * original row numbers. The writers share one scratch buffer per call for
 * each cell's text, since column widths need every cell measured first.
 */
#include "rt_result.h"

#include "rt_arena.h"
#include "rt_mem.h"

#include <string.h>

struct rt_result {
  int ncols;          /* columns */
  char **names;       /* ncols owned names */
  rt_value *cells;    /* nrows * ncols values */
  size_t nrows;       /* rows in use */
  size_t alloc;       /* rows allocated */
  rt_arena *strings;  /* string bytes of the cells, NULL until needed */
  int64_t start_ms;   /* window covered, 0 when not a window result */
  int64_t end_ms;
};

rt_result *rt_result_new(int ncols, const char *const *names) {
  rt_result *res = rt_xcalloc(1, sizeof(*res));
  res->ncols = ncols;
  res->names = rt_xcalloc((size_t)ncols + 1, sizeof(char *));
  for (int i = 0; i < ncols; i++)
    res->names[i] = rt_xstrdup(names[i] ? names[i] : "");
  return res;
}

void rt_result_free(rt_result **res) {
  if (!res || !*res)
    return;
  for (int i = 0; i < (*res)->ncols; i++)
    rt_free((*res)->names[i]);
  rt_free((*res)->names);
  rt_free((*res)->cells);
  rt_arena_free(&(*res)->strings);
  rt_free(*res);
  *res = NULL;
}

int rt_result_ncols(const rt_result *res) { return res->ncols; }

size_t rt_result_nrows(const rt_result *res) { return res->nrows; }

const char *rt_result_col_name(const rt_result *res, int col) {
  return col >= 0 && col < res->ncols ? res->names[col] : NULL;
}

int rt_result_col_index(const rt_result *res, const char *name) {
  for (int i = 0; i < res->ncols; i++)
    if (strcmp(res->names[i], name) == 0)
      return i;
  return -1;
}

void rt_result_add_row(rt_result *res, const rt_value *values) {
  if (res->nrows == res->alloc) {
    res->alloc = res->alloc ? res->alloc * 2 : 16;
    res->cells = rt_xrealloc(res->cells, res->alloc * (size_t)(res->ncols ? res->ncols : 1) *
                                             sizeof(rt_value));
  }
  rt_value *row = &res->cells[res->nrows * (size_t)res->ncols];
  for (int i = 0; i < res->ncols; i++) {
    row[i] = values[i];
    if (values[i].type == RT_STRING) {
      if (!res->strings)
        res->strings = rt_arena_new(4096);
      row[i].u.str.ptr =
          rt_arena_strndup(res->strings, values[i].u.str.ptr ? values[i].u.str.ptr : "",
                           values[i].u.str.len);
    }
  }
  res->nrows++;
}

const rt_value *rt_result_row(const rt_result *res, size_t i) {
  return &res->cells[i * (size_t)res->ncols];
}

rt_value rt_result_get(const rt_result *res, size_t i, int col) {
  return res->cells[i * (size_t)res->ncols + (size_t)col];
}

void rt_result_set_window(rt_result *res, int64_t start_ms, int64_t end_ms) {
  res->start_ms = start_ms;
  res->end_ms = end_ms;
}

int64_t rt_result_window_start(const rt_result *res) { return res->start_ms; }

int64_t rt_result_window_end(const rt_result *res) { return res->end_ms; }

/* The sort keys and the result, for comparing two original row numbers. */
typedef struct sort_ctx {
  const rt_result *res;
  const rt_sort_key *keys;
  int nkeys;
} sort_ctx;

static int compare_rows(const sort_ctx *c, size_t a, size_t b) {
  for (int k = 0; k < c->nkeys; k++) {
    const rt_sort_key *key = &c->keys[k];
    rt_value va = key->col >= 0 ? rt_result_get(c->res, a, key->col) : key->values[a];
    rt_value vb = key->col >= 0 ? rt_result_get(c->res, b, key->col) : key->values[b];
    int r = rt_value_compare(va, vb);
    if (r)
      return key->desc ? -r : r;
  }
  return 0;
}

/* Stable bottom-up merge sort of idx[0..n) using tmp as scratch. */
static void merge_sort(const sort_ctx *c, size_t *idx, size_t *tmp, size_t n) {
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi)
        tmp[o++] = compare_rows(c, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
      while (i < mid)
        tmp[o++] = idx[i++];
      while (j < hi)
        tmp[o++] = idx[j++];
    }
    memcpy(idx, tmp, n * sizeof(size_t));
  }
}

/* Reorders rows so that new row i is old row idx[i], keeping the first m. */
static void apply_order(rt_result *res, const size_t *idx, size_t m) {
  size_t w = (size_t)res->ncols;
  rt_value *cells = rt_xmalloc((m ? m : 1) * (w ? w : 1) * sizeof(rt_value));
  for (size_t i = 0; i < m; i++)
    memcpy(&cells[i * w], &res->cells[idx[i] * w], w * sizeof(rt_value));
  rt_free(res->cells);
  res->cells = cells;
  res->nrows = m;
  res->alloc = m;
}

static void sort_and_cut(rt_result *res, const rt_sort_key *keys, int nkeys,
                         size_t keep) {
  size_t n = res->nrows;
  if (n == 0)
    return;
  size_t *idx = rt_xmalloc(n * sizeof(size_t));
  size_t *tmp = rt_xmalloc(n * sizeof(size_t));
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  sort_ctx c = {res, keys, nkeys};
  merge_sort(&c, idx, tmp, n);
  apply_order(res, idx, keep < n ? keep : n);
  rt_free(idx);
  rt_free(tmp);
}

void rt_result_sort(rt_result *res, const rt_sort_key *keys, int nkeys) {
  sort_and_cut(res, keys, nkeys, res->nrows);
}

void rt_result_top(rt_result *res, size_t n, rt_sort_key key) {
  sort_and_cut(res, &key, 1, n);
}

void rt_result_limit(rt_result *res, size_t n) {
  if (n < res->nrows)
    res->nrows = n;
}

/* --- writing ---------------------------------------------------------------- */

int rt_result_write_json_row(const rt_result *res, size_t i, rt_buf *out) {
  const rt_value *row = rt_result_row(res, i);
  int rc = rt_buf_puts(out, "{");
  for (int c = 0; c < rt_result_ncols(res) && rc == 0; c++) {
    const char *name = rt_result_col_name(res, c);
    rc = c ? rt_buf_puts(out, ",") : 0;
    if (rc == 0)
      rc = rt_value_write_json(rt_string(name, strlen(name)), out);
    if (rc == 0)
      rc = rt_buf_puts(out, ":");
    if (rc == 0)
      rc = rt_value_write_json(row[c], out);
  }
  return rc ? rc : rt_buf_puts(out, "}");
}

/* Writes value v to a scratch buffer and returns its text (in scratch). */
static const char *cell_text(rt_value v, rt_buf *scratch) {
  rt_buf_clear(scratch);
  rt_value_write_text(v, scratch);
  return scratch->data ? scratch->data : "";
}

/* Display width of UTF-8 text: its code points. */
static size_t width(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

static size_t shown_rows(const rt_result *res, size_t max_rows) {
  size_t n = rt_result_nrows(res);
  return max_rows && n > max_rows ? max_rows : n;
}

static void col_widths(const rt_result *res, size_t n, size_t *w, rt_buf *scratch) {
  for (int c = 0; c < rt_result_ncols(res); c++) {
    w[c] = width(rt_result_col_name(res, c));
    for (size_t i = 0; i < n; i++) {
      size_t k = width(cell_text(rt_result_get(res, i, c), scratch));
      w[c] = k > w[c] ? k : w[c];
    }
  }
}

static int pad(rt_buf *out, size_t n) {
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = rt_buf_append(out, " ", 1);
  return rc;
}

static int text_row(const rt_result *res, size_t i, const size_t *w, rt_buf *sc, rt_buf *out) {
  int rc = 0, nc = rt_result_ncols(res);
  for (int c = 0; c < nc && rc == 0; c++) {
    rt_value v = rt_result_get(res, i, c);
    const char *t = cell_text(v, sc);
    size_t gap = w[c] - width(t);
    bool right = v.type == RT_NUMBER;
    rc = c ? rt_buf_puts(out, "  ") : 0;
    if (rc == 0 && right)
      rc = pad(out, gap);
    if (rc == 0)
      rc = rt_buf_puts(out, t);
    if (rc == 0 && !right && c + 1 < nc)
      rc = pad(out, gap);
  }
  return rc ? rc : rt_buf_puts(out, "\n");
}

int rt_result_format_text(const rt_result *res, size_t max_rows, rt_buf *out) {
  int nc = rt_result_ncols(res), rc = 0;
  size_t n = shown_rows(res, max_rows), total = 0;
  size_t *w = rt_xcalloc((size_t)nc + 1, sizeof(size_t));
  rt_buf sc;
  rt_buf_init(&sc, 0);
  col_widths(res, n, w, &sc);
  for (int c = 0; c < nc && rc == 0; c++) {
    const char *name = rt_result_col_name(res, c);
    rc = rt_buf_printf(out, "%s%s", c ? "  " : "", name);
    if (rc == 0 && c + 1 < nc)
      rc = pad(out, w[c] - width(name));
    total += w[c] + (c ? 2 : 0);
  }
  rc = rc ? rc : rt_buf_puts(out, "\n");
  for (size_t i = 0; i < total && rc == 0; i++)
    rc = rt_buf_puts(out, "-");
  rc = rc ? rc : rt_buf_puts(out, "\n");
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = text_row(res, i, w, &sc, out);
  if (rc == 0 && n < rt_result_nrows(res))
    rc = rt_buf_printf(out, "... %zu more rows\n", rt_result_nrows(res) - n);
  rt_buf_free(&sc);
  rt_free(w);
  return rc;
}
