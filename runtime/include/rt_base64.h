/*
 * Base64 (RFC 4648), the one codec of the project: Kinesis record data and
 * checkpointed operator state travel in it, and every live chart's PNG is
 * encoded with it on each redraw (about 450 KB), so both directions write
 * into a buffer the caller sized with the helpers below, without a copy or an
 * allocation of their own. No line breaks are written or accepted.
 */
#ifndef EDDY_RT_BASE64_H
#define EDDY_RT_BASE64_H

#include "rt_err.h"

#include <stddef.h>

/* Bytes rt_base64_encode() writes for n input bytes, the NUL included. */
static inline size_t rt_base64_encoded_size(size_t n) { return (n + 2) / 3 * 4 + 1; }

/* Bytes that always suffice for rt_base64_decode() of n characters. */
static inline size_t rt_base64_decoded_max(size_t n) { return n / 4 * 3 + 2; }

/*
 * Encodes n bytes at in (standard alphabet, '=' padding) into out, which
 * the caller owns and sizes to rt_base64_encoded_size(n); out is
 * NUL-terminated. Returns the length written without the NUL.
 */
size_t rt_base64_encode(const void *in, size_t n, char *out);

/*
 * Decodes n characters at in (need not be NUL-terminated) into out, which
 * the caller owns and sizes to rt_base64_decoded_max(n). Accepts the
 * standard and the URL-safe alphabet, with the padding or without it; a
 * padded text has at most two '=' and a length that is a multiple of 4.
 * Whitespace and anything else are refused. Returns 0 and the byte count in
 * *len, or RT_EINVAL with err (may be NULL) saying what is wrong and at
 * which offset (err->off); out is then undefined.
 */
int rt_base64_decode(const char *in, size_t n, void *out, size_t *len, rt_err *err);

#endif
