/*
 * The `eddy` command line: one function per subcommand, each in its own file
 * (cmd_<name>.c), dispatched from main.c. Each takes the arguments after the
 * subcommand name (argv[0] is the subcommand) and returns the process exit
 * status: 0 success, 1 failure at run time, 2 bad usage.
 */
#ifndef EDDY_CLI_H
#define EDDY_CLI_H

/* eddy kernel -f CONNECTION_FILE: serve one Jupyter session. */
int cli_kernel(int argc, char **argv);

/* eddy install [--user | --prefix DIR]: write the kernelspec. */
int cli_install(int argc, char **argv);

/* eddy run FILE.eddy: run a program headless until its sources end. */
int cli_run(int argc, char **argv);

/* eddy produce sensors --stream NAME [...]: feed the sensor simulator into Kinesis. */
int cli_produce(int argc, char **argv);

/* eddy version: print the version and the libraries it was built with. */
int cli_version(int argc, char **argv);

#endif
