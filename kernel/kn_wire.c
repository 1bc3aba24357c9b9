/*
 * Frames, signatures and the decoder of Jupyter messages. The decoder trusts
 * nothing: it bounds every count and size, checks the signature on the exact
 * received bytes before jansson sees them, and reports rather than logs, so
 * the caller decides what a dropped message deserves.
 *
 * Signatures are OpenSSL's HMAC through EVP_MAC: the key is set once in a
 * template context, and each message works on a duplicate of it
 * (EVP_MAC_CTX_dup), so one signer serves every thread without a lock.
 * The first fetch starts OpenSSL 3's provider machinery, a cost the
 * kernel's measured cold start pays once; `eddy kernel` trims it with
 * process-wide init options (cli/cmd_kernel.c), and bench/README.md has the
 * figures.
 */
#include "kn_wire.h"

#include "rt_mem.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>
#include <zmq.h>

static const char kn_delim[] = "<IDS|MSG>";

struct kn_signer {
  bool enabled;       /* a key was given: sign and verify */
  EVP_MAC *mac;       /* the HMAC algorithm */
  EVP_MAC_CTX *tmpl;  /* keyed with the connection key; duplicated per use */
};

int kn_signer_new(const char *scheme, const char *key, size_t keylen,
                  kn_signer **out, rt_err *err) {
  *out = NULL;
  kn_signer *s = rt_xcalloc(1, sizeof(*s));
  if (keylen == 0) {
    *out = s;
    return 0;
  }
  s->enabled = true;
  if (!scheme || strncmp(scheme, "hmac-", 5) != 0 || !scheme[5]) {
    kn_signer_free(&s);
    return rt_err_set(err, RT_EINVAL, "unsupported signature_scheme \"%s\"",
                      scheme ? scheme : "");
  }
  OSSL_PARAM params[2];
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                               (char *)(scheme + 5), 0);
  params[1] = OSSL_PARAM_construct_end();
  s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  s->tmpl = s->mac ? EVP_MAC_CTX_new(s->mac) : NULL;
  if (!s->tmpl || !EVP_MAC_init(s->tmpl, (const unsigned char *)key, keylen,
                                params)) {
    kn_signer_free(&s);
    return rt_err_set(err, RT_EINVAL, "unsupported signature_scheme \"%s\"", scheme);
  }
  /* A digest with no output ("hmac-null") would make every signature "",
   * so every message would be dropped as badly signed: refuse it here,
   * where the message can name the scheme. */
  size_t mac_size = EVP_MAC_CTX_get_mac_size(s->tmpl);
  if (mac_size == 0 || mac_size > 64) {
    kn_signer_free(&s);
    return rt_err_set(err, RT_EINVAL,
                      "signature_scheme \"%s\" gives a %zu-byte signature (want 1 to 64)",
                      scheme, mac_size);
  }
  *out = s;
  return 0;
}

void kn_signer_free(kn_signer **signer) {
  if (!signer || !*signer)
    return;
  EVP_MAC_CTX_free((*signer)->tmpl);
  EVP_MAC_free((*signer)->mac);
  rt_free(*signer);
  *signer = NULL;
}

bool kn_signer_enabled(const kn_signer *signer) {
  return signer && signer->enabled;
}

/* Raw MAC of the parts into mac (64 bytes); returns its length, 0 on failure. */
static size_t signer_mac(const kn_signer *s, const kn_frame parts[4],
                         unsigned char mac[64]) {
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(s->tmpl);
  size_t n = 0;
  if (!ctx)
    return 0;
  for (int i = 0; i < 4; i++)
    if (parts[i].len &&
        !EVP_MAC_update(ctx, (const unsigned char *)parts[i].data, parts[i].len))
      goto out_free_ctx;
  if (!EVP_MAC_final(ctx, mac, &n, 64))
    n = 0;
out_free_ctx:
  EVP_MAC_CTX_free(ctx);
  return n;
}

size_t kn_signer_sign(const kn_signer *signer, const kn_frame parts[4],
                      char *hex) {
  static const char digits[] = "0123456789abcdef";
  unsigned char mac[64];
  hex[0] = '\0';
  if (!kn_signer_enabled(signer))
    return 0;
  size_t n = signer_mac(signer, parts, mac);
  for (size_t i = 0; i < n; i++) {
    hex[2 * i] = digits[mac[i] >> 4];
    hex[2 * i + 1] = digits[mac[i] & 15];
  }
  hex[2 * n] = '\0';
  return 2 * n;
}

bool kn_signer_verify(const kn_signer *signer, const kn_frame parts[4],
                      const char *sig, size_t siglen) {
  char hex[KN_SIG_HEX_MAX];
  if (!kn_signer_enabled(signer))
    return true;
  size_t n = kn_signer_sign(signer, parts, hex);
  if (n == 0 || siglen != n)
    return false;
  return CRYPTO_memcmp(hex, sig, n) == 0;
}

static void frame_copy(kn_frame *dst, const kn_frame *src) {
  dst->len = src->len;
  dst->data = rt_xmalloc(src->len + 1);
  if (src->len)
    memcpy(dst->data, src->data, src->len);
  dst->data[src->len] = '\0';
}

void kn_msg_free(kn_msg **msg) {
  if (!msg || !*msg)
    return;
  kn_msg *m = *msg;
  for (int i = 0; i < m->nidents; i++)
    rt_free(m->idents[i].data);
  for (int i = 0; i < 4; i++)
    rt_free(m->raw[i].data);
  json_decref(m->header);
  json_decref(m->content);
  rt_free(m);
  *msg = NULL;
}

/* Parses the header frame: an object with a string msg_type. */
static int parse_header(kn_msg *m, rt_err *err) {
  json_error_t jerr;
  if (m->raw[0].len > KN_MAX_JSON_HEAD)
    return rt_err_set(err, RT_EPROTO, "header of %zu bytes is too large",
                      m->raw[0].len);
  m->header = json_loadb(m->raw[0].data, m->raw[0].len, 0, &jerr);
  if (!json_is_object(m->header))
    return rt_err_set(err, RT_EPROTO, "header is not a JSON object: %s",
                      m->header ? "wrong type" : jerr.text);
  m->msg_type = json_string_value(json_object_get(m->header, "msg_type"));
  if (!m->msg_type || !m->msg_type[0])
    return rt_err_set(err, RT_EPROTO, "header has no msg_type");
  m->msg_id = json_string_value(json_object_get(m->header, "msg_id"));
  if (!m->msg_id)
    m->msg_id = "";
  if (m->raw[1].len > KN_MAX_JSON_HEAD || m->raw[2].len > KN_MAX_JSON_HEAD)
    return rt_err_set(err, RT_EPROTO, "parent header or metadata too large");
  return 0;
}

/* Parses the content frame, leaving content NULL and saying why on failure. */
static void parse_content(kn_msg *m, size_t content_max) {
  json_error_t jerr;
  if (m->content_size > content_max) {
    snprintf(m->bad_content, sizeof(m->bad_content),
             "the request's content is %zu bytes; the kernel accepts at most %zu",
             m->content_size, content_max);
    return;
  }
  /* NUL is allowed: code is handed on with its length, never as a C string */
  m->content = json_loadb(m->raw[3].data, m->raw[3].len, JSON_ALLOW_NUL, &jerr);
  if (json_is_object(m->content))
    return;
  snprintf(m->bad_content, sizeof(m->bad_content),
           "the request's content is not a JSON object: %.100s",
           m->content ? "wrong type" : jerr.text);
  json_decref(m->content);
  m->content = NULL;
}

static int find_delim(const kn_frame *frames, int nframes) {
  for (int i = 0; i < nframes; i++)
    if (frames[i].len == sizeof(kn_delim) - 1 &&
        memcmp(frames[i].data, kn_delim, frames[i].len) == 0)
      return i;
  return -1;
}

int kn_wire_decode(const kn_frame *frames, int nframes, const kn_signer *signer,
                   size_t content_max, kn_msg **out, rt_err *err) {
  *out = NULL;
  int d = find_delim(frames, nframes);
  if (d < 0)
    return rt_err_set(err, RT_EPROTO, "no <IDS|MSG> delimiter in %d frames",
                      nframes);
  if (d > KN_MAX_IDENTS)
    return rt_err_set(err, RT_EPROTO, "%d routing frames is too many", d);
  if (nframes - d - 1 < 5)
    return rt_err_set(err, RT_EPROTO, "%d frames after the delimiter, need 5",
                      nframes - d - 1);
  const kn_frame *sig = &frames[d + 1];
  if (!kn_signer_verify(signer, &frames[d + 2], sig->data, sig->len))
    return rt_err_set(err, RT_EAUTH, "bad or missing signature (%zu bytes)",
                      sig->len);
  kn_msg *m = rt_xcalloc(1, sizeof(*m));
  for (int i = 0; i < d; i++)
    frame_copy(&m->idents[i], &frames[i]);
  m->nidents = d;
  for (int i = 0; i < 3; i++)
    frame_copy(&m->raw[i], &frames[d + 2 + i]);
  /* an oversized content is refused without copying it */
  kn_frame content = frames[d + 5];
  if (content.len > content_max)
    content.len = 0;
  frame_copy(&m->raw[3], &content);
  m->content_size = frames[d + 5].len;
  int rc = parse_header(m, err);
  if (rc < 0) {
    kn_msg_free(&m);
    return rc;
  }
  parse_content(m, content_max);
  *out = m;
  return 0;
}

/* Reads the rest of a multipart message into nothing. */
static void drain_more(void *sock) {
  int more = 1;
  size_t sz = sizeof(more);
  while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    int rc = zmq_msg_recv(&part, sock, 0);
    zmq_msg_close(&part);
    if (rc < 0 && errno != EINTR)
      return;
  }
}

/* Receives frames until the last one; 0, RT_ETOOBIG, RT_ETIMEDOUT or RT_ESTOPPED. */
static int recv_frames(void *sock, zmq_msg_t *parts, int *nparts) {
  size_t total = 0;
  int n = 0;
  for (;;) {
    zmq_msg_init(&parts[n]);
    int rc;
    do
      rc = zmq_msg_recv(&parts[n], sock, n == 0 ? ZMQ_DONTWAIT : 0);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      zmq_msg_close(&parts[n]);
      *nparts = n;
      return errno == EAGAIN ? RT_ETIMEDOUT : RT_ESTOPPED;
    }
    total += zmq_msg_size(&parts[n]);
    int more = zmq_msg_more(&parts[n]);
    n++;
    *nparts = n;
    if (!more)
      return 0;
    if (n == KN_MAX_FRAMES || total > KN_MAX_MSG_BYTES) {
      drain_more(sock);
      return RT_ETOOBIG;
    }
  }
}

int kn_wire_recv(void *sock, const kn_signer *signer, size_t content_max,
                 kn_msg **out, rt_err *err) {
  zmq_msg_t parts[KN_MAX_FRAMES];
  kn_frame frames[KN_MAX_FRAMES];
  int n = 0;
  *out = NULL;
  int rc = recv_frames(sock, parts, &n);
  if (rc == RT_ETOOBIG)
    rt_err_set(err, rc, "message over %d frames or %d bytes",
               (int)KN_MAX_FRAMES, (int)KN_MAX_MSG_BYTES);
  if (rc == 0) {
    for (int i = 0; i < n; i++)
      frames[i] = (kn_frame){zmq_msg_data(&parts[i]), zmq_msg_size(&parts[i])};
    rc = kn_wire_decode(frames, n, signer, content_max, out, err);
  }
  for (int i = 0; i < n; i++)
    zmq_msg_close(&parts[i]);
  return rc;
}

static int send_frame(void *sock, const void *data, size_t len, int more) {
  int rc;
  do
    rc = zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0);
  while (rc < 0 && errno == EINTR);
  return rc < 0 ? RT_EIO : 0;
}

int kn_wire_send(void *sock, const kn_signer *signer, const kn_frame *idents,
                 int nidents, const kn_frame parts[4]) {
  char hex[KN_SIG_HEX_MAX];
  size_t hexlen = kn_signer_sign(signer, parts, hex);
  int rc = 0;
  for (int i = 0; i < nidents && rc == 0; i++)
    rc = send_frame(sock, idents[i].data, idents[i].len, 1);
  if (rc == 0)
    rc = send_frame(sock, kn_delim, sizeof(kn_delim) - 1, 1);
  if (rc == 0)
    rc = send_frame(sock, hex, hexlen, 1);
  for (int i = 0; i < 4 && rc == 0; i++)
    rc = send_frame(sock, parts[i].data, parts[i].len, i < 3);
  return rc;
}
