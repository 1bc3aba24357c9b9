/*
 * The Kinesis operations over the AWS JSON transport: request bodies built
 * with jansson (or by hand for PutRecords, the hot path, where base64 needs
 * no escaping), responses checked field by field so a server that answers
 * with the wrong shape gives RT_EPROTO rather than a crash. GetRecords
 * decodes every record into one pool allocation sized in a first pass, so a
 * batch of 10,000 records costs two allocations, not 30,000.
 */
#include "rt_kinesis.h"

#include "rt_base64.h"
#include "rt_buf.h"
#include "rt_mem.h"

#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static char *dup_or_null(const char *s) { return s ? rt_xstrdup(s) : NULL; }

static int proto_error(rt_awsj_req *r, const char *action, const char *what, rt_err *err) {
  rt_awsj_req_set_class(r, RT_AWSJ_FATAL);
  return rt_err_set(err, RT_EPROTO, "Kinesis %s: response has no valid %s", action, what);
}

rt_awsj *rt_kin_new(const rt_aws_config *cfg, const rt_awsj_opts *opts, rt_err *err) {
  return rt_awsj_new(cfg, RT_AWSJ_SERVICE_KINESIS, opts, err);
}

/* --- Stream names and ARNs ------------------------------------------------- */

int rt_kin_is_arn(const char *stream) { return stream && strncmp(stream, "arn:", 4) == 0; }

/* The NAME of arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME, or NULL when
 * arn is not of that form (every part present). */
static const char *arn_stream_name(const char *arn) {
  const char *p = arn;
  for (int part = 0; part < 5; part++) { /* arn, partition, service, region, account */
    const char *colon = strchr(p, ':');
    if (!colon || (part != 0 && colon == p))
      return NULL;
    if (part == 2 && strncmp(p, "kinesis:", 8) != 0)
      return NULL;
    p = colon + 1;
  }
  if (strncmp(p, "stream/", 7) != 0 || !p[7] || strchr(p + 7, '/') || strchr(p + 7, ':'))
    return NULL;
  return p + 7;
}

const char *rt_kin_stream_name(const char *stream) {
  const char *name = rt_kin_is_arn(stream) ? arn_stream_name(stream) : NULL;
  return name ? name : stream;
}

int rt_kin_check_stream(const char *stream, rt_err *err) {
  if (!stream || !stream[0])
    return rt_err_set(err, RT_EINVAL, "no stream name");
  if (rt_kin_is_arn(stream) && !arn_stream_name(stream))
    return rt_err_set(err, RT_EINVAL,
                      "\"%s\" is not a Kinesis stream ARN "
                      "(arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)", stream);
  return 0;
}

/* Names the stream in a request body: StreamARN for an ARN, else StreamName. */
static int set_stream(json_t *body, const char *stream, rt_err *err) {
  int rc = rt_kin_check_stream(stream, err);
  if (rc == 0)
    json_object_set_new(body, rt_kin_is_arn(stream) ? "StreamARN" : "StreamName",
                        json_string(stream));
  return rc;
}

/* A request body naming stream, or NULL with err set (a bad ARN). */
static json_t *stream_body(const char *stream, rt_err *err) {
  json_t *body = json_object();
  if (set_stream(body, stream, err) != 0) {
    json_decref(body);
    return NULL;
  }
  return body;
}

/* --- ListShards ----------------------------------------------------------- */

void rt_kin_shards_clear(rt_kin_shards *s) {
  for (size_t i = 0; i < s->n; i++) {
    rt_kin_shard *h = &s->v[i];
    rt_free(h->shard_id);
    rt_free(h->parent_shard_id);
    rt_free(h->adjacent_parent_shard_id);
    rt_free(h->starting_hash_key);
    rt_free(h->ending_hash_key);
    rt_free(h->starting_sequence);
    rt_free(h->ending_sequence);
  }
  rt_free(s->v);
  rt_free(s->next_token);
  memset(s, 0, sizeof(*s));
}

int rt_kin_list_shards_prepare(rt_awsj_req *r, const char *stream, const char *next_token,
                               const char *exclusive_start_shard_id, rt_err *err) {
  json_t *body = json_object();
  if (next_token) { /* NextToken alone: never with StreamName (AWS rejects it) */
    json_object_set_new(body, "NextToken", json_string(next_token));
  } else {
    if (set_stream(body, stream, err) != 0) {
      json_decref(body);
      return err ? err->code : RT_EINVAL;
    }
    if (exclusive_start_shard_id)
      json_object_set_new(body, "ExclusiveStartShardId",
                          json_string(exclusive_start_shard_id));
  }
  int rc = rt_awsj_req_prepare_json(r, "ListShards", body, err);
  json_decref(body);
  return rc;
}

static void shard_from_json(rt_kin_shard *h, json_t *o) {
  json_t *hk = json_object_get(o, "HashKeyRange");
  json_t *sq = json_object_get(o, "SequenceNumberRange");
  h->shard_id = rt_xstrdup(rt_awsj_str(o, "ShardId"));
  h->parent_shard_id = dup_or_null(rt_awsj_str(o, "ParentShardId"));
  h->adjacent_parent_shard_id = dup_or_null(rt_awsj_str(o, "AdjacentParentShardId"));
  h->starting_hash_key = dup_or_null(rt_awsj_str(hk, "StartingHashKey"));
  h->ending_hash_key = dup_or_null(rt_awsj_str(hk, "EndingHashKey"));
  h->starting_sequence = dup_or_null(rt_awsj_str(sq, "StartingSequenceNumber"));
  h->ending_sequence = dup_or_null(rt_awsj_str(sq, "EndingSequenceNumber"));
}

int rt_kin_list_shards_parse(rt_awsj_req *r, CURLcode cc, rt_kin_shards *out, rt_err *err) {
  json_t *body;
  int rc = rt_awsj_req_finish(r, cc, &body, err);
  if (rc != 0)
    return rc;
  json_t *arr = json_object_get(body, "Shards");
  if (!json_is_array(arr)) {
    json_decref(body);
    return proto_error(r, "ListShards", "Shards", err);
  }
  size_t n = json_array_size(arr);
  out->v = rt_xrealloc(out->v, (out->n + n + 1) * sizeof(*out->v));
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_array_get(arr, i);
    if (!rt_awsj_str(o, "ShardId"))
      continue;
    shard_from_json(&out->v[out->n++], o);
  }
  rt_free(out->next_token);
  out->next_token = dup_or_null(rt_awsj_str(body, "NextToken"));
  json_decref(body);
  return 0;
}

int rt_kin_list_shards(rt_awsj *k, const char *stream, rt_kin_shards *out, rt_err *err) {
  rt_awsj_req *r = rt_awsj_sync_req(k);
  int rc = rt_kin_list_shards_prepare(r, stream, NULL, NULL, err);
  for (int page = 0; rc == 0; page++) {
    rc = rt_kin_list_shards_parse(r, rt_awsj_req_perform(r), out, err);
    if (rc != 0 || !out->next_token)
      break;
    if (page >= 10000)
      return rt_err_set(err, RT_EPROTO, "Kinesis ListShards: more than 10000 pages");
    rc = rt_kin_list_shards_prepare(r, NULL, out->next_token, NULL, err);
  }
  return rc;
}

/* --- Streams --------------------------------------------------------------- */

int rt_kin_create_stream(rt_awsj *k, const char *stream, int shards, rt_err *err) {
  if (rt_kin_is_arn(stream))
    return rt_err_set(err, RT_EINVAL, "CreateStream takes a stream name, not an ARN (%s)",
                      stream);
  json_t *body = stream_body(stream, err);
  if (!body)
    return err ? err->code : RT_EINVAL;
  if (shards > 0)
    json_object_set_new(body, "ShardCount", json_integer(shards));
  else
    json_object_set_new(body, "StreamModeDetails", json_pack("{s:s}", "StreamMode", "ON_DEMAND"));
  return rt_awsj_call(k, "CreateStream", body, NULL, err);
}

static int64_t seconds_to_ms(json_t *v) {
  return json_is_number(v) ? (int64_t)llround(json_number_value(v) * 1000.0) : 0;
}

int rt_kin_describe_stream(rt_awsj *k, const char *stream, rt_kin_stream_info *info,
                           rt_err *err) {
  json_t *out, *body = stream_body(stream, err);
  memset(info, 0, sizeof(*info));
  if (!body)
    return err ? err->code : RT_EINVAL;
  int rc = rt_awsj_call(k, "DescribeStreamSummary", body, &out, err);
  if (rc != 0)
    return rc;
  json_t *d = json_object_get(out, "StreamDescriptionSummary");
  const char *status = rt_awsj_str(d, "StreamStatus");
  if (!status) {
    json_decref(out);
    return proto_error(rt_awsj_sync_req(k), "DescribeStreamSummary", "StreamStatus", err);
  }
  snprintf(info->status, sizeof(info->status), "%s", status);
  snprintf(info->arn, sizeof(info->arn), "%s",
           rt_awsj_str(d, "StreamARN") ? rt_awsj_str(d, "StreamARN") : "");
  info->open_shards = (int)json_integer_value(json_object_get(d, "OpenShardCount"));
  info->retention_hours = (int)json_integer_value(json_object_get(d, "RetentionPeriodHours"));
  info->created_ms = seconds_to_ms(json_object_get(d, "StreamCreationTimestamp"));
  const char *mode = rt_awsj_str(json_object_get(d, "StreamModeDetails"), "StreamMode");
  snprintf(info->mode, sizeof(info->mode), "%s", mode ? mode : "PROVISIONED");
  json_decref(out);
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int rt_kin_wait_active(rt_awsj *k, const char *stream, long timeout_ms, rt_err *err) {
  rt_kin_stream_info info;
  for (long waited = 0;;) {
    int rc = rt_kin_describe_stream(k, stream, &info, err);
    if (rc != 0)
      return rc;
    if (strcmp(info.status, "ACTIVE") == 0)
      return 0;
    if (waited >= timeout_ms)
      return rt_err_set(err, RT_ETIMEDOUT, "stream %s is still %s after %ld ms", stream,
                        info.status, timeout_ms);
    long step = waited < 2000 ? 100 : 500; /* DescribeStreamSummary: 20 TPS per account */
    sleep_ms(step);
    waited += step;
  }
}

void rt_kin_names_clear(rt_kin_names *s) {
  for (size_t i = 0; i < s->n; i++)
    rt_free(s->v[i]);
  rt_free(s->v);
  memset(s, 0, sizeof(*s));
}

int rt_kin_list_streams(rt_awsj *k, rt_kin_names *names, rt_err *err) {
  char last[256] = "";
  for (int page = 0; page < 10000; page++) {
    json_t *body = json_pack("{s:i}", "Limit", 100), *out;
    if (last[0])
      json_object_set_new(body, "ExclusiveStartStreamName", json_string(last));
    int rc = rt_awsj_call(k, "ListStreams", body, &out, err);
    if (rc != 0)
      return rc;
    json_t *arr = json_object_get(out, "StreamNames");
    size_t n = json_array_size(arr);
    names->v = rt_xrealloc(names->v, (names->n + n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
      const char *s = json_string_value(json_array_get(arr, i));
      if (s) {
        names->v[names->n++] = rt_xstrdup(s);
        snprintf(last, sizeof(last), "%s", s);
      }
    }
    int more = json_is_true(json_object_get(out, "HasMoreStreams")) && n > 0;
    json_decref(out);
    if (!more)
      return 0;
  }
  return rt_err_set(err, RT_EPROTO, "Kinesis ListStreams: too many pages");
}

int rt_kin_split_shard(rt_awsj *k, const char *stream, const char *shard,
                       const char *new_starting_hash_key, rt_err *err) {
  json_t *body = stream_body(stream, err);
  if (!body)
    return err ? err->code : RT_EINVAL;
  json_object_set_new(body, "ShardToSplit", json_string(shard));
  json_object_set_new(body, "NewStartingHashKey", json_string(new_starting_hash_key));
  return rt_awsj_call(k, "SplitShard", body, NULL, err);
}

int rt_kin_merge_shards(rt_awsj *k, const char *stream, const char *shard,
                        const char *adjacent_shard, rt_err *err) {
  json_t *body = stream_body(stream, err);
  if (!body)
    return err ? err->code : RT_EINVAL;
  json_object_set_new(body, "ShardToMerge", json_string(shard));
  json_object_set_new(body, "AdjacentShardToMerge", json_string(adjacent_shard));
  return rt_awsj_call(k, "MergeShards", body, NULL, err);
}

int rt_kin_update_shard_count(rt_awsj *k, const char *stream, int shards, rt_err *err) {
  json_t *body = stream_body(stream, err);
  if (!body)
    return err ? err->code : RT_EINVAL;
  json_object_set_new(body, "TargetShardCount", json_integer(shards));
  json_object_set_new(body, "ScalingType", json_string("UNIFORM_SCALING"));
  return rt_awsj_call(k, "UpdateShardCount", body, NULL, err);
}

/* --- GetShardIterator --------------------------------------------------------- */

const char *rt_kin_iter_type_name(rt_kin_iter_type t) {
  switch (t) {
  case RT_KIN_LATEST:
    return "LATEST";
  case RT_KIN_TRIM_HORIZON:
    return "TRIM_HORIZON";
  case RT_KIN_AT_TIMESTAMP:
    return "AT_TIMESTAMP";
  case RT_KIN_AT_SEQUENCE_NUMBER:
    return "AT_SEQUENCE_NUMBER";
  case RT_KIN_AFTER_SEQUENCE_NUMBER:
    return "AFTER_SEQUENCE_NUMBER";
  }
  return "LATEST";
}

int rt_kin_get_iterator_prepare(rt_awsj_req *r, const char *stream, const char *shard,
                                const rt_kin_position *pos, rt_err *err) {
  if (!shard)
    return rt_err_set(err, RT_EINVAL, "GetShardIterator needs a stream and a shard");
  json_t *body = stream_body(stream, err);
  if (!body)
    return err ? err->code : RT_EINVAL;
  json_object_set_new(body, "ShardId", json_string(shard));
  json_object_set_new(body, "ShardIteratorType", json_string(rt_kin_iter_type_name(pos->type)));
  if (pos->type == RT_KIN_AT_SEQUENCE_NUMBER || pos->type == RT_KIN_AFTER_SEQUENCE_NUMBER) {
    if (!pos->sequence || !pos->sequence[0]) {
      json_decref(body);
      return rt_err_set(err, RT_EINVAL, "%s needs a sequence number",
                        rt_kin_iter_type_name(pos->type));
    }
    json_object_set_new(body, "StartingSequenceNumber", json_string(pos->sequence));
  } else if (pos->type == RT_KIN_AT_TIMESTAMP) {
    json_object_set_new(body, "Timestamp", json_real((double)pos->timestamp_ms / 1000.0));
  }
  int rc = rt_awsj_req_prepare_json(r, "GetShardIterator", body, err);
  json_decref(body);
  return rc;
}

int rt_kin_get_iterator_parse(rt_awsj_req *r, CURLcode cc, char **iterator, rt_err *err) {
  json_t *body;
  *iterator = NULL;
  int rc = rt_awsj_req_finish(r, cc, &body, err);
  if (rc != 0)
    return rc;
  const char *it = rt_awsj_str(body, "ShardIterator");
  if (!it) {
    json_decref(body);
    return proto_error(r, "GetShardIterator", "ShardIterator", err);
  }
  *iterator = rt_xstrdup(it);
  json_decref(body);
  return 0;
}

int rt_kin_get_iterator(rt_awsj *k, const char *stream, const char *shard,
                        const rt_kin_position *pos, char **iterator, rt_err *err) {
  rt_awsj_req *r = rt_awsj_sync_req(k);
  int rc = rt_kin_get_iterator_prepare(r, stream, shard, pos, err);
  if (rc == 0)
    rc = rt_kin_get_iterator_parse(r, rt_awsj_req_perform(r), iterator, err);
  return rc;
}

/* --- GetRecords --------------------------------------------------------------- */

void rt_kin_get_result_clear(rt_kin_get_result *g) {
  rt_free(g->records);
  rt_free(g->next_iterator);
  for (size_t i = 0; i < g->n_children; i++) {
    rt_free(g->children[i].shard_id);
    rt_free(g->children[i].parents[0]);
    rt_free(g->children[i].parents[1]);
  }
  rt_free(g->children);
  rt_free(g->pool);
  memset(g, 0, sizeof(*g));
  g->millis_behind = -1;
}

int rt_kin_get_records_prepare(rt_awsj_req *r, const char *iterator, int limit, rt_err *err) {
  if (!iterator)
    return rt_err_set(err, RT_EINVAL, "GetRecords needs an iterator");
  if (limit < 1 || limit > RT_KIN_GET_MAX_RECORDS)
    limit = RT_KIN_GET_MAX_RECORDS;
  json_t *body = json_pack("{s:s, s:i}", "ShardIterator", iterator, "Limit", limit);
  int rc = rt_awsj_req_prepare_json(r, "GetRecords", body, err);
  json_decref(body);
  return rc;
}

/* Bytes the pool needs for record o; 0 when o lacks a required field. */
static size_t record_pool_size(json_t *o) {
  const char *pk = rt_awsj_str(o, "PartitionKey"), *seq = rt_awsj_str(o, "SequenceNumber");
  json_t *data = json_object_get(o, "Data");
  if (!pk || !seq || !json_is_string(data))
    return 0;
  return strlen(pk) + strlen(seq) + json_string_length(data) / 4 * 3 + 8;
}

/* Decodes record o into rec, writing its bytes at *cursor. */
static int record_fill(json_t *o, rt_kin_record *rec, char **cursor) {
  char *p = *cursor;
  const char *pk = rt_awsj_str(o, "PartitionKey"), *seq = rt_awsj_str(o, "SequenceNumber");
  json_t *data = json_object_get(o, "Data");
  size_t n = strlen(pk) + 1;
  memcpy(p, pk, n);
  rec->partition_key = p;
  p += n;
  n = strlen(seq) + 1;
  memcpy(p, seq, n);
  rec->sequence = p;
  p += n;
  size_t len;
  if (rt_base64_decode(json_string_value(data), json_string_length(data), p, &len, NULL) < 0)
    return -1;
  rec->data = (const uint8_t *)p;
  rec->data_len = len;
  p[len] = '\0';
  *cursor = p + len + 1;
  rec->arrival_ms = seconds_to_ms(json_object_get(o, "ApproximateArrivalTimestamp"));
  return 0;
}

static int records_from_json(rt_kin_get_result *g, json_t *arr) {
  size_t n = json_array_size(arr), total = 1;
  for (size_t i = 0; i < n; i++) {
    size_t sz = record_pool_size(json_array_get(arr, i));
    if (sz == 0)
      return -1;
    total += sz;
  }
  g->records = rt_xmalloc((n ? n : 1) * sizeof(*g->records));
  g->pool = rt_xmalloc(total);
  char *cursor = g->pool;
  for (size_t i = 0; i < n; i++) {
    if (record_fill(json_array_get(arr, i), &g->records[i], &cursor) != 0)
      return -1;
    g->data_bytes += g->records[i].data_len;
    g->n++;
  }
  return 0;
}

static void children_from_json(rt_kin_get_result *g, json_t *arr) {
  size_t n = json_array_size(arr);
  if (n == 0)
    return;
  g->children = rt_xcalloc(n, sizeof(*g->children));
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_array_get(arr, i), *parents = json_object_get(o, "ParentShards");
    const char *id = rt_awsj_str(o, "ShardId");
    if (!id)
      continue;
    rt_kin_child *c = &g->children[g->n_children++];
    c->shard_id = rt_xstrdup(id);
    for (size_t p = 0, np = 0; p < json_array_size(parents) && np < 2; p++) {
      const char *pid = json_string_value(json_array_get(parents, p));
      if (pid)
        c->parents[np++] = rt_xstrdup(pid);
    }
  }
}

/* Fills g from a GetRecords answer; -1 when it has no valid Records. */
static int get_result_from_json(rt_kin_get_result *g, json_t *body) {
  json_t *arr = json_object_get(body, "Records");
  if (!json_is_array(arr) || records_from_json(g, arr) != 0) {
    rt_kin_get_result_clear(g);
    return -1;
  }
  g->next_iterator = dup_or_null(rt_awsj_str(body, "NextShardIterator"));
  json_t *mbl = json_object_get(body, "MillisBehindLatest");
  g->millis_behind = json_is_integer(mbl) ? json_integer_value(mbl) : -1;
  children_from_json(g, json_object_get(body, "ChildShards"));
  return 0;
}

int rt_kin_get_records_parse(rt_awsj_req *r, CURLcode cc, rt_kin_get_result *g, rt_err *err) {
  rt_kin_get_result_clear(g);
  json_t *body;
  int rc = rt_awsj_req_finish(r, cc, &body, err);
  if (rc != 0)
    return rc;
  rc = get_result_from_json(g, body);
  json_decref(body);
  return rc == 0 ? 0 : proto_error(r, "GetRecords", "Records", err);
}

int rt_kin_get_records_decode(const char *body, size_t len, rt_kin_get_result *g, rt_err *err) {
  rt_kin_get_result_clear(g);
  json_error_t je;
  json_t *o = json_loadb(body, len, 0, &je);
  int rc = json_is_object(o) ? get_result_from_json(g, o) : -1;
  json_decref(o);
  return rc == 0 ? 0 : rt_err_set(err, RT_EPROTO, "GetRecords: not a valid answer");
}

int rt_kin_get_records(rt_awsj *k, const char *iterator, int limit, rt_kin_get_result *out,
                       rt_err *err) {
  rt_awsj_req *r = rt_awsj_sync_req(k);
  int rc = rt_kin_get_records_prepare(r, iterator, limit, err);
  if (rc == 0)
    rc = rt_kin_get_records_parse(r, rt_awsj_req_perform(r), out, err);
  return rc;
}

/* --- PutRecords --------------------------------------------------------------- */

size_t rt_kin_put_entry_size(const rt_kin_put_entry *e) {
  return e->len + (e->partition_key ? strlen(e->partition_key) : 0);
}

/* Appends s as a JSON string literal. */
static void json_quote(rt_buf *b, const char *s) {
  rt_buf_puts(b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      rt_buf_printf(b, "\\%c", *p);
    else if (*p < 0x20)
      rt_buf_printf(b, "\\u%04x", *p);
    else
      rt_buf_append(b, p, 1);
  }
  rt_buf_puts(b, "\"");
}

static int check_entries(const rt_kin_put_entry *e, size_t n, rt_err *err) {
  if (n < 1 || n > RT_KIN_PUT_MAX_RECORDS)
    return rt_err_set(err, RT_EINVAL, "PutRecords takes 1 to 500 records, not %zu", n);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t pk = e[i].partition_key ? strlen(e[i].partition_key) : 0;
    if (pk < 1 || pk > 256)
      return rt_err_set(err, RT_EINVAL, "record %zu: partition key must be 1 to 256 bytes", i);
    size_t sz = rt_kin_put_entry_size(&e[i]);
    if (sz > RT_KIN_RECORD_MAX_BYTES)
      return rt_err_set(err, RT_ETOOBIG, "record %zu: %zu bytes, over 1 MiB", i, sz);
    total += sz;
  }
  if (total > RT_KIN_PUT_MAX_BYTES)
    return rt_err_set(err, RT_ETOOBIG, "PutRecords of %zu bytes, over 5 MiB", total);
  return 0;
}

int rt_kin_put_records_prepare(rt_awsj_req *r, const char *stream, const rt_kin_put_entry *e,
                               size_t n, rt_err *err) {
  int rc = check_entries(e, n, err);
  if (rc == 0)
    rc = rt_kin_check_stream(stream, err);
  if (rc != 0)
    return rc;
  rt_buf b;
  rt_buf_init(&b, 0);
  rt_buf_puts(&b, rt_kin_is_arn(stream) ? "{\"StreamARN\":" : "{\"StreamName\":");
  json_quote(&b, stream);
  rt_buf_puts(&b, ",\"Records\":[");
  for (size_t i = 0; i < n; i++) {
    rt_buf_puts(&b, i ? ",{\"Data\":\"" : "{\"Data\":\"");
    rt_buf_reserve(&b, rt_base64_encoded_size(e[i].len));
    b.len += rt_base64_encode(e[i].data, e[i].len, b.data + b.len);
    rt_buf_puts(&b, "\",\"PartitionKey\":");
    json_quote(&b, e[i].partition_key);
    if (e[i].explicit_hash_key) {
      rt_buf_puts(&b, ",\"ExplicitHashKey\":");
      json_quote(&b, e[i].explicit_hash_key);
    }
    rt_buf_puts(&b, "}");
  }
  rt_buf_puts(&b, "]}");
  rc = rt_awsj_req_prepare(r, "PutRecords", b.data, err);
  rt_buf_free(&b);
  return rc;
}

static void put_status_from_json(rt_kin_put_status *st, json_t *o) {
  const char *seq = rt_awsj_str(o, "SequenceNumber"), *code = rt_awsj_str(o, "ErrorCode");
  memset(st, 0, sizeof(*st));
  if (seq && !code) {
    st->ok = 1;
    snprintf(st->sequence, sizeof(st->sequence), "%s", seq);
    snprintf(st->shard_id, sizeof(st->shard_id), "%s",
             rt_awsj_str(o, "ShardId") ? rt_awsj_str(o, "ShardId") : "");
    return;
  }
  snprintf(st->error, sizeof(st->error), "%s", code ? code : "MissingSequenceNumber");
  st->throttled = code && strcmp(code, "ProvisionedThroughputExceededException") == 0;
}

int rt_kin_put_records_parse(rt_awsj_req *r, CURLcode cc, rt_kin_put_status *status, size_t n,
                             size_t *failed, rt_err *err) {
  json_t *body;
  *failed = n;
  int rc = rt_awsj_req_finish(r, cc, &body, err);
  if (rc != 0)
    return rc;
  json_t *arr = json_object_get(body, "Records");
  if (json_array_size(arr) != n) {
    json_decref(body);
    return proto_error(r, "PutRecords", "Records (count differs from the request)", err);
  }
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    put_status_from_json(&status[i], json_array_get(arr, i));
    bad += !status[i].ok;
  }
  *failed = bad; /* counted from the entries: FailedRecordCount may lie (kinesalite: always 0) */
  json_decref(body);
  return 0;
}

/* --- Helpers --------------------------------------------------------------- */

int rt_kin_seq_cmp(const char *a, const char *b) {
  while (*a == '0' && a[1])
    a++;
  while (*b == '0' && b[1])
    b++;
  size_t la = strlen(a), lb = strlen(b);
  if (la != lb)
    return la < lb ? -1 : 1;
  int c = strcmp(a, b);
  return (c > 0) - (c < 0);
}

void rt_kin_hash_key(const char *partition_key, char out[40]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_Digest(partition_key, strlen(partition_key), md, &mdlen, EVP_md5(), NULL);
  /* 128-bit big-endian -> decimal by repeated division of a byte array by 10 */
  unsigned char num[16];
  memcpy(num, md, 16);
  char digits[40];
  int n = 0;
  int nonzero = 1;
  while (nonzero) {
    unsigned rem = 0;
    nonzero = 0;
    for (int i = 0; i < 16; i++) {
      unsigned cur = (rem << 8) | num[i];
      num[i] = (unsigned char)(cur / 10);
      rem = cur % 10;
      nonzero |= num[i];
    }
    digits[n++] = (char)('0' + rem);
  }
  for (int i = 0; i < n; i++)
    out[i] = digits[n - 1 - i];
  out[n] = '\0';
}
