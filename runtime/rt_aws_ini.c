/*
 * The AWS CLI's shared files, read the simple way: one pass with getline()
 * per lookup, nothing cached, so a notebook that edits ~/.aws/config sees
 * the change on its next query. Values are copied with length checks: a
 * truncated secret would fail later as a confusing signature error.
 */
#include "rt_aws_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *rt_aws__env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

int rt_aws__env_true(const char *name) {
  const char *v = rt_aws__env(name);
  return v && strcasecmp(v, "true") == 0;
}

int rt_aws__copy(char *out, size_t outsz, const char *s, const char *what, rt_err *err) {
  size_t n = strlen(s);
  if (n >= outsz)
    return rt_err_set(err, RT_ETOOBIG, "%s is too long (%zu bytes, at most %zu)", what, n,
                      outsz - 1);
  memcpy(out, s, n + 1);
  return 0;
}

/* Trims ASCII whitespace at both ends, in place; returns the new start. */
static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

/* Does the header text (brackets removed) name section? Runs of blanks
 * between words count as one ("profile   dev" is "profile dev"). */
static int section_is(const char *text, const char *section) {
  while (*text && *section) {
    if (isspace((unsigned char)*text) && *section == ' ') {
      while (isspace((unsigned char)*text))
        text++;
      section++;
      continue;
    }
    if (*text++ != *section++)
      return 0;
  }
  while (isspace((unsigned char)*text))
    text++;
  return *text == '\0' && *section == '\0';
}

/* Where a lookup stands while it reads the file. */
typedef struct ini_scan {
  int in_section; /* inside [section] */
  int in_sub;     /* inside its nested "sub =" block */
  const char *bad; /* what is wrong with the line, NULL when it is fine */
} ini_scan;

/* One line: returns the value when it is key's (pointer into line), else NULL. */
static char *ini_line(char *line, ini_scan *st, const char *section, const char *sub,
                      const char *key) {
  int indented = isspace((unsigned char)line[0]);
  char *s = trim(line);
  if (*s == '\0' || *s == '#' || *s == ';')
    return NULL;
  if (*s == '[') {
    char *end = strchr(s, ']');
    if (!end) {
      st->bad = "a section header without \"]\"";
      return NULL;
    }
    *end = '\0';
    st->in_section = section_is(s + 1, section);
    st->in_sub = 0;
    return NULL;
  }
  char *eq = strchr(s, '=');
  if (!eq && !indented) /* indented: a continuation line, allowed */
    st->bad = "a line that is neither a [section] nor a key = value";
  if (!st->in_section || !eq)
    return NULL;
  *eq = '\0';
  char *name = trim(s), *value = trim(eq + 1);
  if (!indented) { /* a top-level key, or the start of a nested block */
    st->in_sub = sub && *value == '\0' && strcasecmp(name, sub) == 0;
    return !sub && strcasecmp(name, key) == 0 ? value : NULL;
  }
  return sub && st->in_sub && strcasecmp(name, key) == 0 ? value : NULL;
}

int rt_aws__ini_get(const char *path, const char *section, const char *sub, const char *key,
                    char *out, size_t outsz, rt_err *err) {
  FILE *f = path && path[0] ? fopen(path, "r") : NULL;
  if (!f)
    return 0;
  char *line = NULL;
  size_t cap = 0;
  ini_scan st = {0};
  int rc = 0, lineno = 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    lineno++;
    char *v = ini_line(line, &st, section, sub, key);
    if (st.bad)
      rc = rt_err_set(err, RT_EINVAL, "%s, line %d: %s", path, lineno, st.bad);
    else if (v)
      rc = rt_aws__copy(out, outsz, v, key, err) == 0 ? 1 : RT_ETOOBIG;
  }
  free(line);
  fclose(f);
  return rc;
}

int rt_aws__config_get(const char *path, const char *profile, const char *key, char *out,
                       size_t outsz, rt_err *err) {
  char section[160];
  int rc = 0;
  if (strcmp(profile, "default") == 0)
    rc = rt_aws__ini_get(path, "default", NULL, key, out, outsz, err);
  if (rc != 0)
    return rc;
  snprintf(section, sizeof(section), "profile %s", profile);
  return rt_aws__ini_get(path, section, NULL, key, out, outsz, err);
}

void rt_aws__shared_path(const char *var, const char *name, char *out, size_t outsz) {
  const char *p = rt_aws__env(var);
  const char *home = rt_aws__env("HOME");
  out[0] = '\0';
  if (p)
    snprintf(out, outsz, "%s", p);
  else if (home)
    snprintf(out, outsz, "%s/.aws/%s", home, name);
}
