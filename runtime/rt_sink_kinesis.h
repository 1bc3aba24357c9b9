/*
 * `into kinesis "NAME" [key EXPR]`: writes every result row as one JSON
 * object (the same text `into file` writes, rt_result_write_json_row) to a
 * Kinesis stream through rt_producer, so rows get PutRecords batching,
 * retries of only the failed entries, and optional KPL aggregation. Shaped
 * like rt_sink_file: open when the query starts (a missing stream fails the
 * query before it runs), write per result, free at the end. Writes block
 * while the producer retries (bounded by its attempts).
 */
#ifndef EDDY_RT_SINK_KINESIS_H
#define EDDY_RT_SINK_KINESIS_H

#include "rt_err.h"
#include "rt_result.h"

#include <stdbool.h>

/* Where to write; strings are borrowed for the open call only. */
typedef struct rt_sink_kinesis_opts {
  const char *stream;   /* required */
  const char *region;   /* session setting `region`, or NULL */
  const char *endpoint; /* session setting `endpoint`, or NULL */
  bool aggregate;       /* KPL-aggregate rows per shard */
} rt_sink_kinesis_opts;

typedef struct rt_sink_kinesis rt_sink_kinesis;

/* Resolves AWS settings, checks the stream exists and is ACTIVE. Returns 0 and
 * *out (caller owns it; rt_sink_kinesis_free), or RT_ENOTFOUND / RT_EAUTH /
 * RT_ENET ... with err. */
int rt_sink_kinesis_open(const rt_sink_kinesis_opts *opts, rt_sink_kinesis **out, rt_err *err);

/*
 * Writes res's rows and waits until Kinesis stored them. The partition key
 * of row i is the value of column key_col (strings as they are, other values
 * as their JSON text, cut to 256 bytes; an empty string becomes "-"), or,
 * when key_col < 0, a row counter, which spreads rows over every shard.
 * Returns 0 or the producer's error (rows not stored stay queued and are
 * retried by the next write).
 */
int rt_sink_kinesis_write(rt_sink_kinesis *s, const rt_result *res, int key_col, rt_err *err);

/* Rows stored so far. */
unsigned long long rt_sink_kinesis_rows(const rt_sink_kinesis *s);

/* Sends what is still queued (best effort), frees the sink; NULLs *s. Accepts NULL. */
void rt_sink_kinesis_free(rt_sink_kinesis **s);

#endif
