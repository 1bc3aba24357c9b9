/*
 * The front end of the Eddy language: what the kernel and `eddy run` call.
 *
 * dsl_parse() turns program text into statements (dsl_ast.h) and stops at the
 * first error, which it reports with a line, a column, a caret and what was
 * expected. The helpers below serve the notebook: is the cell complete, which
 * words can complete it, and the help text of a word.
 */
#ifndef EDDY_DSL_H
#define EDDY_DSL_H

#include "dsl_ast.h"
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

typedef enum dsl_completeness {
  DSL_COMPLETE,   /* can run as it is */
  DSL_INCOMPLETE, /* a trailing `|`, an open parenthesis or string, ... */
  DSL_INVALID,    /* can never become valid by adding text */
} dsl_completeness;

/* Says whether len bytes of src form a complete program (for the console's
 * is_complete_request). */
dsl_completeness dsl_is_complete(const char *src, size_t len);

/* The kinds of words the language knows, for completion. */
typedef enum dsl_word_kind {
  DSL_WORD_KEYWORD,   /* let, from, every, by, as, ... */
  DSL_WORD_SOURCE,    /* kinesis, file, demo */
  DSL_WORD_STAGE,     /* where, window, agg, ... and outputs chart, table, into */
  DSL_WORD_FUNCTION,  /* lower, round, ... */
  DSL_WORD_AGGREGATE, /* count, avg, p95, ... */
  DSL_WORD_MAGIC,     /* %set, %queries, ... (with the %) */
} dsl_word_kind;

/* One word of the language with its one-line summary and its help text. */
typedef struct dsl_word {
  const char *word;    /* "window", "%set", "p95" */
  dsl_word_kind kind;
  const char *synopsis; /* "window D [every S] [on FIELD [watermark W]]" */
  const char *help;     /* a paragraph and an example, plain text */
} dsl_word;

/* Returns the table of every word, terminated by an entry whose word is NULL.
 * Static; never freed. */
const dsl_word *dsl_words(void);

/* Returns the entry for word (with or without a leading % for magics), or
 * NULL if the language has no such word. Static. */
const dsl_word *dsl_word_lookup(const char *word, size_t len);

#endif
