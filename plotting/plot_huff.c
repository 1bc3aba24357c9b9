/*
 * Huffman code construction for the PNG writer's deflate blocks. Lengths
 * come from the two-queue method over symbols sorted by frequency (no heap,
 * at most 286 symbols); when a code would exceed deflate's length limit the
 * frequencies are flattened and the code rebuilt, which costs a little
 * compression on pathological blocks and nothing on charts.
 */
#include <string.h>

#include "plot_huff.h"

/* Order in which code-length code lengths are sent (RFC 1951, 3.2.7). */
static const uint8_t plot__cl_order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                           11, 4,  12, 3, 13, 2, 14, 1, 15};

static uint32_t plot__reverse(uint32_t code, uint32_t n) {
  uint32_t r = 0;
  for (uint32_t i = 0; i < n; i++)
    r |= ((code >> i) & 1u) << (n - 1 - i);
  return r;
}

/* Used symbols of freq, sorted by ascending frequency (insertion sort:
 * n <= 286 and this runs once per 64k-symbol block). Returns their count. */
static int plot__sorted_used(const uint32_t *freq, int n, int *idx) {
  int m = 0;
  for (int s = 0; s < n; s++) {
    if (!freq[s])
      continue;
    int j = m++;
    while (j > 0 && freq[idx[j - 1]] > freq[s]) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = s;
  }
  return m;
}

/* Unlimited Huffman lengths of m >= 2 sorted leaves; returns the longest. */
static int plot__two_queue(const uint32_t *freq, const int *idx, int m,
                           uint8_t *len) {
  uint64_t w[2 * 286];
  int parent[2 * 286], depth[2 * 286];
  for (int i = 0; i < m; i++)
    w[i] = freq[idx[i]];
  int leaf = 0, inner = m, next = m;
  while (next < 2 * m - 1) {
    int pick[2];
    for (int k = 0; k < 2; k++)
      pick[k] = (leaf < m && (inner >= next || w[leaf] <= w[inner])) ? leaf++
                                                                     : inner++;
    w[next] = w[pick[0]] + w[pick[1]];
    parent[pick[0]] = parent[pick[1]] = next++;
  }
  int longest = 0;
  depth[2 * m - 2] = 0;
  for (int v = 2 * m - 3; v >= 0; v--)
    depth[v] = depth[parent[v]] + 1;
  for (int i = 0; i < m; i++) {
    len[idx[i]] = (uint8_t)depth[i];
    longest = depth[i] > longest ? depth[i] : longest;
  }
  return longest;
}

void plot__huff_lengths(const uint32_t *freq, int n, int limit, uint8_t *len) {
  uint32_t f[286];
  int idx[286];
  memcpy(f, freq, (size_t)n * sizeof(uint32_t));
  memset(len, 0, (size_t)n);
  int m = plot__sorted_used(f, n, idx);
  if (m == 0)
    return;
  if (m == 1) { /* one symbol: pair it with another to complete the code */
    len[idx[0]] = 1;
    len[idx[0] == 0 ? 1 : 0] = 1;
    return;
  }
  while (plot__two_queue(f, idx, m, len) > limit) {
    for (int s = 0; s < n; s++)
      if (f[s])
        f[s] = (f[s] >> 1) | 1;
    m = plot__sorted_used(f, n, idx);
  }
}

void plot__huff_codes(const uint8_t *len, int n, plot__huff_code *out) {
  uint32_t count[16] = {0}, next[16] = {0}, code = 0;
  for (int i = 0; i < n; i++)
    count[len[i]]++;
  count[0] = 0;
  for (int bits = 1; bits < 16; bits++) {
    code = (code + count[bits - 1]) << 1;
    next[bits] = code;
  }
  for (int i = 0; i < n; i++) {
    out[i].n = len[i];
    out[i].bits = len[i] ? plot__reverse(next[len[i]]++, len[i]) : 0;
  }
}

/* One run-length item of the code-length sequence. */
typedef struct plot__cl_item {
  uint8_t sym;    /* 0..15 a length, 16 repeat, 17/18 zero runs */
  uint8_t nextra; /* extra bits */
  uint8_t extra;  /* their value */
} plot__cl_item;

/* Run-length codes the lengths all[0..n) (RFC 1951, 3.2.7). */
static int plot__cl_items(const uint8_t *all, int n, plot__cl_item *it) {
  int k = 0;
  for (int i = 0; i < n;) {
    int v = all[i], run = 1;
    while (i + run < n && all[i + run] == v)
      run++;
    i += run;
    if (v != 0) {
      it[k++] = (plot__cl_item){(uint8_t)v, 0, 0};
      run--;
    }
    while (v == 0 && run >= 11) {
      int r = run > 138 ? 138 : run;
      it[k++] = (plot__cl_item){18, 7, (uint8_t)(r - 11)};
      run -= r;
    }
    while (run >= 3) {
      int r = run > (v ? 6 : 10) ? (v ? 6 : 10) : run;
      it[k++] = (plot__cl_item){v ? 16 : 17, v ? 2 : 3, (uint8_t)(r - 3)};
      run -= r;
    }
    for (; run > 0; run--)
      it[k++] = (plot__cl_item){(uint8_t)v, 0, 0};
  }
  return k;
}

static void plot__header_put(plot__huff_tree *t, uint32_t bits, uint32_t n) {
  t->header[t->n_header++] = (plot__huff_code){bits, n};
  t->header_bits += n;
}

/* Codes the lengths with a code-length code and records the header. */
static void plot__write_lengths(plot__huff_tree *t, int hlit, int hdist) {
  uint8_t all[286 + 30], cl_len[19];
  plot__cl_item it[286 + 30];
  uint32_t cl_freq[19] = {0};
  plot__huff_code cl_code[19];
  memcpy(all, t->lit_len, (size_t)hlit);
  memcpy(all + hlit, t->dist_len, (size_t)hdist);
  int k = plot__cl_items(all, hlit + hdist, it);
  for (int i = 0; i < k; i++)
    cl_freq[it[i].sym]++;
  plot__huff_lengths(cl_freq, 19, 7, cl_len);
  plot__huff_codes(cl_len, 19, cl_code);
  int hclen = 19;
  while (hclen > 4 && cl_len[plot__cl_order[hclen - 1]] == 0)
    hclen--;
  plot__header_put(t, (uint32_t)(hlit - 257), 5);
  plot__header_put(t, (uint32_t)(hdist - 1), 5);
  plot__header_put(t, (uint32_t)(hclen - 4), 4);
  for (int i = 0; i < hclen; i++)
    plot__header_put(t, cl_len[plot__cl_order[i]], 3);
  for (int i = 0; i < k; i++) {
    plot__header_put(t, cl_code[it[i].sym].bits, cl_code[it[i].sym].n);
    if (it[i].nextra)
      plot__header_put(t, it[i].extra, it[i].nextra);
  }
}

void plot__huff_build(const uint32_t *freq, plot__huff_tree *t) {
  t->n_header = 0;
  t->header_bits = 0;
  plot__huff_lengths(freq, 286, 15, t->lit_len);
  memset(t->dist_len, 0, sizeof(t->dist_len));
  t->dist_len[0] = t->dist_len[1] = 1; /* distance 1 only; a complete code */
  int hlit = 286;
  while (hlit > 257 && t->lit_len[hlit - 1] == 0)
    hlit--;
  plot__write_lengths(t, hlit, 2);
}
