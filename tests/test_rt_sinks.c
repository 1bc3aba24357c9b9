/* Tests of the sinks and writers: aligned text tables, JSON lines with
 * escapes and ISO times, and value formatting. */
#include "rt_sink_file.h"
#include "rt_value.h"
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

static rt_result *make(int64_t start, const char *dev, double v) {
  static const char *const cols[] = {"window_start", "device_id", "v"};
  rt_result *r = rt_result_new(3, cols);
  rt_result_set_window(r, start, start + 10000);
  rt_value row[3] = {rt_time(start), rt_string(dev, strlen(dev)), rt_number(v)};
  rt_result_add_row(r, row);
  return r;
}

static void test_text(void) {
  rt_result *r = make(1795168800000, "<b>&", 2.5);
  rt_buf t;
  rt_buf_init(&t, 0);
  ASSERT_EQ(rt_result_format_text(r, 0, &t), 0);
  ASSERT_STR_EQ(t.data, "window_start              device_id  v\n"
                        "----------------------------------------\n"
                        "2026-11-20T10:00:00.000Z  <b>&       2.5\n");
  rt_buf_free(&t);
  rt_result_free(&r);
}

static void test_json_lines(void) {
  static const char *const cols[] = {"s", "t", "n", "x"};
  rt_result *r = rt_result_new(4, cols);
  rt_value row[4] = {rt_string("a\"b\\\n\x01", 6), rt_time(1795168800250), rt_number(0.1),
                     rt_null()};
  rt_result_add_row(r, row);
  char path[64];
  snprintf(path, sizeof(path), "/tmp/eddy_sinks_%d.jsonl", (int)getpid());
  unlink(path);
  rt_sink_file *fs;
  rt_err err;
  ASSERT_EQ(rt_sink_file_open(path, NULL, NULL, 0, &fs, &err), 0);
  ASSERT_EQ(rt_sink_file_write(fs, r, &err), 0);
  rt_sink_file_free(&fs);
  FILE *f = fopen(path, "r");
  char line[256] = "";
  ASSERT(fgets(line, sizeof(line), f));
  fclose(f);
  unlink(path);
  ASSERT_STR_EQ(line, "{\"s\":\"a\\\"b\\\\\\n\\u0001\",\"t\":\"2026-11-20T10:00:00.250Z\","
                      "\"n\":0.1,\"x\":null}\n");
  ASSERT_EQ(rt_sink_file_open("/nonexistent/dir/x.jsonl", NULL, NULL, 0, &fs, &err), RT_EIO);
  rt_result_free(&r);
}

/* `into file` creates its file 0600 (the umask is 0 here, so the mode is
 * the one asked for), appends to an existing one, and writes neither through
 * a symbolic link nor into a FIFO. */
static void test_into_file_private_no_links(void) {
  static const char *const cols[] = {"n"};
  rt_result *r = rt_result_new(1, cols);
  rt_value row[1] = {rt_number(1)};
  rt_result_add_row(r, row);
  char dir[] = "/tmp/eddy-sinks-XXXXXX", path[96], link[96], fifo[96];
  ASSERT(mkdtemp(dir) != NULL);
  snprintf(path, sizeof(path), "%s/out.jsonl", dir);
  snprintf(link, sizeof(link), "%s/link.jsonl", dir);
  snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
  mode_t old = umask(0);
  rt_sink_file *fs = NULL;
  rt_err err;
  ASSERT_EQ(rt_sink_file_open("out.jsonl", dir, NULL, 0, &fs, &err), 0);
  ASSERT_EQ(rt_sink_file_write(fs, r, &err), 0);
  rt_sink_file_free(&fs);
  struct stat st;
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_EQ((int)(st.st_mode & 0777), 0600);
  ASSERT_EQ(symlink(path, link), 0);
  ASSERT_EQ(rt_sink_file_open(link, NULL, NULL, 0, &fs, &err), RT_EIO);
  ASSERT(strstr(err.msg, "symbolic link") != NULL);
  ASSERT_EQ(mkfifo(fifo, 0600), 0);
  ASSERT_EQ(rt_sink_file_open(fifo, NULL, NULL, 0, &fs, &err), RT_EIO);
  ASSERT(strstr(err.msg, "not a regular file") != NULL);
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_EQ(st.st_size, 8); /* {"n":1} and a newline, once */
  umask(old);
  unlink(fifo);
  unlink(link);
  unlink(path);
  rmdir(dir);
  rt_result_free(&r);
}

/* A protected file is refused however it is named: by its path, through
 * "..", or by a hard link; it is left as it was. */
static void test_into_file_protected(void) {
  char dir[] = "/tmp/eddy-sinks-XXXXXX", conn[96], other[96], hard[96], dotted[128];
  ASSERT(mkdtemp(dir) != NULL);
  snprintf(conn, sizeof(conn), "%s/kernel-1.json", dir);
  snprintf(other, sizeof(other), "%s/out.jsonl", dir);
  snprintf(hard, sizeof(hard), "%s/hard.jsonl", dir);
  snprintf(dotted, sizeof(dotted), "%s/../%s/kernel-1.json", dir, strrchr(dir, '/') + 1);
  FILE *f = fopen(conn, "w");
  fputs("{\"key\":\"k\"}", f);
  fclose(f);
  ASSERT_EQ(link(conn, hard), 0);
  rt_protected p[2] = {{"/nonexistent/history.jsonl", "the kernel's history"},
                       {conn, "the kernel's connection file"}};
  const char *refused[] = {conn, dotted, hard};
  rt_sink_file *fs = NULL;
  rt_err err;
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(rt_sink_file_open(refused[i], NULL, p, 2, &fs, &err), RT_EIO);
    ASSERT(fs == NULL);
    ASSERT(strstr(err.msg, "the kernel's connection file") != NULL);
  }
  ASSERT_EQ(rt_sink_file_open("kernel-1.json", dir, p, 2, &fs, &err), RT_EIO);
  ASSERT_EQ(rt_sink_file_open(other, NULL, p, 2, &fs, &err), 0);
  rt_sink_file_free(&fs);
  struct stat st;
  ASSERT_EQ(stat(conn, &st), 0);
  ASSERT_EQ(st.st_size, 11);
  unlink(hard);
  unlink(conn);
  unlink(other);
  rmdir(dir);
}

/* A torn last line (a crash mid-append) is cut at open: the next row starts
 * a line of its own, and the whole lines before it stay. */
static void test_file_torn_tail(void) {
  char path[] = "/tmp/eddy_sink_tornXXXXXX";
  int fd = mkstemp(path);
  ASSERT(fd >= 0);
  const char *before = "{\"a\":1}\n{\"a\":2}\n{\"window_st";
  ASSERT_EQ(write(fd, before, strlen(before)), (ssize_t)strlen(before));
  close(fd);
  rt_err err;
  rt_sink_file *fs;
  rt_result *r = make(1795168800000, "d1", 1);
  ASSERT_EQ(rt_sink_file_open(path, NULL, NULL, 0, &fs, &err), 0);
  ASSERT_EQ(rt_sink_file_write(fs, r, &err), 0);
  rt_sink_file_free(&fs);
  char got[512] = {0};
  FILE *f = fopen(path, "r");
  ASSERT(f != NULL);
  size_t n = fread(got, 1, sizeof(got) - 1, f);
  fclose(f);
  got[n] = '\0';
  ASSERT_STR_EQ(got, "{\"a\":1}\n{\"a\":2}\n{\"window_start\":\"2026-11-20T10:00:00.000Z\","
                     "\"device_id\":\"d1\",\"v\":1}\n");
  /* a file that is one torn line and nothing else is emptied; a whole one is kept */
  f = fopen(path, "w");
  ASSERT(f != NULL);
  fputs("{\"torn", f);
  fclose(f);
  ASSERT_EQ(rt_sink_file_open(path, NULL, NULL, 0, &fs, &err), 0);
  rt_sink_file_free(&fs);
  f = fopen(path, "r");
  ASSERT(f != NULL);
  ASSERT_EQ(fread(got, 1, sizeof(got), f), (size_t)0);
  fclose(f);
  rt_result_free(&r);
  unlink(path);
}

static void test_number_format(void) {
  char b[64];
  rt_number_format(3, b, sizeof(b));
  ASSERT_STR_EQ(b, "3");
  rt_number_format(-0.0, b, sizeof(b));
  ASSERT_STR_EQ(b, "0");
  rt_number_format(0.1 + 0.2, b, sizeof(b));
  ASSERT_STR_EQ(b, "0.30000000000000004");
  rt_number_format(1e300, b, sizeof(b));
  ASSERT_STR_EQ(b, "1e+300");
  rt_number_format(26.285500000000003, b, sizeof(b));
  ASSERT(strtod(b, NULL) == 26.285500000000003);
}

int main(void) {
  TEST_RUN(test_text);
  TEST_RUN(test_json_lines);
  TEST_RUN(test_into_file_private_no_links);
  TEST_RUN(test_into_file_protected);
  TEST_RUN(test_number_format);
  TEST_RUN(test_file_torn_tail);
  return test_summary();
}
