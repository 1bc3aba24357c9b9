/*
 * The JSON-lines file sink.
 */
#include "rt_sink_file.h"

#include "rt_buf.h"
#include "rt_crash.h"
#include "rt_file.h"
#include "rt_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rt_sink_file {
  FILE *fp;   /* opened for appending */
  rt_buf buf; /* one result's lines */
};

/* Cuts a torn last line (bytes after the last newline, which only a crash
 * mid-write leaves: every result ends with one) off fp, so the next row
 * starts a line of its own instead of gluing onto it. The torn row was
 * never whole, so never written: its batch was not checkpointed, and the
 * resumed query writes it again. 0, or -1 with errno. */
static int cut_torn_tail(FILE *fp, const char *path) {
  int fd = fileno(fp);
  struct stat st;
  if (fstat(fd, &st) != 0)
    return -1;
  if (!S_ISREG(st.st_mode) || st.st_size == 0)
    return 0; /* a pipe or a device has no tail to cut */
  int rd = open(path, O_RDONLY | O_CLOEXEC); /* fp may be write-only */
  if (rd < 0)
    return -1;
  char buf[4096];
  off_t end = st.st_size, keep = 0; /* no newline at all: one torn line */
  while (end > 0 && keep == 0) {
    size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
    if (pread(rd, buf, n, end - (off_t)n) != (ssize_t)n) {
      close(rd);
      return -1;
    }
    for (size_t i = n; i > 0 && keep == 0; i--)
      if (buf[i - 1] == '\n')
        keep = end - (off_t)n + (off_t)i;
    end -= (off_t)n;
  }
  close(rd);
  return keep == st.st_size ? 0 : ftruncate(fd, keep);
}

/* The protected file fd is, or NULL. */
static const rt_protected *protected_as(int fd, const rt_protected *protect, size_t n) {
  struct stat mine, st;
  if (fstat(fd, &mine) < 0)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (stat(protect[i].path, &st) == 0 && st.st_dev == mine.st_dev && st.st_ino == mine.st_ino)
      return &protect[i];
  return NULL;
}

int rt_sink_file_open(const char *path, const char *base_dir, const rt_protected *protect,
                      size_t nprotect, rt_sink_file **out, rt_err *err) {
  char full[4096];
  if (base_dir && *base_dir && path[0] != '/')
    snprintf(full, sizeof(full), "%s/%s", base_dir, path);
  else
    snprintf(full, sizeof(full), "%s", path);
  *out = NULL;
  rt_err why;
  int fd = rt_file_open_append(full, RT_FILE_PRIVATE, &why);
  const rt_protected *p = fd >= 0 ? protected_as(fd, protect, nprotect) : NULL;
  if (p) {
    close(fd);
    return rt_err_set(err, RT_EIO, "into file \"%s\": that is %s; a query may not write it",
                      path, p->what);
  }
  FILE *fp = fd >= 0 ? fdopen(fd, "a") : NULL;
  if (fd >= 0 && !fp)
    close(fd);
  if (!fp)
    return rt_err_set(err, RT_EIO, "into file \"%s\": %s", path,
                      fd < 0 ? why.msg : strerror(errno));
  if (cut_torn_tail(fp, full) != 0) {
    int e = errno;
    fclose(fp);
    return rt_err_set(err, RT_EIO, "into file \"%s\": cannot repair its torn last line: %s",
                      path, strerror(e));
  }
  rt_sink_file *s = rt_xcalloc(1, sizeof(*s));
  s->fp = fp;
  rt_buf_init(&s->buf, 0);
  *out = s;
  return 0;
}

int rt_sink_file_write(rt_sink_file *s, const rt_result *res, rt_err *err) {
  rt_buf_clear(&s->buf);
  for (size_t i = 0; i < rt_result_nrows(res); i++) {
    rt_result_write_json_row(res, i, &s->buf);
    rt_buf_puts(&s->buf, "\n");
  }
  if (!s->buf.len)
    return 0;
  /* two writes, so a crash test can stop between them (rt_crash.h) with the
   * last line torn in half: a kill can cut a result anywhere anyway (stdio
   * and the kernel may split a big write) */
  size_t last = s->buf.len - 1;
  while (last > 0 && s->buf.data[last - 1] != '\n')
    last--;
  size_t cut = last + (s->buf.len - last) / 2;
  int ok = rt_file_write_all(fileno(s->fp), s->buf.data, cut) == 0;
  if (ok)
    rt_crash_point("sink_file_write");
  ok = ok && rt_file_write_all(fileno(s->fp), s->buf.data + cut, s->buf.len - cut) == 0;
  if (!ok)
    return rt_err_set(err, RT_EIO, "writing the output file failed: %s", strerror(errno));
  return 0;
}

void rt_sink_file_free(rt_sink_file **s) {
  if (!s || !*s)
    return;
  fclose((*s)->fp);
  rt_buf_free(&(*s)->buf);
  rt_free(*s);
  *s = NULL;
}
