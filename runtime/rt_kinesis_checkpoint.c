/*
 * Checkpoint stores. Both keep an in-memory table of (shard, sequence,
 * dirty); the file store rewrites the whole file on flush (a handful of
 * shards), the DynamoDB store updates only dirty items, each with one
 * UpdateItem that also bumps leaseCounter the way KCL's checkpointer does.
 * DynamoDB calls go through the AWS JSON transport (rt_aws_json) with a
 * client from rt_dynamodb, so they share the Kinesis client's signing,
 * timeouts and errors.
 */
#include "rt_kinesis_checkpoint.h"

#include "rt_aws_json.h"
#include "rt_base64.h"
#include "rt_buf.h"
#include "rt_crash.h"
#include "rt_ddb_state.h"
#include "rt_dynamodb.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ck_entry {
  char *shard, *seq;      /* owned */
  int dirty;              /* set since the last flush */
  char version[24];       /* DynamoDB: the item's stateVersion as last read or written, or "" */
  long chunks;            /* DynamoDB: that version's chunk count */
  unsigned char *state;   /* file store: the shard's state (owned), or NULL for none */
  size_t state_len;
  char *state_identity;   /* file store: the identity it was saved under (owned) */
} ck_entry;

/* Chunks of a replaced version whose delete failed: retried at the next
 * commit. */
typedef struct ck_orphan {
  char *shard;      /* owned */
  char version[24];
  long chunks;
} ck_orphan;

struct rt_kin_ckpt {
  rt_awsj *ddb;        /* DynamoDB client, or NULL for the file store */
  char *table;         /* DynamoDB table (= app) */
  char *path;          /* file store path */
  char *stream;
  char owner[96];      /* leaseOwner we write: eddy@host:pid */
  char where[700];
  ck_entry *v;
  size_t n;
  unsigned char *state; /* operator state (file store), or NULL; owned */
  size_t state_len;
  int state_dirty;      /* set since the last flush */
  char *app;            /* the application name, for messages */
  char *identity;       /* who may read the per-shard states ("" = unnamed); owned */
  char state_table[256]; /* DynamoDB: APP-state */
  int state_table_ok;   /* DynamoDB: APP-state checked or created */
  ck_orphan *orphans;   /* DynamoDB: old versions still to delete */
  size_t norphans;
};

static ck_entry *entry(rt_kin_ckpt *c, const char *shard, int create) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->v[i].shard, shard) == 0)
      return &c->v[i];
  if (!create)
    return NULL;
  c->v = rt_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
  ck_entry *e = &c->v[c->n++];
  e->shard = rt_xstrdup(shard);
  e->seq = NULL;
  e->dirty = 0;
  e->version[0] = '\0';
  e->chunks = 0;
  e->state = NULL;
  e->state_len = 0;
  e->state_identity = NULL;
  return e;
}

const char *rt_kin_ckpt_get(const rt_kin_ckpt *c, const char *shard) {
  ck_entry *e = entry((rt_kin_ckpt *)c, shard, 0);
  return e ? e->seq : NULL;
}

void rt_kin_ckpt_set(rt_kin_ckpt *c, const char *shard, const char *seq) {
  ck_entry *e = entry(c, shard, 1);
  if (e->seq && strcmp(e->seq, seq) == 0)
    return;
  char *v = rt_xstrdup(seq);
  rt_free(e->seq);
  e->seq = v;
  e->dirty = 1;
  rt_free(e->state); /* the position moved without it: it no longer matches */
  e->state = NULL;
  e->state_len = 0;
}

const char *rt_kin_ckpt_where(const rt_kin_ckpt *c) { return c->where; }

int rt_kin_ckpt_is_dynamodb(const rt_kin_ckpt *c) { return c->ddb != NULL; }

int rt_kin_ckpt_set_state(rt_kin_ckpt *c, const void *data, size_t len, rt_err *err) {
  if (!data) { /* forget it: the positions move on without it */
    c->state_dirty |= c->state != NULL;
    rt_free(c->state);
    c->state = NULL;
    c->state_len = 0;
    return 0;
  }
  if (c->ddb)
    return rt_err_set(err, RT_EUNSUPPORTED,
                      "%s cannot hold query state: only the file store checkpoints windows",
                      c->where);
  unsigned char *v = rt_xmalloc(len ? len : 1);
  memcpy(v, data, len);
  rt_free(c->state);
  c->state = v;
  c->state_len = len;
  c->state_dirty = 1;
  return 0;
}

const void *rt_kin_ckpt_state(const rt_kin_ckpt *c, size_t *len) {
  *len = c->state_len;
  return c->state;
}

/* Names become table names and file names: keep them plain. */
static int check_name(const char *what, const char *s, rt_err *err) {
  size_t n = s ? strlen(s) : 0;
  if (n < 3 || n > 200)
    return rt_err_set(err, RT_EINVAL, "%s must be 3 to 200 characters", what);
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '-' || *p == '.'))
      return rt_err_set(err, RT_EINVAL, "%s \"%s\" may hold only letters, digits, _ - .", what,
                        s);
  return 0;
}

/* ---- file store ------------------------------------------------------------ */

/* The checkpoint file's path, its folder made first (0700, rt_file.h): the
 * file holds positions and the pipeline's state, which is the stream's data
 * aggregated. Returns 0 and *out (caller frees), or RT_EIO. */
static int file_path(const char *dir, const char *app, const char *stream, char **out,
                     rt_err *err) {
  rt_buf b;
  rt_buf_init(&b, 0);
  if (dir && dir[0]) {
    rt_buf_puts(&b, dir);
  } else {
    const char *home = getenv("HOME");
    rt_buf_printf(&b, "%s/.eddy/checkpoints", home && home[0] ? home : ".");
  }
  int rc = rt_file_mkdirs(b.data, err);
  rt_buf_printf(&b, "/%s.%s.checkpoint.json", app, stream);
  *out = rt_buf_take(&b, NULL);
  return rc;
}

/* Decodes base64 b64 into a new buffer (*out, caller owns; never NULL on
 * success) of *len bytes. */
static int decode_b64(const char *b64, unsigned char **out, size_t *len, rt_err *why) {
  size_t n = strlen(b64);
  *out = rt_xmalloc(rt_base64_decoded_max(n));
  int rc = rt_base64_decode(b64, n, *out, len, why);
  if (rc != 0) {
    rt_free(*out);
    *out = NULL;
  }
  return rc;
}

/* Loads the per-shard states of the file ("states": {shard: {sequence,
 * state, identity, checksum}}), each checked against its position and
 * checksum: the file is written whole, so a mismatch is damage. */
static int file_load_states(rt_kin_ckpt *c, json_t *states, rt_err *err) {
  const char *id;
  json_t *v;
  json_object_foreach(states, id, v) {
    const char *seq = json_string_value(json_object_get(v, "sequence"));
    const char *b64 = json_string_value(json_object_get(v, "state"));
    const char *ident = json_string_value(json_object_get(v, "identity"));
    const char *sum = json_string_value(json_object_get(v, "checksum"));
    ck_entry *e = entry(c, id, 0);
    if (!seq || !b64 || !ident || !sum || !e || !e->seq || strcmp(e->seq, seq) != 0)
      return rt_err_set(err, RT_EIO, "checkpoint file %s: the state of %s does not match its "
                        "position", c->path, id);
    rt_err why;
    if (decode_b64(b64, &e->state, &e->state_len, &why) != 0)
      return rt_err_set(err, RT_EIO, "checkpoint file %s: state of %s is not valid base64: %s",
                        c->path, id, why.msg);
    if (rt_ddb_state_checksum(e->state, e->state_len) != strtoull(sum, NULL, 16))
      return rt_err_set(err, RT_EIO, "checkpoint file %s: state of %s fails its checksum",
                        c->path, id);
    e->state_identity = rt_xstrdup(ident);
  }
  return 0;
}

/* A damaged file is refused whole, never taken in part: a position that is
 * not a string, or a member of the wrong type, would otherwise be skipped
 * and its shard read again from its start. */
static int file_check_shape(rt_kin_ckpt *c, json_t *root, rt_err *err) {
  json_t *shards = json_object_get(root, "shards"), *states = json_object_get(root, "states");
  json_t *state = json_object_get(root, "state");
  if (!json_is_object(shards))
    return rt_err_set(err, RT_EIO, "checkpoint file %s: \"shards\" is %s, not an object",
                      c->path, shards ? "of the wrong type" : "missing");
  if ((states && !json_is_object(states)) || (state && !json_is_string(state)))
    return rt_err_set(err, RT_EIO, "checkpoint file %s: \"%s\" is of the wrong type", c->path,
                      state && !json_is_string(state) ? "state" : "states");
  const char *id;
  json_t *v;
  json_object_foreach(shards, id, v) {
    if (!json_is_string(v))
      return rt_err_set(err, RT_EIO, "checkpoint file %s: the position of %s is not a string",
                        c->path, id);
  }
  return 0;
}

static int file_load(rt_kin_ckpt *c, rt_err *err) {
  if (access(c->path, F_OK) != 0)
    return 0;
  json_error_t je;
  json_t *root = json_load_file(c->path, 0, &je);
  if (!json_is_object(root)) {
    json_decref(root);
    return rt_err_set(err, RT_EIO, "checkpoint file %s is not valid JSON: %s", c->path,
                      je.text);
  }
  int rc = file_check_shape(c, root, err);
  const char *id;
  json_t *v;
  if (rc == 0) {
    json_object_foreach(json_object_get(root, "shards"), id, v)
      entry(c, id, 1)->seq = rt_xstrdup(json_string_value(v));
    rc = file_load_states(c, json_object_get(root, "states"), err);
  }
  const char *b64 = json_string_value(json_object_get(root, "state"));
  if (rc == 0 && b64) {
    size_t n = strlen(b64);
    rt_err why;
    c->state = rt_xmalloc(rt_base64_decoded_max(n));
    if (rt_base64_decode(b64, n, c->state, &c->state_len, &why) < 0) {
      rc = rt_err_set(err, RT_EIO, "checkpoint file %s: state is not valid base64: %s", c->path,
                      why.msg);
      c->state_len = 0;
    }
  }
  json_decref(root);
  return rc;
}

/* Writes root to path through a temp file: fsync, rename, fsync of the
 * directory, so the new content is whole and durable once this returns 0.
 * The temp is made afresh, 0600, never through a link (rt_file.h), so the
 * renamed file is private whatever the old one's mode was. The crash points
 * (rt_crash.h) mark the three moments a kill can find the file store in: a
 * torn temp file, a whole one not renamed, a renamed one. */
static int write_durably(json_t *root, const char *path, rt_err *err) {
  rt_buf tmp;
  rt_buf_init(&tmp, 0);
  rt_buf_printf(&tmp, "%s.tmp", path);
  int fd = rt_file_create_private(tmp.data, err);
  if (fd < 0) {
    rt_buf_free(&tmp);
    return fd;
  }
  char *text = json_dumps(root, JSON_COMPACT);
  size_t len = text ? strlen(text) : 0, half = len / 2;
  int ok = text && rt_file_write_all(fd, text, half) == 0;
  if (ok)
    rt_crash_point("ckpt_file_write");
  ok = ok && rt_file_write_all(fd, text + half, len - half) == 0 && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  free(text); /* jansson's allocator: the default malloc */
  if (ok)
    rt_crash_point("ckpt_file_rename");
  ok = ok && rename(tmp.data, path) == 0;
  int rc = ok ? 0 : rt_err_set(err, RT_EIO, "cannot write checkpoint %s: %s", path,
                               strerror(errno));
  if (!ok)
    unlink(tmp.data);
  else
    rt_crash_point("ckpt_file_renamed");
  const char *slash = strrchr(path, '/');
  if (ok && slash) {
    rt_buf_clear(&tmp);
    rt_buf_append(&tmp, path, slash == path ? 1 : (size_t)(slash - path));
    int dfd = open(tmp.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd); /* best effort: some filesystems refuse it */
      close(dfd);
    }
  }
  rt_buf_free(&tmp);
  return rc;
}

static int file_flush(rt_kin_ckpt *c, rt_err *err) {
  json_t *shards = json_object();
  for (size_t i = 0; i < c->n; i++)
    if (c->v[i].seq)
      json_object_set_new(shards, c->v[i].shard, json_string(c->v[i].seq));
  json_t *root = json_pack("{s:s, s:o, s:I}", "stream", c->stream, "shards", shards,
                           "written_ms", (json_int_t)rt_wall_ms());
  json_t *states = json_object();
  for (size_t i = 0; i < c->n; i++) {
    ck_entry *e = &c->v[i];
    if (!e->state || !e->seq)
      continue;
    char *b64 = rt_xmalloc(rt_base64_encoded_size(e->state_len)), sum[24];
    rt_base64_encode(e->state, e->state_len, b64);
    snprintf(sum, sizeof(sum), "%016" PRIx64, rt_ddb_state_checksum(e->state, e->state_len));
    json_object_set_new(states, e->shard,
                        json_pack("{s:s, s:s, s:s, s:s}", "sequence", e->seq, "state", b64,
                                  "identity", e->state_identity ? e->state_identity : "",
                                  "checksum", sum));
    rt_free(b64);
  }
  if (json_object_size(states))
    json_object_set_new(root, "states", states);
  else
    json_decref(states);
  if (c->state) {
    char *b64 = rt_xmalloc(rt_base64_encoded_size(c->state_len));
    rt_base64_encode(c->state, c->state_len, b64);
    json_object_set_new(root, "state", json_string(b64));
    rt_free(b64);
  }
  int rc = write_durably(root, c->path, err);
  json_decref(root);
  return rc;
}

/* ---- DynamoDB store ---------------------------------------------------------- */

/* Takes one Scan item into the table of checkpoints. */
static void ddb_take_item(void *ctx, json_t *item) {
  rt_kin_ckpt *c = ctx;
  const char *shard = rt_awsj_str(json_object_get(item, "leaseKey"), "S");
  const char *seq = rt_awsj_str(json_object_get(item, "checkpoint"), "S");
  const char *stream = rt_awsj_str(json_object_get(item, "streamName"), "S");
  if (!shard || !seq || (stream && strcmp(stream, c->stream) != 0))
    return;
  /* KCL sentinels other than SHARD_END mean "no position yet" */
  if (strcmp(seq, "SHARD_END") != 0 && (seq[0] < '0' || seq[0] > '9'))
    return;
  char *pos = NULL;
  if (rt_ddb_state_position(item, &pos, NULL) != 0) /* load_shard will say why */
    pos = rt_xstrdup(seq);
  ck_entry *e = entry(c, shard, 1);
  rt_free(e->seq);
  e->seq = pos;
  rt_ddb_state_meta m;
  rt_ddb_state_meta_of(item, &m);
  snprintf(e->version, sizeof(e->version), "%s", m.version);
  e->chunks = m.chunks;
}

/* Remembers a replaced version whose chunks are still to delete. */
static void add_orphan(rt_kin_ckpt *c, const char *shard, const char *version, long chunks) {
  c->orphans = rt_xrealloc(c->orphans, (c->norphans + 1) * sizeof(*c->orphans));
  ck_orphan *o = &c->orphans[c->norphans++];
  o->shard = rt_xstrdup(shard);
  snprintf(o->version, sizeof(o->version), "%s", version);
  o->chunks = chunks;
}

/* Deletes the chunks of replaced versions; what fails stays for next time
 * and is logged, never the caller's error (the state in use is whole). */
static void delete_orphans(rt_kin_ckpt *c) {
  size_t kept = 0;
  for (size_t i = 0; i < c->norphans; i++) {
    ck_orphan *o = &c->orphans[i];
    rt_err why;
    if (rt_ddb_state_delete(c->ddb, c->state_table, o->shard, o->version, o->chunks, &why) ==
        0) {
      rt_free(o->shard);
      continue;
    }
    rt_log(RT_LOG_WARN, "%s: old state %s of %s not deleted yet (retried later): %s",
           c->where, o->version, o->shard, why.msg);
    c->orphans[kept++] = *o;
  }
  c->norphans = kept;
}

static int ddb_flush_one(rt_kin_ckpt *c, ck_entry *e, rt_err *err) {
  char ck[128], sub[32]; /* "SEQ:SUB" as KCL keeps it: checkpoint, sub-sequence */
  int rc = rt_ddb_state_split_seq(e->seq, ck, sizeof(ck), sub, sizeof(sub), err);
  if (rc != 0)
    return rc;
  json_t *body = json_pack(
      "{s:s, s:{s:{s:s}}, s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "TableName",
      c->table, "Key", "leaseKey", "S", e->shard, "UpdateExpression",
      "SET checkpoint = :c, checkpointSubSequenceNumber = :z, streamName = :s, "
      "leaseOwner = if_not_exists(leaseOwner, :o) ADD leaseCounter :one "
      "REMOVE " RT_DDB_STATE_REMOVE,
      "ExpressionAttributeValues", ":c", "S", ck, ":z", "N", sub, ":s", "S", c->stream,
      ":o", "S", c->owner, ":one", "N", "1");
  return rt_awsj_call(c->ddb, "UpdateItem", body, NULL, err);
}

int rt_kin_ckpt_flush(rt_kin_ckpt *c, rt_err *err) {
  int dirty = c->state_dirty;
  for (size_t i = 0; i < c->n; i++)
    dirty |= c->v[i].dirty;
  if (!dirty)
    return 0;
  if (!c->ddb) {
    int rc = file_flush(c, err);
    for (size_t i = 0; rc == 0 && i < c->n; i++)
      c->v[i].dirty = 0;
    if (rc == 0)
      c->state_dirty = 0;
    return rc;
  }
  for (size_t i = 0; i < c->n; i++) {
    if (!c->v[i].dirty || !c->v[i].seq)
      continue;
    int rc = ddb_flush_one(c, &c->v[i], err);
    if (rc != 0)
      return rc;
    c->v[i].dirty = 0;
    if (c->v[i].version[0]) { /* its state went with the old position */
      add_orphan(c, c->v[i].shard, c->v[i].version, c->v[i].chunks);
      c->v[i].version[0] = '\0';
    }
  }
  return 0;
}

/* ---- per-shard state ------------------------------------------------------------- */

static int ensure_state_table(rt_kin_ckpt *c, rt_err *err) {
  if (c->state_table_ok)
    return 0;
  int rc = rt_ddb_state_ensure_table(c->ddb, c->state_table, err);
  c->state_table_ok = rc == 0;
  return rc;
}

/* The shard's item in the lease table, read consistently (*item NULL when
 * there is none; caller owns: json_decref). */
static int get_item(rt_kin_ckpt *c, const char *shard, json_t **item, rt_err *err) {
  json_t *out = NULL;
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:b}", "TableName", c->table, "Key", "leaseKey",
                           "S", shard, "ConsistentRead", 1);
  int rc = rt_ddb_call_retry(c->ddb, "GetItem", body, &out, NULL, err);
  *item = rc == 0 ? json_incref(json_object_get(out, "Item")) : NULL;
  json_decref(out);
  return rc;
}

/* The switch: one UpdateItem sets shard's position and state m together,
 * conditional on the version this store last saw (e->version). A condition
 * failing after an attempt whose answer was lost may be our own success:
 * the item is then re-read to tell. */
static int ddb_switch(rt_kin_ckpt *c, ck_entry *e, const rt_ddb_state_meta *m, rt_err *err) {
  json_t *v = json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", ":s", "S", c->stream, ":o", "S", c->owner,
                        ":one", "N", "1");
  const char *set;
  int rc = rt_ddb_state_set_expr(m, v, &set, err);
  if (rc != 0) {
    json_decref(v);
    return rc;
  }
  char expr[768];
  snprintf(expr, sizeof(expr), "SET %s, streamName = :s, leaseOwner = if_not_exists(leaseOwner, "
           ":o) ADD leaseCounter :one", set);
  const char *cond = "attribute_not_exists(stateVersion)";
  if (e->version[0]) {
    cond = "stateVersion = :prev";
    json_object_set_new(v, ":prev", json_pack("{s:s}", "S", e->version));
  }
  json_t *body = json_pack("{s:s, s:{s:{s:s}}, s:s, s:s, s:o}", "TableName", c->table, "Key",
                           "leaseKey", "S", e->shard, "UpdateExpression", expr,
                           "ConditionExpression", cond, "ExpressionAttributeValues", v);
  int retried = 0;
  rc = rt_ddb_call_retry(c->ddb, "UpdateItem", body, NULL, &retried, err);
  if (rc != RT_ECONFLICT)
    return rc;
  json_t *item = NULL;
  rt_ddb_state_meta now;
  memset(&now, 0, sizeof(now));
  if (get_item(c, e->shard, &item, NULL) == 0)
    rt_ddb_state_meta_of(item, &now);
  json_decref(item);
  if (retried && strcmp(now.version, m->version) == 0)
    return 0; /* our own switch landed, its answer did not */
  return rt_err_set(err, RT_ECONFLICT,
                    "checkpoint of %s in %s was changed by another writer (state version "
                    "\"%s\" expected, \"%s\" found): load it again",
                    e->shard, c->app, e->version, now.version);
}

static int ddb_commit_shard(rt_kin_ckpt *c, ck_entry *e, const char *seq, const void *state,
                            size_t len, rt_err *err) {
  int rc = ensure_state_table(c, err);
  if (rc != 0)
    return rc;
  delete_orphans(c);
  rt_ddb_state_meta m;
  memset(&m, 0, sizeof(m));
  rt_ddb_state_new_version(m.version);
  snprintf(m.sequence, sizeof(m.sequence), "%s", seq);
  snprintf(m.identity, sizeof(m.identity), "%s", c->identity);
  rc = rt_ddb_state_write(c->ddb, c->state_table, e->shard, &m, state, len, err);
  if (rc != 0)
    return rc;
  rc = ddb_switch(c, e, &m, err);
  if (rc == 0)
    rt_crash_point("ckpt_ddb_put");
  if (rc == RT_ECONFLICT) { /* never current: delete it now */
    rt_ddb_state_delete(c->ddb, c->state_table, e->shard, m.version, m.chunks, NULL);
    return rc;
  }
  if (rc != 0) /* may have landed: the next load sweeps whichever lost */
    return rc;
  if (e->version[0])
    add_orphan(c, e->shard, e->version, e->chunks);
  snprintf(e->version, sizeof(e->version), "%s", m.version);
  e->chunks = m.chunks;
  delete_orphans(c);
  return 0;
}

/* Position without state, at once (commit_shard with state NULL). */
static int commit_position(rt_kin_ckpt *c, ck_entry *e, const char *seq, rt_err *err) {
  char *old = e->seq;
  unsigned char *old_state = e->state; /* file store: goes with the old position */
  e->seq = rt_xstrdup(seq);
  e->state = NULL;
  e->dirty = 1;
  int rc = c->ddb ? ddb_flush_one(c, e, err) : file_flush(c, err);
  if (rc != 0) {
    rt_free(e->seq);
    e->seq = old;
    e->state = old_state;
    return rc;
  }
  rt_free(old);
  rt_free(old_state);
  e->state_len = 0;
  e->dirty = 0;
  if (c->ddb && e->version[0]) {
    add_orphan(c, e->shard, e->version, e->chunks);
    e->version[0] = '\0';
  }
  return 0;
}

static int file_commit_shard(rt_kin_ckpt *c, ck_entry *e, const char *seq, const void *state,
                             size_t len, rt_err *err) {
  ck_entry was = *e; /* restored if the file cannot be written */
  e->seq = rt_xstrdup(seq);
  e->state = rt_xmalloc(len ? len : 1);
  memcpy(e->state, state, len);
  e->state_len = len;
  e->state_identity = rt_xstrdup(c->identity);
  int rc = file_flush(c, err);
  ck_entry *drop = rc == 0 ? &was : e;
  rt_free(drop->seq);
  rt_free(drop->state);
  rt_free(drop->state_identity);
  if (rc != 0)
    *e = was;
  else
    e->dirty = 0;
  return rc;
}

int rt_kin_ckpt_commit_shard(rt_kin_ckpt *c, const char *shard, const char *seq,
                             const void *state, size_t len, rt_err *err) {
  char ck[128], sub[32];
  int rc = rt_ddb_state_split_seq(seq, ck, sizeof(ck), sub, sizeof(sub), err);
  if (rc != 0)
    return rc;
  if (!shard || !shard[0])
    return rt_err_set(err, RT_EINVAL, "commit of a state needs a shard id");
  ck_entry *e = entry(c, shard, 1);
  if (!state && len == 0)
    return commit_position(c, e, seq, err);
  if (!state)
    return rt_err_set(err, RT_EINVAL, "state of %s: %zu bytes at NULL", shard, len);
  if (!c->ddb)
    return file_commit_shard(c, e, seq, state, len, err);
  rc = ddb_commit_shard(c, e, seq, state, len, err);
  if (rc == 0) {
    rt_free(e->seq);
    e->seq = rt_xstrdup(seq);
    e->dirty = 0;
  }
  return rc;
}

static int file_load_shard(rt_kin_ckpt *c, ck_entry *e, char **seq, void **state, size_t *len,
                           rt_err *err) {
  if (!e)
    return 0;
  if (e->state && strcmp(e->state_identity, c->identity) != 0)
    return rt_err_set(err, RT_EINVAL,
                      "checkpoint of %s was saved by a different query: saved by \"%s\", "
                      "this query is \"%s\"; use another `as` name",
                      c->app, e->state_identity, c->identity);
  *seq = e->seq ? rt_xstrdup(e->seq) : NULL;
  if (e->state) {
    *state = rt_xmalloc(e->state_len ? e->state_len : 1);
    memcpy(*state, e->state, e->state_len);
    *len = e->state_len;
  }
  return 0;
}

static int ddb_load_shard(rt_kin_ckpt *c, const char *shard, char **seq, void **state,
                          size_t *len, rt_err *err) {
  json_t *item = NULL;
  int rc = get_item(c, shard, &item, err);
  rt_ddb_state_meta m;
  rt_ddb_state_meta_of(item, &m);
  const char *stream = rt_awsj_str(json_object_get(item, "streamName"), "S");
  if (rc == 0 && stream && strcmp(stream, c->stream) != 0) { /* another stream's */
    json_decref(item);
    return 0;
  }
  if (rc == 0)
    rc = rt_ddb_state_position(item, seq, err);
  json_decref(item);
  if (rc == 0 && *seq && strcmp(*seq, "SHARD_END") != 0 && (**seq < '0' || **seq > '9')) {
    rt_free(*seq); /* a KCL sentinel: no position yet */
    *seq = NULL;
  }
  if (rc == 0) /* also when there is no state yet: orphans of a first write */
    rc = ensure_state_table(c, err);
  if (rc == 0 && m.version[0])
    rc = rt_ddb_state_read(c->ddb, c->state_table, c->app, shard, &m, c->identity, state, len,
                           err);
  if (rc != 0) {
    rt_free(*seq);
    *seq = NULL;
    return rc;
  }
  ck_entry *e = entry(c, shard, 1);
  snprintf(e->version, sizeof(e->version), "%s", m.version);
  e->chunks = m.chunks;
  if (*seq && !e->dirty) {
    rt_free(e->seq);
    e->seq = rt_xstrdup(*seq);
  }
  rt_err why; /* orphans of writes that never switched: ours to sweep */
  if (rt_ddb_state_sweep(c->ddb, c->state_table, shard, m.version, NULL, &why) != 0)
    rt_log(RT_LOG_WARN, "%s: orphan states of %s not deleted yet (retried later): %s",
           c->where, shard, why.msg);
  delete_orphans(c);
  return 0;
}

int rt_kin_ckpt_load_shard(rt_kin_ckpt *c, const char *shard, char **seq, void **state,
                           size_t *len, rt_err *err) {
  *seq = NULL;
  *state = NULL;
  *len = 0;
  if (!c->ddb)
    return file_load_shard(c, entry(c, shard, 0), seq, state, len, err);
  return ddb_load_shard(c, shard, seq, state, len, err);
}

/* ---- open / free ----------------------------------------------------------------- */

int rt_kin_ckpt_open(const rt_aws_config *cfg, const char *app, const char *stream,
                     const char *dir, rt_kin_ckpt **out, rt_err *err) {
  return rt_kin_ckpt_open_as(cfg, app, stream, dir, NULL, out, err);
}

int rt_kin_ckpt_open_as(const rt_aws_config *cfg, const char *app, const char *stream,
                        const char *dir, const char *identity, rt_kin_ckpt **out,
                        rt_err *err) {
  *out = NULL;
  int rc = check_name("application name", app, err);
  if (rc != 0)
    return rc;
  if (identity && strlen(identity) > RT_DDB_STATE_IDENTITY_MAX)
    return rt_err_set(err, RT_EINVAL, "state identity is longer than %d bytes",
                      RT_DDB_STATE_IDENTITY_MAX);
  rt_kin_ckpt *c = rt_xcalloc(1, sizeof(*c));
  c->stream = rt_xstrdup(stream);
  c->app = rt_xstrdup(app);
  c->identity = rt_xstrdup(identity ? identity : "");
  rt_ddb_state_table_name(app, c->state_table, sizeof(c->state_table));
  char host[64] = "host";
  gethostname(host, sizeof(host) - 1);
  snprintf(c->owner, sizeof(c->owner), "eddy@%s:%ld", host, (long)getpid());
  if (cfg->dynamodb_endpoint_set) {
    c->table = rt_xstrdup(app);
    c->ddb = rt_ddb_new(cfg, err);
    rc = c->ddb ? 0 : (err && err->code ? err->code : RT_EAUTH);
    snprintf(c->where, sizeof(c->where), "DynamoDB table %s at %s", app,
             cfg->dynamodb_endpoint);
    if (rc == 0)
      rc = rt_ddb_ensure_lease_table(c->ddb, c->table, err);
    if (rc == 0)
      rc = rt_ddb_scan_all(c->ddb, c->table, true, ddb_take_item, c, err);
  } else {
    if (strcspn(stream, "/") != strlen(stream) || !stream[0])
      rc = rt_err_set(err, RT_EINVAL, "stream name \"%s\" cannot name a checkpoint file",
                      stream); /* Kinesis names have no '/'; the file stays in its folder */
    if (rc == 0)
      rc = file_path(dir, app, stream, &c->path, err);
    if (rc == 0) {
      snprintf(c->where, sizeof(c->where), "file %s", c->path);
      rc = file_load(c, err);
    }
  }
  if (rc != 0) {
    rt_kin_ckpt_free(&c);
    return rc;
  }
  *out = c;
  return 0;
}

void rt_kin_ckpt_free(rt_kin_ckpt **cp) {
  if (!cp || !*cp)
    return;
  rt_kin_ckpt *c = *cp;
  for (size_t i = 0; i < c->n; i++) {
    rt_free(c->v[i].shard);
    rt_free(c->v[i].seq);
    rt_free(c->v[i].state);
    rt_free(c->v[i].state_identity);
  }
  rt_free(c->v);
  for (size_t i = 0; i < c->norphans; i++)
    rt_free(c->orphans[i].shard);
  rt_free(c->orphans);
  rt_free(c->app);
  rt_free(c->identity);
  rt_free(c->state);
  rt_awsj_free(&c->ddb);
  rt_free(c->table);
  rt_free(c->path);
  rt_free(c->stream);
  rt_free(c);
  *cp = NULL;
}
