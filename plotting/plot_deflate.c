/*
 * A deflate encoder for PNG rows that knows one trick: runs of a repeated
 * byte. After the Up filter a chart is mostly zeros (rows equal to the one
 * above) with short stretches of anti-aliased detail, so the only matches
 * worth finding are at distance 1, and those are found eight bytes at a time.
 * Symbols are buffered per block of PLOT__BLOCK_SYMS and each block is coded
 * with its own Huffman code (RFC 1951 dynamic block), or with the fixed code
 * when that is smaller, so the size stays close to zlib's Z_RLE at a third
 * of its time: zlib spends most of its time in general machinery (window,
 * hashing) that a run-only coder does not need. bench/plot_bench.c measures
 * both and plot_png.c picks by that measurement. The Adler-32 checksum is
 * kept here too, a run at a time in O(1). The output is a complete zlib
 * stream (header, blocks, Adler-32), so any inflater reads it.
 */
#include <stdint.h>
#include <string.h>

#include "plot_huff.h"
#include "plot_int.h"

#define PLOT__BLOCK_SYMS 65536
#define PLOT__ADLER_BASE 65521u

struct plot__rle {
  uint16_t sym[PLOT__BLOCK_SYMS]; /* block: byte, or 256 + run length */
  uint8_t len_code[259];  /* run length 3..258 -> length code index 0..28 */
  size_t nsym;           /* symbols in the block */
  unsigned char *out;    /* output buffer */
  size_t len, cap;       /* bytes written, capacity */
  uint64_t acc;          /* pending bits, LSB first */
  uint32_t nacc;         /* number of pending bits */
  int last;              /* last byte output, -1 before the first */
  size_t run;            /* repeats of last not yet emitted */
  uint64_t s1, s2;       /* Adler-32 sums of the uncompressed stream */
  uint32_t unreduced;    /* literals added to s1/s2 since the last modulo */
  int overflow;          /* 1 once out was too small */
};

static const uint16_t plot__len_base[29] = {
    3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t plot__len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                            1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                            4, 4, 4, 4, 5, 5, 5, 5, 0};

/* Fills the table of length code indices (0..28) for runs of 3..258. */
static void plot__len_codes(uint8_t *code) {
  int k = 0;
  for (unsigned len = 3; len <= 258; len++) {
    while (k < 28 && len >= plot__len_base[k + 1])
      k++;
    code[len] = (uint8_t)k;
  }
}

static void plot__put(plot__rle *z, uint32_t bits, uint32_t n) {
  z->acc |= (uint64_t)bits << z->nacc;
  z->nacc += n;
  if (z->nacc < 32)
    return;
  if (z->len + 4 > z->cap) {
    z->overflow = 1;
    z->len = 0; /* keep going harmlessly; the result is discarded */
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

/* The fixed code lengths of RFC 1951, 3.2.6. */
static void plot__fixed_lengths(uint8_t *lit, uint8_t *dist) {
  for (int i = 0; i < 288; i++)
    lit[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  for (int i = 0; i < 30; i++)
    dist[i] = 5;
}

/* Bits the block's symbols take with literal/length code lengths lit. */
static uint64_t plot__data_bits(const uint32_t *freq, const uint8_t *lit,
                                uint32_t dist_bits) {
  uint64_t bits = 0;
  for (int s = 0; s < 286; s++) {
    bits += (uint64_t)freq[s] * lit[s];
    if (s > 256)
      bits += (uint64_t)freq[s] * (plot__len_extra[s - 257] + dist_bits);
  }
  return bits;
}

/* Writes the block's symbols with the given codes, then end-of-block. */
static void plot__emit_block(plot__rle *z, const plot__huff_code *lit,
                             const plot__huff_code *dist) {
  for (size_t i = 0; i < z->nsym; i++) {
    unsigned s = z->sym[i];
    if (s < 256) {
      plot__put(z, lit[s].bits, lit[s].n);
      continue;
    }
    unsigned len = s - 256, k = z->len_code[len];
    const plot__huff_code *c = &lit[257 + k];
    uint32_t n = c->n + plot__len_extra[k]; /* code, extra bits, distance 1 */
    plot__put(z, c->bits | (len - plot__len_base[k]) << c->n | dist[0].bits << n,
              n + dist[0].n);
  }
  plot__put(z, lit[256].bits, lit[256].n);
}

/* Codes the buffered symbols as one block (final or not) and empties it. */
static void plot__flush_block(plot__rle *z, int final) {
  uint32_t freq[286] = {0};
  for (size_t i = 0; i < z->nsym; i++)
    freq[z->sym[i] < 256 ? z->sym[i] : 257u + z->len_code[z->sym[i] - 256u]]++;
  freq[256] = 1;
  plot__huff_tree t;
  plot__huff_build(freq, &t);
  uint8_t flit[288], fdist[30];
  plot__fixed_lengths(flit, fdist);
  uint64_t dyn = 3 + t.header_bits + plot__data_bits(freq, t.lit_len, t.dist_len[0]);
  uint64_t fix = 3 + plot__data_bits(freq, flit, 5);
  plot__huff_code lit[288], dist[30];
  if (fix <= dyn) {
    plot__put(z, (uint32_t)final | (1u << 1), 3); /* BTYPE 01: fixed */
    plot__huff_codes(flit, 288, lit);
    plot__huff_codes(fdist, 30, dist);
  } else {
    plot__put(z, (uint32_t)final | (2u << 1), 3); /* BTYPE 10: dynamic */
    for (size_t i = 0; i < t.n_header; i++)
      plot__put(z, t.header[i].bits, t.header[i].n);
    plot__huff_codes(t.lit_len, 286, lit);
    plot__huff_codes(t.dist_len, 1, dist);
  }
  plot__emit_block(z, lit, dist);
  z->nsym = 0;
}

static inline void plot__sym(plot__rle *z, unsigned s) {
  z->sym[z->nsym++] = (uint16_t)s;
  if (z->nsym == PLOT__BLOCK_SYMS)
    plot__flush_block(z, 0);
}

/* Emits the pending run of the last byte: matches, or literals if short. */
static void plot__flush_run(plot__rle *z) {
  while (z->run >= 3) {
    size_t n = z->run > 258 ? 258 : z->run;
    if (z->run - n > 0 && z->run - n < 3)
      n = z->run - 3; /* leave a tail a match can still cover */
    plot__sym(z, 256 + (unsigned)n);
    z->run -= n;
  }
  for (; z->run > 0; z->run--)
    plot__sym(z, (unsigned)z->last);
}

size_t plot__rle_size(void) { return sizeof(plot__rle); }

/* Worst case: every byte a 9-bit fixed literal, plus block headers. */
size_t plot__rle_bound(size_t n) {
  return n + n / 8 + (n / PLOT__BLOCK_SYMS + 1) * 320 + 64;
}

void plot__rle_start(plot__rle *z, unsigned char *out, size_t cap) {
  plot__len_codes(z->len_code);
  z->nsym = 0;
  z->out = out;
  z->cap = cap;
  z->len = 2;
  out[0] = 0x78; /* deflate, 32 KiB window */
  out[1] = 0x01; /* fastest compression; (0x78 * 256 + 0x01) % 31 == 0 */
  z->acc = 0;
  z->nacc = 0;
  z->last = -1;
  z->run = 0;
  z->s1 = 1;
  z->s2 = 0;
  z->unreduced = 0;
  z->overflow = 0;
}

/* Adler-32 of k copies of byte v in O(1): runs are most of the stream,
 * so the checksum costs what the literals cost, not what the image does. */
static void plot__adler_run(plot__rle *z, uint64_t v, uint64_t k) {
  z->s2 = (z->s2 + k * z->s1 + v * (k * (k + 1) / 2)) % PLOT__ADLER_BASE;
  z->s1 = (z->s1 + k * v) % PLOT__ADLER_BASE;
  z->unreduced = 0;
}

static void plot__adler_byte(plot__rle *z, unsigned b) {
  z->s1 += b;
  z->s2 += z->s1;
  if (++z->unreduced == 4096) { /* far below overflow of 64-bit sums */
    z->s1 %= PLOT__ADLER_BASE;
    z->s2 %= PLOT__ADLER_BASE;
    z->unreduced = 0;
  }
}

void plot__rle_feed(plot__rle *z, const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (p[i] != z->last) {
      plot__flush_run(z);
      z->last = p[i];
      plot__adler_byte(z, p[i]);
      plot__sym(z, p[i++]);
      continue;
    }
    uint64_t pat = 0x0101010101010101ull * (uint64_t)p[i], w;
    size_t i0 = i;
    while (i + 8 <= n && (memcpy(&w, p + i, 8), w == pat))
      i += 8;
    while (i < n && p[i] == z->last)
      i++;
    z->run += i - i0;
    plot__adler_run(z, (uint64_t)z->last, i - i0);
    if (z->run > 4096) { /* long runs: emit as we go, keep the tail */
      size_t keep = z->run % 258 + 258;
      for (size_t k = keep; k < z->run; k += 258)
        plot__sym(z, 256 + 258);
      z->run = keep;
    }
  }
}

size_t plot__rle_finish(plot__rle *z) {
  plot__flush_run(z);
  plot__flush_block(z, 1);
  while (z->nacc % 8)
    z->nacc++; /* pad to a byte with zero bits */
  while (z->nacc > 0) {
    if (z->len + 1 > z->cap) {
      z->overflow = 1;
      break;
    }
    z->out[z->len++] = (unsigned char)z->acc;
    z->acc >>= 8;
    z->nacc -= 8;
  }
  if (z->overflow || z->len + 4 > z->cap)
    return 0;
  uint32_t a = (uint32_t)((z->s2 % PLOT__ADLER_BASE) << 16 |
                          (z->s1 % PLOT__ADLER_BASE));
  z->out[z->len++] = (unsigned char)(a >> 24);
  z->out[z->len++] = (unsigned char)(a >> 16);
  z->out[z->len++] = (unsigned char)(a >> 8);
  z->out[z->len++] = (unsigned char)a;
  return z->len;
}
