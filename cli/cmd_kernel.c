/*
 * eddy kernel -f CONNECTION_FILE: serve one Jupyter session. Front ends start
 * it through the kernelspec that `eddy install` writes; it runs until a
 * shutdown request or SIGTERM. A connection file without a key is refused
 * unless the user opts in (--allow-unsigned or EDDY_ALLOW_UNSIGNED=1).
 */
#include "cli.h"

#include "kn_kernel.h"
#include "rt_log.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int kernel_usage(void) {
  fprintf(stderr, "usage: eddy kernel -f CONNECTION_FILE [--history FILE] "
                  "[--allow-unsigned]\n");
  return 2;
}

int cli_kernel(int argc, char **argv) {
  const char *file = NULL;
  kn_options opts = {0};
  for (int i = 1; i < argc; i++) {
    if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--connection-file") == 0) &&
        i + 1 < argc)
      file = argv[++i];
    else if (strncmp(argv[i], "--connection-file=", 18) == 0)
      file = argv[i] + 18;
    else if (strcmp(argv[i], "--history") == 0 && i + 1 < argc)
      opts.history_path = argv[++i];
    else if (strcmp(argv[i], "--allow-unsigned") == 0)
      opts.allow_unsigned = true;
    else
      return kernel_usage();
  }
  if (!file)
    return kernel_usage();
  opts.connection_file = file;
  /* The environment form is for front ends that start the kernel from a
   * kernelspec's argv the user would rather not edit ("env" in kernel.json). */
  const char *allow = getenv("EDDY_ALLOW_UNSIGNED");
  if (allow && strcmp(allow, "1") == 0)
    opts.allow_unsigned = true;
  /* This process asks OpenSSL for algorithms by name only (HMAC for the
   * wire, MD5 for Kinesis hash keys) and never prints its errors, so it skips
   * the legacy name tables (EVP_get_digestbyname & co. find nothing) and the
   * error strings that OpenSSL 3 builds at the first fetch: 3.8 of the 5.4
   * million instructions the HMAC would add to a cold start measured
   * against ipykernel (bench/README.md). openssl.cnf is still read: it may
   * carry a TLS policy or switch on a FIPS provider. */
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
                          OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS,
                      NULL);
  kn_conn conn;
  rt_err err;
  if (kn_conn_load(&conn, file, &err) < 0) {
    fprintf(stderr, "eddy kernel: %s\n", err.msg);
    return 1;
  }
  int rc = kn_kernel_run(&conn, &opts, &err);
  kn_conn_clear(&conn);
  if (rc < 0) {
    fprintf(stderr, "eddy kernel: %s\n", err.msg);
    return 1;
  }
  return 0;
}
