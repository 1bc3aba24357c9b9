/*
 * credential_process: the profile names a command that prints credentials
 * as JSON (Version 1) on stdout. It runs through /bin/sh -c with stdin
 * closed and stderr passed through; stdout is read to its end (at most
 * 64 KiB) and the exit status checked. Its output is a secret: messages
 * about it give positions and names, never its text.
 */
#include "rt_aws_int.h"

#include "rt_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { PROCESS_MAX_OUT = 64 * 1024 };

int rt_aws_process_parse(const char *text, size_t len, rt_aws_creds_value *out, rt_err *err) {
  rt_aws_creds_value_wipe(out);
  json_error_t je;
  json_t *o = json_loadb(text, len, 0, &je);
  const char *w = "credential_process output";
  if (!json_is_object(o)) {
    json_decref(o);
    return rt_err_set(err, RT_EPROTO, "%s is not a JSON object (line %d, column %d)", w,
                      je.line, je.column);
  }
  json_t *ver = json_object_get(o, "Version");
  int rc = 0;
  if (!json_is_integer(ver) || json_integer_value(ver) != 1)
    rc = rt_err_set(err, RT_EPROTO, "%s: \"Version\" must be 1", w);
  char expiry[64] = "";
  if (rc == 0)
    rc = rt_aws__json_str(o, "AccessKeyId", w, out->access_key, sizeof(out->access_key), err);
  if (rc == 0)
    rc = rt_aws__json_str(o, "SecretAccessKey", w, out->secret_key, sizeof(out->secret_key),
                          err);
  if (rc == 0 && json_object_get(o, "SessionToken"))
    rc = rt_aws__json_str(o, "SessionToken", w, out->session_token,
                          sizeof(out->session_token), err);
  if (rc == 0 && json_object_get(o, "Expiration"))
    rc = rt_aws__json_str(o, "Expiration", w, expiry, sizeof(expiry), err);
  if (rc == 0 && expiry[0])
    rc = rt_aws__parse_expiry(expiry, w, &out->expires_ms, err);
  json_decref(o);
  return rc;
}

/* Starts cmd with stdout on a pipe; *fd is the read end. */
static int spawn(const char *cmd, pid_t *pid, int *fd, rt_err *err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    return rt_err_set(err, RT_EIO, "credential_process: pipe: %s", strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  char *argv[] = {"sh", "-c", (char *)cmd, NULL};
  int rc = posix_spawn(pid, "/bin/sh", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    return rt_err_set(err, RT_EIO, "credential_process: cannot start /bin/sh: %s",
                      strerror(rc));
  }
  *fd = p[0];
  return 0;
}

/* Reads fd to its end into b (capped); RT_ETOOBIG past the cap. */
static int read_all(int fd, rt_buf *b) {
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return 0;
    if (rt_buf_append(b, chunk, (size_t)n) != 0)
      return RT_ETOOBIG;
  }
}

int rt_aws__process(const char *profile, const char *cmd, rt_aws_creds_value *out,
                    rt_err *err) {
  pid_t pid = 0;
  int fd = -1;
  int rc = spawn(cmd, &pid, &fd, err);
  if (rc != 0)
    return rc;
  rt_buf b;
  rt_buf_init(&b, PROCESS_MAX_OUT);
  int big = read_all(fd, &b);
  close(fd);
  if (big)
    kill(pid, SIGKILL);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (big)
    rc = rt_err_set(err, RT_ETOOBIG, "credential_process of profile %s printed over %d bytes",
                    profile, PROCESS_MAX_OUT);
  else if (WIFSIGNALED(st))
    rc = rt_err_set(err, RT_EAUTH, "credential_process of profile %s was killed by signal %d",
                    profile, WTERMSIG(st));
  else if (WEXITSTATUS(st) != 0)
    rc = rt_err_set(err, RT_EAUTH, "credential_process of profile %s exited with status %d "
                    "(its stderr says why)", profile, WEXITSTATUS(st));
  else
    rc = rt_aws_process_parse(b.data ? b.data : "", b.len, out, err);
  if (rc != 0 && rc != RT_ETOOBIG && !big && WIFEXITED(st) && WEXITSTATUS(st) == 0)
    rt_aws__prefix(err, rc, "credential_process of profile %s", profile);
  if (rc == 0)
    snprintf(out->source, sizeof(out->source), "credential_process via profile %s", profile);
  if (b.data)
    memset(b.data, 0, b.len);
  rt_buf_free(&b);
  return rc;
}
