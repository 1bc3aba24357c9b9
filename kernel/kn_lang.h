/*
 * The kernel's one door into the Eddy language (runtime/dsl.h and the
 * runtime, rt_runtime.h): run a cell, say whether code is complete, list
 * completions, find help. Everything behind it is owned by the kn_lang: the
 * runtime (lets, the session settings of %set, running queries), the live
 * displays of those queries (kn_live.h), and the names the session has seen
 * (streams, fields, lets) that completion offers.
 */
#ifndef EDDY_KN_LANG_H
#define EDDY_KN_LANG_H

#include "kn_cell.h"
#include "kn_names.h"
#include "rt_buf.h"
#include "rt_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct kn_lang kn_lang;

/* Makes the language state of one kernel session. Caller owns it; free with
 * kn_lang_free(). */
kn_lang *kn_lang_new(void);

/* Stops everything the language runs (queries, after their final
 * checkpoint) and frees it; NULLs *lang. Accepts NULL. */
void kn_lang_free(kn_lang **lang);

/*
 * Runs the len bytes of code (one or more statements) in cell, publishing
 * outputs through it. Bounded queries run to their end first; endless ones
 * keep running and redrawing after this returns. The cell is identified by
 * kn_cell_id() (the front end's cellId) or else by its code: running it again
 * replaces its queries. An interrupt stops the cell's queries and returns
 * RT_EINTR. Returns 0, or a negative RT_E* code with err filled
 * (position relative to code) for the kernel to turn into an error reply.
 */
int kn_lang_execute(kn_lang *lang, kn_cell *cell, const char *code, size_t len,
                    rt_err *err);

/* "complete", "incomplete" or "invalid" for the len bytes of code. Static. */
const char *kn_lang_is_complete(kn_lang *lang, const char *code, size_t len);

/* Appends to matches (a JSON array) every word of the language and every
 * name the session has seen that starts with the len bytes of prefix. */
void kn_lang_complete(kn_lang *lang, const char *prefix, size_t len,
                      json_t *matches);

/* Appends the help of the word (len bytes) to out. Returns true when the
 * language knows the word. */
bool kn_lang_inspect(kn_lang *lang, const char *word, size_t len, rt_buf *out);

/* Names a file no `into file` of the session may write (path and what are
 * copied): the kernel's connection file, its history. */
void kn_lang_protect_file(kn_lang *lang, const char *path, const char *what);

/* The names the session has seen. Borrowed; valid while lang lives;
 * thread-safe, so runtime threads may add field names they meet. */
kn_names *kn_lang_names(kn_lang *lang);

#endif
