/*
 * Private files and folders (rt_file.h). Each check happens on the opened
 * descriptor (fstat), not on the name before opening, so nothing can be
 * swapped in between; O_NOFOLLOW covers the last component, O_NONBLOCK keeps
 * a FIFO from blocking the open before it is refused.
 */
#include "rt_file.h"

#include "rt_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rt_file_mkdirs(const char *dir, rt_err *err) {
  if (!dir[0])
    return 0; /* the working folder */
  char *d = rt_xstrdup(dir);
  size_t n = strlen(d);
  while (n > 1 && d[n - 1] == '/')
    d[--n] = '\0';
  int rc = 0;
  for (char *p = d + 1; rc == 0; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char c = *p;
    *p = '\0';
    struct stat st;
    if (mkdir(d, RT_FILE_PRIVATE_DIR) < 0 && errno != EEXIST)
      rc = rt_err_set(err, RT_EIO, "cannot make folder %s: %s", d, strerror(errno));
    else if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
      rc = rt_err_set(err, RT_EIO, "%s is not a folder", d);
    *p = c;
    if (c == '\0')
      break;
  }
  rt_free(d);
  return rc;
}

int rt_file_mkparents(const char *path, rt_err *err) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path)
    return 0;
  char *dir = rt_xstrndup(path, (size_t)(slash - path));
  int rc = rt_file_mkdirs(dir, err);
  rt_free(dir);
  return rc;
}

/* Refuses fd unless it is a regular file; closes it then. */
static int regular_or_close(int fd, const char *path, rt_err *err) {
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    return rt_err_set(err, RT_EIO, "cannot stat %s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return rt_err_set(err, RT_EIO, "%s is not a regular file", path);
  }
  return fd;
}

int rt_file_open_append(const char *path, mode_t mode, rt_err *err) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                mode);
  if (fd < 0 && errno == ELOOP)
    return rt_err_set(err, RT_EIO, "%s is a symbolic link; Eddy writes only to the file "
                      "itself", path);
  if (fd < 0 && (errno == ENXIO || errno == EISDIR))
    return rt_err_set(err, RT_EIO, "%s is not a regular file", path);
  if (fd < 0)
    return rt_err_set(err, RT_EIO, "cannot open %s for appending: %s", path, strerror(errno));
  fd = regular_or_close(fd, path, err);
  if (fd >= 0)
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

int rt_file_create_private(const char *path, rt_err *err) {
  if (unlink(path) < 0 && errno != ENOENT)
    return rt_err_set(err, RT_EIO, "cannot replace %s: %s", path, strerror(errno));
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, RT_FILE_PRIVATE);
  if (fd < 0)
    return rt_err_set(err, RT_EIO, "cannot create %s: %s", path, strerror(errno));
  return fd;
}

int rt_file_write_all(int fd, const void *p, size_t len) {
  const char *c = p;
  while (len > 0) {
    ssize_t w = write(fd, c, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    c += w;
    len -= (size_t)w;
  }
  return 0;
}
