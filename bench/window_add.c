/*
 * Micro-benchmark of the window operator alone: add() throughput and
 * emission cost for `window 5m every 10s | agg avg(temperature), count(),
 * p95(temperature) by device_id` (30 panes per window), at several device
 * counts, with event times advancing at a fixed rate. The pipeline's target
 * is 4+ M records/s per core end to end, so add() must be well above that.
 * Times are thread CPU time.
 *
 *   window_add [records]     (default 5,000,000 per device count)
 */
#include "rt_window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Thread CPU time, so other load on a shared machine skews less than wall
 * time would. */
static int64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void drop_result(void *ctx, rt_result *res) {
  (*(size_t *)ctx) += rt_result_nrows(res);
  rt_result_free(&res);
}

static uint64_t next_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void run(int devices, long records) {
  rt_agg_spec specs[] = {{RT_AGG_AVG, 0}, {RT_AGG_COUNT, -1}, {RT_AGG_P95, 0}};
  const char *key_names[] = {"device_id"};
  rt_window_opts o = {.kind = RT_WINDOW_SLIDING, .size_ms = 300000, .slide_ms = 10000,
                      .event_time = true, .nkeys = 1, .key_names = key_names,
                      .naggs = 3, .aggs = specs};
  rt_window *w = rt_window_new(&o, NULL);
  char (*names)[24] = calloc((size_t)devices, sizeof(*names));
  rt_value *keys = calloc((size_t)devices, sizeof(*keys));
  for (int d = 0; d < devices; d++) {
    snprintf(names[d], sizeof(names[d]), "device-%06d", d);
    keys[d] = rt_string(names[d], strlen(names[d]));
  }
  const long per_batch = 20000; /* one batch = 1 s of event time */
  uint64_t seed = 7;
  int64_t t0 = 1763632800000, add_ns = 0, emit_ns = 0;
  size_t rows = 0;
  int windows = 0;
  for (long i = 0; i < records; i += per_batch) {
    int64_t a = cpu_ns();
    for (long j = i; j < i + per_batch; j++) {
      rt_value arg = rt_number((double)(next_rand(&seed) % 1000) / 10);
      rt_window_add(w, &keys[next_rand(&seed) % (uint64_t)devices], &arg,
                    t0 + j * 1000 / per_batch);
    }
    int64_t b = cpu_ns();
    windows += rt_window_advance(w, 0, drop_result, &rows);
    emit_ns += cpu_ns() - b;
    add_ns += b - a;
  }
  rt_window_stats st;
  rt_window_get_stats(w, &st);
  printf("devices=%-6d add %6.2f M rec/s   emit %8.2f ms/window   live groups %zu\n",
         devices, (double)records / (double)add_ns * 1e3,
         windows ? (double)emit_ns / 1e6 / windows : 0.0, st.groups);
  rt_window_free(&w);
  free(names);
  free(keys);
}

int main(int argc, char **argv) {
  long records = argc > 1 ? atol(argv[1]) : 5000000;
  int counts[] = {10, 100, 1000, 10000};
  for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
    run(counts[i], records);
  return 0;
}
