/*
 * The runtime against a plain jansson loop and a minimal hand scanner, on
 * the same records in one run.
 *
 * Input: N sensor readings as JSON lines in memory (rt_sensors, seed 42, 100
 * devices), the shape `eddy produce` writes to Kinesis.
 * Work, the same for all three:
 *   keep records with temperature > 50, then per device_id: avg, count, p95
 * Eddy runs the real query through the compiled pipeline (the code a query's
 * thread runs per batch):
 *   parse json | where temperature > 50 | window 5m every 10s
 *   | agg avg(temperature), count(), p95(temperature) by device_id
 * jansson: json_loads per line, then a hash of per-device sums (no p95: it
 * only has to be cheaper, and still is not).
 * scanner: strstr for the two keys, strtod, the same hash: the ceiling for
 * any parser that has to look at every byte.
 *
 * Prints records/s for each (median of RUNS runs) and the ratios, and the
 * memory the Eddy run added at N/4, N/2 and N records (flat = the pipeline
 * keeps per-batch memory and per-group state only).
 *
 * usage: runtime_vs_jansson [N] [RUNS]   (defaults 1000000 and 5)
 */
#include "dsl.h"
#include "dsl_compile.h"
#include "rt_buf.h"
#include "rt_mem.h"
#include "rt_pipeline.h"
#include "rt_sensors.h"
#include "rt_source.h"
#include "rt_time.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *QUERY =
    "file \"-\" | parse json | where temperature > 50 | window 5m every 10s\n"
    "| agg avg(temperature), count(), p95(temperature) by device_id";

/* ---- input ---------------------------------------------------------------- */

static char *make_input(size_t n, size_t *len) {
  rt_sensors_cfg cfg = {.seed = 42, .devices = 100};
  rt_buf b;
  rt_buf_init(&b, 0);
  rt_buf_reserve(&b, n * 100);
  char line[RT_SENSORS_JSON_MAX];
  for (size_t i = 0; i < n; i++) {
    rt_sensor_reading r;
    rt_sensors_read(&cfg, i, rt_sensors_ts(1795168800000, 1000, i), &r);
    size_t k = rt_sensors_json(&r, line, sizeof(line));
    rt_buf_append(&b, line, k);
    rt_buf_append(&b, "\n", 1);
  }
  return rt_buf_take(&b, len);
}

/* ---- a tiny per-device hash for the two baselines --------------------------- */

typedef struct dev_acc {
  char id[RT_SENSORS_ID_MAX]; /* "" when the slot is free */
  double sum;
  long count;
} dev_acc;

enum { DEV_SLOTS = 1024 };

static dev_acc *dev_find(dev_acc *tab, const char *id, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
  for (size_t s = h & (DEV_SLOTS - 1);; s = (s + 1) & (DEV_SLOTS - 1)) {
    if (!tab[s].id[0]) {
      memcpy(tab[s].id, id, n < RT_SENSORS_ID_MAX - 1 ? n : RT_SENSORS_ID_MAX - 1);
      return &tab[s];
    }
    if (strncmp(tab[s].id, id, n) == 0 && tab[s].id[n] == 0)
      return &tab[s];
  }
}

/* ---- the three contestants ------------------------------------------------- */

static void emit_drop(void *ctx, rt_result_kind kind, rt_result *res, rt_result *chart) {
  size_t *rows = ctx;
  *rows += rt_result_nrows(res);
  rt_result_free(&res);
  rt_result_free(&chart);
}

static size_t run_eddy(const char *text, size_t len, long *rss_added_kb) {
  dsl_program *prog = NULL;
  rt_err err;
  if (dsl_parse(QUERY, strlen(QUERY), &prog, &err) < 0) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  const dsl_query *q = &prog->stmts[0].u.query;
  dsl_stage_ref refs[8];
  for (int i = 0; i < q->nstages; i++)
    refs[i] = (dsl_stage_ref){&q->stages[i], prog->src};
  dsl_chain chain = {&q->source, prog->src, refs, q->nstages};
  dsl_plan *plan = NULL;
  if (dsl_compile(&chain, &q->output, prog->src, &plan, &err) < 0) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  rt_pipeline *p = rt_pipeline_new(plan, &err);
  rt_source *src = rt_src_lines_open(text, len);
  rt_batch *b = rt_batch_new(rt_pipeline_ncols(p));
  size_t rows = 0;
  int64_t now = rt_wall_ms();
  for (int rc = RT_SOURCE_MORE; rc == RT_SOURCE_MORE;) {
    rt_batch_reset(b);
    rc = rt_source_poll(src, b, 8192, &err);
    rt_pipeline_batch(p, b, now, emit_drop, &rows);
  }
  rt_pipeline_finish(p, now, emit_drop, &rows);
  getrusage(RUSAGE_SELF, &ru1);
  *rss_added_kb = ru1.ru_maxrss - ru0.ru_maxrss;
  rt_batch_free(&b);
  rt_source_free(&src);
  rt_pipeline_free(&p);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
  return rows;
}

static size_t run_jansson(const char *text, size_t len) {
  dev_acc *tab = calloc(DEV_SLOTS, sizeof(*tab));
  size_t groups = 0;
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)((nl ? nl : end) - p);
    json_t *o = json_loadb(p, n, 0, NULL);
    p += n + 1;
    if (!o)
      continue;
    json_t *t = json_object_get(o, "temperature"), *d = json_object_get(o, "device_id");
    if (json_is_number(t) && json_is_string(d) && json_number_value(t) > 50) {
      dev_acc *a = dev_find(tab, json_string_value(d), json_string_length(d));
      groups += a->count == 0;
      a->sum += json_number_value(t);
      a->count++;
    }
    json_decref(o);
  }
  free(tab);
  return groups;
}

static size_t run_scanner(const char *text, size_t len) {
  dev_acc *tab = calloc(DEV_SLOTS, sizeof(*tab));
  size_t groups = 0;
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *t = strstr(p, "\"temperature\":"), *d = strstr(p, "\"device_id\":\"");
    p = nl ? nl + 1 : end;
    if (!t || !d || t > p || d > p)
      continue;
    double v = strtod(t + 14, NULL);
    if (v > 50) {
      const char *id = d + 13, *q = memchr(id, '"', (size_t)(p - id));
      dev_acc *a = dev_find(tab, id, q ? (size_t)(q - id) : 0);
      groups += a->count == 0;
      a->sum += v;
      a->count++;
    }
  }
  free(tab);
  return groups;
}

/* ---- timing ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (runs < 1 || runs > 50)
    runs = 5;
  size_t len;
  char *text = make_input(n, &len);
  printf("input: %zu sensor JSON lines, %.1f MB, %d runs each (median)\n", n, len / 1e6, runs);
  long rss[3];
  for (int k = 0; k < 3; k++) { /* memory at N/4, N/2, N: each run on a prefix */
    size_t part = len / (size_t)(4 >> k), cut = part;
    while (cut < len && text[cut - 1] != '\n')
      cut++;
    run_eddy(text, k == 2 ? len : cut, &rss[k]);
  }
  double te[50], tj[50], ts[50];
  size_t rows = 0, gj = 0, gs = 0;
  long dummy;
  for (int r = 0; r < runs; r++) {
    int64_t t0 = rt_mono_ns();
    rows = run_eddy(text, len, &dummy);
    int64_t t1 = rt_mono_ns();
    gj = run_jansson(text, len);
    int64_t t2 = rt_mono_ns();
    gs = run_scanner(text, len);
    int64_t t3 = rt_mono_ns();
    te[r] = (double)n / ((double)(t1 - t0) / 1e9);
    tj[r] = (double)n / ((double)(t2 - t1) / 1e9);
    ts[r] = (double)n / ((double)(t3 - t2) / 1e9);
  }
  double e = median(te, runs), j = median(tj, runs), s = median(ts, runs);
  printf("eddy     %8.2f M records/s  (%zu result rows)\n", e / 1e6, rows);
  printf("jansson  %8.2f M records/s  (%zu devices)\n", j / 1e6, gj);
  printf("scanner  %8.2f M records/s  (%zu devices)\n", s / 1e6, gs);
  printf("eddy / jansson = %.1fx   eddy / scanner = %.2fx\n", e / j, e / s);
  printf("memory added by the eddy run: %ld kB at N/4, %ld kB at N/2, %ld kB at N\n", rss[0],
         rss[1], rss[2]);
  rt_free(text);
  return 0;
}
