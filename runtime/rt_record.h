/*
 * rt_record: how values and rows are written out. One place decides how a
 * number, a time or a string looks in text (tables, to_string, `eddy run`)
 * and in JSON (`into file`, `into kinesis`), so every sink agrees: numbers
 * in their shortest exact form (integers without a fraction), times as
 * ISO-8601 UTC with milliseconds, strings as they are (text) or escaped (JSON).
 */
#ifndef EDDY_RT_RECORD_H
#define EDDY_RT_RECORD_H

#include "rt_buf.h"
#include "rt_value.h"

#include <stddef.h>

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
