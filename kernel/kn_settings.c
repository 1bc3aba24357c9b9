/*
 * The settings table: a fixed list of known names, each with a kind, a
 * minimum and a default, so a typo in `%set` is an error the user sees
 * instead of a value nothing reads.
 */
#include "kn_settings.h"

#include "rt_mem.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct kn_setting_def {
  const char *name;     /* as written after %set */
  kn_setting_kind kind; /* the kind of value it takes */
  double min;           /* smallest number or duration (ms) accepted */
  double dflt;          /* default number or duration; strings have none */
  const char *what;     /* what it means, for errors and listings */
} kn_setting_def;

static const kn_setting_def defs[] = {
    {"batch", KN_SET_DURATION, 100, 1000, "micro-batch interval"},
    {"refresh", KN_SET_DURATION, 1, 1000, "chart and table redraw interval"},
    {"region", KN_SET_STRING, 0, 0, "AWS region"},
    {"endpoint", KN_SET_STRING, 0, 0, "Kinesis/DynamoDB endpoint URL"},
    {"window_ring", KN_SET_NUMBER, 1, 64, "window results kept per query"},
};
enum { NDEFS = sizeof(defs) / sizeof(defs[0]) };

struct kn_settings {
  pthread_mutex_t lock;          /* guards the values */
  bool set[NDEFS];               /* whether the user set it */
  kn_setting_value values[NDEFS]; /* the user's values */
};

kn_settings *kn_settings_new(void) {
  kn_settings *s = rt_xcalloc(1, sizeof(*s));
  pthread_mutex_init(&s->lock, NULL);
  return s;
}

void kn_settings_free(kn_settings **settings) {
  if (!settings || !*settings)
    return;
  pthread_mutex_destroy(&(*settings)->lock);
  rt_free(*settings);
  *settings = NULL;
}

static int find_def(const char *name) {
  for (int i = 0; i < NDEFS; i++)
    if (strcmp(defs[i].name, name) == 0)
      return i;
  return -1;
}

static const char *kind_name(kn_setting_kind kind) {
  return kind == KN_SET_DURATION ? "a duration (like 500ms or 2s)"
         : kind == KN_SET_NUMBER ? "a number"
                                 : "a string in double quotes";
}

static int check_value(const kn_setting_def *d, const kn_setting_value *v,
                       rt_err *err) {
  if (v->kind != d->kind)
    return rt_err_set(err, RT_EINVAL, "%s (%s) takes %s", d->name, d->what,
                      kind_name(d->kind));
  if (d->kind == KN_SET_DURATION && v->num < d->min)
    return rt_err_set(err, RT_EINVAL, "%s must be at least %gms", d->name,
                      d->min);
  if (d->kind == KN_SET_NUMBER && (v->num < d->min || v->num != (long long)v->num))
    return rt_err_set(err, RT_EINVAL, "%s must be a whole number >= %g",
                      d->name, d->min);
  if (d->kind == KN_SET_STRING && memchr(v->str, '\0', sizeof(v->str)) == NULL)
    return rt_err_set(err, RT_EINVAL, "%s is too long", d->name);
  return 0;
}

int kn_settings_set(kn_settings *settings, const char *name,
                    const kn_setting_value *value, rt_err *err) {
  int i = find_def(name);
  if (i < 0)
    return rt_err_set(err, RT_EINVAL,
                      "unknown setting \"%.64s\"; known: batch, refresh, "
                      "region, endpoint, window_ring",
                      name);
  int rc = check_value(&defs[i], value, err);
  if (rc < 0)
    return rc;
  pthread_mutex_lock(&settings->lock);
  settings->values[i] = *value;
  settings->set[i] = true;
  pthread_mutex_unlock(&settings->lock);
  return 0;
}

int kn_settings_get(kn_settings *settings, const char *name,
                    kn_setting_value *out) {
  int i = find_def(name);
  if (i < 0)
    return RT_ENOTFOUND;
  pthread_mutex_lock(&settings->lock);
  bool set = settings->set[i];
  if (set)
    *out = settings->values[i];
  pthread_mutex_unlock(&settings->lock);
  if (set)
    return 0;
  if (defs[i].kind == KN_SET_STRING)
    return RT_ENOTFOUND;
  memset(out, 0, sizeof(*out));
  out->kind = defs[i].kind;
  out->num = defs[i].dflt;
  return 0;
}

/* Writes v as the user would type it: 1s, 250ms, 5m, 64, "eu-west-1". */
static void format_value(char *out, size_t outsz, const kn_setting_value *v) {
  static const struct { double ms; const char *unit; } units[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  if (v->kind == KN_SET_STRING) {
    snprintf(out, outsz, "\"%s\"", v->str);
    return;
  }
  for (size_t i = 0; v->kind == KN_SET_DURATION && i < 4; i++)
    if (v->num >= units[i].ms && v->num == (long long)(v->num / units[i].ms) * units[i].ms) {
      snprintf(out, outsz, "%g%s", v->num / units[i].ms, units[i].unit);
      return;
    }
  snprintf(out, outsz, v->kind == KN_SET_DURATION ? "%gms" : "%g", v->num);
}

void kn_settings_format(kn_settings *settings, rt_buf *out) {
  for (int i = 0; i < NDEFS; i++) {
    kn_setting_value v;
    char text[300];
    pthread_mutex_lock(&settings->lock);
    bool set = settings->set[i];
    v = settings->values[i];
    pthread_mutex_unlock(&settings->lock);
    if (!set) {
      v.kind = defs[i].kind;
      v.num = defs[i].dflt;
    }
    if (!set && defs[i].kind == KN_SET_STRING)
      snprintf(text, sizeof(text), "-");
    else
      format_value(text, sizeof(text), &v);
    rt_buf_printf(out, "%-12s %-20s %s%s\n", defs[i].name, text, defs[i].what,
                  set || defs[i].kind == KN_SET_STRING ? "" : " (default)");
  }
}
