/*
 * Input history across kernel restarts, for history_request (consoles use
 * it for up-arrow and search). Each kernel start is a new session number;
 * each stored execution is one JSON line in
 * $XDG_DATA_HOME/eddy/history.jsonl (or ~/.local/share/eddy/history.jsonl).
 * Nothing is read at start-up: the file is first touched when a cell is
 * stored or history is asked for. When the file cannot be written, the
 * current session's history is still kept in memory.
 */
#ifndef EDDY_KN_HISTORY_H
#define EDDY_KN_HISTORY_H

#include <jansson.h>
#include <stddef.h>

typedef struct kn_history kn_history;

/* Makes a history backed by path (NULL: the default location above; copied).
 * No I/O. Caller owns it; free with kn_history_free(). */
kn_history *kn_history_new(const char *path);

/* The file behind the history. Borrowed; valid while history lives. */
const char *kn_history_path(const kn_history *history);

/* Frees the history and NULLs *history. Accepts NULL. */
void kn_history_free(kn_history **history);

/* This kernel's session number: one more than the highest in the file. */
int kn_history_session(kn_history *history);

/* Stores one execution: line number (the execution count), the len bytes of
 * source, and its text/plain output (NULL if none). */
void kn_history_add(kn_history *history, int line, const char *src, size_t len,
                    const char *output);

/*
 * Answers a history_request content (borrowed): hist_access_type tail (n),
 * range (session, start, stop) or search (pattern as a glob, n, unique), with
 * output/raw. Returns the `history` array of [session, line, input] or
 * [session, line, [input, output]]; caller owns it.
 */
json_t *kn_history_query(kn_history *history, const json_t *request);

#endif
