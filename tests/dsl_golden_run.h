/*
 * The running side of the DSL golden tests (tests/test_dsl_golden.c), kept in
 * its own header so the runtime can fill it in without touching the runner.
 *
 * golden_compile() checks a program the way a session does (rt_runtime_check:
 * dsl_compile, unknown `let` names, unknown fields where knowable).
 * golden_run() runs a %%PROGRAM block in a fresh session whose processing
 * clock is fixed at 2026-11-20T10:00:00Z (so processing-time windows are
 * deterministic) and relative paths taken from the repository root, with `$INPUT` in the program replaced by a temporary file
 * holding the %%INPUT lines and `$OUTPUT` by a temporary file that `into
 * file` writes. The output is what `eddy run` prints: for each result as it
 * arrives, a caption line for a window ("window START - END") or running
 * totals ("totals"), the aligned table, and a blank line; then, when the
 * program wrote to $OUTPUT, the lines of that file.
 */
#ifndef EDDY_DSL_GOLDEN_RUN_H
#define EDDY_DSL_GOLDEN_RUN_H

#include "rt_buf.h"
#include "rt_err.h"
#include "rt_mem.h"
#include "rt_result.h"
#include "rt_runtime.h"
#include "rt_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int golden_compile(const char *program, size_t len, rt_err *err) {
  rt_runtime *rt = rt_runtime_new();
  int rc = rt_runtime_check(rt, program, len, err);
  rt_runtime_free(&rt);
  return rc;
}

/* Appends one update as eddy run prints it (runs on the query's thread; the
 * golden programs run their queries one after another). */
static inline void golden__on_update(void *ud, const rt_query_info *q, const rt_update *u) {
  rt_buf *out = ud;
  char s[RT_TIME_ISO_MS_LEN], e[RT_TIME_ISO_MS_LEN];
  if (u->kind == RT_RESULT_WINDOW)
    rt_buf_printf(out, "window %s - %s\n", rt_time_format_ms(u->window_start, s),
                  rt_time_format_ms(u->window_end, e));
  else if (u->kind == RT_RESULT_RUNNING)
    rt_buf_puts(out, "totals\n");
  if (q->output->kind != RT_OUT_INTO_FILE) {
    size_t lim = q->output->table_limit > 0 ? (size_t)q->output->table_limit : 0;
    rt_result_format_text(u->result, lim, out);
    rt_buf_puts(out, "\n");
  }
}

static inline void golden__on_text(void *ud, const char *text) { rt_buf_puts(ud, text); }

/* Replaces every `from` in text by `to`; caller frees the result with free(). */
static inline char *golden__replace(const char *text, const char *from, const char *to) {
  rt_buf b;
  rt_buf_init(&b, 0);
  size_t fl = strlen(from);
  for (const char *p = text, *hit; *p; p = hit + fl) {
    if (!(hit = strstr(p, from))) {
      rt_buf_puts(&b, p);
      break;
    }
    rt_buf_append(&b, p, (size_t)(hit - p));
    rt_buf_puts(&b, to);
  }
  char *r = rt_buf_take(&b, NULL), *copy = strdup(r);
  rt_free(r);
  return copy;
}

static inline void golden__append_file(const char *path, rt_buf *out) {
  FILE *f = fopen(path, "r");
  char line[4096];
  while (f && fgets(line, sizeof(line), f))
    rt_buf_puts(out, line);
  if (f)
    fclose(f);
}

static inline int golden_run(const char *program, const char *input, char **output, char *why,
                             size_t whysz) {
  char in_path[64], out_path[64];
  snprintf(in_path, sizeof(in_path), "/tmp/eddy_golden_in_%d", (int)getpid());
  snprintf(out_path, sizeof(out_path), "/tmp/eddy_golden_out_%d", (int)getpid());
  FILE *f = fopen(in_path, "w");
  if (f) {
    fputs(input ? input : "", f);
    fputs("\n", f);
    fclose(f);
  }
  unlink(out_path);
  char *p1 = golden__replace(program, "$INPUT", in_path);
  char *prog = golden__replace(p1, "$OUTPUT", out_path);
  free(p1);
  rt_buf out;
  rt_buf_init(&out, 0);
  rt_runtime *rt = rt_runtime_new();
  rt_err err;
  rt_err_clear(&err);
  rt_runtime_set(rt, "clock", "2026-11-20T10:00:00Z", &err);
#ifdef EDDY_TEST_DATA
  rt_runtime_set(rt, "dir", EDDY_TEST_DATA "/..", &err); /* paths from the repository root */
#endif
  rt_output_ops ops = {.on_update = golden__on_update};
  rt_exec_opts eo = {.cell = "golden", .ops = &ops, .ud = &out, .on_text = golden__on_text};
  int rc = rt_runtime_exec(rt, prog, strlen(prog), &eo, &err);
  if (rc == 0)
    rc = rt_runtime_wait(rt, 0, 30000);
  rt_runtime_free(&rt);
  if (rc < 0) {
    /* Render straight into why: the message may be as long as why allows. */
    int n = snprintf(why, whysz, "the program failed: ");
    if (n > 0 && (size_t)n < whysz)
      rt_err_render(&err, prog, why + n, whysz - (size_t)n);
  }
  golden__append_file(out_path, &out);
  unlink(in_path);
  unlink(out_path);
  free(prog);
  char *text = rt_buf_take(&out, NULL);
  *output = strdup(text);
  rt_free(text);
  return rc < 0 ? -1 : 0;
}

#endif
