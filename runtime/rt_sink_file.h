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

/* A file `into file` may not write, and what it is, for the message. */
typedef struct rt_protected {
  char *path; /* as given; compared by device and inode */
  char *what; /* "the kernel's connection file" */
} rt_protected;

/* Opens path (relative paths start at base_dir when it is not NULL) for
 * appending, through rt_file_open_append(): a missing file is created 0600
 * (query output is as private as the stream it came from); a symbolic link
 * at the last component, a FIFO, a device or a folder is refused, and so is
 * any of the nprotect files of protect (borrowed), however it is named. A
 * torn last line is cut first (above). Returns 0 and *out (caller owns it;
 * rt_sink_file_free), or RT_EIO with err. */
int rt_sink_file_open(const char *path, const char *base_dir, const rt_protected *protect,
                      size_t nprotect, rt_sink_file **out, rt_err *err);

/* Appends res's rows and flushes. Returns 0 or RT_EIO with err. */
int rt_sink_file_write(rt_sink_file *s, const rt_result *res, rt_err *err);

/* Closes the file; NULLs *s. Accepts NULL. */
void rt_sink_file_free(rt_sink_file **s);

#endif
