/*
 * rt_value: equality, ordering, hashing, ownership and writing of the
 * language's dynamic value. The hash feeds group-by tables, dedup and HyperLogLog, so it
 * must be well mixed in every bit (HLL reads the top bits as a register index
 * and the rest as a geometric sample) and must agree with rt_value_equal():
 * a number and a time with the same millisecond count hash alike, and every
 * NaN is one value (the total order of rt_value_compare() puts all NaNs
 * together, so group keys and equality agree with sorting). Writing is here
 * too, so every sink, to_string() and `eddy run` show a value the same way.
 */
#include "rt_value.h"

#include "rt_hash.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seeds that separate the types, so "1", 1 and true never collide by design. */
enum {
  VALUE_SEED_NULL = 0x6e756c6c,
  VALUE_SEED_BOOL = 0x626f6f6c,
  VALUE_SEED_NUM = 0x6e756d62,
  VALUE_SEED_STR = 0x73747269,
};

/* The odd multiplier that folds lanes and numbers before the finalizer. */
static const uint64_t HASH_K1 = RT_SPLITMIX64_GAMMA;

static inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* A fast string hash: 8-byte lanes folded by multiply-xorshift, then the
 * finalizer. Quality is what HLL needs (full avalanche), not crypto. */
static uint64_t hash_bytes(const unsigned char *p, size_t n, uint64_t seed) {
  uint64_t h = seed ^ (n * HASH_K1);
  while (n >= 8) {
    h = (h ^ rt_mix64(load64(p))) * HASH_K1;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    h = (h ^ rt_mix64(tail ^ ((uint64_t)n << 56))) * HASH_K1;
  }
  return rt_mix64(h);
}

/* Numbers that are whole millisecond counts hash as that integer, so they
 * meet times with the same count; other numbers hash their bits. */
static uint64_t hash_number(double d) {
  if (isnan(d))
    return rt_mix64(VALUE_SEED_NUM ^ 0x7ff8000000000000ULL);
  if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d)
    return rt_mix64((uint64_t)(int64_t)d * HASH_K1 + VALUE_SEED_NUM);
  uint64_t bits;
  memcpy(&bits, &d, sizeof(bits));
  return rt_mix64(bits * HASH_K1 + VALUE_SEED_NUM + 1);
}

/* A number or time as a double on the shared millisecond axis. */
static inline double value_axis(rt_value v) {
  return v.type == RT_TIME ? (double)v.u.ms : v.u.num;
}

static inline bool is_numeric(rt_value v) {
  return v.type == RT_NUMBER || v.type == RT_TIME;
}

static bool numeric_equal(rt_value a, rt_value b) {
  if (a.type == RT_TIME && b.type == RT_TIME)
    return a.u.ms == b.u.ms;
  if (a.type == RT_NUMBER && b.type == RT_NUMBER)
    return a.u.num == b.u.num || (isnan(a.u.num) && isnan(b.u.num));
  /* A number and a time: equal only when the number is exactly the count. */
  double d = a.type == RT_NUMBER ? a.u.num : b.u.num;
  int64_t ms = a.type == RT_TIME ? a.u.ms : b.u.ms;
  return d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d &&
         (int64_t)d == ms;
}

bool rt_value_equal(rt_value a, rt_value b) {
  if (is_numeric(a) && is_numeric(b))
    return numeric_equal(a, b);
  if (a.type != b.type)
    return false;
  switch (a.type) {
  case RT_NULL:
    return true;
  case RT_BOOL:
    return a.u.b == b.u.b;
  case RT_STRING:
    return a.u.str.len == b.u.str.len &&
           (a.u.str.len == 0 ||
            memcmp(a.u.str.ptr, b.u.str.ptr, a.u.str.len) == 0);
  default:
    return false;
  }
}

/* Rank of a type in the total order; numbers and times share one rank. */
static int type_rank(rt_type t) {
  switch (t) {
  case RT_NULL:
    return 0;
  case RT_BOOL:
    return 1;
  case RT_NUMBER:
  case RT_TIME:
    return 2;
  case RT_STRING:
    return 3;
  }
  return 4;
}

static int compare_numeric(rt_value a, rt_value b) {
  if (a.type == RT_TIME && b.type == RT_TIME)
    return (a.u.ms > b.u.ms) - (a.u.ms < b.u.ms);
  if (numeric_equal(a, b))
    return 0;
  double x = value_axis(a), y = value_axis(b);
  bool xn = isnan(x), yn = isnan(y);
  if (xn || yn)
    return (int)xn - (int)yn; /* NaN sorts after every number */
  if (x < y)
    return -1;
  if (x > y)
    return 1;
  /* Same double but not equal: a time beyond 2^53 against a number. Order
   * by the exact integer so the order stays total. */
  int64_t xi = a.type == RT_TIME ? a.u.ms : (int64_t)x;
  int64_t yi = b.type == RT_TIME ? b.u.ms : (int64_t)y;
  if (xi != yi)
    return xi < yi ? -1 : 1;
  return a.type == RT_NUMBER ? -1 : 1;
}

int rt_value_compare(rt_value a, rt_value b) {
  int ra = type_rank(a.type), rb = type_rank(b.type);
  if (ra != rb)
    return ra < rb ? -1 : 1;
  switch (a.type) {
  case RT_NULL:
    return 0;
  case RT_BOOL:
    return (int)a.u.b - (int)b.u.b;
  case RT_NUMBER:
  case RT_TIME:
    return compare_numeric(a, b);
  case RT_STRING: {
    size_t n = a.u.str.len < b.u.str.len ? a.u.str.len : b.u.str.len;
    int c = n ? memcmp(a.u.str.ptr, b.u.str.ptr, n) : 0;
    if (c)
      return c < 0 ? -1 : 1;
    return (a.u.str.len > b.u.str.len) - (a.u.str.len < b.u.str.len);
  }
  }
  return 0;
}

uint64_t rt_value_hash(rt_value v) {
  switch (v.type) {
  case RT_NULL:
    return rt_mix64(VALUE_SEED_NULL);
  case RT_BOOL:
    return rt_mix64(VALUE_SEED_BOOL + (uint64_t)v.u.b);
  case RT_NUMBER:
    return hash_number(v.u.num);
  case RT_TIME:
    return rt_mix64((uint64_t)v.u.ms * HASH_K1 + VALUE_SEED_NUM);
  case RT_STRING:
    return hash_bytes((const unsigned char *)v.u.str.ptr, v.u.str.len,
                      VALUE_SEED_STR);
  }
  return 0;
}

rt_value rt_value_dup(rt_value v) {
  if (v.type != RT_STRING)
    return v;
  char *p = rt_xmalloc(v.u.str.len + 1);
  if (v.u.str.len)
    memcpy(p, v.u.str.ptr, v.u.str.len);
  p[v.u.str.len] = '\0';
  return rt_string(p, v.u.str.len);
}

void rt_value_release(rt_value *v) {
  if (!v)
    return;
  if (v->type == RT_STRING)
    rt_free((void *)v->u.str.ptr);
  *v = rt_null();
}

/* --- writing ---------------------------------------------------------------- */

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
