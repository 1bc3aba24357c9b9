/*
 * What checkpointing a shard's operator state costs per batch: the real
 * state of `file "-" | parse json | agg count(), avg(x) by key` fed 1k, 10k
 * and 100k keys (rt_pipeline_save), then rt_kin_ckpt_commit_shard into the
 * file store (temp file, fsync, rename) and into DynamoDB (chunks into
 * APP-state, one conditional switch, old chunks deleted), and
 * rt_kin_ckpt_load_shard back. Medians of several runs, wall time (the cost
 * is I/O). DynamoDB here is dynalite on loopback, a local stand-in: no
 * network latency, a Node.js server on the same 2 cores, so the figures
 * show the client's share and the number of calls, not AWS's latency.
 *
 *   state_checkpoint [runs] [dynamodb-url]
 *     runs          runs per figure (default 7)
 *     dynamodb-url  an endpoint to use; default: start dynalite with
 *                   `node tests/services/serve.js dynalite 0` (run from the
 *                   repository's root)
 */
#include "../tests/test_spawn.h"
#include "../tests/test_state_pipeline.h"
#include "rt_ddb_state.h"
#include "rt_kinesis_checkpoint.h"
#include "rt_mem.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_RUNS = 51 };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Starts dynalite through tests/services/serve.js; fills url, returns pid. */
static pid_t start_dynalite(char *url, size_t n, int *stdin_fd) {
  char *argv[] = {"node", "tests/services/serve.js", "dynalite", "0", NULL};
  pid_t pid;
  long port = spawn_with_port(argv, &pid, stdin_fd);
  if (port < 0)
    return -1;
  snprintf(url, n, "http://127.0.0.1:%ld", port);
  return pid;
}

typedef struct figures {
  double commit_ms, load_ms;
} figures;

/* Commits and loads state (len bytes) runs times through c; medians. */
static int measure(rt_kin_ckpt *c, const void *state, size_t len, int runs, figures *f) {
  double commit[MAX_RUNS], load[MAX_RUNS];
  rt_err err;
  for (int i = 0; i < runs; i++) {
    char seq[32];
    snprintf(seq, sizeof(seq), "%d", 1000 + i);
    double t0 = now_ms();
    if (rt_kin_ckpt_commit_shard(c, "shardId-000000000000", seq, state, len, &err) != 0) {
      fprintf(stderr, "commit: %s\n", err.msg);
      return -1;
    }
    double t1 = now_ms();
    char *got = NULL;
    void *st = NULL;
    size_t n = 0;
    if (rt_kin_ckpt_load_shard(c, "shardId-000000000000", &got, &st, &n, &err) != 0 ||
        n != len || memcmp(st, state, len) != 0) {
      fprintf(stderr, "load: %s\n", err.msg);
      return -1;
    }
    double t2 = now_ms();
    rt_free(got);
    rt_free(st);
    commit[i] = t1 - t0;
    load[i] = t2 - t1;
  }
  f->commit_ms = median(commit, runs);
  f->load_ms = median(load, runs);
  return 0;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 7;
  if (runs < 1 || runs > MAX_RUNS)
    runs = 7;
  char url[128];
  int stdin_fd = -1;
  pid_t pid = -1;
  if (argc > 2) {
    snprintf(url, sizeof(url), "%s", argv[2]);
  } else if ((pid = start_dynalite(url, sizeof(url), &stdin_fd)) < 0) {
    fprintf(stderr, "cannot start dynalite (run from the repository root, node installed)\n");
    return 1;
  }
  char dir[] = "/tmp/eddy-bench-state-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  rt_aws_config fcfg, dcfg;
  memset(&fcfg, 0, sizeof(fcfg));
  memset(&dcfg, 0, sizeof(dcfg));
  snprintf(dcfg.region, sizeof(dcfg.region), "us-east-1");
  snprintf(dcfg.dynamodb_endpoint, sizeof(dcfg.dynamodb_endpoint), "%s", url);
  dcfg.dynamodb_endpoint_set = 1;

  dsl_program *prog = NULL;
  dsl_plan *plan = NULL;
  rt_err err;
  if (state_pipeline_compile(&prog, &plan, &err) != 0) {
    fprintf(stderr, "compile: %s\n", err.msg);
    return 1;
  }
  printf("state checkpoint per batch, one shard, median of %d runs\n", runs);
  printf("query: %s\n", STATE_PIPELINE_QUERY);
  printf("DynamoDB: dynalite at %s, a local stand-in (loopback, no network latency)\n", url);
  printf("%8s %10s %7s %9s | %12s %10s | %12s %10s\n", "groups", "bytes", "chunks", "save ms",
         "file commit", "file load", "ddb commit", "ddb load");
  const int groups[] = {1000, 10000, 100000};
  int rc = 0;
  for (size_t g = 0; rc == 0 && g < sizeof(groups) / sizeof(groups[0]); g++) {
    rt_pipeline *p = state_pipeline_fed(plan, groups[g], &err);
    double save[MAX_RUNS];
    rt_buf st;
    rt_buf_init(&st, 0);
    for (int i = 0; p && i < runs; i++) {
      rt_buf_clear(&st);
      double t0 = now_ms();
      rc = rt_pipeline_save(p, &st);
      save[i] = now_ms() - t0;
    }
    rt_pipeline_free(&p);
    char app[64];
    snprintf(app, sizeof(app), "bench-%d", groups[g]);
    rt_kin_ckpt *fc = NULL, *dc = NULL;
    figures ff = {0, 0}, df = {0, 0};
    rc = rc ? rc : rt_kin_ckpt_open_as(&fcfg, app, "s", dir, "bench:v1", &fc, &err);
    rc = rc ? rc : measure(fc, st.data, st.len, runs, &ff);
    rc = rc ? rc : rt_kin_ckpt_open_as(&dcfg, app, "s", NULL, "bench:v1", &dc, &err);
    rc = rc ? rc : measure(dc, st.data, st.len, runs, &df);
    if (rc == 0)
      printf("%8d %10zu %7zu %9.2f | %9.2f ms %7.2f ms | %9.2f ms %7.2f ms\n", groups[g], st.len,
             (st.len + RT_DDB_STATE_CHUNK - 1) / RT_DDB_STATE_CHUNK, median(save, runs),
             ff.commit_ms, ff.load_ms, df.commit_ms, df.load_ms);
    else
      fprintf(stderr, "failed at %d groups: %s\n", groups[g], err.msg);
    rt_kin_ckpt_free(&fc);
    rt_kin_ckpt_free(&dc);
    char path[300];
    snprintf(path, sizeof(path), "%s/%s.s.checkpoint.json", dir, app);
    unlink(path);
    rt_buf_free(&st);
  }
  rmdir(dir);
  dsl_plan_free(&plan);
  dsl_program_free(&prog);
  if (pid > 0) {
    close(stdin_fd);
    waitpid(pid, NULL, 0);
  }
  return rc ? 1 : 0;
}
