/*
 * A Jupyter kernel for the Eddy language: binds the five sockets of a
 * connection file, starts the heartbeat, IOPub and control threads, and
 * serves the shell channel on the calling thread until a shutdown request or
 * SIGTERM. SIGINT and interrupt_request interrupt the running cell, never the
 * kernel.
 */
#ifndef EDDY_KN_KERNEL_H
#define EDDY_KN_KERNEL_H

#include "kn_conn.h"
#include "rt_err.h"

#include <stdbool.h>

/* Optional settings of a kernel run. Plain struct; zero means default. */
typedef struct kn_options {
  const char *history_path; /* history file; NULL = the user's data dir */
  const char *connection_file; /* the connection file's path, which no
                                  `into file` may write; NULL = unknown */
  bool allow_unsigned;      /* start even when the connection file has no
                               key (kn_conn_check_signed); off by default */
} kn_options;

/*
 * Serves one kernel session described by conn (borrowed) until shutdown.
 * Returns 0 after a clean shutdown, or a negative RT_E* code with err filled
 * when the kernel could not start (no key without opts->allow_unsigned, a
 * port in use, a bad scheme, ...); nothing is bound then.
 */
int kn_kernel_run(const kn_conn *conn, const kn_options *opts, rt_err *err);

#endif
