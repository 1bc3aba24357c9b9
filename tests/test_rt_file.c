/*
 * Unit tests for rt_file: the private files and folders Eddy creates (0600,
 * 0700, whatever the umask lets through otherwise), never written through a
 * symbolic link, never a FIFO or a device, and an existing folder or file
 * left with the mode it had. Runs with umask 0, so every mode checked is the
 * one Eddy asked for, not the umask's.
 */
#include "test.h"

#include "rt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/eddy-file-XXXXXX";

static char *at(const char *name) {
  static char buf[4][256];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
  return buf[i];
}

static int mode_of(const char *path) {
  struct stat st;
  ASSERT_EQ(lstat(path, &st), 0);
  return (int)(st.st_mode & 07777);
}

static void test_mkdirs_private_new_only(void) {
  rt_err err;
  ASSERT_EQ(mkdir(at("wide"), 0755), 0);
  ASSERT_EQ(rt_file_mkdirs(at("wide/a/b/"), &err), 0);
  ASSERT_EQ(mode_of(at("wide")), 0755); /* existing: left as it is */
  ASSERT_EQ(mode_of(at("wide/a")), 0700);
  ASSERT_EQ(mode_of(at("wide/a/b")), 0700);
  ASSERT_EQ(rt_file_mkparents(at("wide/c/file"), &err), 0);
  ASSERT_EQ(mode_of(at("wide/c")), 0700);
  int fd = open(at("plain"), O_CREAT | O_WRONLY, 0600);
  ASSERT(fd >= 0);
  close(fd);
  ASSERT_EQ(rt_file_mkdirs(at("plain/x"), &err), RT_EIO);
  ASSERT_EQ(rt_file_mkdirs("", &err), 0);
  ASSERT_EQ(rt_file_mkparents("bare-name", &err), 0);
  ASSERT(strstr(err.msg, "plain") != NULL);
}

static void test_append_creates_0600_keeps_existing(void) {
  rt_err err;
  int fd = rt_file_open_append(at("new.jsonl"), RT_FILE_PRIVATE, &err);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, "a\n", 2), 2);
  close(fd);
  ASSERT_EQ(mode_of(at("new.jsonl")), 0600);
  ASSERT_EQ(chmod(at("new.jsonl"), 0640), 0);
  fd = rt_file_open_append(at("new.jsonl"), RT_FILE_PRIVATE, &err);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, "b\n", 2), 2);
  close(fd);
  ASSERT_EQ(mode_of(at("new.jsonl")), 0640); /* the user's choice stays */
  struct stat st;
  ASSERT_EQ(stat(at("new.jsonl"), &st), 0);
  ASSERT_EQ(st.st_size, 4); /* appended, not truncated */
}

static void test_append_refuses_links_fifos_folders(void) {
  rt_err err;
  int fd = open(at("victim"), O_CREAT | O_WRONLY, 0600);
  ASSERT(fd >= 0);
  close(fd);
  ASSERT_EQ(symlink(at("victim"), at("link")), 0);
  ASSERT_EQ(rt_file_open_append(at("link"), RT_FILE_PRIVATE, &err), RT_EIO);
  ASSERT(strstr(err.msg, "symbolic link") != NULL);
  ASSERT_EQ(symlink(at("nowhere"), at("dangling")), 0);
  ASSERT_EQ(rt_file_open_append(at("dangling"), RT_FILE_PRIVATE, &err), RT_EIO);
  ASSERT(access(at("nowhere"), F_OK) != 0); /* not created through the link */
  ASSERT_EQ(mkfifo(at("fifo"), 0600), 0);
  ASSERT_EQ(rt_file_open_append(at("fifo"), RT_FILE_PRIVATE, &err), RT_EIO); /* no reader: */
  ASSERT(strstr(err.msg, "not a regular file") != NULL);                    /* no blocking */
  int rd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
  ASSERT(rd >= 0);
  ASSERT_EQ(rt_file_open_append(at("fifo"), RT_FILE_PRIVATE, &err), RT_EIO); /* a reader */
  close(rd);
  ASSERT_EQ(rt_file_open_append(dir, RT_FILE_PRIVATE, &err), RT_EIO);
  ASSERT_EQ(rt_file_open_append("/dev/null", RT_FILE_PRIVATE, &err), RT_EIO);
  struct stat st;
  ASSERT_EQ(stat(at("victim"), &st), 0);
  ASSERT_EQ(st.st_size, 0);
}

static void test_create_private_replaces_planted_link(void) {
  rt_err err;
  int fd = open(at("target"), O_CREAT | O_WRONLY, 0644);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, "keep", 4), 4);
  close(fd);
  ASSERT_EQ(symlink(at("target"), at("ck.tmp")), 0);
  fd = rt_file_create_private(at("ck.tmp"), &err);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, "new", 3), 3);
  close(fd);
  ASSERT_EQ(mode_of(at("ck.tmp")), 0600); /* a file now, not the link */
  struct stat st;
  ASSERT_EQ(stat(at("target"), &st), 0);
  ASSERT_EQ(st.st_size, 4); /* the link's target is untouched */
  ASSERT_EQ(mode_of(at("target")), 0644);
  fd = rt_file_create_private(at("ck.tmp"), &err); /* a stale temp: replaced */
  ASSERT(fd >= 0);
  close(fd);
  ASSERT_EQ(stat(at("ck.tmp"), &st), 0);
  ASSERT_EQ(st.st_size, 0);
  ASSERT_EQ(rt_file_create_private(at("no/such/dir"), &err), RT_EIO);
}

int main(void) {
  umask(0);
  ASSERT(mkdtemp(dir) != NULL);
  TEST_RUN(test_mkdirs_private_new_only);
  TEST_RUN(test_append_creates_0600_keeps_existing);
  TEST_RUN(test_append_refuses_links_fifos_folders);
  TEST_RUN(test_create_private_replaces_planted_link);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ASSERT_EQ(system(cmd), 0);
  return test_summary();
}
