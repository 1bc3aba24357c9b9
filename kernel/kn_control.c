/*
 * The control channel on its own thread, so interrupt and shutdown requests
 * are answered while a cell runs on the shell thread. The same thread reads
 * SIGINT and SIGTERM from a signalfd (they are blocked in every thread, see
 * kn_kernel.c): no async-signal handler, no global flag, no EINTR anywhere.
 * SIGINT interrupts the running cell like interrupt_request; SIGTERM shuts
 * the kernel down like shutdown_request. The thread also wakes every second
 * to see whether the process that started the kernel is gone (the kernel
 * was re-parented), and then shuts down rather than live on as an orphan.
 * (PR_SET_PDEATHSIG would fire when the launching *thread* exits, which
 * Python front ends that start kernels from worker threads do.)
 */
#include "kn_int.h"

#include "rt_log.h"
#include "rt_mem.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

enum { KN_PARENT_CHECK_MS = 1000 };

struct kn_control {
  kn_kernel *k;     /* the kernel */
  void *sock;       /* control ROUTER, this thread only */
  void *wake;       /* PAIR to the main thread, this thread only */
  int sigfd;        /* signalfd for SIGINT and SIGTERM, -1 if unavailable */
  pid_t parent;     /* the process that started the kernel */
  pthread_t thread; /* the control thread */
};

void kn__request_stop(kn_kernel *k) {
  atomic_store(&k->stopping, 1);
  atomic_store(&k->interrupt, 1); /* a running cell should end now */
  kn_control *c = k->control;
  if (c)
    zmq_send(c->wake, "", 0, ZMQ_DONTWAIT);
}

/* Reads one signal; returns 1 when the thread should end. */
static int on_signal(kn_control *c) {
  struct signalfd_siginfo si;
  if (read(c->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
    return 0;
  if (si.ssi_signo == SIGINT) {
    rt_log(RT_LOG_INFO, "SIGINT: interrupting the running cell");
    atomic_store(&c->k->interrupt, 1);
    return 0;
  }
  rt_log(RT_LOG_INFO, "SIGTERM: shutting down");
  kn__request_stop(c->k);
  return 1;
}

static void on_message(kn_control *c) {
  kn_msg *msg = NULL;
  rt_err err;
  int rc = kn_wire_recv(c->sock, c->k->signer, KN_CONTENT_MAX, &msg, &err);
  if (rc == RT_EAUTH)
    rt_log(RT_LOG_WARN, "control: dropped a message: %s", err.msg);
  else if (rc < 0 && rc != RT_ETIMEDOUT && rc != RT_ESTOPPED)
    rt_log(RT_LOG_WARN, "control: dropped a malformed message: %s", err.msg);
  if (!msg)
    return;
  kn_req req = {c->k, msg, c->sock, KN_CH_CONTROL, false};
  kn__dispatch(&req);
  kn_msg_free(&msg);
}

static void *control_main(void *arg) {
  kn_control *c = arg;
  zmq_pollitem_t items[3] = {{c->sock, 0, ZMQ_POLLIN, 0},
                             {c->wake, 0, ZMQ_POLLIN, 0},
                             {NULL, c->sigfd, ZMQ_POLLIN, 0}};
  int nitems = c->sigfd >= 0 ? 3 : 2;
  while (!atomic_load(&c->k->stopping)) {
    int rc = zmq_poll(items, nitems, KN_PARENT_CHECK_MS);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc == 0 && c->parent > 1 && getppid() != c->parent) {
      rt_log(RT_LOG_WARN, "the process that started the kernel is gone; "
                          "shutting down");
      kn__request_stop(c->k);
      break;
    }
    if (rc < 0 || (items[1].revents & ZMQ_POLLIN))
      break;
    if (nitems == 3 && (items[2].revents & ZMQ_POLLIN) && on_signal(c))
      break;
    if (items[0].revents & ZMQ_POLLIN)
      on_message(c);
  }
  return NULL;
}

int kn__control_start(kn_kernel *k, void **ctl, void **wake, rt_err *err) {
  kn_control *c = rt_xcalloc(1, sizeof(*c));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  c->k = k;
  c->parent = getppid();
  c->sock = *ctl;
  c->wake = *wake;
  *ctl = *wake = NULL;
  c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (c->sigfd < 0)
    rt_log(RT_LOG_WARN, "no signalfd (%s): SIGINT is ignored", strerror(errno));
  k->control = c;
  if (pthread_create(&c->thread, NULL, control_main, c) == 0)
    return 0;
  k->control = NULL;
  zmq_close(c->sock);
  zmq_close(c->wake);
  if (c->sigfd >= 0)
    close(c->sigfd);
  rt_free(c);
  return rt_err_set(err, RT_EIO, "cannot start the control thread");
}

void kn__control_join(kn_control **ctl) {
  if (!ctl || !*ctl)
    return;
  kn_control *c = *ctl;
  pthread_join(c->thread, NULL);
  zmq_close(c->sock);
  zmq_close(c->wake);
  if (c->sigfd >= 0)
    close(c->sigfd);
  rt_free(c);
  *ctl = NULL;
}
