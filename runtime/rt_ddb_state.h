/*
 * rt_ddb_state: a shard's operator state in DynamoDB, of any size, switched
 * atomically with the shard's position. DynamoDB items stop at 400 KB, so a
 * state is cut into chunks of RT_DDB_STATE_CHUNK bytes, kept in a table of
 * its own, "APP-state" (KCL tools scanning the lease table APP never see
 * them):
 *
 *   stateShard (HASH, S)  the shard id
 *   statePart  (RANGE, S) "VERSION#NNNNNN": the version (16 hex digits,
 *                         random, so two writers never share one) and the
 *                         chunk number
 *   stateData  (B)        the chunk's bytes
 *
 * One hash key per shard lets a consistent Query list one version's chunks
 * in order (begins_with "VERSION#") or every version of a shard (to sweep
 * orphans) without a Scan. A version becomes current only through ONE
 * UpdateItem of the shard's item in the lease table, which sets the
 * position and the state's description together (rt_ddb_state_set_expr):
 * checkpoint, checkpointSubSequenceNumber, stateVersion, stateChunks,
 * stateBytes, stateChecksum, stateIdentity, stateSequence. Chunks are
 * written before it and the old version's deleted after it, so a reader
 * that reads the item, then its version's chunks, sees a whole state or an
 * error (rt_ddb_state_read verifies count, length and checksum).
 *
 * The two stores that own a lease table drive this module:
 * rt_kinesis_checkpoint.c (one process per application) and
 * rt_kinesis_lease.c (fenced by the lease). Blocking calls on the caller's
 * thread, retried through rt_ddb_call_retry.
 */
#ifndef EDDY_RT_DDB_STATE_H
#define EDDY_RT_DDB_STATE_H

#include "rt_aws_json.h"
#include "rt_err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes per chunk: 350 KiB of binary leaves room under DynamoDB's 400 KB
 * item limit for the keys and attribute names. */
#define RT_DDB_STATE_CHUNK ((size_t)350 * 1024)

/* Longest identity string a store accepts (bytes, without the NUL). */
#define RT_DDB_STATE_IDENTITY_MAX 255

/* What a shard's item says about its state. version is "" when the item
 * holds a position without a state. */
typedef struct rt_ddb_state_meta {
  char version[24];  /* stateVersion: 16 hex digits, or "" */
  long chunks;       /* stateChunks */
  uint64_t bytes;    /* stateBytes */
  uint64_t checksum; /* stateChecksum (rt_ddb_state_checksum) */
  char sequence[160]; /* stateSequence: the "SEQ" or "SEQ:SUB" the state goes with */
  char identity[RT_DDB_STATE_IDENTITY_MAX + 1]; /* stateIdentity */
} rt_ddb_state_meta;

/* Writes the state table's name for application app ("APP-state") into out
 * (n bytes). */
void rt_ddb_state_table_name(const char *app, char *out, size_t n);

/* Makes sure the state table exists with the layout above; a table of that
 * name with another key schema is refused (RT_EINVAL) and left untouched.
 * Returns 0 or RT_E*. */
int rt_ddb_state_ensure_table(rt_awsj *ddb, const char *table, rt_err *err);

/* A 64-bit checksum of len bytes at data (word-wise splitmix64 chaining):
 * catches a chunk of another version or a torn one, not an adversary. */
uint64_t rt_ddb_state_checksum(const void *data, size_t len);

/* Writes a fresh version id (16 hex digits and a NUL) into out. Random per
 * call (process id, clock and address mixed), so two writers of one shard
 * never write into each other's chunks. */
void rt_ddb_state_new_version(char out[24]);

/*
 * Splits a position "SEQ" or "SEQ:SUB" into KCL's checkpoint (SEQ: digits,
 * or SHARD_END) and checkpointSubSequenceNumber (SUB: digits; "0" when
 * absent), into ck (nck bytes) and sub (nsub bytes). Returns 0 or RT_EINVAL
 * with err saying what is wrong.
 */
int rt_ddb_state_split_seq(const char *seq, char *ck, size_t nck, char *sub, size_t nsub,
                           rt_err *err);

/*
 * Writes chunk number index (len bytes at data, at most RT_DDB_STATE_CHUNK)
 * of shard's version into table. Idempotent, retried. Returns 0 or RT_E*.
 * Exposed for tests that stop a write halfway, as a crash would.
 */
int rt_ddb_state_put_chunk(rt_awsj *ddb, const char *table, const char *shard,
                           const char *version, long index, const void *data, size_t len,
                           rt_err *err);

/*
 * Writes all of len bytes at data as version (m->version, which the caller
 * set) of shard's state, and fills m->chunks, m->bytes and m->checksum. The
 * caller fills m->sequence and m->identity. On failure the chunks written so
 * far are deleted (best effort) and RT_E* is returned: nothing current has
 * changed.
 */
int rt_ddb_state_write(rt_awsj *ddb, const char *table, const char *shard,
                       rt_ddb_state_meta *m, const void *data, size_t len, rt_err *err);

/* Deletes chunks 0..chunks-1 of shard's version. Returns 0 or the first
 * failing call's RT_E* (the rest are still tried). */
int rt_ddb_state_delete(rt_awsj *ddb, const char *table, const char *shard,
                        const char *version, long chunks, rt_err *err);

/*
 * Deletes every chunk of shard whose version is not keep ("" keeps none):
 * the orphans of writes stopped before their switch, and old versions whose
 * deletion failed. Only for a shard this caller alone writes (it holds the
 * lease): another writer's chunks not yet switched in would go too. Returns
 * 0 or RT_E*; *deleted (may be NULL) counts the chunks deleted.
 */
int rt_ddb_state_sweep(rt_awsj *ddb, const char *table, const char *shard, const char *keep,
                       long *deleted, rt_err *err);

/*
 * The switch: adds to values (a JSON object; the caller's) the placeholders
 * :ck :sub :sv :sn :sb :sh :si :sq for m, and returns the SET fragment that
 * writes them (static text, no "SET"). m->sequence must split
 * (rt_ddb_state_split_seq) or RT_EINVAL is returned and values untouched.
 */
int rt_ddb_state_set_expr(const rt_ddb_state_meta *m, json_t *values, const char **set,
                          rt_err *err);

/* REMOVE fragment (no "REMOVE") that drops a state description from an
 * item whose position moves without a state. */
#define RT_DDB_STATE_REMOVE \
  "stateVersion, stateChunks, stateBytes, stateChecksum, stateIdentity, stateSequence"

/* Reads the state description of a lease-table item (borrowed; may be NULL)
 * into m; m->version is "" when there is none. */
void rt_ddb_state_meta_of(json_t *item, rt_ddb_state_meta *m);

/*
 * Reads the position of a lease-table item (borrowed; NULL = no item) as
 * "SEQ" or "SEQ:SUB": stateSequence when the item has a state (checked to
 * agree with checkpoint and checkpointSubSequenceNumber), else checkpoint,
 * with ":SUB" when the sub-sequence is not 0. *seq is NULL when there is no
 * item or no checkpoint. Returns 0, or RT_EPROTO when the state's sequence
 * does not match the position (something moved the position without its
 * state). Caller owns *seq; free with rt_free().
 */
int rt_ddb_state_position(json_t *item, char **seq, rt_err *err);

/*
 * Reads shard's state described by m from table with consistent Queries and
 * verifies it: identity must equal m->identity (else RT_EINVAL naming both:
 * "checkpoint of APP was saved by a different query: ..."; app is for the
 * message), then chunk numbers 0..chunks-1 each present once, the total
 * length and the checksum (else RT_EPROTO: a missing or mismatched chunk,
 * never a partial state). Returns 0 and *data, *len (caller owns *data;
 * free with rt_free(); never NULL on success, even for 0 bytes), or RT_E*
 * with *data NULL.
 */
int rt_ddb_state_read(rt_awsj *ddb, const char *table, const char *app, const char *shard,
                      const rt_ddb_state_meta *m, const char *identity, void **data,
                      size_t *len, rt_err *err);

#endif
