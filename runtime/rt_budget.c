/*
 * Memory budgets: sizes in text, and the session's pool, one atomic total.
 */
#include "rt_budget.h"

#include "rt_mem.h"

#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct rt_budget_pool {
  atomic_size_t total; /* bytes held by every query */
  atomic_size_t limit; /* 0: none */
};

int rt_size_parse(const char *text, size_t *bytes, rt_err *err) {
  const char *p = text;
  while (isspace((unsigned char)*p))
    p++;
  if (!isdigit((unsigned char)*p) && *p != '.')
    return rt_err_set(err, RT_EINVAL, "a size looks like 256MB or 1.5GB, not \"%.40s\"", text);
  char *end;
  double v = strtod(p, &end);
  while (isspace((unsigned char)*end))
    end++;
  static const struct {
    const char *unit;
    int shift;
  } units[] = {{"", 0},    {"b", 0},   {"k", 10},  {"kb", 10}, {"kib", 10},
               {"m", 20},  {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30},
               {"gib", 30}, {"t", 40}, {"tb", 40}, {"tib", 40}};
  char unit[8];
  size_t n = strlen(end);
  while (n && isspace((unsigned char)end[n - 1]))
    n--;
  if (n >= sizeof(unit))
    return rt_err_set(err, RT_EINVAL, "unknown size unit \"%.*s\" (use KB, MB, GB or TB)",
                      (int)(n > 20 ? 20 : n), end);
  memcpy(unit, end, n);
  unit[n] = '\0';
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (strcasecmp(unit, units[i].unit) == 0) {
      double b = ldexp(v, units[i].shift);
      if (!(b >= 0) || b >= (double)SIZE_MAX)
        return rt_err_set(err, RT_EINVAL, "size \"%.40s\" is out of range", text);
      *bytes = (size_t)b;
      return 0;
    }
  return rt_err_set(err, RT_EINVAL, "unknown size unit \"%s\" (use KB, MB, GB or TB)", unit);
}

char *rt_size_format(size_t bytes, char *out, size_t outsz) {
  static const char *const names[] = {"B", "KB", "MB", "GB", "TB"};
  double v = (double)bytes;
  int u = 0;
  while (v >= 1024 && u < 4)
    v /= 1024, u++;
  /* three significant digits at most, and no zeros after the point */
  int decimals = u == 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  snprintf(out, outsz, "%.*f", decimals, v);
  if (strchr(out, '.')) {
    size_t n = strlen(out);
    while (out[n - 1] == '0')
      out[--n] = '\0';
    if (out[n - 1] == '.')
      out[--n] = '\0';
  }
  snprintf(out + strlen(out), outsz - strlen(out), " %s", names[u]);
  return out;
}

size_t rt_budget_session_default(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  size_t half = pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 2 : 0;
  size_t floor_bytes = (size_t)256 << 20;
  return half > floor_bytes ? half : floor_bytes;
}

rt_budget_pool *rt_budget_pool_new(size_t limit) {
  rt_budget_pool *pool = rt_xcalloc(1, sizeof(*pool));
  atomic_init(&pool->total, 0);
  atomic_init(&pool->limit, limit);
  return pool;
}

void rt_budget_pool_free(rt_budget_pool **pool) {
  if (!pool || !*pool)
    return;
  rt_free(*pool);
  *pool = NULL;
}

void rt_budget_pool_set_limit(rt_budget_pool *pool, size_t limit) {
  atomic_store(&pool->limit, limit);
}

size_t rt_budget_pool_limit(const rt_budget_pool *pool) {
  return atomic_load(&((rt_budget_pool *)pool)->limit);
}

size_t rt_budget_pool_update(rt_budget_pool *pool, size_t *held, size_t now) {
  size_t total;
  if (now >= *held)
    total = atomic_fetch_add(&pool->total, now - *held) + (now - *held);
  else
    total = atomic_fetch_sub(&pool->total, *held - now) - (*held - now);
  *held = now;
  return total;
}
