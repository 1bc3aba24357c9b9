/* eddy kernel: placeholder until its module lands; says so instead of pretending. */
#include "cli.h"

#include <stdio.h>

int cli_kernel(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "eddy kernel: not built yet\n");
  return 1;
}
