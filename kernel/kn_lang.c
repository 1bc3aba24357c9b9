/*
 * The one file where the kernel calls the Eddy language (runtime/dsl.h).
 * A cell is parsed whole first, so a syntax error anywhere rejects it before
 * any statement runs; then its statements run in order. Magics are served
 * here. Queries and lets need the runtime, which is not wired in yet: they
 * end in run_query(), the single placeholder that integration replaces.
 */
#include "kn_lang.h"

#include "dsl.h"
#include "rt_log.h"
#include "rt_mem.h"

#include <stdio.h>
#include <string.h>

struct kn_lang {
  kn_settings *settings; /* %set values, read by the runtime */
  kn_names *names;       /* streams, lets and fields seen, for completion */
};

/* Fields every session can name before any query ran: what the sources
 * yield (LANGUAGE.md, Sources) and what windowed results hold. */
static const char *const builtin_names[] = {
    "data", "partition_key", "sequence", "shard", "arrival", "device_id",
    "temperature", "humidity", "ts", "window_start", "window_end", NULL};

kn_lang *kn_lang_new(void) {
  kn_lang *lang = rt_xcalloc(1, sizeof(*lang));
  lang->settings = kn_settings_new();
  lang->names = kn_names_new();
  for (int i = 0; builtin_names[i]; i++)
    kn_names_add(lang->names, builtin_names[i], strlen(builtin_names[i]));
  return lang;
}

void kn_lang_free(kn_lang **lang) {
  if (!lang || !*lang)
    return;
  kn_settings_free(&(*lang)->settings);
  kn_names_free(&(*lang)->names);
  rt_free(*lang);
  *lang = NULL;
}

kn_settings *kn_lang_settings(kn_lang *lang) { return lang->settings; }

kn_names *kn_lang_names(kn_lang *lang) { return lang->names; }

/* ------------------------------------------------------------ names seen */

static void add_name(kn_lang *lang, const char *s) {
  if (s)
    kn_names_add(lang->names, s, strlen(s));
}

static void walk_expr(kn_lang *lang, const dsl_expr *e) {
  if (!e)
    return;
  switch (e->kind) {
  case DSL_EX_FIELD:
    add_name(lang, e->u.field.text);
    break;
  case DSL_EX_UNARY:
    walk_expr(lang, e->u.unary.arg);
    break;
  case DSL_EX_BINARY:
    walk_expr(lang, e->u.binary.lhs);
    walk_expr(lang, e->u.binary.rhs);
    break;
  case DSL_EX_IN:
    walk_expr(lang, e->u.in.lhs);
    for (int i = 0; i < e->u.in.nitems; i++)
      walk_expr(lang, e->u.in.items[i]);
    break;
  case DSL_EX_CALL:
    for (int i = 0; i < e->u.call.nargs; i++)
      walk_expr(lang, e->u.call.args[i]);
    break;
  default:
    break;
  }
}

static void walk_named(kn_lang *lang, const dsl_named *v, int n) {
  for (int i = 0; i < n; i++) {
    walk_expr(lang, v[i].expr);
    add_name(lang, v[i].name);
  }
}

static void walk_stage(kn_lang *lang, const dsl_stage *st) {
  switch (st->kind) {
  case DSL_ST_PARSE_CSV:
    for (int i = 0; i < st->u.csv.ncols; i++)
      add_name(lang, st->u.csv.cols[i].name);
    break;
  case DSL_ST_WHERE:
    walk_expr(lang, st->u.where);
    break;
  case DSL_ST_SELECT:
  case DSL_ST_EXTEND:
    walk_named(lang, st->u.select.items, st->u.select.nitems);
    break;
  case DSL_ST_AGG:
    for (int i = 0; i < st->u.agg.naggs; i++)
      add_name(lang, st->u.agg.aggs[i].name);
    walk_named(lang, st->u.agg.keys, st->u.agg.nkeys);
    break;
  default:
    break;
  }
}

/* Remembers the names a parsed query mentions, for completion. */
static void walk_query(kn_lang *lang, const dsl_query *q) {
  if (q->source.kind == DSL_SRC_KINESIS)
    add_name(lang, q->source.u.kinesis.stream);
  else if (q->source.kind == DSL_SRC_REF)
    add_name(lang, q->source.u.ref.name);
  for (int i = 0; i < q->nstages; i++)
    walk_stage(lang, &q->stages[i]);
}

/* ---------------------------------------------------------------- magics */

static int emit(kn_cell *cell, const rt_buf *text) {
  return kn_cell_stream(cell, "stdout", text->data ? text->data : "", text->len);
}

static const char *kind_title(dsl_word_kind kind) {
  static const char *const titles[] = {"keywords", "sources", "stages",
                                       "functions", "aggregates", "magics"};
  return (unsigned)kind < 6 ? titles[kind] : "words";
}

/* %help: every word by kind, or one word's synopsis and help. */
static int magic_help(kn_cell *cell, const dsl_stmt *st, const char *src,
                      rt_err *err) {
  rt_buf out;
  rt_buf_init(&out, 0);
  if (st->u.magic.nargs == 1) {
    const dsl_expr *a = st->u.magic.args[0];
    const dsl_word *w =
        a->kind == DSL_EX_STRING
            ? dsl_word_lookup(a->u.str.s, (size_t)a->u.str.len)
            : dsl_word_lookup(src + a->span.off, (size_t)a->span.len);
    if (!w)
      return rt_err_set_at(err, RT_ENOTFOUND, src, a->span.off, a->span.len,
                           "no help for `%.*s`; %%help lists every word",
                           a->span.len, src + a->span.off);
    rt_buf_printf(&out, "%s\n\n%s\n", w->synopsis, w->help);
  } else {
    const dsl_word *words = dsl_words();
    for (int kind = DSL_WORD_KEYWORD; kind <= DSL_WORD_MAGIC; kind++) {
      rt_buf_printf(&out, "%s:", kind_title((dsl_word_kind)kind));
      for (const dsl_word *w = words; w->word; w++)
        if ((int)w->kind == kind)
          rt_buf_printf(&out, " %s", w->word);
      rt_buf_puts(&out, "\n");
    }
    rt_buf_puts(&out, "\n%help WORD shows one word's synopsis and an example.\n");
  }
  int rc = emit(cell, &out);
  rt_buf_free(&out);
  return rc;
}

/* Turns a magic argument into a setting value: a duration, a number, or a
 * string (quoted, or a bare word such as us-east-1). A string too long for
 * the value is left unterminated, which kn_settings_set() refuses. */
static void setting_value(const dsl_expr *a, const char *src,
                          kn_setting_value *v) {
  memset(v, 0, sizeof(*v));
  if (a->kind == DSL_EX_DURATION || a->kind == DSL_EX_NUMBER) {
    v->kind = a->kind == DSL_EX_DURATION ? KN_SET_DURATION : KN_SET_NUMBER;
    v->num = a->u.num;
    return;
  }
  v->kind = KN_SET_STRING;
  const char *s = a->kind == DSL_EX_STRING ? a->u.str.s : src + a->span.off;
  size_t n = (size_t)(a->kind == DSL_EX_STRING ? a->u.str.len : a->span.len);
  memcpy(v->str, s, n < sizeof(v->str) ? n : sizeof(v->str));
}

/* %set (list) or %set NAME VALUE. */
static int magic_set(kn_lang *lang, kn_cell *cell, const dsl_stmt *st,
                     const char *src, rt_err *err) {
  if (st->u.magic.nargs == 0) {
    rt_buf out;
    rt_buf_init(&out, 0);
    kn_settings_format(lang->settings, &out);
    int rc = emit(cell, &out);
    rt_buf_free(&out);
    return rc;
  }
  const dsl_expr *name = st->u.magic.args[0], *val = st->u.magic.args[1];
  char key[64];
  snprintf(key, sizeof(key), "%.*s", name->span.len, src + name->span.off);
  kn_setting_value v;
  setting_value(val, src, &v);
  rt_err why;
  if (kn_settings_set(lang->settings, key, &v, &why) == 0)
    return 0;
  const dsl_expr *at = strstr(why.msg, "unknown setting") ? name : val;
  return rt_err_set_at(err, RT_EINVAL, src, at->span.off, at->span.len, "%s",
                       why.msg);
}

static int run_magic(kn_lang *lang, kn_cell *cell, const dsl_stmt *st,
                     const char *src, rt_err *err) {
  const char *name = st->u.magic.name;
  if (strcmp(name, "help") == 0)
    return magic_help(cell, st, src, err);
  if (strcmp(name, "set") == 0)
    return magic_set(lang, cell, st, src, err);
  if (strcmp(name, "queries") == 0) {
    static const char msg[] = "No queries are running.\n";
    return kn_cell_stream(cell, "stdout", msg, sizeof(msg) - 1);
  }
  if (strcmp(name, "stop") == 0) {
    static const char msg[] = "No queries are running; nothing to stop.\n";
    return kn_cell_stream(cell, "stdout", msg, sizeof(msg) - 1);
  }
  return rt_err_set_at(err, RT_EUNSUPPORTED, src, st->u.magic.name_span.off,
                       st->u.magic.name_span.len,
                       "%%%s needs the runtime, which is not built into this "
                       "kernel yet",
                       name);
}

/* --------------------------------------------------------------- queries */

/*
 * THE PLACEHOLDER: a parsed query or let would be compiled and started on the
 * runtime here. Until the runtime is wired in, it is refused with the query's
 * span underlined.
 */
static int run_query(kn_lang *lang, kn_cell *cell, const dsl_stmt *st,
                     const char *src, rt_err *err) {
  return rt_err_set_at(err, RT_EUNSUPPORTED, src, st->span.off, st->span.len,
                       "queries need the runtime, which is not built into "
                       "this kernel yet");
}

int kn_lang_execute(kn_lang *lang, kn_cell *cell, const char *code, size_t len,
                    rt_err *err) {
  dsl_program *prog = NULL;
  int rc = dsl_parse(code, len, &prog, err);
  if (rc < 0)
    return rc;
  for (int i = 0; i < prog->nstmts; i++) {
    const dsl_stmt *st = &prog->stmts[i];
    if (st->kind == DSL_STMT_LET) {
      add_name(lang, st->u.let.name);
      walk_query(lang, &st->u.let.query);
    } else if (st->kind == DSL_STMT_QUERY) {
      walk_query(lang, &st->u.query);
    }
  }
  for (int i = 0; i < prog->nstmts && rc == 0; i++) {
    const dsl_stmt *st = &prog->stmts[i];
    if (kn_cell_interrupted(cell))
      rc = rt_err_set(err, RT_EINTR, "interrupted");
    else if (st->kind == DSL_STMT_MAGIC)
      rc = run_magic(lang, cell, st, prog->src, err);
    else
      rc = run_query(lang, cell, st, prog->src, err);
  }
  dsl_program_free(&prog);
  return rc;
}

/* ---------------------------------------------------- notebook helpers */

const char *kn_lang_is_complete(kn_lang *lang, const char *code, size_t len) {
  switch (dsl_is_complete(code, len)) {
  case DSL_COMPLETE:
    return "complete";
  case DSL_INCOMPLETE:
    return "incomplete";
  default:
    return "invalid";
  }
}

void kn_lang_complete(kn_lang *lang, const char *prefix, size_t len,
                      json_t *matches) {
  bool magic = len > 0 && prefix[0] == '%';
  for (const dsl_word *w = dsl_words(); w->word; w++) {
    if ((w->kind == DSL_WORD_MAGIC) != magic)
      continue;
    if (strncmp(w->word, prefix, len) == 0)
      json_array_append_new(matches, json_string(w->word));
  }
  if (!magic)
    kn_names_match(lang->names, prefix, len, matches);
}

bool kn_lang_inspect(kn_lang *lang, const char *word, size_t len, rt_buf *out) {
  const dsl_word *w = dsl_word_lookup(word, len);
  if (!w)
    return false;
  rt_buf_printf(out, "%s\n\n%s\n", w->synopsis, w->help);
  return true;
}
