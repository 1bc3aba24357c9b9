/*
 * rt_kinesis: the Kinesis Data Streams operations, over the AWS JSON
 * transport (rt_aws_json.h), which signs, sends, caps and classifies: a
 * Kinesis client is an rt_awsj made by rt_kin_new(), and its requests are
 * rt_awsj_reqs.
 *
 * Each operation is a pair, "prepare" (configure a request's easy handle) and
 * "parse" (turn the finished transfer into results), so the same code serves
 * blocking calls (rt_awsj_req_perform) and the consumer, which drives one
 * request per shard through a single curl multi handle on one thread:
 *
 *   rt_kin_get_records_prepare(req, iterator, 10000, &err);
 *   curl_multi_add_handle(multi, rt_awsj_req_easy(req));
 *   ... curl_multi_perform / curl_multi_info_read gives msg->data.result ...
 *   curl_multi_remove_handle(multi, rt_awsj_req_easy(req));
 *   rc = rt_kin_get_records_parse(req, msg->data.result, &res, &err);
 *
 * Blocking convenience wrappers (rt_kin_create_stream(), ...) use the
 * client's own request, so consecutive calls reuse one keep-alive
 * connection.
 *
 * Errors: every call returns 0 or a negative RT_E* code with err filled
 * ("Kinesis ACTION: Type: message"); the codes and the retry class of the
 * last failure (rt_awsj_req_class()) are the transport's, listed in
 * rt_aws_json.h. For Kinesis in particular: RT_ETIMEDOUT with class
 * RT_AWSJ_EXPIRED means an expired iterator or NextToken (get a new one),
 * RT_EEXIST a stream that exists or is UPDATING, and RT_EPROTO with class
 * RT_AWSJ_FATAL a 200 answer without what the operation promises.
 *
 * Not thread-safe: a client and its requests belong to one thread.
 */
#ifndef EDDY_RT_KINESIS_H
#define EDDY_RT_KINESIS_H

#include "rt_aws.h"
#include "rt_aws_json.h"
#include "rt_err.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

/* API limits (see the Kinesis API reference). */
enum {
  RT_KIN_PUT_MAX_RECORDS = 500,           /* records per PutRecords */
  RT_KIN_PUT_MAX_BYTES = 5 * 1024 * 1024, /* data + keys per PutRecords */
  RT_KIN_RECORD_MAX_BYTES = 1024 * 1024,  /* data + key of one record */
  RT_KIN_GET_MAX_RECORDS = 10000,         /* Limit of one GetRecords */
  RT_KIN_GET_PER_SHARD_PER_S = 5,         /* GetRecords calls per shard per second */
  RT_KIN_ITERATOR_TTL_MS = 300000,        /* an iterator expires after 5 minutes */
};

/*
 * Makes a Kinesis client for cfg->kinesis_endpoint (copied; cfg may go
 * away): rt_awsj_new() with RT_AWSJ_SERVICE_KINESIS. opts may be NULL.
 * Returns NULL with err set (RT_EAUTH when there are no credentials for a
 * non-loopback endpoint). Caller frees with rt_awsj_free().
 */
rt_awsj *rt_kin_new(const rt_aws_config *cfg, const rt_awsj_opts *opts, rt_err *err);

/* --- Stream names and ARNs ------------------------------------------------ */

/*
 * Wherever a function below takes a stream, it takes a name ("sensors") or a
 * stream ARN ("arn:aws:kinesis:us-east-1:123456789012:stream/sensors"), and
 * the request names it as StreamName or StreamARN accordingly (kinesalite
 * knows only StreamName; AWS and kinesis-mock take both). A string that
 * starts with "arn:" but is not a Kinesis stream ARN is refused (RT_EINVAL).
 */

/* Does stream start with "arn:" (is it meant as an ARN)? */
int rt_kin_is_arn(const char *stream);

/* 0 if stream is a non-empty name or a well-formed stream ARN, else RT_EINVAL
 * with err saying what an ARN looks like. */
int rt_kin_check_stream(const char *stream, rt_err *err);

/* The stream's name: NAME of a stream ARN, else stream itself (for file
 * names and messages). Borrowed: points into stream. */
const char *rt_kin_stream_name(const char *stream);

/* --- Stream and shard metadata ------------------------------------------- */

/* One shard, as ListShards reports it. Strings are owned by the list. */
typedef struct rt_kin_shard {
  char *shard_id;
  char *parent_shard_id;          /* NULL if none */
  char *adjacent_parent_shard_id; /* NULL if none (set by MergeShards) */
  char *starting_hash_key;        /* decimal, up to 2^128-1 */
  char *ending_hash_key;
  char *starting_sequence;
  char *ending_sequence; /* NULL while the shard is open */
} rt_kin_shard;

/* A list of shards (plain struct, caller-allocated; clear with rt_kin_shards_clear()). */
typedef struct rt_kin_shards {
  rt_kin_shard *v;
  size_t n;
  char *next_token; /* ListShards page token, NULL on the last page */
} rt_kin_shards;

/* Frees what s holds and zeroes it. */
void rt_kin_shards_clear(rt_kin_shards *s);

/* DescribeStreamSummary's answer. */
typedef struct rt_kin_stream_info {
  char status[32];      /* CREATING, ACTIVE, UPDATING, DELETING */
  char mode[16];        /* StreamModeDetails: PROVISIONED or ON_DEMAND */
  char arn[256];
  int open_shards;
  int retention_hours;
  int64_t created_ms;
} rt_kin_stream_info;

/* A list of stream names (caller-allocated; clear with rt_kin_names_clear()). */
typedef struct rt_kin_names {
  char **v;
  size_t n;
} rt_kin_names;

void rt_kin_names_clear(rt_kin_names *s);

/*
 * ListShards. Pass stream (and optionally exclusive_start_shard_id) for the
 * first page, or ONLY next_token for later pages: AWS rejects the two
 * together, and kinesalite crashes on any NextToken. Results are appended to
 * *out (so pages accumulate); out->next_token is replaced.
 */
int rt_kin_list_shards_prepare(rt_awsj_req *r, const char *stream, const char *next_token,
                               const char *exclusive_start_shard_id, rt_err *err);
int rt_kin_list_shards_parse(rt_awsj_req *r, CURLcode cc, rt_kin_shards *out, rt_err *err);

/* Every shard of stream (open and closed), following NextToken pages. */
int rt_kin_list_shards(rt_awsj *k, const char *stream, rt_kin_shards *out, rt_err *err);

/* CreateStream: shards > 0 provisioned shards, shards <= 0 an on-demand
 * stream (the server picks its shards). RT_EEXIST when it exists; RT_EINVAL
 * for an ARN (CreateStream takes only a name). */
int rt_kin_create_stream(rt_awsj *k, const char *stream, int shards, rt_err *err);

/* DescribeStreamSummary. RT_ENOTFOUND when there is no such stream. */
int rt_kin_describe_stream(rt_awsj *k, const char *stream, rt_kin_stream_info *out,
                           rt_err *err);

/* Polls DescribeStreamSummary until the stream is ACTIVE or timeout_ms passes
 * (RT_ETIMEDOUT). */
int rt_kin_wait_active(rt_awsj *k, const char *stream, long timeout_ms, rt_err *err);

/* ListStreams, all pages, appended to *out. */
int rt_kin_list_streams(rt_awsj *k, rt_kin_names *out, rt_err *err);

/* SplitShard at new_starting_hash_key (decimal), and MergeShards of two adjacent shards. */
int rt_kin_split_shard(rt_awsj *k, const char *stream, const char *shard,
                       const char *new_starting_hash_key, rt_err *err);
int rt_kin_merge_shards(rt_awsj *k, const char *stream, const char *shard,
                        const char *adjacent_shard, rt_err *err);

/* UpdateShardCount to shards open shards (UNIFORM_SCALING: the service splits
 * and merges shards to reach it; not in kinesalite). */
int rt_kin_update_shard_count(rt_awsj *k, const char *stream, int shards, rt_err *err);

/* --- Reading --------------------------------------------------------------- */

typedef enum rt_kin_iter_type {
  RT_KIN_LATEST,
  RT_KIN_TRIM_HORIZON,
  RT_KIN_AT_TIMESTAMP,
  RT_KIN_AT_SEQUENCE_NUMBER,
  RT_KIN_AFTER_SEQUENCE_NUMBER,
} rt_kin_iter_type;

/* Where an iterator starts. sequence is used by AT_/AFTER_SEQUENCE_NUMBER,
 * timestamp_ms by AT_TIMESTAMP. */
typedef struct rt_kin_position {
  rt_kin_iter_type type;
  const char *sequence;
  int64_t timestamp_ms;
} rt_kin_position;

/* The API name of t ("TRIM_HORIZON"). */
const char *rt_kin_iter_type_name(rt_kin_iter_type t);

/*
 * GetShardIterator. *iterator is owned by the caller (rt_free). Beware
 * kinesalite: AT_TIMESTAMP with no record at or after it never answers (the
 * request times out).
 */
int rt_kin_get_iterator_prepare(rt_awsj_req *r, const char *stream, const char *shard,
                                const rt_kin_position *pos, rt_err *err);
int rt_kin_get_iterator_parse(rt_awsj_req *r, CURLcode cc, char **iterator, rt_err *err);
int rt_kin_get_iterator(rt_awsj *k, const char *stream, const char *shard,
                        const rt_kin_position *pos, char **iterator, rt_err *err);

/* One record from GetRecords. Pointers go into the result's pool. */
typedef struct rt_kin_record {
  const char *partition_key; /* NUL-terminated */
  const char *sequence;      /* decimal string, NUL-terminated */
  const uint8_t *data;       /* decoded bytes (also NUL-terminated) */
  size_t data_len;
  int64_t arrival_ms; /* ApproximateArrivalTimestamp */
} rt_kin_record;

/* A child shard named by a GetRecords answer at its shard's end. */
typedef struct rt_kin_child {
  char *shard_id;
  char *parents[2]; /* ParentShards: one after a split, two after a merge (else NULL) */
} rt_kin_child;

/* GetRecords' answer (caller-allocated; clear with rt_kin_get_result_clear()). */
typedef struct rt_kin_get_result {
  rt_kin_record *records;
  size_t n;
  char *next_iterator;    /* NULL when the shard is closed and fully read */
  int64_t millis_behind;  /* MillisBehindLatest, -1 if absent */
  rt_kin_child *children; /* ChildShards at shard end (AWS, kinesis-mock; not kinesalite) */
  size_t n_children;
  size_t data_bytes;      /* sum of data_len */
  char *pool;             /* owns the strings and data the records point to */
} rt_kin_get_result;

void rt_kin_get_result_clear(rt_kin_get_result *g);

/* GetRecords with Limit limit (1..10,000). *out is cleared first. */
int rt_kin_get_records_prepare(rt_awsj_req *r, const char *iterator, int limit, rt_err *err);
int rt_kin_get_records_parse(rt_awsj_req *r, CURLcode cc, rt_kin_get_result *out, rt_err *err);
int rt_kin_get_records(rt_awsj *k, const char *iterator, int limit, rt_kin_get_result *out,
                       rt_err *err);

/* Decodes a GetRecords response body of len bytes (no transfer involved:
 * tests, fuzzing, replay). Returns 0 or RT_EPROTO; *out is cleared first. */
int rt_kin_get_records_decode(const char *body, size_t len, rt_kin_get_result *out,
                              rt_err *err);

/* --- Writing --------------------------------------------------------------- */

/* One record to put (borrowed by prepare, which copies what it needs). */
typedef struct rt_kin_put_entry {
  const char *partition_key;     /* 1..256 chars */
  const char *explicit_hash_key; /* decimal, or NULL */
  const void *data;
  size_t len;
} rt_kin_put_entry;

/* The outcome of one entry, in request order. */
typedef struct rt_kin_put_status {
  int ok;             /* 1 if stored */
  int throttled;      /* 1 if the error was ProvisionedThroughputExceeded */
  char sequence[136]; /* when ok */
  char shard_id[64];  /* when ok */
  char error[64];     /* ErrorCode when not ok */
} rt_kin_put_status;

/*
 * PutRecords of n entries (1..500, <= 5 MiB; RT_EINVAL/RT_ETOOBIG otherwise).
 * parse fills status[0..n-1] (caller-allocated, n entries) and sets *failed to
 * FailedRecordCount. HTTP 200 with failed entries is success (0): callers
 * retry only the entries whose status is not ok.
 */
int rt_kin_put_records_prepare(rt_awsj_req *r, const char *stream, const rt_kin_put_entry *e,
                               size_t n, rt_err *err);
int rt_kin_put_records_parse(rt_awsj_req *r, CURLcode cc, rt_kin_put_status *status, size_t n,
                             size_t *failed, rt_err *err);

/* The request size PutRecords counts for one entry (data + partition key). */
size_t rt_kin_put_entry_size(const rt_kin_put_entry *e);

/* --- Helpers --------------------------------------------------------------- */

/* Compares two decimal sequence numbers numerically (<0, 0, >0). */
int rt_kin_seq_cmp(const char *a, const char *b);

/* The 128-bit hash key of a partition key (MD5, big-endian) as decimal into
 * out (at least 40 bytes). */
void rt_kin_hash_key(const char *partition_key, char out[40]);

#endif
