/*
 * Chunked, versioned shard states in DynamoDB. Every call goes through
 * rt_ddb_call_retry: chunk puts and deletes are idempotent, so retrying a
 * cut answer is always safe; the switch (in the stores, not here) is the
 * only write whose retry needs care. Binary attributes travel as base64
 * ("B") in the JSON protocol, so a 350 KiB chunk is a ~467 KB request.
 */
#include "rt_ddb_state.h"

#include "rt_base64.h"
#include "rt_buf.h"
#include "rt_crash.h"
#include "rt_dynamodb.h"
#include "rt_hash.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
  STATE_MAX_PAGES = 100000, /* a Query longer than this is a loop, not a state */
};

/* A state larger than this is refused at read: a corrupt stateBytes must
 * not make us allocate the machine away. */
#define STATE_MAX_BYTES ((uint64_t)1 << 32)

void rt_ddb_state_table_name(const char *app, char *out, size_t n) {
  snprintf(out, n, "%s-state", app);
}

int rt_ddb_state_ensure_table(rt_awsj *ddb, const char *table, rt_err *err) {
  return rt_ddb_ensure_table(ddb, table, "stateShard", "S", "statePart", "S", err);
}

uint64_t rt_ddb_state_checksum(const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = rt_splitmix64((uint64_t)len);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8); /* byte order of the host: checksums stay on one kind of host */
    h = rt_mix64(h ^ w) + RT_SPLITMIX64_GAMMA;
  }
  uint64_t tail = 0;
  for (size_t k = 0; i + k < len; k++)
    tail |= (uint64_t)p[i + k] << (8 * k);
  return rt_mix64(h ^ tail);
}

void rt_ddb_state_new_version(char out[24]) {
  int on_stack;
  uint64_t x = rt_mono_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&on_stack;
  x = rt_splitmix64(x ^ (uint64_t)rt_wall_ms());
  snprintf(out, 24, "%016" PRIx64, x);
}

static int all_digits(const char *s, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

int rt_ddb_state_split_seq(const char *seq, char *ck, size_t nck, char *sub, size_t nsub,
                           rt_err *err) {
  const char *colon = seq ? strchr(seq, ':') : NULL;
  size_t n = seq ? (colon ? (size_t)(colon - seq) : strlen(seq)) : 0;
  int ok = (all_digits(seq, n) || (n == 9 && strncmp(seq, "SHARD_END", 9) == 0)) && n < nck;
  if (ok && colon)
    ok = all_digits(colon + 1, strlen(colon + 1)) && strlen(colon + 1) < nsub &&
         strlen(colon + 1) <= 19;
  if (!ok)
    return rt_err_set(err, RT_EINVAL,
                      "position \"%s\" is not a sequence number (\"SEQ\" or \"SEQ:SUB\")",
                      seq ? seq : "(null)");
  snprintf(ck, nck, "%.*s", (int)n, seq);
  snprintf(sub, nsub, "%s", colon ? colon + 1 : "0");
  return 0;
}

/* The Key of one chunk item. */
static json_t *chunk_key(const char *shard, const char *version, long index) {
  char part[48];
  snprintf(part, sizeof(part), "%s#%06ld", version, index);
  return json_pack("{s:{s:s}, s:{s:s}}", "stateShard", "S", shard, "statePart", "S", part);
}

int rt_ddb_state_put_chunk(rt_awsj *ddb, const char *table, const char *shard,
                           const char *version, long index, const void *data, size_t len,
                           rt_err *err) {
  if (len > RT_DDB_STATE_CHUNK)
    return rt_err_set(err, RT_EINVAL, "state chunk of %zu bytes is over %zu", len,
                      RT_DDB_STATE_CHUNK);
  char *b64 = rt_xmalloc(rt_base64_encoded_size(len));
  rt_base64_encode(data, len, b64);
  json_t *item = chunk_key(shard, version, index);
  json_object_set_new(item, "stateData", json_pack("{s:s}", "B", b64));
  rt_free(b64);
  json_t *body = json_pack("{s:s, s:o}", "TableName", table, "Item", item);
  return rt_ddb_call_retry(ddb, "PutItem", body, NULL, NULL, err);
}

int rt_ddb_state_write(rt_awsj *ddb, const char *table, const char *shard,
                       rt_ddb_state_meta *m, const void *data, size_t len, rt_err *err) {
  const unsigned char *p = data;
  long n = (long)((len + RT_DDB_STATE_CHUNK - 1) / RT_DDB_STATE_CHUNK);
  for (long i = 0; i < n; i++) {
    size_t off = (size_t)i * RT_DDB_STATE_CHUNK;
    size_t k = len - off < RT_DDB_STATE_CHUNK ? len - off : RT_DDB_STATE_CHUNK;
    int rc = rt_ddb_state_put_chunk(ddb, table, shard, m->version, i, p + off, k, err);
    if (rc != 0) {
      if (err) {
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        rt_err_set(err, rc, "state of %s: chunk %ld of %ld not written to %s: %s", shard, i + 1,
                   n, table, why);
      }
      /* i + 1: the failed put may have landed */
      rt_ddb_state_delete(ddb, table, shard, m->version, i + 1, NULL);
      return rc;
    }
    rt_crash_point("ddb_state_put");
  }
  m->chunks = n;
  m->bytes = len;
  m->checksum = rt_ddb_state_checksum(data, len);
  return 0;
}

int rt_ddb_state_delete(rt_awsj *ddb, const char *table, const char *shard,
                        const char *version, long chunks, rt_err *err) {
  int first = 0;
  for (long i = 0; i < chunks; i++) {
    json_t *body = json_pack("{s:s, s:o}", "TableName", table, "Key",
                             chunk_key(shard, version, i));
    int rc = rt_ddb_call_retry(ddb, "DeleteItem", body, NULL, NULL, first ? NULL : err);
    if (rc != 0 && !first)
      first = rc;
  }
  return first;
}

/* One page of a Query of shard's chunks, from *start (taken; NULL = first
 * page). prefix NULL lists every version, keys only. Sets *start to the next
 * page's key or NULL. */
static int query_page(rt_awsj *ddb, const char *table, const char *shard, const char *prefix,
                      json_t **start, json_t **out, rt_err *err) {
  json_t *body = json_pack("{s:s, s:b}", "TableName", table, "ConsistentRead", 1);
  if (prefix) {
    json_object_set_new(body, "KeyConditionExpression",
                        json_string("stateShard = :s AND begins_with(statePart, :p)"));
    json_object_set_new(body, "ExpressionAttributeValues",
                        json_pack("{s:{s:s}, s:{s:s}}", ":s", "S", shard, ":p", "S", prefix));
  } else {
    json_object_set_new(body, "KeyConditionExpression", json_string("stateShard = :s"));
    json_object_set_new(body, "ExpressionAttributeValues",
                        json_pack("{s:{s:s}}", ":s", "S", shard));
    json_object_set_new(body, "ProjectionExpression", json_string("stateShard, statePart"));
  }
  if (*start)
    json_object_set_new(body, "ExclusiveStartKey", *start);
  *start = NULL;
  int rc = rt_ddb_call_retry(ddb, "Query", body, out, NULL, err);
  if (rc == 0) {
    json_t *next = json_object_get(*out, "LastEvaluatedKey");
    *start = next ? json_deep_copy(next) : NULL;
  }
  return rc;
}

int rt_ddb_state_sweep(rt_awsj *ddb, const char *table, const char *shard, const char *keep,
                       long *deleted, rt_err *err) {
  json_t *start = NULL;
  long n = 0;
  int rc = 0;
  size_t klen = strlen(keep);
  for (int page = 0; rc == 0 && page < STATE_MAX_PAGES; page++) {
    json_t *out = NULL;
    rc = query_page(ddb, table, shard, NULL, &start, &out, err);
    json_t *items = json_object_get(out, "Items");
    for (size_t i = 0; rc == 0 && i < json_array_size(items); i++) {
      const char *part = rt_awsj_str(json_object_get(json_array_get(items, i), "statePart"), "S");
      if (!part || (klen && strncmp(part, keep, klen) == 0 && part[klen] == '#'))
        continue;
      json_t *body = json_pack("{s:s, s:{s:{s:s}, s:{s:s}}}", "TableName", table, "Key",
                               "stateShard", "S", shard, "statePart", "S", part);
      rc = rt_ddb_call_retry(ddb, "DeleteItem", body, NULL, NULL, err);
      n += rc == 0;
    }
    json_decref(out);
    if (!start)
      break;
  }
  json_decref(start);
  if (deleted)
    *deleted = n;
  return rc;
}

int rt_ddb_state_set_expr(const rt_ddb_state_meta *m, json_t *values, const char **set,
                          rt_err *err) {
  char ck[128], sub[32], num[3][32];
  int rc = rt_ddb_state_split_seq(m->sequence, ck, sizeof(ck), sub, sizeof(sub), err);
  if (rc != 0)
    return rc;
  snprintf(num[0], sizeof(num[0]), "%ld", m->chunks);
  snprintf(num[1], sizeof(num[1]), "%" PRIu64, m->bytes);
  snprintf(num[2], sizeof(num[2]), "%016" PRIx64, m->checksum);
  json_object_set_new(values, ":ck", json_pack("{s:s}", "S", ck));
  json_object_set_new(values, ":sub", json_pack("{s:s}", "N", sub));
  json_object_set_new(values, ":sv", json_pack("{s:s}", "S", m->version));
  json_object_set_new(values, ":sn", json_pack("{s:s}", "N", num[0]));
  json_object_set_new(values, ":sb", json_pack("{s:s}", "N", num[1]));
  json_object_set_new(values, ":sh", json_pack("{s:s}", "S", num[2]));
  json_object_set_new(values, ":si", json_pack("{s:s}", "S", m->identity));
  json_object_set_new(values, ":sq", json_pack("{s:s}", "S", m->sequence));
  *set = "checkpoint = :ck, checkpointSubSequenceNumber = :sub, stateVersion = :sv, "
         "stateChunks = :sn, stateBytes = :sb, stateChecksum = :sh, stateIdentity = :si, "
         "stateSequence = :sq";
  return 0;
}

void rt_ddb_state_meta_of(json_t *item, rt_ddb_state_meta *m) {
  memset(m, 0, sizeof(*m));
  const char *v = rt_awsj_str(json_object_get(item, "stateVersion"), "S");
  if (!v)
    return;
  snprintf(m->version, sizeof(m->version), "%s", v);
  const char *s = rt_awsj_str(json_object_get(item, "stateChunks"), "N");
  m->chunks = s ? strtol(s, NULL, 10) : -1;
  s = rt_awsj_str(json_object_get(item, "stateBytes"), "N");
  m->bytes = s ? strtoull(s, NULL, 10) : 0;
  s = rt_awsj_str(json_object_get(item, "stateChecksum"), "S");
  m->checksum = s ? strtoull(s, NULL, 16) : 0;
  s = rt_awsj_str(json_object_get(item, "stateSequence"), "S");
  snprintf(m->sequence, sizeof(m->sequence), "%s", s ? s : "");
  s = rt_awsj_str(json_object_get(item, "stateIdentity"), "S");
  snprintf(m->identity, sizeof(m->identity), "%s", s ? s : "");
}

int rt_ddb_state_position(json_t *item, char **seq, rt_err *err) {
  *seq = NULL;
  const char *ck = rt_awsj_str(json_object_get(item, "checkpoint"), "S");
  const char *sub = rt_awsj_str(json_object_get(item, "checkpointSubSequenceNumber"), "N");
  if (!ck)
    return 0;
  rt_ddb_state_meta m;
  rt_ddb_state_meta_of(item, &m);
  if (!m.version[0]) {
    char buf[200];
    int with_sub = sub && strcmp(sub, "0") != 0 && !strchr(ck, ':');
    snprintf(buf, sizeof(buf), "%s%s%s", ck, with_sub ? ":" : "", with_sub ? sub : "");
    *seq = rt_xstrdup(buf);
    return 0;
  }
  char sck[128], ssub[32];
  if (rt_ddb_state_split_seq(m.sequence, sck, sizeof(sck), ssub, sizeof(ssub), NULL) != 0 ||
      strcmp(sck, ck) != 0 || strcmp(ssub, sub ? sub : "0") != 0)
    return rt_err_set(err, RT_EPROTO,
                      "the position %s:%s was moved without its state (saved with %s)", ck,
                      sub ? sub : "0", m.sequence);
  *seq = rt_xstrdup(m.sequence);
  return 0;
}

/* Copies the chunks of one Query page into buf, checking their numbers. */
static int take_chunks(json_t *items, const char *prefix, const rt_ddb_state_meta *m,
                       rt_buf *buf, long *next, uint64_t *got, rt_err *err) {
  size_t plen = strlen(prefix);
  for (size_t i = 0; i < json_array_size(items); i++) {
    json_t *it = json_array_get(items, i);
    const char *part = rt_awsj_str(json_object_get(it, "statePart"), "S");
    const char *b64 = rt_awsj_str(json_object_get(it, "stateData"), "B");
    long idx = part && strlen(part) > plen ? strtol(part + plen, NULL, 10) : -1;
    if (idx != *next || !b64)
      return rt_err_set(err, RT_EPROTO, "chunk %ld of state version %s is missing (found %s)",
                        *next, m->version, part ? part : "an item without statePart");
    size_t n = strlen(b64), k;
    if (rt_base64_decoded_max(n) > 2 * RT_DDB_STATE_CHUNK) /* before allocating for it */
      return rt_err_set(err, RT_EPROTO, "chunk %ld of state version %s is longer than a chunk",
                        idx, m->version);
    unsigned char *tmp = rt_xmalloc(rt_base64_decoded_max(n));
    int rc = rt_base64_decode(b64, n, tmp, &k, NULL);
    int fits = rc == 0 && k <= RT_DDB_STATE_CHUNK && *got + k <= m->bytes;
    if (fits)
      rt_buf_append(buf, tmp, k); /* uncapped: fits is the bound */
    rt_free(tmp);
    if (!fits)
      return rt_err_set(err, RT_EPROTO, "chunk %ld of state version %s is damaged or longer "
                        "than stated", idx, m->version);
    *got += k;
    (*next)++;
  }
  return 0;
}

int rt_ddb_state_read(rt_awsj *ddb, const char *table, const char *app, const char *shard,
                      const rt_ddb_state_meta *m, const char *identity, void **data,
                      size_t *len, rt_err *err) {
  *data = NULL;
  *len = 0;
  if (strcmp(m->identity, identity ? identity : "") != 0)
    return rt_err_set(err, RT_EINVAL,
                      "checkpoint of %s was saved by a different query: saved by \"%s\", "
                      "this query is \"%s\"; use another `as` name",
                      app, m->identity, identity ? identity : "");
  if (m->chunks < 0 || m->bytes > STATE_MAX_BYTES ||
      (uint64_t)m->chunks != (m->bytes + RT_DDB_STATE_CHUNK - 1) / RT_DDB_STATE_CHUNK)
    return rt_err_set(err, RT_EPROTO, "state of %s in %s: %ld chunks cannot hold %" PRIu64
                      " bytes", shard, app, m->chunks, m->bytes);
  char prefix[32];
  snprintf(prefix, sizeof(prefix), "%s#", m->version);
  /* Grown by the chunks that arrive, not sized by stateBytes up front: a
   * damaged item claiming gigabytes must fail as RT_EPROTO, not abort the
   * process for want of memory. */
  rt_buf buf;
  rt_buf_init(&buf, 0);
  json_t *start = NULL;
  long next = 0;
  uint64_t got = 0;
  int rc = 0;
  for (int page = 0; rc == 0 && page < STATE_MAX_PAGES; page++) {
    json_t *out = NULL;
    rc = query_page(ddb, table, shard, prefix, &start, &out, err);
    if (rc == 0)
      rc = take_chunks(json_object_get(out, "Items"), prefix, m, &buf, &next, &got, err);
    json_decref(out);
    if (!start)
      break;
  }
  json_decref(start);
  if (rc == 0 && (next != m->chunks || got != m->bytes))
    rc = rt_err_set(err, RT_EPROTO,
                    "state of %s in %s is incomplete: %ld of %ld chunks, %" PRIu64
                    " of %" PRIu64 " bytes (version %s)",
                    shard, app, next, m->chunks, got, m->bytes, m->version);
  if (rc == 0 && rt_ddb_state_checksum(buf.data ? buf.data : "", (size_t)got) != m->checksum)
    rc = rt_err_set(err, RT_EPROTO, "state of %s in %s fails its checksum (version %s)", shard,
                    app, m->version);
  if (rc != 0) {
    rt_buf_free(&buf);
    return rc;
  }
  *data = rt_buf_take(&buf, len);
  return 0;
}
