/*
 * Tests of the plotting library: tick choice on tricky ranges, golden images
 * of every chart kind, robustness on hostile data (empty, one point, NaN and
 * infinities, 10,000 points, 200 series, extreme magnitudes, long and broken
 * text), the PNG writer read back by cairo, and the error contract.
 *
 * Golden images live in tests/plot/golden/ at 400x240 and 1x to keep the
 * repository light; they are compared with a per-channel tolerance and a cap
 * on the share of differing pixels, so a different FreeType build does not
 * fail the suite while a moved axis or a lost series does. Regenerate with
 * EDDY_UPDATE_GOLDEN=1 after a deliberate change, and look at the result.
 */
#include "test.h"

#include <cairo-ft.h>
#include <cairo.h>
#include <float.h>
#include <stdint.h>
#include <zlib.h>

#include "plot.h"
#include "plot_axis.h"
#include "plot_int.h"

#define GOLDEN_DIR EDDY_TEST_DATA "/plot/golden"
#define GOLDEN_TOLERANCE 40      /* per channel, 0..255 */
#define GOLDEN_MAX_DIFF 0.004    /* share of pixels allowed to differ */
#define T0_MS 1763633100000.0    /* 2025-11-20 10:05:00 UTC */

/* Fontconfig keeps caches for the life of the process (not ours to free). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\nleak:FcPattern\nleak:FcConfig\n";
}

/* ---- helpers ---------------------------------------------------------- */

typedef struct png_reader {
  const unsigned char *p; /* PNG bytes */
  size_t len, off;        /* size and read position */
} png_reader;

static cairo_status_t png_read(void *closure, unsigned char *data,
                               unsigned int len) {
  png_reader *r = closure;
  if (r->off + len > r->len)
    return CAIRO_STATUS_READ_ERROR;
  memcpy(data, r->p + r->off, len);
  r->off += len;
  return CAIRO_STATUS_SUCCESS;
}

/* Decodes PNG bytes with cairo (libpng): a second opinion on our writer. */
static cairo_surface_t *png_decode(const plot_png *png) {
  png_reader r = {png->data, png->len, 0};
  cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &r);
  ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
  return s;
}

/* Pixel (x, y) of an image surface as 0xAARRGGBB. */
static uint32_t pixel(cairo_surface_t *s, int x, int y) {
  uint32_t p;
  cairo_surface_flush(s);
  memcpy(&p, cairo_image_surface_get_data(s) +
                 (size_t)y * (size_t)cairo_image_surface_get_stride(s) +
                 4 * (size_t)x, 4);
  return p;
}

static int near_rgb(uint32_t p, uint32_t rgb, int tol) {
  for (int sh = 0; sh < 24; sh += 8) {
    int a = (int)((p >> sh) & 255), b = (int)((rgb >> sh) & 255);
    if (abs(a - b) > tol)
      return 0;
  }
  return 1;
}

static plot_png render_ok(const plot_spec *spec) {
  plot_png png;
  plot_err err = {0};
  int rc = plot_render_png_once(spec, &png, &err);
  if (rc != PLOT_OK)
    fprintf(stderr, "  render: %s: %s\n", plot_errname(rc), err.msg);
  ASSERT_EQ(rc, PLOT_OK);
  ASSERT(png.data != NULL && png.len > 100);
  return png;
}

/* Renders, decodes, and checks the decoded size against the spec. */
static void render_check(const plot_spec *spec) {
  plot_png png = render_ok(spec);
  cairo_surface_t *s = png_decode(&png);
  ASSERT_EQ(cairo_image_surface_get_width(s), png.px_width);
  ASSERT_EQ(cairo_image_surface_get_height(s), png.px_height);
  ASSERT(near_rgb(pixel(s, 1, 1), 0xFFFFFF, 0)); /* opaque white corner */
  cairo_surface_destroy(s);
  plot_png_free(&png);
}

/* ---- ticks -------------------------------------------------------------- */

static int is_nice_step(double s) {
  double m = s / pow(10, floor(log10(s) + 1e-9));
  return fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 || fabs(m - 5) < 1e-6;
}

static void check_nice(double lo, double hi, int expand, int min_n) {
  plot_ticks t;
  char a[64], b[64];
  plot_ticks_nice(lo, hi, 4, 8, expand, &t);
  if (!(t.n >= min_n && t.n <= 8))
    fprintf(stderr, "  [%g, %g]: %d ticks, step %g\n", lo, hi, t.n, t.step);
  ASSERT(t.n >= min_n && t.n <= 8);
  ASSERT(is_nice_step(t.step));
  ASSERT(isfinite(t.lo) && isfinite(t.hi) && t.lo < t.hi);
  for (int i = 0; i < t.n; i++) {
    ASSERT(isfinite(t.v[i]));
    ASSERT(t.v[i] >= t.lo - fabs(t.step) * 1e-6);
    ASSERT(t.v[i] <= t.hi + fabs(t.step) * 1e-6);
    double k = t.v[i] / t.step;
    ASSERT(fabs(k - round(k)) < 1e-6);
    if (i > 0) {
      ASSERT(t.v[i] > t.v[i - 1]);
      plot_tick_label(&t, t.v[i - 1], a, sizeof(a));
      plot_tick_label(&t, t.v[i], b, sizeof(b));
      if (strcmp(a, b) == 0)
        fprintf(stderr, "  [%g, %g]: duplicate label %s\n", lo, hi, a);
      ASSERT(strcmp(a, b) != 0);
    }
  }
  if (expand) {
    ASSERT(t.lo <= lo || !isfinite(lo));
    ASSERT(t.hi >= hi || !isfinite(hi));
  }
}

static void test_ticks_nice_ranges(void) {
  static const double r[][2] = {
      {0, 1},         {0, 0.3},       {-3.7, 12.4},   {0, 100},
      {0, 105},       {1e9, 1e9 + 7}, {0, 1e-9},      {123456, 123457},
      {-1e300, 1e300}, {-5, -4.99},   {0.001, 0.0013}, {-1, 1},
      {1e15, 3e15},   {99.5, 100.5},  {0, 7},         {2, 98},
      {-0.0001, 0.00005}, {-1.7e308, 1.7e308}, {1e-300, 3e-300}};
  for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
    check_nice(r[i][0], r[i][1], 1, 3);
    check_nice(r[i][0], r[i][1], 0, 2);
  }
}

static void test_ticks_nice_pins(void) {
  plot_ticks t;
  char buf[64];
  plot_ticks_nice(0, 1, 4, 8, 1, &t);
  ASSERT_NEAR(t.step, 0.2, 1e-12);
  ASSERT_EQ(t.n, 6);
  ASSERT_STR_EQ(plot_tick_label(&t, t.v[1], buf, sizeof(buf)), "0.2");
  plot_ticks_nice(-3.7, 12.4, 4, 8, 1, &t);
  ASSERT_NEAR(t.lo, -5, 1e-12);
  ASSERT_NEAR(t.hi, 15, 1e-12);
  ASSERT_NEAR(t.step, 5, 1e-12);
  plot_ticks_nice(0, 2.5e6, 4, 8, 1, &t);
  ASSERT_STR_EQ(plot_tick_label(&t, 1.5e6, buf, sizeof(buf)), "1.5M");
  ASSERT_STR_EQ(plot_tick_label(&t, 0, buf, sizeof(buf)), "0");
  plot_ticks_nice(0, 3e-9, 4, 8, 1, &t);
  ASSERT_STR_EQ(plot_tick_label(&t, 1e-9, buf, sizeof(buf)), "1.0e-09");
  plot_ticks_nice(-0.3, 0.3, 4, 8, 1, &t); /* no "-0.0" */
  for (int i = 0; i < t.n; i++)
    ASSERT(strcmp(plot_tick_label(&t, t.v[i], buf, sizeof(buf)), "-0.0") != 0);
}

static void test_ticks_degenerate(void) {
  plot_ticks t;
  plot_ticks_nice(42, 42, 4, 8, 1, &t); /* one value: widened around it */
  ASSERT(t.lo < 42 && t.hi > 42 && t.n >= 3);
  plot_ticks_nice(0, 0, 4, 8, 1, &t);
  ASSERT(t.lo == 0 && t.hi >= 1);
  plot_ticks_nice(NAN, NAN, 4, 8, 1, &t);
  ASSERT(isfinite(t.lo) && isfinite(t.hi) && t.n >= 2);
  plot_ticks_nice(-INFINITY, INFINITY, 4, 8, 1, &t);
  ASSERT(isfinite(t.lo) && isfinite(t.hi) && t.n >= 2);
  plot_ticks_nice(5, 1, 4, 8, 1, &t); /* reversed */
  ASSERT(t.lo <= 1 && t.hi >= 5);
}

static int allowed_time_step(double s) {
  static const double ok[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3,
                              5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3,
                              600e3, 900e3, 1800e3, 3600e3, 3 * 3600e3,
                              6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3,
                              7 * 86400e3, 14 * 86400e3, 28 * 86400e3,
                              56 * 86400e3, 91 * 86400e3, 182 * 86400e3,
                              364 * 86400e3};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
    if (s == ok[i])
      return 1;
  return 0;
}

/* Ticks for [T0+a, T0+b] ms: step expected, and label of the first tick. */
static void check_time(double a, double b, double step, const char *first,
                       int tz) {
  plot_ticks t;
  char buf[64];
  plot_ticks_time(T0_MS + a, T0_MS + b, 8, tz, &t);
  ASSERT(allowed_time_step(t.step));
  ASSERT(t.n >= 2 && t.n <= 8);
  if (t.step != step)
    fprintf(stderr, "  [%g, %g] ms: step %g\n", a, b, t.step);
  ASSERT_NEAR(t.step, step, 0);
  ASSERT_STR_EQ(plot_tick_label(&t, t.v[0], buf, sizeof(buf)), first);
  for (int i = 0; i < t.n; i++)
    ASSERT(t.v[i] >= T0_MS + a && t.v[i] <= T0_MS + b);
}

static void test_ticks_time(void) {
  check_time(0, 1500, 200, "10:05:00.000", 0);
  check_time(0, 30e3, 5e3, "10:05:00", 0);
  check_time(500, 300e3, 60e3, "10:06", 0);
  check_time(0, 3600e3, 600e3, "10:10", 0);
}

static void test_ticks_time_days(void) {
  plot_ticks t;
  char buf[64];
  /* 20 hours across midnight: 3 h steps, and midnight reads as the date. */
  plot_ticks_time(T0_MS, T0_MS + 20 * 3600e3, 8, 0, &t);
  ASSERT_NEAR(t.step, 3 * 3600e3, 0);
  int seen_date = 0;
  for (int i = 0; i < t.n; i++)
    seen_date |= strcmp(plot_tick_label(&t, t.v[i], buf, sizeof(buf)),
                        "Nov 21") == 0;
  ASSERT(seen_date);
  plot_ticks_time(T0_MS, T0_MS + 5 * 86400e3, 8, 0, &t);
  ASSERT_NEAR(t.step, 86400e3, 0);
  ASSERT_STR_EQ(plot_tick_label(&t, t.v[0], buf, sizeof(buf)), "Nov 21");
  plot_ticks_time(T0_MS, T0_MS + 40 * 86400e3, 8, 0, &t);
  ASSERT_NEAR(t.step, 7 * 86400e3, 0);
  ASSERT_STR_EQ(plot_tick_label(&t, t.v[0], buf, sizeof(buf)), "Nov 24");
  /* A time zone moves the labels, not the data. */
  plot_ticks_time(T0_MS, T0_MS + 300e3, 8, 60, &t);
  ASSERT_STR_EQ(plot_tick_label(&t, t.v[0], buf, sizeof(buf)), "11:05");
  /* Absurd ranges fall back to numbers instead of failing. */
  plot_ticks_time(-1e300, 1e300, 8, 0, &t);
  ASSERT(t.n >= 2 && isfinite(t.step));
}

static void test_kpi_number_format(void) {
  char b[64];
  ASSERT_STR_EQ(plot__fmt_value(12345.6, b, sizeof(b)), "12,345.6");
  ASSERT_STR_EQ(plot__fmt_value(-1234567, b, sizeof(b)), "-1.23M");
  ASSERT_STR_EQ(plot__fmt_value(999, b, sizeof(b)), "999");
  ASSERT_STR_EQ(plot__fmt_value(-1000, b, sizeof(b)), "-1,000");
  ASSERT_STR_EQ(plot__fmt_value(123456, b, sizeof(b)), "123,456");
  ASSERT_STR_EQ(plot__fmt_value(0.5, b, sizeof(b)), "0.500");
  ASSERT_STR_EQ(plot__fmt_value(2.5e9, b, sizeof(b)), "2.50G");
  ASSERT_STR_EQ(plot__fmt_value(1e18, b, sizeof(b)), "1.00E");
  ASSERT_STR_EQ(plot__fmt_value(1e-5, b, sizeof(b)), "1e-05");
  ASSERT_STR_EQ(plot__fmt_value(NAN, b, sizeof(b)), "\xE2\x80\x94");
}

/* ---- charts used by golden and pixel tests ------------------------------ */

enum { GN = 60 };

typedef struct sample {
  double x[GN], y[3][GN];     /* three series on a time axis */
  plot_series s[3];
  plot_series sc[3];          /* s with own colours, in another order */
  double bx[5], by[2][5];     /* two series over five categories */
  plot_series bs[2];
} sample;

static void sample_init(sample *d) {
  for (int i = 0; i < GN; i++) {
    d->x[i] = T0_MS + i * 5000.0;
    d->y[0][i] = 50 + 20 * sin(i / 6.0);
    d->y[1][i] = 30 + 10 * cos(i / 5.0);
    d->y[2][i] = 10 + i * 0.4;
  }
  static const char *const names[3] = {"eu-west-1", "us-east-1", "ap-south-1"};
  for (int k = 0; k < 3; k++)
    d->s[k] = (plot_series){names[k], d->x, d->y[k], GN, 0};
  static const double b0[5] = {5, 3, 8, 2, 7}, b1[5] = {2, 6, 1, 5, -2};
  for (int i = 0; i < 5; i++) {
    d->bx[i] = i;
    d->by[0][i] = b0[i];
    d->by[1][i] = b1[i];
  }
  /* the order a live chart may hand them over after a set change; each
   * keeps the colour it had as s[k] */
  for (int k = 0; k < 3; k++) {
    d->sc[k] = d->s[2 - k];
    d->sc[k].color = 3 - k;
  }
  d->bs[0] = (plot_series){"temperature", d->bx, d->by[0], 5, 0};
  d->bs[1] = (plot_series){"humidity", d->bx, d->by[1], 5, 0};
}

static const char *const bar_labels[5] = {"north", "south", "east", "west",
                                          "centre"};

static plot_spec golden_spec(const sample *d, const char *name) {
  plot_spec s = {.width = 400, .height = 240, .scale = 1,
                 .x = {PLOT_AXIS_TIME, NULL, 0},
                 .series = d->s, .n_series = 3,
                 .footer = "1,204 rec/s | lag 120 ms | late 3 | bad 0"};
  s.title = name;
  if (strcmp(name, "line") == 0) {
    s.kind = PLOT_LINE;
    s.y_label = "req/s";
  } else if (strcmp(name, "area") == 0) {
    s.kind = PLOT_AREA;
  } else if (strcmp(name, "scatter") == 0) {
    s.kind = PLOT_SCATTER;
  } else if (strncmp(name, "bar", 3) == 0) {
    s.kind = PLOT_BAR;
    s.x.kind = PLOT_AXIS_NUMERIC;
    s.series = d->bs;
    s.n_series = 2;
    s.labels = bar_labels;
    s.n_labels = 5;
    s.stacked = strcmp(name, "bar_stacked") == 0;
  } else if (strcmp(name, "kpi") == 0) {
    s.kind = PLOT_KPI;
    s.title = "events per second";
    s.kpi = (plot_kpi){12345.6, -234, "ev/s"};
    s.n_series = 1;
  } else if (strcmp(name, "line_drop") == 0) {
    /* averages past max_series: dropped and counted, never summed */
    s.kind = PLOT_LINE;
    s.series = d->sc;
    s.max_series = 2;
    s.fold = PLOT_FOLD_DROP;
  } else if (strcmp(name, "empty") == 0) {
    s.kind = PLOT_LINE;
    s.n_series = 0;
  }
  return s;
}

/* ---- golden images ---------------------------------------------------- */

static cairo_status_t png_write_file(void *closure, const unsigned char *data,
                                     unsigned int len) {
  return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS
                                              : CAIRO_STATUS_WRITE_ERROR;
}

static double diff_share(cairo_surface_t *a, cairo_surface_t *b) {
  int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
  ASSERT_EQ(cairo_image_surface_get_width(b), w);
  ASSERT_EQ(cairo_image_surface_get_height(b), h);
  size_t bad = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      bad += !near_rgb(pixel(a, x, y), pixel(b, x, y), GOLDEN_TOLERANCE);
  return (double)bad / ((double)w * h);
}

static void check_golden(const char *name) {
  sample d;
  sample_init(&d);
  plot_spec spec = golden_spec(&d, name);
  plot_png png = render_ok(&spec);
  char path[512];
  snprintf(path, sizeof(path), "%s/%s.png", GOLDEN_DIR, name);
  const char *update = getenv("EDDY_UPDATE_GOLDEN");
  if (update && strcmp(update, "1") == 0) {
    FILE *f = fopen(path, "wb");
    ASSERT(f != NULL);
    ASSERT_EQ(fwrite(png.data, 1, png.len, f), png.len);
    fclose(f);
    fprintf(stderr, "  updated %s\n", path);
  }
  cairo_surface_t *want = cairo_image_surface_create_from_png(path);
  if (cairo_surface_status(want) != CAIRO_STATUS_SUCCESS)
    fprintf(stderr, "  cannot read %s (EDDY_UPDATE_GOLDEN=1 writes it)\n", path);
  ASSERT_EQ(cairo_surface_status(want), CAIRO_STATUS_SUCCESS);
  cairo_surface_t *got = png_decode(&png);
  double share = diff_share(got, want);
  if (share > GOLDEN_MAX_DIFF) {
    char out[512];
    snprintf(out, sizeof(out), "/tmp/eddy-golden-%s.png", name);
    FILE *f = fopen(out, "wb");
    if (f) {
      cairo_surface_write_to_png_stream(got, png_write_file, f);
      fclose(f);
    }
    fprintf(stderr, "  %s: %.2f%% of pixels differ; got %s\n", name,
            share * 100, out);
  }
  ASSERT(share <= GOLDEN_MAX_DIFF);
  cairo_surface_destroy(got);
  cairo_surface_destroy(want);
  plot_png_free(&png);
}

static void test_golden_line(void) { check_golden("line"); }
static void test_golden_area(void) { check_golden("area"); }
static void test_golden_bar(void) { check_golden("bar"); }
static void test_golden_bar_stacked(void) { check_golden("bar_stacked"); }
static void test_golden_scatter(void) { check_golden("scatter"); }
static void test_golden_kpi(void) { check_golden("kpi"); }
static void test_golden_empty(void) { check_golden("empty"); }
static void test_golden_line_drop(void) { check_golden("line_drop"); }

/* ---- the PNG writer, read back by cairo ------------------------------- */

static void test_png_decodes_with_pixels(void) {
  /* One series of bars, no legend: the middle of the plot is bar blue. */
  double x[1] = {0}, y[1] = {10};
  plot_series s = {NULL, x, y, 1, 0};
  plot_spec spec = {.kind = PLOT_BAR, .series = &s, .n_series = 1,
                    .width = 200, .height = 100, .scale = 2};
  plot_png png = render_ok(&spec);
  ASSERT_EQ(png.width, 200);
  ASSERT_EQ(png.height, 100);
  ASSERT_EQ(png.px_width, 400);
  ASSERT_EQ(png.px_height, 200);
  ASSERT(memcmp(png.data, "\x89PNG\r\n\x1a\n", 8) == 0);
  cairo_surface_t *img = png_decode(&png);
  ASSERT_EQ(cairo_image_surface_get_width(img), 400);
  ASSERT_EQ(cairo_image_surface_get_height(img), 200);
  ASSERT(near_rgb(pixel(img, 0, 0), 0xFFFFFF, 0));
  ASSERT(near_rgb(pixel(img, 399, 199), 0xFFFFFF, 0));
  ASSERT(near_rgb(pixel(img, 240, 100), 0x0072B2, 2)); /* Okabe-Ito blue */
  cairo_surface_destroy(img);
  plot_png_free(&png);
}

static void test_png_rgba_roundtrip(void) {
  /* A translucent surface takes the RGBA path, un-premultiplied. */
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 7, 3);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgba(cr, 1, 0, 0, 0.5);
  cairo_paint(cr);
  cairo_destroy(cr);
  plot__png_enc *e = plot__png_enc_new();
  plot_png png = {0};
  ASSERT_EQ(plot__png_encode(e, s, &png.data, &png.len, NULL), PLOT_OK);
  ASSERT_EQ(png.data[25], 6); /* IHDR colour type: RGBA */
  cairo_surface_t *back = png_decode(&png);
  uint32_t p = pixel(back, 6, 2); /* premultiplied again by cairo */
  ASSERT(abs((int)(p >> 24) - 128) <= 1);
  ASSERT(abs((int)((p >> 16) & 255) - 128) <= 1);
  ASSERT_EQ(p & 0xFFFF, 0);
  cairo_surface_destroy(back);
  cairo_surface_destroy(s);
  plot__png_enc_free(&e);
  ASSERT(e == NULL);
  plot_png_free(&png);
}

/* Our run-length deflate, inflated by zlib, on runs around every boundary
 * of the length codes and on noise that has no runs at all. */
static void test_rle_deflate_roundtrip(void) {
  enum { CAP = 600000 };
  unsigned char *in = malloc(CAP), *back = malloc(CAP);
  size_t n = 0;
  static const size_t runs[] = {1, 2, 3, 4, 10, 11, 257, 258, 259, 260, 261,
                                515, 516, 517, 4095, 4096, 4097, 5000, 100000};
  for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
    memset(in + n, (int)(r * 37 % 256), runs[r]);
    n += runs[r];
    in[n++] = (unsigned char)(r * 91 + 1); /* break the run */
  }
  uint32_t rnd = 12345;
  for (int i = 0; i < 150000; i++) { /* several blocks of noise */
    rnd = rnd * 1103515245u + 12345u;
    in[n++] = (unsigned char)(rnd >> 16);
  }
  for (int i = 0; i < 200000; i++) { /* geometric: codes past 15 bits */
    rnd = rnd * 1103515245u + 12345u;
    int b = __builtin_ctz((rnd >> 8) | (1u << 23));
    if (in[n - 1] == b)
      b = 30 + b; /* no runs: keep every symbol a literal */
    in[n++] = (unsigned char)b;
  }
  ASSERT(n < CAP);
  size_t cap = plot__rle_bound(n);
  unsigned char *z = malloc(cap);
  plot__rle *st = malloc(plot__rle_size());
  plot__rle_start(st, z, cap);
  for (size_t off = 0; off < n; off += 777) /* fed in odd slices */
    plot__rle_feed(st, in + off, n - off < 777 ? n - off : 777);
  size_t zn = plot__rle_finish(st);
  ASSERT(zn > 0 && zn <= cap);
  uLongf out_n = CAP;
  ASSERT_EQ(uncompress(back, &out_n, z, zn), Z_OK);
  ASSERT_EQ(out_n, n);
  ASSERT(memcmp(in, back, n) == 0);
  free(st);
  free(z);
  free(in);
  free(back);
}

/* Every filter and both coders give the same pixels back. */
static void test_png_coders_agree(void) {
  sample d;
  sample_init(&d);
  plot_spec spec = golden_spec(&d, "area");
  plot_renderer *r = plot_renderer_new();
  cairo_surface_t *s = plot__draw_only(r, &spec, NULL);
  ASSERT(s != NULL);
  plot__png_enc *e = plot__png_enc_new();
  cairo_surface_t *first = NULL;
  static const int strategy[2] = {Z_RLE, PLOT__Z_OWN_RLE};
  for (int k = 0; k < 2; k++)
    for (int filter = 0; filter <= 2; filter++) {
      plot_png png = {0};
      ASSERT_EQ(plot__png_encode_with(e, s, 1, strategy[k], filter, &png.data,
                                      &png.len, NULL), PLOT_OK);
      cairo_surface_t *img = png_decode(&png);
      if (!first)
        first = img;
      else {
        for (int y = 0; y < 240; y++) /* exactly: PNG is lossless */
          for (int x = 0; x < 400; x++)
            ASSERT_EQ(pixel(first, x, y), pixel(img, x, y));
        cairo_surface_destroy(img);
      }
      plot_png_free(&png);
    }
  cairo_surface_destroy(first);
  plot__png_enc_free(&e);
  plot_renderer_free(&r);
}

/* ---- robustness --------------------------------------------------------- */

typedef struct hostile {
  double *x, *y;      /* storage for every series */
  plot_series *s;     /* the series */
  size_t n_series;    /* how many */
} hostile;

static void hostile_free(hostile *h) {
  free(h->x);
  free(h->y);
  free(h->s);
}

/* n_series series of n points each, filled by case c. */
static hostile hostile_make(int c, size_t n_series, size_t n) {
  hostile h = {calloc(n_series * n + 1, sizeof(double)),
               calloc(n_series * n + 1, sizeof(double)),
               calloc(n_series, sizeof(plot_series)), n_series};
  for (size_t s = 0; s < n_series; s++) {
    double *x = h.x + s * n, *y = h.y + s * n;
    for (size_t i = 0; i < n; i++) {
      x[i] = T0_MS + (double)i * 1000;
      y[i] = sin((double)(i + s)) * 10 + (double)s;
      if (c == 1 && i % 3 == 0)
        y[i] = i % 2 ? NAN : INFINITY;
      if (c == 1 && i % 5 == 0)
        x[i] = i % 2 ? -INFINITY : NAN;
      if (c == 2)
        x[i] = T0_MS; /* identical x */
      if (c == 3)
        y[i] = (i % 2 ? 1e300 : -1e300);
      if (c == 4)
        y[i] = 1e-300 * (double)i;
      if (c == 5)
        y[i] = -1e6 - (double)i;
      if (c == 6)
        y[i] = (i % 2 ? DBL_MAX : -DBL_MAX);
    }
    h.s[s] = (plot_series){"s", x, y, n, 0};
  }
  return h;
}

static void render_all_kinds(const plot_series *s, size_t ns, const char *title,
                             plot_axis_kind ax) {
  for (int k = 0; k < PLOT_KIND_COUNT; k++)
    for (int stacked = 0; stacked < 2; stacked++) {
      plot_spec spec = {.kind = (plot_kind)k, .series = s, .n_series = ns,
                        .title = title, .x = {ax, "x", 0}, .y_label = "y",
                        .footer = title, .stacked = stacked, .width = 320,
                        .height = 200, .scale = 1, .y_zero = stacked,
                        .kpi = {ns ? 1 : NAN, -2, "u"}};
      render_check(&spec);
    }
}

static void test_hostile_data(void) {
  static const struct {
    int c;
    size_t series, n;
  } cases[] = {{0, 0, 0},   {0, 1, 0},    {0, 1, 1},   {0, 3, 1},
               {1, 3, 40},  {2, 3, 20},   {3, 2, 20},  {4, 2, 20},
               {5, 2, 20},  {6, 2, 20},   {0, 1, 10000}, {0, 200, 30},
               {1, 1, 1},   {1, 200, 5}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hostile h = hostile_make(cases[i].c, cases[i].series, cases[i].n);
    render_all_kinds(h.s, h.n_series, "hostile", PLOT_AXIS_TIME);
    render_all_kinds(h.s, h.n_series, "hostile", PLOT_AXIS_NUMERIC);
    hostile_free(&h);
  }
}

static void test_all_nan_is_waiting(void) {
  double y[4] = {NAN, INFINITY, -INFINITY, NAN};
  plot_series s = {"nan", NULL, y, 4, 0};
  render_all_kinds(&s, 1, "all NaN", PLOT_AXIS_NUMERIC);
}

static void test_extreme_sizes(void) {
  hostile h = hostile_make(0, 3, 50);
  static const int sizes[][2] = {{32, 32}, {33, 200}, {600, 32}, {800, 500}};
  static const double scales[] = {0.5, 1, 2, 4};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
    for (int k = 0; k < PLOT_KIND_COUNT; k++) {
      plot_spec spec = {.kind = (plot_kind)k, .series = h.s, .n_series = 3,
                        .title = "t", .y_label = "y", .footer = "f",
                        .x = {PLOT_AXIS_TIME, "x", 0}, .width = sizes[i][0],
                        .height = sizes[i][1], .scale = scales[i]};
      render_check(&spec);
    }
  hostile_free(&h);
}

static void test_hostile_text(void) {
  char long_title[3000];
  for (size_t i = 0; i < sizeof(long_title) - 1; i++)
    long_title[i] = (char)('a' + i % 26);
  long_title[sizeof(long_title) - 1] = '\0';
  /* Invalid UTF-8, control characters, a lone continuation byte. */
  const char *broken = "bad \xff\xfe utf8 \x80 \xe2\x82 tab\there \xf0\x9f\x98";
  double y[3] = {1, 2, 3};
  plot_series s[2] = {{long_title, NULL, y, 3, 0}, {broken, NULL, y, 3, 0}};
  const char *labels[3] = {long_title, broken, NULL};
  for (int k = 0; k < PLOT_KIND_COUNT; k++) {
    plot_spec spec = {.kind = (plot_kind)k, .title = long_title,
                      .y_label = broken, .x = {PLOT_AXIS_NUMERIC, long_title, 0},
                      .series = s, .n_series = 2, .labels = labels,
                      .n_labels = 3, .footer = broken,
                      .kpi = {1e18, 5, long_title}};
    render_check(&spec);
    spec.width = 300; /* legend below */
    spec.title = broken;
    render_check(&spec);
  }
}

/* The charts ask cairo's toy API for "DejaVu Sans"; check that fontconfig
 * really resolves it to DejaVu (fonts-dejavu-core), not to a fallback face
 * with other metrics, which would shift every golden image. */
static void test_font_is_dejavu(void) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 8);
  cairo_t *cr = cairo_create(s);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_BOLD);
  cairo_scaled_font_t *sf = cairo_get_scaled_font(cr);
  ASSERT_EQ(cairo_scaled_font_get_type(sf), CAIRO_FONT_TYPE_FT);
  FT_Face face = cairo_ft_scaled_font_lock_face(sf);
  ASSERT(face != NULL);
  ASSERT_STR_EQ(face->family_name, "DejaVu Sans");
  ASSERT_STR_EQ(face->style_name, "Bold");
  cairo_ft_scaled_font_unlock_face(sf);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
}

/* A deterministic stream of awkward doubles. */
static double awkward(uint32_t *rnd) {
  *rnd = *rnd * 1103515245u + 12345u;
  uint32_t r = *rnd >> 8;
  switch (r % 16) {
  case 0: return NAN;
  case 1: return r % 2 ? INFINITY : -INFINITY;
  case 2: return (r % 2 ? 1 : -1) * 1e300;
  case 3: return 1e-300 * (double)(r % 100);
  case 4: return 0;
  case 5: return -(double)(r % 1000);
  default: return (double)(r % 10000) / 7.0;
  }
}

/* Random specs under sanitizers: every one renders and decodes. */
static void test_random_specs(void) {
  enum { MAXS = 20, MAXN = 300 };
  static double xs[MAXS][MAXN], ys[MAXS][MAXN];
  static plot_series ss[MAXS];
  static const double scales[5] = {0.5, 1, 1.5, 2, 1};
  const char *labels[4] = {"a", "\xff", "a long category label", NULL};
  uint32_t rnd = 42;
  for (int iter = 0; iter < 80; iter++) {
    rnd = rnd * 1103515245u + 12345u;
    size_t ns = (rnd >> 8) % MAXS, n = (rnd >> 16) % MAXN;
    for (size_t k = 0; k < ns; k++) {
      for (size_t i = 0; i < n; i++) {
        double t = T0_MS + (double)i * 1000;
        xs[k][i] = (iter % 3 == 0) ? awkward(&rnd) : (iter % 3 == 1 ? t : i / 3);
        ys[k][i] = awkward(&rnd);
      }
      ss[k] = (plot_series){k % 2 ? "series" : NULL, (iter % 5) ? xs[k] : NULL,
                            ys[k], n, 0};
    }
    plot_spec spec = {.kind = (plot_kind)(rnd % PLOT_KIND_COUNT),
                      .series = ss, .n_series = ns,
                      .x = {iter % 2 ? PLOT_AXIS_TIME : PLOT_AXIS_NUMERIC,
                            "x", (int)(rnd % 1440) - 720},
                      .title = iter % 4 ? "random" : NULL,
                      .labels = labels, .n_labels = 4,
                      .stacked = (int)(rnd >> 3) % 2,
                      .y_zero = (int)(rnd >> 4) % 2,
                      .width = 32 + (int)((rnd >> 5) % 700),
                      .height = 32 + (int)((rnd >> 7) % 400),
                      .scale = scales[(rnd >> 9) % 5],
                      .max_series = 1 + (int)((rnd >> 11) % 10),
                      .kpi = {awkward(&rnd), awkward(&rnd), NULL}};
    render_check(&spec);
  }
}

/* ---- folding, reuse and errors ------------------------------------------ */

static void test_fold_into_other(void) {
  hostile h = hostile_make(0, 12, 4);
  plot_spec spec = {.kind = PLOT_LINE, .series = h.s, .n_series = 12,
                    .max_series = 5};
  plot__ctx c = {.spec = &spec, .max_series = 5};
  ASSERT_EQ(plot__data_build(&c, 100), PLOT_OK);
  ASSERT_EQ(c.data.n_views, 5);
  ASSERT_STR_EQ(c.data.views[4].name, "other");
  ASSERT_EQ(c.data.views[4].color, PLOT__OTHER_COLOR);
  ASSERT_EQ(c.data.views[4].n, 4); /* same x in every series: summed */
  double want = 0;
  for (size_t s = 4; s < 12; s++)
    want += h.s[s].y[2];
  ASSERT_NEAR(c.data.views[4].y[2], want, 1e-9);
  ASSERT_EQ(c.data.n_grid, 4);
  plot__data_free(&c.data);
  hostile_free(&h);
}

static void test_fold_drop(void) {
  hostile h = hostile_make(0, 12, 4);
  for (size_t i = 0; i < 4; i++)
    ((double *)h.s[7].y)[i] = 1e9; /* hidden: must not stretch the axis */
  plot_spec spec = {.kind = PLOT_LINE, .series = h.s, .n_series = 12,
                    .max_series = 5, .fold = PLOT_FOLD_DROP};
  plot__ctx c = {.spec = &spec, .max_series = 5};
  ASSERT_EQ(plot__data_build(&c, 0), PLOT_OK);
  ASSERT_EQ(c.data.n_views, 5);
  ASSERT_EQ(c.data.n_hidden, 7);
  for (size_t i = 0; i < 5; i++) {
    ASSERT_STR_EQ(c.data.views[i].name, h.s[i].name);
    ASSERT_EQ(c.data.views[i].color, (int)i);
  }
  ASSERT(c.data.yhi < 1e9);
  plot__data_free(&c.data);
  spec.fold = PLOT_FOLD_SUM; /* the default still sums */
  ASSERT_EQ(plot__data_build(&c, 0), PLOT_OK);
  ASSERT_EQ(c.data.n_hidden, 0);
  ASSERT_STR_EQ(c.data.views[4].name, "other");
  plot__data_free(&c.data);
  render_check(&spec);
  spec.fold = PLOT_FOLD_DROP;
  render_check(&spec);
  spec.width = 300; /* legend under the plot */
  render_check(&spec);
  hostile_free(&h);
}

static void test_series_color(void) {
  hostile h = hostile_make(0, 10, 4);
  for (size_t i = 0; i < 10; i++)
    h.s[i].color = i % 2 ? (int)(10 - i) : 0; /* odd ones pick, wrapping */
  plot_spec spec = {.kind = PLOT_LINE, .series = h.s, .n_series = 10,
                    .max_series = 5};
  plot__ctx c = {.spec = &spec, .max_series = 5};
  ASSERT_EQ(plot__data_build(&c, 0), PLOT_OK);
  ASSERT_EQ(c.data.views[0].color, 0);
  ASSERT_EQ(c.data.views[1].color, 8);
  ASSERT_EQ(c.data.views[2].color, 2);
  ASSERT_EQ(c.data.views[3].color, 6);
  ASSERT_EQ(c.data.views[4].color, PLOT__OTHER_COLOR);
  plot__rgb a = plot__color(8), b = plot__color(0);
  ASSERT(a.r == b.r && a.g == b.g && a.b == b.b); /* the palette wraps */
  plot__data_free(&c.data);
  hostile_free(&h);
}

static void test_renderer_reuse(void) {
  sample d;
  sample_init(&d);
  plot_spec a = golden_spec(&d, "line"), b = golden_spec(&d, "bar");
  b.width = 500;
  plot_renderer *r = plot_renderer_new();
  ASSERT(r != NULL);
  plot_png p1, p2, p3, once;
  ASSERT_EQ(plot_render_png(r, &a, &p1, NULL), PLOT_OK);
  ASSERT_EQ(plot_render_png(r, &b, &p2, NULL), PLOT_OK);
  ASSERT_EQ(plot_render_png(r, &a, &p3, NULL), PLOT_OK);
  ASSERT_EQ(plot_render_png_once(&a, &once, NULL), PLOT_OK);
  ASSERT_EQ(p1.len, p3.len); /* the same chart twice: the same bytes */
  ASSERT(memcmp(p1.data, p3.data, p1.len) == 0);
  ASSERT_EQ(p1.len, once.len);
  ASSERT_EQ(p2.width, 500);
  plot_png_free(&p1);
  plot_png_free(&p2);
  plot_png_free(&p3);
  plot_png_free(&once);
  ASSERT(p1.data == NULL && p1.len == 0);
  plot_renderer_free(&r);
  ASSERT(r == NULL);
  plot_renderer_free(&r);
  plot_renderer_free(NULL);
  plot_png_free(NULL);
}

static void expect_error(const plot_spec *spec, int code, const char *needle) {
  plot_png png;
  plot_err err = {0};
  ASSERT_EQ(plot_render_png_once(spec, &png, &err), code);
  ASSERT_EQ(err.code, code);
  if (!strstr(err.msg, needle))
    fprintf(stderr, "  message: %s\n", err.msg);
  ASSERT(strstr(err.msg, needle) != NULL);
  ASSERT(png.data == NULL && png.len == 0);
}

static void test_errors(void) {
  plot_spec s = {.kind = (plot_kind)99};
  expect_error(&s, PLOT_EINVAL, "unknown chart kind 99");
  s = (plot_spec){.width = 10};
  expect_error(&s, PLOT_EINVAL, "outside");
  s = (plot_spec){.scale = NAN};
  expect_error(&s, PLOT_EINVAL, "scale");
  s = (plot_spec){.width = 4000, .scale = 4};
  expect_error(&s, PLOT_ETOOBIG, "pixels");
  s = (plot_spec){.n_series = 2};
  expect_error(&s, PLOT_EINVAL, "no series array");
  plot_series bad = {"x", NULL, NULL, 3, 0};
  s = (plot_spec){.series = &bad, .n_series = 1};
  expect_error(&s, PLOT_EINVAL, "no y");
  s = (plot_spec){.max_series = -1};
  expect_error(&s, PLOT_EINVAL, "max_series");
  s = (plot_spec){.fold = (plot_fold)7};
  expect_error(&s, PLOT_EINVAL, "fold 7");
  ASSERT_EQ(plot_render_png_once(NULL, NULL, NULL), PLOT_EINVAL);
  ASSERT_STR_EQ(plot_errname(PLOT_ETOOBIG), "PLOT_ETOOBIG");
  ASSERT_STR_EQ(plot_strerror(PLOT_OK), "success");
  ASSERT_STR_EQ(plot_errname(-999), "PLOT_EUNKNOWN");
}

int main(void) {
  TEST_RUN(test_ticks_nice_ranges);
  TEST_RUN(test_ticks_nice_pins);
  TEST_RUN(test_ticks_degenerate);
  TEST_RUN(test_ticks_time);
  TEST_RUN(test_ticks_time_days);
  TEST_RUN(test_kpi_number_format);
  TEST_RUN(test_golden_line);
  TEST_RUN(test_golden_area);
  TEST_RUN(test_golden_bar);
  TEST_RUN(test_golden_bar_stacked);
  TEST_RUN(test_golden_scatter);
  TEST_RUN(test_golden_kpi);
  TEST_RUN(test_golden_empty);
  TEST_RUN(test_golden_line_drop);
  TEST_RUN(test_png_decodes_with_pixels);
  TEST_RUN(test_png_rgba_roundtrip);
  TEST_RUN(test_rle_deflate_roundtrip);
  TEST_RUN(test_png_coders_agree);
  TEST_RUN(test_hostile_data);
  TEST_RUN(test_all_nan_is_waiting);
  TEST_RUN(test_extreme_sizes);
  TEST_RUN(test_hostile_text);
  TEST_RUN(test_random_specs);
  TEST_RUN(test_font_is_dejavu);
  TEST_RUN(test_fold_into_other);
  TEST_RUN(test_fold_drop);
  TEST_RUN(test_series_color);
  TEST_RUN(test_renderer_reuse);
  TEST_RUN(test_errors);
  cairo_debug_reset_static_data();
  return test_summary();
}
