/*
 * Files Eddy creates for itself, made private: folders 0700, files 0600,
 * never through a symbolic link at the last component, and only regular
 * files. The history (kernel/kn_history.c), the checkpoint files
 * (rt_kinesis_checkpoint.c) and `into file` (rt_sink_file.c) open through
 * here, so the rule lives in one place (docs/security.md, "Files").
 * Folders that already exist are used as they are: Eddy changes no mode it
 * did not set.
 */
#ifndef EDDY_RT_FILE_H
#define EDDY_RT_FILE_H

#include "rt_err.h"

#include <sys/types.h>

/* Mode of the files and folders Eddy creates for itself. */
enum { RT_FILE_PRIVATE = 0600, RT_FILE_PRIVATE_DIR = 0700 };

/*
 * mkdir -p of dir: makes every missing folder of it, each 0700 (less the
 * umask). Folders that exist are left as they are; "" is the working
 * folder. Returns 0, or RT_EIO with err naming the folder that could not be
 * made.
 */
int rt_file_mkdirs(const char *dir, rt_err *err);

/* rt_file_mkdirs() of the folder that holds path (nothing for a bare name). */
int rt_file_mkparents(const char *path, rt_err *err);

/*
 * Opens path for appending (O_WRONLY | O_APPEND | O_CLOEXEC), creating it
 * with mode when it is missing; an existing file keeps its mode. Refuses,
 * with RT_EIO and err saying why, a symbolic link at the last component and
 * anything but a regular file (a FIFO, a device, a folder): it never blocks
 * on a FIFO. Returns the descriptor (caller closes it), or a negative
 * RT_E* code.
 */
int rt_file_open_append(const char *path, mode_t mode, rt_err *err);

/*
 * Creates path as a new, empty file of mode 0600 for writing (O_CLOEXEC),
 * after removing whatever had that name (a stale temporary, or a symbolic
 * link someone planted, whose target is left alone); O_EXCL and O_NOFOLLOW
 * make sure the file written is the one just made. For temporaries that
 * are then renamed into place. Returns the descriptor (caller closes it),
 * or RT_EIO with err.
 */
int rt_file_create_private(const char *path, rt_err *err);

/* Writes all len bytes at p to fd, again after a short write or EINTR.
 * Returns 0, or -1 with errno set. Async-signal-safe (only write()). */
int rt_file_write_all(int fd, const void *p, size_t len);

#endif
