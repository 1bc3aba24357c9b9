/* Unit tests for kn_wire: HMAC signing and verifying, and the decoder's
 * handling of malformed, forged and oversized messages. */
#include "test.h"

#include "kn_wire.h"

#include <ctype.h>

#include <zmq.h>

/* The RFC-style vector: HMAC-SHA256("key", "The quick brown fox jumps over
 * the lazy dog"), the text split over the four signed parts. */
static const char *fox_hex =
    "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";

static void fox_parts(kn_frame parts[4]) {
  static char a[] = "The quick ", b[] = "brown fox ", c[] = "jumps over ",
              d[] = "the lazy dog";
  parts[0] = (kn_frame){a, strlen(a)};
  parts[1] = (kn_frame){b, strlen(b)};
  parts[2] = (kn_frame){c, strlen(c)};
  parts[3] = (kn_frame){d, strlen(d)};
}

static kn_signer *signer_with(const char *key) {
  kn_signer *s = NULL;
  rt_err err;
  ASSERT_EQ(kn_signer_new("hmac-sha256", key, strlen(key), &s, &err), 0);
  return s;
}

static void test_sign_known_vector(void) {
  kn_signer *s = signer_with("key");
  kn_frame parts[4];
  char hex[KN_SIG_HEX_MAX];
  fox_parts(parts);
  ASSERT_EQ(kn_signer_sign(s, parts, hex), 64);
  ASSERT_STR_EQ(hex, fox_hex);
  ASSERT(kn_signer_verify(s, parts, fox_hex, 64));
  kn_signer_free(&s);
  ASSERT(s == NULL);
  kn_signer_free(&s);
}

/* RFC 4231 test case 6: a key longer than SHA-256's block is hashed first. */
static void test_sign_long_key(void) {
  char key[131], a[] = "Test Using ", b[] = "Larger Than Block-Size Key", c[] = "",
                 d[] = " - Hash Key First";
  memset(key, 0xaa, sizeof(key));
  kn_signer *s = NULL;
  rt_err err;
  ASSERT_EQ(kn_signer_new("hmac-sha256", key, sizeof(key), &s, &err), 0);
  kn_frame parts[4] = {{a, strlen(a)}, {b, strlen(b)}, {c, 0}, {d, strlen(d)}};
  char hex[KN_SIG_HEX_MAX];
  ASSERT_EQ(kn_signer_sign(s, parts, hex), 64);
  ASSERT_STR_EQ(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  kn_signer_free(&s);
}

static void test_verify_rejects(void) {
  kn_signer *s = signer_with("key");
  kn_frame parts[4];
  char bad[80];
  fox_parts(parts);
  ASSERT(!kn_signer_verify(s, parts, fox_hex, 63));   /* truncated */
  ASSERT(!kn_signer_verify(s, parts, "", 0));         /* unsigned */
  snprintf(bad, sizeof(bad), "%s00", fox_hex);
  ASSERT(!kn_signer_verify(s, parts, bad, 66));       /* too long */
  memcpy(bad, fox_hex, 65);
  bad[10] = bad[10] == '0' ? '1' : '0';
  ASSERT(!kn_signer_verify(s, parts, bad, 64));       /* one digit off */
  for (int i = 0; i < 64; i++)
    bad[i] = (char)toupper((unsigned char)fox_hex[i]);
  ASSERT(!kn_signer_verify(s, parts, bad, 64));       /* upper case hex */
  parts[3].len--;
  ASSERT(!kn_signer_verify(s, parts, fox_hex, 64));   /* content changed */
  kn_signer_free(&s);
}

static void test_empty_key_and_schemes(void) {
  kn_signer *s = NULL;
  rt_err err;
  kn_frame parts[4];
  char hex[KN_SIG_HEX_MAX];
  fox_parts(parts);
  ASSERT_EQ(kn_signer_new("hmac-sha256", "", 0, &s, &err), 0);
  ASSERT(!kn_signer_enabled(s));
  ASSERT_EQ(kn_signer_sign(s, parts, hex), 0);
  ASSERT_STR_EQ(hex, "");
  ASSERT(kn_signer_verify(s, parts, "anything", 8));
  kn_signer_free(&s);
  ASSERT_EQ(kn_signer_new("hmac-nosuch", "k", 1, &s, &err), RT_EINVAL);
  ASSERT(s == NULL);
  ASSERT(strstr(err.msg, "hmac-nosuch") != NULL);
  ASSERT_EQ(kn_signer_new("hmac-null", "k", 1, &s, &err), RT_EINVAL); /* found by fuzz_kn_conn */
  ASSERT(strstr(err.msg, "0-byte signature") != NULL);
  ASSERT(s == NULL);
  ASSERT_EQ(kn_signer_new("sha256", "k", 1, &s, &err), RT_EINVAL);
  ASSERT_EQ(kn_signer_new("hmac-sha512", "k", 1, &s, &err), 0);
  ASSERT_EQ(kn_signer_sign(s, parts, hex), 128);
  kn_signer_free(&s);
}

/* Builds frames [idents..., delim, sig, header, parent, metadata, content]
 * signed with s into f (strings must stay alive); returns the count. */
static int build(kn_frame *f, kn_signer *s, int nidents, const char *header,
                 const char *content, char *sig) {
  static char ident[] = "client-1", delim[] = "<IDS|MSG>", empty[] = "{}";
  int n = 0;
  for (int i = 0; i < nidents; i++)
    f[n++] = (kn_frame){ident, strlen(ident)};
  f[n++] = (kn_frame){delim, 9};
  kn_frame parts[4] = {{(char *)header, strlen(header)}, {empty, 2}, {empty, 2},
                       {(char *)content, strlen(content)}};
  size_t siglen = kn_signer_sign(s, parts, sig);
  f[n++] = (kn_frame){sig, siglen};
  for (int i = 0; i < 4; i++)
    f[n++] = parts[i];
  return n;
}

static const char *hdr =
    "{\"msg_id\":\"m1\",\"msg_type\":\"execute_request\",\"session\":\"s\","
    "\"username\":\"u\",\"date\":\"2026-11-20T00:00:00.000000Z\",\"version\":\"5.3\"}";

static void test_decode_valid(void) {
  kn_signer *s = signer_with("secret");
  kn_frame f[16];
  char sig[KN_SIG_HEX_MAX];
  int n = build(f, s, 2, hdr, "{\"code\":\"%queries\"}", sig);
  kn_msg *m = NULL;
  rt_err err;
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), 0);
  ASSERT_EQ(m->nidents, 2);
  ASSERT_STR_EQ(m->msg_type, "execute_request");
  ASSERT_STR_EQ(m->msg_id, "m1");
  ASSERT_STR_EQ(json_string_value(json_object_get(m->content, "code")), "%queries");
  ASSERT_EQ(m->raw[0].len, strlen(hdr));
  ASSERT(memcmp(m->raw[0].data, hdr, strlen(hdr)) == 0);
  kn_msg_free(&m);
  ASSERT(m == NULL);
  kn_msg_free(&m);
  /* trailing binary buffers are allowed and not signed */
  f[n++] = (kn_frame){"\x00\x01", 2};
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), 0);
  kn_msg_free(&m);
  kn_signer_free(&s);
}

static void test_decode_malformed(void) {
  kn_signer *s = signer_with("secret");
  kn_frame f[40];
  char sig[KN_SIG_HEX_MAX];
  kn_msg *m = NULL;
  rt_err err;
  int n = build(f, s, 1, hdr, "{}", sig);
  /* no delimiter */
  ASSERT_EQ(kn_wire_decode(f + 2, n - 2, s, 1024, &m, &err), RT_EPROTO);
  ASSERT(m == NULL);
  /* too few frames after the delimiter */
  ASSERT_EQ(kn_wire_decode(f, n - 1, s, 1024, &m, &err), RT_EPROTO);
  ASSERT_EQ(kn_wire_decode(f, 2, s, 1024, &m, &err), RT_EPROTO);
  ASSERT_EQ(kn_wire_decode(f, 0, s, 1024, &m, &err), RT_EPROTO);
  /* header is not JSON / not an object / has no msg_type */
  n = build(f, s, 0, "{not json", "{}", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), RT_EPROTO);
  n = build(f, s, 0, "[1,2]", "{}", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), RT_EPROTO);
  n = build(f, s, 0, "{\"msg_id\":\"x\"}", "{}", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), RT_EPROTO);
  ASSERT(strstr(err.msg, "msg_type") != NULL);
  /* too many routing identities */
  for (int i = 0; i < 30; i++)
    f[i] = (kn_frame){"id", 2};
  n = build(f + 30, s, 0, hdr, "{}", sig);
  ASSERT_EQ(kn_wire_decode(f, n + 30, s, 1024, &m, &err), RT_EPROTO);
  ASSERT(m == NULL);
  kn_signer_free(&s);
}

static void test_decode_forged(void) {
  kn_signer *s = signer_with("secret"), *other = signer_with("guess");
  kn_frame f[16];
  char sig[KN_SIG_HEX_MAX];
  kn_msg *m = NULL;
  rt_err err;
  int n = build(f, other, 0, hdr, "{}", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), RT_EAUTH);
  ASSERT(m == NULL);
  f[1].len = 0; /* unsigned */
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), RT_EAUTH);
  n = build(f, s, 0, hdr, "{}", sig);
  f[1].len = 32; /* right prefix, wrong length */
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), RT_EAUTH);
  /* a forged signature is refused before the (broken) JSON is looked at */
  n = build(f, other, 0, "{broken", "{}", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), RT_EAUTH);
  kn_signer_free(&s);
  kn_signer_free(&other);
}

static void test_decode_bad_content(void) {
  kn_signer *s = signer_with("secret");
  kn_frame f[16];
  char sig[KN_SIG_HEX_MAX];
  kn_msg *m = NULL;
  rt_err err;
  int n = build(f, s, 0, hdr, "{\"code\": \"\xff\xfe\"}", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), 0);
  ASSERT(m->content == NULL);
  ASSERT(strstr(m->bad_content, "not a JSON object") != NULL);
  kn_msg_free(&m);
  n = build(f, s, 0, hdr, "[]", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 1024, &m, &err), 0);
  ASSERT(m->content == NULL);
  kn_msg_free(&m);
  n = build(f, s, 0, hdr, "{\"code\":\"0123456789\"}", sig);
  ASSERT_EQ(kn_wire_decode(f, n, s, 8, &m, &err), 0);
  ASSERT(m->content == NULL);
  ASSERT(strstr(m->bad_content, "at most 8") != NULL);
  kn_msg_free(&m);
  kn_signer_free(&s);
}

/* kn_wire_send then kn_wire_recv over an inproc pair: the same message
 * comes out, and an over-long multipart message is dropped whole. */
static void test_send_recv(void) {
  void *ctx = zmq_ctx_new();
  void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
  ASSERT_EQ(zmq_bind(a, "inproc://wire-test"), 0);
  ASSERT_EQ(zmq_connect(b, "inproc://wire-test"), 0);
  kn_signer *s = signer_with("secret");
  kn_frame ids[1] = {{"peer", 4}};
  kn_frame parts[4] = {{(char *)hdr, strlen(hdr)}, {"{}", 2}, {"{}", 2},
                       {"{\"a\":1}", 7}};
  kn_msg *m = NULL;
  rt_err err;
  ASSERT_EQ(kn_wire_recv(b, s, 1024, &m, &err), RT_ETIMEDOUT);
  ASSERT_EQ(kn_wire_send(a, s, ids, 1, parts), 0);
  zmq_pollitem_t item = {b, 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq_poll(&item, 1, 1000), 1);
  ASSERT_EQ(kn_wire_recv(b, s, 1024, &m, &err), 0);
  ASSERT_EQ(m->nidents, 1);
  ASSERT_EQ(json_integer_value(json_object_get(m->content, "a")), 1);
  kn_msg_free(&m);
  for (int i = 0; i < KN_MAX_FRAMES + 5; i++)
    zmq_send(a, "x", 1, ZMQ_SNDMORE);
  zmq_send(a, "end", 3, 0);
  ASSERT_EQ(kn_wire_send(a, s, NULL, 0, parts), 0);
  ASSERT_EQ(zmq_poll(&item, 1, 1000), 1);
  ASSERT_EQ(kn_wire_recv(b, s, 1024, &m, &err), RT_ETOOBIG);
  ASSERT(m == NULL);
  ASSERT_EQ(zmq_poll(&item, 1, 1000), 1);
  ASSERT_EQ(kn_wire_recv(b, s, 1024, &m, &err), 0); /* the next one is intact */
  ASSERT_EQ(m->nidents, 0);
  kn_msg_free(&m);
  kn_signer_free(&s);
  zmq_close(a);
  zmq_close(b);
  zmq_ctx_term(ctx);
}

int main(void) {
  TEST_RUN(test_sign_known_vector);
  TEST_RUN(test_sign_long_key);
  TEST_RUN(test_verify_rejects);
  TEST_RUN(test_empty_key_and_schemes);
  TEST_RUN(test_decode_valid);
  TEST_RUN(test_decode_malformed);
  TEST_RUN(test_decode_forged);
  TEST_RUN(test_decode_bad_content);
  TEST_RUN(test_send_recv);
  return test_summary();
}
