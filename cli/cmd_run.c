/* eddy run: placeholder until its module lands; says so instead of pretending. */
#include "cli.h"

#include <stdio.h>

int cli_run(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "eddy run: not built yet\n");
  return 1;
}
