/*
 * The one file where the kernel calls the Eddy language: the runtime
 * (runtime/include/rt_runtime.h) runs cells, keeps `let`s, settings and queries;
 * kn_live turns each query's output into a live display. The runtime serves
 * the magics; the kernel adds its window_ring setting and shows %queries as
 * an HTML table (on_magic).
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

#include "dsl_words.h"
#include "kn_live.h"
#include "kn_table.h"
#include "rt_mem.h"
#include "rt_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kn_lang {
  rt_runtime *rt;  /* lets, settings (%set: the one store) and queries */
  kn_live *live;   /* the live displays of running queries */
  kn_names *names; /* streams, lets and fields seen, for completion */
  kn_cell *cell;   /* the cell being executed (shell thread), or NULL */
};

static int ring_set(void *ud, const char *v, rt_err *err);
static void ring_get(void *ud, char *out, size_t outsz);

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
  rt_setting_ext ring = {"window_ring", "windows a live chart keeps", ring_set, ring_get, lang};
  rt_runtime_add_setting(lang->rt, &ring);
  for (int i = 0; builtin_names[i]; i++)
    kn_names_add(lang->names, builtin_names[i], strlen(builtin_names[i]));
  return lang;
}

void kn_lang_protect_file(kn_lang *lang, const char *path, const char *what) {
  rt_runtime_protect_file(lang->rt, path, what);
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

static void add_name_n(void *ud, const char *s, size_t len) {
  kn_names_add(((kn_lang *)ud)->names, s, len);
}

/* ---------------------------------------------------------------- magics */

/* %set window_ring: kept here, for the live charts; the runtime lists and
 * changes it with its own settings (rt_runtime_add_setting). */
static int ring_set(void *ud, const char *v, rt_err *err) {
  char *end;
  long long n = strtoll(v, &end, 10);
  if (end == v || *end || n < 2 || n > 100000)
    return rt_err_set(err, RT_EINVAL, "window_ring wants a count from 2 to 100000, not \"%s\"",
                      v);
  kn_live_set_ring(((kn_lang *)ud)->live, (size_t)n);
  return 0;
}

static void ring_get(void *ud, char *out, size_t outsz) {
  snprintf(out, outsz, "%zu", kn_live_ring(((kn_lang *)ud)->live));
}

/* %queries: the runtime's table as HTML with a text twin. */
static int magic_queries(kn_lang *lang, kn_cell *cell) {
  if (rt_runtime_list(lang->rt, NULL, 0) == 0) {
    static const char msg[] = "No queries are running.\n";
    return kn_cell_stream(cell, "stdout", msg, sizeof(msg) - 1);
  }
  rt_result *t = rt_runtime_queries(lang->rt);
  rt_buf html, text;
  rt_buf_init(&html, 0);
  rt_buf_init(&text, 0);
  kn_table_html(t, 0, &html);
  rt_result_format_text(t, 0, &text);
  rt_result_free(&t);
  json_t *data = json_pack("{s:s%,s:s%}", "text/html", html.data ? html.data : "",
                           html.len, "text/plain", text.data ? text.data : "", text.len);
  rt_buf_free(&html);
  rt_buf_free(&text);
  return data ? kn_cell_display(cell, data, NULL, NULL) : RT_EINVAL;
}

/* ------------------------------------------------------ runtime callbacks */

/* rt_exec_opts.on_magic: %queries is shown as a table here (1); the
 * runtime serves every other magic (0). */
static int on_magic(void *ud, const rt_magic *m, rt_err *err) {
  kn_lang *lang = ud;
  if (strcmp(m->name, "queries") != 0)
    return 0;
  int rc = magic_queries(lang, lang->cell);
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
  dsl_names(code, len, add_name_n, lang);
  char id[160];
  cell_key(cell, code, len, id, sizeof(id));
  kn_live_begin_cell(lang->live, id, kn_cell_iopub(cell), kn_cell_parent(cell));
  lang->cell = cell;
  rt_exec_opts o = {.cell = id, .ops = &lang_ops, .ud = lang, .on_text = on_text,
                    .on_magic = on_magic, .interrupted = on_interrupted};
  int rc = rt_runtime_exec(lang->rt, code, len, &o, err);
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
