/*
 * Publisher thread and its in-process feed. Publishers serialize and sign on
 * their own thread, then push the finished frames into a PUSH socket guarded
 * by a mutex; the publisher thread only moves frames from its PULL socket to
 * the public socket, so the shared work stays short. A zero-length one-frame
 * message (never a valid Jupyter message) tells the thread to stop after
 * everything queued before it.
 *
 * The public socket is a verbose XPUB so the thread sees every subscription:
 * the kernel starts in a millisecond, long before any front end has
 * subscribed, so `status: starting` is published whenever a subscriber
 * arrives before the kernel published anything else, instead of once into
 * the void at boot. Subscription frames are read before forwarding, so each
 * such subscriber sees `starting` first.
 */
#include "kn_iopub.h"

#include "rt_log.h"
#include "rt_mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

struct kn_iopub {
  void *pub;               /* PUB socket, owned by the thread */
  void *pull;              /* inproc PULL, owned by the thread */
  void *push;              /* inproc PUSH, shared under lock */
  pthread_mutex_t lock;    /* guards push */
  pthread_t thread;        /* the forwarding thread */
  kn_session *session;     /* borrowed: headers and ids */
  const kn_signer *signer; /* borrowed: signatures */
  int forwarded;           /* a message was published: no more `starting` */
};

/* Moves one multipart message from pull to pub; returns 1 on the stop
 * message, -1 when the context ends, 0 otherwise. */
static int forward_one(kn_iopub *io) {
  for (int first = 1;; first = 0) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, io->pull, 0) < 0) {
      zmq_msg_close(&part);
      return errno == EINTR ? 0 : -1;
    }
    int more = zmq_msg_more(&part);
    if (first && !more && zmq_msg_size(&part) == 0) {
      zmq_msg_close(&part);
      return 1;
    }
    io->forwarded = 1;
    if (zmq_msg_send(&part, io->pub, more ? ZMQ_SNDMORE : 0) < 0)
      zmq_msg_close(&part);
    if (!more)
      return 0;
  }
}

/* Reads subscription frames; the first subscription triggers `starting`,
 * sent directly on the socket (this thread owns it). */
static void read_subscriptions(kn_iopub *io) {
  char buf[8];
  while (zmq_recv(io->pub, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0) {
    if (io->forwarded || buf[0] != 1)
      continue;
    char header[KN_HEADER_MAX], topic[96];
    static const char body[] = "{\"execution_state\":\"starting\"}";
    size_t hlen = kn_session_header(io->session, "status", header);
    snprintf(topic, sizeof(topic), "kernel.%s.status", kn_session_id(io->session));
    kn_frame t = {topic, strlen(topic)};
    kn_frame parts[4] = {{header, hlen}, {"{}", 2}, {"{}", 2},
                         {(char *)body, sizeof(body) - 1}};
    kn_wire_send(io->pub, io->signer, &t, 1, parts);
  }
}

static void *iopub_main(void *arg) {
  kn_iopub *io = arg;
  zmq_pollitem_t items[2] = {{io->pub, 0, ZMQ_POLLIN, 0},
                             {io->pull, 0, ZMQ_POLLIN, 0}};
  for (;;) {
    int rc = zmq_poll(items, 2, -1);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0)
      break;
    if (items[0].revents & ZMQ_POLLIN)
      read_subscriptions(io);
    if ((items[1].revents & ZMQ_POLLIN) && forward_one(io) != 0)
      break;
  }
  zmq_close(io->pull);
  zmq_close(io->pub);
  return NULL;
}

int kn_iopub_start(void *zctx, void **pub, kn_session *session,
                   const kn_signer *signer, kn_iopub **out, rt_err *err) {
  char ep[64];
  kn_iopub *io = rt_xcalloc(1, sizeof(*io));
  io->session = session;
  io->signer = signer;
  io->pub = *pub;
  *pub = NULL;
  *out = NULL;
  snprintf(ep, sizeof(ep), "inproc://kn-iopub-%p", (void *)io);
  io->pull = zmq_socket(zctx, ZMQ_PULL);
  io->push = zmq_socket(zctx, ZMQ_PUSH);
  int hwm = 0, verbose = 1; /* never drop on the inproc hop */
  if (zmq_setsockopt(io->pub, ZMQ_XPUB_VERBOSE, &verbose, sizeof(verbose)) ||
      !io->pull || !io->push || zmq_setsockopt(io->pull, ZMQ_RCVHWM, &hwm, sizeof(hwm)) ||
      zmq_setsockopt(io->push, ZMQ_SNDHWM, &hwm, sizeof(hwm)) ||
      zmq_bind(io->pull, ep) || zmq_connect(io->push, ep))
    goto out_close;
  pthread_mutex_init(&io->lock, NULL);
  if (pthread_create(&io->thread, NULL, iopub_main, io) != 0) {
    pthread_mutex_destroy(&io->lock);
    goto out_close;
  }
  *out = io;
  return 0;
out_close:
  rt_err_set(err, RT_EIO, "iopub: cannot set up the publisher: %s",
             zmq_strerror(errno));
  zmq_close(io->pull);
  zmq_close(io->push);
  zmq_close(io->pub);
  rt_free(io);
  return RT_EIO;
}

void kn_iopub_stop(kn_iopub **iopub) {
  if (!iopub || !*iopub)
    return;
  kn_iopub *io = *iopub;
  pthread_mutex_lock(&io->lock);
  zmq_send(io->push, "", 0, 0);
  pthread_mutex_unlock(&io->lock);
  pthread_join(io->thread, NULL);
  int linger = 0;
  zmq_setsockopt(io->push, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_close(io->push);
  pthread_mutex_destroy(&io->lock);
  rt_free(io);
  *iopub = NULL;
}

/* Pushes topic + signed message under the lock. */
static int push_frames(kn_iopub *io, const char *topic, const kn_frame parts[4]) {
  kn_frame t = {(char *)topic, strlen(topic)};
  pthread_mutex_lock(&io->lock);
  int rc = kn_wire_send(io->push, io->signer, &t, 1, parts);
  pthread_mutex_unlock(&io->lock);
  return rc;
}

int kn_iopub_publish(kn_iopub *iopub, const char *msg_type,
                     const kn_frame *parent, json_t *content) {
  char header[KN_HEADER_MAX], topic[160];
  char *body = content ? json_dumps(content, JSON_COMPACT) : NULL;
  json_decref(content);
  size_t hlen = kn_session_header(iopub->session, msg_type, header);
  if (!body || hlen == 0) {
    free(body);
    rt_log(RT_LOG_ERROR, "iopub: cannot serialize a %s message", msg_type);
    return RT_EINVAL;
  }
  snprintf(topic, sizeof(topic), "kernel.%s.%s", kn_session_id(iopub->session),
           msg_type);
  kn_frame parts[4] = {
      {header, hlen},
      parent ? *parent : (kn_frame){"{}", 2},
      {"{}", 2},
      {body, strlen(body)},
  };
  int rc = push_frames(iopub, topic, parts);
  free(body);
  return rc;
}

int kn_iopub_status(kn_iopub *iopub, const kn_frame *parent, const char *state) {
  return kn_iopub_publish(iopub, "status", parent,
                          json_pack("{ss}", "execution_state", state));
}
