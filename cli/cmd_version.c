/* eddy version: the version and the libraries this binary was built with. */
#include "cli.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>

int cli_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("eddy %s (jansson %s, %s)\n", EDDY_VERSION, JANSSON_VERSION, curl_version());
  return 0;
}
