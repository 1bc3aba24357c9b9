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

#endif
