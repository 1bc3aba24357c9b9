/*
 * libFuzzer target for the connection file a Jupyter front end writes
 * (kn_conn_parse, which kn_conn_load runs on the file's bytes). A refused
 * file leaves nothing to free and says why; an accepted one has a known
 * transport, five ports in range, a key of exactly keylen readable bytes
 * (NUL-terminated), and makes a working signer when its scheme is known:
 * the kernel signs its first reply with it.
 */
#include "kn_conn.h"
#include "kn_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_accepted(const kn_conn *c) {
  if (strcmp(c->transport, "tcp") != 0 && strcmp(c->transport, "ipc") != 0)
    abort();
  for (int ch = 0; ch < KN_CH_COUNT; ch++)
    if (c->ports[ch] < 1 || c->ports[ch] > 65535)
      abort();
  if (!c->key || c->key[c->keylen] != '\0' || memchr(c->ip, '\0', sizeof(c->ip)) == NULL)
    abort();
  unsigned sum = 0; /* reads every key byte: ASan catches a short copy */
  for (size_t i = 0; i < c->keylen; i++)
    sum += (unsigned char)c->key[i];
  (void)sum;
  char ep[300];
  for (int ch = 0; ch < KN_CH_COUNT; ch++)
    kn_conn_endpoint(c, (kn_channel)ch, ep, sizeof(ep));
  kn_signer *s = NULL;
  rt_err err = {0};
  if (kn_signer_new(c->scheme, c->key, c->keylen, &s, &err) == 0) {
    char hdr[] = "{}", hex[KN_SIG_HEX_MAX];
    kn_frame parts[4] = {{hdr, 2}, {hdr, 2}, {hdr, 2}, {hdr, 2}};
    size_t n = kn_signer_sign(s, parts, hex);
    if (!kn_signer_verify(s, parts, hex, n))
      abort();
    kn_signer_free(&s);
  } else if (err.msg[0] == '\0') {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kn_conn c;
  rt_err err = {0};
  int rc = kn_conn_parse(&c, (const char *)data, size, &err);
  if (rc == 0) {
    check_accepted(&c);
    kn_conn_clear(&c);
  } else if (c.key != NULL || err.code != rc || err.msg[0] == '\0') {
    abort();
  }
  return 0;
}
