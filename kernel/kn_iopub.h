/*
 * The IOPub publisher. One thread owns the PUB socket (ZeroMQ sockets are not
 * thread-safe); every other thread, including live-query threads of the
 * runtime, publishes through kn_iopub_publish(), which signs the message and
 * hands it over an in-process pipe. Messages from one thread keep their order.
 */
#ifndef EDDY_KN_IOPUB_H
#define EDDY_KN_IOPUB_H

#include "kn_session.h"
#include "kn_wire.h"
#include "rt_err.h"

#include <jansson.h>

typedef struct kn_iopub kn_iopub;

/*
 * Starts the publisher thread on pub, a bound XPUB socket whose ownership
 * passes to the thread (the pointer is NULLed). The thread publishes
 * `status: starting` itself when the first subscriber arrives. session and signer are
 * borrowed and must outlive the publisher. Returns 0 with *out set (stop with
 * kn_iopub_stop()), or RT_EIO with err filled (pub is then closed).
 */
int kn_iopub_start(void *zctx, void **pub, kn_session *session,
                   const kn_signer *signer, kn_iopub **out, rt_err *err);

/* Sends everything already published, stops the thread, closes the sockets
 * and frees the publisher; NULLs *iopub. Accepts NULL. */
void kn_iopub_stop(kn_iopub **iopub);

/*
 * Publishes a message of msg_type with content (reference stolen, even on
 * failure) and parent, the raw header bytes of the request that caused it
 * (NULL for none: "{}"). Thread-safe. Returns 0, RT_EINVAL when content
 * cannot be serialized, or RT_EIO.
 */
int kn_iopub_publish(kn_iopub *iopub, const char *msg_type,
                     const kn_frame *parent, json_t *content);

/* Publishes status execution_state (busy, idle, starting) for parent. */
int kn_iopub_status(kn_iopub *iopub, const kn_frame *parent, const char *state);

#endif
