/*
 * The parser of the Eddy language: statements, `let`, sources and magics,
 * plus the token helpers the other parser files share (dsl_parse_int.h).
 *
 * It is recursive descent with one token of lookahead, written by hand so
 * each rule can say in the user's words what it expected. It stops at the
 * first error: a message for a person beats a list of cascades. Every node
 * goes into the program's arena, so a failed parse frees everything at once.
 */
#include "dsl_parse_int.h"

#include "rt_arena.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ tokens */

int dsl__advance(dsl_parse_ctx *p) {
  if (p->tok.kind != DSL_TK_EOF) {
    p->prev_end = p->tok.off + p->tok.len;
    p->last_kind = p->tok.kind;
  }
  int rc = dsl_lex_next(&p->lx, &p->tok);
  if (rc && p->lx.err_at_eof)
    p->err_at_eof = p->open_string = true;
  return rc;
}

bool dsl__is_word(const dsl_parse_ctx *p, const char *word) {
  return p->tok.kind == DSL_TK_NAME && (int)strlen(word) == p->tok.len &&
         memcmp(p->src + p->tok.off, word, (size_t)p->tok.len) == 0;
}

bool dsl__accept(dsl_parse_ctx *p, dsl_tok_kind k, int *rc) {
  if (p->tok.kind != k)
    return false;
  *rc = dsl__advance(p);
  return true;
}

bool dsl__accept_word(dsl_parse_ctx *p, const char *word, int *rc) {
  if (!dsl__is_word(p, word))
    return false;
  *rc = dsl__advance(p);
  return true;
}

int dsl__skip_newlines(dsl_parse_ctx *p) {
  int rc = 0;
  while (!rc && p->tok.kind == DSL_TK_NEWLINE)
    rc = dsl__advance(p);
  return rc;
}

static void note_eof(dsl_parse_ctx *p, int code) {
  if (code == RT_ESYNTAX && p->tok.kind == DSL_TK_EOF)
    p->err_at_eof = true;
}

int dsl__syntax(dsl_parse_ctx *p, const char *fmt, ...) {
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  const dsl_tok *t = &p->tok;
  note_eof(p, RT_ESYNTAX);
  /* At the end of a line or of the input, the caret goes right after the
   * last token, not under blank lines or comments that follow it. */
  if (t->kind == DSL_TK_EOF || t->kind == DSL_TK_NEWLINE)
    return rt_err_set_at(p->err, RT_ESYNTAX, p->src, p->prev_end, 0,
                         "at %s: %s", dsl_tok_describe(t->kind), what);
  int n = t->len > 24 ? 24 : t->len;
  return rt_err_set_at(p->err, RT_ESYNTAX, p->src, t->off, t->len,
                       "near \"%.*s%s\": %s", n, p->src + t->off,
                       n < t->len ? "..." : "", what);
}

int dsl__error_at(dsl_parse_ctx *p, int code, int off, int len,
                  const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  note_eof(p, code);
  return rt_err_set_at(p->err, code, p->src, off, len, "%s", msg);
}

const char *dsl__text(dsl_parse_ctx *p, int off, int len) {
  return rt_arena_strndup(p->arena, p->src + off, (size_t)len);
}

void *dsl__grow(dsl_parse_ctx *p, void *arr, int n, int *cap, size_t elem) {
  if (n < *cap)
    return arr;
  int ncap = *cap ? *cap * 2 : 4;
  void *bigger = rt_arena_calloc(p->arena, (size_t)ncap, elem);
  if (arr)
    memcpy(bigger, arr, (size_t)*cap * elem);
  *cap = ncap;
  return bigger;
}

int dsl__whole_number(dsl_parse_ctx *p, const char *what, bool zero_ok,
                      int64_t *out, dsl_span *span) {
  int sign_off = p->tok.off;
  bool neg = false;
  int rc = 0;
  if (p->tok.kind == DSL_TK_MINUS) {
    neg = true;
    if ((rc = dsl__advance(p)))
      return rc;
  }
  const char *want = zero_ok ? "a whole number (0 or more)" : "a positive whole number";
  if (p->tok.kind != DSL_TK_NUMBER) {
    if (neg)
      return dsl__error_at(p, RT_ESYNTAX, sign_off, p->tok.off - sign_off + p->tok.len,
                           "`%s` needs %s", what, want);
    return dsl__syntax(p, "`%s` needs %s", what, want);
  }
  double v = neg ? -p->tok.num : p->tok.num;
  int off = sign_off, len = p->tok.off + p->tok.len - sign_off;
  /* Range first: converting an out-of-range double is undefined. */
  if (v > 9007199254740992.0 || v < -9007199254740992.0 || v != (double)(int64_t)v)
    return dsl__error_at(p, RT_ESYNTAX, off, len, "`%s` needs %s, not %.*s", what,
                         want, len, p->src + off);
  if (v < 0 || (v == 0 && !zero_ok))
    return dsl__error_at(p, RT_ESYNTAX, off, len, "`%s` needs %s, not %.*s", what,
                         want, len, p->src + off);
  *out = (int64_t)v;
  if (span)
    *span = (dsl_span){off, len};
  return dsl__advance(p);
}

int dsl__duration(dsl_parse_ctx *p, const char *what, bool zero_ok,
                  int64_t *out_ms, dsl_span *span) {
  if (p->tok.kind == DSL_TK_NUMBER)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "`%s` needs a duration with a unit, such as %.*ss or "
                         "%.*sm (units ms, s, m, h, d)",
                         what, p->tok.len, p->src + p->tok.off, p->tok.len,
                         p->src + p->tok.off);
  if (p->tok.kind == DSL_TK_MINUS)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "`%s` needs a positive duration", what);
  if (p->tok.kind != DSL_TK_DURATION)
    return dsl__syntax(p, "`%s` needs a duration such as 10s or 5m", what);
  if (p->tok.num == 0 && !zero_ok)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "`%s` needs a positive duration, not %.*s", what,
                         p->tok.len, p->src + p->tok.off);
  *out_ms = (int64_t)p->tok.num;
  if (span)
    *span = (dsl_span){p->tok.off, p->tok.len};
  return dsl__advance(p);
}

int dsl__string(dsl_parse_ctx *p, const char *what, const char **out,
                dsl_span *span) {
  if (p->tok.kind != DSL_TK_STRING)
    return dsl__syntax(p, "%s", what);
  *out = p->tok.str;
  if (span)
    *span = (dsl_span){p->tok.off, p->tok.len};
  return dsl__advance(p);
}

int dsl__field(dsl_parse_ctx *p, const char *what, dsl_expr **out) {
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "`%s` needs a field name", what);
  *out = dsl__field_expr(p, p->tok.off, p->tok.len);
  return dsl__advance(p);
}

/* ----------------------------------------------------------------- sources */

static const char *const kinesis_options[] = {"from", "until", "as", NULL};
static const char *const demo_options[] = {"rate", "devices", "seed", "limit",
                                           NULL};

static int unknown_option(dsl_parse_ctx *p, const char *source,
                          const char *const *options, const char *list) {
  const dsl_word *w = dsl_word_lookup(p->src + p->tok.off, (size_t)p->tok.len);
  if (w && w->kind == DSL_WORD_STAGE)
    return dsl__syntax(p, "expected `|` before the stage `%s`", w->word);
  const char *s = dsl__suggest_in(p->src + p->tok.off, p->tok.len, options);
  if (s)
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "unknown option `%.*s` of `%s`; did you mean `%s`?",
                         p->tok.len, p->src + p->tok.off, source, s);
  return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                       "unknown option `%.*s` of `%s`; it takes %s", p->tok.len,
                       p->src + p->tok.off, source, list);
}

static int twice(dsl_parse_ctx *p, const char *what) {
  return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                       "`%s` is given twice", what);
}

static int kinesis_from(dsl_parse_ctx *p, dsl_source *s, dsl_span *from_span) {
  int rc;
  *from_span = (dsl_span){p->tok.off, p->tok.len};
  if ((rc = dsl__advance(p)))
    return rc;
  if (dsl__is_word(p, "latest"))
    s->u.kinesis.from = DSL_FROM_LATEST;
  else if (dsl__is_word(p, "trim_horizon"))
    s->u.kinesis.from = DSL_FROM_TRIM_HORIZON;
  else if (dsl__is_word(p, "checkpoint"))
    s->u.kinesis.from = DSL_FROM_CHECKPOINT;
  else if (p->tok.kind == DSL_TK_STRING) {
    if (rt_time_parse(p->tok.str, (size_t)p->tok.slen, &s->u.kinesis.from_ms))
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                           "`from` needs an ISO-8601 time such as "
                           "\"2026-11-20T10:00:00Z\"");
    s->u.kinesis.from = DSL_FROM_TIMESTAMP;
  } else if (p->tok.kind == DSL_TK_NAME) {
    static const char *const froms[] = {"latest", "trim_horizon", "checkpoint",
                                        NULL};
    const char *sug = dsl__suggest_in(p->src + p->tok.off, p->tok.len, froms);
    if (sug)
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                           "unknown starting point `%.*s`; did you mean `%s`?",
                           p->tok.len, p->src + p->tok.off, sug);
    return dsl__syntax(p, "`from` needs latest, trim_horizon, checkpoint or "
                          "an ISO-8601 time in quotes");
  } else {
    return dsl__syntax(p, "`from` needs latest, trim_horizon, checkpoint or "
                          "an ISO-8601 time in quotes");
  }
  from_span->len = p->tok.off + p->tok.len - from_span->off;
  return dsl__advance(p);
}

static int source_kinesis(dsl_parse_ctx *p, dsl_source *s) {
  int rc;
  s->kind = DSL_SRC_KINESIS;
  if ((rc = dsl__advance(p)))
    return rc;
  if ((rc = dsl__string(p, "`kinesis` needs a stream name in quotes: kinesis "
                           "\"sensors\"",
                        &s->u.kinesis.stream, NULL)))
    return rc;
  dsl_span from_span = {0, 0};
  bool has_from = false, has_until = false;
  while (p->tok.kind == DSL_TK_NAME) {
    if (dsl__is_word(p, "from")) {
      if (has_from)
        return twice(p, "from");
      has_from = true;
      if ((rc = kinesis_from(p, s, &from_span)))
        return rc;
    } else if (dsl__is_word(p, "until")) {
      if (has_until)
        return twice(p, "until");
      has_until = true;
      if ((rc = dsl__advance(p)))
        return rc;
      if (!dsl__is_word(p, "now"))
        return dsl__syntax(p, "`until` takes `now`: kinesis \"s\" until now");
      s->u.kinesis.until_now = true;
      if ((rc = dsl__advance(p)))
        return rc;
    } else if (dsl__is_word(p, "as")) {
      if (s->u.kinesis.app)
        return twice(p, "as");
      if ((rc = dsl__advance(p)))
        return rc;
      if ((rc = dsl__string(p, "`as` needs an application name in quotes: as "
                               "\"my-app\"",
                            &s->u.kinesis.app, NULL)))
        return rc;
    } else {
      return unknown_option(p, "kinesis", kinesis_options,
                            "from, until now and as");
    }
  }
  if (s->u.kinesis.from == DSL_FROM_CHECKPOINT && !s->u.kinesis.app)
    return dsl__error_at(p, RT_ESYNTAX, from_span.off, from_span.len,
                         "`from checkpoint` needs `as \"APP\"` to name the "
                         "application whose checkpoint to resume");
  return 0;
}

static int source_file(dsl_parse_ctx *p, dsl_source *s) {
  int rc;
  s->kind = DSL_SRC_FILE;
  if ((rc = dsl__advance(p)))
    return rc;
  return dsl__string(p, "`file` needs a path in quotes: file \"data.jsonl\"",
                     &s->u.file.path, NULL);
}

static int demo_option(dsl_parse_ctx *p, dsl_source *s) {
  int rc;
  const char *opt = dsl__is_word(p, "rate")      ? "rate"
                    : dsl__is_word(p, "devices") ? "devices"
                    : dsl__is_word(p, "seed")    ? "seed"
                    : dsl__is_word(p, "limit")   ? "limit"
                                                 : NULL;
  if (!opt)
    return unknown_option(p, "demo", demo_options,
                          "rate, devices, seed and limit");
  bool given = (opt[0] == 'r' && s->u.demo.rate >= 0) ||
               (opt[0] == 'd' && s->u.demo.devices >= 0) ||
               (opt[0] == 's' && s->u.demo.seed >= 0) ||
               (opt[0] == 'l' && s->u.demo.limit >= 0);
  if (given)
    return twice(p, opt);
  if ((rc = dsl__advance(p)))
    return rc;
  if (opt[0] == 'r') {
    if (p->tok.kind != DSL_TK_NUMBER)
      return dsl__syntax(p, "`rate` needs a number of records per second");
    if (p->tok.num <= 0 || p->tok.num > 1e7)
      return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                           "`rate` needs a number of records per second "
                           "above 0 and at most 10000000");
    s->u.demo.rate = p->tok.num;
    return dsl__advance(p);
  }
  if (opt[0] == 'd')
    return dsl__whole_number(p, "devices", false, &s->u.demo.devices, NULL);
  if (opt[0] == 's')
    return dsl__whole_number(p, "seed", true, &s->u.demo.seed, NULL);
  return dsl__whole_number(p, "limit", false, &s->u.demo.limit, NULL);
}

static int source_demo(dsl_parse_ctx *p, dsl_source *s) {
  int rc;
  s->kind = DSL_SRC_DEMO;
  s->u.demo.rate = -1;
  s->u.demo.devices = -1;
  s->u.demo.seed = -1;
  s->u.demo.limit = -1;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "`demo` needs a generator: demo sensors");
  if (!dsl__is_word(p, "sensors")) {
    static const char *const gens[] = {"sensors", NULL};
    const char *sug = dsl__suggest_in(p->src + p->tok.off, p->tok.len, gens);
    return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                         "unknown demo generator `%.*s`; %s", p->tok.len,
                         p->src + p->tok.off,
                         sug ? "did you mean `sensors`?"
                             : "the generator is `sensors`");
  }
  s->u.demo.generator = "sensors";
  if ((rc = dsl__advance(p)))
    return rc;
  while (!rc && p->tok.kind == DSL_TK_NAME)
    rc = demo_option(p, s);
  return rc;
}

/* A name where a source belongs that is not a source: a stage, a typo of a
 * source, or a `let` name followed by something that does not belong. */
static int source_ref(dsl_parse_ctx *p, dsl_source *s) {
  int off = p->tok.off, len = p->tok.len;
  const char *name = p->src + off;
  const dsl_word *w = dsl_word_lookup(name, (size_t)len);
  if (w && w->kind == DSL_WORD_STAGE)
    return dsl__error_at(p, RT_ESYNTAX, off, len,
                         "`%.*s` is a stage, but a query starts with a source: "
                         "kinesis, file, demo or the name of a `let`",
                         len, name);
  if (memchr(name, '.', (size_t)len))
    return dsl__error_at(p, RT_ESYNTAX, off, len,
                         "expected a source: kinesis, file, demo or the name of "
                         "a `let` (a name without dots)");
  int rc = dsl__advance(p);
  if (rc)
    return rc;
  if (p->tok.kind != DSL_TK_PIPE && p->tok.kind != DSL_TK_NEWLINE &&
      p->tok.kind != DSL_TK_EOF) {
    const char *sug = dsl__suggest(name, len, DSL_WORD_SOURCE);
    if (sug)
      return dsl__error_at(p, RT_ESYNTAX, off, len,
                           "unknown source `%.*s`; did you mean `%s`?", len,
                           name, sug);
    return dsl__error_at(p, RT_ESYNTAX, off, len,
                         "unknown source `%.*s`; a query starts with kinesis, "
                         "file, demo or the name of a `let`",
                         len, name);
  }
  s->kind = DSL_SRC_REF;
  s->u.ref.name = dsl__text(p, off, len);
  return 0;
}

static int parse_source(dsl_parse_ctx *p, dsl_source *s) {
  int off = p->tok.off, rc;
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "expected a query: a source such as kinesis "
                          "\"STREAM\", file \"PATH\", demo sensors or a `let` "
                          "name");
  if (dsl__is_word(p, "kinesis"))
    rc = source_kinesis(p, s);
  else if (dsl__is_word(p, "file"))
    rc = source_file(p, s);
  else if (dsl__is_word(p, "demo"))
    rc = source_demo(p, s);
  else
    rc = source_ref(p, s);
  s->span = (dsl_span){off, p->prev_end - off};
  return rc;
}

/* ------------------------------------------------------------------ queries */

static int stage_after_output(dsl_parse_ctx *p, const dsl_output *o) {
  int olen = 0;
  while (olen < o->span.len && p->src[o->span.off + olen] != ' ')
    olen++;
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "nothing may follow the output `%.*s`", olen,
                       p->src + o->span.off);
  return dsl__error_at(p, RT_ESYNTAX, p->tok.off, p->tok.len,
                       "`%.*s` comes after the output `%.*s`, but the output "
                       "must be the last stage",
                       p->tok.len, p->src + p->tok.off, olen,
                       p->src + o->span.off);
}

static int parse_query(dsl_parse_ctx *p, dsl_query *q) {
  int rc, cap = 0;
  q->span.off = p->tok.off;
  p->scope_aggs = NULL;
  p->scope_naggs = p->scope_nkeys = 0;
  p->scope_keys = NULL;
  if ((rc = parse_source(p, &q->source)))
    return rc;
  bool have_output = false;
  while (p->tok.kind == DSL_TK_PIPE) {
    if ((rc = dsl__advance(p)))
      return rc;
    if (have_output)
      return stage_after_output(p, &q->output);
    if (dsl__at_output(p)) {
      if ((rc = dsl__output(p, &q->output)))
        return rc;
      have_output = true;
      continue;
    }
    q->stages = dsl__grow(p, q->stages, q->nstages, &cap, sizeof(dsl_stage));
    dsl_stage *st = &q->stages[q->nstages];
    if ((rc = dsl__stage(p, st)))
      return rc;
    q->nstages++;
    if (st->kind == DSL_ST_AGG) {
      p->scope_aggs = st->u.agg.aggs;
      p->scope_naggs = st->u.agg.naggs;
      p->scope_keys = st->u.agg.keys;
      p->scope_nkeys = st->u.agg.nkeys;
    }
  }
  if (!have_output) {
    q->output.kind = DSL_OUT_TABLE;
    q->output.implicit = true;
    q->output.span = (dsl_span){p->prev_end, 0};
    q->output.u.table.limit = -1;
  }
  q->span.len = p->prev_end - q->span.off;
  return dsl__check_query(p, q);
}

static int parse_let(dsl_parse_ctx *p, dsl_stmt *st) {
  int rc;
  st->kind = DSL_STMT_LET;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_NAME)
    return dsl__syntax(p, "`let` needs a name: let hot = SOURCE | ...");
  int off = p->tok.off, len = p->tok.len;
  if (memchr(p->src + off, '.', (size_t)len))
    return dsl__error_at(p, RT_ESYNTAX, off, len,
                         "a `let` name is a plain name, without dots");
  const dsl_word *w = dsl_word_lookup(p->src + off, (size_t)len);
  if ((w && (w->kind == DSL_WORD_SOURCE || w->kind == DSL_WORD_STAGE)) ||
      (len == 3 && !memcmp(p->src + off, "let", 3)))
    return dsl__error_at(p, RT_ESYNTAX, off, len,
                         "`%.*s` is a word of the language; pick another name",
                         len, p->src + off);
  st->u.let.name = dsl__text(p, off, len);
  st->u.let.name_span = (dsl_span){off, len};
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_EQ)
    return dsl__syntax(p, "expected `=` after the name: let %.*s = SOURCE | ...",
                       len, p->src + off);
  if ((rc = dsl__advance(p)))
    return rc;
  if ((rc = parse_query(p, &st->u.let.query)))
    return rc;
  const dsl_output *o = &st->u.let.query.output;
  if (!o->implicit) {
    int olen = 0;
    while (olen < o->span.len && p->src[o->span.off + olen] != ' ')
      olen++;
    return dsl__error_at(p, RT_ESYNTAX, o->span.off, o->span.len,
                         "a `let` names a stream and cannot end in an output; "
                         "put `%.*s` in the query that reads `%.*s`",
                         olen, p->src + o->span.off, len, p->src + off);
  }
  return 0;
}

/* ------------------------------------------------------------------- magics */

static const char *const magic_names[] = {"queries", "stop",   "set",  "streams",
                                          "describe", "create", "help", "aws", NULL};

static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Reads one argument of a magic starting at *at; returns 0, or an error (an
 * unterminated string). *e is NULL at the end of the line. */
static int magic_arg(dsl_parse_ctx *p, int *at, int end, dsl_expr **e) {
  *e = NULL;
  while (*at < end && is_space(p->src[*at]))
    (*at)++;
  if (*at >= end || p->src[*at] == '#')
    return 0;
  int start = *at;
  dsl_lexer lx;
  dsl_tok t;
  if (p->src[start] == '"') {
    dsl_lex_init(&lx, p->src, end, p->arena, p->err);
    lx.pos = start;
    lx.line_start = false;
    int rc = dsl_lex_next(&lx, &t);
    if (rc) {
      if (lx.err_at_eof && end >= p->len) /* open at the end of the input */
        p->err_at_eof = p->open_string = true;
      return rc;
    }
    *e = rt_arena_calloc(p->arena, 1, sizeof(dsl_expr));
    (*e)->kind = DSL_EX_STRING;
    (*e)->u.str.s = t.str;
    (*e)->u.str.len = t.slen;
    (*e)->span = (dsl_span){t.off, t.len};
    *at = t.off + t.len;
    return 0;
  }
  while (*at < end && !is_space(p->src[*at]))
    (*at)++;
  int len = *at - start;
  *e = rt_arena_calloc(p->arena, 1, sizeof(dsl_expr));
  (*e)->span = (dsl_span){start, len};
  if (p->src[start] >= '0' && p->src[start] <= '9') {
    /* A number or duration only if the whole word is one. */
    rt_err scratch;
    dsl_lex_init(&lx, p->src, *at, p->arena, &scratch);
    lx.pos = start;
    lx.line_start = false;
    if (dsl_lex_next(&lx, &t) == 0 && t.off + t.len == *at &&
        (t.kind == DSL_TK_NUMBER || t.kind == DSL_TK_DURATION)) {
      (*e)->kind = t.kind == DSL_TK_NUMBER ? DSL_EX_NUMBER : DSL_EX_DURATION;
      (*e)->u.num = t.num;
      return 0;
    }
  }
  (*e)->kind = DSL_EX_FIELD;
  const char **parts = rt_arena_alloc(p->arena, sizeof(char *));
  parts[0] = dsl__text(p, start, len);
  (*e)->u.field.parts = parts;
  (*e)->u.field.nparts = 1;
  (*e)->u.field.text = parts[0];
  return 0;
}

static int magic_arity(dsl_parse_ctx *p, dsl_stmt *st, int name_end) {
  const char *n = st->u.magic.name;
  dsl_expr **a = st->u.magic.args;
  int na = st->u.magic.nargs;
  int end = st->span.off + st->span.len;
  int min = 0, max = 0;
  const char *usage = NULL;
  if (!strcmp(n, "stop")) {
    min = max = 1;
    usage = "a query id or `all`: %stop 3";
  } else if (!strcmp(n, "set")) {
    /* Alone, %set lists the settings; otherwise it sets one. */
    if (na == 1)
      return dsl__error_at(p, RT_ESYNTAX, end, 0,
                           "`%%set` needs a value after `%s`, as in %%set "
                           "batch 200ms",
                           a[0]->kind == DSL_EX_FIELD ? a[0]->u.field.text
                                                      : "the name");
    max = 2;
    usage = "a name and a value: %set batch 200ms";
  } else if (!strcmp(n, "describe")) {
    min = max = 1;
    usage = "a stream name: %describe sensors";
  } else if (!strcmp(n, "create")) {
    min = 2;
    max = 3;
    usage = "a stream name and a shard count, or on_demand: %create sensors shards 2";
  } else if (!strcmp(n, "help")) {
    max = 1;
    usage = "at most one word: %help window";
  } else {
    usage = "no arguments";
  }
  (void)name_end;
  if (na < min) /* the caret goes where the missing argument belongs */
    return dsl__error_at(p, RT_ESYNTAX, end, 0, "`%%%s` needs %s", n, usage);
  if (na > max)
    return dsl__error_at(p, RT_ESYNTAX, a[max]->span.off,
                         end - a[max]->span.off, "`%%%s` takes %s", n, usage);
  if (!strcmp(n, "create")) {
    const char *mode = a[1]->kind == DSL_EX_FIELD ? a[1]->u.field.text : "";
    if (na == 2 && !strcmp(mode, "shards")) /* the count is missing */
      return dsl__error_at(p, RT_ESYNTAX, end, 0, "`%%create` needs %s", usage);
    if ((na == 2 && strcmp(mode, "on_demand")) || (na == 3 && strcmp(mode, "shards")))
      return dsl__error_at(p, RT_ESYNTAX, a[1]->span.off, a[1]->span.len,
                           "`%%create` needs %s", usage);
    if (na == 3 && (a[2]->kind != DSL_EX_NUMBER || a[2]->u.num < 1 || a[2]->u.num > 10000 ||
        a[2]->u.num != (double)(int64_t)a[2]->u.num))
      return dsl__error_at(p, RT_ESYNTAX, a[2]->span.off, a[2]->span.len,
                           "`shards` needs a whole number from 1 to 10000");
  }
  return 0;
}

static int parse_magic(dsl_parse_ctx *p, dsl_stmt *st) {
  st->kind = DSL_STMT_MAGIC;
  st->span = (dsl_span){p->tok.off, p->tok.len};
  int end = p->tok.off + p->tok.len;
  int at = p->tok.off + 1, start = at;
  while (at < end && (p->src[at] == '_' || (p->src[at] >= 'a' && p->src[at] <= 'z') ||
                      (p->src[at] >= 'A' && p->src[at] <= 'Z') ||
                      (p->src[at] >= '0' && p->src[at] <= '9')))
    at++;
  int nlen = at - start;
  st->u.magic.name = dsl__text(p, start, nlen);
  st->u.magic.name_span = (dsl_span){start - 1, nlen + 1};
  bool known = false;
  for (int i = 0; magic_names[i]; i++)
    known |= !strcmp(magic_names[i], st->u.magic.name);
  if (!known) {
    const char *sug = dsl__suggest(p->src + start - 1, nlen + 1, DSL_WORD_MAGIC);
    if (sug)
      return dsl__error_at(p, RT_ESYNTAX, start - 1, nlen + 1,
                           "unknown magic `%%%.*s`; did you mean `%s`?", nlen,
                           p->src + start, sug);
    return dsl__error_at(p, RT_ESYNTAX, start - 1, nlen + 1,
                         "unknown magic `%%%.*s`; the magics are %%queries, "
                         "%%stop, %%set, %%streams, %%describe, %%create, "
                         "%%aws and %%help",
                         nlen, p->src + start);
  }
  int rest = at;
  while (rest < end && is_space(p->src[rest]))
    rest++;
  st->u.magic.rest = dsl__text(p, rest, end - rest);
  int cap = 0, rc;
  for (;;) {
    dsl_expr *e;
    if ((rc = magic_arg(p, &at, end, &e)))
      return rc;
    if (!e)
      break;
    st->u.magic.args = dsl__grow(p, st->u.magic.args, st->u.magic.nargs, &cap,
                                 sizeof(dsl_expr *));
    st->u.magic.args[st->u.magic.nargs++] = e;
  }
  if ((rc = magic_arity(p, st, start + nlen)))
    return rc;
  return dsl__advance(p);
}

/* --------------------------------------------------------------- statements */

static int parse_stmt(dsl_parse_ctx *p, dsl_stmt *st) {
  int off = p->tok.off, rc;
  if (p->tok.kind == DSL_TK_MAGIC)
    return parse_magic(p, st);
  if (dsl__is_word(p, "let")) {
    rc = parse_let(p, st);
  } else {
    st->kind = DSL_STMT_QUERY;
    rc = parse_query(p, &st->u.query);
  }
  if (rc)
    return rc;
  st->span = (dsl_span){off, p->prev_end - off};
  if (p->tok.kind == DSL_TK_NEWLINE || p->tok.kind == DSL_TK_EOF)
    return 0;
  if (p->tok.kind == DSL_TK_NAME) {
    const dsl_word *w = dsl_word_lookup(p->src + p->tok.off, (size_t)p->tok.len);
    if (w && w->kind == DSL_WORD_STAGE)
      return dsl__syntax(p, "expected `|` before the stage `%.*s`", p->tok.len,
                         p->src + p->tok.off);
  }
  switch (p->tok.kind) {
  case DSL_TK_NAME:
  case DSL_TK_NUMBER:
  case DSL_TK_DURATION:
  case DSL_TK_STRING:
  case DSL_TK_LPAREN:
  case DSL_TK_TRUE:
  case DSL_TK_FALSE:
  case DSL_TK_NULL:
    /* Two values in a row: a comma, an operator or a `|` is missing. */
    return dsl__syntax(p, "expected `|`, `,` or an operator before this");
  default:
    return dsl__syntax(p, "expected `|` and a stage, or the end of the line");
  }
}

static int parse_program(dsl_parse_ctx *p, dsl_program *prog) {
  int rc, cap = 0;
  if ((rc = dsl__advance(p)) || (rc = dsl__skip_newlines(p)))
    return rc;
  while (p->tok.kind != DSL_TK_EOF) {
    prog->stmts = dsl__grow(p, prog->stmts, prog->nstmts, &cap, sizeof(dsl_stmt));
    if ((rc = parse_stmt(p, &prog->stmts[prog->nstmts])))
      return rc;
    prog->nstmts++;
    if ((rc = dsl__skip_newlines(p)))
      return rc;
  }
  return 0;
}

int dsl__parse(const char *src, size_t len, dsl_program **out, rt_err *err,
               dsl_parse_info *info) {
  rt_err local;
  if (!err)
    err = &local;
  rt_err_clear(err);
  if (info)
    memset(info, 0, sizeof(*info));
  if (out)
    *out = NULL;
  if (!src && len)
    return rt_err_set(err, RT_EINVAL, "no program text");
  if (len > (size_t)(INT_MAX / 4))
    return rt_err_set(err, RT_ESYNTAX, "the program is too long");

  dsl_program *prog = rt_xcalloc(1, sizeof(*prog));
  prog->arena = rt_arena_new(0);
  char *copy = rt_arena_strndup(prog->arena, src ? src : "", len);
  prog->src = copy;
  prog->srclen = (int)len;

  dsl_parse_ctx p;
  memset(&p, 0, sizeof(p));
  p.src = copy;
  p.len = (int)len;
  p.arena = prog->arena;
  p.err = err;
  dsl_lex_init(&p.lx, copy, (int)len, prog->arena, err);

  int rc = parse_program(&p, prog);
  if (info) {
    info->err_at_eof = p.err_at_eof;
    info->open_parens = p.lx.depth;
    info->last_kind = p.last_kind;
    info->open_string = p.open_string;
  }
  if (rc || !out) {
    dsl_program_free(&prog);
    return rc;
  }
  *out = prog;
  return 0;
}

int dsl_parse(const char *src, size_t len, dsl_program **out, rt_err *err) {
  if (!out)
    return rt_err_set(err, RT_EINVAL, "dsl_parse: out is NULL");
  return dsl__parse(src, len, out, err, NULL);
}

void dsl_program_free(dsl_program **prog) {
  if (!prog || !*prog)
    return;
  rt_arena_free(&(*prog)->arena);
  rt_free(*prog);
  *prog = NULL;
}
