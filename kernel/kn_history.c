/*
 * History in a JSON-lines file. Appends are one write(2) of one line on an
 * O_APPEND descriptor, so two kernels sharing the file interleave whole
 * lines. The session number comes from the file's last 64 KiB only, which
 * holds the newest sessions. Queries read the file on demand (at most its
 * last KN_HIST_READ_MAX bytes) rather than keeping every past session in
 * memory for the kernel's lifetime.
 */
#include "kn_history.h"

#include "rt_buf.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { KN_HIST_TAIL_SCAN = 64 * 1024, KN_HIST_READ_MAX = 32 * 1024 * 1024 };

typedef struct kn_hist_entry {
  int session, line;
  char *src; /* owned */
  char *out; /* owned, NULL without output */
} kn_hist_entry;

typedef struct kn_hist_list {
  kn_hist_entry *v;
  size_t n, cap;
} kn_hist_list;

struct kn_history {
  char *path;        /* the file, owned */
  int session;       /* this kernel's session, 0 until known */
  int fd;            /* append descriptor, -1 until opened or on failure */
  bool fd_failed;    /* opening failed once; do not retry every cell */
  kn_hist_list mine; /* this session's entries */
};

/* $XDG_DATA_HOME/eddy, else HOME's .local/share/eddy; without HOME, the
 * account's home folder, else the working folder: never a shared folder such
 * as /tmp, where another user could make the folders first and read what
 * lands in them. */
static char *default_path(void) {
  rt_buf b;
  rt_buf_init(&b, 0);
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  if (!home || home[0] != '/') {
    struct passwd *pw = getpwuid(getuid());
    home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : ".";
  }
  if (xdg && xdg[0] == '/')
    rt_buf_printf(&b, "%s/eddy/history.jsonl", xdg);
  else
    rt_buf_printf(&b, "%s/.local/share/eddy/history.jsonl", home);
  return rt_buf_take(&b, NULL);
}

kn_history *kn_history_new(const char *path) {
  kn_history *h = rt_xcalloc(1, sizeof(*h));
  h->path = path ? rt_xstrdup(path) : default_path();
  h->fd = -1;
  return h;
}

const char *kn_history_path(const kn_history *h) { return h->path; }

static void list_clear(kn_hist_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    rt_free(l->v[i].src);
    rt_free(l->v[i].out);
  }
  rt_free(l->v);
  memset(l, 0, sizeof(*l));
}

static void list_push(kn_hist_list *l, int session, int line, const char *src,
                      size_t len, const char *out) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = rt_xrealloc(l->v, l->cap * sizeof(*l->v));
  }
  l->v[l->n++] = (kn_hist_entry){session, line, rt_xstrndup(src, len),
                                 out ? rt_xstrdup(out) : NULL};
}

void kn_history_free(kn_history **history) {
  if (!history || !*history)
    return;
  kn_history *h = *history;
  if (h->fd >= 0)
    close(h->fd);
  list_clear(&h->mine);
  rt_free(h->path);
  rt_free(h);
  *history = NULL;
}

/* Reads at most max bytes from the end of the file; caller frees. NULL when
 * the file cannot be read. A partial first line is skipped. */
static char *read_tail(const char *path, size_t max, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  off_t start = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
  size_t want = (size_t)(st.st_size - start);
  char *buf = rt_xmalloc(want + 1);
  ssize_t got = pread(fd, buf, want, start);
  close(fd);
  size_t n = got > 0 ? (size_t)got : 0;
  buf[n] = '\0';
  size_t skip = 0;
  if (start > 0) {
    char *nl = memchr(buf, '\n', n);
    skip = nl ? (size_t)(nl - buf) + 1 : n;
  }
  memmove(buf, buf + skip, n - skip + 1);
  *len = n - skip;
  return buf;
}

/* Parses the JSON lines of text into l (entries of session skip left out). */
static void parse_lines(const char *text, size_t len, int skip,
                        kn_hist_list *l) {
  for (size_t at = 0; at < len;) {
    const char *nl = memchr(text + at, '\n', len - at);
    size_t end = nl ? (size_t)(nl - text) : len;
    json_t *o = json_loadb(text + at, end - at, 0, NULL);
    json_t *src = json_object_get(o, "source");
    int s = (int)json_integer_value(json_object_get(o, "session"));
    if (json_is_string(src) && s > 0 && s != skip)
      list_push(l, s, (int)json_integer_value(json_object_get(o, "line")),
                json_string_value(src), json_string_length(src),
                json_string_value(json_object_get(o, "output")));
    json_decref(o);
    at = end + 1;
  }
}

int kn_history_session(kn_history *h) {
  if (h->session > 0)
    return h->session;
  size_t len = 0;
  char *text = read_tail(h->path, KN_HIST_TAIL_SCAN, &len);
  kn_hist_list l = {0};
  if (text)
    parse_lines(text, len, 0, &l);
  if (text && l.n == 0 && len == 0) {
    /* the last line alone is longer than the scan: read further back */
    rt_free(text);
    text = read_tail(h->path, KN_HIST_READ_MAX, &len);
    if (text)
      parse_lines(text, len, 0, &l);
  }
  int max = 0;
  for (size_t i = 0; i < l.n; i++)
    if (l.v[i].session > max)
      max = l.v[i].session;
  list_clear(&l);
  rt_free(text);
  h->session = max + 1;
  return h->session;
}

/* The append descriptor, opened at the first entry: the file is private
 * (0600, in folders made 0700, never through a symbolic link; rt_file.h),
 * since cells name streams, applications and settings of the user's. */
static int append_fd(kn_history *h) {
  if (h->fd >= 0 || h->fd_failed)
    return h->fd;
  rt_err err;
  int fd = rt_file_mkparents(h->path, &err);
  if (fd == 0)
    fd = rt_file_open_append(h->path, RT_FILE_PRIVATE, &err);
  h->fd = fd >= 0 ? fd : -1;
  if (h->fd < 0) {
    h->fd_failed = true;
    rt_log(RT_LOG_WARN, "history: %s; keeping it in memory", err.msg);
  }
  return h->fd;
}

void kn_history_add(kn_history *h, int line, const char *src, size_t len,
                    const char *output) {
  int session = kn_history_session(h);
  list_push(&h->mine, session, line, src, len, output);
  json_t *o = json_object();
  json_object_set_new(o, "session", json_integer(session));
  json_object_set_new(o, "line", json_integer(line));
  json_object_set_new(o, "source", json_stringn(src, len));
  json_object_set_new(o, "output", output ? json_string(output) : json_null());
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (text && append_fd(h) >= 0) {
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps's NUL becomes the line end */
    if (write(h->fd, text, n + 1) != (ssize_t)(n + 1))
      rt_log(RT_LOG_WARN, "history: short write to %s", h->path);
  }
  free(text);
}

/* Every entry, oldest first: the file's past sessions, then this one's. */
static void load_all(kn_history *h, kn_hist_list *all) {
  size_t len = 0;
  int session = kn_history_session(h);
  char *text = read_tail(h->path, KN_HIST_READ_MAX, &len);
  if (text)
    parse_lines(text, len, session, all);
  rt_free(text);
  for (size_t i = 0; i < h->mine.n; i++)
    list_push(all, session, h->mine.v[i].line, h->mine.v[i].src,
              strlen(h->mine.v[i].src), h->mine.v[i].out);
}

static json_t *entry_json(const kn_hist_entry *e, bool output) {
  json_t *input = json_string(e->src);
  if (!input)
    input = json_string("");
  if (output)
    input = json_pack("[oo]", input, e->out ? json_string(e->out) : json_null());
  return json_pack("[iio]", e->session, e->line, input);
}

/* The entries of all marked in keep, as a history_reply array. */
static json_t *collect(const kn_hist_list *all, const bool *keep, bool output) {
  json_t *arr = json_array();
  for (size_t i = 0; i < all->n; i++)
    if (keep[i])
      json_array_append_new(arr, entry_json(&all->v[i], output));
  return arr;
}

static int get_int(const json_t *req, const char *name, int dflt) {
  json_t *v = json_object_get(req, name);
  return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

/* Marks the last n entries (all of them when n <= 0). */
static void mark_tail(const kn_hist_list *all, bool *keep, int n) {
  size_t first = n > 0 && (size_t)n < all->n ? all->n - (size_t)n : 0;
  for (size_t i = first; i < all->n; i++)
    keep[i] = true;
}

static void mark_range(kn_history *h, const kn_hist_list *all, bool *keep,
                       const json_t *req) {
  int session = get_int(req, "session", 0);
  if (session <= 0)
    session += kn_history_session(h);
  int start = get_int(req, "start", 0);
  json_t *stop_v = json_object_get(req, "stop");
  int stop = json_is_integer(stop_v) ? (int)json_integer_value(stop_v) : -1;
  for (size_t i = 0; i < all->n; i++)
    keep[i] = all->v[i].session == session && all->v[i].line >= start &&
              (stop < 0 || all->v[i].line < stop);
}

static void mark_search(const kn_hist_list *all, bool *keep, const json_t *req) {
  const char *pattern = json_string_value(json_object_get(req, "pattern"));
  bool unique = json_is_true(json_object_get(req, "unique"));
  int n = get_int(req, "n", 0), found = 0;
  if (!pattern)
    pattern = "*";
  for (size_t i = all->n; i-- > 0 && (n <= 0 || found < n);) {
    if (fnmatch(pattern, all->v[i].src, 0) != 0)
      continue;
    bool dup = false;
    for (size_t j = i + 1; unique && !dup && j < all->n; j++)
      dup = keep[j] && strcmp(all->v[j].src, all->v[i].src) == 0;
    if (!dup) {
      keep[i] = true;
      found++;
    }
  }
}

json_t *kn_history_query(kn_history *h, const json_t *req) {
  const char *type = json_string_value(json_object_get(req, "hist_access_type"));
  bool output = json_is_true(json_object_get(req, "output"));
  kn_hist_list all = {0};
  load_all(h, &all);
  bool *keep = rt_xcalloc(all.n + 1, sizeof(bool));
  if (type && strcmp(type, "tail") == 0)
    mark_tail(&all, keep, get_int(req, "n", 10));
  else if (type && strcmp(type, "range") == 0)
    mark_range(h, &all, keep, req);
  else if (type && strcmp(type, "search") == 0)
    mark_search(&all, keep, req);
  json_t *arr = collect(&all, keep, output);
  rt_free(keep);
  list_clear(&all);
  return arr;
}
