/*
 * Tests of the DSL tokenizer: token kinds and spans, durations, strings and
 * their escapes, which newlines end a statement, magics, and the message and
 * span of every lexical error. Inputs sit against a PROT_NONE guard page, so
 * a read one byte past the text crashes the test instead of passing by luck.
 */
#include "test.h"

#include "dsl_lex.h"
#include "rt_arena.h"

#include <sys/mman.h>
#include <unistd.h>

/* A copy of s whose last byte is the last byte before an unmapped page. */
typedef struct guarded {
  char *map;
  size_t maplen;
  const char *text;
  int len;
} guarded;

static guarded guard(const char *s) {
  guarded g;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t n = strlen(s);
  size_t pages = (n + page - 1) / page + 1;
  g.maplen = (pages + 0) * page + page;
  g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);
  ASSERT(g.map != MAP_FAILED);
  ASSERT(mprotect(g.map + g.maplen - page, page, PROT_NONE) == 0);
  char *at = g.map + g.maplen - page - n;
  memcpy(at, s, n);
  g.text = at;
  g.len = (int)n;
  return g;
}

static void unguard(guarded *g) { munmap(g->map, g->maplen); }

enum { MAXTOK = 64 };

typedef struct lexed {
  dsl_tok toks[MAXTOK];
  int n;
  int rc;
  rt_err err;
} lexed;

/* Lexes s to EOF (or the first error) into out. */
static void lex_all(const char *s, lexed *out) {
  guarded g = guard(s);
  rt_arena *a = rt_arena_new(0);
  dsl_lexer lx;
  rt_err_clear(&out->err);
  dsl_lex_init(&lx, g.text, g.len, a, &out->err);
  out->n = 0;
  out->rc = 0;
  for (;;) {
    dsl_tok t;
    out->rc = dsl_lex_next(&lx, &t);
    if (out->rc)
      break;
    ASSERT(out->n < MAXTOK);
    /* Strings point into the arena: keep only what we compare. */
    t.str = NULL;
    out->toks[out->n++] = t;
    if (t.kind == DSL_TK_EOF)
      break;
  }
  rt_arena_free(&a);
  unguard(&g);
}

static void expect_kinds(const char *s, const dsl_tok_kind *kinds, int n) {
  lexed l;
  lex_all(s, &l);
  ASSERT_EQ(l.rc, 0);
  ASSERT_EQ(l.n, n);
  for (int i = 0; i < n; i++)
    ASSERT_EQ(l.toks[i].kind, kinds[i]);
}

static void test_tokens_and_spans(void) {
  lexed l;
  lex_all("where a.b.c >= 10 and x != \"s\"", &l);
  ASSERT_EQ(l.rc, 0);
  dsl_tok_kind k[] = {DSL_TK_NAME, DSL_TK_NAME, DSL_TK_GE,     DSL_TK_NUMBER,
                      DSL_TK_AND,  DSL_TK_NAME, DSL_TK_NE,     DSL_TK_STRING,
                      DSL_TK_EOF};
  ASSERT_EQ(l.n, 9);
  for (int i = 0; i < 9; i++)
    ASSERT_EQ(l.toks[i].kind, k[i]);
  ASSERT_EQ(l.toks[1].off, 6); /* a.b.c is one token */
  ASSERT_EQ(l.toks[1].len, 5);
  ASSERT_EQ(l.toks[2].off, 12);
  ASSERT_EQ(l.toks[2].len, 2);
  ASSERT_EQ(l.toks[3].off, 15);
  ASSERT_EQ(l.toks[3].len, 2);
  ASSERT_NEAR(l.toks[3].num, 10, 0);
  ASSERT_EQ(l.toks[7].off, 27);
  ASSERT_EQ(l.toks[7].len, 3);
  ASSERT_EQ(l.toks[8].off, 30);
}

static void test_operators(void) {
  dsl_tok_kind k[] = {DSL_TK_PIPE,  DSL_TK_LPAREN, DSL_TK_RPAREN, DSL_TK_COMMA,
                      DSL_TK_COLON, DSL_TK_PLUS,   DSL_TK_MINUS,  DSL_TK_STAR,
                      DSL_TK_SLASH, DSL_TK_PERCENT, DSL_TK_EQ,    DSL_TK_NE,
                      DSL_TK_LT,    DSL_TK_LE,     DSL_TK_GT,     DSL_TK_GE,
                      DSL_TK_EOF};
  expect_kinds("| ( ) , : + - * / % = != < <= > >=", k, 17);
}

static void test_keywords(void) {
  dsl_tok_kind k[] = {DSL_TK_AND,      DSL_TK_OR,          DSL_TK_NOT,
                      DSL_TK_IN,       DSL_TK_CONTAINS,    DSL_TK_STARTS_WITH,
                      DSL_TK_MATCHES,  DSL_TK_TRUE,        DSL_TK_FALSE,
                      DSL_TK_NULL,     DSL_TK_NAME,        DSL_TK_NAME,
                      DSL_TK_EOF};
  /* Stage words and dotted names are plain names; `in.x` is a path. */
  expect_kinds("and or not in contains starts_with matches true false null "
               "where in.x",
               k, 13);
}

static void test_numbers_and_durations(void) {
  lexed l;
  lex_all("42 1.5 2e3 250ms 10s 5m 1h 1d 1.5s 0s", &l);
  ASSERT_EQ(l.rc, 0);
  double want[] = {42, 1.5, 2000, 250, 10000, 300000, 3600000, 86400000, 1500, 0};
  for (int i = 0; i < 10; i++) {
    ASSERT_EQ(l.toks[i].kind, i < 3 ? DSL_TK_NUMBER : DSL_TK_DURATION);
    ASSERT_NEAR(l.toks[i].num, want[i], 0);
  }
  ASSERT_EQ(l.toks[3].off, 11);
  ASSERT_EQ(l.toks[3].len, 5);
  /* whole milliseconds in decimal, though 1.001 * 1000 is not in doubles */
  lex_all("1.001s 4.1m", &l);
  ASSERT_EQ(l.rc, 0);
  ASSERT_EQ(l.toks[0].kind, DSL_TK_DURATION);
  ASSERT_NEAR(l.toks[0].num, 1001, 0);
  ASSERT_NEAR(l.toks[1].num, 246000, 0);
}

static void test_strings(void) {
  rt_arena *a = rt_arena_new(0);
  const char *s = "\"a\\\"b\\\\c\\nd\\te\" \"\"";
  dsl_lexer lx;
  rt_err err;
  dsl_lex_init(&lx, s, (int)strlen(s), a, &err);
  dsl_tok t;
  ASSERT_EQ(dsl_lex_next(&lx, &t), 0);
  ASSERT_EQ(t.kind, DSL_TK_STRING);
  ASSERT_EQ(t.slen, 9);
  ASSERT(memcmp(t.str, "a\"b\\c\nd\te", 9) == 0);
  ASSERT_EQ(t.off, 0);
  ASSERT_EQ(t.len, 15);
  ASSERT_EQ(dsl_lex_next(&lx, &t), 0);
  ASSERT_EQ(t.kind, DSL_TK_STRING);
  ASSERT_EQ(t.slen, 0);
  ASSERT_STR_EQ(t.str, "");
  rt_arena_free(&a);
}

static void test_newlines(void) {
  /* Statements end at newlines; blank lines and comments collapse. */
  dsl_tok_kind a[] = {DSL_TK_NAME, DSL_TK_NEWLINE, DSL_TK_NAME, DSL_TK_EOF};
  expect_kinds("\n# c\na # c\n\n  # c\nb", a, 4);
  /* A line starting with `|` continues, even past comments and blank lines. */
  dsl_tok_kind b[] = {DSL_TK_NAME, DSL_TK_PIPE, DSL_TK_NAME, DSL_TK_EOF};
  expect_kinds("a\n  # c\n\n| b", b, 4);
  /* So does a trailing `|`, an operator, a comma, and anything in (). */
  expect_kinds("a |\n b", b, 4);
  dsl_tok_kind c[] = {DSL_TK_NAME, DSL_TK_PLUS, DSL_TK_NAME, DSL_TK_COMMA,
                      DSL_TK_NAME, DSL_TK_EOF};
  expect_kinds("a +\n b,\n c", c, 6);
  dsl_tok_kind d[] = {DSL_TK_LPAREN, DSL_TK_NAME, DSL_TK_NAME, DSL_TK_RPAREN,
                      DSL_TK_NEWLINE, DSL_TK_NAME, DSL_TK_EOF};
  expect_kinds("(a\n b\n)\nc", d, 7);
  /* CR LF is a newline too. */
  dsl_tok_kind e[] = {DSL_TK_NAME, DSL_TK_NEWLINE, DSL_TK_NAME, DSL_TK_EOF};
  expect_kinds("a\r\nb", e, 4);
  /* A newline that ends a statement is a token, even the last one. */
  dsl_tok_kind f[] = {DSL_TK_NAME, DSL_TK_NEWLINE, DSL_TK_EOF};
  expect_kinds("a\n\n", f, 3);
}

static void test_magic_token(void) {
  lexed l;
  lex_all("%set batch 200ms  \n  %help where\nx % y", &l);
  ASSERT_EQ(l.rc, 0);
  ASSERT_EQ(l.toks[0].kind, DSL_TK_MAGIC);
  ASSERT_EQ(l.toks[0].off, 0);
  ASSERT_EQ(l.toks[0].len, 16); /* trailing blanks trimmed */
  ASSERT_EQ(l.toks[1].kind, DSL_TK_NEWLINE);
  ASSERT_EQ(l.toks[2].kind, DSL_TK_MAGIC);
  ASSERT_EQ(l.toks[2].off, 21);
  ASSERT_EQ(l.toks[2].len, 11);
  ASSERT_EQ(l.toks[3].kind, DSL_TK_NEWLINE);
  ASSERT_EQ(l.toks[5].kind, DSL_TK_PERCENT); /* `%` inside a line is modulo */
}

static void expect_error(const char *s, int off, int len, const char *msg) {
  lexed l;
  lex_all(s, &l);
  ASSERT_EQ(l.rc, RT_ESYNTAX);
  ASSERT_EQ(l.err.off, off);
  ASSERT_EQ(l.err.len, len);
  ASSERT_STR_EQ(l.err.msg, msg);
}

static void test_errors(void) {
  expect_error("x = \"abc", 4, 4,
               "unterminated string: it needs a closing `\"` on the same line "
               "(write \\n for a line break)");
  expect_error("x = \"ab\ncd\"", 4, 3,
               "unterminated string: it needs a closing `\"` on the same line "
               "(write \\n for a line break)");
  expect_error("\"a\\qb\"", 2, 2,
               "unknown escape `\\q` in a string; use \\\", \\\\, \\n or \\t");
  expect_error("window 5x", 8, 1,
               "bad duration unit `x`; use ms, s, m, h or d (as in 250ms, 10s, "
               "5m, 1h, 1d)");
  expect_error("window 5min", 8, 3,
               "bad duration unit `min`; use ms, s, m, h or d (as in 250ms, 10s, "
               "5m, 1h, 1d)");
  expect_error("0.5ms", 0, 5, "a duration must be a whole number of milliseconds");
  expect_error("99999999999999999999d", 0, 21, "duration too long");
  expect_error("a.", 1, 1, "expected a name after `.` (paths read a.b.c)");
  expect_error("a.1", 1, 1, "expected a name after `.` (paths read a.b.c)");
  expect_error("a == 1", 2, 2, "use `=` to compare, not `==`");
  expect_error("a ! b", 2, 1, "unexpected `!`; write `!=` or `not`");
  expect_error("a && b", 2, 2, "use `and`, not `&&`");
  expect_error("a || b", 2, 2, "use `or`, not `||`");
  expect_error("a <> b", 2, 2, "use `!=`, not `<>`");
  expect_error("'x'", 0, 1, "strings take double quotes: \"text\", not 'text'");
  expect_error("a @ b", 2, 1, "unexpected character `@`");
  expect_error("a \xc3\xa9", 2, 1,
               "unexpected byte 0xC3; names use ASCII letters, digits and _, "
               "and other text goes in double quotes");
}

static void test_nul_bytes(void) {
  rt_arena *a = rt_arena_new(0);
  rt_err err;
  dsl_lexer lx;
  dsl_tok t;
  dsl_lex_init(&lx, "\"a\0b\"", 5, a, &err);
  ASSERT_EQ(dsl_lex_next(&lx, &t), RT_ESYNTAX);
  ASSERT_STR_EQ(err.msg, "a string may not hold a NUL byte");
  ASSERT_EQ(err.off, 2);
  dsl_lex_init(&lx, "a\0", 2, a, &err);
  ASSERT_EQ(dsl_lex_next(&lx, &t), 0);
  ASSERT_EQ(dsl_lex_next(&lx, &t), RT_ESYNTAX);
  ASSERT_EQ(err.off, 1);
  rt_arena_free(&a);
}

static void test_eof_is_sticky(void) {
  rt_arena *a = rt_arena_new(0);
  dsl_lexer lx;
  dsl_lex_init(&lx, "", 0, a, NULL);
  dsl_tok t;
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(dsl_lex_next(&lx, &t), 0);
    ASSERT_EQ(t.kind, DSL_TK_EOF);
    ASSERT_EQ(t.off, 0);
  }
  rt_arena_free(&a);
}

static void test_describe(void) {
  ASSERT_STR_EQ(dsl_tok_describe(DSL_TK_PIPE), "`|`");
  ASSERT_STR_EQ(dsl_tok_describe(DSL_TK_EOF), "the end of the input");
  ASSERT(dsl_tok_continues(DSL_TK_PIPE));
  ASSERT(!dsl_tok_continues(DSL_TK_NAME));
}

int main(void) {
  TEST_RUN(test_tokens_and_spans);
  TEST_RUN(test_operators);
  TEST_RUN(test_keywords);
  TEST_RUN(test_numbers_and_durations);
  TEST_RUN(test_strings);
  TEST_RUN(test_newlines);
  TEST_RUN(test_magic_token);
  TEST_RUN(test_errors);
  TEST_RUN(test_nul_bytes);
  TEST_RUN(test_eof_is_sticky);
  TEST_RUN(test_describe);
  return test_summary();
}
