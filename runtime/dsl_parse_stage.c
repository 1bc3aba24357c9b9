/*
 * Stages and outputs of the Eddy language: everything after a `|`.
 *
 * Each stage is one function that reads its keyword's grammar and checks
 * what can be checked without the session (durations positive, the slide
 * within the window, `watermark` only with `on`, counts positive) as soon as
 * the stage is read, so errors come out in the order of the text.
 */
#include "dsl_parse_int.h"

#include "rt_arena.h"
#include "rt_window.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Names are checked pairwise, so lists are bounded to keep that cheap. */
enum { DSL__MAX_COLUMNS = 1000 };

/* Parses an expression that holds no aggregate, and checks it. */
static int scalar(dsl_parse_ctx *p, dsl_expr **out) {
  int rc = dsl__expr(p, out);
  if (!rc)
    rc = dsl__check_expr(p, *out);
  return rc;
}

/* The text of an expression, for the default name of an unnamed column. */
static const char *expr_text(dsl_parse_ctx *p, const dsl_expr *e) {
  return dsl__text(p, e->span.off, e->span.len);
}

/* Reads `as NAME` if present into n, else names n after its expression. */
static int opt_as(dsl_parse_ctx *p, dsl_named *n) {
  int rc = 0;
  if (!dsl__accept_word(p, "as", &rc)) {
    n->name = expr_text(p, n->expr);
    n->name_span = n->expr->span;
    return 0;
  }
  if (rc)
    return rc;
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "`as` needs a column name");
  if (memchr(p->src + p->tok.off, '.', (size_t)p->tok.len))
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "a column name is a plain name, without dots");
  n->name = dsl__text(p, p->tok.off, p->tok.len);
  n->name_span = (dsl_span){p->tok.off, p->tok.len};
  return dsl__advance(p);
}

static int more(dsl_parse_ctx *p, bool *again) {
  int rc = 0;
  *again = dsl__accept(p, DSL_TK_COMMA, &rc);
  return rc;
}

/* ------------------------------------------------------------------- parse */

static const struct {
  const char *name;
  dsl_type type;
} csv_types[] = {{"number", DSL_TY_NUMBER},
                 {"string", DSL_TY_STRING},
                 {"bool", DSL_TY_BOOL},
                 {"time", DSL_TY_TIME}};

static int csv_column(dsl_parse_ctx *p, dsl_column *col) {
  int rc;
  if (p->tok.kind != DSL_TK_NAME || memchr(p->src + p->tok.off, '.', (size_t)p->tok.len))
    return dsl__syntax(p, "expected a column name, as in csv(device_id, "
                          "temperature:number)");
  col->name = dsl__text(p, p->tok.off, p->tok.len);
  col->span = (dsl_span){p->tok.off, p->tok.len};
  col->type = DSL_TY_ANY;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_COLON)
    return 0;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "expected a column type: number, string, bool or time");
  for (size_t i = 0; i < sizeof(csv_types) / sizeof(csv_types[0]); i++) {
    if ((int)strlen(csv_types[i].name) == p->tok.len &&
        !memcmp(csv_types[i].name, p->src + p->tok.off, (size_t)p->tok.len)) {
      col->type = csv_types[i].type;
      col->span.len = p->tok.off + p->tok.len - col->span.off;
      return dsl__advance(p);
    }
  }
  static const char *const names[] = {"number", "string", "bool", "time", NULL};
  const char *sug = dsl__suggest_in(p->src + p->tok.off, p->tok.len, names);
  return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                       "unknown column type `%.*s`; %s%s%s", p->tok.len,
                       p->src + p->tok.off, sug ? "did you mean `" : "",
                       sug ? sug : "the types are number, string, bool and time",
                       sug ? "`?" : "");
}

static int stage_parse(dsl_parse_ctx *p, dsl_stage *st) {
  int rc, cap = 0;
  if ((rc = dsl__advance(p)))
    return rc;
  if (dsl__is_word(p, "json")) {
    st->kind = DSL_ST_PARSE_JSON;
    return dsl__advance(p);
  }
  if (!dsl__is_word(p, "csv")) {
    static const char *const fmts[] = {"json", "csv", NULL};
    if (p->tok.kind != DSL_TK_NAME)
      return dsl__syntax(p, "`parse` needs a format: parse json or parse "
                            "csv(name, ...)");
    const char *sug = dsl__suggest_in(p->src + p->tok.off, p->tok.len, fmts);
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "unknown format `%.*s`; %s%s%s", p->tok.len,
                         p->src + p->tok.off, sug ? "did you mean `" : "",
                         sug ? sug : "use parse json or parse csv(name, ...)",
                         sug ? "`?" : "");
  }
  st->kind = DSL_ST_PARSE_CSV;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_LPAREN)
    return dsl__syntax(p, "`parse csv` needs its column names: parse "
                          "csv(device_id, temperature:number)");
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind == DSL_TK_RPAREN)
    return dsl__syntax(p, "`parse csv` needs at least one column name");
  for (bool again = true; again;) {
    st->u.csv.cols = dsl__grow(p, st->u.csv.cols, st->u.csv.ncols, &cap,
                               sizeof(dsl_column));
    dsl_column *col = &st->u.csv.cols[st->u.csv.ncols];
    if ((rc = csv_column(p, col)))
      return rc;
    if (st->u.csv.ncols >= DSL__MAX_COLUMNS)
      return dsl__error_at(p, RT_ESYNTAX, col->span.off, col->span.len,
                           "`parse csv` takes at most %d columns",
                           DSL__MAX_COLUMNS);
    for (int i = 0; i < st->u.csv.ncols; i++)
      if (!strcmp(st->u.csv.cols[i].name, col->name))
        return dsl__error_at(p, RT_ESYNTAX, col->span.off, col->span.len,
                             "the column `%s` is named twice", col->name);
    st->u.csv.ncols++;
    if ((rc = more(p, &again)))
      return rc;
  }
  if (p->tok.kind != DSL_TK_RPAREN)
    return dsl__syntax(p, "expected `,` or `)` in the columns of `parse csv`");
  return dsl__advance(p);
}

/* ---------------------------------------------------------- select, extend */

static int stage_select(dsl_parse_ctx *p, dsl_stage *st) {
  int rc, cap = 0;
  st->kind = DSL_ST_SELECT;
  if ((rc = dsl__advance(p)))
    return rc;
  for (bool again = true; again;) {
    st->u.select.items = dsl__grow(p, st->u.select.items, st->u.select.nitems,
                                   &cap, sizeof(dsl_named));
    dsl_named *n = &st->u.select.items[st->u.select.nitems++];
    if ((rc = scalar(p, &n->expr)) || (rc = opt_as(p, n)) ||
        (rc = more(p, &again)))
      return rc;
  }
  return 0;
}

static int stage_extend(dsl_parse_ctx *p, dsl_stage *st) {
  int rc, cap = 0;
  st->kind = DSL_ST_EXTEND;
  if ((rc = dsl__advance(p)))
    return rc;
  for (bool again = true; again;) {
    if (p->tok.kind != DSL_TK_NAME)
      return dsl__syntax(p, "`extend` needs NAME = EXPR, as in extend f = "
                            "temperature * 1.8 + 32");
    if (memchr(p->src + p->tok.off, '.', (size_t)p->tok.len))
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                           "a new field's name is a plain name, without dots");
    st->u.select.items = dsl__grow(p, st->u.select.items, st->u.select.nitems,
                                   &cap, sizeof(dsl_named));
    dsl_named *n = &st->u.select.items[st->u.select.nitems++];
    n->name = dsl__text(p, p->tok.off, p->tok.len);
    n->name_span = (dsl_span){p->tok.off, p->tok.len};
    if ((rc = dsl__advance(p)))
      return rc;
    if (p->tok.kind != DSL_TK_EQ)
      return dsl__syntax(p, "expected `=` after `%s` (extend NAME = EXPR)",
                         n->name);
    if ((rc = dsl__advance(p)) || (rc = scalar(p, &n->expr)) ||
        (rc = more(p, &again)))
      return rc;
  }
  return 0;
}

/* ---------------------------------------------------------------- windows */

enum { DSL__MAX_PANES = 100000 };

static int stage_window(dsl_parse_ctx *p, dsl_stage *st) {
  int rc;
  dsl_span size_span, slide_span = {0, 0}, wm_span = {0, 0};
  st->kind = DSL_ST_WINDOW;
  if ((rc = dsl__advance(p)) ||
      (rc = dsl__duration(p, "window", false, &st->u.window.size_ms, &size_span)))
    return rc;
  st->u.window.slide_ms = st->u.window.size_ms;
  bool every = false, wm = false;
  while (p->tok.kind == DSL_TK_NAME) {
    if (dsl__is_word(p, "every")) {
      if (every)
        return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                             "`every` is given twice");
      every = true;
      if ((rc = dsl__advance(p)) ||
          (rc = dsl__duration(p, "every", false, &st->u.window.slide_ms,
                              &slide_span)))
        return rc;
    } else if (dsl__is_word(p, "on")) {
      if (st->u.window.on)
        return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                             "`on` is given twice");
      if ((rc = dsl__advance(p)) || (rc = dsl__field(p, "on", &st->u.window.on)))
        return rc;
    } else if (dsl__is_word(p, "watermark")) {
      if (wm)
        return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                             "`watermark` is given twice");
      if (!st->u.window.on)
        return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                             "`watermark` needs `on FIELD` before it: late "
                             "records exist only in event time");
      wm = true;
      wm_span = (dsl_span){p->tok.off, 0};
      if ((rc = dsl__advance(p)) ||
          (rc = dsl__duration(p, "watermark", true, &st->u.window.watermark_ms,
                              NULL)))
        return rc;
      wm_span.len = p->prev_end - wm_span.off;
    } else {
      break;
    }
  }
  (void)wm_span;
  int64_t size = st->u.window.size_ms, slide = st->u.window.slide_ms;
  if (slide > size)
    return dsl__error_at(p, RT_ETYPE, slide_span.off, slide_span.len,
                         "`window %.*s every %.*s`: the slide must not exceed "
                         "the window",
                         size_span.len, p->src + size_span.off, slide_span.len,
                         p->src + slide_span.off);
  st->u.window.pane_ms = rt_window_pane_ms(size, slide);
  int64_t panes = size / st->u.window.pane_ms;
  if (panes > DSL__MAX_PANES)
    return dsl__error_at(p, RT_ETYPE, slide_span.off, slide_span.len,
                         "`window %.*s every %.*s` keeps %" PRId64
                         " panes per window (a pane is the greatest common "
                         "divisor of window and slide, here %" PRId64
                         "ms); at most %d are allowed",
                         size_span.len, p->src + size_span.off, slide_span.len,
                         p->src + slide_span.off, panes, st->u.window.pane_ms,
                         DSL__MAX_PANES);
  return 0;
}

static int stage_session(dsl_parse_ctx *p, dsl_stage *st) {
  int rc;
  st->kind = DSL_ST_SESSION;
  if ((rc = dsl__advance(p)) ||
      (rc = dsl__duration(p, "session", false, &st->u.session.gap_ms, NULL)))
    return rc;
  if (dsl__accept_word(p, "on", &rc)) {
    if (rc || (rc = dsl__field(p, "on", &st->u.session.on)))
      return rc;
  }
  if (dsl__is_word(p, "watermark"))
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "`session` takes no `watermark`; a session closes "
                         "after its gap");
  return rc;
}

/* -------------------------------------------------------------------- agg */

static int check_unique(dsl_parse_ctx *p, const dsl_stage *st, const char *name,
                        dsl_span span, int naggs, int nkeys) {
  if (naggs + nkeys >= DSL__MAX_COLUMNS)
    return dsl__error_at(p, RT_ETYPE, span.off, span.len,
                         "an `agg` makes at most %d columns", DSL__MAX_COLUMNS);
  for (int i = 0; i < naggs; i++)
    if (!strcmp(st->u.agg.aggs[i].name, name))
      goto dup;
  for (int i = 0; i < nkeys; i++)
    if (!strcmp(st->u.agg.keys[i].name, name))
      goto dup;
  return 0;
dup:
  return dsl__error_at(p, RT_ETYPE, span.off, span.len,
                       "two columns are named `%s`; use `as` to rename one",
                       name);
}

static int agg_item(dsl_parse_ctx *p, dsl_stage *st) {
  int rc;
  dsl_expr *call;
  dsl_agg *a = &st->u.agg.aggs[st->u.agg.naggs];
  if ((rc = dsl__expr(p, &call)) || (rc = dsl__check_agg(p, call, a)))
    return rc;
  dsl_named n = {.expr = call};
  if ((rc = opt_as(p, &n)))
    return rc;
  a->name = n.name;
  a->span = (dsl_span){call->span.off, p->prev_end - call->span.off};
  if ((rc = check_unique(p, st, a->name, n.name_span, st->u.agg.naggs, 0)))
    return rc;
  st->u.agg.naggs++;
  return 0;
}

static int stage_agg(dsl_parse_ctx *p, dsl_stage *st) {
  int rc, cap = 0;
  st->kind = DSL_ST_AGG;
  int kw_off = p->tok.off, kw_len = p->tok.len;
  if ((rc = dsl__advance(p)))
    return rc;
  if (dsl__is_word(p, "by") || p->tok.kind == DSL_TK_PIPE ||
      p->tok.kind == DSL_TK_NEWLINE || p->tok.kind == DSL_TK_EOF) {
    if (p->tok.kind == DSL_TK_EOF)
      p->err_at_eof = true;
    return dsl__error_at(p, RT_ESYNTAX, kw_off, kw_len,
                         "`agg` needs at least one aggregate, as in agg "
                         "count() by device_id");
  }
  for (bool again = true; again;) {
    st->u.agg.aggs = dsl__grow(p, st->u.agg.aggs, st->u.agg.naggs, &cap,
                               sizeof(dsl_agg));
    if ((rc = agg_item(p, st)) || (rc = more(p, &again)))
      return rc;
  }
  if (!dsl__accept_word(p, "by", &rc))
    return 0;
  cap = 0;
  for (bool again = true; !rc && again;) {
    st->u.agg.keys = dsl__grow(p, st->u.agg.keys, st->u.agg.nkeys, &cap,
                               sizeof(dsl_named));
    dsl_named *k = &st->u.agg.keys[st->u.agg.nkeys];
    if ((rc = scalar(p, &k->expr)) || (rc = opt_as(p, k)) ||
        (rc = check_unique(p, st, k->name, k->name_span, st->u.agg.naggs,
                           st->u.agg.nkeys)))
      return rc;
    st->u.agg.nkeys++;
    rc = more(p, &again);
  }
  return rc;
}

/* --------------------------------------------------- top, sort, limit, ... */

static int direction(dsl_parse_ctx *p, bool *desc) {
  int rc = 0;
  if (dsl__accept_word(p, "asc", &rc))
    *desc = false;
  else if (dsl__accept_word(p, "desc", &rc))
    *desc = true;
  return rc;
}

static int stage_top(dsl_parse_ctx *p, dsl_stage *st) {
  int rc, off = p->tok.off;
  st->kind = DSL_ST_TOP;
  st->u.top.desc = true;
  if ((rc = dsl__advance(p)) ||
      (rc = dsl__whole_number(p, "top", false, &st->u.top.n, NULL)))
    return rc;
  if (!dsl__is_word(p, "by")) {
    if (p->tok.kind == DSL_TK_EOF)
      p->err_at_eof = true;
    return dsl__error_at(p, RT_ESYNTAX, off, p->prev_end - off,
                         "`top` needs `by EXPR`, as in top 5 by avg_t");
  }
  if ((rc = dsl__advance(p)) || (rc = scalar(p, &st->u.top.by)))
    return rc;
  return direction(p, &st->u.top.desc);
}

static int stage_sort(dsl_parse_ctx *p, dsl_stage *st) {
  int rc, cap = 0;
  st->kind = DSL_ST_SORT;
  if ((rc = dsl__advance(p)))
    return rc;
  for (bool again = true; again;) {
    st->u.sort.keys = dsl__grow(p, st->u.sort.keys, st->u.sort.nkeys, &cap,
                                sizeof(dsl_sort_key));
    dsl_sort_key *k = &st->u.sort.keys[st->u.sort.nkeys++];
    if ((rc = scalar(p, &k->expr)) || (rc = direction(p, &k->desc)) ||
        (rc = more(p, &again)))
      return rc;
  }
  return 0;
}

static int stage_dedup(dsl_parse_ctx *p, dsl_stage *st) {
  int rc;
  st->kind = DSL_ST_DEDUP;
  if ((rc = dsl__advance(p)))
    return rc;
  if (dsl__is_word(p, "within") || dsl__is_word(p, "on"))
    return dsl__syntax(p, "`dedup` needs the expression to compare first, as "
                          "in dedup device_id within 1m");
  if ((rc = scalar(p, &st->u.dedup.key)))
    return rc;
  bool within = false;
  while (p->tok.kind == DSL_TK_NAME) {
    if (dsl__is_word(p, "within")) {
      if (within)
        return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                             "`within` is given twice");
      within = true;
      if ((rc = dsl__advance(p)) ||
          (rc = dsl__duration(p, "within", false, &st->u.dedup.within_ms, NULL)))
        return rc;
    } else if (dsl__is_word(p, "on")) {
      if (st->u.dedup.on)
        return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                             "`on` is given twice");
      if ((rc = dsl__advance(p)) || (rc = dsl__field(p, "on", &st->u.dedup.on)))
        return rc;
    } else {
      break;
    }
  }
  return 0;
}

/* ------------------------------------------------------------- dispatcher */

static const char *const output_words[] = {"chart", "table", "into", NULL};

bool dsl__at_output(const dsl_parse_ctx *p) {
  for (int i = 0; output_words[i]; i++)
    if (dsl__is_word(p, output_words[i]))
      return true;
  return false;
}

int dsl__unknown_stage(dsl_parse_ctx *p) {
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "expected a stage, such as where, agg or chart");
  const char *w = p->src + p->tok.off;
  int n = p->tok.len;
  const dsl_word *word = dsl_word_lookup(w, (size_t)n);
  if (word && word->kind == DSL_WORD_SOURCE)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, n,
                         "`%.*s` is a source, not a stage; a query has one "
                         "source, at its start",
                         n, w);
  if (n == 3 && !memcmp(w, "let", 3))
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, n,
                         "`let` starts a statement on a line of its own");
  const char *sug = dsl__suggest(w, n, DSL_WORD_STAGE);
  if (sug)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, n,
                         "unknown stage `%.*s`; did you mean `%s`?", n, w, sug);
  return dsl__error_at(p, RT_ESYNTAX, p->tok.off, n,
                       "unknown stage `%.*s`; the stages are parse, where, "
                       "select, extend, window, session, agg, top, sort, "
                       "limit, dedup, for, and the outputs chart, table, into",
                       n > 40 ? 40 : n, w);
}

int dsl__stage(dsl_parse_ctx *p, dsl_stage *st) {
  int off = p->tok.off, rc;
  if (dsl__is_word(p, "parse"))
    rc = stage_parse(p, st);
  else if (dsl__is_word(p, "where")) {
    st->kind = DSL_ST_WHERE;
    if (!(rc = dsl__advance(p)) && !(rc = dsl__expr(p, &st->u.where)))
      rc = dsl__check_cond(p, st->u.where, "where");
  } else if (dsl__is_word(p, "select"))
    rc = stage_select(p, st);
  else if (dsl__is_word(p, "extend"))
    rc = stage_extend(p, st);
  else if (dsl__is_word(p, "window"))
    rc = stage_window(p, st);
  else if (dsl__is_word(p, "session"))
    rc = stage_session(p, st);
  else if (dsl__is_word(p, "agg"))
    rc = stage_agg(p, st);
  else if (dsl__is_word(p, "top"))
    rc = stage_top(p, st);
  else if (dsl__is_word(p, "sort"))
    rc = stage_sort(p, st);
  else if (dsl__is_word(p, "limit")) {
    st->kind = DSL_ST_LIMIT;
    if (!(rc = dsl__advance(p)))
      rc = dsl__whole_number(p, "limit", false, &st->u.limit, NULL);
  } else if (dsl__is_word(p, "dedup"))
    rc = stage_dedup(p, st);
  else if (dsl__is_word(p, "for")) {
    st->kind = DSL_ST_FOR;
    if (!(rc = dsl__advance(p)))
      rc = dsl__duration(p, "for", false, &st->u.for_ms, NULL);
  } else
    return dsl__unknown_stage(p);
  st->span = (dsl_span){off, p->prev_end - off};
  return rc;
}

/* ----------------------------------------------------------------- outputs */

static const char *const chart_kinds[] = {"line", "area", "bar", "scatter", NULL};
static const char *const chart_parts[] = {"x", "y", "by", "title", NULL};

static int chart_kind(dsl_parse_ctx *p, dsl_output *o) {
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "`chart` needs a kind: line, area, bar or scatter");
  for (int i = 0; chart_kinds[i]; i++) {
    if (dsl__is_word(p, chart_kinds[i])) {
      o->u.chart.kind = (dsl_chart_kind)i;
      return dsl__advance(p);
    }
  }
  const char *sug = dsl__suggest_in(p->src + p->tok.off, p->tok.len, chart_kinds);
  if (sug)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "unknown chart kind `%.*s`; did you mean `%s`?",
                         p->tok.len, p->src + p->tok.off, sug);
  return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                       "unknown chart kind `%.*s`; the kinds are line, area, "
                       "bar and scatter",
                       p->tok.len, p->src + p->tok.off);
}

static int chart_axis(dsl_parse_ctx *p, const char *axis, dsl_named *n) {
  int rc;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_EQ)
    return dsl__syntax(p, "expected `=` after `%s` (%s=EXPR)", axis, axis);
  if ((rc = dsl__advance(p)) || (rc = scalar(p, &n->expr)))
    return rc;
  n->name = expr_text(p, n->expr);
  n->name_span = n->expr->span;
  return 0;
}

static int chart_clause(dsl_parse_ctx *p, dsl_output *o, bool *have_x,
                        bool *have_title) {
  int rc, cap = 0;
  if (dsl__is_word(p, "x")) {
    if (*have_x)
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len, "`x` is given twice");
    *have_x = true;
    return chart_axis(p, "x", &o->u.chart.x);
  }
  if (dsl__is_word(p, "y")) {
    if (o->u.chart.nys)
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                           "`y` is given twice; list several series as "
                           "y=a, b");
    for (bool again = true; again;) {
      o->u.chart.ys = dsl__grow(p, o->u.chart.ys, o->u.chart.nys, &cap,
                                sizeof(dsl_named));
      dsl_named *n = &o->u.chart.ys[o->u.chart.nys];
      if (o->u.chart.nys == 0) {
        if ((rc = chart_axis(p, "y", n)))
          return rc;
      } else {
        if ((rc = scalar(p, &n->expr)))
          return rc;
        n->name = expr_text(p, n->expr);
        n->name_span = n->expr->span;
      }
      o->u.chart.nys++;
      if ((rc = more(p, &again)))
        return rc;
    }
    return 0;
  }
  if (dsl__is_word(p, "by")) {
    if (o->u.chart.by.expr)
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len, "`by` is given twice");
    if ((rc = dsl__advance(p)) || (rc = scalar(p, &o->u.chart.by.expr)))
      return rc;
    o->u.chart.by.name = expr_text(p, o->u.chart.by.expr);
    o->u.chart.by.name_span = o->u.chart.by.expr->span;
    return 0;
  }
  if (dsl__is_word(p, "title")) {
    if (*have_title)
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                           "`title` is given twice");
    *have_title = true;
    if ((rc = dsl__advance(p)))
      return rc;
    return dsl__string(p, "`title` takes a string in double quotes: title "
                          "\"Hottest devices\"",
                       &o->u.chart.title, NULL);
  }
  const char *sug = dsl__suggest_in(p->src + p->tok.off, p->tok.len, chart_parts);
  if (sug)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "unknown part `%.*s` of `chart`; did you mean `%s`?",
                         p->tok.len, p->src + p->tok.off, sug);
  return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                       "unknown part `%.*s` of `chart`; it takes x=, y=, by "
                       "and title",
                       p->tok.len, p->src + p->tok.off);
}

static int output_chart(dsl_parse_ctx *p, dsl_output *o) {
  int rc, off = p->tok.off;
  o->kind = DSL_OUT_CHART;
  if ((rc = dsl__advance(p)) || (rc = chart_kind(p, o)))
    return rc;
  int head_len = p->prev_end - off;
  bool have_x = false, have_title = false;
  while (p->tok.kind == DSL_TK_NAME)
    if ((rc = chart_clause(p, o, &have_x, &have_title)))
      return rc;
  if (p->tok.kind == DSL_TK_EOF && (!have_x || !o->u.chart.nys))
    p->err_at_eof = true;
  if (!have_x)
    return dsl__error_at(p, RT_ESYNTAX, off, head_len,
                         "`chart` needs `x=EXPR`, as in chart line "
                         "x=window_end y=avg_t");
  if (!o->u.chart.nys)
    return dsl__error_at(p, RT_ESYNTAX, off, head_len,
                         "`chart` needs `y=EXPR`, as in chart line "
                         "x=window_end y=avg_t");
  return 0;
}

static int output_into(dsl_parse_ctx *p, dsl_output *o) {
  int rc;
  if ((rc = dsl__advance(p)))
    return rc;
  if (dsl__is_word(p, "kinesis")) {
    o->kind = DSL_OUT_INTO_KINESIS;
    if ((rc = dsl__advance(p)) ||
        (rc = dsl__string(p, "`into kinesis` needs a stream name in quotes",
                          &o->u.kinesis.stream, NULL)))
      return rc;
    if (dsl__accept_word(p, "key", &rc) && !rc)
      rc = scalar(p, &o->u.kinesis.key);
    return rc;
  }
  if (dsl__is_word(p, "file")) {
    o->kind = DSL_OUT_INTO_FILE;
    if ((rc = dsl__advance(p)))
      return rc;
    return dsl__string(p, "`into file` needs a path in quotes",
                       &o->u.file.path, NULL);
  }
  return dsl__syntax(p, "`into` takes kinesis \"STREAM\" or file \"PATH\"");
}

int dsl__output(dsl_parse_ctx *p, dsl_output *o) {
  int off = p->tok.off, rc;
  o->implicit = false;
  if (dsl__is_word(p, "chart")) {
    rc = output_chart(p, o);
  } else if (dsl__is_word(p, "table")) {
    o->kind = DSL_OUT_TABLE;
    o->u.table.limit = -1;
    if (!(rc = dsl__advance(p)) && dsl__accept_word(p, "limit", &rc) && !rc)
      rc = dsl__whole_number(p, "limit", false, &o->u.table.limit, NULL);
  } else {
    rc = output_into(p, o);
  }
  o->span = (dsl_span){off, p->prev_end - off};
  return rc;
}
