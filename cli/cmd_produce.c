/* eddy produce: placeholder until its module lands; says so instead of pretending. */
#include "cli.h"

#include <stdio.h>

int cli_produce(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "eddy produce: not built yet\n");
  return 1;
}
