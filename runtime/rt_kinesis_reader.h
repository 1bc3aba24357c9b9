/*
 * The shard reader: reads every shard of a stream through ONE curl multi
 * handle on the calling thread, one small state machine per shard:
 *
 *   WAIT_PARENTS -> NEED_ITER -> (GetShardIterator) -> READY
 *   READY -> (GetRecords) -> READY ... -> DONE (closed shard read to its end)
 *
 * It paces GetRecords (at most one call per shard per busy_ms, 200 ms = the
 * 5 calls/s/shard limit, counted from call starts as scheduled, which the
 * thread may wake up to 2 ms late for; idle_ms after an empty answer; a
 * caught-up shard's call timed to answer just before its consumer takes
 * records), backs off with
 * jitter on throttling (>= 1 s) and server/network errors, renews an expired
 * iterator AFTER the last delivered sequence number, falls back to
 * TRIM_HORIZON when a resume point was trimmed, and to LATEST when an
 * AT_TIMESTAMP iterator never answers (kinesalite). Resharding: ListShards
 * is re-read periodically and whenever a shard closes; a child starts (at
 * TRIM_HORIZON) only after every parent it has (ParentShardId,
 * AdjacentParentShardId) is DONE, so per-key order survives splits and merges
 * whether or not the server sends ChildShards. When the answer that ends a
 * shard names its children (ChildShards: AWS, kinesis-mock), they are added
 * at once with the parents named there; otherwise (kinesalite) the end of a
 * shard triggers a ListShards right away.
 *
 * The reader owns no thread: call rt_kin_reader_step() in a loop (the Kinesis
 * source does it on its background thread). Results are handed to a callback
 * as whole GetRecords answers, in shard order.
 */
#ifndef EDDY_RT_KINESIS_READER_H
#define EDDY_RT_KINESIS_READER_H

#include "rt_clock.h"
#include "rt_kinesis.h"

#include <stdint.h>

/* Returns the checkpoint to resume shard_id from, or NULL to use the start
 * position: "SEQ" resumes after record SEQ; "SEQ:SUB" (a KPL aggregate cut
 * after its user record SUB) at record SEQ, whose counted user records the
 * consumer skips. Borrowed for the call. */
typedef const char *(*rt_kin_resume_fn)(void *ctx, const char *shard_id);

/* Reader options; zero fields take the defaults. */
typedef struct rt_kin_reader_opts {
  const char *stream;        /* required; copied */
  rt_kin_position start;     /* where shards open at start begin (LATEST,
                                TRIM_HORIZON or AT_TIMESTAMP) */
  rt_kin_resume_fn resume;   /* optional per-shard checkpoints */
  void *resume_ctx;
  int64_t until_ms;          /* > 0: `until now` — a shard is done at its tip,
                                or at its first record that arrived after this
                                wall time (which is not delivered) */
  long busy_ms;              /* min spacing of GetRecords per shard, default 200 */
  long idle_ms;              /* wait after an empty GetRecords, default 500 */
  int limit;                 /* GetRecords Limit, default 10,000 */
  long list_interval_ms;     /* ListShards refresh, default 30,000 */
  long at_timestamp_timeout_ms; /* then fall back to LATEST, default 3,000 */
  /* Optional shard ownership (leases, rt_kinesis_lease.h): a shard is read
   * only while owns() says so; each time it is (re)gained its position comes
   * from resume() again (another worker may have moved it). A parent this
   * reader does not read counts as finished once parent_done() says so (its
   * lease checkpoint is SHARD_END). Both get lease_ctx. */
  int (*owns)(void *ctx, const char *shard_id);
  int (*parent_done)(void *ctx, const char *shard_id);
  void *lease_ctx;
  /* Optional: the first time >= t (monotonic ns) at which the consumer will
   * take records again, or 0 if unknown. A shard that is caught up then
   * times its next GetRecords to answer just before that, instead of
   * answering at a random point of the consumer's interval and waiting in
   * its queue; a shard that is behind is read as fast as the limits allow.
   * Called on the reader's thread with take_ctx. */
  int64_t (*next_take_ns)(void *ctx, int64_t t);
  void *take_ctx;
  /* Optional: called (with tip_ctx, on the reader's thread, in order with
   * the shard's answers) each time a GetRecords call that started at
   * asked_ns (monotonic, no later than the real start) found shard_id at
   * its tip with nothing new: every record the shard held when that call
   * started has been handed to the records callback before this call. */
  void (*at_tip)(void *ctx, const char *shard_id, int64_t asked_ns);
  void *tip_ctx;
  /* The time that paces calls and backoff and schedules listings (NULL: the
   * system's; borrowed, outlives the reader). next_take_ns and the times
   * above are in this clock's monotonic ns. Answers still take real time. */
  const rt_clock *clock;
} rt_kin_reader_opts;

/* Receives one non-empty GetRecords answer of shard_id (borrowed for the
 * call). The callee takes *res's contents (e.g. by struct copy) and must
 * leave *res zeroed, or leave it and the reader clears it. It is also called
 * once with an empty answer (res->n == 0) when a closed shard has been read
 * to its end, after its last records: the place to checkpoint SHARD_END. */
typedef void (*rt_kin_records_fn)(void *ctx, const char *shard_id, rt_kin_get_result *res);

/* Counters, for %queries and tests. */
typedef struct rt_kin_reader_stats {
  uint64_t get_calls;     /* GetRecords calls completed */
  uint64_t get_sent;      /* GetRecords calls started */
  uint64_t records;       /* Kinesis records delivered */
  uint64_t throttled;     /* throttled answers */
  uint64_t retried;       /* server/network errors retried */
  uint64_t expired;       /* iterators renewed after expiry */
  uint64_t trimmed;       /* resume points lost to retention (data loss) */
  uint64_t lists;         /* ListShards listings made (each may be several pages) */
  uint64_t children_learned; /* shards first learned from a ChildShards answer */
  int64_t lag_ms;         /* max MillisBehindLatest over open shards, -1 while
                             one of them has not answered a GetRecords yet */
  int shards_active;      /* shards not DONE */
  int shards_done;        /* shards read to their end (or, until now, their tip) */
} rt_kin_reader_stats;

typedef struct rt_kin_reader rt_kin_reader;

/*
 * Makes a reader using client k (borrowed; must outlive the reader; used only
 * from the thread that steps the reader). Lists the shards at once, so a
 * missing stream fails here: RT_ENOTFOUND (throttling and server or network
 * errors are retried for up to about 15 s first). Caller frees with
 * rt_kin_reader_free().
 */
rt_kin_reader *rt_kin_reader_new(rt_awsj *k, const rt_kin_reader_opts *opts, rt_err *err);

/* Frees the reader (aborting transfers) and NULLs *r; accepts NULL. */
void rt_kin_reader_free(rt_kin_reader **r);

/*
 * Starts what is due, waits up to max_wait_ms for transfers, and delivers
 * finished answers to fn. may_fetch = 0 starts no GetRecords (backpressure:
 * the consumer's buffer is full). Returns 0; RT_EEOF once every shard is
 * DONE; or a fatal RT_E* (stream deleted, access denied) with err set.
 */
int rt_kin_reader_step(rt_kin_reader *r, int may_fetch, long max_wait_ms, rt_kin_records_fn fn,
                       void *ctx, rt_err *err);

/* Cuts a step's wait short. The only function safe to call from another thread. */
void rt_kin_reader_wakeup(rt_kin_reader *r);

/* The counters. */
rt_kin_reader_stats rt_kin_reader_get_stats(const rt_kin_reader *r);

#endif
