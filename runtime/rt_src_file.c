/*
 * `file "PATH"`: the lines of a file, one record each, in column `data`,
 * then the end of the stream. Reads with stdio in big chunks; a line is
 * copied once, into the batch arena. The position (a partition "file" at a
 * line number) is what a checkpoint would store.
 */
#include "rt_source.h"

#include "rt_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct src_file {
  FILE *fp;          /* open file, NULL after the end */
  char *line;        /* getline buffer */
  size_t linecap;    /* its capacity */
  uint64_t lines;    /* lines read (the position) */
  rt_source_stats st; /* counters */
} src_file;

static bool blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return false;
  return true;
}

static int file_poll(void *impl, rt_batch *batch, size_t max_rows, rt_err *err) {
  src_file *f = impl;
  if (!f->fp)
    return RT_EEOF;
  for (size_t n = 0; n < max_rows;) {
    ssize_t len = getline(&f->line, &f->linecap, f->fp);
    if (len < 0) {
      int bad = ferror(f->fp);
      fclose(f->fp);
      f->fp = NULL;
      if (bad)
        return rt_err_set(err, RT_EIO, "reading the file failed");
      return RT_EEOF;
    }
    f->lines++;
    while (len > 0 && (f->line[len - 1] == '\n' || f->line[len - 1] == '\r'))
      len--;
    if (blank(f->line, (size_t)len))
      continue;
    size_t row = rt_batch_add_row(batch);
    rt_batch_set_str(batch, row, 0, f->line, (size_t)len);
    rt_batch_add_bytes(batch, (size_t)len);
    f->st.records++;
    f->st.bytes += (uint64_t)len;
    n++;
  }
  return RT_SOURCE_MORE;
}

static void file_stats(void *impl, rt_source_stats *out) {
  src_file *f = impl;
  *out = f->st;
  out->lag_ms = f->fp ? -1 : 0;
  out->partitions = 1;
}

static void file_positions(void *impl, rt_source_position_fn fn, void *ctx) {
  src_file *f = impl;
  char buf[32];
  snprintf(buf, sizeof(buf), "%llu", (unsigned long long)f->lines);
  fn(ctx, "file", buf);
}

static void file_close(void *impl) {
  src_file *f = impl;
  if (f->fp)
    fclose(f->fp);
  free(f->line); /* from getline(), hence libc's free */
  rt_free(f);
}

static const rt_source_ops file_ops = {
    .kind = "file",
    .poll = file_poll,
    .stats = file_stats,
    .positions = file_positions,
    .close = file_close,
};

int rt_src_file_open(const char *path, const char *base_dir, rt_source **out, rt_err *err) {
  char *full = NULL;
  if (base_dir && *base_dir && path[0] != '/') {
    size_t n = strlen(base_dir) + strlen(path) + 2;
    full = rt_xmalloc(n);
    snprintf(full, n, "%s/%s", base_dir, path);
  }
  FILE *fp = fopen(full ? full : path, "r");
  rt_free(full);
  *out = NULL;
  if (!fp)
    return rt_err_set(err, RT_EIO, "cannot open \"%s\": %s", path, strerror(errno));
  src_file *f = rt_xcalloc(1, sizeof(*f));
  f->fp = fp;
  static const char *const cols[] = {"data"};
  *out = rt_source_new(&file_ops, f, 1, cols);
  char desc[512];
  snprintf(desc, sizeof(desc), "file \"%s\"", path);
  rt_source_set_description(*out, desc);
  return 0;
}

/* ---- lines of a buffer in memory --------------------------------------- */

typedef struct src_lines {
  const char *p, *end; /* what is left to read */
  rt_source_stats st;  /* counters */
} src_lines;

/* Finds the next non-blank line; false at the end of the text. */
static bool next_line(src_lines *l, const char **s, size_t *len) {
  while (l->p < l->end) {
    const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
    const char *e = nl ? nl : l->end;
    *s = l->p;
    l->p = nl ? nl + 1 : l->end;
    *len = (size_t)(e - *s);
    while (*len && (*s)[*len - 1] == '\r')
      (*len)--;
    if (!blank(*s, *len))
      return true;
  }
  return false;
}

static int lines_poll(void *impl, rt_batch *batch, size_t max_rows, rt_err *err) {
  src_lines *l = impl;
  /* collect the lines first, then add them as rows in one go */
  rt_value *vals = rt_arena_alloc(rt_batch_arena(batch), (max_rows ? max_rows : 1) * sizeof(*vals));
  size_t n = 0, bytes = 0, len;
  const char *s;
  while (n < max_rows && next_line(l, &s, &len)) {
    vals[n++] = rt_string(s, len);
    bytes += len;
  }
  size_t first = rt_batch_add_rows(batch, n);
  memcpy(rt_batch_col(batch, 0) + first, vals, n * sizeof(*vals));
  rt_batch_add_bytes(batch, bytes);
  l->st.records += n;
  l->st.bytes += bytes;
  return l->p < l->end ? RT_SOURCE_MORE : RT_EEOF;
}

static void lines_stats(void *impl, rt_source_stats *out) {
  src_lines *l = impl;
  *out = l->st;
  out->lag_ms = 0;
  out->partitions = 1;
}

static void lines_close(void *impl) { rt_free(impl); }

static const rt_source_ops lines_ops = {
    .kind = "lines",
    .poll = lines_poll,
    .stats = lines_stats,
    .close = lines_close,
};

rt_source *rt_src_lines_open(const char *text, size_t len) {
  src_lines *l = rt_xcalloc(1, sizeof(*l));
  l->p = text;
  l->end = text + len;
  static const char *const cols[] = {"data"};
  rt_source *s = rt_source_new(&lines_ops, l, 1, cols);
  rt_source_set_description(s, "lines in memory");
  return s;
}
