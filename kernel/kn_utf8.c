/*
 * UTF-8 validation and repair, following the Unicode "maximal subpart"
 * practice: each invalid sequence becomes one U+FFFD and decoding resumes at
 * the next byte that could start a character. Valid text, the common case,
 * goes straight to jansson without a copy.
 */
#include "kn_utf8.h"

#include "rt_buf.h"
#include "rt_mem.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t seq_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (len == 0 || c > 0xF4 || len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  if (len == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F)))
    return 0; /* overlong, or a UTF-16 surrogate */
  if (len == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)))
    return 0; /* overlong, or past U+10FFFF */
  return len;
}

json_t *kn_utf8_json(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, len;
  while (i < n && (len = seq_len(u + i, n - i)) > 0)
    i += len;
  if (i == n) {
    json_t *j = json_stringn(s, n);
    return j ? j : json_string("");
  }
  rt_buf b;
  rt_buf_init(&b, 0);
  rt_buf_append(&b, s, i);
  while (i < n) {
    len = seq_len(u + i, n - i);
    if (len) {
      rt_buf_append(&b, s + i, len);
      i += len;
    } else {
      rt_buf_puts(&b, "\xEF\xBF\xBD");
      i++;
      while (i < n && (u[i] & 0xC0) == 0x80)
        i++;
    }
  }
  json_t *j = json_stringn(b.data, b.len);
  rt_buf_free(&b);
  return j ? j : json_string("");
}

size_t kn_utf8_offset(const char *s, size_t n, size_t cp) {
  size_t i = 0;
  for (; i < n && cp > 0; cp--) {
    i++;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
      i++;
  }
  return i;
}

size_t kn_utf8_count(const char *s, size_t off) {
  size_t cp = 0;
  for (size_t i = 0; i < off; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      cp++;
  return cp;
}
