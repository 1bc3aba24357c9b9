/*
 * eddy run FILE.eddy: runs a program headless. Statements run in order as
 * in a notebook cell; window results are printed as aligned text as windows
 * close; the command returns once every query has ended (its sources ended,
 * or `for D` passed), or after Ctrl-C (SIGINT/SIGTERM), which stops the
 * queries cleanly so their open windows are closed and printed.
 *
 * Exit status: 0 when the program ran (also after Ctrl-C), 1 when a query
 * failed at run time, 2 on bad usage or a program that does not compile
 * (printed with its line, column and a caret).
 */
#include "cli.h"

#include "rt_log.h"
#include "rt_mem.h"
#include "rt_result.h"
#include "rt_runtime.h"
#include "rt_time.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_ctx {
  pthread_mutex_t out_mu; /* one query prints at a time */
  atomic_int failed;      /* a query failed */
  atomic_bool done;       /* the signal thread may exit */
  rt_runtime *rt;         /* the session */
  bool verbose;           /* --verbose: the AWS configuration first */
} run_ctx;

static void print_update(void *ud, const rt_query_info *q, const rt_update *u) {
  run_ctx *c = ud;
  rt_buf b;
  rt_buf_init(&b, 0);
  char s[RT_TIME_ISO_MS_LEN], e[RT_TIME_ISO_MS_LEN];
  if (u->kind == RT_RESULT_WINDOW)
    rt_buf_printf(&b, "window %s - %s%s\n", rt_time_format_ms(u->window_start, s),
                  rt_time_format_ms(u->window_end, e), u->partial ? " (partial)" : "");
  else if (u->kind == RT_RESULT_RUNNING)
    rt_buf_printf(&b, "totals%s\n", u->final ? " (final)" : "");
  if (q->output->kind == RT_OUT_TABLE || q->output->kind == RT_OUT_CHART) {
    size_t lim = q->output->table_limit > 0 ? (size_t)q->output->table_limit : 0;
    rt_result_format_text(u->result, lim, &b);
  } else {
    rt_buf_printf(&b, "%zu rows written to %s\n", rt_result_nrows(u->result),
                  q->output->path ? q->output->path : "the output");
  }
  rt_buf_puts(&b, "\n");
  pthread_mutex_lock(&c->out_mu);
  fwrite(b.data, 1, b.len, stdout);
  fflush(stdout);
  pthread_mutex_unlock(&c->out_mu);
  rt_buf_free(&b);
}

static void print_end(void *ud, const rt_query_info *q, const rt_query_stats *st,
                      const rt_err *err) {
  run_ctx *c = ud;
  pthread_mutex_lock(&c->out_mu);
  if (err) {
    atomic_store(&c->failed, 1);
    fprintf(stderr, "eddy run: query %llu (%s) failed: %s\n", (unsigned long long)q->id,
            q->source, err->msg);
  }
  if (st->bad || st->late)
    fprintf(stderr, "eddy run: query %llu: %llu records, %llu bad, %llu late\n",
            (unsigned long long)q->id, (unsigned long long)st->records_in,
            (unsigned long long)st->bad, (unsigned long long)st->late);
  if (st->cred_renewals)
    fprintf(stderr, "eddy run: query %llu: AWS credentials renewed %llu times%s\n",
            (unsigned long long)q->id, (unsigned long long)st->cred_renewals,
            st->cred_failing ? " (the last renewal failed; see above)" : "");
  if (st->throttled || st->retried)
    fprintf(stderr, "eddy run: query %llu: %llu calls throttled, %llu retried after errors\n",
            (unsigned long long)q->id, (unsigned long long)st->throttled,
            (unsigned long long)st->retried);
  pthread_mutex_unlock(&c->out_mu);
}

static void print_text(void *ud, const char *text) {
  run_ctx *c = ud;
  pthread_mutex_lock(&c->out_mu);
  fputs(text, stdout);
  fflush(stdout);
  pthread_mutex_unlock(&c->out_mu);
}

/* Waits for SIGINT/SIGTERM (blocked in every other thread) and stops the
 * queries; exits when the run is over. */
static void *signal_main(void *arg) {
  run_ctx *c = arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  struct timespec tick = {0, 100 * 1000 * 1000};
  while (!atomic_load(&c->done)) {
    if (sigtimedwait(&set, NULL, &tick) > 0) {
      fprintf(stderr, "eddy run: stopping\n");
      rt_runtime_stop(c->rt, 0);
    }
  }
  return NULL;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  rt_buf b;
  rt_buf_init(&b, 16 * 1024 * 1024);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
    if (rt_buf_append(&b, chunk, n) < 0)
      break;
  fclose(f);
  return rt_buf_take(&b, len);
}

static int usage(void) {
  fprintf(stderr, "usage: eddy run FILE.eddy [--verbose] [--set NAME=VALUE ...]\n"
                  "  runs the program until its sources end or Ctrl-C; prints results\n"
                  "  --verbose: print the AWS profile, region, endpoints and where the\n"
                  "  credentials come from (as %%aws) on stderr before running\n");
  return 2;
}

/* Applies --set NAME=VALUE options (and notes --verbose); returns 0 or 2. */
static int apply_sets(run_ctx *c, int argc, char **argv) {
  rt_runtime *rt = c->rt;
  for (int i = 2; i < argc; i += 2) { /* pairs: --set NAME=VALUE */
    if (strcmp(argv[i], "--verbose") == 0) {
      c->verbose = true;
      i--;
      continue;
    }
    char *eq = i + 1 < argc && strcmp(argv[i], "--set") == 0 ? strchr(argv[i + 1], '=') : NULL;
    if (!eq)
      return usage();
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i + 1]), argv[i + 1]);
    rt_err err;
    if (rt_runtime_set(rt, name, eq + 1, &err) < 0) {
      fprintf(stderr, "eddy run: %s\n", err.msg);
      return 2;
    }
  }
  return 0;
}

/* --verbose: what %aws shows, on stderr, before anything runs. */
static void print_aws(run_ctx *c) {
  rt_buf b;
  rt_buf_init(&b, 0);
  rt_err err;
  rt_err_clear(&err);
  if (rt_runtime_aws(c->rt, &b, &err) == 0)
    fprintf(stderr, "eddy run: AWS\n%s", b.data ? b.data : "");
  else
    fprintf(stderr, "eddy run: AWS configuration: %s\n", err.msg);
  rt_buf_free(&b);
}

static int run_program(run_ctx *c, const char *path, const char *src, size_t len) {
  rt_output_ops ops = {.on_update = print_update, .on_end = print_end};
  rt_exec_opts eo = {.cell = "main", .ops = &ops, .ud = c, .on_text = print_text};
  rt_err err;
  rt_err_clear(&err);
  int rc = rt_runtime_exec(c->rt, src, len, &eo, &err);
  if (rc == RT_ESYNTAX || rc == RT_ETYPE || (rc < 0 && err.line > 0)) {
    char msg[2048];
    rt_err_render(&err, src, msg, sizeof(msg));
    fprintf(stderr, "%s: %s\n", path, msg);
    return rc == RT_ESYNTAX || rc == RT_ETYPE ? 2 : 1;
  }
  rt_runtime_wait(c->rt, 0, -1);
  if (rc < 0 && rc != RT_EINTR && !atomic_load(&c->failed)) { /* else print_end said it */
    fprintf(stderr, "eddy run: %s\n", err.msg);
    return 1;
  }
  return atomic_load(&c->failed) ? 1 : 0;
}

int cli_run(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-')
    return usage();
  size_t len;
  char *src = read_file(argv[1], &len);
  if (!src) {
    fprintf(stderr, "eddy run: cannot read %s\n", argv[1]);
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  run_ctx c = {.rt = rt_runtime_new()};
  pthread_mutex_init(&c.out_mu, NULL);
  int status = apply_sets(&c, argc, argv);
  if (status == 0 && c.verbose)
    print_aws(&c);
  pthread_t sig;
  bool sig_started = status == 0 && pthread_create(&sig, NULL, signal_main, &c) == 0;
  if (status == 0)
    status = run_program(&c, argv[1], src, len);
  rt_runtime_free(&c.rt);
  atomic_store(&c.done, true);
  if (sig_started)
    pthread_join(sig, NULL);
  pthread_mutex_destroy(&c.out_mu);
  rt_free(src);
  return status;
}
