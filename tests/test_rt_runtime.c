/* Tests of the session API (rt_runtime): cells, lets across cells, errors
 * that reject a whole cell, settings, background queries, %queries, prompt
 * stops and interrupts, re-running a cell, and the runtime's magics. */
#include "rt_clock.h"
#include "rt_runtime.h"
#include "rt_time.h"
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define DATA EDDY_TEST_DATA "/data/events.jsonl"

typedef struct sink {
  pthread_mutex_t mu;
  int starts, updates, ends;
  rt_query_state last_state;
  rt_buf last;          /* the last update: its window, then its rows as text */
  rt_buf text;          /* on_text output */
} sink;

static void on_start(void *ud, const rt_query_info *q) {
  sink *s = ud;
  pthread_mutex_lock(&s->mu);
  s->starts++;
  pthread_mutex_unlock(&s->mu);
}

static void on_update(void *ud, const rt_query_info *q, const rt_update *u) {
  sink *s = ud;
  pthread_mutex_lock(&s->mu);
  s->updates++;
  rt_buf_clear(&s->last);
  char a[RT_TIME_ISO_MS_LEN], b[RT_TIME_ISO_MS_LEN];
  if (u->kind == RT_RESULT_WINDOW)
    rt_buf_printf(&s->last, "window %s - %s\n", rt_time_format_ms(u->window_start, a),
                  rt_time_format_ms(u->window_end, b));
  rt_result_format_text(u->result, 0, &s->last);
  pthread_mutex_unlock(&s->mu);
}

static void on_end(void *ud, const rt_query_info *q, const rt_query_stats *st, const rt_err *e) {
  sink *s = ud;
  pthread_mutex_lock(&s->mu);
  s->ends++;
  s->last_state = st->state;
  pthread_mutex_unlock(&s->mu);
}

static void on_text(void *ud, const char *text) { rt_buf_puts(&((sink *)ud)->text, text); }

static const rt_output_ops OPS = {.on_start = on_start, .on_update = on_update, .on_end = on_end};

static void sink_init(sink *s) {
  memset(s, 0, sizeof(*s));
  pthread_mutex_init(&s->mu, NULL);
  rt_buf_init(&s->text, 0);
  rt_buf_init(&s->last, 0);
}

static void sink_free(sink *s) {
  rt_buf_free(&s->last);
  rt_buf_free(&s->text);
  pthread_mutex_destroy(&s->mu);
}

static int exec(rt_runtime *rt, const char *cell, const char *src, sink *s, rt_err *err) {
  rt_exec_opts o = {.cell = cell, .ops = &OPS, .ud = s, .on_text = on_text};
  rt_err_clear(err);
  return rt_runtime_exec(rt, src, strlen(src), &o, err);
}

static void test_bounded_query(void) {
  rt_runtime *rt = rt_runtime_new();
  sink s;
  sink_init(&s);
  rt_err err;
  ASSERT_EQ(exec(rt, "c1", "file \"" DATA "\" | parse json | window 30s on ts\n"
                           "| agg count() as n by device_id | sort device_id", &s, &err), 0);
  ASSERT_EQ(s.starts, 1);
  ASSERT_EQ(s.ends, 1);
  ASSERT_EQ(s.last_state, RT_QUERY_DONE);
  ASSERT_EQ(s.updates, 4);
  ASSERT(strstr(s.last.data, "window 2026-11-20T10:01:30.000Z - 2026-11-20T10:02:00.000Z"));
  ASSERT(strstr(s.last.data, "device_id"));
  ASSERT_EQ(rt_runtime_list(rt, NULL, 0), 0);
  rt_runtime_free(&rt);
  sink_free(&s);
}

static void test_lets_across_cells(void) {
  rt_runtime *rt = rt_runtime_new();
  sink s;
  sink_init(&s);
  rt_err err;
  ASSERT_EQ(exec(rt, "a", "let hot = file \"" DATA "\" | parse json | where temperature > 50",
                 &s, &err), 0);
  ASSERT_EQ(s.starts, 0);
  ASSERT_EQ(exec(rt, "b", "let hotter = hot | where temperature > 85", &s, &err), 0);
  ASSERT_EQ(exec(rt, "c", "hotter | agg count() as n", &s, &err), 0);
  ASSERT_EQ(s.ends, 1);
  ASSERT(strstr(s.last.data, "\n2\n")); /* 85.25 and 90.5 */
  /* an unknown let: the span points at the name */
  ASSERT_EQ(exec(rt, "d", "cold | agg count()", &s, &err), RT_ETYPE);
  ASSERT_EQ(err.line, 1);
  ASSERT_EQ(err.col, 1);
  ASSERT_EQ(err.len, 4);
  ASSERT(strstr(err.msg, "cold"));
  rt_runtime_free(&rt);
  sink_free(&s);
}

static void test_bad_cell_runs_nothing(void) {
  rt_runtime *rt = rt_runtime_new();
  sink s;
  sink_init(&s);
  rt_err err;
  const char *cell = "file \"" DATA "\" | parse json | agg count()\n"
                     "file \"" DATA "\" | select nosuch\n";
  ASSERT_EQ(exec(rt, "x", cell, &s, &err), RT_ETYPE);
  ASSERT_EQ(s.starts, 0);
  ASSERT_EQ(err.line, 2);
  char out[1024];
  rt_err_render(&err, cell, out, sizeof(out));
  ASSERT(strstr(out, "^^^^^^"));
  /* a missing file fails when the query starts */
  ASSERT_EQ(exec(rt, "x", "file \"/nonexistent/x.jsonl\" | parse json", &s, &err), RT_EIO);
  ASSERT(strstr(err.msg, "/nonexistent/x.jsonl"));
  rt_runtime_free(&rt);
  sink_free(&s);
}

static void test_settings(void) {
  rt_runtime *rt = rt_runtime_new();
  rt_err err;
  char v[64];
  ASSERT_EQ(rt_runtime_set(rt, "batch", "200ms", &err), 0);
  ASSERT_EQ(rt_runtime_get(rt, "batch", v, sizeof(v)), 0);
  ASSERT_STR_EQ(v, "200ms");
  ASSERT_EQ(rt_runtime_set(rt, "batch", "50ms", &err), RT_EINVAL);
  /* the language's duration rule: whole milliseconds, never truncated */
  ASSERT_EQ(rt_runtime_set(rt, "batch", "150.5ms", &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "a duration must be a whole number of milliseconds"));
  ASSERT_EQ(rt_runtime_set(rt, "batch", "1.001s", &err), 0);
  ASSERT_EQ(rt_runtime_get(rt, "batch", v, sizeof(v)), 0);
  ASSERT_STR_EQ(v, "1001ms");
  ASSERT_EQ(rt_runtime_set(rt, "batch", "200", &err), 0); /* no unit: ms */
  ASSERT_EQ(rt_runtime_set(rt, "refresh", "soon", &err), RT_EINVAL);
  ASSERT_EQ(rt_runtime_set(rt, "region", "\"eu-west-1\"", &err), 0);
  ASSERT_EQ(rt_runtime_get(rt, "region", v, sizeof(v)), 0);
  ASSERT_STR_EQ(v, "eu-west-1");
  ASSERT_EQ(rt_runtime_get(rt, "role", v, sizeof(v)), 0);
  ASSERT_STR_EQ(v, "worker");
  ASSERT_EQ(rt_runtime_set(rt, "role", "watcher", &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "role wants worker (read shards and merge) or observer"));
  ASSERT_EQ(rt_runtime_set(rt, "role", "observer", &err), 0);
  ASSERT_EQ(rt_runtime_get(rt, "role", v, sizeof(v)), 0);
  ASSERT_STR_EQ(v, "observer");
  ASSERT_EQ(rt_runtime_set(rt, "colour", "red", &err), RT_ENOTFOUND);
  ASSERT(strstr(err.msg, "unknown setting colour (settings: batch, refresh,"));
  ASSERT_EQ(rt_runtime_get(rt, "colour", v, sizeof(v)), RT_ENOTFOUND);
  sink s;
  sink_init(&s);
  ASSERT_EQ(exec(rt, "m", "%set refresh 2s", &s, &err), 0);
  ASSERT(strstr(s.text.data, "refresh = 2000ms"));
  ASSERT(exec(rt, "m", "%set batch 1ms", &s, &err) < 0);
  /* an observer watches an application's merged windows: a query without
   * any is refused, saying what it needs */
  ASSERT_EQ(exec(rt, "m", "%set dynamodb_endpoint \"http://127.0.0.1:1\"", &s, &err), 0);
  ASSERT(exec(rt, "o", "kinesis \"s\" as \"app\" | parse json", &s, &err) < 0);
  ASSERT(strstr(err.msg, "role observer shows the merged result of an application's workers"));
  rt_runtime_free(&rt);
  sink_free(&s);
}

/* A caller's setting, kept by the caller and served by %set. */
static int ring_set(void *ud, const char *v, rt_err *err) {
  if (strcmp(v, "7") != 0)
    return rt_err_set(err, RT_EINVAL, "ring wants 7, not %s", v);
  *(int *)ud = 7;
  return 0;
}

static void ring_get(void *ud, char *out, size_t outsz) { snprintf(out, outsz, "%d", *(int *)ud); }

/* on_magic sees names and strings; it takes %queries and leaves the rest. */
typedef struct magic_seen {
  sink s;
  char names[256];
  char args[256];
} magic_seen;

static int take_queries(void *ud, const rt_magic *m, rt_err *err) {
  magic_seen *ms = ud;
  snprintf(ms->names + strlen(ms->names), sizeof(ms->names) - strlen(ms->names), "%s;", m->name);
  for (int i = 0; i < m->nargs; i++)
    snprintf(ms->args + strlen(ms->args), sizeof(ms->args) - strlen(ms->args), "[%s]",
             m->args[i]);
  if (strcmp(m->name, "queries") == 0) {
    rt_buf_puts(&ms->s.text, "(the caller's queries table)\n");
    return 1;
  }
  return 0;
}

static void on_text_seen(void *ud, const char *text) { rt_buf_puts(&((magic_seen *)ud)->s.text, text); }

static void test_magics_served_by_the_runtime(void) {
  rt_runtime *rt = rt_runtime_new();
  int ring = 3;
  rt_setting_ext ext = {"ring", "a caller's setting", ring_set, ring_get, &ring};
  ASSERT_EQ(rt_runtime_add_setting(rt, &ext), 0);
  ASSERT_EQ(rt_runtime_add_setting(rt, &ext), RT_EEXIST);
  rt_setting_ext clash = {"batch", "taken", ring_set, ring_get, &ring};
  ASSERT_EQ(rt_runtime_add_setting(rt, &clash), RT_EEXIST);
  magic_seen ms = {0};
  sink_init(&ms.s);
  rt_exec_opts o = {.cell = "m", .ops = &OPS, .ud = &ms, .on_text = on_text_seen,
                    .on_magic = take_queries};
  rt_err err;
  const char *cell = "%set\n%set ring 7\n%help window\n%queries\n%stop all\n%set region us-east-1";
  ASSERT_EQ(rt_runtime_exec(rt, cell, strlen(cell), &o, &err), 0);
  ASSERT_STR_EQ(ms.names, "set;set;help;queries;stop;set;");
  ASSERT_STR_EQ(ms.args, "[ring][7][window][all][region][us-east-1]");
  ASSERT_EQ(ring, 7);
  const char *t = ms.s.text.data;
  ASSERT(strstr(t, "ring               3                          a caller's setting\n"));
  ASSERT(strstr(t, "batch              1000ms"));
  ASSERT(strstr(t, "ring = 7\n"));
  ASSERT(strstr(t, "window D [every S]"));
  ASSERT(strstr(t, "(the caller's queries table)\n"));
  ASSERT(strstr(t, "No queries are running; nothing to stop.\n"));
  ASSERT(strstr(t, "region = us-east-1\n"));
  /* errors point at the faulty word */
  const char *bad = "%set ring 8";
  ASSERT_EQ(rt_runtime_exec(rt, bad, strlen(bad), &o, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "ring wants 7, not 8"));
  ASSERT_EQ(err.col, 11);
  bad = "%set colour red";
  ASSERT_EQ(rt_runtime_exec(rt, bad, strlen(bad), &o, &err), RT_EINVAL);
  ASSERT_EQ(err.col, 6);
  bad = "%help nosuchword";
  ASSERT_EQ(rt_runtime_exec(rt, bad, strlen(bad), &o, &err), RT_ENOTFOUND);
  ASSERT(strstr(err.msg, "no help for `nosuchword`"));
  bad = "%create s shards 0";
  ASSERT_EQ(rt_runtime_exec(rt, bad, strlen(bad), &o, &err), RT_ESYNTAX);
  ASSERT(strstr(err.msg, "a whole number from 1 to 10000"));
  /* without an on_magic, %queries is the runtime's text */
  rt_buf_clear(&ms.s.text);
  o.on_magic = NULL;
  ASSERT_EQ(rt_runtime_exec(rt, "%queries", 8, &o, &err), 0);
  ASSERT_STR_EQ(ms.s.text.data, "No queries are running.\n");
  rt_runtime_free(&rt);
  sink_free(&ms.s);
}

/* %aws shows where requests go and where credentials come from, never a secret. */
static void test_aws_magic(void) {
  setenv("AWS_ACCESS_KEY_ID", "AKIAMAGICTEST", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "never-shown-secret", 1);
  setenv("AWS_SESSION_TOKEN", "never-shown-token", 1);
  rt_runtime *rt = rt_runtime_new();
  sink s;
  sink_init(&s);
  rt_err err;
  ASSERT_EQ(exec(rt, "a", "%set region eu-north-1\n%set endpoint \"http://127.0.0.1:4567\"\n%aws",
                 &s, &err), 0);
  ASSERT(strstr(s.text.data, "region       eu-north-1\n") != NULL);
  ASSERT(strstr(s.text.data, "kinesis      http://127.0.0.1:4567\n") != NULL);
  ASSERT(strstr(s.text.data, "sts          ") != NULL);
  ASSERT(strstr(s.text.data, "credentials  environment\n") != NULL);
  ASSERT(strstr(s.text.data, "never-shown") == NULL);
  rt_buf b;
  rt_buf_init(&b, 0);
  ASSERT_EQ(rt_runtime_aws(rt, &b, &err), 0); /* what `eddy run --verbose` prints */
  ASSERT(strstr(b.data, "profile      ") != NULL && strstr(b.data, "never-shown") == NULL);
  rt_buf_free(&b);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  rt_runtime_free(&rt);
  sink_free(&s);
}

/* Real time a query may take to do what its clock asks: only a hung
 * query runs out of it, a slow machine never does. */
#define PATIENCE_MS 30000

static void test_background_list_and_stop(void) {
  rt_manual_clock *m = rt_manual_clock_new(0, 1764000000000LL);
  rt_runtime *rt = rt_runtime_new();
  rt_runtime_set_clock(rt, rt_manual_clock_get(m));
  sink s;
  sink_init(&s);
  rt_err err;
  rt_runtime_set(rt, "batch", "100ms", &err);
  ASSERT_EQ(exec(rt, "live", "demo sensors rate 500 | window 1s | agg count() by device_id",
                 &s, &err), 0);
  for (int i = 0; i < 4; i++) {
    rt_manual_clock_advance(m, 100);
    ASSERT_EQ(rt_manual_clock_settle(m, 1, PATIENCE_MS), 0);
  }
  rt_query_row rows[4];
  ASSERT_EQ(rt_runtime_list(rt, rows, 4), 1);
  ASSERT_EQ(rows[0].id, 1);
  ASSERT_STR_EQ(rows[0].cell, "live");
  ASSERT_EQ(rows[0].stats.records_in, 201); /* 500/s for 0.4 s, and record 0 */
  ASSERT_EQ(exec(rt, "q", "%queries", &s, &err), 0);
  ASSERT(strstr(s.text.data, "demo sensors"));
  ASSERT_EQ(exec(rt, "q", "%stop 1", &s, &err), 0);
  /* the stop ends it without the clock moving: it never waits for time */
  ASSERT_EQ(rt_runtime_wait(rt, 0, PATIENCE_MS), 0);
  ASSERT_EQ(s.ends, 1);
  ASSERT_EQ(s.last_state, RT_QUERY_STOPPED);
  ASSERT_EQ(exec(rt, "q", "%stop 42", &s, &err), RT_ENOTFOUND);
  rt_runtime_free(&rt);
  rt_manual_clock_free(&m);
  sink_free(&s);
}

typedef struct interrupter {
  rt_runtime *rt;
  rt_manual_clock *m;
  atomic_int stopped;
} interrupter;

/* Interrupts the cell once its query has read a second of records. */
static void *interrupt_later(void *arg) {
  interrupter *in = arg;
  for (int i = 0; i < 10; i++) {
    ASSERT_EQ(rt_manual_clock_settle(in->m, 1, PATIENCE_MS), 0);
    rt_manual_clock_advance(in->m, 100);
  }
  ASSERT_EQ(rt_manual_clock_settle(in->m, 1, PATIENCE_MS), 0);
  atomic_store(&in->stopped, rt_runtime_stop_cell(in->rt, "slow"));
  return NULL;
}

static void test_interrupt_waiting_cell(void) {
  rt_manual_clock *m = rt_manual_clock_new(0, 1764000000000LL);
  rt_runtime *rt = rt_runtime_new();
  rt_runtime_set_clock(rt, rt_manual_clock_get(m));
  sink s;
  sink_init(&s);
  rt_err err;
  rt_runtime_set(rt, "batch", "100ms", &err);
  interrupter in = {.rt = rt, .m = m};
  pthread_t th;
  pthread_create(&th, NULL, interrupt_later, &in);
  /* bounded (limit), but would take 100 s of clock time, which only moves
   * 1 s: exec returns only because it is interrupted */
  ASSERT_EQ(exec(rt, "slow", "demo sensors rate 10 limit 1000 | agg count() as n", &s, &err),
            RT_EINTR);
  pthread_join(th, NULL);
  ASSERT_EQ(atomic_load(&in.stopped), 1);
  ASSERT_EQ(s.ends, 1);
  ASSERT(s.updates >= 1); /* the final totals */
  rt_runtime_free(&rt);
  rt_manual_clock_free(&m);
  sink_free(&s);
}

/* The caller's interrupted() says yes on its third question. */
static bool interrupted_on_third_ask(void *ud) { return ++*(int *)ud >= 3; }

static void test_interrupt_callback(void) {
  rt_manual_clock *m = rt_manual_clock_new(0, 1764000000000LL);
  rt_runtime *rt = rt_runtime_new();
  rt_runtime_set_clock(rt, rt_manual_clock_get(m)); /* standing still: never ends alone */
  rt_err err;
  int asked = 0;
  rt_exec_opts o = {.cell = "slow", .ud = &asked, .interrupted = interrupted_on_third_ask};
  const char *cell = "demo sensors rate 10 limit 1000 | agg count() as n";
  ASSERT_EQ(rt_runtime_exec(rt, cell, strlen(cell), &o, &err), RT_EINTR);
  ASSERT_EQ(asked, 3);
  rt_runtime_free(&rt);
  rt_manual_clock_free(&m);
}

static void test_rerun_replaces_and_free_stops(void) {
  rt_runtime *rt = rt_runtime_new();
  sink s;
  sink_init(&s);
  rt_err err;
  ASSERT_EQ(exec(rt, "c", "demo sensors rate 100 | where temperature > 0", &s, &err), 0);
  ASSERT_EQ(exec(rt, "c", "demo sensors rate 100 | where temperature > 0", &s, &err), 0);
  rt_query_row rows[4];
  ASSERT_EQ(rt_runtime_list(rt, rows, 4), 1);
  ASSERT_EQ(rows[0].id, 2);
  ASSERT_EQ(exec(rt, "d", "demo sensors | where temperature > 0", &s, &err), 0);
  ASSERT_EQ(rt_runtime_list(rt, rows, 4), 2);
  rt_runtime_free(&rt); /* stops both */
  ASSERT_EQ(s.ends, 3);
  sink_free(&s);
}

static void test_into_file(void) {
  char path[64];
  snprintf(path, sizeof(path), "/tmp/eddy_rt_runtime_%d.jsonl", (int)getpid());
  unlink(path);
  char cell[512];
  snprintf(cell, sizeof(cell), "file \"" DATA "\" | parse json | where temperature > 85\n"
                               "| select device_id, temperature | into file \"%s\"", path);
  rt_runtime *rt = rt_runtime_new();
  sink s;
  sink_init(&s);
  rt_err err;
  ASSERT_EQ(exec(rt, "f", cell, &s, &err), 0);
  ASSERT_EQ(exec(rt, "f", cell, &s, &err), 0); /* appends */
  FILE *f = fopen(path, "r");
  ASSERT(f);
  char line[256];
  int n = 0;
  while (fgets(line, sizeof(line), f))
    n++;
  fclose(f);
  ASSERT_EQ(n, 4);
  unlink(path);
  rt_runtime_free(&rt);
  sink_free(&s);
}

/* Writes n records with distinct ids to a file; returns its path (static). */
static const char *unique_ids_file(int n) {
  static char path[64];
  snprintf(path, sizeof(path), "/tmp/eddy_rt_budget_%d.jsonl", (int)getpid());
  FILE *f = fopen(path, "w");
  ASSERT(f);
  for (int i = 0; i < n; i++)
    fprintf(f, "{\"id\":\"user-%06d\",\"v\":%d}\n", i, i % 7);
  fclose(f);
  return path;
}

/* A query whose state has no bound stops at its budget with an error that
 * names the operator; the session and its other queries go on. */
static void test_memory_budget(void) {
  const char *path = unique_ids_file(50000);
  char agg[256], dedup[256];
  snprintf(agg, sizeof(agg), "file \"%s\" | parse json | agg count() as n by id", path);
  snprintf(dedup, sizeof(dedup), "file \"%s\" | parse json | dedup id | agg count() as n", path);
  rt_runtime *rt = rt_runtime_new();
  sink live, s;
  sink_init(&live);
  sink_init(&s);
  rt_err err;
  char v[32];
  ASSERT_EQ(rt_runtime_get(rt, "memory", v, sizeof(v)), 0);
  ASSERT_STR_EQ(v, "1 GB"); /* the documented default */
  ASSERT_EQ(exec(rt, "live", "demo sensors rate 200 | window 1s | agg count() by device_id",
                 &live, &err), 0);
  ASSERT_EQ(exec(rt, "m", "%set memory 1MB", &s, &err), 0);
  ASSERT_EQ(exec(rt, "a", agg, &s, &err), RT_EMEMORY);
  ASSERT(strncmp(err.msg, "its state holds ", 16) == 0);
  ASSERT(strstr(err.msg, "over its memory budget of 1 MB. `agg` by id (running, no window) holds "));
  ASSERT(strstr(err.msg, " groups: group by fewer distinct keys or aggregate per window "
                         "(`window 1m`), or raise the budget (%set memory 2MB)."));
  ASSERT_EQ(s.last_state, RT_QUERY_FAILED);
  ASSERT_EQ(exec(rt, "d", dedup, &s, &err), RT_EMEMORY);
  ASSERT(strstr(err.msg, "`dedup` holds "));
  ASSERT(strstr(err.msg, " keys: keep keys for less time (`dedup ... within 10m`), or raise"));
  /* the other query never noticed */
  rt_query_row rows[4];
  ASSERT_EQ(rt_runtime_list(rt, rows, 4), 1);
  ASSERT_STR_EQ(rows[0].cell, "live");
  ASSERT_EQ(rows[0].stats.state, RT_QUERY_RUNNING);
  ASSERT_EQ(exec(rt, "q", "%queries", &s, &err), 0);
  ASSERT(strstr(s.text.data, "memory"));
  /* the session's budget: the query that grows past it stops */
  ASSERT_EQ(exec(rt, "m", "%set memory off", &s, &err), 0);
  ASSERT_EQ(exec(rt, "m", "%set memory_total 1MB", &s, &err), 0);
  ASSERT_EQ(exec(rt, "a", agg, &s, &err), RT_EMEMORY);
  ASSERT(strncmp(err.msg, "the session's queries together hold ", 36) == 0);
  ASSERT(strstr(err.msg, "over the session's memory budget of 1 MB, and this one grew to "));
  ASSERT(strstr(err.msg, "(%set memory_total 2MB, or stop other queries)."));
  /* within its budget the same query runs to its end, every id counted */
  ASSERT_EQ(exec(rt, "m", "%set memory_total 1GB", &s, &err), 0);
  ASSERT_EQ(exec(rt, "m", "%set memory 64MB", &s, &err), 0);
  ASSERT_EQ(exec(rt, "a", dedup, &s, &err), 0);
  ASSERT_EQ(s.last_state, RT_QUERY_DONE);
  ASSERT(strstr(s.last.data, "50000"));
  ASSERT_EQ(exec(rt, "m", "%set memory 12", &s, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "memory must be at least 1MB"));
  ASSERT_EQ(exec(rt, "m", "%set memory lots", &s, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "memory wants a size like 512MB or 2GB, or off"));
  ASSERT_EQ(rt_runtime_list(rt, rows, 4), 1); /* nothing leaked */
  rt_runtime_free(&rt);
  ASSERT_EQ(live.last_state, RT_QUERY_STOPPED);
  unlink(path);
  sink_free(&live);
  sink_free(&s);
}

int main(void) {
  TEST_RUN(test_bounded_query);
  TEST_RUN(test_memory_budget);
  TEST_RUN(test_lets_across_cells);
  TEST_RUN(test_bad_cell_runs_nothing);
  TEST_RUN(test_settings);
  TEST_RUN(test_magics_served_by_the_runtime);
  TEST_RUN(test_aws_magic);
  TEST_RUN(test_background_list_and_stop);
  TEST_RUN(test_interrupt_waiting_cell);
  TEST_RUN(test_interrupt_callback);
  TEST_RUN(test_rerun_replaces_and_free_stops);
  TEST_RUN(test_into_file);
  return test_summary();
}
