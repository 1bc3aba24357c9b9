/*
 * A deflate encoder for PNG rows that knows one trick: runs of a repeated
 * byte. After the Up filter a chart is mostly zeros (rows equal to the one
 * above) with short stretches of anti-aliased detail, so the only matches
 * worth finding are at distance 1, and those are found eight bytes at a time.
 * Everything goes into one block with the fixed Huffman code of RFC 1951,
 * so there are no frequency counts and no trees to build. zlib's Z_RLE
 * strategy finds the same matches but spends most of its time in general
 * machinery (window, hashing, dynamic trees); bench/plot_bench.c measures
 * both, and plot_png.c picks by that measurement. The output is a complete
 * zlib stream (header, one final block, Adler-32), so any inflater reads it.
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "plot_internal.h"

/* Bit patterns of one code, ready to be or-ed into the LSB-first stream. */
typedef struct plot__code {
  uint32_t bits; /* code (bit-reversed), extra bits and distance, packed */
  uint32_t n;    /* number of bits */
} plot__code;

struct plot__rle {
  plot__code lit[256];   /* literal byte codes */
  plot__code match[259]; /* run of length 3..258 at distance 1 */
  unsigned char *out;    /* output buffer */
  size_t len, cap;       /* bytes written, capacity */
  uint64_t acc;          /* pending bits, LSB first */
  uint32_t nacc;         /* number of pending bits */
  int last;              /* last byte output, -1 before the first */
  size_t run;            /* repeats of last not yet emitted */
  uLong adler;           /* Adler-32 of the uncompressed stream */
  int overflow;          /* 1 once out was too small */
};

static uint32_t plot__reverse(uint32_t code, uint32_t n) {
  uint32_t r = 0;
  for (uint32_t i = 0; i < n; i++)
    r |= ((code >> i) & 1u) << (n - 1 - i);
  return r;
}

/* The fixed literal/length code of symbol sym (RFC 1951, 3.2.6). */
static plot__code plot__fixed(uint32_t sym) {
  if (sym < 144)
    return (plot__code){plot__reverse(0x30 + sym, 8), 8};
  if (sym < 256)
    return (plot__code){plot__reverse(0x190 + sym - 144, 9), 9};
  if (sym < 280)
    return (plot__code){plot__reverse(sym - 256, 7), 7};
  return (plot__code){plot__reverse(0xC0 + sym - 280, 8), 8};
}

static void plot__rle_tables(plot__rle *z) {
  static const uint16_t base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                    15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                    67, 83, 99, 115, 131, 163, 195, 227, 258};
  static const uint8_t extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
  for (uint32_t b = 0; b < 256; b++)
    z->lit[b] = plot__fixed(b);
  int k = 0;
  for (uint32_t len = 3; len <= 258; len++) {
    while (k < 28 && len >= base[k + 1])
      k++;
    plot__code c = plot__fixed(257 + (uint32_t)k);
    c.bits |= (len - base[k]) << c.n; /* extra bits, LSB first */
    c.n += extra[k];
    c.n += 5; /* distance code 0 (distance 1): five zero bits */
    z->match[len] = c;
  }
}

static inline void plot__put(plot__rle *z, plot__code c) {
  z->acc |= (uint64_t)c.bits << z->nacc;
  z->nacc += c.n;
  if (z->nacc < 32)
    return;
  if (z->len + 4 > z->cap) {
    z->overflow = 1;
    z->len = 0; /* keep writing harmlessly; the result is discarded */
  }
  uint32_t w = (uint32_t)z->acc;
  z->out[z->len] = (unsigned char)w;
  z->out[z->len + 1] = (unsigned char)(w >> 8);
  z->out[z->len + 2] = (unsigned char)(w >> 16);
  z->out[z->len + 3] = (unsigned char)(w >> 24);
  z->len += 4;
  z->acc >>= 32;
  z->nacc -= 32;
}

/* Emits the pending run of the last byte: matches, or literals if short. */
static void plot__rle_flush_run(plot__rle *z) {
  while (z->run >= 3) {
    size_t n = z->run > 258 ? 258 : z->run;
    if (z->run - n > 0 && z->run - n < 3)
      n = z->run - 3; /* leave a tail a match can still cover */
    plot__put(z, z->match[n]);
    z->run -= n;
  }
  for (; z->run > 0; z->run--)
    plot__put(z, z->lit[z->last]);
}

size_t plot__rle_size(void) { return sizeof(plot__rle); }

size_t plot__rle_bound(size_t n) { return n + n / 8 + 64; }

void plot__rle_start(plot__rle *z, unsigned char *out, size_t cap) {
  plot__rle_tables(z);
  z->out = out;
  z->cap = cap;
  z->len = 2;
  out[0] = 0x78; /* deflate, 32 KiB window */
  out[1] = 0x01; /* fastest compression; (0x78 * 256 + 0x01) % 31 == 0 */
  z->acc = 0;
  z->nacc = 0;
  z->last = -1;
  z->run = 0;
  z->adler = adler32(0L, Z_NULL, 0);
  z->overflow = 0;
  plot__put(z, (plot__code){1u | (1u << 1), 3}); /* BFINAL, BTYPE = 01 */
}

void plot__rle_feed(plot__rle *z, const unsigned char *p, size_t n) {
  z->adler = adler32(z->adler, p, (uInt)n);
  size_t i = 0;
  while (i < n) {
    if (p[i] != z->last) {
      plot__rle_flush_run(z);
      z->last = p[i];
      plot__put(z, z->lit[p[i++]]);
      continue;
    }
    uint64_t pat = 0x0101010101010101ull * (uint64_t)p[i], w;
    while (i + 8 <= n && (memcpy(&w, p + i, 8), w == pat)) {
      i += 8;
      z->run += 8;
    }
    while (i < n && p[i] == z->last) {
      i++;
      z->run++;
    }
    if (z->run > 4096) { /* long runs: emit as we go, keep the tail */
      size_t keep = z->run % 258 + 258;
      size_t full = z->run - keep;
      for (size_t k = 0; k < full; k += 258)
        plot__put(z, z->match[258]);
      z->run = keep;
    }
  }
}

size_t plot__rle_finish(plot__rle *z) {
  plot__rle_flush_run(z);
  plot__put(z, (plot__code){0, 7}); /* end of block: symbol 256 */
  while (z->nacc % 8)
    z->nacc++; /* pad to a byte */
  while (z->nacc > 0) {
    if (z->len + 1 > z->cap) {
      z->overflow = 1;
      break;
    }
    z->out[z->len++] = (unsigned char)z->acc;
    z->acc >>= 8;
    z->nacc = z->nacc >= 8 ? z->nacc - 8 : 0;
  }
  if (z->overflow || z->len + 4 > z->cap)
    return 0;
  uint32_t a = (uint32_t)z->adler;
  z->out[z->len++] = (unsigned char)(a >> 24);
  z->out[z->len++] = (unsigned char)(a >> 16);
  z->out[z->len++] = (unsigned char)(a >> 8);
  z->out[z->len++] = (unsigned char)a;
  return z->len;
}
