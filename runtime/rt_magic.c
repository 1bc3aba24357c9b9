/*
 * The runtime's magics. Each builds its text in a buffer and hands it to
 * on_text in one piece, so a front end shows it as one output.
 */
#include "rt_magic.h"

#include "dsl.h"
#include "rt_aws_creds.h"
#include "rt_buf.h"
#include "rt_kinesis_magic.h"
#include "rt_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STOP_WAIT_MS = 3000 }; /* %stop waits this long for final results */

static int emit(const rt_exec_opts *o, const rt_buf *text) {
  if (o->on_text)
    o->on_text(o->ud, text->data ? text->data : "");
  return 0;
}

/* The text of a magic argument: a string's contents, else its source text. */
static void arg_text(const dsl_expr *a, const char *src, char *out, size_t outsz) {
  if (a->kind == DSL_EX_STRING)
    snprintf(out, outsz, "%.*s", (int)a->u.str.len, a->u.str.s);
  else
    snprintf(out, outsz, "%.*s", a->span.len, src + a->span.off);
}

/* %set lists every setting; %set NAME VALUE changes one. */
static int magic_set(rt_runtime *rt, const dsl_stmt *st, const char *src, rt_buf *out,
                     rt_err *err) {
  char key[64], val[1024];
  if (st->u.magic.nargs == 0) {
    const char *name, *what;
    for (int i = 0; (name = rt_runtime_setting(rt, i, &what)) != NULL; i++) {
      rt_runtime_get(rt, name, val, sizeof(val));
      rt_buf_printf(out, "%-18s %-26s %s\n", name, val[0] ? val : "(unset)", what);
    }
    return 0;
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
  int rc = rt_runtime_set(rt, key, val, &why);
  if (rc < 0) {
    const dsl_expr *at = rc == RT_ENOTFOUND ? name : v;
    return rt_err_set_at(err, RT_EINVAL, src, at->span.off, at->span.len, "%s", why.msg);
  }
  rt_runtime_get(rt, key, val, sizeof(val));
  return rt_buf_printf(out, "%s = %s\n", key, val);
}

/* %stop ID|all: stops, then waits (a moment) for the final results and
 * checkpoints, so %queries right after no longer lists them. */
static int magic_stop(rt_runtime *rt, const dsl_stmt *st, const char *src, rt_buf *out,
                      rt_err *err) {
  const char *arg = st->u.magic.rest ? st->u.magic.rest : "";
  if (*arg && strcmp(arg, "all") != 0) {
    char *end;
    unsigned long long id = strtoull(arg, &end, 10);
    if (*end || end == arg || id == 0 || rt_runtime_stop(rt, id) < 0)
      return rt_err_set_at(err, RT_ENOTFOUND, src, st->span.off, st->span.len,
                           "no running query %s (see %%queries)", arg);
    rt_runtime_wait(rt, id, STOP_WAIT_MS);
    return rt_buf_printf(out, "Stopped query %llu.\n", id);
  }
  size_t n = rt_runtime_list(rt, NULL, 0);
  rt_runtime_stop(rt, 0);
  rt_runtime_wait(rt, 0, STOP_WAIT_MS);
  if (!n)
    return rt_buf_puts(out, "No queries are running; nothing to stop.\n");
  return rt_buf_printf(out, "Stopped %zu quer%s.\n", n, n == 1 ? "y" : "ies");
}

static int magic_queries(rt_runtime *rt, rt_buf *out) {
  if (rt_runtime_list(rt, NULL, 0) == 0)
    return rt_buf_puts(out, "No queries are running.\n");
  rt_result *t = rt_runtime_queries(rt);
  int rc = rt_result_format_text(t, 0, out);
  rt_result_free(&t);
  return rc;
}

/* %streams, %describe NAME, %create NAME shards N | on_demand, against the
 * session's region and endpoint. */
static int magic_kinesis(rt_runtime *rt, const dsl_stmt *st, const char *src, rt_buf *out,
                         rt_err *err) {
  char region[512], endpoint[512], stream[256];
  const char *name = st->u.magic.name;
  rt_runtime_get(rt, "region", region, sizeof(region));
  rt_runtime_get(rt, "endpoint", endpoint, sizeof(endpoint));
  const char *r = region[0] ? region : NULL, *e = endpoint[0] ? endpoint : NULL;
  if (strcmp(name, "streams") == 0)
    return rt_kin_magic_streams(r, e, out, err);
  if (st->u.magic.nargs < 1)
    return rt_err_set_at(err, RT_EINVAL, src, st->span.off, st->span.len,
                         "%%%s wants a stream name", name);
  arg_text(st->u.magic.args[0], src, stream, sizeof(stream));
  if (strcmp(name, "describe") == 0)
    return rt_kin_magic_describe(r, e, stream, out, err);
  /* the parser saw `NAME shards N`, N a whole number from 1 to 10000, or
   * `NAME on_demand` (0 shards) */
  int shards = st->u.magic.nargs == 3 ? (int)st->u.magic.args[2]->u.num : 0;
  return rt_kin_magic_create(r, e, stream, shards, out, err);
}

int rt_runtime_aws(rt_runtime *rt, rt_buf *out, rt_err *err) {
  rt_aws_settings set;
  memset(&set, 0, sizeof(set));
  rt_runtime_get(rt, "region", set.region, sizeof(set.region));
  rt_runtime_get(rt, "endpoint", set.endpoint, sizeof(set.endpoint));
  rt_runtime_get(rt, "dynamodb_endpoint", set.dynamodb_endpoint, sizeof(set.dynamodb_endpoint));
  return rt_aws_describe(&set, out, err);
}

static const char *kind_title(dsl_word_kind kind) {
  static const char *const titles[] = {"keywords", "sources", "stages",
                                       "functions", "aggregates", "magics"};
  return (unsigned)kind < 6 ? titles[kind] : "words";
}

/* %help: every word by kind, or one word's synopsis and help. */
static int magic_help(const dsl_stmt *st, const char *src, rt_buf *out, rt_err *err) {
  if (st->u.magic.nargs == 1) {
    const dsl_expr *a = st->u.magic.args[0];
    char word[128];
    arg_text(a, src, word, sizeof(word));
    const dsl_word *w = dsl_word_lookup(word, strlen(word));
    if (!w)
      return rt_err_set_at(err, RT_ENOTFOUND, src, a->span.off, a->span.len,
                           "no help for `%s`; %%help lists every word", word);
    return rt_buf_printf(out, "%s\n\n%s\n", w->synopsis, w->help);
  }
  const dsl_word *words = dsl_words();
  for (int kind = DSL_WORD_KEYWORD; kind <= DSL_WORD_MAGIC; kind++) {
    rt_buf_printf(out, "%s:", kind_title((dsl_word_kind)kind));
    for (const dsl_word *w = words; w->word; w++)
      if ((int)w->kind == kind)
        rt_buf_printf(out, " %s", w->word);
    rt_buf_puts(out, "\n");
  }
  return rt_buf_puts(out, "\n%help WORD shows one word's synopsis and an example.\n");
}

int rt_magic_run(rt_runtime *rt, const dsl_stmt *st, const char *src, const rt_exec_opts *o,
                 rt_err *err) {
  const char *name = st->u.magic.name;
  rt_buf out;
  rt_buf_init(&out, 0);
  int rc;
  if (strcmp(name, "set") == 0)
    rc = magic_set(rt, st, src, &out, err);
  else if (strcmp(name, "stop") == 0)
    rc = magic_stop(rt, st, src, &out, err);
  else if (strcmp(name, "queries") == 0)
    rc = magic_queries(rt, &out);
  else if (strcmp(name, "streams") == 0 || strcmp(name, "describe") == 0 ||
           strcmp(name, "create") == 0)
    rc = magic_kinesis(rt, st, src, &out, err);
  else if (strcmp(name, "help") == 0)
    rc = magic_help(st, src, &out, err);
  else if (strcmp(name, "aws") == 0)
    rc = rt_runtime_aws(rt, &out, err);
  else
    rc = rt_err_set_at(err, RT_EUNSUPPORTED, src, st->u.magic.name_span.off,
                       st->u.magic.name_span.len, "%%%s is not available here", name);
  if (rc == 0)
    rc = emit(o, &out);
  rt_buf_free(&out);
  return rc;
}
