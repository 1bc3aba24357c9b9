/*
 * A JSON field scanner for `parse json`: finds the fields a query uses in one
 * JSON object without building a tree. The query's field paths are compiled
 * once into a small trie (rt_json_paths); each record is then scanned left to
 * right, decoding only the values whose keys are in the trie and skipping the
 * rest while still checking their syntax, so a broken record is rejected
 * instead of yielding half its fields.
 *
 * Why not a DOM parser: a DOM allocates a node per value and a string per key
 * for every record, which costs ten times what the query needs when it reads
 * two fields out of twenty. See bench/runtime_vs_jansson.c.
 */
#ifndef EDDY_RT_JSON_SCAN_H
#define EDDY_RT_JSON_SCAN_H

#include "rt_arena.h"
#include "rt_value.h"

#include <stddef.h>

/* The set of paths to extract; each path owns one output slot. */
typedef struct rt_json_paths rt_json_paths;

/* Creates an empty path set. Caller owns it; free with rt_json_paths_free(). */
rt_json_paths *rt_json_paths_new(void);

/* Frees the set and NULLs *paths. Accepts NULL. */
void rt_json_paths_free(rt_json_paths **paths);

/*
 * Adds the path parts[0].parts[1]... (a top-level key when nparts == 1) and
 * returns its slot, 0-based in the order of addition; adding a path twice
 * returns the first slot. The parts are copied.
 */
int rt_json_paths_add(rt_json_paths *paths, const char *const *parts, int nparts);

/* The number of slots (distinct paths added). */
int rt_json_paths_count(const rt_json_paths *paths);

/*
 * Scans len bytes of text, which must hold one JSON object (whitespace
 * around it allowed), and stores in out[slot] the value of each path: a
 * number, a string, a bool, or null when the record lacks the path (or a
 * step of it is not an object). An object or array at the end of a path is
 * stored as its raw JSON text (a string). Strings without escapes point into
 * text; decoded strings are allocated from arena. out must hold
 * rt_json_paths_count() values. Returns 0, or RT_EBADREC when the text is not
 * one valid JSON object (out is then unspecified). Never reads past len.
 */
int rt_json_scan(const rt_json_paths *paths, const char *text, size_t len,
                 rt_value *out, rt_arena *arena);

/*
 * Decodes the JSON string literal whose body (without the quotes) is
 * [s, s+n) into arena memory, turning escapes into UTF-8. Returns 0 and sets
 * *out, or RT_EBADREC on a bad escape.
 */
int rt_json_unescape(const char *s, size_t n, rt_arena *arena, rt_value *out);

#endif
