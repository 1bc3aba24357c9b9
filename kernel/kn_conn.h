/*
 * The connection file a Jupyter front end writes for each kernel it starts:
 * transport, address, the five ports, the signature scheme and key. Only the
 * fields the kernel needs are read; unknown ones (kernel_name, ...) are
 * ignored, as the protocol asks. A tcp address must be a literal IP address,
 * so the sockets bind exactly where the file says.
 */
#ifndef EDDY_KN_CONN_H
#define EDDY_KN_CONN_H

#include "rt_err.h"

#include <stdbool.h>
#include <stddef.h>

/* The channels, in the order of kn_conn.ports. */
typedef enum kn_channel {
  KN_CH_SHELL,
  KN_CH_IOPUB,
  KN_CH_STDIN,
  KN_CH_CONTROL,
  KN_CH_HB,
  KN_CH_COUNT,
} kn_channel;

/* A parsed connection file. Plain struct: callers read its fields. */
typedef struct kn_conn {
  char transport[8];        /* "tcp" or "ipc" */
  char ip[256];             /* literal IPv4/IPv6 address (tcp) or path
                               prefix (ipc) */
  int ports[KN_CH_COUNT];   /* indexed by kn_channel */
  char scheme[32];          /* "hmac-sha256" */
  char *key;                /* raw key bytes, NUL-terminated, owned */
  size_t keylen;            /* 0: messages are not signed (refused unless
                               the user opts in: kn_conn_check_signed) */
  int file_mode;            /* kn_conn_load: the file's permission bits
                               (others reading it take the key); 0 unknown */
} kn_conn;

/*
 * Parses len bytes of connection-file JSON into conn. Returns 0, or
 * RT_EINVAL with err saying which field is missing or wrong. On success the
 * caller frees conn's contents with kn_conn_clear(); on failure nothing needs
 * freeing.
 */
int kn_conn_parse(kn_conn *conn, const char *json, size_t len, rt_err *err);

/* Reads and parses the file at path, and records its permission bits in
 * file_mode (the kernel warns when others may read it). Same contract as
 * kn_conn_parse(), with RT_EIO when the file cannot be read. */
int kn_conn_load(kn_conn *conn, const char *path, rt_err *err);

/*
 * The start-up rule on keys: a connection file with an empty or missing key
 * would let anyone who reaches the ports run code, so it is refused unless
 * allow_unsigned (the user's explicit --allow-unsigned or
 * EDDY_ALLOW_UNSIGNED=1). Returns 0, or RT_EAUTH with err saying why and how
 * to opt in. The message never holds the key.
 */
int kn_conn_check_signed(const kn_conn *conn, bool allow_unsigned,
                         rt_err *err);

/* True when conn listens on every interface (tcp 0.0.0.0 or ::). */
bool kn_conn_is_wildcard(const kn_conn *conn);

/* Frees the key and zeroes conn. Accepts a zeroed conn. */
void kn_conn_clear(kn_conn *conn);

/* Writes the ZeroMQ endpoint of channel ch ("tcp://127.0.0.1:5555",
 * "tcp://[::1]:5555" or "ipc://prefix-5555") into out (outsz bytes).
 * Returns out. */
char *kn_conn_endpoint(const kn_conn *conn, kn_channel ch, char *out,
                       size_t outsz);

/* The connection-file name of a channel's port ("shell_port"). Static. */
const char *kn_channel_port_name(kn_channel ch);

#endif
