/* eddy install: placeholder until its module lands; says so instead of pretending. */
#include "cli.h"

#include <stdio.h>

int cli_install(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "eddy install: not built yet\n");
  return 1;
}
