/*
 * Helper processes of tests and benchmarks (the local AWS servers, the fault
 * proxy, the scripted credential server): each is started with a pipe on its
 * stdin, which is its lifeline (it exits when the pipe closes, so even a test
 * that dies leaves none behind), and prints the port it listens on as its
 * first line. Header-only; needs no test framework.
 */
#ifndef EDDY_TEST_SPAWN_H
#define EDDY_TEST_SPAWN_H

#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Starts argv (argv[0] searched in PATH; NULL-terminated) and reads the port
 * from its first stdout line. Returns the port (1 to 65535) with *pid and
 * *stdin_fd set (close the fd to stop it, then waitpid); or -1 when it could
 * not start or printed no port (the child, if any, is reaped).
 */
static long spawn_with_port(char *const argv[], pid_t *pid, int *stdin_fd) {
  int in[2], out[2];
  if (pipe(in) != 0)
    return -1;
  if (pipe(out) != 0) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  *pid = fork();
  if (*pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  char buf[32] = "";
  ssize_t n = 0;
  while (*pid > 0 && n < (ssize_t)sizeof(buf) - 1 && read(out[0], buf + n, 1) == 1 &&
         buf[n] != '\n')
    n++;
  buf[n] = '\0';
  close(out[0]);
  long port = strtol(buf, NULL, 10);
  if (*pid > 0 && port > 0 && port <= 65535) {
    *stdin_fd = in[1];
    return port;
  }
  close(in[1]);
  if (*pid > 0) {
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
  }
  return -1;
}

#endif
