/*
 * Compiled expressions and their column-at-a-time evaluation. Each opcode is
 * documented at its case in cx_eval_node(); the scalar functions are a table
 * of dsl_fn_<name> handlers, called once per row.
 */
#include "dsl_eval.h"

#include "rt_arena.h"
#include "rt_mem.h"
#include "rt_time.h"
#include "rt_value.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

typedef enum dsl_cx_op {
  DSL_CX_CONST,
  DSL_CX_FIELD,
  DSL_CX_NEG,
  DSL_CX_NOT,
  DSL_CX_ARITH,
  DSL_CX_CMP,
  DSL_CX_AND,
  DSL_CX_OR,
  DSL_CX_IN,
  DSL_CX_CONTAINS,
  DSL_CX_STARTS_WITH,
  DSL_CX_MATCHES,
  DSL_CX_CALL,
} dsl_cx_op;

typedef struct dsl_fn_ctx {
  rt_arena *arena; /* for strings a function makes */
  int64_t now_ms;  /* now() */
} dsl_fn_ctx;

typedef rt_value (*dsl_fn)(const dsl_fn_ctx *c, const rt_value *args, int nargs);

struct dsl_cx {
  dsl_cx_op op;  /* what the node does */
  dsl_op bop;    /* ARITH, CMP: the operator */
  int col;       /* FIELD: batch column */
  rt_value k;    /* CONST: the value (strings in the pool) */
  dsl_cx **args; /* operands / arguments */
  int nargs;     /* their count */
  regex_t *re;   /* MATCHES: compiled pattern */
  dsl_fn fn;     /* CALL: the handler */
};

typedef struct cx_regex {
  regex_t re;
  struct cx_regex *next;
} cx_regex;

struct dsl_cx_pool {
  rt_arena *arena;  /* nodes and constants */
  cx_regex *regexes; /* every compiled regex, for regfree */
};

dsl_cx_pool *dsl_cx_pool_new(void) {
  dsl_cx_pool *p = rt_xcalloc(1, sizeof(*p));
  p->arena = rt_arena_new(4096);
  return p;
}

void dsl_cx_pool_free(dsl_cx_pool **pool) {
  if (!pool || !*pool)
    return;
  for (cx_regex *r = (*pool)->regexes, *next; r; r = next) {
    next = r->next;
    regfree(&r->re);
    rt_free(r);
  }
  rt_arena_free(&(*pool)->arena);
  rt_free(*pool);
  *pool = NULL;
}

/* ---- value helpers ---------------------------------------------------- */

/* Times beyond +-275,000 years (ECMAScript's limit) are not times: keeps
 * every conversion to int64 ms defined. */
#define DSL_MAX_TIME_MS 8.64e15

static inline bool is_num(rt_value v) { return v.type == RT_NUMBER || v.type == RT_TIME; }
static inline double num_of(rt_value v) {
  return v.type == RT_TIME ? (double)v.u.ms : v.u.num;
}

bool dsl_value_to_ms(rt_value v, int64_t *ms) {
  switch (v.type) {
  case RT_TIME:
    *ms = v.u.ms;
    return true;
  case RT_NUMBER: {
    double d = fabs(v.u.num) < 1e11 ? v.u.num * 1000.0 : v.u.num;
    if (!(fabs(d) <= DSL_MAX_TIME_MS)) /* also NaN */
      return false;
    *ms = (int64_t)d;
    return true;
  }
  case RT_STRING:
    return rt_time_parse(v.u.str.ptr, v.u.str.len, ms) == 0;
  default:
    return false;
  }
}

/* A time paired with a string that parses as one compares as two times. */
static void coerce_time_pair(rt_value *a, rt_value *b) {
  int64_t ms;
  if (a->type == RT_TIME && b->type == RT_STRING && dsl_value_to_ms(*b, &ms))
    *b = rt_time(ms);
  else if (b->type == RT_TIME && a->type == RT_STRING && dsl_value_to_ms(*a, &ms))
    *a = rt_time(ms);
}

static rt_value arith(dsl_op op, rt_value a, rt_value b) {
  if (!is_num(a) || !is_num(b))
    return rt_null();
  double x = num_of(a), y = num_of(b), r;
  switch (op) {
  case DSL_OP_ADD: r = x + y; break;
  case DSL_OP_SUB: r = x - y; break;
  case DSL_OP_MUL: r = x * y; break;
  case DSL_OP_DIV:
    if (y == 0)
      return rt_null();
    r = x / y;
    break;
  default:
    if (y == 0)
      return rt_null();
    r = fmod(x, y);
    break;
  }
  /* time +- number stays a time; time - time is a duration (a number) */
  bool ta = a.type == RT_TIME, tb = b.type == RT_TIME;
  if ((op == DSL_OP_ADD && ta != tb) || (op == DSL_OP_SUB && ta && !tb))
    return fabs(r) <= DSL_MAX_TIME_MS ? rt_time((int64_t)llround(r)) : rt_null();
  return rt_number(r);
}

/* Ordering of two comparable values; false in *ok when they do not compare. */
static int order(rt_value a, rt_value b, bool *ok) {
  coerce_time_pair(&a, &b);
  *ok = true;
  if (is_num(a) && is_num(b)) {
    double x = num_of(a), y = num_of(b);
    if (x != x || y != y)
      *ok = false;
    return (x > y) - (x < y);
  }
  if (a.type == RT_STRING && b.type == RT_STRING) {
    size_t n = a.u.str.len < b.u.str.len ? a.u.str.len : b.u.str.len;
    int c = memcmp(a.u.str.ptr, b.u.str.ptr, n);
    return c ? c : (a.u.str.len > b.u.str.len) - (a.u.str.len < b.u.str.len);
  }
  if (a.type == RT_BOOL && b.type == RT_BOOL)
    return (int)a.u.b - (int)b.u.b;
  *ok = false;
  return 0;
}

static bool equal(rt_value a, rt_value b) {
  coerce_time_pair(&a, &b);
  return rt_value_equal(a, b);
}

static bool compare(dsl_op op, rt_value a, rt_value b) {
  if (op == DSL_OP_EQ)
    return equal(a, b);
  if (op == DSL_OP_NE)
    return !equal(a, b);
  bool ok;
  int c = order(a, b, &ok);
  if (!ok)
    return false;
  switch (op) {
  case DSL_OP_LT: return c < 0;
  case DSL_OP_LE: return c <= 0;
  case DSL_OP_GT: return c > 0;
  default: return c >= 0;
  }
}

static bool str_contains(rt_value s, rt_value x) {
  return s.type == RT_STRING && x.type == RT_STRING &&
         (x.u.str.len == 0 || memmem(s.u.str.ptr, s.u.str.len, x.u.str.ptr, x.u.str.len));
}

static bool str_starts(rt_value s, rt_value x) {
  return s.type == RT_STRING && x.type == RT_STRING && x.u.str.len <= s.u.str.len &&
         memcmp(s.u.str.ptr, x.u.str.ptr, x.u.str.len) == 0;
}

static bool regex_test(const regex_t *re, rt_value s) {
  if (s.type != RT_STRING)
    return false;
  regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)s.u.str.len};
  /* REG_STARTEND: the subject need not be NUL-terminated */
  return regexec(re, s.u.str.ptr ? s.u.str.ptr : "", 1, &m, REG_STARTEND) == 0;
}

/* ---- scalar functions -------------------------------------------------- */

static rt_value str_map(const dsl_fn_ctx *c, rt_value v, int (*f)(int)) {
  if (v.type != RT_STRING)
    return rt_null();
  char *o = rt_arena_alloc(c->arena, v.u.str.len + 1);
  for (size_t i = 0; i < v.u.str.len; i++)
    o[i] = (char)f((unsigned char)v.u.str.ptr[i]);
  return rt_string(o, v.u.str.len);
}

static int ascii_lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }
static int ascii_upper(int ch) { return ch >= 'a' && ch <= 'z' ? ch - 32 : ch; }

static rt_value dsl_fn_lower(const dsl_fn_ctx *c, const rt_value *a, int n) {
  return str_map(c, a[0], ascii_lower);
}

static rt_value dsl_fn_upper(const dsl_fn_ctx *c, const rt_value *a, int n) {
  return str_map(c, a[0], ascii_upper);
}

/* len(s): characters (UTF-8 code points) of a string; null otherwise. */
static rt_value dsl_fn_len(const dsl_fn_ctx *c, const rt_value *a, int n) {
  if (a[0].type != RT_STRING)
    return rt_null();
  size_t k = 0;
  for (size_t i = 0; i < a[0].u.str.len; i++)
    k += ((unsigned char)a[0].u.str.ptr[i] & 0xC0) != 0x80;
  return rt_number((double)k);
}

static rt_value num_map(rt_value v, double (*f)(double)) {
  return is_num(v) ? rt_number(f(num_of(v))) : rt_null();
}

static rt_value dsl_fn_abs(const dsl_fn_ctx *c, const rt_value *a, int n) {
  return num_map(a[0], fabs);
}

static rt_value dsl_fn_floor(const dsl_fn_ctx *c, const rt_value *a, int n) {
  return num_map(a[0], floor);
}

static rt_value dsl_fn_ceil(const dsl_fn_ctx *c, const rt_value *a, int n) {
  return num_map(a[0], ceil);
}

/* round(x[, digits]): half away from zero, at digits after the point. */
static rt_value dsl_fn_round(const dsl_fn_ctx *c, const rt_value *a, int n) {
  if (!is_num(a[0]) || (n > 1 && !is_num(a[1])))
    return rt_null();
  double x = num_of(a[0]);
  if (n < 2)
    return rt_number(round(x));
  double d = floor(num_of(a[1])), p = pow(10, d < -15 ? -15 : d > 15 ? 15 : d);
  double r = round(x * p) / p;
  return rt_number(isfinite(r) ? r : x);
}

static rt_value dsl_fn_if(const dsl_fn_ctx *c, const rt_value *a, int n) {
  return dsl_truthy(a[0]) ? a[1] : a[2];
}

static rt_value dsl_fn_coalesce(const dsl_fn_ctx *c, const rt_value *a, int n) {
  for (int i = 0; i < n; i++)
    if (a[i].type != RT_NULL)
      return a[i];
  return rt_null();
}

static rt_value dsl_fn_now(const dsl_fn_ctx *c, const rt_value *a, int n) {
  return rt_time(c->now_ms);
}

static rt_value dsl_fn_to_number(const dsl_fn_ctx *c, const rt_value *a, int n) {
  rt_value v = a[0];
  if (v.type == RT_NUMBER || v.type == RT_TIME)
    return rt_number(num_of(v));
  if (v.type == RT_BOOL)
    return rt_number(v.u.b ? 1 : 0);
  if (v.type != RT_STRING || v.u.str.len == 0 || v.u.str.len > 64)
    return rt_null();
  char buf[72], *end;
  memcpy(buf, v.u.str.ptr, v.u.str.len);
  buf[v.u.str.len] = 0;
  double d = strtod(buf, &end);
  while (*end == ' ' || *end == '\t')
    end++;
  return end != buf && *end == 0 ? rt_number(d) : rt_null();
}

static rt_value dsl_fn_to_string(const dsl_fn_ctx *c, const rt_value *a, int n) {
  if (a[0].type == RT_STRING || a[0].type == RT_NULL)
    return a[0];
  rt_buf b;
  rt_buf_init(&b, 0);
  rt_value_write_text(a[0], &b);
  char *s = rt_arena_strndup(c->arena, b.data, b.len);
  rt_value r = rt_string(s, b.len);
  rt_buf_free(&b);
  return r;
}

static rt_value dsl_fn_to_time(const dsl_fn_ctx *c, const rt_value *a, int n) {
  int64_t ms;
  if (a[0].type == RT_STRING) {
    rt_value num = dsl_fn_to_number(c, a, 1);
    if (num.type == RT_NUMBER)
      return dsl_value_to_ms(num, &ms) ? rt_time(ms) : rt_null();
  }
  return dsl_value_to_ms(a[0], &ms) ? rt_time(ms) : rt_null();
}

typedef struct fn_entry {
  const char *name; /* as written */
  int min, max;     /* argument counts */
  dsl_fn fn;        /* handler */
} fn_entry;

static const fn_entry fn_table[] = {
    {"lower", 1, 1, dsl_fn_lower},       {"upper", 1, 1, dsl_fn_upper},
    {"len", 1, 1, dsl_fn_len},           {"abs", 1, 1, dsl_fn_abs},
    {"round", 1, 2, dsl_fn_round},       {"floor", 1, 1, dsl_fn_floor},
    {"ceil", 1, 1, dsl_fn_ceil},         {"if", 3, 3, dsl_fn_if},
    {"coalesce", 1, 64, dsl_fn_coalesce}, {"now", 0, 0, dsl_fn_now},
    {"to_number", 1, 1, dsl_fn_to_number}, {"to_string", 1, 1, dsl_fn_to_string},
    {"to_time", 1, 1, dsl_fn_to_time},
};

const char *const *dsl_function_names(void) {
  static const char *const names[] = {"lower", "upper", "len", "abs", "round", "floor", "ceil",
                                      "if", "coalesce", "now", "to_number", "to_string",
                                      "to_time", NULL};
  return names;
}

static const fn_entry *fn_lookup(const char *name) {
  for (size_t i = 0; i < sizeof(fn_table) / sizeof(fn_table[0]); i++)
    if (strcmp(fn_table[i].name, name) == 0)
      return &fn_table[i];
  return NULL;
}

/* ---- building ---------------------------------------------------------- */

typedef struct cx_build {
  dsl_cx_pool *pool;
  const char *src;
  dsl_field_resolver resolve;
  void *ctx;
  rt_err *err;
} cx_build;

static int build(cx_build *b, const dsl_expr *e, dsl_cx **out);

static dsl_cx *node_new(cx_build *b, dsl_cx_op op, int nargs) {
  dsl_cx *n = rt_arena_calloc(b->pool->arena, 1, sizeof(*n));
  n->op = op;
  n->nargs = nargs;
  n->args = nargs ? rt_arena_calloc(b->pool->arena, (size_t)nargs, sizeof(*n->args)) : NULL;
  return n;
}

static int build_args(cx_build *b, dsl_cx *n, dsl_expr *const *args) {
  for (int i = 0; i < n->nargs; i++) {
    int rc = build(b, args[i], &n->args[i]);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int build_const(cx_build *b, const dsl_expr *e, dsl_cx **out) {
  dsl_cx *n = node_new(b, DSL_CX_CONST, 0);
  switch (e->kind) {
  case DSL_EX_NUMBER:
  case DSL_EX_DURATION: n->k = rt_number(e->u.num); break;
  case DSL_EX_BOOL: n->k = rt_bool(e->u.boolean); break;
  case DSL_EX_STRING:
    n->k = rt_string(rt_arena_strndup(b->pool->arena, e->u.str.s, (size_t)e->u.str.len),
                     (size_t)e->u.str.len);
    break;
  default: n->k = rt_null(); break;
  }
  *out = n;
  return 0;
}

static int build_regex(cx_build *b, const dsl_expr *pat, dsl_cx *n) {
  if (pat->kind != DSL_EX_STRING)
    return rt_err_set_at(b->err, RT_ETYPE, b->src, pat->span.off, pat->span.len,
                         "matches needs a string literal pattern");
  cx_regex *r = rt_xcalloc(1, sizeof(*r));
  int rc = regcomp(&r->re, pat->u.str.s, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char msg[128];
    regerror(rc, &r->re, msg, sizeof(msg));
    rt_free(r);
    return rt_err_set_at(b->err, RT_ETYPE, b->src, pat->span.off, pat->span.len,
                         "bad regular expression: %s", msg);
  }
  r->next = b->pool->regexes;
  b->pool->regexes = r;
  n->re = &r->re;
  return 0;
}

static int build_binary(cx_build *b, const dsl_expr *e, dsl_cx **out) {
  dsl_op op = e->u.binary.op;
  dsl_cx_op cop = op <= DSL_OP_MOD ? DSL_CX_ARITH
                  : op <= DSL_OP_GE ? DSL_CX_CMP
                  : op == DSL_OP_AND ? DSL_CX_AND
                  : op == DSL_OP_OR ? DSL_CX_OR
                  : op == DSL_OP_CONTAINS ? DSL_CX_CONTAINS
                  : op == DSL_OP_STARTS_WITH ? DSL_CX_STARTS_WITH
                                             : DSL_CX_MATCHES;
  dsl_cx *n = node_new(b, cop, cop == DSL_CX_MATCHES ? 1 : 2);
  n->bop = op;
  *out = n;
  if (cop == DSL_CX_MATCHES) {
    int rc = build_regex(b, e->u.binary.rhs, n);
    return rc < 0 ? rc : build(b, e->u.binary.lhs, &n->args[0]);
  }
  dsl_expr *args[2] = {e->u.binary.lhs, e->u.binary.rhs};
  return build_args(b, n, args);
}

static int build_call(cx_build *b, const dsl_expr *e, dsl_cx **out) {
  const fn_entry *f = fn_lookup(e->u.call.name);
  if (!f)
    return rt_err_set_at(b->err, RT_ETYPE, b->src, e->u.call.name_span.off,
                         e->u.call.name_span.len, "unknown function %s (or an aggregate "
                         "outside agg)", e->u.call.name);
  if (e->u.call.nargs < f->min || e->u.call.nargs > f->max)
    return rt_err_set_at(b->err, RT_ETYPE, b->src, e->span.off, e->span.len,
                         "%s takes %d%s argument%s", f->name, f->min,
                         f->max > f->min ? " or more" : "", f->max == 1 ? "" : "s");
  dsl_cx *n = node_new(b, DSL_CX_CALL, e->u.call.nargs);
  n->fn = f->fn;
  *out = n;
  return build_args(b, n, e->u.call.args);
}

static int build(cx_build *b, const dsl_expr *e, dsl_cx **out) {
  dsl_cx *n;
  int rc;
  switch (e->kind) {
  case DSL_EX_FIELD:
    if ((rc = b->resolve(b->ctx, e, b->err)) < 0)
      return rc;
    n = node_new(b, DSL_CX_FIELD, 0);
    n->col = rc;
    *out = n;
    return 0;
  case DSL_EX_UNARY:
    n = node_new(b, e->u.unary.op == DSL_OP_NOT ? DSL_CX_NOT : DSL_CX_NEG, 1);
    *out = n;
    return build_args(b, n, &e->u.unary.arg);
  case DSL_EX_BINARY:
    return build_binary(b, e, out);
  case DSL_EX_IN:
    n = node_new(b, DSL_CX_IN, e->u.in.nitems + 1);
    *out = n;
    if ((rc = build(b, e->u.in.lhs, &n->args[0])) < 0)
      return rc;
    for (int i = 0; i < e->u.in.nitems; i++)
      if ((rc = build(b, e->u.in.items[i], &n->args[i + 1])) < 0)
        return rc;
    return 0;
  case DSL_EX_CALL:
    return build_call(b, e, out);
  default:
    return build_const(b, e, out);
  }
}

int dsl_cx_build(dsl_cx_pool *pool, const dsl_expr *e, const char *src,
                 dsl_field_resolver resolve, void *ctx, dsl_cx **out, rt_err *err) {
  cx_build b = {pool, src, resolve, ctx, err};
  *out = NULL;
  return build(&b, e, out);
}

bool dsl_cx_const(const dsl_cx *e, rt_value *out) {
  if (e->op != DSL_CX_CONST)
    return false;
  *out = e->k;
  return true;
}

int dsl_cx_column(const dsl_cx *e) { return e->op == DSL_CX_FIELD ? e->col : -1; }

/* ---- evaluation -------------------------------------------------------- */

static rt_value *out_new(const dsl_eval_ctx *c) {
  return rt_arena_alloc(rt_batch_arena(c->batch), (c->n ? c->n : 1) * sizeof(rt_value));
}

static const rt_value *eval_field(const dsl_cx *e, const dsl_eval_ctx *c) {
  const rt_value *col = rt_batch_col(c->batch, e->col);
  if (!c->sel)
    return col;
  rt_value *o = out_new(c);
  for (size_t i = 0; i < c->n; i++)
    o[i] = col[c->sel[i]];
  return o;
}

static const rt_value *eval_arith(const dsl_cx *e, const dsl_eval_ctx *c) {
  const rt_value *a = dsl_eval(e->args[0], c), *b = dsl_eval(e->args[1], c);
  rt_value *o = out_new(c);
  if (e->bop == DSL_OP_ADD || e->bop == DSL_OP_SUB || e->bop == DSL_OP_MUL) {
    for (size_t i = 0; i < c->n; i++) { /* the common case first: two numbers */
      if (a[i].type == RT_NUMBER && b[i].type == RT_NUMBER)
        o[i] = rt_number(e->bop == DSL_OP_ADD   ? a[i].u.num + b[i].u.num
                         : e->bop == DSL_OP_SUB ? a[i].u.num - b[i].u.num
                                                : a[i].u.num * b[i].u.num);
      else
        o[i] = arith(e->bop, a[i], b[i]);
    }
    return o;
  }
  for (size_t i = 0; i < c->n; i++)
    o[i] = arith(e->bop, a[i], b[i]);
  return o;
}

/* A comparison against a number constant, the shape of most `where`s. */
static bool eval_cmp_const(const dsl_cx *e, const dsl_eval_ctx *c, rt_value *o) {
  rt_value k;
  if (e->bop == DSL_OP_EQ || e->bop == DSL_OP_NE || !dsl_cx_const(e->args[1], &k) ||
      k.type != RT_NUMBER || k.u.num != k.u.num)
    return false;
  const rt_value *a = dsl_eval(e->args[0], c);
  double y = k.u.num;
  for (size_t i = 0; i < c->n; i++) {
    if (a[i].type != RT_NUMBER) {
      o[i] = rt_bool(compare(e->bop, a[i], k));
      continue;
    }
    double x = a[i].u.num;
    bool r = e->bop == DSL_OP_GT ? x > y : e->bop == DSL_OP_GE ? x >= y
             : e->bop == DSL_OP_LT ? x < y : x <= y;
    o[i] = rt_bool(r);
  }
  return true;
}

static const rt_value *eval_cmp(const dsl_cx *e, const dsl_eval_ctx *c) {
  rt_value *o = out_new(c);
  if (eval_cmp_const(e, c, o))
    return o;
  const rt_value *a = dsl_eval(e->args[0], c), *b = dsl_eval(e->args[1], c);
  for (size_t i = 0; i < c->n; i++)
    o[i] = rt_bool(compare(e->bop, a[i], b[i]));
  return o;
}

static const rt_value *eval_logic(const dsl_cx *e, const dsl_eval_ctx *c) {
  const rt_value *a = dsl_eval(e->args[0], c), *b = dsl_eval(e->args[1], c);
  rt_value *o = out_new(c);
  bool and = e->op == DSL_CX_AND;
  for (size_t i = 0; i < c->n; i++)
    o[i] = rt_bool(and ? dsl_truthy(a[i]) && dsl_truthy(b[i])
                       : dsl_truthy(a[i]) || dsl_truthy(b[i]));
  return o;
}

static const rt_value *eval_in(const dsl_cx *e, const dsl_eval_ctx *c) {
  const rt_value *a = dsl_eval(e->args[0], c);
  rt_value *o = out_new(c);
  for (size_t i = 0; i < c->n; i++)
    o[i] = rt_bool(false);
  for (int k = 1; k < e->nargs; k++) {
    const rt_value *item = dsl_eval(e->args[k], c);
    for (size_t i = 0; i < c->n; i++)
      if (!o[i].u.b && equal(a[i], item[i]))
        o[i].u.b = true;
  }
  return o;
}

static const rt_value *eval_call(const dsl_cx *e, const dsl_eval_ctx *c) {
  const rt_value **args = rt_arena_alloc(rt_batch_arena(c->batch),
                                         (size_t)(e->nargs + 1) * sizeof(*args));
  for (int k = 0; k < e->nargs; k++)
    args[k] = dsl_eval(e->args[k], c);
  rt_value *o = out_new(c), row[64];
  dsl_fn_ctx fc = {rt_batch_arena(c->batch), c->now_ms};
  for (size_t i = 0; i < c->n; i++) {
    for (int k = 0; k < e->nargs; k++)
      row[k] = args[k][i];
    o[i] = e->fn(&fc, row, e->nargs);
  }
  return o;
}

static const rt_value *eval_strtest(const dsl_cx *e, const dsl_eval_ctx *c) {
  const rt_value *a = dsl_eval(e->args[0], c);
  const rt_value *b = e->op == DSL_CX_MATCHES ? NULL : dsl_eval(e->args[1], c);
  rt_value *o = out_new(c);
  for (size_t i = 0; i < c->n; i++)
    o[i] = rt_bool(e->op == DSL_CX_CONTAINS      ? str_contains(a[i], b[i])
                   : e->op == DSL_CX_STARTS_WITH ? str_starts(a[i], b[i])
                                                 : regex_test(e->re, a[i]));
  return o;
}

const rt_value *dsl_eval(const dsl_cx *e, const dsl_eval_ctx *c) {
  rt_value *o;
  const rt_value *a;
  switch (e->op) {
  /* Opcode: CONST
   * The literal k for every row (numbers, durations as ms, strings, bools,
   * null). */
  case DSL_CX_CONST:
    o = out_new(c);
    for (size_t i = 0; i < c->n; i++)
      o[i] = e->k;
    return o;
  /* Opcode: FIELD
   * Column col of the batch: the column itself when all rows are selected,
   * else gathered through sel. A field a record lacks holds null. */
  case DSL_CX_FIELD:
    return eval_field(e, c);
  /* Opcode: NEG x
   * -x for numbers; null for anything else. */
  case DSL_CX_NEG:
    a = dsl_eval(e->args[0], c);
    o = out_new(c);
    for (size_t i = 0; i < c->n; i++)
      o[i] = a[i].type == RT_NUMBER ? rt_number(-a[i].u.num) : rt_null();
    return o;
  /* Opcode: NOT x
   * true unless x is true (two-valued: not of null is true). */
  case DSL_CX_NOT:
    a = dsl_eval(e->args[0], c);
    o = out_new(c);
    for (size_t i = 0; i < c->n; i++)
      o[i] = rt_bool(!dsl_truthy(a[i]));
    return o;
  /* Opcode: ARITH x y (+ - * / %)
   * Numbers (and times as ms); null when a side is not a number or on a
   * division by zero. time +- number is a time. */
  case DSL_CX_ARITH:
    return eval_arith(e, c);
  /* Opcode: CMP x y (= != < <= > >=)
   * = and != by rt_value_equal (null = null); ordering tests are false when
   * the sides do not compare (null, mixed types). */
  case DSL_CX_CMP:
    return eval_cmp(e, c);
  /* Opcode: AND x y / OR x y
   * Booleans of the truthiness of both sides (both evaluated). */
  case DSL_CX_AND:
  case DSL_CX_OR:
    return eval_logic(e, c);
  /* Opcode: IN x a b ...
   * true when x = any item (by `=`). */
  case DSL_CX_IN:
    return eval_in(e, c);
  /* Opcode: CONTAINS s x / STARTS_WITH s x / MATCHES s (re)
   * String tests; false when s (or x) is not a string. MATCHES runs the
   * POSIX extended regex compiled at build time, unanchored. */
  case DSL_CX_CONTAINS:
  case DSL_CX_STARTS_WITH:
  case DSL_CX_MATCHES:
    return eval_strtest(e, c);
  /* Opcode: CALL fn args...
   * A scalar function from fn_table, once per row. */
  case DSL_CX_CALL:
    return eval_call(e, c);
  }
  return NULL;
}
