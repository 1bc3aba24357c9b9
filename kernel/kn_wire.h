/*
 * The Jupyter wire format: multipart ZeroMQ frames <-> kn_msg, and the HMAC
 * that authenticates them. A message on a ROUTER socket is
 *   [identities...] "<IDS|MSG>" signature header parent metadata content [buffers...]
 * The signature covers the exact bytes of the four JSON frames, so it is
 * checked on the received bytes before any JSON is parsed, and computed after
 * serializing on the way out. Everything here is pure (no sockets) except
 * kn_wire_recv()/kn_wire_send(), so the decoder can be unit-tested and fuzzed.
 */
#ifndef EDDY_KN_WIRE_H
#define EDDY_KN_WIRE_H

#include "rt_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A byte range; whether it owns its bytes is said where it is used. */
typedef struct kn_frame {
  char *data;
  size_t len;
} kn_frame;

/* Signs and verifies with the connection file's key. Thread-safe once made. */
typedef struct kn_signer kn_signer;

enum {
  KN_SIG_HEX_MAX = 129,               /* lowercase hex of a SHA-512, plus NUL */
  KN_MAX_IDENTS = 16,                 /* routing frames kept per message */
  KN_MAX_FRAMES = 64,                 /* frames after which a message is dropped */
  KN_MAX_MSG_BYTES = 64 * 1024 * 1024, /* total bytes after which it is dropped */
  KN_MAX_JSON_HEAD = 1024 * 1024,     /* header, parent, metadata limit each */
};

/*
 * Makes a signer for scheme ("hmac-sha256", any "hmac-<digest>" OpenSSL
 * knows) and the raw key bytes. An empty key makes a signer that signs with
 * "" and accepts anything, as the protocol says. Returns 0 and stores the
 * signer in *out (free with kn_signer_free()), or RT_EINVAL for an unknown
 * scheme, with err filled.
 */
int kn_signer_new(const char *scheme, const char *key, size_t keylen,
                  kn_signer **out, rt_err *err);

/* Frees a signer and NULLs *signer. Accepts NULL. */
void kn_signer_free(kn_signer **signer);

/* True when the signer has a key (messages are signed and checked). */
bool kn_signer_enabled(const kn_signer *signer);

/* Writes the lowercase hex HMAC of the four parts into hex (KN_SIG_HEX_MAX
 * bytes), or "" without a key. Returns the hex length. */
size_t kn_signer_sign(const kn_signer *signer, const kn_frame parts[4],
                      char *hex);

/* True when sig (siglen bytes, not NUL-terminated) is the signature of the
 * four parts. Checks the length first, then compares in constant time. */
bool kn_signer_verify(const kn_signer *signer, const kn_frame parts[4],
                      const char *sig, size_t siglen);

/*
 * One received message. Owns copies of every frame it keeps; header,
 * content and the strings taken from them live as long as the message.
 */
typedef struct kn_msg {
  kn_frame idents[KN_MAX_IDENTS]; /* routing identities, in order (owned) */
  int nidents;
  kn_frame raw[4];  /* header, parent, metadata, content bytes (owned);
                       content is empty when it was refused as too large */
  size_t content_size; /* bytes of the content frame as received */
  json_t *header;   /* parsed header object (owned) */
  json_t *content;  /* parsed content object, NULL if it did not parse */
  const char *msg_type; /* from header; borrowed from header */
  const char *msg_id;   /* from header, "" if absent; borrowed */
  char bad_content[160]; /* why content is NULL, "" otherwise */
} kn_msg;

/*
 * Decodes nframes frames (borrowed) into a new message: finds the delimiter,
 * verifies the signature on the raw bytes, then parses the header (must be an
 * object with a string msg_type) and the content (left NULL with bad_content
 * set when it is not a JSON object, or when it is larger than
 * content_max bytes). Returns 0 and stores the message in *out (free with
 * kn_msg_free()), or RT_EPROTO (malformed) / RT_EAUTH (bad signature) with
 * err filled and *out NULL. Never crashes on any input.
 */
int kn_wire_decode(const kn_frame *frames, int nframes, const kn_signer *signer,
                   size_t content_max, kn_msg **out, rt_err *err);

/* Frees a message and NULLs *msg. Accepts NULL. */
void kn_msg_free(kn_msg **msg);

/*
 * Receives one multipart message from a ZeroMQ socket (blocking only until
 * the first frame is there, which the caller has polled for) and decodes it.
 * Oversized or over-long messages are read to their end and dropped.
 * Returns 0 with *out set, RT_ETIMEDOUT when nothing was waiting,
 * RT_ESTOPPED when the context is shutting down, or the codes of
 * kn_wire_decode()/RT_ETOOBIG with err filled (the message is then gone).
 */
int kn_wire_recv(void *sock, const kn_signer *signer, size_t content_max,
                 kn_msg **out, rt_err *err);

/*
 * Sends one message: idents (may be NULL/0), the delimiter, the signature of
 * the four parts, the four parts. Returns 0 or RT_EIO. Thread-unsafe like the
 * socket it writes to.
 */
int kn_wire_send(void *sock, const kn_signer *signer, const kn_frame *idents,
                 int nidents, const kn_frame parts[4]);

#endif
