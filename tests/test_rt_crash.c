/* Tests of the crash points (rt_crash.h): each case runs in a child process,
 * since the variable is read once per process, and the parent checks how the
 * child ended: killed by SIGKILL on exactly the n-th pass of the named point,
 * or alive with every point inert (unset, another point, a malformed value). */
#include "rt_crash.h"
#include "test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs in a child: sets EDDY_CRASH_AT to spec (NULL unsets it), passes
 * "other" once and "p" passes times, then exits 0 (so, alive). Returns the
 * child's wait status. */
static int run_child(const char *spec, int passes) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    if (spec)
      setenv("EDDY_CRASH_AT", spec, 1);
    else
      unsetenv("EDDY_CRASH_AT");
    if (!freopen("/dev/null", "w", stderr)) /* the point's line and the warning */
      _exit(3);
    rt_crash_point("other");
    for (int i = 0; i < passes; i++)
      rt_crash_point("p");
    _exit(0);
  }
  int st = 0;
  ASSERT(pid > 0);
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  return st;
}

static int killed(int st) { return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL; }
static int alive(int st) { return WIFEXITED(st) && WEXITSTATUS(st) == 0; }

static void test_kills_on_the_nth_pass(void) {
  ASSERT(alive(run_child("p:3", 2)));
  ASSERT(killed(run_child("p:3", 3)));
  ASSERT(killed(run_child("p:1", 1)));
  ASSERT(killed(run_child("other:1", 0)));
}

static void test_inert(void) {
  ASSERT(alive(run_child(NULL, 10)));
  ASSERT(alive(run_child("", 10)));
  ASSERT(alive(run_child("q:1", 10)));
  ASSERT(alive(run_child("p", 10)));    /* no count */
  ASSERT(alive(run_child("p:0", 10)));  /* counts start at 1 */
  ASSERT(alive(run_child("p:x", 10)));
  ASSERT(alive(run_child(":1", 10)));   /* no point */
}

int main(void) {
  TEST_RUN(test_kills_on_the_nth_pass);
  TEST_RUN(test_inert);
  return test_summary();
}
