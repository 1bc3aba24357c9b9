/*
 * Session settings, the `%set NAME VALUE` table. The kernel validates and
 * stores them; the runtime reads them when it starts a query (batch interval,
 * chart refresh, AWS region and endpoint, window ring size). Thread-safe, so
 * query threads may read while a cell changes a setting.
 */
#ifndef EDDY_KN_SETTINGS_H
#define EDDY_KN_SETTINGS_H

#include "rt_buf.h"
#include "rt_err.h"

#include <stdbool.h>

typedef enum kn_setting_kind {
  KN_SET_DURATION, /* milliseconds, written 250ms, 1s, 5m */
  KN_SET_NUMBER,   /* a number */
  KN_SET_STRING,   /* a string */
} kn_setting_kind;

/* One value. Plain struct: the string is held inline. */
typedef struct kn_setting_value {
  kn_setting_kind kind;
  double num;    /* the number, or the duration in ms */
  char str[256]; /* the string, NUL-terminated */
} kn_setting_value;

typedef struct kn_settings kn_settings;

/* Makes a table holding only defaults. Caller owns it; free with
 * kn_settings_free(). */
kn_settings *kn_settings_new(void);

/* Frees a table and NULLs *settings. Accepts NULL. */
void kn_settings_free(kn_settings **settings);

/*
 * Sets name to value after checking that the name is known and the value
 * has its kind and range. Returns 0, or RT_EINVAL with err saying what is
 * accepted. Thread-safe.
 */
int kn_settings_set(kn_settings *settings, const char *name,
                    const kn_setting_value *value, rt_err *err);

/* Copies the value of name (set or default) into out. Returns 0, or
 * RT_ENOTFOUND for an unknown name or a string setting never set.
 * Thread-safe. */
int kn_settings_get(kn_settings *settings, const char *name,
                    kn_setting_value *out);

/* Appends one line per known setting, "name  value" (or "(default ...)"),
 * to out. Thread-safe. */
void kn_settings_format(kn_settings *settings, rt_buf *out);

#endif
