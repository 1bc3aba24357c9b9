/*
 * rt_magic: the magics the runtime session serves, to the kernel and to
 * `eddy run` alike: %set, %stop, %queries, %streams, %describe, %create, %aws
 * and %help. Their text goes to the caller through rt_exec_opts.on_text. The
 * caller's on_magic sees every magic first (rt_runtime.h) and may serve one
 * its own way (the kernel shows %queries as an HTML table).
 */
#ifndef EDDY_RT_MAGIC_H
#define EDDY_RT_MAGIC_H

#include "dsl_ast.h"
#include "rt_err.h"
#include "rt_runtime.h"

/* Runs magic st of the cell src. Returns 0; an error with err at the
 * magic's (or the faulty argument's) span; or RT_EUNSUPPORTED for a magic
 * the runtime does not serve. */
int rt_magic_run(rt_runtime *rt, const dsl_stmt *st, const char *src, const rt_exec_opts *o,
                 rt_err *err);

#endif
