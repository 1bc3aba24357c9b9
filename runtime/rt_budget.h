/*
 * rt_budget: memory budgets for query state (%set memory, %set
 * memory_total). A query measures its operators' state after every
 * micro-batch (rt_pipeline_memory) and stops with an error that names the
 * operator when it holds more than its own budget, or when the session's
 * queries together hold more than the session's: then the query that grew
 * past it stops, and the others go on. The session's share is an
 * rt_budget_pool that every query of a runtime updates.
 *
 * Sizes are written as people write them: "256MB", "1.5 GB", "512k",
 * "64MiB", or a number of bytes; K, M, G, T are powers of 1024 with or
 * without "B" or "iB" (the budget is RAM, and RAM is sold in binary units).
 */
#ifndef EDDY_RT_BUDGET_H
#define EDDY_RT_BUDGET_H

#include "rt_err.h"

#include <stddef.h>

/* Parses a size like "256MB" into *bytes. Returns 0, or RT_EINVAL with err
 * naming what is wrong ("256 XB": unknown unit). */
int rt_size_parse(const char *text, size_t *bytes, rt_err *err);

/* Formats bytes for people, like "1.5 GB", "2.03 MB", "64 MB" or "12 B"
 * (powers of 1024, at most three significant digits), into out (at least
 * 16 bytes). Returns out. */
char *rt_size_format(size_t bytes, char *out, size_t outsz);

/* The default budget of one query, and of the session's queries together:
 * half of the machine's physical memory (at least 256 MB; the per-query
 * default when that is smaller). */
#define RT_BUDGET_QUERY_DEFAULT ((size_t)1 << 30)
size_t rt_budget_session_default(void);

typedef struct rt_budget_pool rt_budget_pool;

/* Creates a pool with a limit in bytes (0: none). Caller owns it; free with
 * rt_budget_pool_free() after every query using it ended. */
rt_budget_pool *rt_budget_pool_new(size_t limit);

/* Frees the pool; NULLs *pool. Accepts NULL. */
void rt_budget_pool_free(rt_budget_pool **pool);

/* Sets or reads the limit (0: none). Thread-safe. */
void rt_budget_pool_set_limit(rt_budget_pool *pool, size_t limit);
size_t rt_budget_pool_limit(const rt_budget_pool *pool);

/* Moves one query's share of the pool from *held to now (and sets *held to
 * now); returns the pool's total after the move. A query calls it with 0
 * when it ends. Thread-safe: queries update it from their own threads. */
size_t rt_budget_pool_update(rt_budget_pool *pool, size_t *held, size_t now);

#endif
