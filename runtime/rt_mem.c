/*
 * Aborting allocation wrappers. Out-of-memory handling spread over every call
 * site is untestable and mostly wrong; one abort with a location is honest.
 */
#include "rt_mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rt_allocator current = {malloc, realloc, free};

void rt_set_allocator(const rt_allocator *alloc) {
  if (alloc)
    current = *alloc;
  else
    current = (rt_allocator){malloc, realloc, free};
}

static void oom(size_t size, const char *file, int line) {
  fprintf(stderr, "eddy: out of memory allocating %zu bytes at %s:%d\n", size,
          file, line);
  abort();
}

void *rt__xmalloc(size_t size, const char *file, int line) {
  void *p = current.malloc_fn(size ? size : 1);
  if (!p)
    oom(size, file, line);
  return p;
}

void *rt__xcalloc(size_t n, size_t size, const char *file, int line) {
  if (size && n > SIZE_MAX / size)
    oom(SIZE_MAX, file, line);
  void *p = rt__xmalloc(n * size, file, line);
  memset(p, 0, n * size);
  return p;
}

void *rt__xrealloc(void *ptr, size_t size, const char *file, int line) {
  void *p = current.realloc_fn(ptr, size ? size : 1);
  if (!p)
    oom(size, file, line);
  return p;
}

char *rt__xstrndup(const char *s, size_t n, const char *file, int line) {
  size_t len = strnlen(s, n);
  char *p = rt__xmalloc(len + 1, file, line);
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

void rt_free(void *ptr) {
  if (ptr)
    current.free_fn(ptr);
}
