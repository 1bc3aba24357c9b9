/*
 * Internals shared by the parser files (dsl_parse.c: statements and sources,
 * dsl_parse_stage.c: stages and outputs, dsl_parse_expr.c: expressions,
 * dsl_check.c: checks that need no session). Not a public header.
 *
 * The parse context holds everything one parse needs: the lexer, one token
 * of lookahead, the arena of the program, and the first error. There are no
 * globals, so parses on different threads never meet.
 */
#ifndef EDDY_DSL_PARSE_INT_H
#define EDDY_DSL_PARSE_INT_H

#include "dsl.h"
#include "dsl_lex.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct dsl_parse_ctx {
  const char *src;         /* the program text, NUL-terminated */
  int len;                 /* its length */
  struct rt_arena *arena;  /* every node and string */
  rt_err *err;             /* the first error; never NULL inside the parser */
  dsl_lexer lx;            /* the scan */
  dsl_tok tok;             /* the current token */
  int prev_end;            /* end offset of the last consumed token */
  int depth;               /* expression nesting, bounded against deep input */
  dsl_tok_kind last_kind;  /* kind of the last consumed token */
  bool open_string;        /* the error is a string still open at the end */
  const dsl_agg *scope_aggs;   /* the latest `agg` of the query being read: */
  int scope_naggs;             /* its columns can be named by their text */
  const dsl_named *scope_keys; /* in the stages after it */
  int scope_nkeys;
  bool err_at_eof;         /* the error sits at the end of the input, so more
                              text might fix it (for dsl_is_complete) */
} dsl_parse_ctx;

/* How deep expressions may nest before we refuse them (keeps the stack small
 * whatever the input). */
enum { DSL__MAX_DEPTH = 256 };

/* What dsl_is_complete() needs to know about a failed parse. */
typedef struct dsl_parse_info {
  bool err_at_eof;        /* a syntax error at the end of the input */
  int open_parens;        /* parentheses still open where the scan stopped */
  dsl_tok_kind last_kind; /* the last token before the error */
  bool open_string;       /* a string runs into the end of the input */
} dsl_parse_info;

/* dsl_parse() that also fills info (may be NULL), and accepts out == NULL to
 * only check the text. */
int dsl__parse(const char *src, size_t len, dsl_program **out, rt_err *err,
               dsl_parse_info *info);

/* --- tokens (dsl_parse.c) --- */

/* Moves to the next token. Returns 0 or the lexer's error. */
int dsl__advance(dsl_parse_ctx *p);

/* True when the current token is the name word (exactly). */
bool dsl__is_word(const dsl_parse_ctx *p, const char *word);

/* Consumes the current token if it has kind k; returns true if it did. Sets
 * *rc to an error if moving on failed. */
bool dsl__accept(dsl_parse_ctx *p, dsl_tok_kind k, int *rc);

/* Consumes the name word if it is current. */
bool dsl__accept_word(dsl_parse_ctx *p, const char *word, int *rc);

/* Skips NEWLINE tokens (where a statement cannot end, such as after `let x =`). */
int dsl__skip_newlines(dsl_parse_ctx *p);

/* Reports `near "tok": <what>` (or `at the end of the line: <what>`) at the
 * current token and returns RT_ESYNTAX. */
int dsl__syntax(dsl_parse_ctx *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports msg at [off, off+len) with the given code; returns code. */
int dsl__error_at(dsl_parse_ctx *p, int code, int off, int len,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Copies src[off, off+len) into the arena. */
const char *dsl__text(dsl_parse_ctx *p, int off, int len);

/* Grows an arena array of elem-sized items so that index n fits; *cap is its
 * capacity. Returns the (possibly moved) array. */
void *dsl__grow(dsl_parse_ctx *p, void *arr, int n, int *cap, size_t elem);

/* The closest word of kind (or of any kind when kind < 0) to s within a small
 * edit distance, or NULL. */
const char *dsl__suggest(const char *s, int n, int kind);

/* Same over a NULL-terminated list of candidates. */
const char *dsl__suggest_in(const char *s, int n, const char *const *list);

/* Reads a whole number > 0 (or >= 0 when zero_ok) for option `what`. */
int dsl__whole_number(dsl_parse_ctx *p, const char *what, bool zero_ok,
                      int64_t *out, dsl_span *span);

/* Reads a duration for `what` (a positive one unless zero_ok). */
int dsl__duration(dsl_parse_ctx *p, const char *what, bool zero_ok,
                  int64_t *out_ms, dsl_span *span);

/* Reads a string for `what`. */
int dsl__string(dsl_parse_ctx *p, const char *what, const char **out,
                dsl_span *span);

/* Reads a plain field name (a or a.b.c) as a FIELD expression. */
int dsl__field(dsl_parse_ctx *p, const char *what, dsl_expr **out);

/* --- expressions (dsl_parse_expr.c) --- */

/* Parses an expression. */
int dsl__expr(dsl_parse_ctx *p, dsl_expr **out);

/* Makes a FIELD expression of the dotted name src[off, off+len). */
dsl_expr *dsl__field_expr(dsl_parse_ctx *p, int off, int len);

/* --- stages and outputs (dsl_parse_stage.c) --- */

/* True when the current token names an output (chart, table, into). */
bool dsl__at_output(const dsl_parse_ctx *p);

/* Parses one stage; the current token is its keyword. */
int dsl__stage(dsl_parse_ctx *p, dsl_stage *st);

/* Parses one output; the current token is its keyword. */
int dsl__output(dsl_parse_ctx *p, dsl_output *out);

/* Reports the current name, which is not a stage, as well as we can. */
int dsl__unknown_stage(dsl_parse_ctx *p);

/* --- checks (dsl_check.c) --- */

/* Where an expression stands, for the checks. */
typedef enum dsl_expr_ctx {
  DSL_CTX_SCALAR, /* where, select, extend, by, ... : no aggregates */
  DSL_CTX_AGG,    /* the items of `agg`: must be one aggregate call */
} dsl_expr_ctx;

/* Checks calls (known function, argument count, literal argument kinds),
 * operators with literal operands, and where aggregates stand. */
int dsl__check_expr(dsl_parse_ctx *p, dsl_expr *e);

/* Checks the condition of `where` (stage): also that it can be a test. */
int dsl__check_cond(dsl_parse_ctx *p, dsl_expr *e, const char *stage);

/* Checks one aggregate call of an `agg` list and fills *agg. */
int dsl__check_agg(dsl_parse_ctx *p, dsl_expr *call, dsl_agg *agg);

/* Checks a finished query: outputs, names, windows. */
int dsl__check_query(dsl_parse_ctx *p, const dsl_query *q);

/* The aggregate function named name, or -1. */
int dsl__agg_fn(const char *name, int n);

#endif
