/*
 * Heartbeat echo: zmq_proxy() with the ROUTER socket as both ends sends each
 * message back along its own routing identity, exactly what ipykernel's
 * zmq.device(QUEUE, router, router) does. It returns only when the context is
 * shut down.
 */
#include "kn_heartbeat.h"

#include "rt_mem.h"

#include <errno.h>
#include <pthread.h>
#include <zmq.h>

struct kn_heartbeat {
  void *sock;       /* ROUTER, owned by the thread */
  pthread_t thread; /* the echo thread */
};

static void *hb_main(void *arg) {
  kn_heartbeat *hb = arg;
  while (zmq_proxy(hb->sock, hb->sock, NULL) < 0 && errno == EINTR)
    ;
  zmq_close(hb->sock);
  return NULL;
}

int kn_heartbeat_start(void **sock, kn_heartbeat **out, rt_err *err) {
  kn_heartbeat *hb = rt_xcalloc(1, sizeof(*hb));
  hb->sock = *sock;
  *sock = NULL;
  *out = NULL;
  if (pthread_create(&hb->thread, NULL, hb_main, hb) != 0) {
    zmq_close(hb->sock);
    rt_free(hb);
    return rt_err_set(err, RT_EIO, "heartbeat: cannot start its thread");
  }
  *out = hb;
  return 0;
}

void kn_heartbeat_join(kn_heartbeat **hb) {
  if (!hb || !*hb)
    return;
  pthread_join((*hb)->thread, NULL);
  rt_free(*hb);
  *hb = NULL;
}
