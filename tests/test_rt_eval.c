/* Tests of compiled expressions over a batch: arithmetic with nulls, the
 * two-valued comparisons, string tests, regexes, in, and every function.
 * Expressions are built by hand so the test does not depend on the parser. */
#include "dsl_eval.h"
#include "rt_arena.h"
#include "rt_time.h"
#include "test.h"

static rt_arena *A;

static dsl_expr *ex(dsl_expr_kind k) {
  dsl_expr *e = rt_arena_calloc(A, 1, sizeof(*e));
  e->kind = k;
  return e;
}
static dsl_expr *num(double d) { dsl_expr *e = ex(DSL_EX_NUMBER); e->u.num = d; return e; }
static dsl_expr *nul(void) { return ex(DSL_EX_NULL); }
static dsl_expr *str(const char *s) {
  dsl_expr *e = ex(DSL_EX_STRING);
  e->u.str.s = s;
  e->u.str.len = (int)strlen(s);
  return e;
}
static dsl_expr *fld(const char *name) {
  dsl_expr *e = ex(DSL_EX_FIELD);
  e->u.field.text = name;
  return e;
}
static dsl_expr *bin(dsl_op op, dsl_expr *l, dsl_expr *r) {
  dsl_expr *e = ex(DSL_EX_BINARY);
  e->u.binary.op = op;
  e->u.binary.lhs = l;
  e->u.binary.rhs = r;
  return e;
}
static dsl_expr *un(dsl_op op, dsl_expr *a) {
  dsl_expr *e = ex(DSL_EX_UNARY);
  e->u.unary.op = op;
  e->u.unary.arg = a;
  return e;
}
static dsl_expr *call(const char *name, int n, dsl_expr *a, dsl_expr *b, dsl_expr *c) {
  dsl_expr *e = ex(DSL_EX_CALL);
  e->u.call.name = name;
  e->u.call.nargs = n;
  e->u.call.args = rt_arena_calloc(A, 3, sizeof(dsl_expr *));
  e->u.call.args[0] = a;
  e->u.call.args[1] = b;
  e->u.call.args[2] = c;
  return e;
}

/* Columns: t (number), s (string), h (number or missing). */
static int resolve(void *ctx, const dsl_expr *f, rt_err *err) {
  const char *n = f->u.field.text;
  if (strcmp(n, "t") == 0) return 0;
  if (strcmp(n, "s") == 0) return 1;
  if (strcmp(n, "h") == 0) return 2;
  return rt_err_set(err, RT_ETYPE, "unknown field %s", n);
}

static rt_batch *B;
static dsl_cx_pool *P;

static const rt_value *run(dsl_expr *e) {
  dsl_cx *cx;
  rt_err err;
  int rc = dsl_cx_build(P, e, "", resolve, NULL, &cx, &err);
  if (rc < 0)
    fprintf(stderr, "build: %s\n", err.msg);
  ASSERT_EQ(rc, 0);
  dsl_eval_ctx c = {.batch = B, .sel = NULL, .n = rt_batch_nrows(B), .now_ms = 1000};
  return dsl_eval(cx, &c);
}

static bool is_str(rt_value v, const char *s) {
  return v.type == RT_STRING && v.u.str.len == strlen(s) && memcmp(v.u.str.ptr, s, v.u.str.len) == 0;
}

static void setup(void) {
  A = rt_arena_new(0);
  P = dsl_cx_pool_new();
  B = rt_batch_new(3);
  /* row 0: t=10 s="Hello" h=40; row 1: t=60 s="world" h missing; row 2: t missing */
  size_t r = rt_batch_add_row(B);
  rt_batch_set(B, r, 0, rt_number(10));
  rt_batch_set(B, r, 1, rt_string("Hello", 5));
  rt_batch_set(B, r, 2, rt_number(40));
  r = rt_batch_add_row(B);
  rt_batch_set(B, r, 0, rt_number(60));
  rt_batch_set(B, r, 1, rt_string("world", 5));
  rt_batch_add_row(B);
}

static void teardown(void) {
  rt_batch_free(&B);
  dsl_cx_pool_free(&P);
  rt_arena_free(&A);
}

static void test_arith(void) {
  setup();
  const rt_value *v = run(bin(DSL_OP_ADD, fld("t"), num(1)));
  ASSERT_NEAR(v[0].u.num, 11, 0);
  ASSERT_NEAR(v[1].u.num, 61, 0);
  ASSERT_EQ(v[2].type, RT_NULL);
  v = run(bin(DSL_OP_DIV, num(7), num(2)));
  ASSERT_NEAR(v[0].u.num, 3.5, 0);
  v = run(bin(DSL_OP_DIV, fld("t"), num(0)));
  ASSERT_EQ(v[0].type, RT_NULL);
  v = run(bin(DSL_OP_MOD, fld("t"), num(7)));
  ASSERT_NEAR(v[1].u.num, 4, 0);
  v = run(un(DSL_OP_NEG, fld("h")));
  ASSERT_NEAR(v[0].u.num, -40, 0);
  ASSERT_EQ(v[1].type, RT_NULL);
  v = run(bin(DSL_OP_MUL, fld("s"), num(2)));
  ASSERT_EQ(v[0].type, RT_NULL);
  teardown();
}

static void test_compare_null(void) {
  setup();
  const rt_value *v = run(bin(DSL_OP_LT, fld("h"), num(50)));
  ASSERT(v[0].u.b && !v[1].u.b && !v[2].u.b);
  v = run(un(DSL_OP_NOT, bin(DSL_OP_LT, fld("h"), num(50))));
  ASSERT(!v[0].u.b && v[1].u.b && v[2].u.b);
  v = run(bin(DSL_OP_EQ, fld("h"), nul()));
  ASSERT(!v[0].u.b && v[1].u.b && v[2].u.b);
  v = run(bin(DSL_OP_NE, fld("h"), nul()));
  ASSERT(v[0].u.b && !v[1].u.b);
  v = run(bin(DSL_OP_GT, fld("s"), str("a")));
  ASSERT(!v[0].u.b && v[1].u.b && !v[2].u.b);
  v = run(bin(DSL_OP_AND, bin(DSL_OP_GT, fld("t"), num(5)), bin(DSL_OP_LT, fld("t"), num(50))));
  ASSERT(v[0].u.b && !v[1].u.b && !v[2].u.b);
  v = run(bin(DSL_OP_OR, bin(DSL_OP_GT, fld("t"), num(50)), bin(DSL_OP_EQ, fld("s"), str("Hello"))));
  ASSERT(v[0].u.b && v[1].u.b && !v[2].u.b);
  teardown();
}

static void test_strings_and_in(void) {
  setup();
  const rt_value *v = run(bin(DSL_OP_CONTAINS, fld("s"), str("ell")));
  ASSERT(v[0].u.b && !v[1].u.b && !v[2].u.b);
  v = run(bin(DSL_OP_STARTS_WITH, fld("s"), str("wo")));
  ASSERT(!v[0].u.b && v[1].u.b);
  v = run(bin(DSL_OP_MATCHES, fld("s"), str("^[A-Z][a-z]+$")));
  ASSERT(v[0].u.b && !v[1].u.b && !v[2].u.b);
  dsl_expr *in = ex(DSL_EX_IN);
  in->u.in.lhs = fld("t");
  in->u.in.nitems = 2;
  in->u.in.items = rt_arena_calloc(A, 2, sizeof(dsl_expr *));
  in->u.in.items[0] = num(60);
  in->u.in.items[1] = nul();
  v = run(in);
  ASSERT(!v[0].u.b && v[1].u.b && v[2].u.b);
  dsl_cx *cx;
  rt_err err;
  ASSERT_EQ(dsl_cx_build(P, bin(DSL_OP_MATCHES, fld("s"), str("(")), "", resolve, NULL, &cx, &err),
            RT_ETYPE);
  ASSERT_EQ(dsl_cx_build(P, call("nope", 1, num(1), NULL, NULL), "", resolve, NULL, &cx, &err),
            RT_ETYPE);
  ASSERT_EQ(dsl_cx_build(P, call("round", 3, num(1), num(1), num(1)), "", resolve, NULL, &cx, &err),
            RT_ETYPE);
  ASSERT_EQ(dsl_cx_build(P, fld("zz"), "", resolve, NULL, &cx, &err), RT_ETYPE);
  teardown();
}

static void test_functions(void) {
  setup();
  ASSERT(is_str(run(call("lower", 1, fld("s"), NULL, NULL))[0], "hello"));
  ASSERT(is_str(run(call("upper", 1, fld("s"), NULL, NULL))[1], "WORLD"));
  ASSERT_NEAR(run(call("len", 1, str("h\xc3\xa9!"), NULL, NULL))[0].u.num, 3, 0);
  ASSERT_NEAR(run(call("abs", 1, num(-2.5), NULL, NULL))[0].u.num, 2.5, 0);
  ASSERT_NEAR(run(call("round", 1, num(2.5), NULL, NULL))[0].u.num, 3, 0);
  ASSERT_NEAR(run(call("round", 2, num(3.14159), num(2), NULL))[0].u.num, 3.14, 1e-12);
  ASSERT_NEAR(run(call("floor", 1, num(-1.5), NULL, NULL))[0].u.num, -2, 0);
  ASSERT_NEAR(run(call("ceil", 1, num(1.2), NULL, NULL))[0].u.num, 2, 0);
  const rt_value *v = run(call("if", 3, bin(DSL_OP_GT, fld("t"), num(20)), str("hi"), str("lo")));
  ASSERT(is_str(v[0], "lo") && is_str(v[1], "hi") && is_str(v[2], "lo"));
  v = run(call("coalesce", 2, fld("h"), num(-1), NULL));
  ASSERT(v[0].u.num == 40 && v[1].u.num == -1);
  v = run(call("now", 0, NULL, NULL, NULL));
  ASSERT(v[0].type == RT_TIME && v[0].u.ms == 1000);
  ASSERT_NEAR(run(call("to_number", 1, str(" 12.5"), NULL, NULL))[0].u.num, 12.5, 0);
  ASSERT_EQ(run(call("to_number", 1, str("x"), NULL, NULL))[0].type, RT_NULL);
  ASSERT(is_str(run(call("to_string", 1, num(23.45), NULL, NULL))[0], "23.45"));
  ASSERT(is_str(run(call("to_string", 1, num(3), NULL, NULL))[0], "3"));
  v = run(call("to_time", 1, str("2026-11-20T10:00:03.250Z"), NULL, NULL));
  ASSERT_EQ(v[0].type, RT_TIME);
  ASSERT(is_str(run(call("to_string", 1, call("to_time", 1, num(1763632803.25), NULL, NULL),
                         NULL, NULL))[0], "2025-11-20T10:00:03.250Z"));
  ASSERT_EQ(run(call("to_time", 1, num(1763632803250), NULL, NULL))[0].u.ms, 1763632803250);
  /* time arithmetic and comparison with an ISO string */
  v = run(bin(DSL_OP_ADD, call("now", 0, NULL, NULL, NULL), num(500)));
  ASSERT(v[0].type == RT_TIME && v[0].u.ms == 1500);
  v = run(bin(DSL_OP_GT, call("to_time", 1, num(1763632803250), NULL, NULL),
              str("2025-11-20T10:00:00Z")));
  ASSERT(v[0].u.b);
  teardown();
}

static void test_selection(void) {
  setup();
  dsl_cx *cx;
  rt_err err;
  ASSERT_EQ(dsl_cx_build(P, bin(DSL_OP_ADD, fld("t"), num(1)), "", resolve, NULL, &cx, &err), 0);
  uint32_t sel[] = {1};
  dsl_eval_ctx c = {.batch = B, .sel = sel, .n = 1};
  const rt_value *v = dsl_eval(cx, &c);
  ASSERT_NEAR(v[0].u.num, 61, 0);
  teardown();
}

int main(void) {
  TEST_RUN(test_arith);
  TEST_RUN(test_compare_null);
  TEST_RUN(test_strings_and_in);
  TEST_RUN(test_functions);
  TEST_RUN(test_selection);
  return test_summary();
}
