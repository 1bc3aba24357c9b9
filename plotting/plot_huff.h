/*
 * Huffman codes for plot_deflate.c's dynamic blocks: code lengths from
 * symbol frequencies (limited to deflate's maxima), canonical codes from
 * lengths, and the block header that describes a code (RFC 1951, 3.2.7).
 * Internal to the plotting library.
 */
#ifndef EDDY_PLOT_HUFF_H
#define EDDY_PLOT_HUFF_H

#include <stddef.h>
#include <stdint.h>

/* Bits to be or-ed into deflate's LSB-first stream. */
typedef struct plot__huff_code {
  uint32_t bits; /* the code, bit-reversed for LSB-first output */
  uint32_t n;    /* number of bits */
} plot__huff_code;

/* A block's code: lengths and the header that transmits them. */
typedef struct plot__huff_tree {
  uint8_t lit_len[286];         /* literal/length code lengths */
  uint8_t dist_len[30];         /* distance code lengths (code 0 is used) */
  plot__huff_code header[720];  /* HLIT, HDIST, HCLEN, the coded lengths */
  size_t n_header;              /* items in header */
  uint64_t header_bits;         /* total bits of header */
} plot__huff_tree;

/*
 * Fills len[0..n) with code lengths of at most limit bits for freq[0..n)
 * (0 = unused symbol). The code is always complete: a lone used symbol gets
 * a partner, since some inflaters reject incomplete codes.
 */
void plot__huff_lengths(const uint32_t *freq, int n, int limit, uint8_t *len);

/* Canonical codes (RFC 1951, 3.2.2) for lengths len[0..n), bit-reversed. */
void plot__huff_codes(const uint8_t *len, int n, plot__huff_code *out);

/* Builds the code of a block with literal/length frequencies freq[0..286)
 * whose only distance is 1, and the header describing it. */
void plot__huff_build(const uint32_t *freq, plot__huff_tree *t);

#endif
