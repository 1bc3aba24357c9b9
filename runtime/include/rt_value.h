/*
 * The dynamic value of the stream language: what a field, an expression, a
 * group key or an aggregate result holds. Small and passed by value; strings
 * are borrowed (they point into a batch arena, a record, or memory owned by
 * whoever made the value), so a value that must outlive its batch is copied
 * with rt_value_dup(). Values are written as text or JSON here too.
 *
 * Semantics follow docs/language.md: numbers are doubles, a missing field is
 * null, `=` treats null as a value, ordering comparisons with null are false.
 */
#ifndef EDDY_RT_VALUE_H
#define EDDY_RT_VALUE_H

#include "rt_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rt_type {
  RT_NULL = 0,
  RT_BOOL,
  RT_NUMBER,
  RT_STRING,
  RT_TIME, /* milliseconds since the epoch, UTC; written as ISO-8601 */
} rt_type;

typedef struct rt_value {
  rt_type type;
  union {
    bool b;
    double num; /* RT_NUMBER */
    int64_t ms; /* RT_TIME */
    struct {
      const char *ptr; /* not NUL-terminated in general */
      size_t len;
    } str;
  } u;
} rt_value;

static inline rt_value rt_null(void) { return (rt_value){.type = RT_NULL}; }
static inline rt_value rt_bool(bool b) { return (rt_value){.type = RT_BOOL, .u.b = b}; }
static inline rt_value rt_number(double d) { return (rt_value){.type = RT_NUMBER, .u.num = d}; }
static inline rt_value rt_time(int64_t ms) { return (rt_value){.type = RT_TIME, .u.ms = ms}; }
static inline rt_value rt_string(const char *p, size_t n) {
  return (rt_value){.type = RT_STRING, .u.str = {p, n}};
}

/* Equality as `=` sees it: null equals null; a number equals a time with the
 * same millisecond count; otherwise values of different types differ. */
bool rt_value_equal(rt_value a, rt_value b);

/* A total order for sorting and ranking: null < bool < number/time < string;
 * numbers by value (NaN last), strings bytewise. Returns <0, 0 or >0. */
int rt_value_compare(rt_value a, rt_value b);

/* A 64-bit hash consistent with rt_value_equal(). */
uint64_t rt_value_hash(rt_value v);

/* A copy whose string bytes are owned by the copy (free with
 * rt_value_release()). Non-strings are returned as they are. */
rt_value rt_value_dup(rt_value v);

/* Frees the bytes of a value made by rt_value_dup(). Accepts any value. */
void rt_value_release(rt_value *v);

/* Heap bytes a copy of v made by rt_value_dup() holds, counting the
 * allocator's bookkeeping (RT_MEM_CHUNK_OVERHEAD): 0 unless v is a string.
 * For memory accounting (rt_pipeline_memory). */
#define RT_MEM_CHUNK_OVERHEAD 16
static inline size_t rt_value_heap_bytes(rt_value v) {
  return v.type == RT_STRING ? v.u.str.len + 1 + RT_MEM_CHUNK_OVERHEAD : 0;
}

/* --- Writing ---------------------------------------------------------------- */

/* One place decides how a value looks in text (tables, to_string, `eddy
 * run`) and in JSON (`into file`, `into kinesis`), so every sink agrees:
 * numbers in their shortest exact form (integers without a fraction), times
 * as ISO-8601 UTC with milliseconds, strings as they are (text) or escaped
 * (JSON). */

/* Formats a number in its shortest form that reads back exactly ("23.45",
 * "3", "1e+300"; "NaN", "inf" as such) into out (at least 32 bytes). Returns
 * the length. */
int rt_number_format(double d, char *out, size_t outsz);

/* Appends v as text: null as "null", bools as true/false, numbers as above,
 * times as ISO-8601, strings raw. Returns 0 or RT_ETOOBIG. */
int rt_value_write_text(rt_value v, rt_buf *out);

/* Appends v as a JSON value (strings escaped; times as ISO strings; NaN and
 * infinities as null). Returns 0 or RT_ETOOBIG. */
int rt_value_write_json(rt_value v, rt_buf *out);

#endif
