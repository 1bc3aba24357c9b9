/*
 * The one file where the kernel calls the Eddy language: the runtime
 * (runtime/rt_runtime.h) runs cells, keeps `let`s, settings and queries;
 * kn_live turns each query's output into a live display. Magics the runtime
 * leaves to its caller (%help, %streams, %describe) and the kernel's own
 * forms of %set, %queries and %stop are served here, through on_magic.
 *
 * The cell id that ties a cell to its queries (a re-run replaces them and
 * reuses their display ids) is the front end's: JupyterLab and Notebook 7
 * send metadata.cellId with each execute_request. The classic notebook sends
 * none; then the code text stands for the cell ("code:" + its hash), so
 * running the same cell again still replaces its queries (an edited cell
 * starts new ones; %stop ends the old). The execution count would never
 * match twice, so a re-run could not replace anything.
 */
#include "kn_lang.h"

#include "dsl.h"
#include "kn_live.h"
#include "rt_aws.h"
#include "rt_kinesis.h"
#include "rt_kinesis_magic.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "rt_runtime.h"
#include "rt_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kn_lang {
  rt_runtime *rt;  /* lets, settings (%set: the one store) and queries */
  kn_live *live;   /* the live displays of running queries */
  kn_names *names; /* streams, lets and fields seen, for completion */
  kn_cell *cell;   /* the cell being executed (shell thread), or NULL */
};

static void sync_live(kn_lang *lang);

/* Fields every session can name before any query ran: what the sources
 * yield (docs/language.md, Sources) and what windowed results hold. */
static const char *const builtin_names[] = {
    "data", "partition_key", "sequence", "shard", "arrival", "device_id",
    "temperature", "humidity", "ts", "window_start", "window_end", NULL};

kn_lang *kn_lang_new(void) {
  kn_lang *lang = rt_xcalloc(1, sizeof(*lang));
  lang->rt = rt_runtime_new();
  lang->live = kn_live_new();
  lang->names = kn_names_new();
  sync_live(lang);
  for (int i = 0; builtin_names[i]; i++)
    kn_names_add(lang->names, builtin_names[i], strlen(builtin_names[i]));
  return lang;
}

void kn_lang_free(kn_lang **lang) {
  if (!lang || !*lang)
    return;
  /* every query stops, draws its final frame and writes its last checkpoint
   * before the displays go */
  rt_runtime_free(&(*lang)->rt);
  kn_live_free(&(*lang)->live);
  kn_names_free(&(*lang)->names);
  rt_free(*lang);
  *lang = NULL;
}

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

/* The text of a magic argument: a string's contents, else its source text. */
static void arg_text(const dsl_expr *a, const char *src, char *out, size_t outsz) {
  if (a->kind == DSL_EX_STRING)
    snprintf(out, outsz, "%.*s", (int)a->u.str.len, a->u.str.s);
  else
    snprintf(out, outsz, "%.*s", a->span.len, src + a->span.off);
}

/* Hands the runtime's refresh and window_ring to the live displays (kn_live
 * reads them from query threads, which must not call rt_runtime_get). */
static void sync_live(kn_lang *lang) {
  char v[64];
  if (rt_runtime_get(lang->rt, "refresh", v, sizeof(v)) == 0)
    kn_live_set_refresh(lang->live, strtoll(v, NULL, 10));
  if (rt_runtime_get(lang->rt, "window_ring", v, sizeof(v)) == 0)
    kn_live_set_ring(lang->live, (size_t)strtoull(v, NULL, 10));
}

/* The settings %set lists, in this order, with what each does. */
static const struct {
  const char *name, *what;
} settings_shown[] = {
    {"batch", "micro-batch interval"},
    {"refresh", "chart and table redraw interval"},
    {"window_ring", "windows a live chart keeps"},
    {"region", "AWS region"},
    {"endpoint", "Kinesis endpoint URL"},
    {"dynamodb_endpoint", "DynamoDB endpoint URL"},
    {"checkpoint_dir", "where checkpoints are written"},
    {"dir", "where relative file paths start"},
    {"clock", "fixed processing time (tests, replays)"},
    {"pace", "demo sources keep their rate"},
};

/* %set (list) or %set NAME VALUE, into the runtime's settings. */
static int magic_set(kn_lang *lang, kn_cell *cell, const dsl_stmt *st,
                     const char *src, rt_err *err) {
  rt_buf out;
  rt_buf_init(&out, 0);
  char key[64], val[1024];
  if (st->u.magic.nargs == 0) {
    for (size_t i = 0; i < sizeof(settings_shown) / sizeof(settings_shown[0]); i++) {
      if (rt_runtime_get(lang->rt, settings_shown[i].name, val, sizeof(val)) < 0)
        continue;
      rt_buf_printf(&out, "%-18s %-26s %s\n", settings_shown[i].name,
                    val[0] ? val : "(unset)", settings_shown[i].what);
    }
    int rc = emit(cell, &out);
    rt_buf_free(&out);
    return rc;
  }
  if (st->u.magic.nargs < 2)
    return rt_err_set_at(err, RT_EINVAL, src, st->span.off, st->span.len,
                         "%%set wants a name and a value, as in %%set batch 200ms");
  const dsl_expr *name = st->u.magic.args[0], *v = st->u.magic.args[1],
                 *last = st->u.magic.args[st->u.magic.nargs - 1];
  arg_text(name, src, key, sizeof(key));
  if (st->u.magic.nargs == 2 || v->kind == DSL_EX_STRING)
    arg_text(v, src, val, sizeof(val));
  else /* a bare word with dashes, such as us-east-1, lexes as several */
    snprintf(val, sizeof(val), "%.*s", last->span.off + last->span.len - v->span.off,
             src + v->span.off);
  rt_err why;
  if (rt_runtime_set(lang->rt, key, val, &why) < 0) {
    const dsl_expr *at = strstr(why.msg, "unknown setting") ? name : v;
    return rt_err_set_at(err, RT_EINVAL, src, at->span.off, at->span.len, "%s", why.msg);
  }
  sync_live(lang);
  rt_runtime_get(lang->rt, key, val, sizeof(val));
  rt_buf_printf(&out, "%s = %s\n", key, val);
  int rc = emit(cell, &out);
  rt_buf_free(&out);
  return rc;
}

/* %queries: a table (HTML with a text twin) of the running queries. */
static int magic_queries(kn_lang *lang, kn_cell *cell) {
  if (rt_runtime_list(lang->rt, NULL, 0) == 0) {
    static const char msg[] = "No queries are running.\n";
    return kn_cell_stream(cell, "stdout", msg, sizeof(msg) - 1);
  }
  rt_buf html, text;
  rt_buf_init(&html, 0);
  rt_buf_init(&text, 0);
  rt_runtime_format_queries(lang->rt, true, &html);
  rt_runtime_format_queries(lang->rt, false, &text);
  json_t *data = json_pack("{s:s%,s:s%}", "text/html", html.data ? html.data : "",
                           html.len, "text/plain", text.data ? text.data : "", text.len);
  rt_buf_free(&html);
  rt_buf_free(&text);
  return data ? kn_cell_display(cell, data, NULL, NULL) : RT_EINVAL;
}

/* True while query id (0: any) is running. */
static bool running(kn_lang *lang, uint64_t id) {
  rt_query_row rows[64];
  size_t n = rt_runtime_list(lang->rt, rows, 64);
  if (id == 0 || n > 64)
    return n > 0;
  for (size_t i = 0; i < n; i++)
    if (rows[i].id == id)
      return true;
  return false;
}

/* %stop ID|all: stops and waits (a moment) for the final results and
 * checkpoints, so %queries right after no longer lists them. */
static int magic_stop(kn_lang *lang, kn_cell *cell, const dsl_stmt *st,
                      const char *src, rt_err *err) {
  const char *arg = st->u.magic.rest ? st->u.magic.rest : "";
  uint64_t id = 0;
  char line[128];
  if (*arg && strcmp(arg, "all") != 0) {
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end || end == arg || v == 0 || rt_runtime_stop(lang->rt, v) < 0)
      return rt_err_set_at(err, RT_ENOTFOUND, src, st->span.off, st->span.len,
                           "no running query %s (see %%queries)", arg);
    id = v;
    snprintf(line, sizeof(line), "Stopped query %llu.\n", v);
  } else {
    size_t n = rt_runtime_list(lang->rt, NULL, 0);
    rt_runtime_stop(lang->rt, 0);
    if (n)
      snprintf(line, sizeof(line), "Stopped %zu quer%s.\n", n, n == 1 ? "y" : "ies");
    else
      snprintf(line, sizeof(line), "No queries are running; nothing to stop.\n");
  }
  int64_t until = rt_mono_ns() + 3000000000LL;
  while (running(lang, id) && rt_mono_ns() < until) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  return kn_cell_stream(cell, "stdout", line, strlen(line));
}

/* The region and endpoint settings, NULL when unset. */
static void aws_settings(kn_lang *lang, char *region, char *endpoint, size_t sz,
                         const char **r, const char **e) {
  rt_runtime_get(lang->rt, "region", region, sz);
  rt_runtime_get(lang->rt, "endpoint", endpoint, sz);
  *r = region[0] ? region : NULL;
  *e = endpoint[0] ? endpoint : NULL;
}

/* Copies what fits of src (may be NULL) into dst. */
static void copy_str(char *dst, size_t dstsz, const char *src) {
  size_t n = src ? strnlen(src, dstsz - 1) : 0;
  memcpy(dst, src ? src : "", n);
  dst[n] = 0;
}

/* %create NAME shards N. */
static int kinesis_create(const char *region, const char *endpoint, const char *stream,
                          int shards, rt_err *err) {
  rt_aws_settings set = {0};
  copy_str(set.region, sizeof(set.region), region);
  copy_str(set.endpoint, sizeof(set.endpoint), endpoint);
  rt_aws_config cfg;
  int rc = rt_aws_resolve(&cfg, &set, err);
  if (rc < 0)
    return rc;
  rt_awsj_opts opts = {0};
  rt_awsj *k = rt_kin_new(&cfg, &opts, err);
  if (!k)
    return err && err->code ? err->code : RT_EIO;
  rc = rt_kin_create_stream(k, stream, shards, err);
  rt_awsj_free(&k);
  return rc;
}

/* %streams, %describe NAME, %create NAME shards N. */
static int magic_kinesis(kn_lang *lang, kn_cell *cell, const dsl_stmt *st,
                         const char *src, rt_err *err) {
  char region[512], endpoint[512], stream[256];
  const char *r, *e, *name = st->u.magic.name;
  aws_settings(lang, region, endpoint, sizeof(region), &r, &e);
  rt_buf out;
  rt_buf_init(&out, 0);
  int rc;
  if (strcmp(name, "streams") == 0) {
    rc = rt_kin_magic_streams(r, e, &out, err);
  } else if (st->u.magic.nargs < 1) {
    rc = rt_err_set_at(err, RT_EINVAL, src, st->span.off, st->span.len,
                       "%%%s wants a stream name", name);
  } else if (strcmp(name, "describe") == 0) {
    arg_text(st->u.magic.args[0], src, stream, sizeof(stream));
    rc = rt_kin_magic_describe(r, e, stream, &out, err);
  } else {
    const dsl_expr *n = st->u.magic.nargs == 3 ? st->u.magic.args[2] : NULL;
    arg_text(st->u.magic.args[0], src, stream, sizeof(stream));
    if (!n || n->kind != DSL_EX_NUMBER || n->u.num < 1 || n->u.num > 10000)
      rc = rt_err_set_at(err, RT_EINVAL, src, st->span.off, st->span.len,
                         "%%create wants NAME shards N, N from 1 to 10000");
    else if ((rc = kinesis_create(r, e, stream, (int)n->u.num, err)) == 0)
      rt_buf_printf(&out, "Created stream %s with %d shard%s.\n", stream, (int)n->u.num,
                    n->u.num == 1 ? "" : "s");
  }
  if (rc == 0)
    rc = emit(cell, &out);
  rt_buf_free(&out);
  return rc;
}

/* ------------------------------------------------------ runtime callbacks */

/* rt_exec_opts.on_magic: the magics served here (1), or 0 for the runtime's. */
static int on_magic(void *ud, const dsl_stmt *st, const char *src, rt_err *err) {
  kn_lang *lang = ud;
  const char *name = st->u.magic.name;
  int rc;
  if (strcmp(name, "help") == 0)
    rc = magic_help(lang->cell, st, src, err);
  else if (strcmp(name, "set") == 0)
    rc = magic_set(lang, lang->cell, st, src, err);
  else if (strcmp(name, "queries") == 0)
    rc = magic_queries(lang, lang->cell);
  else if (strcmp(name, "stop") == 0)
    rc = magic_stop(lang, lang->cell, st, src, err);
  else if (strcmp(name, "streams") == 0 || strcmp(name, "describe") == 0 ||
           strcmp(name, "create") == 0)
    rc = magic_kinesis(lang, lang->cell, st, src, err);
  else
    return 0;
  return rc < 0 ? rc : 1;
}

static void on_text(void *ud, const char *text) {
  kn_lang *lang = ud;
  kn_cell_stream(lang->cell, "stdout", text, strlen(text));
}

static bool on_interrupted(void *ud) {
  kn_lang *lang = ud;
  return kn_cell_interrupted(lang->cell);
}

/* Query outputs go to the live displays; a query's result columns become
 * names that completion offers. Called on query threads. */
static void q_start(void *ud, const rt_query_info *q) {
  kn_lang *lang = ud;
  for (int i = 0; i < q->output->ncols; i++)
    add_name(lang, q->output->cols[i]);
  kn_live_ops()->on_start(lang->live, q);
}

static void q_update(void *ud, const rt_query_info *q, const rt_update *u) {
  kn_live_ops()->on_update(((kn_lang *)ud)->live, q, u);
}

static void q_status(void *ud, const rt_query_info *q, const rt_query_stats *st) {
  kn_live_ops()->on_status(((kn_lang *)ud)->live, q, st);
}

static void q_end(void *ud, const rt_query_info *q, const rt_query_stats *st,
                  const rt_err *err) {
  kn_live_ops()->on_end(((kn_lang *)ud)->live, q, st, err);
}

static const rt_output_ops lang_ops = {q_start, q_update, q_status, q_end};

/* The id that ties the cell to its queries (see the file comment). */
static void cell_key(const kn_cell *cell, const char *code, size_t len, char *out,
                     size_t outsz) {
  const char *id = kn_cell_id(cell);
  if (id && *id) {
    snprintf(out, outsz, "%s", id);
    return;
  }
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)code[i]) * 1099511628211ULL;
  snprintf(out, outsz, "code:%016llx", (unsigned long long)h);
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
  dsl_program_free(&prog);
  char id[160];
  cell_key(cell, code, len, id, sizeof(id));
  kn_live_begin_cell(lang->live, id, kn_cell_iopub(cell), kn_cell_parent(cell));
  lang->cell = cell;
  rt_exec_opts o = {.cell = id, .ops = &lang_ops, .ud = lang, .on_text = on_text,
                    .on_magic = on_magic, .interrupted = on_interrupted};
  rc = rt_runtime_exec(lang->rt, code, len, &o, err);
  if (kn_cell_interrupted(cell)) {
    /* an interrupt stops every query of this cell, endless ones too */
    rt_runtime_stop_cell(lang->rt, id);
    if (rc == 0)
      rc = rt_err_set(err, RT_EINTR, "interrupted");
  }
  lang->cell = NULL;
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
