/*
 * A bump allocator for memory that dies together: one micro-batch's records
 * and scratch, or one cell's tokens and syntax tree. Reset keeps the largest
 * block for the next batch, so a steady stream allocates nothing from libc.
 */
#ifndef EDDY_RT_ARENA_H
#define EDDY_RT_ARENA_H

#include <stddef.h>

typedef struct rt_arena rt_arena;

/* Creates an arena whose first block holds at least block_size bytes (0 picks
 * a default). Caller owns it; free with rt_arena_free(). */
rt_arena *rt_arena_new(size_t block_size);

/* Frees the arena and everything allocated from it; NULLs *arena. Accepts NULL. */
void rt_arena_free(rt_arena **arena);

/* Returns size bytes aligned for any type, valid until the next reset or free.
 * Never NULL (aborts on out-of-memory). */
void *rt_arena_alloc(rt_arena *arena, size_t size);

/* Like rt_arena_alloc() but zeroed. */
void *rt_arena_calloc(rt_arena *arena, size_t n, size_t size);

/* Copies n bytes of s plus a NUL into the arena. */
char *rt_arena_strndup(rt_arena *arena, const char *s, size_t n);

/* Forgets every allocation, keeping the largest block for reuse. */
void rt_arena_reset(rt_arena *arena);

/* Bytes handed out since the last reset (for tests and statistics). */
size_t rt_arena_used(const rt_arena *arena);

#endif
