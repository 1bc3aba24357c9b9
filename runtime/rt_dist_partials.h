/*
 * rt_dist_partials: the DynamoDB protocol through which the workers of one
 * scaled-out application (`kinesis "S" ... as "APP"` on several machines)
 * hand each other the partial window states of their shards, so that every
 * worker can emit the same merged, exact windows (rt_dist.h drives it).
 * No server of ours: one table, "APP-partials" (hash key `k`, range key `r`,
 * both strings, billed per request), holds three kinds of items:
 *
 *   k = "W#START#END", r = "SHARD#CCCC"  the serialized partial rows of SHARD
 *        for the window [START, END) (ms), cut into chunks of at most
 *        RT_DIST_CHUNK_BYTES (CCCC = 0000, 0001, ...; `n` = chunk count on
 *        every chunk, `d` = the bytes, binary). Written with plain PutItem: a
 *        re-publish of the same (window, shard) replaces it, so publishing
 *        twice (a worker that re-reads a shard after a failover) is idempotent.
 *   k = "I", r = "EEEEEEEEEEEEEEEE#SSSSSSSSSSSSSSSS"  the window index: one
 *        item per window anyone published, END and START offset by 1e15 and
 *        zero-padded, so a range Query lists windows in order of end.
 *   k = "M", r = SHARD  the shard's mark: `wm` (its event-time watermark,
 *        when it has one), `idle` (no records for the idle time), `done`
 *        (read to SHARD_END, final partials published).
 *
 * Every item carries `t` (publisher's wall ms) and `ttl` (epoch seconds,
 * a day later, DynamoDB's TTL as the last resort for leftovers).
 *
 * Ordering, on the publisher: partial chunks, then the index item, then the
 * mark; the mark rises only past windows whose partials are stored. A reader
 * that sees mark wm >= END therefore finds every partial of [START, END)
 * of that shard. rt_dist_global_watermark() turns the marks and the lease
 * table into the watermark below which every window is complete.
 *
 * Blocking calls on the caller's thread, one DynamoDB client. Not
 * thread-safe.
 */
#ifndef EDDY_RT_DIST_PARTIALS_H
#define EDDY_RT_DIST_PARTIALS_H

#include "rt_aws.h"
#include "rt_clock.h"
#include "rt_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest chunk of one (window, shard) partial in one item (DynamoDB's
 * item limit is 400 KB, keys and attributes included). */
#define RT_DIST_CHUNK_BYTES (350 * 1024)

typedef struct rt_dist_partials rt_dist_partials;

/* A shard's mark (k = "M"). */
typedef struct rt_dist_mark {
  char shard[128]; /* shard id */
  bool has_wm;     /* wm is meaningful */
  int64_t wm;      /* event-time watermark: every window with end <= wm of
                    * this shard is published */
  bool idle;       /* no record for the idle time: left out of the minimum */
  bool done;       /* read to its end, final partials published */
} rt_dist_mark;

/* A shard as the lease table lists it. */
typedef struct rt_dist_shard {
  const char *shard; /* shard id (borrowed) */
  bool finished;     /* its lease checkpoint is SHARD_END */
} rt_dist_shard;

/* A window [start, end) in the index. */
typedef struct rt_dist_window {
  int64_t start, end;
} rt_dist_window;

/*
 * Opens (and creates when missing, waiting until it is ACTIVE) the table
 * "APP-partials" at cfg's DynamoDB endpoint. clock gives the `t` and `ttl`
 * stamps (NULL: the system's; borrowed, must outlive p). Returns NULL with
 * err filled. Caller owns the result; free with rt_dist_partials_free().
 */
rt_dist_partials *rt_dist_partials_new(const rt_aws_config *cfg, const char *app,
                                       const rt_clock *clock, rt_err *err);

/* Frees p (the table stays) and NULLs *p; accepts NULL. */
void rt_dist_partials_free(rt_dist_partials **p);

/* Makes every Query ask for at most n items a page (0: as many as DynamoDB
 * gives, up to 1 MB): tests read each answer across many pages with it. */
void rt_dist_partials_set_page_items(rt_dist_partials *p, int n);

/* The table's name (borrowed; valid while p lives). */
const char *rt_dist_partials_table(const rt_dist_partials *p);

/*
 * Publishes shard's partial of window [start, end): len bytes (borrowed),
 * in chunks, then the window's index item. Idempotent. Returns 0 or the
 * failing call's RT_E* (some chunks may be written: publish again).
 */
int rt_dist_partials_put(rt_dist_partials *p, int64_t start, int64_t end, const char *shard,
                         const void *data, size_t len, rt_err *err);

/* Writes shard m->shard's mark (replacing the last). Returns 0 or RT_E*. */
int rt_dist_partials_put_mark(rt_dist_partials *p, const rt_dist_mark *m, rt_err *err);

/* Reads every mark (consistent). Returns 0 and *out (caller owns; free with
 * rt_free()) with *n entries, or RT_E*. */
int rt_dist_partials_marks(rt_dist_partials *p, rt_dist_mark **out, size_t *n, rt_err *err);

/*
 * Lists the indexed windows with after_end < end <= upto_end (after_end
 * ignored when !have_after), in order of end then start. Returns 0 and *out
 * (caller owns; free with rt_free()) with *n entries, or RT_E*.
 */
int rt_dist_partials_windows(rt_dist_partials *p, bool have_after, int64_t after_end,
                             int64_t upto_end, rt_dist_window **out, size_t *n, rt_err *err);

/* Receives one shard's whole partial of a window (bytes borrowed for the
 * call). Returns 0, or an RT_E* that stops the read and is returned. */
typedef int (*rt_dist_partial_fn)(void *ctx, const char *shard, const void *data, size_t len);

/* Reads every shard's partial of window [start, end) (consistent; chunks
 * put back together; a shard whose chunks are incomplete is an RT_EPROTO)
 * and hands each to fn. Returns 0 or RT_E*. */
int rt_dist_partials_get(rt_dist_partials *p, int64_t start, int64_t end,
                         rt_dist_partial_fn fn, void *ctx, rt_err *err);

/*
 * Garbage collection: deletes the partials and the index items of windows
 * with end <= upto_end whose index item was written at least grace_ms ago
 * (wall time of p's clock). Any worker may run it (deletes are idempotent);
 * readers that lag behind the global watermark by more than grace_ms lose
 * those windows. Sets *deleted (may be NULL) to the windows removed.
 * Returns 0 or RT_E*.
 */
int rt_dist_partials_collect(rt_dist_partials *p, int64_t upto_end, int64_t grace_ms,
                             size_t *deleted, rt_err *err);

/* Reads the lease table lease_table (rt_kinesis_lease.h, the application's
 * name): one entry per lease, finished when its checkpoint is SHARD_END.
 * Returns 0 and *out with *n entries (caller owns both the array and its
 * strings; free with rt_dist_shards_free()), or RT_E*. */
int rt_dist_partials_leases(rt_dist_partials *p, const char *lease_table, rt_dist_shard **out,
                            size_t *n, rt_err *err);

/* Frees what rt_dist_partials_leases() returned and NULLs *v; accepts NULL. */
void rt_dist_shards_free(rt_dist_shard **v, size_t n);

/*
 * The global watermark: every window with end <= *wm has all its partials
 * published. The minimum over the marks of the nshards shards of the lease
 * table (marks of other shards are ignored), except that a finished shard
 * (SHARD_END) or one whose mark is done counts no more. A shard without a
 * mark, or whose mark has no watermark yet, blocks: returns false (nothing
 * is complete yet). Idle shards count too: their holder moves them up to
 * rt_dist_idle_target(), publishing their part of the windows it closes.
 * Pure: no I/O. Returns true with *wm set, or false.
 */
bool rt_dist_global_watermark(const rt_dist_shard *shards, size_t nshards,
                              const rt_dist_mark *marks, size_t nmarks, int64_t *wm);

/*
 * Where an idle shard's watermark goes (as one process leaves an idle
 * partition out of its minimum): the minimum over the non-idle, unfinished
 * shards' watermarks; when every one is idle, the maximum of them all (a
 * quiet stream: the newest event time decides). False while a non-idle
 * shard has no mark or no watermark, or there is none. Pure.
 */
bool rt_dist_idle_target(const rt_dist_shard *shards, size_t nshards,
                         const rt_dist_mark *marks, size_t nmarks, int64_t *wm);

#endif
