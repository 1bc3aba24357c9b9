/*
 * The language as a notebook front end needs it, without its syntax tree:
 * whether a cell is complete (the console's Enter), the words with their
 * help (%help, inspection, completion), and the names a cell mentions
 * (streams, lets, fields: completion offers them later).
 */
#ifndef EDDY_DSL_WORDS_H
#define EDDY_DSL_WORDS_H

#include <stddef.h>

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

/* Receives one name (borrowed for the call; not NUL-terminated: len bytes). */
typedef void (*dsl_name_fn)(void *ctx, const char *name, size_t len);

/* Parses len bytes of src and hands fn every name it mentions: let names,
 * stream and let references, fields, csv columns, aggregate and select
 * aliases, in order of appearance (repeats included). Nothing when the cell
 * does not parse. */
void dsl_names(const char *src, size_t len, dsl_name_fn fn, void *ctx);

#endif
