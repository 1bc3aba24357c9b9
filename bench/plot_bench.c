/*
 * Chart benchmark, Eddy's side: renders the chart of
 * bench/plot_vs_matplotlib.py (800x400 logical, 3 series x 300 points on a
 * time axis, axes, legend, title, footer) from the same data file, and prints
 * the median time and PNG size per chart, one "key value" line per figure so
 * the Python driver can read them. It also splits drawing from encoding and
 * times the PNG encoder settings that were considered, against cairo's own
 * libpng writer, which is how plot_png.c's defaults were chosen.
 *
 * usage: plot_bench DATA.csv [RUNS] [OUT_DIR]
 * DATA.csv holds a header line, then "t_ms,a,b,c" rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "plot.h"
#include "plot_int.h"

#define BENCH_MAX_ROWS 100000
/* Same text as FOOTER in plot_vs_matplotlib.py. */
#define BENCH_FOOTER "1,204 rec/s | lag 120 ms | watermark 10:09:58 | late 3 | bad 0"

typedef struct bench_data {
  double *t, *y[3]; /* columns */
  size_t n;         /* rows */
} bench_data;

static double bench_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this process: unlike wall time, barely moved by other jobs
 * sharing the machine, so the ratio stays meaningful on a busy host. */
static double bench_cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int bench_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(double), bench_cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_load(const char *path, bench_data *d) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  char line[512];
  memset(d, 0, sizeof(*d));
  d->t = calloc(BENCH_MAX_ROWS, sizeof(double));
  for (int s = 0; s < 3; s++)
    d->y[s] = calloc(BENCH_MAX_ROWS, sizeof(double));
  if (!fgets(line, sizeof(line), f)) /* header */
    line[0] = '\0';
  while (d->n < BENCH_MAX_ROWS && fgets(line, sizeof(line), f)) {
    char *p = line, *end;
    d->t[d->n] = strtod(p, &end);
    for (int s = 0; s < 3 && *end == ','; s++) {
      p = end + 1;
      d->y[s][d->n] = strtod(p, &end);
    }
    d->n++;
  }
  fclose(f);
  return d->n > 0 ? 0 : -1;
}

static void bench_free(bench_data *d) {
  free(d->t);
  for (int s = 0; s < 3; s++)
    free(d->y[s]);
}

static cairo_status_t bench_sink(void *closure, const unsigned char *data,
                                 unsigned int len) {
  (void)data;
  *(size_t *)closure += len;
  return CAIRO_STATUS_SUCCESS;
}

static void bench_write(const char *dir, const char *name, const plot_png *p) {
  if (!dir)
    return;
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(p->data, 1, p->len, f);
    fclose(f);
  }
}

/* Full render (draw + encode) through the public API, median over runs. */
static void bench_full(plot_renderer *r, plot_spec *spec, int runs,
                       const char *tag, const char *dir) {
  double *ms = calloc((size_t)runs, sizeof(double));
  double *cpu = calloc((size_t)runs, sizeof(double));
  plot_png png = {0};
  plot_err err = {0};
  for (int i = 0; i < runs; i++) {
    plot_png_free(&png);
    double t0 = bench_now_ms(), c0 = bench_cpu_ms();
    if (plot_render_png(r, spec, &png, &err) != PLOT_OK) {
      fprintf(stderr, "render failed: %s\n", err.msg);
      exit(1);
    }
    ms[i] = bench_now_ms() - t0;
    cpu[i] = bench_cpu_ms() - c0;
  }
  printf("%s_ms %.3f\n%s_cpu_ms %.3f\n%s_bytes %zu\n%s_px %dx%d\n", tag,
         bench_median(ms, runs), tag, bench_median(cpu, runs), tag, png.len,
         tag, png.px_width, png.px_height);
  free(cpu);
  char name[64];
  snprintf(name, sizeof(name), "%s.png", tag);
  bench_write(dir, name, &png);
  plot_png_free(&png);
  free(ms);
}

/* Drawing alone, then each encoder on the drawn surface. */
static void bench_split(plot_renderer *r, plot_spec *spec, int runs,
                        const char *tag) {
  static const struct {
    const char *name;
    int level, strategy, filter;
  } enc[] = {{"l1_rle_sub", 1, Z_RLE, 1},   {"l1_rle_none", 1, Z_RLE, 0},
             {"l1_rle_up", 1, Z_RLE, 2},    {"l1_def_sub", 1, Z_DEFAULT_STRATEGY, 1},
             {"l1_def_none", 1, Z_DEFAULT_STRATEGY, 0},
             {"l6_def_up", 6, Z_DEFAULT_STRATEGY, 2},
             {"own_rle_up", 0, PLOT__Z_OWN_RLE, 2},
             {"own_rle_sub", 0, PLOT__Z_OWN_RLE, 1},
             {"own_rle_none", 0, PLOT__Z_OWN_RLE, 0}};
  double *ms = calloc((size_t)runs, sizeof(double));
  cairo_surface_t *s = NULL;
  for (int i = 0; i < runs; i++) {
    double t0 = bench_now_ms();
    s = plot__draw_only(r, spec, NULL);
    ms[i] = bench_now_ms() - t0;
  }
  printf("%s_draw_ms %.3f\n", tag, bench_median(ms, runs));
  plot__png_enc *e = plot__png_enc_new();
  for (size_t k = 0; k < sizeof(enc) / sizeof(enc[0]); k++) {
    size_t len = 0;
    for (int i = 0; i < runs; i++) {
      unsigned char *out = NULL;
      double t0 = bench_now_ms();
      plot__png_encode_with(e, s, enc[k].level, enc[k].strategy, enc[k].filter,
                            &out, &len, NULL);
      ms[i] = bench_now_ms() - t0;
      free(out);
    }
    printf("%s_enc_%s_ms %.3f\n%s_enc_%s_bytes %zu\n", tag, enc[k].name,
           bench_median(ms, runs), tag, enc[k].name, len);
  }
  size_t total = 0;
  for (int i = 0; i < runs; i++) {
    total = 0;
    double t0 = bench_now_ms();
    cairo_surface_write_to_png_stream(s, bench_sink, &total);
    ms[i] = bench_now_ms() - t0;
  }
  printf("%s_enc_cairo_libpng_ms %.3f\n%s_enc_cairo_libpng_bytes %zu\n", tag,
         bench_median(ms, runs), tag, total);
  plot__png_enc_free(&e);
  free(ms);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DATA.csv [RUNS] [OUT_DIR]\n", argv[0]);
    return 2;
  }
  int runs = argc > 2 ? atoi(argv[2]) : 50;
  const char *dir = argc > 3 ? argv[3] : NULL;
  bench_data d;
  if (runs < 1 || bench_load(argv[1], &d) != 0) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  plot_series s[3] = {{"sensor-a", d.t, d.y[0], d.n, 0},
                      {"sensor-b", d.t, d.y[1], d.n, 0},
                      {"sensor-c", d.t, d.y[2], d.n, 0}};
  plot_spec spec = {.kind = PLOT_LINE,
                    .title = "Temperature by sensor (benchmark)",
                    .x = {PLOT_AXIS_TIME, "time (UTC)", 0},
                    .y_label = "temperature",
                    .series = s,
                    .n_series = 3,
                    .footer = BENCH_FOOTER,
                    .width = 800,
                    .height = 400,
                    .scale = 1};
  plot_renderer *r = plot_renderer_new();
  bench_full(r, &spec, runs, "eddy_1x", dir);
  bench_split(r, &spec, runs, "eddy_1x");
  spec.scale = 2;
  bench_full(r, &spec, runs, "eddy_2x", dir);
  bench_split(r, &spec, runs, "eddy_2x");
  /* A cold renderer per chart: what a caller without reuse pays. */
  double *ms = calloc((size_t)runs, sizeof(double));
  spec.scale = 1;
  for (int i = 0; i < runs; i++) {
    plot_png p;
    double t0 = bench_now_ms();
    plot_render_png_once(&spec, &p, NULL);
    ms[i] = bench_now_ms() - t0;
    plot_png_free(&p);
  }
  printf("eddy_1x_cold_ms %.3f\n", bench_median(ms, runs));
  free(ms);
  plot_renderer_free(&r);
  bench_free(&d);
  return 0;
}
