/*
 * The session: settings, `let` chains, and the list of running queries
 * behind one mutex. Cells compile completely before anything runs; lets are
 * kept as chains of stages that point into the programs that defined them,
 * which the runtime keeps for its whole life (they are small).
 */
#include "rt_runtime.h"

#include "dsl.h"
#include "dsl_compile.h"
#include "rt_magic.h"
#include "rt_mem.h"
#include "rt_query.h"
#include "rt_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rt_let {
  char *name;       /* owned */
  dsl_chain chain;  /* stages array owned; AST borrowed from a kept program */
} rt_let;

typedef struct rq_entry {
  rt_query *q;      /* owned */
  bool held;        /* an exec is waiting for it: the reaper leaves it alone */
} rq_entry;

enum { MAX_EXT_SETTINGS = 8 };

typedef struct rt_settings {
  int64_t batch_ms, refresh_ms, clock_ms;
  int64_t lease_ms; /* `lease`: failover time of a scaled-out app's leases (0: 10 s) */
  bool observe;     /* `role observer`: watch a scaled-out app's merged result */
  bool unpaced; /* `pace off`: demo sources do not wait for their rate */
  size_t memory; /* `memory`: a query's state budget in bytes (0: none) */
  char region[128], endpoint[512], dynamodb_endpoint[512], checkpoint_dir[1024], dir[1024];
} rt_settings;

struct rt_runtime {
  pthread_mutex_t mu;     /* guards queries and next_id */
  rq_entry *queries;      /* running or not yet reaped */
  size_t nq, capq;
  uint64_t next_id;       /* last id given */
  rt_let *lets;           /* let definitions, newest last */
  int nlets, caplets;
  dsl_program **progs;    /* programs the lets point into */
  int nprogs, capprogs;
  rt_settings set;        /* settings (exec's thread only) */
  rt_setting_ext ext[MAX_EXT_SETTINGS]; /* the caller's settings */
  int next;
  const rt_clock *clock;  /* for new queries (NULL: the system's), borrowed */
  rt_budget_pool *pool;   /* the state memory of all queries (`memory_total`) */
  rt_protected *protect;  /* files no `into file` may write (owned strings) */
  size_t nprotect;
};

rt_runtime *rt_runtime_new(void) {
  rt_runtime *rt = rt_xcalloc(1, sizeof(*rt));
  pthread_mutex_init(&rt->mu, NULL);
  rt->set.batch_ms = 1000;
  rt->set.refresh_ms = 1000;
  rt->set.memory = RT_BUDGET_QUERY_DEFAULT;
  rt->pool = rt_budget_pool_new(rt_budget_session_default());
  return rt;
}

void rt_runtime_set_clock(rt_runtime *rt, const rt_clock *c) { rt->clock = c; }

void rt_runtime_protect_file(rt_runtime *rt, const char *path, const char *what) {
  rt->protect = rt_xrealloc(rt->protect, (rt->nprotect + 1) * sizeof(*rt->protect));
  rt->protect[rt->nprotect++] = (rt_protected){rt_xstrdup(path), rt_xstrdup(what)};
}

/* ---- the query list ------------------------------------------------------ */

/* Frees finished queries nobody waits for. Called with mu held. */
static void reap_locked(rt_runtime *rt) {
  for (size_t i = 0; i < rt->nq;) {
    if (!rt->queries[i].held && rt_query_finished(rt->queries[i].q)) {
      rt_query_free(&rt->queries[i].q);
      rt->queries[i] = rt->queries[--rt->nq];
    } else {
      i++;
    }
  }
}

static void add_query(rt_runtime *rt, rt_query *q, bool held) {
  pthread_mutex_lock(&rt->mu);
  reap_locked(rt);
  if (rt->nq == rt->capq) {
    rt->capq = rt->capq ? rt->capq * 2 : 8;
    rt->queries = rt_xrealloc(rt->queries, rt->capq * sizeof(*rt->queries));
  }
  rt->queries[rt->nq++] = (rq_entry){q, held};
  pthread_mutex_unlock(&rt->mu);
}

/* Removes a held query from the list and frees it. */
static void drop_query(rt_runtime *rt, rt_query *q) {
  pthread_mutex_lock(&rt->mu);
  for (size_t i = 0; i < rt->nq; i++)
    if (rt->queries[i].q == q) {
      rt->queries[i] = rt->queries[--rt->nq];
      break;
    }
  pthread_mutex_unlock(&rt->mu);
  rt_query_free(&q);
}

int rt_runtime_stop(rt_runtime *rt, uint64_t id) {
  int found = 0;
  pthread_mutex_lock(&rt->mu);
  for (size_t i = 0; i < rt->nq; i++)
    if (id == 0 || rt_query_get_info(rt->queries[i].q)->id == id) {
      rt_query_stop(rt->queries[i].q);
      found = 1;
    }
  pthread_mutex_unlock(&rt->mu);
  return found || id == 0 ? 0 : RT_ENOTFOUND;
}

int rt_runtime_stop_cell(rt_runtime *rt, const char *cell) {
  int n = 0;
  pthread_mutex_lock(&rt->mu);
  for (size_t i = 0; i < rt->nq; i++)
    if (strcmp(rt_query_get_info(rt->queries[i].q)->cell, cell ? cell : "") == 0 &&
        !rt_query_finished(rt->queries[i].q)) {
      rt_query_stop(rt->queries[i].q);
      n++;
    }
  pthread_mutex_unlock(&rt->mu);
  return n;
}

/* Stops the queries of cell and waits until they have ended. */
static void replace_cell(rt_runtime *rt, const char *cell) {
  if (!cell || !*cell)
    return;
  rt_runtime_stop_cell(rt, cell);
  for (;;) {
    rt_query *q = NULL;
    pthread_mutex_lock(&rt->mu);
    for (size_t i = 0; i < rt->nq && !q; i++)
      if (!rt->queries[i].held && strcmp(rt_query_get_info(rt->queries[i].q)->cell, cell) == 0)
        q = rt->queries[i].q;
    pthread_mutex_unlock(&rt->mu);
    if (!q)
      return;
    rt_query_wait(q, -1);
    pthread_mutex_lock(&rt->mu);
    reap_locked(rt);
    pthread_mutex_unlock(&rt->mu);
  }
}

int rt_runtime_wait(rt_runtime *rt, uint64_t id, int64_t timeout_ms) {
  int64_t deadline = rt_mono_ns() / 1000000 + timeout_ms;
  for (;;) {
    rt_query *q = NULL;
    pthread_mutex_lock(&rt->mu);
    reap_locked(rt);
    for (size_t i = 0; i < rt->nq && !q; i++)
      if (!rt->queries[i].held && (id == 0 || rt_query_get_info(rt->queries[i].q)->id == id))
        q = rt->queries[i].q;
    pthread_mutex_unlock(&rt->mu);
    if (!q || (id != 0 && rt_query_finished(q)))
      return 0;
    int64_t left = timeout_ms < 0 ? -1 : deadline - rt_mono_ns() / 1000000;
    if (timeout_ms >= 0 && left <= 0)
      return RT_ETIMEDOUT;
    rt_query_wait(q, left);
  }
}

size_t rt_runtime_list(rt_runtime *rt, rt_query_row *rows, size_t max) {
  size_t n = 0;
  pthread_mutex_lock(&rt->mu);
  reap_locked(rt);
  for (size_t i = 0; i < rt->nq; i++) {
    rt_query *q = rt->queries[i].q;
    if (rt_query_finished(q))
      continue;
    if (n < max) {
      const rt_query_info *info = rt_query_get_info(q);
      rows[n].id = info->id;
      snprintf(rows[n].cell, sizeof(rows[n].cell), "%s", info->cell);
      snprintf(rows[n].source, sizeof(rows[n].source), "%s", info->source);
      rt_query_get_stats(q, &rows[n].stats);
    }
    n++;
  }
  pthread_mutex_unlock(&rt->mu);
  return n;
}

void rt_runtime_free(rt_runtime **rtp) {
  if (!rtp || !*rtp)
    return;
  rt_runtime *rt = *rtp;
  rt_runtime_stop(rt, 0);
  for (size_t i = 0; i < rt->nq; i++)
    rt_query_free(&rt->queries[i].q);
  rt_free(rt->queries);
  for (int i = 0; i < rt->nlets; i++) {
    rt_free(rt->lets[i].name);
    rt_free(rt->lets[i].chain.stages);
  }
  rt_free(rt->lets);
  for (int i = 0; i < rt->nprogs; i++)
    dsl_program_free(&rt->progs[i]);
  rt_free(rt->progs);
  rt_budget_pool_free(&rt->pool);
  for (size_t i = 0; i < rt->nprotect; i++) {
    rt_free(rt->protect[i].path);
    rt_free(rt->protect[i].what);
  }
  rt_free(rt->protect);
  pthread_mutex_destroy(&rt->mu);
  rt_free(rt);
  *rtp = NULL;
}

/* ---- settings ------------------------------------------------------------ */

static void unquote(const char *v, char *out, size_t outsz) {
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  while (n && (*v == ' ' || *v == '\t'))
    v++, n--;
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
    v++, n -= 2;
  snprintf(out, outsz, "%.*s", (int)n, v);
}

/* "250ms", "10s", "5m", "1h", "1d" or a number of ms, by the language's
 * rule: a whole number of milliseconds, or a clear refusal. */
static int set_duration(int64_t *dst, const char *name, const char *v, rt_err *err) {
  int64_t ms;
  rt_err why;
  if (rt_duration_parse(v, strlen(v), &ms, &why) < 0)
    return rt_err_set(err, RT_EINVAL, "%s wants a duration like 200ms or 1s, not \"%.40s\": %s",
                      name, v, why.msg);
  if (ms < 100)
    return rt_err_set(err, RT_EINVAL, "%s must be at least 100ms", name);
  *dst = ms;
  return 0;
}

/* "256MB", "off" (no budget) or a number of bytes; at least 1 MB. */
static int set_size(size_t *dst, const char *name, const char *v, rt_err *err) {
  if (strcmp(v, "off") == 0) {
    *dst = 0;
    return 0;
  }
  size_t bytes;
  rt_err why;
  if (rt_size_parse(v, &bytes, &why) < 0)
    return rt_err_set(err, RT_EINVAL, "%s wants a size like 512MB or 2GB, or off: %s", name,
                      why.msg);
  if (bytes < ((size_t)1 << 20))
    return rt_err_set(err, RT_EINVAL, "%s must be at least 1MB", name);
  *dst = bytes;
  return 0;
}

int rt_runtime_set(rt_runtime *rt, const char *name, const char *value, rt_err *err) {
  char v[1024];
  unquote(value ? value : "", v, sizeof(v));
  rt_settings *s = &rt->set;
  if (strcmp(name, "batch") == 0)
    return set_duration(&s->batch_ms, name, v, err);
  if (strcmp(name, "refresh") == 0)
    return set_duration(&s->refresh_ms, name, v, err);
  if (strcmp(name, "lease") == 0)
    return set_duration(&s->lease_ms, name, v, err);
  if (strcmp(name, "memory") == 0)
    return set_size(&s->memory, name, v, err);
  if (strcmp(name, "memory_total") == 0) {
    size_t limit = rt_budget_pool_limit(rt->pool);
    int rc = set_size(&limit, name, v, err);
    if (rc == 0)
      rt_budget_pool_set_limit(rt->pool, limit);
    return rc;
  }
  if (strcmp(name, "role") == 0) {
    if (strcmp(v, "worker") != 0 && strcmp(v, "observer") != 0)
      return rt_err_set(err, RT_EINVAL,
                        "role wants worker (read shards and merge) or observer (only show "
                        "the merged result of workers elsewhere), not \"%s\"", v);
    s->observe = strcmp(v, "observer") == 0;
    return 0;
  }
  if (strcmp(name, "pace") == 0) {
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
      return rt_err_set(err, RT_EINVAL, "pace wants on or off, not \"%s\"", v);
    s->unpaced = strcmp(v, "off") == 0;
    return 0;
  }
  if (strcmp(name, "clock") == 0) {
    int64_t ms = 0;
    if (strcmp(v, "off") != 0 && rt_time_parse(v, strlen(v), &ms) < 0)
      return rt_err_set(err, RT_EINVAL, "clock wants an ISO-8601 time or off, not \"%s\"", v);
    s->clock_ms = ms;
    return 0;
  }
  struct { const char *name; char *dst; size_t sz; } strs[] = {
      {"region", s->region, sizeof(s->region)},
      {"endpoint", s->endpoint, sizeof(s->endpoint)},
      {"dynamodb_endpoint", s->dynamodb_endpoint, sizeof(s->dynamodb_endpoint)},
      {"checkpoint_dir", s->checkpoint_dir, sizeof(s->checkpoint_dir)},
      {"dir", s->dir, sizeof(s->dir)},
  };
  for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
    if (strcmp(name, strs[i].name) == 0) {
      if (strlen(v) >= strs[i].sz)
        return rt_err_set(err, RT_EINVAL, "%s: value too long", name);
      snprintf(strs[i].dst, strs[i].sz, "%s", v);
      return 0;
    }
  for (int i = 0; i < rt->next; i++)
    if (strcmp(name, rt->ext[i].name) == 0)
      return rt->ext[i].set(rt->ext[i].ud, v, err);
  rt_buf names;
  rt_buf_init(&names, 0);
  const char *n, *what;
  for (int i = 0; (n = rt_runtime_setting(rt, i, &what)) != NULL; i++)
    rt_buf_printf(&names, "%s%s", i ? ", " : "", n);
  rt_err_set(err, RT_ENOTFOUND, "unknown setting %s (settings: %s)", name,
             names.data ? names.data : "");
  rt_buf_free(&names);
  return RT_ENOTFOUND;
}

int rt_runtime_get(rt_runtime *rt, const char *name, char *out, size_t outsz) {
  const rt_settings *s = &rt->set;
  char tbuf[RT_TIME_ISO_MS_LEN];
  if (strcmp(name, "batch") == 0)
    snprintf(out, outsz, "%lldms", (long long)s->batch_ms);
  else if (strcmp(name, "refresh") == 0)
    snprintf(out, outsz, "%lldms", (long long)s->refresh_ms);
  else if (strcmp(name, "lease") == 0)
    snprintf(out, outsz, "%lldms", (long long)(s->lease_ms ? s->lease_ms : 10000));
  else if (strcmp(name, "role") == 0)
    snprintf(out, outsz, "%s", s->observe ? "observer" : "worker");
  else if (strcmp(name, "memory") == 0 || strcmp(name, "memory_total") == 0) {
    size_t b = strcmp(name, "memory") == 0 ? s->memory : rt_budget_pool_limit(rt->pool);
    if (b)
      rt_size_format(b, out, outsz);
    else
      snprintf(out, outsz, "off");
  }
  else if (strcmp(name, "clock") == 0)
    snprintf(out, outsz, "%s", s->clock_ms ? rt_time_format_ms(s->clock_ms, tbuf) : "off");
  else if (strcmp(name, "pace") == 0)
    snprintf(out, outsz, "%s", s->unpaced ? "off" : "on");
  else if (strcmp(name, "region") == 0)
    snprintf(out, outsz, "%s", s->region);
  else if (strcmp(name, "endpoint") == 0)
    snprintf(out, outsz, "%s", s->endpoint);
  else if (strcmp(name, "dynamodb_endpoint") == 0)
    snprintf(out, outsz, "%s", s->dynamodb_endpoint);
  else if (strcmp(name, "checkpoint_dir") == 0)
    snprintf(out, outsz, "%s", s->checkpoint_dir);
  else if (strcmp(name, "dir") == 0)
    snprintf(out, outsz, "%s", s->dir);
  else {
    for (int i = 0; i < rt->next; i++)
      if (strcmp(name, rt->ext[i].name) == 0) {
        rt->ext[i].get(rt->ext[i].ud, out, outsz);
        return 0;
      }
    return RT_ENOTFOUND;
  }
  return 0;
}

/* The runtime's settings, in %set's order, with what each does. */
static const struct {
  const char *name, *what;
} settings_shown[] = {
    {"batch", "micro-batch interval"},
    {"refresh", "status and redraw interval"},
    {"region", "AWS region"},
    {"endpoint", "Kinesis endpoint URL"},
    {"dynamodb_endpoint", "DynamoDB endpoint URL"},
    {"memory", "state one query may hold before it stops"},
    {"memory_total", "state all queries together may hold"},
    {"lease", "lease failover time of a scaled-out app"},
    {"role", "of a scaled-out app: worker, or observer (reads no shard)"},
    {"checkpoint_dir", "where checkpoints are written"},
    {"dir", "where relative file paths start"},
    {"clock", "fixed processing time (tests, replays)"},
    {"pace", "demo sources keep their rate"},
};

const char *rt_runtime_setting(const rt_runtime *rt, int i, const char **what) {
  int nown = (int)(sizeof(settings_shown) / sizeof(settings_shown[0]));
  if (i < 0 || i >= nown + rt->next)
    return NULL;
  if (i < nown) {
    *what = settings_shown[i].what;
    return settings_shown[i].name;
  }
  *what = rt->ext[i - nown].what;
  return rt->ext[i - nown].name;
}

int rt_runtime_add_setting(rt_runtime *rt, const rt_setting_ext *ext) {
  const char *n, *what;
  for (int i = 0; (n = rt_runtime_setting(rt, i, &what)) != NULL; i++)
    if (strcmp(n, ext->name) == 0)
      return RT_EEXIST;
  if (rt->next == MAX_EXT_SETTINGS)
    return RT_ETOOBIG;
  rt->ext[rt->next++] = *ext;
  return 0;
}

/* ---- %queries ------------------------------------------------------------ */

rt_result *rt_runtime_queries(rt_runtime *rt) {
  static const char *const cols[] = {"id", "cell", "source", "state", "records in",
                                     "records/s", "lag", "bad", "late", "memory"};
  rt_result *res = rt_result_new(10, cols);
  rt_query_row rows[64];
  size_t n = rt_runtime_list(rt, rows, 64);
  for (size_t i = 0; i < n && i < 64; i++) {
    const rt_query_stats *s = &rows[i].stats;
    char lag[32];
    if (s->lag_ms < 0)
      snprintf(lag, sizeof(lag), "-");
    else
      snprintf(lag, sizeof(lag), "%lldms", (long long)s->lag_ms);
    const char *state = s->cred_failing && s->state == RT_QUERY_RUNNING
                            ? "running, AWS credentials renewal failing (%aws)"
                            : rt_query_state_name(s->state);
    char mem[24];
    rt_size_format(s->state_bytes, mem, sizeof(mem));
    rt_value row[10] = {rt_number((double)rows[i].id),
                        rt_string(rows[i].cell, strlen(rows[i].cell)),
                        rt_string(rows[i].source, strlen(rows[i].source)),
                        rt_string(state, strlen(state)),
                        rt_number((double)s->records_in),
                        rt_number(s->records_per_s < 0 ? 0 : (double)(int64_t)(s->records_per_s + 0.5)),
                        rt_string(lag, strlen(lag)),
                        rt_number((double)s->bad),
                        rt_number((double)s->late),
                        rt_string(mem, strlen(mem))};
    rt_result_add_row(res, row);
  }
  return res;
}

/* ---- lets and compiling -------------------------------------------------- */

typedef struct let_view {
  const char *name;  /* borrowed */
  dsl_chain chain;   /* stages owned by whoever made the view */
} let_view;

/* Pending lets of the cell being compiled, looked up before the session's. */
typedef struct cell_ctx {
  rt_runtime *rt;
  const dsl_program *prog;
  let_view *lets;    /* the cell's lets so far */
  int nlets;
  dsl_plan **plans;  /* per statement: compiled query, or NULL */
} cell_ctx;

static const dsl_chain *find_let(const cell_ctx *c, const char *name) {
  for (int i = c->nlets - 1; i >= 0; i--)
    if (strcmp(c->lets[i].name, name) == 0)
      return &c->lets[i].chain;
  for (int i = c->rt->nlets - 1; i >= 0; i--)
    if (strcmp(c->rt->lets[i].name, name) == 0)
      return &c->rt->lets[i].chain;
  return NULL;
}

/* Builds the chain of q: its source's chain (for a let name) plus its
 * stages. The stages array is the caller's (rt_free). */
static int make_chain(const cell_ctx *c, const dsl_query *q, dsl_chain *out, rt_err *err) {
  const char *src = c->prog->src;
  const dsl_chain *base = NULL;
  if (q->source.kind == DSL_SRC_REF && !(base = find_let(c, q->source.u.ref.name)))
    return rt_err_set_at(err, RT_ETYPE, src, q->source.span.off, q->source.span.len,
                         "unknown stream %s: no let defines it", q->source.u.ref.name);
  int nb = base ? base->nstages : 0;
  out->source = base ? base->source : &q->source;
  out->source_src = base ? base->source_src : src;
  out->nstages = nb + q->nstages;
  out->stages = rt_xcalloc((size_t)out->nstages + 1, sizeof(dsl_stage_ref));
  for (int i = 0; i < nb; i++)
    out->stages[i] = base->stages[i];
  for (int i = 0; i < q->nstages; i++)
    out->stages[nb + i] = (dsl_stage_ref){&q->stages[i], src};
  return 0;
}

static int compile_stmt(cell_ctx *c, int i, rt_err *err) {
  const dsl_stmt *st = &c->prog->stmts[i];
  dsl_chain chain;
  dsl_plan *plan = NULL;
  if (st->kind == DSL_STMT_MAGIC)
    return 0;
  const dsl_query *q = st->kind == DSL_STMT_LET ? &st->u.let.query : &st->u.query;
  int rc = make_chain(c, q, &chain, err);
  if (rc < 0)
    return rc;
  rc = dsl_compile(&chain, st->kind == DSL_STMT_LET ? NULL : &q->output, c->prog->src, &plan, err);
  if (rc < 0 || st->kind == DSL_STMT_QUERY) {
    rt_free(chain.stages);
    c->plans[i] = plan;
    return rc;
  }
  dsl_plan_free(&plan);
  c->lets[c->nlets++] = (let_view){st->u.let.name, chain};
  return 0;
}

static void cell_free(cell_ctx *c) {
  for (int i = 0; i < c->nlets; i++)
    rt_free(c->lets[i].chain.stages);
  for (int i = 0; i < c->prog->nstmts; i++)
    dsl_plan_free(&c->plans[i]);
  rt_free(c->lets);
  rt_free(c->plans);
}

/* Moves the cell's lets into the session, keeping the program alive. */
static void commit_lets(rt_runtime *rt, cell_ctx *c, dsl_program **prog) {
  if (!c->nlets)
    return;
  for (int i = 0; i < c->nlets; i++) {
    if (rt->nlets == rt->caplets) {
      rt->caplets = rt->caplets ? rt->caplets * 2 : 8;
      rt->lets = rt_xrealloc(rt->lets, (size_t)rt->caplets * sizeof(*rt->lets));
    }
    rt->lets[rt->nlets++] = (rt_let){rt_xstrdup(c->lets[i].name), c->lets[i].chain};
  }
  c->nlets = 0;
  if (rt->nprogs == rt->capprogs) {
    rt->capprogs = rt->capprogs ? rt->capprogs * 2 : 8;
    rt->progs = rt_xrealloc(rt->progs, (size_t)rt->capprogs * sizeof(*rt->progs));
  }
  rt->progs[rt->nprogs++] = *prog;
  *prog = NULL;
}

/* ---- running statements -------------------------------------------------- */

static int run_query(rt_runtime *rt, cell_ctx *c, int i, int qindex, const rt_exec_opts *o,
                     rt_err *err) {
  const dsl_stmt *st = &c->prog->stmts[i];
  const rt_settings *s = &rt->set;
  char *text = rt_xstrndup(c->prog->src + st->span.off, (size_t)st->span.len);
  rt_src_kinesis_opts kin = {.region = s->region[0] ? s->region : NULL,
                             .endpoint = s->endpoint[0] ? s->endpoint : NULL,
                             .dynamodb_endpoint = s->dynamodb_endpoint[0] ? s->dynamodb_endpoint
                                                                           : NULL,
                             .checkpoint_dir = s->checkpoint_dir[0] ? s->checkpoint_dir : NULL,
                             .clock = rt->clock, .lease_ms = s->lease_ms,
                             .observe = s->observe};
  pthread_mutex_lock(&rt->mu);
  uint64_t id = ++rt->next_id;
  pthread_mutex_unlock(&rt->mu);
  rt_query_opts qo = {.id = id, .cell = o->cell, .index = qindex, .text = text,
                      .batch_ms = s->batch_ms, .refresh_ms = s->refresh_ms,
                      .clock_ms = s->clock_ms, .clock = rt->clock, .unpaced = s->unpaced,
                      .base_dir = s->dir[0] ? s->dir : NULL,
                      .protect = rt->protect, .nprotect = rt->nprotect,
                      .kinesis = &kin, .memory_budget = s->memory, .pool = rt->pool};
  bool wait = dsl_plan_bounded(c->plans[i]) && !o->nowait;
  rt_query *q;
  int rc = rt_query_start(&c->plans[i], &qo, o->ops, o->ud, &q, err);
  rt_free(text);
  if (rc < 0)
    return rc;
  add_query(rt, q, wait);
  if (!wait)
    return 0;
  while (rt_query_wait(q, o->interrupted ? 50 : -1) == RT_ETIMEDOUT)
    if (o->interrupted(o->ud))
      rt_query_stop(q);
  rt_query_stats qs;
  rt_query_get_stats(q, &qs);
  if (qs.state == RT_QUERY_STOPPED)
    rc = rt_err_set(err, RT_EINTR, "query %llu was stopped", (unsigned long long)id);
  else if (qs.state == RT_QUERY_FAILED && (rc = rt_query_error(q, err)) >= 0)
    rc = rt_err_set(err, RT_EIO, "query %llu failed", (unsigned long long)id);
  drop_query(rt, q);
  return rc;
}

/* Shows the magic to the caller's on_magic, as names and strings, then
 * serves it here unless the caller did. */
static int run_magic(rt_runtime *rt, const dsl_stmt *st, const char *src, const rt_exec_opts *o,
                     rt_err *err) {
  if (o->on_magic) {
    int n = st->u.magic.nargs;
    char **texts = rt_xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
      const dsl_expr *a = st->u.magic.args[i];
      texts[i] = a->kind == DSL_EX_STRING ? rt_xstrndup(a->u.str.s, (size_t)a->u.str.len)
                                          : rt_xstrndup(src + a->span.off, (size_t)a->span.len);
    }
    rt_magic m = {.name = st->u.magic.name, .nargs = n, .args = (const char *const *)texts,
                  .rest = st->u.magic.rest ? st->u.magic.rest : "", .src = src,
                  .off = st->span.off, .len = st->span.len};
    int rc = o->on_magic(o->ud, &m, err);
    for (int i = 0; i < n; i++)
      rt_free(texts[i]);
    rt_free(texts);
    if (rc != 0)
      return rc < 0 ? rc : 0;
  }
  return rt_magic_run(rt, st, src, o, err);
}

static int run_cell(rt_runtime *rt, cell_ctx *c, const rt_exec_opts *o, rt_err *err) {
  int qindex = 0, rc = 0;
  for (int i = 0; i < c->prog->nstmts && rc == 0; i++) {
    const dsl_stmt *st = &c->prog->stmts[i];
    if (st->kind == DSL_STMT_QUERY)
      rc = run_query(rt, c, i, qindex++, o, err);
    else if (st->kind == DSL_STMT_MAGIC)
      rc = run_magic(rt, st, c->prog->src, o, err);
  }
  return rc;
}

/* Parses src and compiles every statement of it into c, stopping at the
 * first error. When parsing fails *prog stays NULL and c is untouched;
 * otherwise the caller frees c (cell_free) and *prog, whatever rc is. */
static int compile_cell(rt_runtime *rt, const char *src, size_t len, dsl_program **prog,
                        cell_ctx *c, rt_err *err) {
  int rc = dsl_parse(src, len, prog, err);
  if (rc < 0)
    return rc;
  *c = (cell_ctx){.rt = rt, .prog = *prog};
  c->lets = rt_xcalloc((size_t)(*prog)->nstmts + 1, sizeof(*c->lets));
  c->plans = rt_xcalloc((size_t)(*prog)->nstmts + 1, sizeof(*c->plans));
  for (int i = 0; i < (*prog)->nstmts && rc == 0; i++)
    rc = compile_stmt(c, i, err);
  return rc;
}

int rt_runtime_exec(rt_runtime *rt, const char *src, size_t len, const rt_exec_opts *o,
                    rt_err *err) {
  static const rt_exec_opts none = {0};
  dsl_program *prog = NULL;
  o = o ? o : &none;
  cell_ctx c;
  int rc = compile_cell(rt, src, len, &prog, &c, err);
  if (rc < 0 && !prog)
    return rc;
  if (rc == 0) {
    replace_cell(rt, o->cell);
    commit_lets(rt, &c, &prog);
    rc = run_cell(rt, &c, o, err);
  }
  cell_free(&c);
  dsl_program_free(&prog);
  return rc;
}

int rt_runtime_check(rt_runtime *rt, const char *src, size_t len, rt_err *err) {
  dsl_program *prog = NULL;
  cell_ctx c;
  int rc = compile_cell(rt, src, len, &prog, &c, err);
  if (rc < 0 && !prog)
    return rc;
  cell_free(&c);
  dsl_program_free(&prog);
  return rc;
}
