/*
 * libFuzzer target for the kernel's message decoder. The input is split into
 * frames at each 0x00 0xFF pair and decoded twice: as received (almost always
 * stopped by the signature check) and re-signed with the key, so the header
 * and content parsers see the fuzzer's bytes. A decoded message must carry a
 * msg_type, and its content is either an object or NULL with a reason; the
 * content is also pushed through the UTF-8 repair that outputs use.
 */
#include "kn_utf8.h"
#include "kn_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FRAMES = 80 };

static int split(const uint8_t *data, size_t size, kn_frame *f) {
  int n = 0;
  size_t start = 0;
  for (size_t i = 0; i + 1 < size && n < MAX_FRAMES - 1; i++)
    if (data[i] == 0x00 && data[i + 1] == 0xFF) {
      f[n++] = (kn_frame){(char *)data + start, i - start};
      start = i + 2;
      i++;
    }
  f[n++] = (kn_frame){(char *)data + start, size - start};
  return n;
}

static void check(const kn_frame *f, int n, const kn_signer *s) {
  kn_msg *m = NULL;
  int rc = kn_wire_decode(f, n, s, 4096, &m, NULL);
  if (rc == 0) {
    if (!m || !m->msg_type || !m->msg_type[0])
      abort();
    if (!m->content && !m->bad_content[0])
      abort();
    json_decref(kn_utf8_json(m->raw[3].data, m->raw[3].len));
  } else if (m || (rc != RT_EPROTO && rc != RT_EAUTH)) {
    abort();
  }
  kn_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static kn_signer *s;
  kn_frame f[MAX_FRAMES];
  if (!s && kn_signer_new("hmac-sha256", "fuzz-key", 8, &s, NULL) != 0)
    abort();
  int n = split(data, size, f);
  check(f, n, s);
  /* re-sign: [delim, sig, 4 parts] from the first four frames */
  char hex[KN_SIG_HEX_MAX];
  kn_frame g[6] = {{"<IDS|MSG>", 9}, {hex, 0}};
  for (int i = 0; i < 4; i++)
    g[2 + i] = i < n ? f[i] : (kn_frame){"", 0};
  g[1].len = kn_signer_sign(s, &g[2], hex);
  check(g, 6, s);
  return 0;
}
