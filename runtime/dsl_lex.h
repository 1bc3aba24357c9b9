/*
 * The tokenizer of the Eddy language. It runs on demand, one token per call,
 * so the first error in the text is the first one reported, whether the lexer
 * or the parser finds it.
 *
 * Newlines end statements, so the lexer decides which newlines matter: inside
 * parentheses, after a token that cannot end a statement (`|`, `,`, an
 * operator) and before a line that starts with `|`, a newline is only space.
 * A `%` that starts a line outside parentheses begins a magic, which is one
 * token running to the end of the line.
 */
#ifndef EDDY_DSL_LEX_H
#define EDDY_DSL_LEX_H

#include "rt_err.h"

#include <stdbool.h>

struct rt_arena;

typedef enum dsl_tok_kind {
  DSL_TK_EOF,         /* end of the text */
  DSL_TK_NEWLINE,     /* a newline that ends a statement */
  DSL_TK_NAME,        /* a name or a dotted path a.b.c; also stage keywords */
  DSL_TK_NUMBER,      /* 42, 1.5, 2e3: num */
  DSL_TK_DURATION,    /* 250ms, 10s, 1.5m: num holds milliseconds */
  DSL_TK_STRING,      /* "...": str/slen hold the decoded bytes */
  DSL_TK_MAGIC,       /* %name args... to the end of the line */
  DSL_TK_PIPE,        /* | */
  DSL_TK_LPAREN,      /* ( */
  DSL_TK_RPAREN,      /* ) */
  DSL_TK_COMMA,       /* , */
  DSL_TK_COLON,       /* : */
  DSL_TK_PLUS,        /* + */
  DSL_TK_MINUS,       /* - */
  DSL_TK_STAR,        /* * */
  DSL_TK_SLASH,       /* / */
  DSL_TK_PERCENT,     /* % (not at the start of a line) */
  DSL_TK_EQ,          /* = */
  DSL_TK_NE,          /* != */
  DSL_TK_LT,          /* < */
  DSL_TK_LE,          /* <= */
  DSL_TK_GT,          /* > */
  DSL_TK_GE,          /* >= */
  DSL_TK_AND,         /* and */
  DSL_TK_OR,          /* or */
  DSL_TK_NOT,         /* not */
  DSL_TK_IN,          /* in */
  DSL_TK_CONTAINS,    /* contains */
  DSL_TK_STARTS_WITH, /* starts_with */
  DSL_TK_MATCHES,     /* matches */
  DSL_TK_TRUE,        /* true */
  DSL_TK_FALSE,       /* false */
  DSL_TK_NULL,        /* null */
} dsl_tok_kind;

/* One token. Its text is src[off, off + len). */
typedef struct dsl_tok {
  dsl_tok_kind kind;
  int off, len;    /* byte span in the source */
  double num;      /* NUMBER: the value; DURATION: milliseconds */
  const char *str; /* STRING: decoded bytes in the arena, NUL-terminated */
  int slen;        /* STRING: decoded length */
} dsl_tok;

/* The state of one scan. Plain struct so the parser can embed it; touch it
 * only through the functions below. */
typedef struct dsl_lexer {
  const char *src;         /* the text (NUL-terminated copy) */
  int len;                 /* its length */
  int pos;                 /* next byte to read */
  int depth;               /* open parentheses */
  bool line_start;         /* no token yet on this statement line */
  dsl_tok_kind prev;       /* the last token returned */
  struct rt_arena *arena;  /* decoded strings live here */
  rt_err *err;             /* where the first error goes (may be NULL) */
  bool err_at_eof;         /* the error is something more text could fix */
} dsl_lexer;

/* Prepares a scan of src[0, len). src must stay valid and be NUL-terminated at
 * src[len]; arena receives decoded strings; err (may be NULL) the error. */
void dsl_lex_init(dsl_lexer *lx, const char *src, int len,
                  struct rt_arena *arena, rt_err *err);

/* Reads the next token into *tok. Returns 0, or RT_ESYNTAX with the error in
 * lx->err (an unterminated string, a bad escape, a bad duration unit, a
 * character the language does not use). After EOF it keeps returning EOF. */
int dsl_lex_next(dsl_lexer *lx, dsl_tok *tok);

/* The text of a token kind for messages: "`|`", "a name", "the end of the
 * input". Static. */
const char *dsl_tok_describe(dsl_tok_kind kind);

/* True for the tokens after which a newline continues the statement. */
bool dsl_tok_continues(dsl_tok_kind kind);

#endif
