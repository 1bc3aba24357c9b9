/*
 * A Kinesis producer: queues records, optionally packs them into KPL
 * aggregates (one per destination shard, so a consumer's hash-range filter
 * never drops a user record), and sends them with PutRecords in batches of at
 * most 500 records / 5 MiB. After a partial failure only the failed entries
 * are sent again, by index, ahead of anything queued later and in their
 * original order, with jittered exponential backoff; per-key order is kept
 * for records that have not been sent yet (a record already stored after a
 * failed one of the same key stays ahead of it, as with every PutRecords
 * client). Used by `eddy produce` and meant for the `into kinesis` sink.
 *
 * Blocking: rt_producer_flush() sleeps while backing off. One thread only.
 */
#ifndef EDDY_RT_PRODUCER_H
#define EDDY_RT_PRODUCER_H

#include "rt_err.h"
#include "rt_kinesis.h"

#include <stddef.h>
#include <stdint.h>

/* Options; zero fields take the defaults. */
typedef struct rt_producer_opts {
  const char *stream;       /* required; copied */
  int aggregate;            /* 1: KPL-aggregate user records per shard */
  size_t agg_max_bytes;     /* aggregate cap, default 51,200 (KPL's) */
  size_t batch_max_records; /* default 500 */
  size_t batch_max_bytes;   /* default 5 MiB */
  int max_attempts;         /* sends per record before it is dropped, default 10 */
  long backoff_base_ms;     /* default 100 */
  long backoff_cap_ms;      /* default 5,000 */
  const volatile int *cancel; /* if it becomes nonzero, flush stops retrying (RT_EINTR) */
} rt_producer_opts;

/* Counters since the producer was made. */
typedef struct rt_producer_stats {
  uint64_t user_records;    /* user records stored by Kinesis */
  uint64_t kinesis_records; /* Kinesis records stored (fewer when aggregating) */
  uint64_t bytes;           /* data bytes of the stored Kinesis records */
  uint64_t requests;        /* PutRecords calls made */
  uint64_t retried;         /* entries sent again after a per-entry failure */
  uint64_t throttled;       /* throttled entries and requests */
  uint64_t dropped;         /* user records given up on after max_attempts */
  uint64_t queued;          /* user records not yet stored */
} rt_producer_stats;

typedef struct rt_producer rt_producer;

/*
 * Makes a producer writing through k (borrowed; must outlive it). With
 * aggregation it lists the stream's shards to learn their hash ranges
 * (RT_ENOTFOUND if the stream does not exist). Returns NULL with err set.
 * Caller frees with rt_producer_free(), after a final rt_producer_flush().
 */
rt_producer *rt_producer_new(rt_awsj *k, const rt_producer_opts *opts, rt_err *err);

/* Frees the producer (dropping anything unsent) and NULLs *p; accepts NULL. */
void rt_producer_free(rt_producer **p);

/*
 * Queues one record (copied). partition_key is 1..256 bytes. Never sends:
 * call rt_producer_flush() (or rt_producer_send_ready() for full batches).
 * Returns 0, or RT_EINVAL / RT_ETOOBIG for a key or record Kinesis would refuse.
 */
int rt_producer_add(rt_producer *p, const char *partition_key, const void *data, size_t len,
                    rt_err *err);

/* Sends full batches only (500 records or 5 MiB queued), for steady streaming. */
int rt_producer_send_ready(rt_producer *p, rt_err *err);

/*
 * Closes open aggregates and sends everything queued, retrying failed entries
 * until they are stored or reach max_attempts (then dropped and counted).
 * Returns 0; a fatal request error (RT_ENOTFOUND, RT_EAUTH, RT_EINVAL, ...),
 * or the last retryable error once a batch exhausted its attempts; RT_EINTR
 * when cancelled. Queued records stay queued after an error.
 */
int rt_producer_flush(rt_producer *p, rt_err *err);

/* A copy of the counters. */
rt_producer_stats rt_producer_get_stats(const rt_producer *p);

#endif
