/*
 * Producer internals: a FIFO of Kinesis records waiting to be stored. A batch
 * is always taken from the front; after PutRecords the stored entries are
 * removed and the failed ones stay at the front in their order, so a retry
 * can never overtake or be overtaken by newer records. Aggregation keeps one
 * open KPL aggregate per open shard, chosen by the MD5 hash key of the
 * partition key against the shard hash ranges from ListShards.
 */
#include "rt_producer.h"

#include "rt_kpl.h"
#include "rt_mem.h"

#include <openssl/evp.h>
#include <string.h>
#include <time.h>

__extension__ typedef unsigned __int128 u128;

/* One Kinesis record waiting to be stored. */
typedef struct pending {
  char *pk;       /* partition key (owned) */
  char *ehk;      /* explicit hash key (owned) or NULL */
  uint8_t *data;  /* payload (owned) */
  size_t len;
  uint32_t users; /* user records inside (1 unless aggregated) */
  int attempts;   /* sends so far */
} pending;

/* An open shard's hash range and its aggregate. */
typedef struct shard_slot {
  u128 start, end;
  rt_kpl_agg *agg;
} shard_slot;

struct rt_producer {
  rt_awsj *k;             /* borrowed client */
  rt_awsj_req *req;       /* our request (keep-alive) */
  char *stream;           /* owned copy of opts.stream */
  rt_producer_opts o;     /* options with defaults */
  pending *q;             /* the FIFO, front at index 0 */
  size_t n, cap;
  shard_slot *shards;     /* open shards when aggregating */
  size_t nshards;
  rt_buf enc;             /* scratch for finished aggregates */
  rt_producer_stats st;   /* counters */
  uint64_t rng;           /* backoff jitter state */
  rt_kin_put_entry batch[RT_KIN_PUT_MAX_RECORDS];
  rt_kin_put_status status[RT_KIN_PUT_MAX_RECORDS];
};

static u128 parse_u128(const char *s) {
  u128 v = 0;
  for (; s && *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (u128)(*s - '0');
  return v;
}

static u128 hash_of(const char *pk) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(pk, strlen(pk), md, &n, EVP_md5(), NULL);
  u128 v = 0;
  for (int i = 0; i < 16; i++)
    v = (v << 8) | md[i];
  return v;
}

static int load_shards(rt_producer *p, rt_err *err) {
  rt_kin_shards list = {0};
  int rc = rt_kin_list_shards(p->k, p->stream, &list, err);
  if (rc != 0)
    return rc;
  p->shards = rt_xcalloc(list.n + 1, sizeof(*p->shards));
  for (size_t i = 0; i < list.n; i++) {
    if (list.v[i].ending_sequence) /* closed: receives no writes */
      continue;
    shard_slot *s = &p->shards[p->nshards++];
    s->start = parse_u128(list.v[i].starting_hash_key);
    s->end = parse_u128(list.v[i].ending_hash_key);
    s->agg = rt_kpl_agg_new(p->o.agg_max_bytes);
  }
  rt_kin_shards_clear(&list);
  if (p->nshards == 0)
    return rt_err_set(err, RT_ENOTFOUND, "stream %s has no open shards", p->stream);
  return 0;
}

static void set_defaults(rt_producer_opts *o) {
  if (!o->agg_max_bytes)
    o->agg_max_bytes = RT_KPL_DEFAULT_MAX_BYTES;
  if (!o->batch_max_records || o->batch_max_records > RT_KIN_PUT_MAX_RECORDS)
    o->batch_max_records = RT_KIN_PUT_MAX_RECORDS;
  if (!o->batch_max_bytes || o->batch_max_bytes > RT_KIN_PUT_MAX_BYTES)
    o->batch_max_bytes = RT_KIN_PUT_MAX_BYTES;
  if (o->max_attempts <= 0)
    o->max_attempts = 10;
  if (o->backoff_base_ms <= 0)
    o->backoff_base_ms = 100;
  if (o->backoff_cap_ms <= 0)
    o->backoff_cap_ms = 5000;
}

rt_producer *rt_producer_new(rt_awsj *k, const rt_producer_opts *opts, rt_err *err) {
  if (!opts || !opts->stream || !opts->stream[0]) {
    rt_err_set(err, RT_EINVAL, "producer needs a stream name");
    return NULL;
  }
  rt_producer *p = rt_xcalloc(1, sizeof(*p));
  p->k = k;
  p->o = *opts;
  set_defaults(&p->o);
  p->stream = rt_xstrdup(opts->stream);
  p->o.stream = p->stream;
  p->req = rt_awsj_req_new(k);
  p->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)p;
  rt_buf_init(&p->enc, 0);
  if (p->o.aggregate && load_shards(p, err) != 0)
    rt_producer_free(&p);
  return p;
}

static void pending_free(pending *e) {
  rt_free(e->pk);
  rt_free(e->ehk);
  rt_free(e->data);
}

void rt_producer_free(rt_producer **pp) {
  if (!pp || !*pp)
    return;
  rt_producer *p = *pp;
  for (size_t i = 0; i < p->n; i++)
    pending_free(&p->q[i]);
  rt_free(p->q);
  for (size_t i = 0; i < p->nshards; i++)
    rt_kpl_agg_free(&p->shards[i].agg);
  rt_free(p->shards);
  rt_buf_free(&p->enc);
  rt_awsj_req_free(&p->req);
  rt_free(p->stream);
  rt_free(p);
  *pp = NULL;
}

/* Appends a Kinesis record to the FIFO, taking ownership of data. */
static void enqueue(rt_producer *p, const char *pk, const char *ehk, uint8_t *data, size_t len,
                    uint32_t users) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 1024;
    p->q = rt_xrealloc(p->q, p->cap * sizeof(*p->q));
  }
  p->q[p->n++] = (pending){rt_xstrdup(pk), ehk ? rt_xstrdup(ehk) : NULL, data, len, users, 0};
  p->st.queued += users;
}

static uint8_t *copy_bytes(const void *data, size_t len) {
  uint8_t *d = rt_xmalloc(len ? len : 1);
  if (len)
    memcpy(d, data, len);
  return d;
}

/* Moves a shard's aggregate, if it holds anything, into the FIFO. */
static void close_aggregate(rt_producer *p, shard_slot *s) {
  size_t users = rt_kpl_agg_count(s->agg);
  if (users == 0)
    return;
  char pk[257], ehk[40];
  rt_buf_clear(&p->enc);
  if (rt_kpl_agg_finish(s->agg, &p->enc, pk, ehk) != 0)
    return; /* cannot happen: non-empty, unlimited buffer */
  p->st.queued -= users; /* enqueue counts them again */
  enqueue(p, pk, ehk, copy_bytes(p->enc.data, p->enc.len), p->enc.len, (uint32_t)users);
}

static shard_slot *shard_for(rt_producer *p, const char *pk) {
  u128 h = hash_of(pk);
  for (size_t i = 0; i < p->nshards; i++)
    if (h >= p->shards[i].start && h <= p->shards[i].end)
      return &p->shards[i];
  return &p->shards[0]; /* a gap in the map (resharding): any open shard */
}

int rt_producer_add(rt_producer *p, const char *pk, const void *data, size_t len,
                    rt_err *err) {
  size_t pklen = pk ? strlen(pk) : 0;
  if (pklen < 1 || pklen > 256)
    return rt_err_set(err, RT_EINVAL, "partition key must be 1 to 256 bytes");
  if (len + pklen > RT_KIN_RECORD_MAX_BYTES)
    return rt_err_set(err, RT_ETOOBIG, "record of %zu bytes is over 1 MiB", len + pklen);
  if (p->o.aggregate) {
    shard_slot *s = shard_for(p, pk);
    int rc = rt_kpl_agg_add(s->agg, pk, NULL, data, len);
    if (rc == RT_ETOOBIG) {
      close_aggregate(p, s);
      rc = rt_kpl_agg_add(s->agg, pk, NULL, data, len);
    }
    if (rc == 0) {
      p->st.queued++;
      return 0;
    } /* too big to aggregate at all: send it plain */
  }
  enqueue(p, pk, NULL, copy_bytes(data, len), len, 1);
  return 0;
}

/* Fills p->batch from the front of the FIFO; returns the entry count. */
static size_t take_batch(rt_producer *p) {
  size_t m = 0, bytes = 0;
  while (m < p->n && m < p->o.batch_max_records) {
    pending *e = &p->q[m];
    size_t sz = e->len + strlen(e->pk);
    if (m && bytes + sz > p->o.batch_max_bytes)
      break;
    bytes += sz;
    p->batch[m] = (rt_kin_put_entry){e->pk, e->ehk, e->data, e->len};
    m++;
  }
  return m;
}

/* Applies per-entry outcomes: stored and dropped entries leave, failed ones
 * stay at the front in order. Returns how many stay. */
static size_t settle(rt_producer *p, size_t m) {
  size_t keep = 0;
  for (size_t i = 0; i < m; i++) {
    pending *e = &p->q[i];
    const rt_kin_put_status *s = &p->status[i];
    e->attempts++;
    if (s->ok) {
      p->st.user_records += e->users;
      p->st.kinesis_records++;
      p->st.bytes += e->len;
    } else {
      p->st.throttled += s->throttled;
      if (e->attempts < p->o.max_attempts) {
        p->st.retried++;
        p->q[keep++] = *e;
        continue;
      }
      p->st.dropped += e->users;
    }
    p->st.queued -= e->users;
    pending_free(e);
  }
  memmove(p->q + keep, p->q + m, (p->n - m) * sizeof(*p->q));
  p->n -= m - keep;
  return keep;
}

/* One PutRecords of the front of the FIFO. Returns 0 (with *kept failed
 * entries left at the front) or the request's error code. */
static int send_batch(rt_producer *p, size_t *kept, rt_err *err) {
  size_t m = take_batch(p), failed = 0;
  *kept = 0;
  int rc = rt_kin_put_records_prepare(p->req, p->stream, p->batch, m, err);
  if (rc != 0)
    return rc;
  p->st.requests++;
  rc = rt_kin_put_records_parse(p->req, rt_awsj_req_perform(p->req), p->status, m, &failed, err);
  if (rc != 0) {
    p->st.throttled += rc == RT_ETHROTTLED;
    return rc;
  }
  *kept = settle(p, m);
  return 0;
}

/* Sleeps ms in short slices; RT_EINTR as soon as the cancel flag is set. */
static int backoff_sleep(rt_producer *p, long ms) {
  for (long left = ms; left > 0; left -= 50) {
    if (p->o.cancel && *p->o.cancel)
      return RT_EINTR;
    struct timespec ts = {0, (left < 50 ? left : 50) * 1000000L};
    nanosleep(&ts, NULL);
  }
  return p->o.cancel && *p->o.cancel ? RT_EINTR : 0;
}

static int is_retryable(rt_producer *p) {
  rt_awsj_class c = rt_awsj_req_class(p->req);
  return c == RT_AWSJ_THROTTLED || c == RT_AWSJ_RETRYABLE;
}

/* Sends queued records; with only_full, only while a full batch is queued. */
static int drain(rt_producer *p, int only_full, rt_err *err) {
  int req_fail = 0, entry_fail = 0;
  while (p->n > 0 && (!only_full || p->n >= p->o.batch_max_records)) {
    size_t kept = 0;
    int rc = send_batch(p, &kept, err);
    long wait = 0;
    if (rc != 0) {
      if (!is_retryable(p) || ++req_fail >= p->o.max_attempts)
        return rc;
      wait = rt_awsj_backoff_ms(req_fail - 1, p->o.backoff_base_ms, p->o.backoff_cap_ms, &p->rng);
    } else {
      req_fail = 0;
      entry_fail = kept ? entry_fail + 1 : 0;
      if (kept)
        wait = rt_awsj_backoff_ms(entry_fail - 1, p->o.backoff_base_ms, p->o.backoff_cap_ms,
                                  &p->rng);
    }
    if (wait && backoff_sleep(p, wait) != 0)
      return rt_err_set(err, RT_EINTR, "producer stopped while retrying");
  }
  return 0;
}

int rt_producer_send_ready(rt_producer *p, rt_err *err) { return drain(p, 1, err); }

int rt_producer_flush(rt_producer *p, rt_err *err) {
  for (size_t i = 0; i < p->nshards; i++)
    close_aggregate(p, &p->shards[i]);
  return drain(p, 0, err);
}

rt_producer_stats rt_producer_get_stats(const rt_producer *p) { return p->st; }
