/*
 * Lease taking and renewal. The table is scanned every tick (a few items per
 * shard); each lease remembers the counter it had and when this worker saw
 * it change. Writes are UpdateItems conditional on that counter; a failed
 * condition means someone else moved it, and the next scan tells who.
 */
#include "rt_kinesis_lease.h"

#include "rt_aws_json.h"
#include "rt_crash.h"
#include "rt_ddb_state.h"
#include "rt_dynamodb.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef struct lease {
  char *key;           /* shard id */
  char *owner;         /* NULL when unowned */
  char *checkpoint;    /* NULL when none */
  int64_t counter;     /* leaseCounter as last seen or written */
  int64_t changed_ms;  /* when this worker saw counter change */
  int seen;            /* present in the last scan */
  char version[24];    /* stateVersion as last seen or written, "" when none */
  long chunks;         /* that version's chunk count */
  char old[24];        /* a replaced version whose chunks are still to delete, or "" */
  long old_chunks;
} lease;

struct rt_kin_leases {
  rt_awsj *ddb;
  char *table;
  char worker[128];
  long failover_ms;
  int max_steal;
  lease *v;
  size_t n;
  char *identity;         /* who may read the states (owned; "" = unnamed) */
  char state_table[256];  /* APP-state */
  int state_table_ok;     /* checked or created */
};

static lease *find(rt_kin_leases *l, const char *key) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].key, key) == 0)
      return &l->v[i];
  return NULL;
}

rt_kin_leases *rt_kin_leases_new(const rt_aws_config *cfg, const rt_kin_lease_opts *o,
                                 rt_err *err) {
  if (!o || !o->table || strlen(o->table) < 3) {
    rt_err_set(err, RT_EINVAL, "a lease table name of at least 3 characters is needed");
    return NULL;
  }
  rt_kin_leases *l = rt_xcalloc(1, sizeof(*l));
  l->table = rt_xstrdup(o->table);
  l->identity = rt_xstrdup(o->identity ? o->identity : "");
  rt_ddb_state_table_name(o->table, l->state_table, sizeof(l->state_table));
  l->failover_ms = o->failover_ms > 0 ? o->failover_ms : 10000;
  l->max_steal = o->max_steal > 0 ? o->max_steal : 1;
  if (o->worker && o->worker[0]) {
    snprintf(l->worker, sizeof(l->worker), "%s", o->worker);
  } else {
    char host[64] = "host";
    gethostname(host, sizeof(host) - 1);
    /* unique per lease set, also for two queries of one process */
    unsigned tag = (unsigned)((uintptr_t)l >> 4) ^ (unsigned)rt_mono_ns();
    snprintf(l->worker, sizeof(l->worker), "eddy@%s:%ld:%08x", host, (long)getpid(), tag);
  }
  l->ddb = rt_ddb_new(cfg, err);
  if (!l->ddb || rt_ddb_ensure_lease_table(l->ddb, l->table, err) != 0)
    rt_kin_leases_free(&l);
  return l;
}

void rt_kin_leases_free(rt_kin_leases **lp) {
  if (!lp || !*lp)
    return;
  rt_kin_leases *l = *lp;
  for (size_t i = 0; i < l->n; i++) {
    rt_free(l->v[i].key);
    rt_free(l->v[i].owner);
    rt_free(l->v[i].checkpoint);
  }
  rt_free(l->v);
  rt_awsj_free(&l->ddb);
  rt_free(l->table);
  rt_free(l->identity);
  rt_free(l);
  *lp = NULL;
}

int rt_kin_leases_sync(rt_kin_leases *l, const rt_kin_shards *shards, const char *initial,
                       rt_err *err) {
  for (size_t i = 0; i < shards->n; i++) {
    const rt_kin_shard *s = &shards->v[i];
    if (find(l, s->shard_id))
      continue;
    json_t *item = json_pack("{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "leaseKey", "S",
                             s->shard_id, "leaseCounter", "N", "0", "checkpoint", "S",
                             s->parent_shard_id || !initial ? "TRIM_HORIZON" : initial,
                             "checkpointSubSequenceNumber",
                             "N", "0", "ownerSwitchesSinceCheckpoint", "N", "0");
    if (s->parent_shard_id) {
      json_t *ss = json_pack("[s]", s->parent_shard_id);
      if (s->adjacent_parent_shard_id)
        json_array_append_new(ss, json_string(s->adjacent_parent_shard_id));
      json_object_set_new(item, "parentShardId", json_pack("{s:o}", "SS", ss));
    }
    json_t *put = json_pack("{s:s, s:o, s:s}", "TableName", l->table, "Item", item,
                            "ConditionExpression", "attribute_not_exists(leaseKey)");
    int rc = rt_awsj_call(l->ddb, "PutItem", put, NULL, err);
    if (rc != 0 && rc != RT_ECONFLICT) /* ECONFLICT: another worker made it */
      return rc;
  }
  return 0;
}

/* What a scan folds its items into. */
typedef struct scan_ctx {
  rt_kin_leases *l;
  int64_t now;
} scan_ctx;

/* Folds one scanned item into the table of leases. */
static void take_item(void *ctx, json_t *item) {
  rt_kin_leases *l = ((scan_ctx *)ctx)->l;
  int64_t now = ((scan_ctx *)ctx)->now;
  const char *key = rt_awsj_str(json_object_get(item, "leaseKey"), "S");
  const char *owner = rt_awsj_str(json_object_get(item, "leaseOwner"), "S");
  const char *ck = rt_awsj_str(json_object_get(item, "checkpoint"), "S");
  const char *cnt = rt_awsj_str(json_object_get(item, "leaseCounter"), "N");
  if (!key)
    return;
  int64_t counter = cnt ? strtoll(cnt, NULL, 10) : 0;
  lease *e = find(l, key);
  if (!e) {
    l->v = rt_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    e = &l->v[l->n++];
    memset(e, 0, sizeof(*e));
    e->key = rt_xstrdup(key);
    e->counter = counter;
    /* as KCL: an unowned lease is free now; an owned one first seen gets a
     * full failover period to show its owner is alive */
    e->changed_ms = owner ? now : now - l->failover_ms - 1;
  } else if (e->counter != counter) {
    e->counter = counter;
    e->changed_ms = now;
  }
  rt_free(e->owner);
  e->owner = owner ? rt_xstrdup(owner) : NULL;
  rt_free(e->checkpoint);
  /* a sequence joins its sub-sequence ("SEQ:SUB"); a sentinel stays as it is */
  bool joined = ck && ck[0] >= '0' && ck[0] <= '9' &&
                rt_ddb_state_position(item, &e->checkpoint, NULL) == 0;
  if (!joined)
    e->checkpoint = ck ? rt_xstrdup(ck) : NULL;
  e->seen = 1;
  rt_ddb_state_meta m;
  rt_ddb_state_meta_of(item, &m);
  snprintf(e->version, sizeof(e->version), "%s", m.version);
  e->chunks = m.chunks;
}

/* A failed scan keeps the previous view: clearing `seen` first and giving up
 * halfway would make this worker believe it holds nothing, park every shard,
 * and re-read each from its (older) checkpoint when the next scan works. */
static void restore_seen(rt_kin_leases *l, const unsigned char *was, size_t n_before) {
  for (size_t i = 0; i < l->n; i++)
    l->v[i].seen = i < n_before ? was[i] : 0;
}

static int scan(rt_kin_leases *l, int64_t now, rt_err *err) {
  size_t n_before = l->n;
  unsigned char *was = rt_xmalloc(n_before + 1);
  for (size_t i = 0; i < l->n; i++) {
    was[i] = (unsigned char)l->v[i].seen;
    l->v[i].seen = 0;
  }
  scan_ctx sc = {l, now};
  int rc = rt_ddb_scan_all(l->ddb, l->table, true, take_item, &sc, err);
  if (rc != 0)
    restore_seen(l, was, n_before);
  rt_free(was);
  return rc;
}

static int mine(const rt_kin_leases *l, const lease *e) {
  return e->owner && strcmp(e->owner, l->worker) == 0;
}

/* Re-reads e's item after a failed condition. Our own earlier write may have
 * been applied without us seeing the answer (a timeout, a connection reset
 * mid-response): the counter moved, but the lease is still ours. Returns 1
 * and adopts the stored counter if it is, else 0. */
static int still_mine(rt_kin_leases *l, lease *e) {
  json_t *out = NULL;
  rt_err ignored;
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:b}", "TableName", l->table, "Key", "leaseKey",
                           "S", e->key, "ConsistentRead", 1);
  if (rt_awsj_call(l->ddb, "GetItem", body, &out, &ignored) != 0)
    return 0;
  json_t *item = json_object_get(out, "Item");
  const char *owner = rt_awsj_str(json_object_get(item, "leaseOwner"), "S");
  const char *cnt = rt_awsj_str(json_object_get(item, "leaseCounter"), "N");
  int ours = owner && cnt && strcmp(owner, l->worker) == 0;
  if (ours)
    e->counter = strtoll(cnt, NULL, 10);
  json_decref(out);
  return ours;
}

static int fenced_update_once(rt_kin_leases *l, lease *e, const char *set, json_t *values,
                              int require_mine, int64_t now, int retry, rt_err *err);

/* A fenced update of e: condition on its counter (and owner when owned by
 * us), bump the counter. set and values (taken) extend the expression; now
 * 0 leaves the observation time alone. When the condition fails on a lease
 * we hold, the item is re-read once: if it is still ours (our own write
 * landed unseen), the update is retried with the stored counter. */
static int fenced_update_r(rt_kin_leases *l, lease *e, const char *set, json_t *values,
                           int require_mine, int64_t now, int retry, rt_err *err) {
  json_t *again = require_mine ? json_deep_copy(values) : NULL;
  int rc = fenced_update_once(l, e, set, values, require_mine, now, retry, err);
  if (rc == RT_ECONFLICT && again && still_mine(l, e)) {
    rc = fenced_update_once(l, e, set, again, require_mine, now, retry, err);
    again = NULL;
  }
  json_decref(again);
  return rc;
}

/* fenced_update_r without retries: renewals and takes are redone by the
 * next tick anyway. */
static int fenced_update(rt_kin_leases *l, lease *e, const char *set, json_t *values,
                         int require_mine, int64_t now, rt_err *err) {
  return fenced_update_r(l, e, set, values, require_mine, now, 0, err);
}

static int fenced_update_once(rt_kin_leases *l, lease *e, const char *set, json_t *values,
                              int require_mine, int64_t now, int retry, rt_err *err) {
  char cur[32], next[32], expr[1024], cond[160];
  snprintf(cur, sizeof(cur), "%lld", (long long)e->counter);
  snprintf(next, sizeof(next), "%lld", (long long)e->counter + 1);
  /* set may end with a REMOVE clause of its own */
  snprintf(expr, sizeof(expr), "SET leaseCounter = :next%s%s", set ? ", " : "", set ? set : "");
  snprintf(cond, sizeof(cond), "leaseCounter = :cur%s", require_mine ? " AND leaseOwner = :me" : "");
  json_object_set_new(values, ":cur", json_pack("{s:s}", "N", cur));
  json_object_set_new(values, ":next", json_pack("{s:s}", "N", next));
  if (require_mine)
    json_object_set_new(values, ":me", json_pack("{s:s}", "S", l->worker));
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:s, s:s, s:o}", "TableName", l->table, "Key",
                           "leaseKey", "S", e->key, "UpdateExpression", expr,
                           "ConditionExpression", cond, "ExpressionAttributeValues", values);
  int rc = retry ? rt_ddb_call_retry(l->ddb, "UpdateItem", body, NULL, NULL, err)
                 : rt_awsj_call(l->ddb, "UpdateItem", body, NULL, err);
  if (rc == 0) {
    e->counter++;
    if (now)
      e->changed_ms = now;
  }
  return rc;
}

static int renew(rt_kin_leases *l, lease *e, int64_t now, rt_err *err) {
  int rc = fenced_update(l, e, NULL, json_object(), 1, now, err);
  if (rc == RT_ECONFLICT) { /* taken by someone else: no longer ours */
    rt_free(e->owner);
    e->owner = NULL;
    return 0;
  }
  return rc;
}

static int take(rt_kin_leases *l, lease *e, int64_t now, rt_err *err) {
  json_t *v = json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", ":me2", "S", l->worker, ":zero", "N", "0",
                        ":one", "N", "1");
  int rc = fenced_update(l, e,
                         "leaseOwner = :me2, ownerSwitchesSinceCheckpoint = "
                         "if_not_exists(ownerSwitchesSinceCheckpoint, :zero) + :one",
                         v, 0, now, err);
  if (rc == 0) {
    rt_free(e->owner);
    e->owner = rt_xstrdup(l->worker);
  }
  return rc == RT_ECONFLICT ? 0 : rc; /* lost the race: fine */
}

/* Workers with live leases (plus us), and our fair share. */
static int fair_share(rt_kin_leases *l, int64_t now) {
  const char *owners[256];
  int nowners = 1;
  owners[0] = l->worker;
  for (size_t i = 0; i < l->n; i++) {
    lease *e = &l->v[i];
    if (!e->seen || !e->owner || now - e->changed_ms > l->failover_ms)
      continue;
    int known = 0;
    for (int j = 0; j < nowners; j++)
      known |= strcmp(owners[j], e->owner) == 0;
    if (!known && nowners < 256)
      owners[nowners++] = e->owner;
  }
  int total = 0;
  for (size_t i = 0; i < l->n; i++)
    total += l->v[i].seen;
  return (total + nowners - 1) / nowners;
}

/* Steals up to max_steal leases from the most loaded other worker. */
static int steal(rt_kin_leases *l, int need, int target, int64_t now, rt_err *err) {
  const char *victim = NULL;
  int most = 0;
  for (size_t i = 0; i < l->n; i++) {
    lease *e = &l->v[i];
    if (!e->seen || !e->owner || mine(l, e))
      continue;
    int c = 0;
    for (size_t j = 0; j < l->n; j++)
      c += l->v[j].seen && l->v[j].owner && strcmp(l->v[j].owner, e->owner) == 0;
    if (c > most) {
      most = c;
      victim = e->owner;
    }
  }
  if (!victim || (most <= target && need <= 1))
    return 0;
  char *who = rt_xstrdup(victim);
  int stolen = 0, rc = 0;
  for (size_t i = 0; rc == 0 && i < l->n && stolen < l->max_steal && stolen < need; i++) {
    lease *e = &l->v[i];
    if (e->seen && e->owner && strcmp(e->owner, who) == 0) {
      rc = take(l, e, now, err);
      stolen += rc == 0 && mine(l, e);
    }
  }
  rt_free(who);
  return rc;
}

int rt_kin_leases_tick(rt_kin_leases *l, int64_t now, rt_err *err) {
  int rc = scan(l, now, err);
  for (size_t i = 0; rc == 0 && i < l->n; i++)
    if (l->v[i].seen && mine(l, &l->v[i]))
      rc = renew(l, &l->v[i], now, err);
  if (rc != 0)
    return rc;
  int target = fair_share(l, now), held = rt_kin_leases_count_held(l);
  int expired_left = 0;
  for (size_t i = 0; rc == 0 && i < l->n; i++) {
    lease *e = &l->v[i];
    int expired = e->seen && !mine(l, e) && (!e->owner || now - e->changed_ms > l->failover_ms);
    if (!expired)
      continue;
    if (held < target) {
      rc = take(l, e, now, err);
      held += rc == 0 && mine(l, e);
    } else {
      expired_left++;
    }
  }
  if (rc == 0 && held < target && !expired_left)
    rc = steal(l, target - held, target, now, err);
  return rc;
}

int rt_kin_leases_held(const rt_kin_leases *l, const char *shard) {
  lease *e = find((rt_kin_leases *)l, shard);
  return e && e->seen && mine(l, e);
}

int rt_kin_leases_count_held(const rt_kin_leases *l) {
  int n = 0;
  for (size_t i = 0; i < l->n; i++)
    n += l->v[i].seen && mine(l, &l->v[i]);
  return n;
}

int rt_kin_leases_count_all(const rt_kin_leases *l) {
  int n = 0;
  for (size_t i = 0; i < l->n; i++)
    n += l->v[i].seen;
  return n;
}

const char *rt_kin_leases_shard_at(const rt_kin_leases *l, int i) {
  for (size_t k = 0; k < l->n; k++)
    if (l->v[k].seen && i-- == 0)
      return l->v[k].key;
  return NULL;
}

const char *rt_kin_leases_checkpoint_of(const rt_kin_leases *l, const char *shard) {
  lease *e = find((rt_kin_leases *)l, shard);
  return e ? e->checkpoint : NULL;
}

int rt_kin_leases_checkpoint(rt_kin_leases *l, const char *shard, const char *seq,
                             rt_err *err) {
  lease *e = find(l, shard);
  if (!e || !mine(l, e))
    return rt_err_set(err, RT_ENOTFOUND, "this worker holds no lease on %s", shard);
  char ck[128], sub[32];
  if (seq[0] < '0' || seq[0] > '9') /* SHARD_END */
    snprintf(ck, sizeof(ck), "%s", seq), snprintf(sub, sizeof(sub), "0");
  else if (rt_ddb_state_split_seq(seq, ck, sizeof(ck), sub, sizeof(sub), err) != 0)
    return RT_EINVAL;
  json_t *v = json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", ":ck", "S", ck, ":sub", "N", sub, ":zero",
                        "N", "0");
  int rc = fenced_update(l, e,
                         "checkpoint = :ck, checkpointSubSequenceNumber = :sub, "
                         "ownerSwitchesSinceCheckpoint = :zero REMOVE " RT_DDB_STATE_REMOVE,
                         v, 1, 0, err);
  if (rc == 0) {
    rt_free(e->checkpoint);
    e->checkpoint = rt_xstrdup(seq);
    if (e->version[0] && !e->old[0]) { /* its state went with the old position */
      snprintf(e->old, sizeof(e->old), "%s", e->version);
      e->old_chunks = e->chunks;
    }
    e->version[0] = '\0';
  } else if (rc == RT_ECONFLICT) {
    rt_free(e->owner);
    e->owner = NULL;
    rt_err_set(err, rc, "lease on %s was taken by another worker", shard);
  }
  return rc;
}

int rt_kin_leases_release_all(rt_kin_leases *l, rt_err *err) {
  for (size_t i = 0; i < l->n; i++) {
    lease *e = &l->v[i];
    if (!e->seen || !mine(l, e))
      continue;
    char cur[32];
    snprintf(cur, sizeof(cur), "%lld", (long long)e->counter);
    json_t *body = json_pack(
        "{s:s, s:{s:{s:s}}, s:s, s:s, s:{s:{s:s}, s:{s:s}}}", "TableName", l->table, "Key",
        "leaseKey", "S", e->key, "UpdateExpression", "REMOVE leaseOwner",
        "ConditionExpression", "leaseCounter = :cur AND leaseOwner = :me",
        "ExpressionAttributeValues", ":cur", "N", cur, ":me", "S", l->worker);
    int rc = rt_awsj_call(l->ddb, "UpdateItem", body, NULL, err);
    if (rc != 0 && rc != RT_ECONFLICT)
      return rc;
    rt_free(e->owner);
    e->owner = NULL;
  }
  return 0;
}

/* ---- checkpoints with state ---------------------------------------------------- */

static int ensure_state_table(rt_kin_leases *l, rt_err *err) {
  if (l->state_table_ok)
    return 0;
  int rc = rt_ddb_state_ensure_table(l->ddb, l->state_table, err);
  l->state_table_ok = rc == 0;
  return rc;
}

/* Deletes e's replaced version, if any; a failure is logged and kept for the
 * next checkpoint (the state in use is whole either way). */
static void delete_old(rt_kin_leases *l, lease *e) {
  if (!e->old[0])
    return;
  rt_err why;
  if (rt_ddb_state_delete(l->ddb, l->state_table, e->key, e->old, e->old_chunks, &why) == 0)
    e->old[0] = '\0';
  else
    rt_log(RT_LOG_WARN, "lease table %s: old state %s of %s not deleted yet (retried later): %s",
           l->table, e->old, e->key, why.msg);
}

int rt_kin_leases_checkpoint_state(rt_kin_leases *l, const char *shard, const char *seq,
                                   const void *state, size_t len, rt_err *err) {
  lease *e = find(l, shard);
  if (!e || !mine(l, e))
    return rt_err_set(err, RT_ENOTFOUND, "this worker holds no lease on %s", shard);
  if (!state && len)
    return rt_err_set(err, RT_EINVAL, "state of %s: %zu bytes at NULL", shard, len);
  rt_ddb_state_meta m;
  memset(&m, 0, sizeof(m));
  snprintf(m.sequence, sizeof(m.sequence), "%s", seq ? seq : "");
  snprintf(m.identity, sizeof(m.identity), "%s", l->identity);
  rt_ddb_state_new_version(m.version);
  json_t *v = json_pack("{s:{s:s}}", ":zero", "N", "0");
  const char *set;
  int rc = rt_ddb_state_set_expr(&m, v, &set, err); /* checks seq before any write */
  if (rc == 0)
    rc = ensure_state_table(l, err);
  if (rc == 0) {
    delete_old(l, e);
    rc = rt_ddb_state_write(l->ddb, l->state_table, shard, &m, state ? state : "", len, err);
  }
  if (rc == 0) { /* the chunk count and checksum are known now */
    json_decref(v);
    v = json_pack("{s:{s:s}}", ":zero", "N", "0");
    rt_ddb_state_set_expr(&m, v, &set, NULL);
    char expr[512];
    snprintf(expr, sizeof(expr), "%s, ownerSwitchesSinceCheckpoint = :zero", set);
    rc = fenced_update_r(l, e, expr, v, 1, 0, 1, err);
    v = NULL;
  }
  json_decref(v);
  if (rc == RT_ECONFLICT) {
    rt_ddb_state_delete(l->ddb, l->state_table, shard, m.version, m.chunks, NULL);
    rt_free(e->owner);
    e->owner = NULL;
    return rt_err_set(err, rc, "lease on %s was taken by another worker", shard);
  }
  if (rc != 0)
    return rc;
  rt_crash_point("ckpt_ddb_put");
  rt_free(e->checkpoint);
  e->checkpoint = rt_xstrdup(seq);
  if (e->version[0] && !e->old[0]) {
    snprintf(e->old, sizeof(e->old), "%s", e->version);
    e->old_chunks = e->chunks;
  }
  snprintf(e->version, sizeof(e->version), "%s", m.version);
  e->chunks = m.chunks;
  delete_old(l, e);
  return 0;
}

int rt_kin_leases_load_state(rt_kin_leases *l, const char *shard, char **seq, void **state,
                             size_t *len, rt_err *err) {
  *seq = NULL;
  *state = NULL;
  *len = 0;
  json_t *out = NULL;
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:b}", "TableName", l->table, "Key", "leaseKey",
                           "S", shard, "ConsistentRead", 1);
  int rc = rt_ddb_call_retry(l->ddb, "GetItem", body, &out, NULL, err);
  json_t *item = json_object_get(out, "Item");
  rt_ddb_state_meta m;
  rt_ddb_state_meta_of(item, &m);
  if (rc == 0)
    rc = rt_ddb_state_position(item, seq, err);
  json_decref(out);
  if (rc == 0 && m.version[0])
    rc = ensure_state_table(l, err);
  if (rc == 0 && m.version[0])
    rc = rt_ddb_state_read(l->ddb, l->state_table, l->table, shard, &m, l->identity, state, len,
                           err);
  if (rc != 0) {
    rt_free(*seq);
    *seq = NULL;
    return rc;
  }
  lease *e = find(l, shard);
  if (e && mine(l, e)) { /* ours: remember the version, sweep what never switched in */
    snprintf(e->version, sizeof(e->version), "%s", m.version);
    e->chunks = m.chunks;
    rt_err why;
    if (ensure_state_table(l, &why) != 0 ||
        rt_ddb_state_sweep(l->ddb, l->state_table, shard, m.version, NULL, &why) != 0)
      rt_log(RT_LOG_WARN, "lease table %s: orphan states of %s not deleted yet: %s", l->table,
             shard, why.msg);
  }
  return 0;
}
