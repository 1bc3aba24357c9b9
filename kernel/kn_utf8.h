/*
 * UTF-8 helpers for the wire: jansson refuses invalid UTF-8 (json_string
 * returns NULL), and the protocol counts cursor positions in code points
 * while the language works in bytes.
 */
#ifndef EDDY_KN_UTF8_H
#define EDDY_KN_UTF8_H

#include <jansson.h>
#include <stddef.h>

/* Returns a JSON string of the n bytes at s with every invalid UTF-8
 * sequence replaced by U+FFFD (embedded NULs are kept). Never NULL. Caller
 * owns the reference. */
json_t *kn_utf8_json(const char *s, size_t n);

/* Byte offset of code point cp in the n bytes at s (n when past the end). */
size_t kn_utf8_offset(const char *s, size_t n, size_t cp);

/* Number of code points in the first off bytes of s. */
size_t kn_utf8_count(const char *s, size_t off);

#endif
