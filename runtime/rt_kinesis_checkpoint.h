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
 * Per-shard state (rt_kin_ckpt_commit_shard / rt_kin_ckpt_load_shard): a
 * stateful query keeps, for each shard, a serialized mergeable partial
 * state of the records that shard produced, saved with that shard's
 * position so that no reader ever sees a position without the state that
 * matches it. The file store keeps every shard's pair in its one file
 * (same rename). The DynamoDB store keeps states in a second table,
 * APP-state, in chunks (rt_ddb_state.h), and switches a shard to a new
 * position and state with one conditional UpdateItem of the shard's item in
 * APP. Each state carries the identity the store was opened with (a hash of
 * the query text and the state format): a state saved under another
 * identity is refused, never handed to the wrong query.
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

/*
 * rt_kin_ckpt_open() for a stateful query: identity (copied; NULL means "")
 * names what may read the per-shard states, e.g. "q:<hash of the query
 * text>:v1"; at most RT_DDB_STATE_IDENTITY_MAX (255) bytes, else RT_EINVAL.
 * A DynamoDB table APP (or APP-state) whose key schema is not the one
 * described above is refused with RT_EINVAL and left untouched.
 */
int rt_kin_ckpt_open_as(const rt_aws_config *cfg, const char *app, const char *stream,
                        const char *dir, const char *identity, rt_kin_ckpt **out,
                        rt_err *err);

/*
 * Persists shard's position and its state together, now (no flush needed):
 * sequence is "SEQ" or "SEQ:SUB" (SUB, the KPL user-record index inside an
 * aggregate, goes to checkpointSubSequenceNumber), or "SHARD_END"; len bytes
 * at state (copied, any size; state NULL with len 0 saves the position
 * with no state). Both stores publish the pair at once: the file store by
 * its rename; DynamoDB writes the new version's chunks into APP-state, then
 * one UpdateItem of the shard's item, conditional on the state version it
 * last saw, sets the position and the new version together, then deletes
 * the old version's chunks (a failed delete is logged and retried at the
 * next commit or load, never the caller's error). Throttling, 5xx and cut
 * connections are retried with backoff.
 *
 * Returns 0; RT_ECONFLICT when another writer switched the shard since this
 * store last read it (load it again; the new chunks were deleted); RT_EINVAL
 * for a bad sequence; or a transport/IO error. On any failure the previous
 * pair stays what readers see (and what rt_kin_ckpt_get returns). After a
 * transport error the switch may have landed unseen: the next commit or
 * load finds out.
 */
int rt_kin_ckpt_commit_shard(rt_kin_ckpt *c, const char *shard, const char *sequence,
                             const void *state, size_t len, rt_err *err);

/*
 * Reads shard's position and state afresh (DynamoDB: a consistent GetItem,
 * then consistent Queries of its chunks; the file store: what it loaded or
 * last wrote, since it is the only writer of its file). A worker calls this
 * when it starts on a shard, before reading a record of it; it also sweeps
 * the shard's orphan chunks (versions never switched in, after a crash).
 * On 0: *sequence is the position ("SEQ", "SEQ:SUB", "SHARD_END") or NULL
 * when none; *state the state (len bytes; never NULL when the shard has a
 * state, even of 0 bytes) or NULL when the shard has none. Caller owns both;
 * free with rt_free(). Errors: RT_EINVAL when the state was saved under
 * another identity ("checkpoint of APP was saved by a different query:
 * saved by "X", this query is "Y""); RT_EPROTO when a chunk is missing or
 * damaged, or the position moved without its state (never a partial
 * state); transport errors. *sequence and *state are NULL on error.
 */
int rt_kin_ckpt_load_shard(rt_kin_ckpt *c, const char *shard, char **sequence, void **state,
                           size_t *len, rt_err *err);

/* The loaded or last set checkpoint of shard, or NULL. Borrowed: valid until
 * the next set or free. "SHARD_END" means the shard was read to its end. */
const char *rt_kin_ckpt_get(const rt_kin_ckpt *c, const char *shard);

/* Records shard's checkpoint in memory (copied); flush() persists it. A
 * shard whose state was saved with commit_shard loses that state when its
 * position moves this way (the state no longer matches it). */
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
