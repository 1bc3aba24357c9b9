/*
 * The heartbeat: a thread that echoes every message on the hb socket back to
 * its sender, untouched. It never waits on anything else, so a long cell or a
 * busy runtime cannot make the front end declare the kernel dead.
 */
#ifndef EDDY_KN_HEARTBEAT_H
#define EDDY_KN_HEARTBEAT_H

#include "rt_err.h"

typedef struct kn_heartbeat kn_heartbeat;

/* Starts echoing on hb, a bound ROUTER socket whose ownership passes to the
 * thread (the pointer is NULLed). Returns 0 with *out set, or RT_EIO with err
 * filled (hb is then closed). */
int kn_heartbeat_start(void **hb, kn_heartbeat **out, rt_err *err);

/* Waits for the thread, which ends when the ZeroMQ context is shut down
 * (zmq_ctx_shutdown), and frees it; NULLs *hb. Accepts NULL. */
void kn_heartbeat_join(kn_heartbeat **hb);

#endif
