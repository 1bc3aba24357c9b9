/*
 * Arena: a chain of blocks, newest first. Allocation bumps a pointer in the
 * newest block; a request that does not fit starts a block at least twice the
 * last, so a batch of any size needs O(log n) mallocs, and after a reset the
 * largest block alone usually holds the next batch.
 */
#include "rt_arena.h"

#include "rt_mem.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

typedef struct arena_block {
  struct arena_block *next; /* older block, or NULL */
  size_t size;              /* usable bytes in data[] */
  size_t used;              /* bytes handed out from data[] */
  alignas(max_align_t) unsigned char data[];
} arena_block;

struct rt_arena {
  arena_block *head;  /* block being filled */
  size_t block_size;  /* size of the first block */
  size_t used_total;  /* bytes handed out since the last reset */
};

enum { ARENA_DEFAULT_BLOCK = 64 * 1024 };

static arena_block *block_new(size_t size, arena_block *next) {
  arena_block *b = rt_xmalloc(sizeof(*b) + size);
  b->next = next;
  b->size = size;
  b->used = 0;
  return b;
}

rt_arena *rt_arena_new(size_t block_size) {
  rt_arena *a = rt_xmalloc(sizeof(*a));
  a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
  a->head = block_new(a->block_size, NULL);
  a->used_total = 0;
  return a;
}

void rt_arena_free(rt_arena **arena) {
  if (!arena || !*arena)
    return;
  for (arena_block *b = (*arena)->head, *next; b; b = next) {
    next = b->next;
    rt_free(b);
  }
  rt_free(*arena);
  *arena = NULL;
}

void *rt_arena_alloc(rt_arena *a, size_t size) {
  const size_t align = alignof(max_align_t);
  size_t need = (size + align - 1) & ~(align - 1);
  arena_block *b = a->head;
  if (b->size - b->used < need) {
    size_t grow = b->size * 2;
    if (grow < need)
      grow = need;
    b = a->head = block_new(grow, b);
  }
  void *p = b->data + b->used;
  b->used += need;
  a->used_total += need;
  return p;
}

void *rt_arena_calloc(rt_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    n = SIZE_MAX / size; /* rt_arena_alloc aborts on the huge request */
  void *p = rt_arena_alloc(a, n * size);
  memset(p, 0, n * size);
  return p;
}

char *rt_arena_strndup(rt_arena *a, const char *s, size_t n) {
  char *p = rt_arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void rt_arena_reset(rt_arena *a) {
  /* Keep the newest block: it is the largest. */
  arena_block *keep = a->head;
  for (arena_block *b = keep->next, *next; b; b = next) {
    next = b->next;
    rt_free(b);
  }
  keep->next = NULL;
  keep->used = 0;
  a->used_total = 0;
}

size_t rt_arena_used(const rt_arena *a) { return a->used_total; }
