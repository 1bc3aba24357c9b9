/*
 * Shard leases for running one application on many workers, in KCL 2.x's
 * scheme and DynamoDB layout (awslabs/amazon-kinesis-client
 * DynamoDBLeaseTaker / DynamoDBLeaseRenewer), so workers split a stream's
 * shards without any coordinator of their own:
 *
 *  - one item per shard in the table named after the application: leaseKey
 *    (shard id), leaseOwner, leaseCounter, checkpoint,
 *    checkpointSubSequenceNumber, ownerSwitchesSinceCheckpoint, parentShardId;
 *  - every write is conditional on the leaseCounter it last saw (and the
 *    owner), and bumps it: the counter is the fencing token, so a worker that
 *    lost a lease can no longer renew or checkpoint it (RT_ECONFLICT);
 *  - expiry needs no synchronized clocks: a lease is expired when its counter
 *    has not moved for failover_ms of *this* worker's clock;
 *  - each tick renews what this worker holds, then takes expired leases up to
 *    its fair share (ceil(leases / workers)), and only when none are expired
 *    steals at most one from the most loaded worker.
 *
 * Not thread-safe: one thread ticks, checkpoints and asks held().
 */
#ifndef EDDY_RT_KINESIS_LEASE_H
#define EDDY_RT_KINESIS_LEASE_H

#include "rt_aws.h"
#include "rt_err.h"
#include "rt_kinesis.h"

#include <stddef.h>
#include <stdint.h>

/* Options; zero fields take the defaults. */
typedef struct rt_kin_lease_opts {
  const char *table;   /* required: the application name */
  const char *worker;  /* this worker's id, default "eddy@HOST:PID:TAG" (unique per lease set) */
  long failover_ms;    /* a lease whose counter stood still this long is expired (10,000) */
  int max_steal;       /* leases stolen per tick (1) */
  const char *identity; /* who may read the shard states (rt_kin_leases_load_state): e.g.
                           a hash of the query text and state format; NULL = "" */
} rt_kin_lease_opts;

typedef struct rt_kin_leases rt_kin_leases;

/*
 * Opens the lease table of opts->table at cfg->dynamodb_endpoint, creating it
 * (PAY_PER_REQUEST) if needed. Returns NULL with err set. Caller frees with
 * rt_kin_leases_free().
 */
rt_kin_leases *rt_kin_leases_new(const rt_aws_config *cfg, const rt_kin_lease_opts *opts,
                                 rt_err *err);

/* Frees it (leases stay in the table; they expire) and NULLs *l; accepts NULL. */
void rt_kin_leases_free(rt_kin_leases **l);

/*
 * Creates a lease for every shard that has none (conditional PutItem, so
 * workers racing on it are fine), with checkpoint initial ("TRIM_HORIZON",
 * "LATEST", ...; a child shard always starts at TRIM_HORIZON, as in KCL) and
 * the shard's parents. Returns 0 or RT_E*.
 */
int rt_kin_leases_sync(rt_kin_leases *l, const rt_kin_shards *shards, const char *initial,
                       rt_err *err);

/*
 * One round: scan the table, renew held leases (dropping the ones another
 * worker took), take expired ones up to the fair share, else steal. now_ms is
 * this worker's monotonic clock in ms. Returns 0 or RT_E* (network, auth).
 */
int rt_kin_leases_tick(rt_kin_leases *l, int64_t now_ms, rt_err *err);

/* 1 when this worker holds the lease of shard (as of the last tick). */
int rt_kin_leases_held(const rt_kin_leases *l, const char *shard);

/* Number of leases held / known, as of the last tick. */
int rt_kin_leases_count_held(const rt_kin_leases *l);
int rt_kin_leases_count_all(const rt_kin_leases *l);

/* The shard id of the i-th known lease, 0 <= i < rt_kin_leases_count_all()
 * (borrowed; valid until the next tick), or NULL past the end. */
const char *rt_kin_leases_shard_at(const rt_kin_leases *l, int i);

/* The checkpoint stored in shard's lease (borrowed; valid until the next
 * tick), or NULL. */
const char *rt_kin_leases_checkpoint_of(const rt_kin_leases *l, const char *shard);

/*
 * Checkpoints shard at sequence (fenced: only while this worker holds the
 * lease). Returns 0, RT_ECONFLICT when the lease was lost (stop reading the
 * shard), RT_ENOTFOUND when it is not held, or a transport error.
 */
int rt_kin_leases_checkpoint(rt_kin_leases *l, const char *shard, const char *sequence,
                             rt_err *err);

/*
 * Checkpoints shard at sequence ("SEQ", "SEQ:SUB" or "SHARD_END") together
 * with its operator state (len bytes at state, copied, any size), fenced
 * like rt_kin_leases_checkpoint: the state's chunks go to the table
 * "APP-state" first (rt_ddb_state.h), then ONE UpdateItem conditional on the
 * lease (leaseCounter and leaseOwner) sets the position, the new state
 * version and its description together and bumps the counter; the old
 * version's chunks are deleted after it (a failed delete is logged and
 * retried at the next checkpoint; a worker taking the lease sweeps what is
 * left). Throttling, 5xx and cut connections are retried with backoff; an
 * answer lost after the switch landed is recognised (the item is re-read).
 *
 * Returns 0; RT_ECONFLICT when the lease was lost (stop reading the shard;
 * the new chunks were deleted, the state saved by whoever holds the lease is
 * untouched); RT_ENOTFOUND when it is not held; RT_EINVAL for a bad
 * sequence; or a transport error (the switch may have landed unseen; the
 * next checkpoint or load settles it). The position readers see never
 * moves without the state saved with it.
 */
int rt_kin_leases_checkpoint_state(rt_kin_leases *l, const char *shard, const char *sequence,
                                   const void *state, size_t len, rt_err *err);

/*
 * Reads shard's position and state afresh (consistent GetItem of the lease,
 * then consistent Queries of its chunks), for a worker that took the lease
 * and is about to read the shard; then deletes the shard's orphan chunks
 * (versions never switched in), when this worker holds the lease. On 0:
 * *sequence is the position ("SEQ", "SEQ:SUB", a KCL sentinel such as
 * "TRIM_HORIZON", or NULL when the shard has no lease), *state the state
 * (*len bytes) or NULL when the lease has none. Caller owns both; free with
 * rt_free(). Errors: RT_EINVAL when the state was saved under another
 * identity (the message names both), RT_EPROTO when a chunk is missing or
 * damaged or the position moved without its state, transport errors; both
 * outputs are NULL on error.
 */
int rt_kin_leases_load_state(rt_kin_leases *l, const char *shard, char **sequence,
                             void **state, size_t *len, rt_err *err);

/* Gives up every held lease (they become free at once), e.g. on shutdown. */
int rt_kin_leases_release_all(rt_kin_leases *l, rt_err *err);

#endif
