/*
 * eddy install [--user | --prefix DIR]: writes the Jupyter kernelspec
 * (kernels/eddy/kernel.json and the logos) so front ends can start this
 * binary. argv[0] of the spec is the absolute path of the running binary
 * (/proc/self/exe), so the spec keeps working whatever PATH the front end
 * has. kernelspec/kernel.json is the template; the logos are copied from the
 * installed share/eddy/kernelspec next to the binary, or from the source tree.
 */
#include "cli.h"

#include "rt_buf.h"
#include "rt_mem.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef EDDY_SOURCE_KERNELSPEC
#define EDDY_SOURCE_KERNELSPEC ""
#endif

static const char *const logos[] = {"logo-32x32.png", "logo-64x64.png"};

static int install_usage(void) {
  fprintf(stderr, "usage: eddy install [--user | --prefix DIR]\n");
  return 2;
}

/* mkdir -p path. Returns 0 or -1 with errno set. */
static int make_dirs(const char *path) {
  char *dir = rt_xstrdup(path);
  int rc = 0;
  for (char *p = dir + 1; rc == 0; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char c = *p;
    *p = '\0';
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
      rc = -1;
    *p = c;
    if (c == '\0')
      break;
  }
  rt_free(dir);
  return rc;
}

/* The kernelspec directory to write, from the options; caller frees. */
static char *target_dir(int argc, char **argv) {
  rt_buf b;
  rt_buf_init(&b, 0);
  if (argc == 1)
    rt_buf_puts(&b, "/usr/local/share/jupyter/kernels/eddy");
  else if (argc == 2 && strcmp(argv[1], "--user") == 0) {
    /* where jupyter_core looks for the user's data dir, in its order */
    const char *jdd = getenv("JUPYTER_DATA_DIR"), *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (jdd && jdd[0])
      rt_buf_printf(&b, "%s/kernels/eddy", jdd);
    else if (xdg && xdg[0] == '/')
      rt_buf_printf(&b, "%s/jupyter/kernels/eddy", xdg);
    else if (home)
      rt_buf_printf(&b, "%s/.local/share/jupyter/kernels/eddy", home);
    else {
      rt_buf_free(&b);
      return NULL;
    }
  } else if (argc == 3 && strcmp(argv[1], "--prefix") == 0)
    rt_buf_printf(&b, "%s/share/jupyter/kernels/eddy", argv[2]);
  else {
    rt_buf_free(&b);
    return NULL;
  }
  return rt_buf_take(&b, NULL);
}

/* The directory holding the kernelspec template and logos, or NULL. */
static const char *source_dir(const char *exe, char *buf, size_t bufsz) {
  const char *slash = strrchr(exe, '/');
  int dirlen = slash ? (int)(slash - exe) : 0;
  snprintf(buf, bufsz, "%.*s/../share/eddy/kernelspec/kernel.json", dirlen, exe);
  if (access(buf, R_OK) == 0) {
    buf[strlen(buf) - strlen("/kernel.json")] = '\0';
    return buf;
  }
  snprintf(buf, bufsz, "%s/kernel.json", EDDY_SOURCE_KERNELSPEC);
  if (EDDY_SOURCE_KERNELSPEC[0] && access(buf, R_OK) == 0)
    return EDDY_SOURCE_KERNELSPEC;
  return NULL;
}

/* The template with argv[0] set to exe (built in when there is no file). */
static json_t *make_spec(const char *src, const char *exe) {
  char path[PATH_MAX + 32];
  json_t *spec = NULL;
  if (src) {
    snprintf(path, sizeof(path), "%s/kernel.json", src);
    spec = json_load_file(path, 0, NULL);
  }
  if (!json_is_object(spec) || !json_is_array(json_object_get(spec, "argv"))) {
    json_decref(spec);
    spec = json_pack("{s[ssss]sssssss{}}", "argv", "eddy", "kernel", "-f",
                     "{connection_file}", "display_name", "Eddy (streams)",
                     "language", "eddy", "interrupt_mode", "message", "metadata");
  }
  json_array_set_new(json_object_get(spec, "argv"), 0, json_string(exe));
  return spec;
}

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  FILE *out = in ? fopen(to, "wb") : NULL;
  char buf[8192];
  size_t n;
  int rc = in && out ? 0 : -1;
  while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
    if (fwrite(buf, 1, n, out) != n)
      rc = -1;
  if (in)
    fclose(in);
  if (out && fclose(out) != 0)
    rc = -1;
  return rc;
}

static int write_spec(const char *dir, const char *src, const char *exe) {
  char path[PATH_MAX + 64], from[PATH_MAX + 64];
  snprintf(path, sizeof(path), "%s/kernel.json", dir);
  json_t *spec = make_spec(src, exe);
  int rc = json_dump_file(spec, path, JSON_INDENT(2));
  json_decref(spec);
  if (rc < 0) {
    fprintf(stderr, "eddy install: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  for (size_t i = 0; src && i < sizeof(logos) / sizeof(logos[0]); i++) {
    snprintf(from, sizeof(from), "%s/%s", src, logos[i]);
    snprintf(path, sizeof(path), "%s/%s", dir, logos[i]);
    if (copy_file(from, path) < 0)
      fprintf(stderr, "eddy install: warning: cannot copy %s\n", from);
  }
  if (!src)
    fprintf(stderr, "eddy install: warning: no kernelspec files found; "
                    "wrote kernel.json without logos\n");
  return 0;
}

int cli_install(int argc, char **argv) {
  char exe[PATH_MAX], srcbuf[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) {
    fprintf(stderr, "eddy install: cannot find my own path: %s\n", strerror(errno));
    return 1;
  }
  exe[n] = '\0';
  char *dir = target_dir(argc, argv);
  if (!dir)
    return install_usage();
  int rc = 1;
  if (make_dirs(dir) < 0)
    fprintf(stderr, "eddy install: cannot create %s: %s\n", dir, strerror(errno));
  else
    rc = write_spec(dir, source_dir(exe, srcbuf, sizeof(srcbuf)), exe);
  if (rc == 0)
    printf("installed the eddy kernelspec in %s\n", dir);
  rt_free(dir);
  return rc;
}
