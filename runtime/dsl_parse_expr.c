/*
 * Expressions of the Eddy language, by precedence climbing through one
 * function per level, loosest first:
 *
 *   or < and < not < comparison, in, contains, starts_with, matches
 *      < + - < * / % < unary - < primary
 *
 * Comparisons do not chain (`a < b < c` is an error that suggests `and`),
 * because the chained reading is a classic source of silent bugs. Nesting is
 * bounded so no input can exhaust the stack.
 */
#include "dsl_parse_int.h"

#include "rt_arena.h"

#include <string.h>

static dsl_expr *new_expr(dsl_parse_ctx *p, dsl_expr_kind kind, int off,
                          int len) {
  dsl_expr *e = rt_arena_calloc(p->arena, 1, sizeof(*e));
  e->kind = kind;
  e->span = (dsl_span){off, len};
  return e;
}

static dsl_expr *binary(dsl_parse_ctx *p, dsl_op op, dsl_expr *lhs,
                        dsl_expr *rhs) {
  int end = rhs->span.off + rhs->span.len;
  dsl_expr *e = new_expr(p, DSL_EX_BINARY, lhs->span.off, end - lhs->span.off);
  e->u.binary.op = op;
  e->u.binary.lhs = lhs;
  e->u.binary.rhs = rhs;
  return e;
}

dsl_expr *dsl__field_expr(dsl_parse_ctx *p, int off, int len) {
  dsl_expr *e = new_expr(p, DSL_EX_FIELD, off, len);
  int nparts = 1;
  for (int i = 0; i < len; i++)
    nparts += p->src[off + i] == '.';
  const char **parts = rt_arena_alloc(p->arena, sizeof(char *) * (size_t)nparts);
  int at = off, k = 0;
  for (int i = 0; i <= len; i++) {
    if (i == len || p->src[off + i] == '.') {
      parts[k++] = dsl__text(p, at, off + i - at);
      at = off + i + 1;
    }
  }
  e->u.field.parts = parts;
  e->u.field.nparts = nparts;
  e->u.field.text = dsl__text(p, off, len);
  return e;
}

static int or_expr(dsl_parse_ctx *p, dsl_expr **out);

static int enter(dsl_parse_ctx *p) {
  if (++p->depth > DSL__MAX_DEPTH)
    return dsl__syntax(p, "the expression is nested too deeply");
  return 0;
}

static int call_args(dsl_parse_ctx *p, dsl_expr *call) {
  int rc, cap = 0;
  if ((rc = dsl__advance(p))) /* ( */
    return rc;
  if (p->tok.kind == DSL_TK_STAR)
    return dsl__syntax(p, "`*` is not an argument; count() counts rows");
  if (p->tok.kind != DSL_TK_RPAREN) {
    for (;;) {
      dsl_expr *arg;
      if ((rc = dsl__expr(p, &arg)))
        return rc;
      call->u.call.args = dsl__grow(p, call->u.call.args, call->u.call.nargs,
                                    &cap, sizeof(dsl_expr *));
      call->u.call.args[call->u.call.nargs++] = arg;
      if (p->tok.kind == DSL_TK_COMMA) {
        if ((rc = dsl__advance(p)))
          return rc;
        continue;
      }
      if (p->tok.kind != DSL_TK_RPAREN)
        return dsl__syntax(p, "expected `,` or `)` in the arguments of `%s`",
                           call->u.call.name);
      break;
    }
  }
  call->span.len = p->tok.off + 1 - call->span.off;
  return dsl__advance(p);
}

static int name_expr(dsl_parse_ctx *p, dsl_expr **out) {
  int off = p->tok.off, len = p->tok.len, rc;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind != DSL_TK_LPAREN) {
    *out = dsl__field_expr(p, off, len);
    return 0;
  }
  dsl_expr *e = new_expr(p, DSL_EX_CALL, off, len);
  e->u.call.name = dsl__text(p, off, len);
  e->u.call.name_span = (dsl_span){off, len};
  *out = e;
  return call_args(p, e);
}

/* The 1-based column of byte off, for messages that point back. */
static int column_of(const dsl_parse_ctx *p, int off) {
  int col = 1;
  while (off - col >= 0 && p->src[off - col] != '\n')
    col++;
  return col;
}

static int primary(dsl_parse_ctx *p, dsl_expr **out) {
  dsl_tok t = p->tok;
  dsl_expr *e;
  int rc;
  switch (t.kind) {
  case DSL_TK_NUMBER:
  case DSL_TK_DURATION:
    e = new_expr(p, t.kind == DSL_TK_NUMBER ? DSL_EX_NUMBER : DSL_EX_DURATION,
                 t.off, t.len);
    e->u.num = t.num;
    break;
  case DSL_TK_STRING:
    e = new_expr(p, DSL_EX_STRING, t.off, t.len);
    e->u.str.s = t.str;
    e->u.str.len = t.slen;
    break;
  case DSL_TK_TRUE:
  case DSL_TK_FALSE:
    e = new_expr(p, DSL_EX_BOOL, t.off, t.len);
    e->u.boolean = t.kind == DSL_TK_TRUE;
    break;
  case DSL_TK_NULL:
    e = new_expr(p, DSL_EX_NULL, t.off, t.len);
    break;
  case DSL_TK_NAME:
    return name_expr(p, out);
  case DSL_TK_LPAREN:
    if ((rc = dsl__advance(p)) || (rc = dsl__expr(p, &e)))
      return rc;
    if (p->tok.kind != DSL_TK_RPAREN)
      return dsl__syntax(p, "expected `)` to close the `(` at column %d",
                         column_of(p, t.off));
    /* The parentheses belong to the expression's text. */
    e->span = (dsl_span){t.off, p->tok.off + 1 - t.off};
    *out = e;
    return dsl__advance(p);
  default:
    return dsl__syntax(p, "expected an expression");
  }
  *out = e;
  return dsl__advance(p);
}

static int unary(dsl_parse_ctx *p, dsl_expr **out) {
  if (p->tok.kind != DSL_TK_MINUS)
    return primary(p, out);
  int off = p->tok.off, rc;
  dsl_expr *arg;
  if ((rc = enter(p)) || (rc = dsl__advance(p)) || (rc = unary(p, &arg)))
    return rc;
  p->depth--;
  dsl_expr *e = new_expr(p, DSL_EX_UNARY, off,
                         arg->span.off + arg->span.len - off);
  e->u.unary.op = DSL_OP_NEG;
  e->u.unary.arg = arg;
  *out = e;
  return 0;
}

/* Each operator of a chain (a + b + c) deepens the tree by one, so chains
 * count against the nesting bound too: tree walkers recurse on them. */
static int mul_expr(dsl_parse_ctx *p, dsl_expr **out) {
  int rc = unary(p, out), n = 0;
  for (; !rc; n++) {
    dsl_op op;
    switch (p->tok.kind) {
    case DSL_TK_STAR: op = DSL_OP_MUL; break;
    case DSL_TK_SLASH: op = DSL_OP_DIV; break;
    case DSL_TK_PERCENT: op = DSL_OP_MOD; break;
    default: return 0;
    }
    dsl_expr *rhs;
    if ((rc = enter(p)) || (rc = dsl__advance(p)) || (rc = unary(p, &rhs)))
      return rc;
    *out = binary(p, op, *out, rhs);
  }
  p->depth -= n;
  return rc;
}

static int add_expr(dsl_parse_ctx *p, dsl_expr **out) {
  int rc = mul_expr(p, out), n = 0;
  for (; !rc; n++) {
    dsl_op op;
    switch (p->tok.kind) {
    case DSL_TK_PLUS: op = DSL_OP_ADD; break;
    case DSL_TK_MINUS: op = DSL_OP_SUB; break;
    default: return 0;
    }
    dsl_expr *rhs;
    if ((rc = enter(p)) || (rc = dsl__advance(p)) || (rc = mul_expr(p, &rhs)))
      return rc;
    *out = binary(p, op, *out, rhs);
  }
  p->depth -= n;
  return rc;
}

static bool cmp_op(dsl_tok_kind k, dsl_op *op) {
  switch (k) {
  case DSL_TK_EQ: *op = DSL_OP_EQ; return true;
  case DSL_TK_NE: *op = DSL_OP_NE; return true;
  case DSL_TK_LT: *op = DSL_OP_LT; return true;
  case DSL_TK_LE: *op = DSL_OP_LE; return true;
  case DSL_TK_GT: *op = DSL_OP_GT; return true;
  case DSL_TK_GE: *op = DSL_OP_GE; return true;
  case DSL_TK_CONTAINS: *op = DSL_OP_CONTAINS; return true;
  case DSL_TK_STARTS_WITH: *op = DSL_OP_STARTS_WITH; return true;
  case DSL_TK_MATCHES: *op = DSL_OP_MATCHES; return true;
  default: return false;
  }
}

/* x in (a, b, ...); the current token is `(`. */
static int in_list(dsl_parse_ctx *p, dsl_expr *lhs, dsl_expr **out) {
  int rc, cap = 0;
  if (p->tok.kind != DSL_TK_LPAREN)
    return dsl__syntax(p, "`in` needs a list in parentheses: x in (1, 2)");
  dsl_expr *e = new_expr(p, DSL_EX_IN, lhs->span.off, 0);
  e->u.in.lhs = lhs;
  if ((rc = dsl__advance(p)))
    return rc;
  if (p->tok.kind == DSL_TK_RPAREN)
    return dsl__syntax(p, "`in` needs at least one value: x in (1, 2)");
  for (;;) {
    dsl_expr *item;
    if ((rc = dsl__expr(p, &item)))
      return rc;
    e->u.in.items = dsl__grow(p, e->u.in.items, e->u.in.nitems, &cap,
                              sizeof(dsl_expr *));
    e->u.in.items[e->u.in.nitems++] = item;
    if (p->tok.kind == DSL_TK_RPAREN)
      break;
    if (p->tok.kind != DSL_TK_COMMA)
      return dsl__syntax(p, "expected `,` or `)` in the list of `in`");
    if ((rc = dsl__advance(p)))
      return rc;
  }
  e->span.len = p->tok.off + 1 - e->span.off;
  *out = e;
  return dsl__advance(p);
}

static int cmp_expr(dsl_parse_ctx *p, dsl_expr **out) {
  int rc = add_expr(p, out);
  if (rc)
    return rc;
  dsl_op op;
  if (p->tok.kind == DSL_TK_IN || p->tok.kind == DSL_TK_NOT) {
    int not_off = p->tok.off;
    bool negate = p->tok.kind == DSL_TK_NOT;
    if ((rc = dsl__advance(p)))
      return rc;
    if (negate && p->tok.kind != DSL_TK_IN)
      return dsl__syntax(p, "expected `in` after `not` here (or write "
                            "`not (a = b)` to negate a test)");
    if (negate && (rc = dsl__advance(p)))
      return rc;
    if ((rc = in_list(p, *out, out)))
      return rc;
    if (negate) {
      dsl_expr *n = new_expr(p, DSL_EX_UNARY, (*out)->span.off, 0);
      n->span.len = (*out)->span.len;
      n->u.unary.op = DSL_OP_NOT;
      n->u.unary.arg = *out;
      (void)not_off;
      *out = n;
    }
  } else if (cmp_op(p->tok.kind, &op)) {
    dsl_expr *rhs;
    if ((rc = dsl__advance(p)) || (rc = add_expr(p, &rhs)))
      return rc;
    *out = binary(p, op, *out, rhs);
  } else {
    return 0;
  }
  if (cmp_op(p->tok.kind, &op) || p->tok.kind == DSL_TK_IN)
    return dsl__syntax(p, "comparisons do not chain; join two tests with "
                          "`and`, as in a < b and b < c");
  return 0;
}

static int not_expr(dsl_parse_ctx *p, dsl_expr **out) {
  if (p->tok.kind != DSL_TK_NOT)
    return cmp_expr(p, out);
  int off = p->tok.off, rc;
  dsl_expr *arg;
  if ((rc = enter(p)) || (rc = dsl__advance(p)) || (rc = not_expr(p, &arg)))
    return rc;
  p->depth--;
  dsl_expr *e = new_expr(p, DSL_EX_UNARY, off,
                         arg->span.off + arg->span.len - off);
  e->u.unary.op = DSL_OP_NOT;
  e->u.unary.arg = arg;
  *out = e;
  return 0;
}

static int and_expr(dsl_parse_ctx *p, dsl_expr **out) {
  int rc = not_expr(p, out), n = 0;
  for (; !rc && p->tok.kind == DSL_TK_AND; n++) {
    dsl_expr *rhs;
    if ((rc = enter(p)) || (rc = dsl__advance(p)) || (rc = not_expr(p, &rhs)))
      return rc;
    *out = binary(p, DSL_OP_AND, *out, rhs);
  }
  p->depth -= n;
  return rc;
}

static int or_expr(dsl_parse_ctx *p, dsl_expr **out) {
  int rc = and_expr(p, out), n = 0;
  for (; !rc && p->tok.kind == DSL_TK_OR; n++) {
    dsl_expr *rhs;
    if ((rc = enter(p)) || (rc = dsl__advance(p)) || (rc = and_expr(p, &rhs)))
      return rc;
    *out = binary(p, DSL_OP_OR, *out, rhs);
  }
  p->depth -= n;
  return rc;
}

int dsl__expr(dsl_parse_ctx *p, dsl_expr **out) {
  int rc = enter(p);
  if (rc)
    return rc;
  rc = or_expr(p, out);
  p->depth--;
  return rc;
}
