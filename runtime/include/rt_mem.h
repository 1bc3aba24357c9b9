/*
 * Allocation for the runtime, the kernel and the command line. Running out of
 * memory is their one fatal error: these wrappers abort with file:line
 * instead of returning NULL, so callers never check. Their allocations are
 * small and many; a process that cannot get 64 bytes cannot report anything
 * useful either. plotting/ is the one exception, on purpose: a leaf that
 * depends on nothing of ours, whose few allocations grow with the picture
 * asked for (canvas, series, points), so one oversized chart fails with
 * PLOT_ENOMEM and the kernel shows the error while every query goes on
 * (docs/hacking.md, "Out of memory"). Tests may swap the allocator to count
 * or fail allocations.
 */
#ifndef EDDY_RT_MEM_H
#define EDDY_RT_MEM_H

#include <stddef.h>

/* The allocator in use; all three must be set together. */
typedef struct rt_allocator {
  void *(*malloc_fn)(size_t size);
  void *(*realloc_fn)(void *ptr, size_t size);
  void (*free_fn)(void *ptr);
} rt_allocator;

/*
 * Replaces the allocator (NULL restores libc's). Call before any allocation,
 * never while memory from the previous allocator is still live.
 */
void rt_set_allocator(const rt_allocator *alloc);

#define rt_xmalloc(size) rt__xmalloc((size), __FILE__, __LINE__)
#define rt_xcalloc(n, size) rt__xcalloc((n), (size), __FILE__, __LINE__)
#define rt_xrealloc(ptr, size) rt__xrealloc((ptr), (size), __FILE__, __LINE__)
#define rt_xstrdup(s) rt__xstrndup((s), (size_t)-1, __FILE__, __LINE__)
#define rt_xstrndup(s, n) rt__xstrndup((s), (n), __FILE__, __LINE__)

/* Frees memory from the rt_x* functions. Accepts NULL. */
void rt_free(void *ptr);

/* Implementation of the macros above; caller owns the result (rt_free). */
void *rt__xmalloc(size_t size, const char *file, int line);
void *rt__xcalloc(size_t n, size_t size, const char *file, int line);
void *rt__xrealloc(void *ptr, size_t size, const char *file, int line);
char *rt__xstrndup(const char *s, size_t n, const char *file, int line);

#endif
