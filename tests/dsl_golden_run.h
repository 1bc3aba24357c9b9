/*
 * The running side of the DSL golden tests (tests/test_dsl_golden.c), kept in
 * its own header so the runtime can fill it in without touching the runner.
 *
 * OWNER: the runtime engineer fills in both bodies once dsl_compile() and a
 * headless run exist. Until then golden_run() fails every run block loudly,
 * so a run block can never pass by accident.
 */
#ifndef EDDY_DSL_GOLDEN_RUN_H
#define EDDY_DSL_GOLDEN_RUN_H

#include "rt_err.h"

#include <stdio.h>
#include <stddef.h>

/*
 * Checks a program that dsl_parse() accepted the way a session would
 * (dsl_compile(), unknown `let` names, ...). Returns 0 when it is fine, or
 * the error code with err filled (its span into program), so %%FAIL blocks
 * can pin errors found after parsing too. Until the runtime is wired in, no
 * program fails here.
 */
static inline int golden_compile(const char *program, size_t len, rt_err *err) {
  (void)program;
  (void)len;
  (void)err;
  return 0;
}

/*
 * Runs a %%PROGRAM block: program (NUL-terminated) over input (the %%INPUT
 * lines as JSON lines or CSV, or NULL when the block has none; the program
 * reads it where it names the file "$INPUT", which the hook replaces with a
 * temporary file's path). Stores the rendered output (the final table as
 * plain text, or the rows written) in *output, which the caller frees with
 * free(). Returns 0, or -1 with a reason in why.
 */
static inline int golden_run(const char *program, const char *input,
                             char **output, char *why, size_t whysz) {
  (void)program;
  (void)input;
  *output = NULL;
  snprintf(why, whysz,
           "run blocks are not implemented yet: fill in golden_run() in "
           "tests/dsl_golden_run.h");
  return -1;
}

#endif
