/* Unit tests for kn_history: sessions across restarts, tail, range, search
 * with glob and unique, output pairs, and a damaged file. */
#include "test.h"

#include "kn_history.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *query(kn_history *h, const char *req_json) {
  json_t *req = json_loads(req_json, 0, NULL);
  ASSERT(req != NULL);
  json_t *res = kn_history_query(h, req);
  json_decref(req);
  return res;
}

/* The input of entry i of a history array ([session, line, input]). */
static const char *input_at(json_t *arr, size_t i) {
  return json_string_value(json_array_get(json_array_get(arr, i), 2));
}

/* The history file of this run, under a fresh temporary directory. */
static char path[128];

static void test_sessions_and_tail(void) {
  kn_history *h = kn_history_new(path);
  ASSERT_EQ(kn_history_session(h), 1);
  kn_history_add(h, 1, "%help", 5, NULL);
  kn_history_add(h, 2, "%set batch 200ms", 16, NULL);
  kn_history_free(&h);
  ASSERT(h == NULL);

  h = kn_history_new(path); /* a kernel restart */
  ASSERT_EQ(kn_history_session(h), 2);
  kn_history_add(h, 1, "%queries", 8, "none");
  json_t *tail = query(h, "{\"hist_access_type\":\"tail\",\"n\":2}");
  ASSERT_EQ(json_array_size(tail), 2);
  ASSERT_STR_EQ(input_at(tail, 0), "%set batch 200ms");
  ASSERT_STR_EQ(input_at(tail, 1), "%queries");
  ASSERT_EQ(json_integer_value(json_array_get(json_array_get(tail, 1), 0)), 2);
  json_decref(tail);

  json_t *out = query(h, "{\"hist_access_type\":\"tail\",\"n\":1,\"output\":true}");
  json_t *pair = json_array_get(json_array_get(out, 0), 2);
  ASSERT_STR_EQ(json_string_value(json_array_get(pair, 0)), "%queries");
  ASSERT_STR_EQ(json_string_value(json_array_get(pair, 1)), "none");
  json_decref(out);
  kn_history_free(&h);
}

static void test_range_and_search(void) {
  kn_history *h = kn_history_new(path);
  ASSERT_EQ(kn_history_session(h), 3);
  kn_history_add(h, 1, "demo sensors | where a > 1", 26, NULL);
  kn_history_add(h, 2, "demo sensors | where b > 2", 26, NULL);
  kn_history_add(h, 3, "demo sensors | where a > 1", 26, NULL);
  json_t *r = query(h, "{\"hist_access_type\":\"range\",\"session\":0,"
                       "\"start\":2,\"stop\":4}");
  ASSERT_EQ(json_array_size(r), 2);
  ASSERT_EQ(json_integer_value(json_array_get(json_array_get(r, 0), 1)), 2);
  json_decref(r);
  r = query(h, "{\"hist_access_type\":\"range\",\"session\":-2,\"start\":1}");
  ASSERT_EQ(json_array_size(r), 2); /* session 1 */
  ASSERT_STR_EQ(input_at(r, 0), "%help");
  json_decref(r);
  r = query(h, "{\"hist_access_type\":\"search\",\"pattern\":\"demo*where ?*\"}");
  ASSERT_EQ(json_array_size(r), 3);
  json_decref(r);
  r = query(h, "{\"hist_access_type\":\"search\",\"pattern\":\"demo*\","
               "\"unique\":true}");
  ASSERT_EQ(json_array_size(r), 2);
  json_decref(r);
  r = query(h, "{\"hist_access_type\":\"search\",\"pattern\":\"*\",\"n\":1}");
  ASSERT_EQ(json_array_size(r), 1);
  ASSERT_STR_EQ(input_at(r, 0), "demo sensors | where a > 1");
  json_decref(r);
  r = query(h, "{\"hist_access_type\":\"nonsense\"}");
  ASSERT_EQ(json_array_size(r), 0);
  json_decref(r);
  kn_history_free(&h);
}

static void test_damaged_file(void) {
  FILE *f = fopen(path, "a");
  ASSERT(f != NULL);
  fputs("not json at all\n{\"session\":\"x\"}\n\xff\xfe\n", f);
  fclose(f);
  kn_history *h = kn_history_new(path);
  ASSERT_EQ(kn_history_session(h), 4);
  json_t *r = query(h, "{\"hist_access_type\":\"tail\",\"n\":100}");
  ASSERT_EQ(json_array_size(r), 6);
  json_decref(r);
  kn_history_free(&h);
}

/* A cell longer than the 64 KiB the session scan reads still counts. */
static void test_long_entry(void) {
  size_t n = 100 * 1024;
  char *big = malloc(n);
  memset(big, 'x', n);
  kn_history *h = kn_history_new(path);
  ASSERT_EQ(kn_history_session(h), 4); /* the damaged-file kernel stored nothing */
  kn_history_add(h, 1, big, n, NULL);
  kn_history_free(&h);
  h = kn_history_new(path);
  ASSERT_EQ(kn_history_session(h), 5);
  kn_history_free(&h);
  free(big);
}

/* The history is private: its folders are made 0700 and the file 0600 (the
 * umask is 0 in this test, so these are the modes asked for), and a
 * symbolic link planted at its name is not written through. */
static void test_private_file(void) {
  char dir[] = "/tmp/eddy-hist-XXXXXX", file[128], sub[96], link[128], victim[128];
  ASSERT(mkdtemp(dir) != NULL);
  snprintf(sub, sizeof(sub), "%s/a", dir);
  snprintf(file, sizeof(file), "%s/a/b/history.jsonl", dir);
  mode_t old = umask(0);
  kn_history *h = kn_history_new(file);
  kn_history_add(h, 1, "%help", 5, NULL);
  kn_history_free(&h);
  struct stat st;
  ASSERT_EQ(stat(sub, &st), 0);
  ASSERT_EQ((int)(st.st_mode & 0777), 0700);
  ASSERT_EQ(stat(file, &st), 0);
  ASSERT_EQ((int)(st.st_mode & 0777), 0600);
  snprintf(victim, sizeof(victim), "%s/victim", dir);
  snprintf(link, sizeof(link), "%s/link.jsonl", dir);
  ASSERT_EQ(symlink(victim, link), 0);
  h = kn_history_new(link);
  kn_history_add(h, 1, "%help", 5, NULL);
  kn_history_free(&h);
  ASSERT(access(victim, F_OK) != 0);
  umask(old);
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ASSERT_EQ(system(cmd), 0);
}

/* Without HOME or XDG_DATA_HOME the history goes to the account's home
 * folder, never to a shared one. */
static void test_default_path_not_shared(void) {
  char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
  char *xdg = getenv("XDG_DATA_HOME") ? strdup(getenv("XDG_DATA_HOME")) : NULL;
  unsetenv("HOME");
  unsetenv("XDG_DATA_HOME");
  kn_history *h = kn_history_new(NULL);
  ASSERT(strncmp(kn_history_path(h), "/tmp/", 5) != 0);
  ASSERT(strstr(kn_history_path(h), "/.local/share/eddy/history.jsonl") != NULL);
  kn_history_free(&h);
  if (home)
    setenv("HOME", home, 1);
  if (xdg)
    setenv("XDG_DATA_HOME", xdg, 1);
  free(home);
  free(xdg);
}

static void test_unwritable(void) {
  kn_history *h = kn_history_new("/proc/eddy-no-such-dir/history.jsonl");
  kn_history_add(h, 1, "%help", 5, NULL);
  json_t *r = query(h, "{\"hist_access_type\":\"tail\",\"n\":5}");
  ASSERT_EQ(json_array_size(r), 1); /* kept in memory */
  json_decref(r);
  kn_history_free(&h);
}

int main(void) {
  char dir[] = "/tmp/eddy-hist-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  snprintf(path, sizeof(path), "%s/sub/history.jsonl", dir);
  TEST_RUN(test_sessions_and_tail);
  TEST_RUN(test_range_and_search);
  TEST_RUN(test_damaged_file);
  TEST_RUN(test_long_entry);
  TEST_RUN(test_private_file);
  TEST_RUN(test_default_path_not_shared);
  TEST_RUN(test_unwritable);
  unlink(path);
  snprintf(path, sizeof(path), "%s/sub", dir);
  rmdir(path);
  rmdir(dir);
  return test_summary();
}
