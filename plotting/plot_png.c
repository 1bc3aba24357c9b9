/*
 * The PNG writer. Cairo's own cairo_surface_write_to_png_stream() goes
 * through libpng at zlib's default level 6 with adaptive filtering; on a
 * chart that costs more than drawing it (bench/plot_bench.c measures both).
 * Charts are mostly flat colour, so a cheap encoder loses little size:
 * rows are converted from cairo's premultiplied ARGB32 to RGB (our canvas is
 * always opaque; RGBA with un-premultiplied colour otherwise), filtered with
 * Up (repeated rows, common in charts, become zeros), and deflated into one
 * IDAT chunk, either by plot_deflate.c's run-length coder or by zlib with a
 * z_stream that is reset, not re-allocated, between charts. The measured
 * choice is recorded in PLOT__PNG_* below.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "plot_int.h"

/*
 * Chosen by measurement (bench/plot_bench.c; fastest of 60 runs on an
 * 800x400 line chart of 3 x 300 points, at 1x = 800x400 px and at
 * 2x = 1600x800 px, ms to encode / PNG bytes):
 *
 *                                               1x            2x
 *   cairo_surface_write_to_png_stream (libpng)  9.3 / 52 k    35 / 119 k
 *   zlib level 6, default strategy, Up          5.8 / 50 k    18 / 115 k
 *   zlib level 1, default strategy, None        2.4 / 45 k   9.4 / 115 k
 *   zlib level 1, Z_RLE, Up                     2.6 / 68 k   9.6 / 152 k
 *   plot_deflate.c (runs, Huffman blocks), Up   1.1 / 69 k   3.2 / 154 k
 *
 * The live path redraws every chart on every refresh, so the run-length
 * coder wins: zlib's Z_RLE size at a third of its time. Set
 * PLOT__PNG_STRATEGY to Z_DEFAULT_STRATEGY and PLOT__PNG_FILTER to 0 for
 * the smallest files at three times the encoding time.
 */
#define PLOT__PNG_LEVEL 1
#define PLOT__PNG_STRATEGY PLOT__Z_OWN_RLE
#define PLOT__PNG_FILTER 2 /* PNG filter type: 0 none, 1 Sub, 2 Up */

struct plot__png_enc {
  z_stream zs;        /* deflate state, reused between images */
  int zs_ready;       /* zs was initialised by deflateInit2 */
  int level, strategy; /* settings zs was initialised with */
  unsigned char *rows; /* two raw rows (current, previous) and a filtered one */
  size_t rows_cap;    /* bytes allocated in rows */
  plot__rle *rle;     /* our own run-length deflate, allocated on first use */
};

plot__png_enc *plot__png_enc_new(void) {
  return calloc(1, sizeof(plot__png_enc));
}

void plot__png_enc_free(plot__png_enc **e) {
  if (!e || !*e)
    return;
  if ((*e)->zs_ready)
    deflateEnd(&(*e)->zs);
  free((*e)->rows);
  free((*e)->rle);
  free(*e);
  *e = NULL;
}

static void plot__be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* Writes a complete chunk (length, type, data, CRC) at p; returns its size. */
static size_t plot__chunk(unsigned char *p, const char *type,
                          const unsigned char *data, uint32_t len) {
  plot__be32(p, len);
  memcpy(p + 4, type, 4);
  if (len)
    memcpy(p + 8, data, len);
  uLong crc = crc32(0L, p + 4, 4 + len);
  plot__be32(p + 8 + len, (uint32_t)crc);
  return 12 + (size_t)len;
}

static int plot__zs_ready(plot__png_enc *e, int level, int strategy) {
  if (e->zs_ready && e->level == level && e->strategy == strategy)
    return deflateReset(&e->zs) == Z_OK ? PLOT_OK : PLOT_EZLIB;
  if (e->zs_ready)
    deflateEnd(&e->zs);
  memset(&e->zs, 0, sizeof(e->zs));
  e->zs_ready = deflateInit2(&e->zs, level, Z_DEFLATED, 15, 8, strategy) == Z_OK;
  e->level = level;
  e->strategy = strategy;
  return e->zs_ready ? PLOT_OK : PLOT_EZLIB;
}

/* Converts one ARGB32 row to RGB (bpp 3) or un-premultiplied RGBA (bpp 4).
 * Returns 255 when every pixel of the row is opaque. */
static unsigned plot__row_convert(const unsigned char *src, int w, int bpp,
                                  unsigned char *dst) {
  unsigned all = 255;
  for (int x = 0; x < w; x++) {
    uint32_t p;
    memcpy(&p, src + 4 * (size_t)x, 4);
    unsigned a = p >> 24, r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
    all &= a;
    if (bpp == 4 && a != 255 && a != 0) {
      r = (r * 255 + a / 2) / a;
      g = (g * 255 + a / 2) / a;
      b = (b * 255 + a / 2) / a;
    }
    dst[0] = (unsigned char)r;
    dst[1] = (unsigned char)g;
    dst[2] = (unsigned char)b;
    if (bpp == 4)
      dst[3] = (unsigned char)a;
    dst += bpp;
  }
  return all;
}

/* Filters raw row cur (prev = row above, or NULL) into out[1..]. */
static void plot__row_filter(int filter, const unsigned char *cur,
                             const unsigned char *prev, size_t n, int bpp,
                             unsigned char *out) {
  if (filter == 2 && !prev)
    filter = 0; /* Up on the first row is plain None */
  out[0] = (unsigned char)filter;
  if (filter == 1) {
    memcpy(out + 1, cur, (size_t)bpp);
    for (size_t i = (size_t)bpp; i < n; i++)
      out[1 + i] = (unsigned char)(cur[i] - cur[i - (size_t)bpp]);
  } else if (filter == 2) {
    for (size_t i = 0; i < n; i++)
      out[1 + i] = (unsigned char)(cur[i] - prev[i]);
  } else {
    memcpy(out + 1, cur, n);
  }
}

/*
 * The common case in one pass: an opaque RGB row under the Up filter,
 * computed straight from the two ARGB32 source rows. The byte-wise
 * difference of whole pixels is done in one 32-bit subtraction with the
 * carries masked off (SWAR), so no converted copy of either row is made.
 * A row equal to the one above, frequent in charts, is all zeros.
 * Returns 255 when every pixel of the row is opaque.
 */
static unsigned plot__row_up_rgb(const unsigned char *src,
                                 const unsigned char *above, int w,
                                 unsigned char *dst) {
  const uint32_t H = 0x80808080u;
  unsigned all = 255;
  if (memcmp(src, above, 4 * (size_t)w) == 0) {
    memset(dst, 0, 3 * (size_t)w);
    for (int x = 0; x < w; x++) { /* alpha still has to be checked */
      uint32_t c;
      memcpy(&c, src + 4 * (size_t)x, 4);
      all &= c >> 24;
    }
    return all;
  }
  for (int x = 0; x < w; x++) {
    uint32_t c, p;
    memcpy(&c, src + 4 * (size_t)x, 4);
    memcpy(&p, above + 4 * (size_t)x, 4);
    uint32_t d = ((c | H) - (p & ~H)) ^ ((c ^ ~p) & H);
    all &= c >> 24;
    dst[0] = (unsigned char)(d >> 16);
    dst[1] = (unsigned char)(d >> 8);
    dst[2] = (unsigned char)d;
    dst += 3;
  }
  return all;
}

typedef struct plot__png_job {
  const unsigned char *data; /* surface pixels */
  int w, h, stride, bpp;     /* geometry; bpp 3 (RGB) or 4 (RGBA) */
  int filter;                /* PNG filter type for every row */
  int own;                   /* 1 = plot_deflate.c, 0 = zlib's deflate */
} plot__png_job;

/* Compresses one filtered row with zlib; 0 on success. */
static int plot__zlib_row(plot__png_enc *e, unsigned char *row, size_t n,
                          int last) {
  e->zs.next_in = row;
  e->zs.avail_in = (uInt)n;
  int flush = last ? Z_FINISH : Z_NO_FLUSH;
  int rc = deflate(&e->zs, flush);
  if ((last && rc != Z_STREAM_END) || rc == Z_STREAM_ERROR ||
      e->zs.avail_in != 0)
    return -1;
  return 0;
}

/* Deflates all rows into out (cap bytes); returns bytes written, or 0 on a
 * zlib failure, or 0 with *translucent set when an RGB job meets a pixel that
 * is not opaque (the caller then starts again as RGBA). Finding that out
 * while converting saves a separate pass over the image. */
static size_t plot__deflate_rows(plot__png_enc *e, const plot__png_job *j,
                                 unsigned char *out, size_t cap,
                                 int *translucent) {
  size_t n = (size_t)j->w * (size_t)j->bpp;
  unsigned char *raw[2] = {e->rows, e->rows + n};
  unsigned char *filt = e->rows + 2 * n;
  e->zs.next_out = out;
  e->zs.avail_out = (uInt)cap;
  if (j->own)
    plot__rle_start(e->rle, out, cap);
  for (int y = 0; y < j->h; y++) {
    unsigned char *cur = raw[y & 1], *prev = y ? raw[(y - 1) & 1] : NULL;
    const unsigned char *src = j->data + (size_t)y * (size_t)j->stride;
    unsigned alpha;
    if (y > 0 && j->bpp == 3 && j->filter == 2) {
      alpha = plot__row_up_rgb(src, src - j->stride, j->w, filt + 1);
      filt[0] = 2;
    } else {
      alpha = plot__row_convert(src, j->w, j->bpp, cur);
      plot__row_filter(j->filter, cur, prev, n, j->bpp, filt);
    }
    if (j->bpp == 3 && alpha != 255) {
      *translucent = 1;
      return 0;
    }
    if (j->own)
      plot__rle_feed(e->rle, filt, n + 1);
    else if (plot__zlib_row(e, filt, n + 1, y + 1 == j->h) != 0)
      return 0;
  }
  return j->own ? plot__rle_finish(e->rle) : cap - e->zs.avail_out;
}

/* Prepares the chosen deflate coder (zlib's, or plot_deflate.c's). */
static int plot__coder_ready(plot__png_enc *e, int own, int level,
                             int strategy) {
  if (!own)
    return plot__zs_ready(e, level, strategy);
  if (!e->rle)
    e->rle = malloc(plot__rle_size());
  return e->rle ? PLOT_OK : PLOT_ENOMEM;
}

static int plot__rows_alloc(plot__png_enc *e, size_t row_bytes) {
  size_t need = 3 * row_bytes + 1;
  if (need <= e->rows_cap)
    return PLOT_OK;
  unsigned char *p = realloc(e->rows, need);
  if (!p)
    return PLOT_ENOMEM;
  e->rows = p;
  e->rows_cap = need;
  return PLOT_OK;
}

/* Writes signature, IHDR and pHYs (pixel density from the device scale). */
static size_t plot__png_head(unsigned char *p, const plot__png_job *j,
                             double scale) {
  static const unsigned char sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  unsigned char ihdr[13], phys[9];
  memcpy(p, sig, 8);
  plot__be32(ihdr, (uint32_t)j->w);
  plot__be32(ihdr + 4, (uint32_t)j->h);
  ihdr[8] = 8;
  ihdr[9] = j->bpp == 4 ? 6 : 2;
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  size_t o = 8 + plot__chunk(p + 8, "IHDR", ihdr, 13);
  uint32_t ppm = (uint32_t)(scale * 96.0 / 0.0254 + 0.5);
  plot__be32(phys, ppm);
  plot__be32(phys + 4, ppm);
  phys[8] = 1; /* unit: metre */
  return o + plot__chunk(p + o, "pHYs", phys, 9);
}

int plot__png_encode_with(plot__png_enc *e, cairo_surface_t *s, int level,
                          int strategy, int filter, unsigned char **out,
                          size_t *len, plot_err *err) {
  cairo_surface_flush(s);
  plot__png_job j = {cairo_image_surface_get_data(s),
                     cairo_image_surface_get_width(s),
                     cairo_image_surface_get_height(s),
                     cairo_image_surface_get_stride(s), 3, filter,
                     strategy == PLOT__Z_OWN_RLE};
  if (!j.data || cairo_image_surface_get_format(s) != CAIRO_FORMAT_ARGB32)
    return plot__fail(err, PLOT_EINVAL, "PNG source is not an ARGB32 image");
  double sx = 1, sy = 1;
  cairo_surface_get_device_scale(s, &sx, &sy);
  int translucent = 0;
  unsigned char *buf = NULL;
  size_t o = 0, z = 0;
  for (j.bpp = 3; j.bpp <= 4; j.bpp++) { /* RGB first; RGBA if it must */
    free(buf);
    size_t row = (size_t)j.w * (size_t)j.bpp;
    if (plot__rows_alloc(e, row) != PLOT_OK)
      return plot__fail(err, PLOT_ENOMEM, "no memory for PNG rows");
    if (plot__coder_ready(e, j.own, level, strategy) != PLOT_OK)
      return plot__fail(err, PLOT_ENOMEM, "deflate initialisation failed");
    size_t raw = (row + 1) * (size_t)j.h;
    size_t bound = j.own ? plot__rle_bound(raw) : deflateBound(&e->zs, raw);
    buf = malloc(bound + 128);
    if (!buf)
      return plot__fail(err, PLOT_ENOMEM, "no memory for a %zu-byte PNG", bound);
    o = plot__png_head(buf, &j, sx);
    translucent = 0;
    z = plot__deflate_rows(e, &j, buf + o + 8, bound, &translucent);
    if (!translucent)
      break;
  }
  if (z == 0 || z > UINT32_MAX) {
    free(buf);
    return plot__fail(err, PLOT_EZLIB, "deflate failed: %s",
                      e->zs.msg ? e->zs.msg : "output too large");
  }
  plot__be32(buf + o, (uint32_t)z);
  memcpy(buf + o + 4, "IDAT", 4);
  plot__be32(buf + o + 8 + z, (uint32_t)crc32(0L, buf + o + 4, (uInt)(z + 4)));
  o += 12 + z;
  o += plot__chunk(buf + o, "IEND", NULL, 0);
  unsigned char *fit = realloc(buf, o);
  *out = fit ? fit : buf;
  *len = o;
  return PLOT_OK;
}

int plot__png_encode(plot__png_enc *e, cairo_surface_t *s, unsigned char **out,
                     size_t *len, plot_err *err) {
  return plot__png_encode_with(e, s, PLOT__PNG_LEVEL, PLOT__PNG_STRATEGY,
                               PLOT__PNG_FILTER, out, len, err);
}
