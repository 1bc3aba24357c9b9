/*
 * The parser's entry: dsl_parse() turns program text into statements
 * (dsl_ast.h) and stops at the first error, which it reports with a line, a
 * column, a caret and what was expected. Private to runtime/: front ends
 * see the language through rt_runtime.h and dsl_words.h, never its AST.
 */
#ifndef EDDY_DSL_H
#define EDDY_DSL_H

#include "dsl_ast.h"
#include "dsl_words.h"
#include "rt_err.h"

#include <stddef.h>

/* A parsed program: its statements and the arena that holds them. */
typedef struct dsl_program {
  const char *src; /* a private NUL-terminated copy of the text */
  int srclen;
  dsl_stmt *stmts;
  int nstmts;
  struct rt_arena *arena; /* owns every node and string above */
} dsl_program;

/*
 * Parses and checks len bytes of src (not necessarily NUL-terminated). On
 * success stores a new program in *out (caller frees with dsl_program_free())
 * and returns 0. On failure returns RT_ESYNTAX or RT_ETYPE, fills err with the
 * message and the span of the offending text, and leaves *out NULL. Never
 * crashes on any input.
 */
int dsl_parse(const char *src, size_t len, dsl_program **out, rt_err *err);

/* Frees a program and NULLs *prog. Accepts NULL. */
void dsl_program_free(dsl_program **prog);

#endif
