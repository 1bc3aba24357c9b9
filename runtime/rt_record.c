/*
 * Value and row formatting shared by the sinks and by to_string().
 */
#include "rt_record.h"

#include "rt_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_number_format(double d, char *out, size_t outsz) {
  if (isnan(d))
    return snprintf(out, outsz, "NaN");
  if (isinf(d))
    return snprintf(out, outsz, d < 0 ? "-inf" : "inf");
  if (d == floor(d) && fabs(d) < 1e15)
    return snprintf(out, outsz, "%.0f", d == 0 ? 0.0 : d);
  for (int prec = 15; prec < 17; prec++) {
    int n = snprintf(out, outsz, "%.*g", prec, d);
    if (strtod(out, NULL) == d)
      return n;
  }
  return snprintf(out, outsz, "%.17g", d);
}

int rt_value_write_text(rt_value v, rt_buf *out) {
  char buf[RT_TIME_ISO_MS_LEN];
  switch (v.type) {
  case RT_NULL:
    return rt_buf_puts(out, "null");
  case RT_BOOL:
    return rt_buf_puts(out, v.u.b ? "true" : "false");
  case RT_NUMBER:
    rt_number_format(v.u.num, buf, sizeof(buf));
    return rt_buf_puts(out, buf);
  case RT_TIME:
    return rt_buf_puts(out, rt_time_format_ms(v.u.ms, buf));
  case RT_STRING:
    return rt_buf_append(out, v.u.str.ptr, v.u.str.len);
  }
  return 0;
}

static int write_json_string(const char *s, size_t n, rt_buf *out) {
  int rc = rt_buf_reserve(out, n + 2);
  if (rc < 0)
    return rc;
  rt_buf_append(out, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    rc = rt_buf_append(out, s + start, i - start);
    start = i + 1;
    if (rc < 0)
      break;
    switch (c) {
    case '"': rc = rt_buf_puts(out, "\\\""); break;
    case '\\': rc = rt_buf_puts(out, "\\\\"); break;
    case '\n': rc = rt_buf_puts(out, "\\n"); break;
    case '\t': rc = rt_buf_puts(out, "\\t"); break;
    case '\r': rc = rt_buf_puts(out, "\\r"); break;
    default: rc = rt_buf_printf(out, "\\u%04x", c); break;
    }
  }
  if (rc == 0)
    rc = rt_buf_append(out, s + start, n - start);
  return rc ? rc : rt_buf_append(out, "\"", 1);
}

int rt_value_write_json(rt_value v, rt_buf *out) {
  char buf[RT_TIME_ISO_MS_LEN];
  switch (v.type) {
  case RT_NUMBER:
    if (!isfinite(v.u.num))
      return rt_buf_puts(out, "null");
    return rt_value_write_text(v, out);
  case RT_TIME:
    rt_time_format_ms(v.u.ms, buf);
    return write_json_string(buf, strlen(buf), out);
  case RT_STRING:
    return write_json_string(v.u.str.ptr, v.u.str.len, out);
  default:
    return rt_value_write_text(v, out);
  }
}
