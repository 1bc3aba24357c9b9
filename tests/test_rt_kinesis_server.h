/*
 * Test helper: starts a Kinesis server (or dynalite) through tests/services/
 * on a free loopback port (it exits when the pipe to its stdin closes), for
 * the Kinesis client, reader and source tests. Header-only, static functions.
 *
 * The Kinesis server is EDDY_TEST_KINESIS: "kinesalite" (the default) or
 * "kinesis-mock". CTest runs every test binary that calls server_start()
 * once per server (NAME and NAME_kinesis_mock, see CMakeLists.txt); a check
 * that only one server can pass asks server_is() and says why.
 */
#ifndef EDDY_TEST_RT_KINESIS_SERVER_H
#define EDDY_TEST_RT_KINESIS_SERVER_H

#include "test.h"
#include "test_spawn.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct server {
  pid_t pid;
  int stdin_fd;
  char url[64];
  char name[32]; /* kinesalite, kinesis-mock or dynalite */
} server;

/* Is s the server named name? */
static inline int server_is(const server *s, const char *name) {
  return strcmp(s->name, name) == 0;
}

/* Fails the test binary with a reason a person can act on. */
static void server_fail(const char *name, const char *why) {
  fprintf(stderr, "%s: %s (scripts/setup installs it)\n", name, why);
  test__fail(__FILE__, __LINE__, "the local service could not start");
}

/* Starts NAME (kinesalite, kinesis-mock or dynalite) through
 * tests/services/serve.js. The project's set-up installs them, so a missing
 * one fails the test instead of letting it pass without testing anything. */
static void server_start_service(server *s, const char *name) {
  char script[512], module[512];
  snprintf(s->name, sizeof(s->name), "%s", name);
  snprintf(script, sizeof(script), "%s/services/serve.js", EDDY_TEST_DATA);
  snprintf(module, sizeof(module), "%s/../node_modules/%s", EDDY_TEST_DATA,
           strcmp(name, "kinesis-mock") == 0 ? "kinesis-local" : name);
  if (access(script, R_OK) != 0 || access(module, R_OK) != 0)
    server_fail(name, "node_modules is missing it");
  char *argv[] = {"node", script, (char *)name, "0", NULL};
  long port = spawn_with_port(argv, &s->pid, &s->stdin_fd);
  if (port < 0)
    server_fail(name, "it did not print its port (is node installed?)");
  snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%ld", port);
}

/* The Kinesis server this run tests against (EDDY_TEST_KINESIS, default kinesalite). */
static const char *server_kinesis_name(void) {
  const char *e = getenv("EDDY_TEST_KINESIS");
  return e && e[0] ? e : "kinesalite";
}

/* Starts the Kinesis server of this run. */
static inline void server_start(server *s) { server_start_service(s, server_kinesis_name()); }

static void server_stop(server *s) {
  close(s->stdin_fd); /* the server exits when its stdin closes */
  int st;
  for (int i = 0; i < 50; i++) {
    if (waitpid(s->pid, &st, WNOHANG) == s->pid)
      return;
    usleep(100000);
  }
  kill(s->pid, SIGKILL);
  waitpid(s->pid, &st, 0);
}

#endif
