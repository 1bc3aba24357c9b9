/*
 * Golden tests of the Eddy language: every file tests/dsl/NAME.test, block by
 * block. Each block pins either the exact error a program gets, or the exact
 * output a program makes from an input.
 *
 * FORMAT
 *
 * A line that starts with `%%` opens a section; the section runs to the next
 * such line or the end of the file. Text before the first section is a free
 * comment. A block is one of:
 *
 *   %%FAIL <description>          a program that must be rejected
 *   <program lines>
 *   %%EXPECT
 *   <the rendered error: rt_err_render() output, exactly>
 *
 *   %%PROGRAM <description>       a program that must run
 *   <program lines>
 *   %%INPUT                       (optional) the records it reads
 *   <lines>
 *   %%OUTPUT
 *   <the exact output>
 *
 * A program is its lines joined with newlines, without a final newline, so
 * errors "at the end of the input" can be pinned. Trailing blank lines of
 * every section are dropped. The rendered error is three lines:
 *
 *   line N, column M: <message>
 *     <the source line>
 *     <spaces>^^^
 *
 * A FAIL program is checked by dsl_parse(), then, if that accepts it, by
 * golden_compile() (tests/dsl_golden_run.h), which can reject what only a
 * session knows. Run blocks go to golden_run() in the same header, owned by
 * the runtime; until it is filled in, every run block fails.
 *
 * Every block runs even after a failure; the test fails if any block failed
 * or if no block was found at all.
 */
#include "test.h"

#include "dsl.h"
#include "dsl_golden_run.h"

#include <dirent.h>

typedef enum sect_kind {
  SECT_NONE,
  SECT_FAIL,
  SECT_EXPECT,
  SECT_PROGRAM,
  SECT_INPUT,
  SECT_OUTPUT,
} sect_kind;

typedef struct block {
  const char *file;
  int line;         /* of the %%FAIL or %%PROGRAM line */
  char title[200];
  bool run;         /* %%PROGRAM rather than %%FAIL */
  char *program;    /* each section's text, malloc'd, NULL if absent */
  char *expect;
  char *input;
  char *output;
} block;

typedef struct golden {
  int blocks, failed;
} golden;

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ASSERT(f != NULL);
  ASSERT(fseek(f, 0, SEEK_END) == 0);
  long n = ftell(f);
  ASSERT(n >= 0);
  rewind(f);
  char *buf = malloc((size_t)n + 1);
  ASSERT(buf != NULL);
  ASSERT(fread(buf, 1, (size_t)n, f) == (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* A copy of [s, e) without trailing blank lines and without the last '\n'. */
static char *section_text(const char *s, const char *e) {
  for (;;) {
    while (e > s && (e[-1] == '\n' || e[-1] == '\r'))
      e--;
    const char *ls = e;
    while (ls > s && ls[-1] != '\n')
      ls--;
    const char *q = ls;
    while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
      q++;
    if (q < e || ls == e)
      break;
    e = ls; /* the last line is blank: drop it */
  }
  size_t n = (size_t)(e - s);
  char *t = malloc(n + 1);
  ASSERT(t != NULL);
  memcpy(t, s, n);
  t[n] = '\0';
  return t;
}

static void fail(golden *g, const block *b, const char *why, const char *want,
                 const char *got) {
  g->failed++;
  fprintf(stderr, "\n%s:%d: FAILED: %s\n  %s\n", b->file, b->line, b->title, why);
  if (want)
    fprintf(stderr, "--- expected\n%s\n--- got\n%s\n---\n", want, got ? got : "(nothing)");
}

static void check_fail_block(golden *g, const block *b) {
  if (!b->expect) {
    fail(g, b, "a %%FAIL block needs an %%EXPECT section", NULL, NULL);
    return;
  }
  size_t len = strlen(b->program);
  dsl_program *prog = NULL;
  rt_err err;
  int rc = dsl_parse(b->program, len, &prog, &err);
  if (rc == 0) {
    rc = golden_compile(b->program, len, &err);
    dsl_program_free(&prog);
  }
  /* Whatever the verdict, asking for completeness must not crash. */
  (void)dsl_is_complete(b->program, len);
  if (rc == 0) {
    fail(g, b, "the program was accepted", b->expect, NULL);
    return;
  }
  char got[2048];
  rt_err_render(&err, b->program, got, sizeof(got));
  if (strcmp(got, b->expect) != 0)
    fail(g, b, "the error differs", b->expect, got);
}

static void check_run_block(golden *g, const block *b) {
  if (!b->output) {
    fail(g, b, "a %%PROGRAM block needs an %%OUTPUT section", NULL, NULL);
    return;
  }
  char *out = NULL, why[512] = "";
  if (golden_run(b->program, b->input, &out, why, sizeof(why)) != 0) {
    fail(g, b, why, NULL, NULL);
    free(out);
    return;
  }
  char *trimmed = section_text(out ? out : "", out ? out + strlen(out) : "");
  if (strcmp(trimmed, b->output) != 0)
    fail(g, b, "the output differs", b->output, trimmed);
  free(trimmed);
  free(out);
}

static void finish_block(golden *g, block *b) {
  if (b->program) {
    g->blocks++;
    if (b->run)
      check_run_block(g, b);
    else
      check_fail_block(g, b);
  }
  free(b->program);
  free(b->expect);
  free(b->input);
  free(b->output);
  memset(b, 0, sizeof(*b));
}

static sect_kind directive(const char *line, const char **rest) {
  static const struct {
    const char *word;
    sect_kind kind;
  } d[] = {{"%%FAIL", SECT_FAIL},       {"%%EXPECT", SECT_EXPECT},
           {"%%PROGRAM", SECT_PROGRAM}, {"%%INPUT", SECT_INPUT},
           {"%%OUTPUT", SECT_OUTPUT}};
  for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
    size_t n = strlen(d[i].word);
    if (!strncmp(line, d[i].word, n) &&
        (line[n] == ' ' || line[n] == '\n' || line[n] == '\0' || line[n] == '\r')) {
      *rest = line + n;
      return d[i].kind;
    }
  }
  return SECT_NONE;
}

static void set_title(block *b, const char *rest) {
  while (*rest == ' ')
    rest++;
  size_t n = strcspn(rest, "\r\n");
  if (n >= sizeof(b->title))
    n = sizeof(b->title) - 1;
  memcpy(b->title, rest, n);
  b->title[n] = '\0';
}

/* Stores the section that ended at e into the block. */
static void store(golden *g, block *b, sect_kind kind, const char *s,
                  const char *e, const char *file, int line) {
  char *text = s ? section_text(s, e) : NULL;
  char **slot = NULL;
  switch (kind) {
  case SECT_FAIL:
  case SECT_PROGRAM: slot = &b->program; break;
  case SECT_EXPECT: slot = &b->expect; break;
  case SECT_INPUT: slot = &b->input; break;
  case SECT_OUTPUT: slot = &b->output; break;
  case SECT_NONE: break;
  }
  if (slot && !*slot) {
    *slot = text;
    return;
  }
  free(text);
  if (slot) {
    block where = {.file = file, .line = line};
    snprintf(where.title, sizeof(where.title), "section given twice");
    fail(g, &where, "each section appears once per block", NULL, NULL);
  }
}

static void run_file(golden *g, const char *path, const char *name) {
  char *text = read_file(path);
  block b = {0};
  sect_kind kind = SECT_NONE;
  const char *start = NULL;
  int lineno = 1;
  for (const char *line = text; *line; lineno++) {
    const char *next = strchr(line, '\n');
    next = next ? next + 1 : line + strlen(line);
    const char *rest;
    sect_kind d = directive(line, &rest);
    if (d != SECT_NONE) {
      store(g, &b, kind, start, line, name, lineno);
      if (d == SECT_FAIL || d == SECT_PROGRAM) {
        finish_block(g, &b);
        b.file = name;
        b.line = lineno;
        b.run = d == SECT_PROGRAM;
        set_title(&b, rest);
      } else if (!b.program) {
        block where = {.file = name, .line = lineno};
        snprintf(where.title, sizeof(where.title), "stray section");
        fail(g, &where, "a section before any %%FAIL or %%PROGRAM", NULL, NULL);
      }
      kind = d;
      start = next;
    }
    line = next;
  }
  store(g, &b, kind, start, text + strlen(text), name, lineno);
  finish_block(g, &b);
  free(text);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  const char *dir = EDDY_TEST_DATA "/dsl";
  DIR *d = opendir(dir);
  ASSERT(d != NULL);
  char *names[256];
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t len = strlen(e->d_name);
    if (len > 5 && !strcmp(e->d_name + len - 5, ".test")) {
      ASSERT(n < 256);
      names[n++] = strdup(e->d_name);
    }
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof(names[0]), by_name);

  golden g = {0};
  for (int i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    int before = g.blocks;
    run_file(&g, path, names[i]);
    fprintf(stderr, "-- %s: %d blocks\n", names[i], g.blocks - before);
    free(names[i]);
  }
  if (g.blocks == 0) {
    fprintf(stderr, "FAILED: no golden blocks found in %s\n", dir);
    return 1;
  }
  fprintf(stderr, "%d blocks, %d failed\n", g.blocks, g.failed);
  return g.failed ? 1 : 0;
}
