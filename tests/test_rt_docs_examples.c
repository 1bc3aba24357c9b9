/* Runs every ```eddy example of docs/language.md to completion, each in a
 * fresh session, and fails on any error. Demo sources run unpaced (`pace
 * off`) and the processing clock is fixed, so the examples are quick and
 * repeatable; relative paths start at the repository root. */
#include "rt_runtime.h"
#include "test.h"

#include <libgen.h>

static int ran, failed;

static void run_example(const char *root, const char *src, int line) {
  rt_runtime *rt = rt_runtime_new();
  rt_err err;
  rt_runtime_set(rt, "dir", root, &err);
  rt_runtime_set(rt, "pace", "off", &err);
  rt_runtime_set(rt, "clock", "2026-11-20T10:00:00Z", &err);
  rt_exec_opts o = {.cell = "doc"};
  rt_err_clear(&err);
  int rc = rt_runtime_exec(rt, src, strlen(src), &o, &err);
  if (rc == 0)
    rc = rt_runtime_wait(rt, 0, 20000);
  if (rc < 0) {
    char msg[1024];
    rt_err_render(&err, src, msg, sizeof(msg));
    fprintf(stderr, "docs/language.md:%d: example failed: %s\n%s\n", line, msg, src);
    failed++;
  }
  ran++;
  rt_runtime_free(&rt);
}

static void test_every_example_runs(void) {
  char root[1024];
  snprintf(root, sizeof(root), "%s", EDDY_TEST_DATA);
  dirname(root); /* tests/.. */
  char path[1100];
  snprintf(path, sizeof(path), "%s/docs/language.md", root);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "no %s yet: nothing to run\n", path);
    return;
  }
  char line[4096], block[16384];
  size_t blen = 0;
  int lineno = 0, start = 0;
  bool in = false;
  while (fgets(line, sizeof(line), f)) {
    lineno++;
    if (!in && strncmp(line, "```eddy", 7) == 0) {
      in = true;
      blen = 0;
      start = lineno + 1;
    } else if (in && strncmp(line, "```", 3) == 0) {
      in = false;
      block[blen] = 0;
      run_example(root, block, start);
    } else if (in && blen + strlen(line) < sizeof(block)) {
      memcpy(block + blen, line, strlen(line));
      blen += strlen(line);
    }
  }
  fclose(f);
  fprintf(stderr, "%d examples, %d failed\n", ran, failed);
  ASSERT(ran > 0);
  ASSERT_EQ(failed, 0);
}

int main(void) {
  TEST_RUN(test_every_example_runs);
  return test_summary();
}
