/*
 * Tests of the base64 codec: the RFC 4648 vectors both ways, every byte
 * value, both alphabets, padded and unpadded text, and the refusal (with the
 * offending offset) of bad characters, bad padding and impossible lengths.
 * Every decoder input sits against a PROT_NONE guard page, so a read past
 * its end crashes the test.
 */
#include "rt_base64.h"
#include "test.h"
#include "test_guard.h"


/* Decodes s from a guarded copy; returns the code, the bytes in out. */
static int decode(const char *s, unsigned char *out, size_t *len, rt_err *err) {
  guarded g;
  const char *t = guard(&g, s);
  ASSERT(rt_base64_decoded_max(strlen(s)) <= 64);
  int rc = rt_base64_decode(t, strlen(s), out, len, err);
  unguard(&g);
  return rc;
}

static void test_rfc4648_vectors(void) {
  const char *cases[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                            {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                            {"foobar", "Zm9vYmFy"}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *raw = cases[i][0], *b64 = cases[i][1];
    char enc[32];
    ASSERT_EQ(rt_base64_encoded_size(strlen(raw)), strlen(b64) + 1);
    ASSERT_EQ(rt_base64_encode(raw, strlen(raw), enc), strlen(b64));
    ASSERT_STR_EQ(enc, b64);
    unsigned char dec[64];
    size_t n = 99;
    ASSERT_EQ(decode(b64, dec, &n, NULL), 0);
    ASSERT_EQ(n, strlen(raw));
    ASSERT(memcmp(dec, raw, n) == 0);
  }
}

static void test_every_byte_round_trips(void) {
  unsigned char all[256], dec[256 + 4];
  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  for (size_t len = 0; len <= 256; len++) {
    char enc[400];
    size_t n = rt_base64_encode(all + 256 - len, len, enc);
    ASSERT_EQ(n + 1, rt_base64_encoded_size(len));
    ASSERT(rt_base64_decoded_max(n) <= sizeof(dec));
    size_t got = 0;
    ASSERT_EQ(rt_base64_decode(enc, n, dec, &got, NULL), 0);
    ASSERT_EQ(got, len);
    ASSERT(memcmp(dec, all + 256 - len, len) == 0);
  }
}

static void test_url_safe_and_unpadded(void) {
  unsigned char dec[64];
  size_t n = 0;
  /* 0xfb 0xff 0xbf is "+/+/" in the standard alphabet, "-_-_" URL-safe */
  ASSERT_EQ(decode("-_-_", dec, &n, NULL), 0);
  ASSERT_EQ(n, 3);
  ASSERT(dec[0] == 0xfb && dec[1] == 0xff && dec[2] == 0xbf);
  ASSERT_EQ(decode("+/+/", dec, &n, NULL), 0);
  ASSERT(dec[0] == 0xfb && dec[1] == 0xff && dec[2] == 0xbf);
  ASSERT_EQ(decode("Zm9vYg", dec, &n, NULL), 0);
  ASSERT_EQ(n, 4);
  ASSERT(memcmp(dec, "foob", 4) == 0);
  ASSERT_EQ(decode("Zm9vYmE", dec, &n, NULL), 0);
  ASSERT_EQ(n, 5);
  ASSERT(memcmp(dec, "fooba", 5) == 0);
}

static void expect_refused(const char *s, int off, const char *msg_part) {
  unsigned char dec[64];
  size_t n = 0;
  rt_err err;
  ASSERT_EQ(decode(s, dec, &n, &err), RT_EINVAL);
  ASSERT_EQ(err.code, RT_EINVAL);
  ASSERT_EQ(err.off, off);
  if (!strstr(err.msg, msg_part)) {
    fprintf(stderr, "  input \"%s\": message \"%s\"\n", s, err.msg);
    ASSERT(!"the message says what is wrong");
  }
}

static void test_refusals(void) {
  expect_refused("Zm9v!A==", 4, "byte 4 (0x21) is not a base64 character");
  expect_refused("Zm 9", 2, "byte 2 (0x20)");        /* no whitespace */
  expect_refused("Zm9v\nZm9", 4, "byte 4 (0x0a)");  /* nor line breaks */
  expect_refused("Zg==Zg==", 2, "byte 2 (0x3d)");    /* '=' only at the end */
  expect_refused("Zm9vY\xc3", 5, "byte 5 (0xc3)");
  expect_refused("Z", 1, "one too many or too few");
  expect_refused("Zm9vY", 5, "one too many or too few");
}

static void test_padding(void) {
  unsigned char dec[64];
  size_t n = 0;
  ASSERT_EQ(decode("Zm9=", dec, &n, NULL), 0); /* 3 characters, one pad */
  ASSERT_EQ(n, 2);
  expect_refused("Zg=", 2, "not a multiple of 4");
  expect_refused("Zm9vZ===", 5, "at most 2");
  expect_refused("====", 1, "at most 2");
  expect_refused("=", 0, "not a multiple of 4");
}

int main(void) {
  TEST_RUN(test_rfc4648_vectors);
  TEST_RUN(test_every_byte_round_trips);
  TEST_RUN(test_url_safe_and_unpadded);
  TEST_RUN(test_refusals);
  TEST_RUN(test_padding);
  return test_summary();
}
