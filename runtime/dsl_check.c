/*
 * The checks that need no session: every call names a known function with
 * the right number of arguments, aggregates stand only in `agg` (and do not
 * nest), literal operands suit their operators, and a regex literal compiles.
 *
 * The session still checks what only it knows (which `let` names exist, the
 * fields a stream really has); here we catch what the text alone proves
 * wrong, before anything runs. Kinds are known only for literals and for
 * what operators and functions return; a field could hold anything.
 */
#include "dsl_parse_int.h"

#include "rt_arena.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

/* What an expression is known to yield, when the text says. */
typedef enum chk_kind {
  CHK_ANY,    /* a field, null, or a function of unknown result */
  CHK_NUMBER, /* numbers and durations */
  CHK_STRING,
  CHK_BOOL,
} chk_kind;

static const char *kind_name(chk_kind k) {
  switch (k) {
  case CHK_NUMBER: return "a number";
  case CHK_STRING: return "a string";
  case CHK_BOOL: return "a boolean";
  default: return "a value";
  }
}

/* The scalar functions: name, arity (max -1: any number), argument kinds. */
static const struct chk_fn {
  const char *name;
  int min, max;
  chk_kind arg;    /* the kind each argument must have when it is known */
  chk_kind result; /* what the call yields */
} chk_fns[] = {
    {"lower", 1, 1, CHK_STRING, CHK_STRING},
    {"upper", 1, 1, CHK_STRING, CHK_STRING},
    {"len", 1, 1, CHK_STRING, CHK_NUMBER},
    {"abs", 1, 1, CHK_NUMBER, CHK_NUMBER},
    {"round", 1, 2, CHK_NUMBER, CHK_NUMBER},
    {"floor", 1, 1, CHK_NUMBER, CHK_NUMBER},
    {"ceil", 1, 1, CHK_NUMBER, CHK_NUMBER},
    {"if", 3, 3, CHK_ANY, CHK_ANY},
    {"coalesce", 1, -1, CHK_ANY, CHK_ANY},
    {"now", 0, 0, CHK_ANY, CHK_ANY},
    {"to_number", 1, 1, CHK_ANY, CHK_NUMBER},
    {"to_string", 1, 1, CHK_ANY, CHK_STRING},
    {"to_time", 1, 1, CHK_ANY, CHK_ANY},
};

static const char *const chk_aggs[] = {
    "count", "count_distinct", "sum", "avg", "min", "max", "stddev",
    "first", "last", "p50", "p90", "p95", "p99", NULL};

int dsl__agg_fn(const char *name, int n) {
  for (int i = 0; chk_aggs[i]; i++)
    if ((int)strlen(chk_aggs[i]) == n && !memcmp(chk_aggs[i], name, (size_t)n))
      return i; /* chk_aggs follows the order of dsl_agg_fn */
  return -1;
}

static const struct chk_fn *find_fn(const char *name) {
  for (size_t i = 0; i < sizeof(chk_fns) / sizeof(chk_fns[0]); i++)
    if (!strcmp(chk_fns[i].name, name))
      return &chk_fns[i];
  return NULL;
}

static chk_kind kind_of(const dsl_expr *e) {
  switch (e->kind) {
  case DSL_EX_NUMBER:
  case DSL_EX_DURATION:
    return CHK_NUMBER;
  case DSL_EX_STRING:
    return CHK_STRING;
  case DSL_EX_BOOL:
  case DSL_EX_IN:
    return CHK_BOOL;
  case DSL_EX_UNARY:
    return e->u.unary.op == DSL_OP_NOT ? CHK_BOOL : CHK_NUMBER;
  case DSL_EX_BINARY:
    switch (e->u.binary.op) {
    case DSL_OP_ADD:
    case DSL_OP_SUB:
    case DSL_OP_MUL:
    case DSL_OP_DIV:
    case DSL_OP_MOD:
      return CHK_NUMBER;
    default:
      return CHK_BOOL;
    }
  case DSL_EX_CALL: {
    const struct chk_fn *f = find_fn(e->u.call.name);
    return f ? f->result : CHK_ANY;
  }
  default:
    return CHK_ANY;
  }
}

static const char *op_text(dsl_op op) {
  static const char *const t[] = {
      [DSL_OP_NEG] = "-",         [DSL_OP_NOT] = "not",
      [DSL_OP_ADD] = "+",         [DSL_OP_SUB] = "-",
      [DSL_OP_MUL] = "*",         [DSL_OP_DIV] = "/",
      [DSL_OP_MOD] = "%",         [DSL_OP_EQ] = "=",
      [DSL_OP_NE] = "!=",         [DSL_OP_LT] = "<",
      [DSL_OP_LE] = "<=",         [DSL_OP_GT] = ">",
      [DSL_OP_GE] = ">=",         [DSL_OP_AND] = "and",
      [DSL_OP_OR] = "or",         [DSL_OP_CONTAINS] = "contains",
      [DSL_OP_STARTS_WITH] = "starts_with", [DSL_OP_MATCHES] = "matches",
  };
  return t[op];
}

/* Reports that operand e of op has the wrong kind. */
static int operand_error(dsl_parse_ctx *p, const dsl_expr *e, dsl_op op,
                         const char *needs) {
  int n = e->span.len > 40 ? 40 : e->span.len;
  return dsl__error_at(p, RT_ETYPE, e->span.off, e->span.len,
                       "`%s` needs %s, but %.*s%s is %s", op_text(op), needs, n,
                       p->src + e->span.off, n < e->span.len ? "..." : "",
                       kind_name(kind_of(e)));
}

static int check_regex(dsl_parse_ctx *p, const dsl_expr *rx) {
  regex_t re;
  int rc = regcomp(&re, rx->u.str.s, REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    regfree(&re);
    return 0;
  }
  char why[128];
  regerror(rc, &re, why, sizeof(why));
  regfree(&re);
  return dsl__error_at(p, RT_ETYPE, rx->span.off, rx->span.len,
                       "bad regular expression: %s", why);
}

static int check_operands(dsl_parse_ctx *p, const dsl_expr *e) {
  dsl_op op = e->u.binary.op;
  const dsl_expr *l = e->u.binary.lhs, *r = e->u.binary.rhs;
  chk_kind lk = kind_of(l), rk = kind_of(r);
  switch (op) {
  case DSL_OP_ADD:
  case DSL_OP_SUB:
  case DSL_OP_MUL:
  case DSL_OP_DIV:
  case DSL_OP_MOD:
    if (lk == CHK_STRING || lk == CHK_BOOL)
      return operand_error(p, l, op, "numbers");
    if (rk == CHK_STRING || rk == CHK_BOOL)
      return operand_error(p, r, op, "numbers");
    return 0;
  case DSL_OP_AND:
  case DSL_OP_OR:
    if (lk == CHK_NUMBER || lk == CHK_STRING)
      return operand_error(p, l, op, "tests that are true or false");
    if (rk == CHK_NUMBER || rk == CHK_STRING)
      return operand_error(p, r, op, "tests that are true or false");
    return 0;
  case DSL_OP_LT:
  case DSL_OP_LE:
  case DSL_OP_GT:
  case DSL_OP_GE:
    if (lk != CHK_ANY && rk != CHK_ANY && lk != rk)
      return dsl__error_at(p, RT_ETYPE, e->span.off, e->span.len,
                           "`%s` compares %s with %s, which is always false",
                           op_text(op), kind_name(lk), kind_name(rk));
    return 0;
  case DSL_OP_CONTAINS:
  case DSL_OP_STARTS_WITH:
  case DSL_OP_MATCHES:
    if (rk == CHK_NUMBER || rk == CHK_BOOL)
      return operand_error(p, r, op, "a string on its right");
    if (op == DSL_OP_MATCHES && r->kind == DSL_EX_STRING)
      return check_regex(p, r);
    return 0;
  default:
    return 0;
  }
}

static int check_walk(dsl_parse_ctx *p, dsl_expr *e, bool in_agg);

static int arity_error(dsl_parse_ctx *p, const dsl_expr *e, int min, int max) {
  const char *name = e->u.call.name;
  int n = e->u.call.nargs;
  char want[48];
  if (max == 0)
    snprintf(want, sizeof(want), "no arguments");
  else if (max < 0)
    snprintf(want, sizeof(want), "at least %d argument%s", min, min == 1 ? "" : "s");
  else if (min == max)
    snprintf(want, sizeof(want), "%d argument%s", min, min == 1 ? "" : "s");
  else
    snprintf(want, sizeof(want), "%d or %d arguments", min, max);
  return dsl__error_at(p, RT_ETYPE, e->span.off, e->span.len,
                       "`%s` takes %s, not %d", name, want, n);
}

/* The length of a call's own text, from its name to its closing `)` (its
 * span may also cover parentheses around it). Skips strings in arguments. */
static int call_text_len(const dsl_parse_ctx *p, const dsl_expr *e) {
  int at = e->u.call.name_span.off + e->u.call.name_span.len;
  int end = e->span.off + e->span.len, depth = 0;
  for (; at < end; at++) {
    char c = p->src[at];
    if (c == '"') {
      for (at++; at < end && p->src[at] != '"'; at++)
        at += p->src[at] == '\\';
    } else if (c == '(') {
      depth++;
    } else if (c == ')' && --depth == 0) {
      return at + 1 - e->u.call.name_span.off;
    }
  }
  return end - e->u.call.name_span.off;
}

/* After an `agg`, an unnamed aggregate or key is a column named after its
 * text: `sort count() desc`, `chart ... y=p95(humidity)`. Such a call turns
 * into a FIELD with one part, the column's name as the agg spelled it, so
 * the runtime just reads the column. Blanks do not matter: p95( x ) names
 * the column p95(x). Returns true when e was such a reference. */
/* Do a[0, n) and the string b read the same, blanks aside? */
static bool same_text(const char *a, int n, const char *b) {
  int i = 0;
  for (;;) {
    while (i < n && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n' || a[i] == '\r'))
      i++;
    while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
      b++;
    if (i == n || !*b)
      return i == n && !*b;
    if (a[i++] != *b++)
      return false;
  }
}

static bool column_ref(dsl_parse_ctx *p, dsl_expr *e) {
  int off = e->u.call.name_span.off, len = call_text_len(p, e);
  const char *text = p->src + off;
  const char *hit = NULL;
  for (int i = 0; !hit && i < p->scope_naggs; i++)
    if (same_text(text, len, p->scope_aggs[i].name))
      hit = p->scope_aggs[i].name;
  for (int i = 0; !hit && i < p->scope_nkeys; i++)
    if (p->scope_keys[i].expr->kind != DSL_EX_FIELD &&
        same_text(text, len, p->scope_keys[i].name))
      hit = p->scope_keys[i].name;
  if (!hit)
    return false;
  const char **parts = rt_arena_alloc(p->arena, sizeof(char *));
  parts[0] = hit;
  e->kind = DSL_EX_FIELD;
  e->u.field.parts = parts;
  e->u.field.nparts = 1;
  e->u.field.text = hit;
  return true;
}

static int check_call(dsl_parse_ctx *p, dsl_expr *e, bool in_agg) {
  const char *name = e->u.call.name;
  dsl_span ns = e->u.call.name_span;
  if (!in_agg && column_ref(p, e))
    return 0;
  if (dsl__agg_fn(name, (int)strlen(name)) >= 0) {
    if (in_agg)
      return dsl__error_at(p, RT_ETYPE, ns.off, ns.len,
                           "aggregates do not nest: `%s` inside an aggregate",
                           name);
    if (p->scope_aggs)
      return dsl__error_at(p, RT_ETYPE, e->span.off, e->span.len,
                           "`%.*s` is not a column of the `agg` before it; "
                           "refer to an aggregate by its name, as in agg "
                           "count() as n | sort n",
                           call_text_len(p, e) > 60 ? 60 : call_text_len(p, e),
                           p->src + ns.off);
    return dsl__error_at(p, RT_ETYPE, ns.off, ns.len,
                         "`%s` is an aggregate; use it in an `agg` stage, as "
                         "in agg avg(temperature) by device_id",
                         name);
  }
  const struct chk_fn *f = find_fn(name);
  if (!f) {
    const char *sug = dsl__suggest(name, ns.len, DSL_WORD_FUNCTION);
    if (sug)
      return dsl__error_at(p, RT_ETYPE, ns.off, ns.len,
                           "unknown function `%s`; did you mean `%s`?", name, sug);
    return dsl__error_at(p, RT_ETYPE, ns.off, ns.len,
                         "unknown function `%.*s`; see %%help for the functions",
                         ns.len > 40 ? 40 : ns.len, name);
  }
  int n = e->u.call.nargs;
  if (n < f->min || (f->max >= 0 && n > f->max))
    return arity_error(p, e, f->min, f->max);
  for (int i = 0; i < n; i++) {
    dsl_expr *a = e->u.call.args[i];
    int rc = check_walk(p, a, in_agg);
    if (rc)
      return rc;
    chk_kind k = kind_of(a);
    if (f->arg != CHK_ANY && k != CHK_ANY && k != f->arg)
      return dsl__error_at(p, RT_ETYPE, a->span.off, a->span.len,
                           "`%s` needs %s, not %s", name, kind_name(f->arg),
                           kind_name(k));
  }
  const dsl_expr *d = n == 2 ? e->u.call.args[1] : NULL;
  double digits = 0;
  if (d && d->kind == DSL_EX_UNARY && d->u.unary.op == DSL_OP_NEG &&
      d->u.unary.arg->kind == DSL_EX_NUMBER)
    digits = -d->u.unary.arg->u.num;
  else if (d && d->kind == DSL_EX_NUMBER)
    digits = d->u.num;
  else
    d = NULL;
  if (!strcmp(name, "round") && d) {
    if (digits < -15 || digits > 15 || digits != (double)(int)digits)
      return dsl__error_at(p, RT_ETYPE, d->span.off, d->span.len,
                           "`round` takes a whole number of digits from -15 "
                           "to 15");
  }
  return 0;
}

static int check_walk(dsl_parse_ctx *p, dsl_expr *e, bool in_agg) {
  int rc = 0;
  switch (e->kind) {
  case DSL_EX_UNARY:
    if ((rc = check_walk(p, e->u.unary.arg, in_agg)))
      return rc;
    if (e->u.unary.op == DSL_OP_NEG) {
      chk_kind k = kind_of(e->u.unary.arg);
      if (k == CHK_STRING || k == CHK_BOOL)
        return operand_error(p, e->u.unary.arg, DSL_OP_NEG, "a number");
    } else {
      chk_kind k = kind_of(e->u.unary.arg);
      if (k == CHK_NUMBER || k == CHK_STRING)
        return operand_error(p, e->u.unary.arg, DSL_OP_NOT,
                             "a test that is true or false");
    }
    return 0;
  case DSL_EX_BINARY:
    if ((rc = check_walk(p, e->u.binary.lhs, in_agg)) ||
        (rc = check_walk(p, e->u.binary.rhs, in_agg)))
      return rc;
    return check_operands(p, e);
  case DSL_EX_IN:
    if ((rc = check_walk(p, e->u.in.lhs, in_agg)))
      return rc;
    for (int i = 0; i < e->u.in.nitems; i++)
      if ((rc = check_walk(p, e->u.in.items[i], in_agg)))
        return rc;
    return 0;
  case DSL_EX_CALL:
    return check_call(p, e, in_agg);
  default:
    return 0;
  }
}

int dsl__check_expr(dsl_parse_ctx *p, dsl_expr *e) {
  return check_walk(p, e, false);
}

int dsl__check_cond(dsl_parse_ctx *p, dsl_expr *e, const char *stage) {
  int rc = check_walk(p, e, false);
  if (rc)
    return rc;
  chk_kind k = kind_of(e);
  if (k == CHK_NUMBER || k == CHK_STRING)
    return dsl__error_at(p, RT_ETYPE, e->span.off, e->span.len,
                         "`%s` needs a test that is true or false, such as "
                         "temperature > 80, not %s",
                         stage, kind_name(k));
  return 0;
}

#define CHK__AGG_LIST                                                        \
  "count(), count_distinct, sum, avg, min, max, stddev, first, last, p50, "  \
  "p90, p95 or p99"

static int not_an_aggregate(dsl_parse_ctx *p, const dsl_expr *e) {
  if (e->kind == DSL_EX_CALL && !find_fn(e->u.call.name)) {
    dsl_span ns = e->u.call.name_span;
    const char *sug = dsl__suggest(e->u.call.name, ns.len, DSL_WORD_AGGREGATE);
    if (sug)
      return dsl__error_at(p, RT_ETYPE, ns.off, ns.len,
                           "unknown aggregate `%s`; did you mean `%s`?",
                           e->u.call.name, sug);
    return dsl__error_at(p, RT_ETYPE, ns.off, ns.len,
                         "unknown aggregate `%.*s`; `agg` takes " CHK__AGG_LIST,
                         ns.len > 40 ? 40 : ns.len, e->u.call.name);
  }
  if (e->kind == DSL_EX_BINARY || e->kind == DSL_EX_UNARY)
    return dsl__error_at(p, RT_ETYPE, e->span.off, e->span.len,
                         "an `agg` item is one aggregate; compute with the "
                         "results in a later stage, as in agg sum(x) as s, "
                         "count() as n | extend mean = s / n");
  const char *what = e->kind == DSL_EX_CALL ? e->u.call.name : NULL;
  int off = e->kind == DSL_EX_CALL ? e->u.call.name_span.off : e->span.off;
  int len = e->kind == DSL_EX_CALL ? e->u.call.name_span.len : e->span.len;
  if (what && find_fn(what))
    return dsl__error_at(p, RT_ETYPE, off, len,
                         "`%s` is a function, not an aggregate; `agg` takes "
                         CHK__AGG_LIST,
                         what);
  return dsl__error_at(p, RT_ETYPE, off, len,
                       "expected an aggregate such as count() or "
                       "avg(temperature); `agg` takes " CHK__AGG_LIST);
}

int dsl__check_agg(dsl_parse_ctx *p, dsl_expr *call, dsl_agg *agg) {
  if (call->kind != DSL_EX_CALL)
    return not_an_aggregate(p, call);
  const char *name = call->u.call.name;
  int fn = dsl__agg_fn(name, (int)strlen(name));
  if (fn < 0)
    return not_an_aggregate(p, call);
  int n = call->u.call.nargs;
  if (fn == DSL_AGG_COUNT && n != 0)
    return dsl__error_at(p, RT_ETYPE, call->span.off, call->span.len,
                         "`count` takes no arguments: count() counts rows, "
                         "count_distinct(x) counts distinct values");
  if (fn != DSL_AGG_COUNT && n != 1)
    return arity_error(p, call, 1, 1);
  agg->fn = (dsl_agg_fn)fn;
  agg->arg = n ? call->u.call.args[0] : NULL;
  if (agg->arg) {
    int rc = check_walk(p, agg->arg, true);
    if (rc)
      return rc;
    chk_kind k = kind_of(agg->arg);
    bool numeric = fn == DSL_AGG_SUM || fn == DSL_AGG_AVG ||
                   fn == DSL_AGG_STDDEV || fn >= DSL_AGG_P50;
    if (numeric && (k == CHK_STRING || k == CHK_BOOL))
      return dsl__error_at(p, RT_ETYPE, agg->arg->span.off, agg->arg->span.len,
                           "`%s` needs numbers, not %s", name, kind_name(k));
  }
  return 0;
}

/* A window (or session) groups records for the `agg` after it, so a second
 * one before that `agg` can only be a mistake. */
int dsl__check_query(dsl_parse_ctx *p, const dsl_query *q) {
  const dsl_stage *open = NULL;
  for (int i = 0; i < q->nstages; i++) {
    const dsl_stage *st = &q->stages[i];
    if (st->kind == DSL_ST_AGG) {
      open = NULL;
    } else if (st->kind == DSL_ST_WINDOW || st->kind == DSL_ST_SESSION) {
      const char *what = st->kind == DSL_ST_WINDOW ? "window" : "session";
      if (open) {
        int line = 1, col = 1;
        for (int at = 0; at < open->span.off; at++, col++)
          if (p->src[at] == '\n')
            line++, col = 0;
        return dsl__error_at(p, RT_ETYPE, st->span.off, (int)strlen(what),
                             "`%s` follows the `%s` at line %d, column %d with "
                             "no `agg` between; a window groups records for "
                             "the `agg` after it",
                             what,
                             open->kind == DSL_ST_WINDOW ? "window" : "session",
                             line, col);
      }
      open = st;
    }
  }
  return 0;
}
