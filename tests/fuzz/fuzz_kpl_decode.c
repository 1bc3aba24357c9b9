/*
 * libFuzzer target for the KPL aggregate decoder. The input is used twice:
 * as a raw Kinesis record (mostly stopped by the MD5 check), and as protobuf
 * bytes wrapped in a valid magic + MD5 so the fuzzer reaches the parser.
 * Every decoded user record must lie inside the input.
 */
#include "rt_kpl.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const uint8_t *buf, size_t n, rt_kpl_records *recs) {
  int rc = rt_kpl_decode(buf, n, recs, NULL);
  if (rc != 0 && rc != 1 && rc != RT_EBADREC)
    abort();
  for (size_t i = 0; rc == 1 && i < recs->n; i++) {
    const rt_kpl_record *r = &recs->v[i];
    if (r->data < buf || r->data + r->len > buf + n || r->sub_sequence != i)
      abort();
    if ((const uint8_t *)r->partition_key < buf ||
        (const uint8_t *)r->partition_key + r->pk_len > buf + n)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rt_kpl_records recs = {0};
  check(data, size, &recs);
  uint8_t *wrapped = malloc(size + 20);
  static const uint8_t magic[4] = {0xF3, 0x89, 0x9A, 0xC2};
  memcpy(wrapped, magic, 4);
  if (size)
    memcpy(wrapped + 4, data, size);
  unsigned int len;
  EVP_Digest(data, size, wrapped + 4 + size, &len, EVP_md5(), NULL);
  check(wrapped, size + 20, &recs);
  free(wrapped);
  rt_kpl_records_free(&recs);
  return 0;
}
