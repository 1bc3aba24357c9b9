/*
 * A small string set: a sorted array searched by bisection. A few thousand
 * short names fit in a few pages, and completion wants prefix ranges, which
 * a sorted array gives directly.
 */
#include "kn_names.h"

#include "kn_utf8.h"
#include "rt_mem.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

struct kn_names {
  pthread_mutex_t lock; /* guards everything below */
  char **v;             /* sorted, owned strings */
  size_t n;             /* names held */
};

kn_names *kn_names_new(void) {
  kn_names *s = rt_xcalloc(1, sizeof(*s));
  pthread_mutex_init(&s->lock, NULL);
  return s;
}

void kn_names_free(kn_names **names) {
  if (!names || !*names)
    return;
  kn_names *s = *names;
  for (size_t i = 0; i < s->n; i++)
    rt_free(s->v[i]);
  rt_free(s->v);
  pthread_mutex_destroy(&s->lock);
  rt_free(s);
  *names = NULL;
}

/* Compares the len bytes of key with the string s, as strcmp would. */
static int key_cmp(const char *key, size_t len, const char *s) {
  int c = strncmp(key, s, len);
  if (c != 0)
    return c;
  return s[len] ? -1 : 0;
}

/* First index whose name is >= key (len bytes). */
static size_t lower_bound(const kn_names *s, const char *key, size_t len) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (key_cmp(key, len, s->v[mid]) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void kn_names_add(kn_names *names, const char *name, size_t len) {
  if (len == 0 || len > KN_NAME_LEN_MAX || memchr(name, '\0', len))
    return;
  pthread_mutex_lock(&names->lock);
  size_t at = lower_bound(names, name, len);
  bool present = at < names->n && key_cmp(name, len, names->v[at]) == 0;
  if (!present && names->n < KN_NAMES_MAX) {
    if ((names->n & (names->n - 1)) == 0 || names->n < 16)
      names->v = rt_xrealloc(names->v, sizeof(char *) *
                                           (names->n < 16 ? 16 : 2 * names->n));
    memmove(&names->v[at + 1], &names->v[at], (names->n - at) * sizeof(char *));
    names->v[at] = rt_xstrndup(name, len);
    names->n++;
  }
  pthread_mutex_unlock(&names->lock);
}

static bool json_has(json_t *arr, const char *s) {
  for (size_t i = 0; i < json_array_size(arr); i++) {
    const char *v = json_string_value(json_array_get(arr, i));
    if (v && strcmp(v, s) == 0)
      return true;
  }
  return false;
}

void kn_names_match(kn_names *names, const char *prefix, size_t len,
                    json_t *matches) {
  pthread_mutex_lock(&names->lock);
  for (size_t i = lower_bound(names, prefix, len);
       i < names->n && strncmp(names->v[i], prefix, len) == 0; i++)
    if (!json_has(matches, names->v[i]))
      json_array_append_new(matches,
                            kn_utf8_json(names->v[i], strlen(names->v[i])));
  pthread_mutex_unlock(&names->lock);
}

size_t kn_names_count(kn_names *names) {
  pthread_mutex_lock(&names->lock);
  size_t n = names->n;
  pthread_mutex_unlock(&names->lock);
  return n;
}
