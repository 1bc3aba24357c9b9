/*
 * The KPL aggregation format (awslabs/amazon-kinesis-producer
 * aggregation-format.md): many user records packed into one Kinesis record as
 *
 *   F3 89 9A C2 | protobuf AggregatedRecord | MD5(protobuf)
 *
 * with a partition-key table, an explicit-hash-key table and records that
 * index into them. The decoder splits such a record back into user records
 * numbered by sub-sequence (0..n-1), pointing into the input (no copies); it
 * never trusts the input: a bad checksum, a truncated or malformed protobuf
 * or an index out of range is RT_EBADREC, counted by the caller as a bad
 * record. Records without the magic are plain and pass through untouched.
 * The encoder builds aggregates for `eddy produce --aggregate` and `into
 * kinesis`, tracking the encoded size so callers can cap it.
 */
#ifndef EDDY_RT_KPL_H
#define EDDY_RT_KPL_H

#include "rt_buf.h"
#include "rt_err.h"

#include <stddef.h>
#include <stdint.h>

/* The 4-byte magic and the MD5 trailer length. */
enum { RT_KPL_MAGIC_LEN = 4, RT_KPL_MD5_LEN = 16 };

/* KPL's default cap on an aggregate's size (AggregationMaxSize). */
enum { RT_KPL_DEFAULT_MAX_BYTES = 51200 };

/* One user record. Pointers go into the decoded input: valid while it is. */
typedef struct rt_kpl_record {
  const char *partition_key; /* NOT NUL-terminated: use pk_len */
  size_t pk_len;
  const char *explicit_hash_key; /* NULL when the record has none */
  size_t ehk_len;
  const uint8_t *data;
  size_t len;
  uint32_t sub_sequence; /* index inside the aggregate, from 0 */
} rt_kpl_record;

/* Decoded user records; a plain struct the caller keeps and reuses across
 * calls (start zeroed, free with rt_kpl_records_free()). */
typedef struct rt_kpl_records {
  rt_kpl_record *v;
  size_t n;   /* records from the last decode */
  size_t cap; /* allocated entries */
} rt_kpl_records;

void rt_kpl_records_free(rt_kpl_records *r);

/* True when data starts with the KPL magic and is long enough to be one. */
int rt_kpl_is_aggregated(const void *data, size_t len);

/*
 * Decodes one Kinesis record's data. Returns 1 with out->n user records when
 * it is a valid aggregate; 0 when it is a plain record (no magic, or too
 * short), out->n = 0; RT_EBADREC (with err) when it has the magic but a bad
 * MD5 or protobuf. Never reads outside [data, data+len).
 */
int rt_kpl_decode(const void *data, size_t len, rt_kpl_records *out, rt_err *err);

/* An aggregate being built. */
typedef struct rt_kpl_agg rt_kpl_agg;

/* A new empty aggregate whose encoding may grow to max_bytes (0 = the KPL
 * default, 51,200). Caller frees with rt_kpl_agg_free(). */
rt_kpl_agg *rt_kpl_agg_new(size_t max_bytes);

void rt_kpl_agg_free(rt_kpl_agg **a);

/*
 * Adds a user record (copied). explicit_hash_key may be NULL. Returns 0;
 * RT_ETOOBIG when adding it would push the encoding past max_bytes (nothing
 * is added: finish the aggregate, then add it to the next one; a record that
 * alone does not fit gives RT_ETOOBIG on an empty aggregate too); RT_EINVAL
 * on an empty partition key.
 */
int rt_kpl_agg_add(rt_kpl_agg *a, const char *partition_key, const char *explicit_hash_key,
                   const void *data, size_t len);

/* User records added since the last finish. */
size_t rt_kpl_agg_count(const rt_kpl_agg *a);

/* The exact encoded size (magic + protobuf + MD5) of what was added. */
size_t rt_kpl_agg_size(const rt_kpl_agg *a);

/*
 * Appends the encoded aggregate to out and empties a for reuse. The outer
 * Kinesis record should use the first user record's partition key, copied to
 * pk (at least 257 bytes), and an explicit hash key (ehk, at least 40 bytes):
 * the first record's, or the MD5 hash key of its partition key, so the
 * aggregate lands on the shard its first record would. Returns 0, RT_EINVAL
 * when a is empty, or RT_ETOOBIG when out is full.
 */
int rt_kpl_agg_finish(rt_kpl_agg *a, rt_buf *out, char pk[257], char ehk[40]);

#endif
