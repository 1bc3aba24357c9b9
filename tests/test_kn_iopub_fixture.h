/*
 * Test helper: a real IOPub publisher (kn_iopub on an inproc XPUB socket)
 * and a subscriber that takes everything, with the session and the
 * hmac-sha256 signer they share, so a test reads exactly what a front end
 * would. Used by the iopub/display tests and the live-display tests.
 * Header-only, static functions.
 */
#ifndef EDDY_TEST_KN_IOPUB_FIXTURE_H
#define EDDY_TEST_KN_IOPUB_FIXTURE_H

#include "test.h"

#include "kn_iopub.h"
#include "kn_session.h"
#include "kn_wire.h"

#include <zmq.h>

typedef struct iopub_fixture {
  void *ctx;           /* ZeroMQ context (owned) */
  void *sub;           /* SUB socket subscribed to every topic (owned) */
  kn_session *session; /* the publisher's session (owned) */
  kn_signer *signer;   /* hmac-sha256, key "k", for both ends (owned) */
  kn_iopub *iopub;     /* the publisher thread (owned) */
} iopub_fixture;

/* Starts the publisher bound to endpoint ("inproc://NAME", one per test
 * binary at a time) and connects the subscriber to it. */
static void iopub_fixture_start(iopub_fixture *f, const char *endpoint) {
  rt_err err;
  f->ctx = zmq_ctx_new();
  f->session = kn_session_new();
  ASSERT_EQ(kn_signer_new("hmac-sha256", "k", 1, &f->signer, &err), 0);
  void *pub = zmq_socket(f->ctx, ZMQ_XPUB);
  ASSERT_EQ(zmq_bind(pub, endpoint), 0);
  ASSERT_EQ(kn_iopub_start(f->ctx, &pub, f->session, f->signer, &f->iopub, &err), 0);
  ASSERT(pub == NULL); /* the publisher thread took the socket */
  f->sub = zmq_socket(f->ctx, ZMQ_SUB);
  ASSERT_EQ(zmq_setsockopt(f->sub, ZMQ_SUBSCRIBE, "", 0), 0);
  ASSERT_EQ(zmq_connect(f->sub, endpoint), 0);
}

/* The next published message, signature checked (caller frees it with
 * kn_msg_free), or NULL when none came within timeout_ms. */
static kn_msg *iopub_fixture_recv(iopub_fixture *f, int timeout_ms, size_t content_max) {
  zmq_pollitem_t item = {f->sub, 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, timeout_ms) != 1)
    return NULL;
  kn_msg *m = NULL;
  rt_err err;
  ASSERT_EQ(kn_wire_recv(f->sub, f->signer, content_max, &m, &err), 0);
  ASSERT_EQ(m->nidents, 1); /* the topic */
  return m;
}

/* Stops the publisher after its last message and frees everything. */
static void iopub_fixture_stop(iopub_fixture *f) {
  kn_iopub_stop(&f->iopub);
  ASSERT(f->iopub == NULL);
  zmq_close(f->sub);
  zmq_ctx_term(f->ctx);
  kn_signer_free(&f->signer);
  kn_session_free(&f->session);
}

#endif
