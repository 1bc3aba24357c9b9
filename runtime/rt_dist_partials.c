/*
 * The partials table (rt_dist_partials.h): item keys, chunking, the window
 * index, marks, collection, and the global watermark rule. Every read is a
 * consistent Query that follows LastEvaluatedKey; writes are PutItem and
 * DeleteItem, so repeating any of them is harmless.
 */
#include "rt_dist_partials.h"

#include "rt_aws_json.h"
#include "rt_base64.h"
#include "rt_buf.h"
#include "rt_crash.h"
#include "rt_dynamodb.h"
#include "rt_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Window times in the index are offset into positive numbers and padded, so
 * that their text sorts like the numbers (RT_WINDOW_TIME_LIMIT_MS bounds them). */
#define TIME_OFFSET INT64_C(1000000000000000)
enum {
  TTL_S = 24 * 3600,       /* DynamoDB TTL: leftovers go after a day */
  ACTIVE_POLLS = 600,      /* table creation: 600 x 100 ms */
  MAX_CHUNKS = 10000,      /* chunks of one partial (3.4 GB) */
};

struct rt_dist_partials {
  rt_awsj *ddb;          /* DynamoDB client (owned) */
  char *table;           /* "APP-partials" (owned) */
  const rt_clock *clock; /* stamps (borrowed) */
  int page_items;        /* Query Limit per page, or 0 */
};

/* ---- the table --------------------------------------------------------------- */

static int table_status(rt_awsj *ddb, const char *table, char *status, size_t n, rt_err *err) {
  json_t *out = NULL;
  int rc = rt_awsj_call(ddb, "DescribeTable", json_pack("{s:s}", "TableName", table), &out, err);
  if (rc == 0) {
    const char *st = rt_awsj_str(json_object_get(out, "Table"), "TableStatus");
    snprintf(status, n, "%s", st ? st : "?");
  }
  json_decref(out);
  return rc;
}

/* Creates the table (hash k, range r) when missing and waits until ACTIVE. */
static int ensure_table(rt_awsj *ddb, const char *table, rt_err *err) {
  char status[32];
  int rc = table_status(ddb, table, status, sizeof(status), err);
  if (rc == RT_ENOTFOUND) {
    json_t *body = json_pack(
        "{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:[{s:s, s:s}, {s:s, s:s}], s:s}", "TableName",
        table, "KeySchema", "AttributeName", "k", "KeyType", "HASH", "AttributeName", "r",
        "KeyType", "RANGE", "AttributeDefinitions", "AttributeName", "k", "AttributeType", "S",
        "AttributeName", "r", "AttributeType", "S", "BillingMode", "PAY_PER_REQUEST");
    rc = rt_awsj_call(ddb, "CreateTable", body, NULL, err);
    if (rc == RT_EEXIST)
      rc = 0;
    snprintf(status, sizeof(status), "CREATING");
  }
  for (int i = 0; rc == 0 && strcmp(status, "ACTIVE") != 0; i++) {
    if (i == ACTIVE_POLLS)
      return rt_err_set(err, RT_ETIMEDOUT, "DynamoDB table %s is still %s after 60 s", table,
                        status);
    usleep(100000);
    rc = table_status(ddb, table, status, sizeof(status), err);
  }
  if (rc == 0) { /* best effort: the TTL safety net (dynalite ignores it) */
    rt_err ignored;
    json_t *ttl = json_pack("{s:s, s:{s:s, s:b}}", "TableName", table,
                            "TimeToLiveSpecification", "AttributeName", "ttl", "Enabled", 1);
    rt_awsj_call(ddb, "UpdateTimeToLive", ttl, NULL, &ignored);
  }
  return rc;
}

rt_dist_partials *rt_dist_partials_new(const rt_aws_config *cfg, const char *app,
                                       const rt_clock *clock, rt_err *err) {
  if (!app || strlen(app) < 1 || strlen(app) > 200) {
    rt_err_set(err, RT_EINVAL, "an application name of 1 to 200 characters is needed");
    return NULL;
  }
  rt_dist_partials *p = rt_xcalloc(1, sizeof(*p));
  size_t n = strlen(app) + sizeof("-partials");
  p->table = rt_xmalloc(n);
  snprintf(p->table, n, "%s-partials", app);
  p->clock = clock;
  p->ddb = rt_ddb_new(cfg, err);
  if (!p->ddb || ensure_table(p->ddb, p->table, err) != 0)
    rt_dist_partials_free(&p);
  return p;
}

void rt_dist_partials_set_page_items(rt_dist_partials *p, int n) { p->page_items = n; }

void rt_dist_partials_free(rt_dist_partials **pp) {
  if (!pp || !*pp)
    return;
  rt_dist_partials *p = *pp;
  rt_awsj_free(&p->ddb);
  rt_free(p->table);
  rt_free(p);
  *pp = NULL;
}

const char *rt_dist_partials_table(const rt_dist_partials *p) { return p->table; }

/* ---- keys and stamps ---------------------------------------------------------- */

static void window_key(char *out, size_t n, int64_t start, int64_t end) {
  snprintf(out, n, "W#%lld#%lld", (long long)start, (long long)end);
}

static void index_key(char *out, size_t n, int64_t start, int64_t end) {
  snprintf(out, n, "%016lld#%016lld", (long long)(end + TIME_OFFSET),
           (long long)(start + TIME_OFFSET));
}

/* Reads an index key back into the window it names. False for a key that
 * index_key() cannot have written (malformed, or times so far out that
 * taking the offset off would overflow). */
static bool index_key_parse(const char *r, int64_t *start, int64_t *end) {
  long long e, s;
  if (!r || sscanf(r, "%lld#%lld", &e, &s) != 2 || e < 0 || s < 0)
    return false;
  *end = (int64_t)e - TIME_OFFSET;
  *start = (int64_t)s - TIME_OFFSET;
  return true;
}

/* Adds t and ttl to item. */
static void stamp(const rt_dist_partials *p, json_t *item) {
  int64_t now = rt_clock_wall_ms(p->clock);
  char t[32], ttl[32];
  snprintf(t, sizeof(t), "%lld", (long long)now);
  snprintf(ttl, sizeof(ttl), "%lld", (long long)(now / 1000 + TTL_S));
  json_object_set_new(item, "t", json_pack("{s:s}", "N", t));
  json_object_set_new(item, "ttl", json_pack("{s:s}", "N", ttl));
}

static int put_item(rt_dist_partials *p, json_t *item, rt_err *err) {
  stamp(p, item);
  return rt_awsj_call(p->ddb, "PutItem", json_pack("{s:s, s:o}", "TableName", p->table, "Item",
                                                    item), NULL, err);
}

/* ---- publishing -------------------------------------------------------------- */

static int put_chunk(rt_dist_partials *p, const char *wkey, const char *shard, size_t i,
                     size_t nchunks, const void *data, size_t len, rt_err *err) {
  char r[200], cnt[32];
  snprintf(r, sizeof(r), "%s#%04zu", shard, i);
  snprintf(cnt, sizeof(cnt), "%zu", nchunks);
  char *b64 = rt_xmalloc(rt_base64_encoded_size(len));
  rt_base64_encode(data, len, b64); /* NUL-terminated */
  json_t *item = json_pack("{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "k", "S", wkey, "r", "S", r,
                           "n", "N", cnt, "d", "B", b64);
  rt_free(b64);
  return put_item(p, item, err);
}

int rt_dist_partials_put(rt_dist_partials *p, int64_t start, int64_t end, const char *shard,
                         const void *data, size_t len, rt_err *err) {
  if (strlen(shard) > 150)
    return rt_err_set(err, RT_EINVAL, "shard id \"%.40s...\" is too long", shard);
  char wkey[80], ikey[48];
  window_key(wkey, sizeof(wkey), start, end);
  size_t nchunks = len ? (len + RT_DIST_CHUNK_BYTES - 1) / RT_DIST_CHUNK_BYTES : 1;
  if (nchunks > MAX_CHUNKS)
    return rt_err_set(err, RT_ETOOBIG, "partial of %s in window %s: %zu bytes is too big",
                      shard, wkey, len);
  const char *d = data ? data : "";
  for (size_t i = 0; i < nchunks; i++) {
    size_t off = i * RT_DIST_CHUNK_BYTES;
    size_t n = len - off < RT_DIST_CHUNK_BYTES ? len - off : RT_DIST_CHUNK_BYTES;
    int rc = put_chunk(p, wkey, shard, i, nchunks, d + off, len ? n : 0, err);
    if (rc != 0)
      return rc;
    rt_crash_point("dist_partial_put");
  }
  index_key(ikey, sizeof(ikey), start, end);
  return put_item(p, json_pack("{s:{s:s}, s:{s:s}}", "k", "S", "I", "r", "S", ikey), err);
}

int rt_dist_partials_put_mark(rt_dist_partials *p, const rt_dist_mark *m, rt_err *err) {
  json_t *item = json_pack("{s:{s:s}, s:{s:s}, s:{s:b}, s:{s:b}}", "k", "S", "M", "r", "S",
                           m->shard, "idle", "BOOL", m->idle, "done", "BOOL", m->done);
  if (m->has_wm) {
    char wm[32];
    snprintf(wm, sizeof(wm), "%lld", (long long)m->wm);
    json_object_set_new(item, "wm", json_pack("{s:s}", "N", wm));
  }
  return put_item(p, item, err);
}

/* ---- reading ----------------------------------------------------------------- */

/* A consistent Query of hash key k (and, when lo/hi are given, range key r
 * BETWEEN them), every page, items handed to fn in order. keys_only asks
 * for the keys alone. */
static int query_all(rt_dist_partials *p, const char *k, const char *lo, const char *hi,
                     bool keys_only, rt_ddb_item_fn fn, void *ctx, rt_err *err) {
  json_t *vals = json_pack("{s:{s:s}}", ":k", "S", k);
  json_t *names = json_pack("{s:s}", "#k", "k");
  const char *cond = "#k = :k";
  if (lo) {
    json_object_set_new(vals, ":lo", json_pack("{s:s}", "S", lo));
    json_object_set_new(vals, ":hi", json_pack("{s:s}", "S", hi));
    json_object_set_new(names, "#r", json_string("r"));
    cond = "#k = :k AND #r BETWEEN :lo AND :hi";
  }
  json_t *body = json_pack("{s:s, s:s, s:o, s:o, s:b}", "TableName", p->table,
                           "KeyConditionExpression", cond, "ExpressionAttributeValues", vals,
                           "ExpressionAttributeNames", names, "ConsistentRead", 1);
  if (keys_only) {
    json_object_set_new(body, "ProjectionExpression", json_string("#k, #r"));
    json_object_set_new(names, "#r", json_string("r"));
  }
  if (p->page_items > 0)
    json_object_set_new(body, "Limit", json_integer(p->page_items));
  return rt_ddb_each_item(p->ddb, "Query", body, fn, ctx, err);
}

static bool num_of(json_t *item, const char *name, int64_t *v) {
  const char *s = rt_awsj_str(json_object_get(item, name), "N");
  if (!s)
    return false;
  *v = strtoll(s, NULL, 10);
  return true;
}

static bool bool_of(json_t *item, const char *name) {
  json_t *b = json_object_get(json_object_get(item, name), "BOOL");
  return json_is_true(b);
}

typedef struct marks_ctx {
  rt_dist_mark *v;
  size_t n;
} marks_ctx;

static void take_mark(void *ctx, json_t *item) {
  marks_ctx *c = ctx;
  const char *shard = rt_awsj_str(json_object_get(item, "r"), "S");
  if (!shard || strlen(shard) >= sizeof(c->v[0].shard))
    return;
  c->v = rt_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
  rt_dist_mark *m = &c->v[c->n++];
  memset(m, 0, sizeof(*m));
  snprintf(m->shard, sizeof(m->shard), "%s", shard);
  m->has_wm = num_of(item, "wm", &m->wm);
  m->idle = bool_of(item, "idle");
  m->done = bool_of(item, "done");
}

int rt_dist_partials_marks(rt_dist_partials *p, rt_dist_mark **out, size_t *n, rt_err *err) {
  marks_ctx c = {0};
  int rc = query_all(p, "M", NULL, NULL, false, take_mark, &c, err);
  if (rc != 0) {
    rt_free(c.v);
    c.v = NULL;
    c.n = 0;
  }
  *out = c.v;
  *n = c.n;
  return rc;
}

typedef struct windows_ctx {
  rt_dist_window *v;
  size_t n;
  bool have_after;
  int64_t after;
} windows_ctx;

static void take_window(void *ctx, json_t *item) {
  windows_ctx *c = ctx;
  int64_t start, end;
  if (!index_key_parse(rt_awsj_str(json_object_get(item, "r"), "S"), &start, &end))
    return;
  if (c->have_after && end <= c->after)
    return;
  c->v = rt_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
  c->v[c->n++] = (rt_dist_window){start, end};
}

int rt_dist_partials_windows(rt_dist_partials *p, bool have_after, int64_t after_end,
                             int64_t upto_end, rt_dist_window **out, size_t *n, rt_err *err) {
  char lo[48], hi[48];
  snprintf(lo, sizeof(lo), "%016lld", (long long)((have_after ? after_end : -TIME_OFFSET) +
                                                  TIME_OFFSET));
  snprintf(hi, sizeof(hi), "%016lld#~", (long long)(upto_end + TIME_OFFSET));
  windows_ctx c = {.have_after = have_after, .after = after_end};
  int rc = query_all(p, "I", lo, hi, true, take_window, &c, err);
  if (rc != 0) {
    rt_free(c.v);
    c.v = NULL;
    c.n = 0;
  }
  *out = c.v;
  *n = c.n;
  return rc;
}

/* One shard's chunks of a window, as they come (Query returns them sorted
 * by r, so a shard's chunks are consecutive and in order). */
typedef struct get_ctx {
  rt_buf data;        /* the current shard's bytes so far */
  char shard[160];    /* the current shard, "" before the first */
  int64_t want, got;  /* chunks announced / read */
  rt_dist_partial_fn fn;
  void *ctx;
  int rc;             /* first failure */
  rt_err *err;
} get_ctx;

static void flush_shard(get_ctx *g) {
  if (g->rc || !g->shard[0])
    return;
  if (g->got != g->want)
    g->rc = rt_err_set(g->err, RT_EPROTO, "partial of %s: %lld of %lld chunks", g->shard,
                       (long long)g->got, (long long)g->want);
  else
    g->rc = g->fn(g->ctx, g->shard, g->data.data ? g->data.data : "", g->data.len);
  g->shard[0] = 0;
  rt_buf_clear(&g->data);
}

static void take_chunk(void *ctx, json_t *item) {
  get_ctx *g = ctx;
  const char *r = rt_awsj_str(json_object_get(item, "r"), "S");
  const char *d = rt_awsj_str(json_object_get(item, "d"), "B");
  const char *hash = r ? strrchr(r, '#') : NULL;
  int64_t n;
  if (g->rc)
    return;
  if (!hash || !d || !num_of(item, "n", &n) || (size_t)(hash - r) >= sizeof(g->shard)) {
    g->rc = rt_err_set(g->err, RT_EPROTO, "%s: a malformed partial item", r ? r : "?");
    return;
  }
  size_t sl = (size_t)(hash - r);
  if (strlen(g->shard) != sl || memcmp(g->shard, r, sl) != 0) {
    flush_shard(g);
    memcpy(g->shard, r, sl);
    g->shard[sl] = 0;
    g->want = n;
    g->got = 0;
  }
  if (strtoll(hash + 1, NULL, 10) != g->got)
    return; /* a chunk past the announced count, or out of order: counted below */
  size_t dl = strlen(d), bl;
  if (rt_buf_reserve(&g->data, rt_base64_decoded_max(dl)) != 0 ||
      rt_base64_decode(d, dl, g->data.data + g->data.len, &bl, g->err) != 0) {
    g->rc = rt_err_set(g->err, RT_EPROTO, "%s: a chunk that is not base64 or too big", r);
    return;
  }
  g->data.len += bl;
  g->got++;
}

int rt_dist_partials_get(rt_dist_partials *p, int64_t start, int64_t end,
                         rt_dist_partial_fn fn, void *ctx, rt_err *err) {
  char wkey[80];
  window_key(wkey, sizeof(wkey), start, end);
  get_ctx g = {.fn = fn, .ctx = ctx, .err = err};
  rt_buf_init(&g.data, (size_t)MAX_CHUNKS * RT_DIST_CHUNK_BYTES);
  int rc = query_all(p, wkey, NULL, NULL, false, take_chunk, &g, err);
  if (rc == 0)
    flush_shard(&g);
  rt_buf_free(&g.data);
  return rc ? rc : g.rc;
}

/* ---- collection -------------------------------------------------------------- */

typedef struct keys_ctx {
  char **k, **r; /* hash and range keys (owned) */
  int64_t *t;    /* index items: publish time */
  size_t n;
} keys_ctx;

static void take_keys(void *ctx, json_t *item) {
  keys_ctx *c = ctx;
  const char *k = rt_awsj_str(json_object_get(item, "k"), "S");
  const char *r = rt_awsj_str(json_object_get(item, "r"), "S");
  if (!k || !r)
    return;
  c->k = rt_xrealloc(c->k, (c->n + 1) * sizeof(char *));
  c->r = rt_xrealloc(c->r, (c->n + 1) * sizeof(char *));
  c->t = rt_xrealloc(c->t, (c->n + 1) * sizeof(int64_t));
  c->k[c->n] = rt_xstrdup(k);
  c->r[c->n] = rt_xstrdup(r);
  if (!num_of(item, "t", &c->t[c->n]))
    c->t[c->n] = 0;
  c->n++;
}

static void keys_free(keys_ctx *c) {
  for (size_t i = 0; i < c->n; i++) {
    rt_free(c->k[i]);
    rt_free(c->r[i]);
  }
  rt_free(c->k);
  rt_free(c->r);
  rt_free(c->t);
  memset(c, 0, sizeof(*c));
}

static int delete_item(rt_dist_partials *p, const char *k, const char *r, rt_err *err) {
  json_t *body = json_pack("{s:s, s:{s:{s:s}, s:{s:s}}}", "TableName", p->table, "Key", "k",
                           "S", k, "r", "S", r);
  return rt_awsj_call(p->ddb, "DeleteItem", body, NULL, err);
}

/* Deletes every partial item of the window the index key ikey names, then
 * the index item. */
static int collect_window(rt_dist_partials *p, const char *ikey, rt_err *err) {
  int64_t start, end;
  if (!index_key_parse(ikey, &start, &end))
    return delete_item(p, "I", ikey, err);
  char wkey[80];
  window_key(wkey, sizeof(wkey), start, end);
  keys_ctx c = {0};
  int rc = query_all(p, wkey, NULL, NULL, true, take_keys, &c, err);
  for (size_t i = 0; rc == 0 && i < c.n; i++)
    rc = delete_item(p, c.k[i], c.r[i], err);
  keys_free(&c);
  return rc ? rc : delete_item(p, "I", ikey, err);
}

int rt_dist_partials_collect(rt_dist_partials *p, int64_t upto_end, int64_t grace_ms,
                             size_t *deleted, rt_err *err) {
  char lo[48] = "0", hi[48];
  snprintf(hi, sizeof(hi), "%016lld#~", (long long)(upto_end + TIME_OFFSET));
  keys_ctx c = {0};
  int rc = query_all(p, "I", lo, hi, false, take_keys, &c, err);
  int64_t now = rt_clock_wall_ms(p->clock);
  size_t n = 0;
  for (size_t i = 0; rc == 0 && i < c.n; i++) {
    if (now - c.t[i] < grace_ms)
      continue;
    rc = collect_window(p, c.r[i], err);
    n += rc == 0;
  }
  keys_free(&c);
  if (deleted)
    *deleted = n;
  return rc;
}

/* ---- the lease table ----------------------------------------------------------- */

typedef struct leases_ctx {
  rt_dist_shard *v;
  size_t n;
} leases_ctx;

static void take_lease(void *ctx, json_t *item) {
  leases_ctx *c = ctx;
  const char *key = rt_awsj_str(json_object_get(item, "leaseKey"), "S");
  const char *ck = rt_awsj_str(json_object_get(item, "checkpoint"), "S");
  if (!key)
    return;
  c->v = rt_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
  c->v[c->n++] = (rt_dist_shard){rt_xstrdup(key), ck && strcmp(ck, "SHARD_END") == 0};
}

int rt_dist_partials_leases(rt_dist_partials *p, const char *lease_table, rt_dist_shard **out,
                            size_t *n, rt_err *err) {
  leases_ctx c = {0};
  int rc = rt_ddb_scan_all(p->ddb, lease_table, true, take_lease, &c, err);
  if (rc != 0)
    rt_dist_shards_free(&c.v, c.n), c.n = 0;
  *out = c.v;
  *n = c.n;
  return rc;
}

void rt_dist_shards_free(rt_dist_shard **v, size_t n) {
  if (!v || !*v)
    return;
  for (size_t i = 0; i < n; i++)
    rt_free((char *)(*v)[i].shard);
  rt_free(*v);
  *v = NULL;
}

/* ---- the global watermark ------------------------------------------------------ */

static const rt_dist_mark *mark_of(const rt_dist_mark *marks, size_t n, const char *shard) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(marks[i].shard, shard) == 0)
      return &marks[i];
  return NULL;
}

bool rt_dist_global_watermark(const rt_dist_shard *shards, size_t nshards,
                              const rt_dist_mark *marks, size_t nmarks, int64_t *wm) {
  bool have = false;
  int64_t min = 0;
  for (size_t i = 0; i < nshards; i++) {
    if (shards[i].finished)
      continue;
    const rt_dist_mark *m = mark_of(marks, nmarks, shards[i].shard);
    if (!m || (!m->done && !m->has_wm))
      return false; /* nobody has published for it yet, or no watermark yet */
    if (m->done)
      continue;
    if (!have || m->wm < min)
      min = m->wm, have = true;
  }
  if (have)
    *wm = min;
  return have;
}

bool rt_dist_idle_target(const rt_dist_shard *shards, size_t nshards,
                         const rt_dist_mark *marks, size_t nmarks, int64_t *wm) {
  bool have_min = false, have_max = false;
  int64_t min = 0, max = 0;
  for (size_t i = 0; i < nshards; i++) {
    if (shards[i].finished)
      continue;
    const rt_dist_mark *m = mark_of(marks, nmarks, shards[i].shard);
    if (m && m->done)
      continue;
    if (!m || (!m->idle && !m->has_wm))
      return false;
    if (m->has_wm && (!have_max || m->wm > max))
      max = m->wm, have_max = true;
    if (!m->idle && (!have_min || m->wm < min))
      min = m->wm, have_min = true;
  }
  if (have_min)
    *wm = min;
  else if (have_max)
    *wm = max;
  return have_min || have_max;
}
