/*
 * Tests of KPL aggregation: the encoder against a hand-checked byte string,
 * round trips with and without explicit hash keys, the size cap, and the
 * decoder's refusal of anything malformed (bad MD5, bad protobuf, indices out
 * of range, every truncation and many corruptions) without reading outside
 * its input, which ASan checks.
 */
#include "rt_kpl.h"
#include "rt_mem.h"
#include "test.h"

#include <openssl/evp.h>

static void hex(const uint8_t *p, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void test_known_bytes(void) {
  rt_kpl_agg *a = rt_kpl_agg_new(0);
  ASSERT_EQ(rt_kpl_agg_add(a, "a", NULL, "hi", 2), 0);
  ASSERT_EQ(rt_kpl_agg_add(a, "b", NULL, "yo", 2), 0);
  ASSERT_EQ(rt_kpl_agg_count(a), 2);
  ASSERT_EQ(rt_kpl_agg_size(a), 42);
  rt_buf out;
  rt_buf_init(&out, 0);
  char pk[257], ehk[40];
  ASSERT_EQ(rt_kpl_agg_finish(a, &out, pk, ehk), 0);
  ASSERT_EQ(out.len, 42);
  char h[100];
  hex((const uint8_t *)out.data, out.len, h);
  ASSERT_STR_EQ(h, "f3899ac2"
                   "0a01610a01621a0608001a0268691a0608011a02796f"
                   "54f132118f8b797c450e8c9a84589c87");
  ASSERT_STR_EQ(pk, "a");
  ASSERT_STR_EQ(ehk, "16955237001963240173058271559858726497"); /* md5("a") */
  ASSERT_EQ(rt_kpl_agg_count(a), 0);
  ASSERT_EQ(rt_kpl_agg_finish(a, &out, pk, ehk), RT_EINVAL);

  rt_kpl_records recs = {0};
  rt_err err;
  ASSERT_EQ(rt_kpl_decode(out.data, out.len, &recs, &err), 1);
  ASSERT_EQ(recs.n, 2);
  ASSERT_EQ(recs.v[1].pk_len, 1);
  ASSERT(memcmp(recs.v[1].partition_key, "b", 1) == 0);
  ASSERT(memcmp(recs.v[1].data, "yo", 2) == 0);
  ASSERT_EQ(recs.v[1].sub_sequence, 1);
  ASSERT(recs.v[0].explicit_hash_key == NULL);
  rt_kpl_records_free(&recs);
  rt_buf_free(&out);
  rt_kpl_agg_free(&a);
  ASSERT(a == NULL);
}

static void test_roundtrip(void) {
  rt_kpl_agg *a = rt_kpl_agg_new(1 << 20);
  char keys[7][16], data[300][64];
  for (int i = 0; i < 7; i++)
    snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
  for (int i = 0; i < 300; i++) {
    snprintf(data[i], sizeof(data[i]), "{\"n\":%d,\"pad\":\"%0*d\"}", i, i % 30, 0);
    ASSERT_EQ(rt_kpl_agg_add(a, keys[i % 7], i % 3 ? NULL : "12345678901234567890",
                             data[i], strlen(data[i])), 0);
  }
  ASSERT_EQ(rt_kpl_agg_add(a, "", NULL, "x", 1), RT_EINVAL);
  size_t predicted = rt_kpl_agg_size(a);
  rt_buf out;
  rt_buf_init(&out, 0);
  char pk[257], ehk[40];
  ASSERT_EQ(rt_kpl_agg_finish(a, &out, pk, ehk), 0);
  ASSERT_EQ(out.len, predicted);
  ASSERT_STR_EQ(ehk, "12345678901234567890"); /* the first record's own EHK */
  rt_kpl_records recs = {0};
  ASSERT_EQ(rt_kpl_decode(out.data, out.len, &recs, NULL), 1);
  ASSERT_EQ(recs.n, 300);
  for (int i = 0; i < 300; i++) {
    rt_kpl_record *r = &recs.v[i];
    ASSERT_EQ(r->sub_sequence, i);
    ASSERT_EQ(r->len, strlen(data[i]));
    ASSERT(memcmp(r->data, data[i], r->len) == 0);
    ASSERT_EQ(r->pk_len, strlen(keys[i % 7]));
    ASSERT(memcmp(r->partition_key, keys[i % 7], r->pk_len) == 0);
    ASSERT_EQ(r->explicit_hash_key != NULL, i % 3 == 0);
  }
  rt_kpl_records_free(&recs);
  rt_buf_free(&out);
  rt_kpl_agg_free(&a);
}

static void test_size_cap(void) {
  rt_kpl_agg *a = rt_kpl_agg_new(1000);
  char rec[100];
  memset(rec, 'x', sizeof(rec));
  int added = 0;
  while (rt_kpl_agg_add(a, "k", NULL, rec, sizeof(rec)) == 0)
    added++;
  ASSERT(added >= 8 && added <= 10);
  ASSERT(rt_kpl_agg_size(a) <= 1000);
  rt_buf out;
  rt_buf_init(&out, 0);
  char pk[257], ehk[40];
  ASSERT_EQ(rt_kpl_agg_finish(a, &out, pk, ehk), 0);
  ASSERT(out.len <= 1000);
  char big[2000] = {0};
  ASSERT_EQ(rt_kpl_agg_add(a, "k", NULL, big, sizeof(big)), RT_ETOOBIG);
  rt_buf_free(&out);
  rt_kpl_agg_free(&a);
}

/* Wraps protobuf bytes in magic + MD5, like a (possibly hostile) producer. */
static size_t wrap(const uint8_t *pbuf, size_t n, uint8_t *out) {
  static const uint8_t magic[4] = {0xF3, 0x89, 0x9A, 0xC2};
  memcpy(out, magic, 4);
  memcpy(out + 4, pbuf, n);
  unsigned int len;
  EVP_Digest(pbuf, n, out + 4 + n, &len, EVP_md5(), NULL);
  return 4 + n + 16;
}

static void test_plain_and_bad(void) {
  rt_kpl_records recs = {0};
  rt_err err;
  ASSERT_EQ(rt_kpl_decode("{\"a\":1}", 7, &recs, &err), 0);
  ASSERT_EQ(recs.n, 0);
  uint8_t short_magic[8] = {0xF3, 0x89, 0x9A, 0xC2, 1, 2, 3, 4};
  ASSERT_EQ(rt_kpl_decode(short_magic, sizeof(short_magic), &recs, &err), 0);

  uint8_t buf[256];
  const uint8_t good[] = {0x0a, 0x01, 0x61, 0x1a, 0x06, 0x08, 0x00, 0x1a, 0x02, 0x68, 0x69};
  size_t n = wrap(good, sizeof(good), buf);
  ASSERT_EQ(rt_kpl_decode(buf, n, &recs, &err), 1);
  buf[n - 1] ^= 1;
  ASSERT_EQ(rt_kpl_decode(buf, n, &recs, &err), RT_EBADREC);
  ASSERT(strstr(err.msg, "MD5") != NULL);

  const uint8_t bad_index[] = {0x0a, 0x01, 0x61, 0x1a, 0x06, 0x08, 0x01, 0x1a, 0x02, 0x68, 0x69};
  n = wrap(bad_index, sizeof(bad_index), buf);
  ASSERT_EQ(rt_kpl_decode(buf, n, &recs, &err), RT_EBADREC);
  const uint8_t no_data[] = {0x0a, 0x01, 0x61, 0x1a, 0x02, 0x08, 0x00};
  n = wrap(no_data, sizeof(no_data), buf);
  ASSERT_EQ(rt_kpl_decode(buf, n, &recs, &err), RT_EBADREC);
  const uint8_t overlong[] = {0x0a, 0x7f, 0x61};
  n = wrap(overlong, sizeof(overlong), buf);
  ASSERT_EQ(rt_kpl_decode(buf, n, &recs, &err), RT_EBADREC);
  const uint8_t varint11[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  n = wrap(varint11, sizeof(varint11), buf);
  ASSERT_EQ(rt_kpl_decode(buf, n, &recs, &err), RT_EBADREC);
  /* an unknown varint field at the top level is skipped; an empty aggregate is valid */
  const uint8_t unknown[] = {0x20, 0x05};
  n = wrap(unknown, sizeof(unknown), buf);
  ASSERT_EQ(rt_kpl_decode(buf, n, &recs, &err), 1);
  ASSERT_EQ(recs.n, 0);
  rt_kpl_records_free(&recs);
}

/* Every truncation and single-byte corruption (re-wrapped with a valid MD5
 * so the protobuf parser is reached), each in an exactly sized heap copy. */
static void test_corruptions(void) {
  rt_kpl_agg *a = rt_kpl_agg_new(0);
  for (int i = 0; i < 20; i++)
    rt_kpl_agg_add(a, i % 2 ? "odd" : "even", i % 5 ? NULL : "42", "payload", 7);
  rt_buf out;
  rt_buf_init(&out, 0);
  char pk[257], ehk[40];
  ASSERT_EQ(rt_kpl_agg_finish(a, &out, pk, ehk), 0);
  const uint8_t *pbuf = (const uint8_t *)out.data + 4;
  size_t pn = out.len - 20;
  rt_kpl_records recs = {0};
  int ok = 0, bad = 0;
  for (size_t cut = 0; cut <= pn; cut++) {
    uint8_t *copy = rt_xmalloc(cut + 20);
    size_t n = wrap(pbuf, cut, copy);
    int rc = rt_kpl_decode(copy, n, &recs, NULL);
    ASSERT(rc == 1 || rc == RT_EBADREC);
    rc == 1 ? ok++ : bad++;
    rt_free(copy);
  }
  for (size_t pos = 0; pos < pn; pos++) {
    for (int v = 0; v < 256; v += 17) {
      uint8_t *mut = rt_xmalloc(pn);
      memcpy(mut, pbuf, pn);
      mut[pos] = (uint8_t)v;
      uint8_t *copy = rt_xmalloc(pn + 20);
      size_t n = wrap(mut, pn, copy);
      int rc = rt_kpl_decode(copy, n, &recs, NULL);
      ASSERT(rc == 1 || rc == RT_EBADREC);
      if (rc == 1)
        for (size_t i = 0; i < recs.n; i++)
          ASSERT(recs.v[i].data >= copy && recs.v[i].data + recs.v[i].len <= copy + n);
      rt_free(mut);
      rt_free(copy);
    }
  }
  ASSERT(ok > 0 && bad > 0);
  rt_kpl_records_free(&recs);
  rt_buf_free(&out);
  rt_kpl_agg_free(&a);
}

int main(void) {
  TEST_RUN(test_known_bytes);
  TEST_RUN(test_roundtrip);
  TEST_RUN(test_size_cap);
  TEST_RUN(test_plain_and_bad);
  TEST_RUN(test_corruptions);
  return test_summary();
}
