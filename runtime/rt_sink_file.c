/*
 * The JSON-lines file sink.
 */
#include "rt_sink_file.h"

#include "rt_buf.h"
#include "rt_file.h"
#include "rt_mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rt_sink_file {
  FILE *fp;   /* opened for appending */
  rt_buf buf; /* one result's lines */
};

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
  if (s->buf.len && (fwrite(s->buf.data, 1, s->buf.len, s->fp) != s->buf.len || fflush(s->fp)))
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
