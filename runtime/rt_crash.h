/*
 * rt_crash: named fault-injection points, so a test can kill the process
 * with SIGKILL at an exact place inside a checkpoint or state write (a
 * random wall-clock kill rarely lands there). Set before start:
 *
 *   EDDY_CRASH_AT=<point>:<n>     e.g. EDDY_CRASH_AT=ckpt_file_rename:3
 *
 * and the n-th time (n >= 1) the process passes rt_crash_point("<point>"),
 * counted over all its threads, it writes one line
 * "eddy: crash point <point> pass <n>: SIGKILL" to stderr and raises SIGKILL
 * on itself. The variable is read once, at the first pass of any point.
 * Unset (the normal case), every point costs one relaxed atomic load and
 * one predictable branch. A malformed value is reported on stderr once and
 * leaves every point inert.
 *
 * The points (docs/hacking.md, "Crash points"):
 *   ckpt_file_write    the checkpoint file's temp copy half written
 *   ckpt_file_rename   the temp copy whole and fsynced, not yet renamed
 *   ckpt_file_renamed  renamed over the checkpoint, directory not yet fsynced
 *   ddb_state_put      a chunk of a new DynamoDB state written, the switch
 *                      that makes it current not yet made
 *   ckpt_ddb_put       the switch (position and state in one UpdateItem)
 *                      landed, the old state's chunks not yet deleted
 *   dist_partial_put   a chunk of a shard's partial of a closed window
 *                      written to APP-partials, the window's index item
 *                      (and any later window, the mark) not yet
 *   dist_publish       a shard's closed windows and mark published to
 *                      APP-partials, its checkpoint not yet switched
 *   sink_file_write    half of a result's lines appended to an `into file`
 *                      output (the last one torn), the rest not yet
 * The file store holds the positions and the query state in one file, so
 * the ckpt_file_* points are also the state's.
 */
#ifndef EDDY_RT_CRASH_H
#define EDDY_RT_CRASH_H

/* Passes the crash point named point (a static string): returns at once
 * unless EDDY_CRASH_AT names it, and never returns on its n-th pass. */
void rt_crash_point(const char *point);

#endif
