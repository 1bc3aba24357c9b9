/*
 * The Kinesis magics, `%streams`, `%describe NAME` and `%create NAME shards
 * N`, served by the runtime session (rt_magic.c) to the kernel and to
 * `eddy run` alike. Their text is ready to print: plain aligned tables, so the same
 * text works in a notebook's text output and on a terminal. Each call makes
 * its own short-lived client from the session's region and endpoint settings
 * (NULL or "" = unset, then the environment and ~/.aws decide).
 */
#ifndef EDDY_RT_KINESIS_MAGIC_H
#define EDDY_RT_KINESIS_MAGIC_H

#include "rt_buf.h"
#include "rt_err.h"

/*
 * %streams: appends one line per stream (name, status, open shards,
 * retention) under a header, or "no streams at ENDPOINT". Returns 0 or the
 * client's error (RT_ENET "cannot connect ...", RT_EAUTH, ...).
 */
int rt_kin_magic_streams(const char *region, const char *endpoint, rt_buf *out, rt_err *err);

/*
 * %describe NAME: appends the stream's status, ARN, retention and open shard
 * count, then one line per shard (id, open/closed, parents, its share of the
 * hash key space). Returns 0, RT_ENOTFOUND (no such stream), or the client's
 * error.
 */
int rt_kin_magic_describe(const char *region, const char *endpoint, const char *stream,
                          rt_buf *out, rt_err *err);

/*
 * %create NAME shards N: creates the stream (N from 1 to 10000, else
 * RT_EINVAL) and appends "Created stream NAME with N shards."; N 0 is
 * %create NAME on_demand, an on-demand stream. Returns 0,
 * RT_EEXIST when it exists, or the client's error. Does not wait for the
 * stream to become ACTIVE (a query started on it waits).
 */
int rt_kin_magic_create(const char *region, const char *endpoint, const char *stream,
                        int shards, rt_buf *out, rt_err *err);

#endif
