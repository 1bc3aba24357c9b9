/*
 * Inputs against a guard page, for tokenizer and decoder tests (STYLE.md,
 * "Tests"): the text ends exactly where a PROT_NONE page begins, so a read
 * one byte past the end faults instead of passing silently.
 */
#ifndef EDDY_TEST_GUARD_H
#define EDDY_TEST_GUARD_H

#include "test.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct guarded {
  char *map;     /* the mapping: the text's pages, then the guard page */
  size_t maplen;
} guarded;

/* Copies s to the end of a page followed by a PROT_NONE page; returns the
 * copy (not NUL-terminated: the guard page follows). Free with unguard(). */
static inline const char *guard(guarded *g, const char *s) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = strlen(s);
  size_t pages = (n + pg - 1) / pg + 1;
  g->maplen = (pages + 1) * pg;
  g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT(g->map != MAP_FAILED);
  ASSERT(mprotect(g->map + pages * pg, pg, PROT_NONE) == 0);
  char *dst = g->map + pages * pg - n;
  memcpy(dst, s, n);
  return dst;
}

static inline void unguard(guarded *g) { munmap(g->map, g->maplen); }

#endif
