/*
 * Little-endian readers and writers for the serialized partial states of
 * rt_agg, rt_hll and rt_quantile. Partials cross process boundaries
 * (scale-out) and live in checkpoints, so their bytes must not depend on the
 * host. Internal to those modules: everything here is static inline.
 */
#ifndef EDDY_RT_SKETCH_IO_H
#define EDDY_RT_SKETCH_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rt_buf.h"
#include "rt_value.h"

/* A bounds-checked cursor over serialized bytes; bad latches on overrun. */
typedef struct rt_sk_reader {
  const unsigned char *p; /* the bytes */
  size_t len;             /* how many */
  size_t off;             /* next byte to read */
  bool bad;               /* an overrun or a malformed field was seen */
} rt_sk_reader;

static inline int rt_sk_put_u64(rt_buf *out, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  return rt_buf_append(out, b, 8);
}

static inline int rt_sk_put_u32(rt_buf *out, uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  return rt_buf_append(out, b, 4);
}

static inline int rt_sk_put_u8(rt_buf *out, unsigned v) {
  unsigned char b = (unsigned char)v;
  return rt_buf_append(out, &b, 1);
}

static inline int rt_sk_put_f64(rt_buf *out, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  return rt_sk_put_u64(out, v);
}

static inline bool rt_sk_need(rt_sk_reader *r, size_t n) {
  if (r->bad || r->len - r->off < n) {
    r->bad = true;
    return false;
  }
  return true;
}

static inline uint64_t rt_sk_get_u64(rt_sk_reader *r) {
  if (!rt_sk_need(r, 8))
    return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)r->p[r->off + i] << (8 * i);
  r->off += 8;
  return v;
}

static inline uint32_t rt_sk_get_u32(rt_sk_reader *r) {
  if (!rt_sk_need(r, 4))
    return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v |= (uint32_t)r->p[r->off + i] << (8 * i);
  r->off += 4;
  return v;
}

static inline unsigned rt_sk_get_u8(rt_sk_reader *r) {
  if (!rt_sk_need(r, 1))
    return 0;
  return r->p[r->off++];
}

static inline double rt_sk_get_f64(rt_sk_reader *r) {
  uint64_t v = rt_sk_get_u64(r);
  double d;
  memcpy(&d, &v, 8);
  return d;
}

/* Tags of serialized rt_values. */
enum { RT_SK_NULL = 0, RT_SK_BOOL, RT_SK_NUMBER, RT_SK_STRING, RT_SK_TIME };

/* Appends a tagged value (strings as u32 length + bytes). */
static inline int rt_sk_put_value(rt_buf *out, rt_value v) {
  int rc = 0;
  switch (v.type) {
  case RT_NULL:
    return rt_sk_put_u8(out, RT_SK_NULL);
  case RT_BOOL:
    rc |= rt_sk_put_u8(out, RT_SK_BOOL);
    return rc | rt_sk_put_u8(out, v.u.b);
  case RT_NUMBER:
    rc |= rt_sk_put_u8(out, RT_SK_NUMBER);
    return rc | rt_sk_put_f64(out, v.u.num);
  case RT_TIME:
    rc |= rt_sk_put_u8(out, RT_SK_TIME);
    return rc | rt_sk_put_u64(out, (uint64_t)v.u.ms);
  case RT_STRING:
    rc |= rt_sk_put_u8(out, RT_SK_STRING);
    rc |= rt_sk_put_u32(out, (uint32_t)v.u.str.len);
    return rc | rt_buf_append(out, v.u.str.ptr, v.u.str.len);
  }
  return rt_sk_put_u8(out, RT_SK_NULL);
}

/* Reads a tagged value; a string comes back owned (rt_value_dup), so the
 * caller releases it with rt_value_release(). */
static inline rt_value rt_sk_get_value(rt_sk_reader *r) {
  unsigned tag = rt_sk_get_u8(r);
  switch (tag) {
  case RT_SK_NULL:
    return rt_null();
  case RT_SK_BOOL:
    return rt_bool(rt_sk_get_u8(r) != 0);
  case RT_SK_NUMBER:
    return rt_number(rt_sk_get_f64(r));
  case RT_SK_TIME:
    return rt_time((int64_t)rt_sk_get_u64(r));
  case RT_SK_STRING: {
    uint32_t n = rt_sk_get_u32(r);
    if (!rt_sk_need(r, n))
      return rt_null();
    rt_value v = rt_value_dup(rt_string((const char *)r->p + r->off, n));
    r->off += n;
    return v;
  }
  }
  r->bad = true;
  return rt_null();
}

#endif
