/*
 * `into file "PATH"`: appends every result row as one JSON object per line
 * ({"window_start":"2026-...Z","device_id":"sensor-001","avg_t":23.5}),
 * times as ISO-8601 UTC with milliseconds. The file is opened in append mode
 * when the query starts (so a bad path fails the query before it runs) and
 * flushed after each result, so a reader tailing it sees whole lines.
 *
 * A process killed while appending (kill -9, a crash) can leave the file's
 * last line torn: part of a row with no newline. Opening cuts that tail
 * off, so the resumed query's rows start on a line of their own; the torn
 * row is written again whole, since its batch was never checkpointed
 * (output is at least once; test_file_torn_tail in tests/test_rt_sinks.c).
 */
#ifndef EDDY_RT_SINK_FILE_H
#define EDDY_RT_SINK_FILE_H

#include "rt_err.h"
#include "rt_result.h"

typedef struct rt_sink_file rt_sink_file;

/* Opens path (relative paths start at base_dir when it is not NULL) for
 * appending, first cutting a torn last line (above). Returns 0 and *out (caller owns it; rt_sink_file_free), or
 * RT_EIO with err. */
int rt_sink_file_open(const char *path, const char *base_dir, rt_sink_file **out, rt_err *err);

/* Appends res's rows and flushes. Returns 0 or RT_EIO with err. */
int rt_sink_file_write(rt_sink_file *s, const rt_result *res, rt_err *err);

/* Closes the file; NULLs *s. Accepts NULL. */
void rt_sink_file_free(rt_sink_file **s);

#endif
