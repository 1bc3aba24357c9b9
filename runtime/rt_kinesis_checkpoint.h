/*
 * Checkpoints of a Kinesis application (`as "APP"`): the last processed
 * sequence number per shard, which `from checkpoint` resumes after. Two
 * stores behind one small interface:
 *
 *  - DynamoDB, when a DynamoDB endpoint is configured (session
 *    dynamodb_endpoint, AWS_ENDPOINT_URL_DYNAMODB or endpoint_url in
 *    ~/.aws/config): a table named APP in KCL's lease-table layout (hash key
 *    leaseKey = shard id; checkpoint, checkpointSubSequenceNumber,
 *    leaseCounter, leaseOwner), created on first use (PAY_PER_REQUEST), so
 *    KCL tools can read it; one stream per application, as in KCL's
 *    single-stream mode (a streamName attribute guards against mixing).
 *  - A JSON file <dir>/<APP>.<STREAM>.checkpoint.json otherwise (dir from
 *    the session's checkpoint_dir, default ~/.eddy/checkpoints), written
 *    atomically (temp file, fsync, rename, fsync of the directory). It may
 *    also hold the query's operator state (rt_kin_ckpt_set_state): the
 *    positions and the state are published by the same rename, so a crash
 *    leaves either the old pair or the new one, never a mix.
 *
 * Lease ownership across workers (taking, renewing, stealing) is not here:
 * one process reads every shard of an application.
 */
#ifndef EDDY_RT_KINESIS_CHECKPOINT_H
#define EDDY_RT_KINESIS_CHECKPOINT_H

#include "rt_aws.h"
#include "rt_err.h"

#include <stddef.h>

typedef struct rt_kin_ckpt rt_kin_ckpt;

/*
 * Opens the store of application app for stream and loads what it holds.
 * cfg is copied. dir may be NULL. Returns 0 and *out (caller owns it;
 * rt_kin_ckpt_free), or an RT_E* error (bad name, DynamoDB unreachable or
 * refusing, unreadable file).
 */
int rt_kin_ckpt_open(const rt_aws_config *cfg, const char *app, const char *stream,
                     const char *dir, rt_kin_ckpt **out, rt_err *err);

/* The loaded or last set checkpoint of shard, or NULL. Borrowed: valid until
 * the next set or free. "SHARD_END" means the shard was read to its end. */
const char *rt_kin_ckpt_get(const rt_kin_ckpt *c, const char *shard);

/* Records shard's checkpoint in memory (copied); flush() persists it. */
void rt_kin_ckpt_set(rt_kin_ckpt *c, const char *shard, const char *sequence);

/*
 * Operator state to persist with the positions (file store only): len bytes
 * at data (copied), written by the next flush in the same file as the
 * positions set with it; data NULL drops the state (a query without state
 * now moves the positions, so an older state no longer matches them).
 * Returns 0, or RT_EUNSUPPORTED with err for the DynamoDB store, which has
 * no place for it.
 */
int rt_kin_ckpt_set_state(rt_kin_ckpt *c, const void *data, size_t len, rt_err *err);

/* The loaded (or last set) operator state, or NULL when there is none; its
 * length in *len. Borrowed: valid until the next set_state or free. */
const void *rt_kin_ckpt_state(const rt_kin_ckpt *c, size_t *len);

/* True for the DynamoDB store. */
int rt_kin_ckpt_is_dynamodb(const rt_kin_ckpt *c);

/* Persists the checkpoints set since the last flush. Returns 0 or RT_E*
 * (they stay pending and go with the next flush). */
int rt_kin_ckpt_flush(rt_kin_ckpt *c, rt_err *err);

/* Where the checkpoints live, for messages ("DynamoDB table app at URL" or
 * "file PATH"). Borrowed. */
const char *rt_kin_ckpt_where(const rt_kin_ckpt *c);

/* Frees the store (without flushing) and NULLs *c; accepts NULL. */
void rt_kin_ckpt_free(rt_kin_ckpt **c);

#endif
