/*
 * eddy: the command-line entry point. A thin dispatcher; every subcommand
 * lives in cmd_<name>.c.
 */
#include "cli.h"

#include "rt_log.h"

#include <stdio.h>
#include <string.h>

/* Sanitizer builds: fontconfig (under cairo's text, for charts) keeps its
 * configuration for the life of the process, which LeakSanitizer would
 * report at exit (and fail the kernel's exit code). Not ours; unused
 * without ASan. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\nleak:FcPattern\nleak:FcConfig\n";
}

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
} cli_command;

static const cli_command commands[] = {
    {"kernel", cli_kernel, "kernel -f CONNECTION_FILE [--allow-unsigned]   serve a Jupyter session"},
    {"install", cli_install, "install [--user | --prefix DIR]   install the Jupyter kernelspec"},
    {"run", cli_run, "run FILE.eddy   run a program headless, printing results"},
    {"produce", cli_produce, "produce sensors --stream NAME [--rate N] [--devices N] [--seconds N] [--aggregate]"},
    {"version", cli_version, "version   print the version"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: eddy COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  eddy %s\n", commands[i].usage);
}

int main(int argc, char **argv) {
  rt_log_init();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "eddy: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
