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
#include "rt_dynamodb.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ck_entry {
  char *shard, *seq; /* owned */
  int dirty;         /* set since the last flush */
} ck_entry;

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

static char *file_path(const char *dir, const char *app, const char *stream) {
  rt_buf b;
  rt_buf_init(&b, 0);
  if (dir && dir[0]) {
    rt_buf_puts(&b, dir);
  } else {
    const char *home = getenv("HOME");
    rt_buf_printf(&b, "%s/.eddy", home && home[0] ? home : ".");
    mkdir(b.data, 0755);
    rt_buf_puts(&b, "/checkpoints");
  }
  mkdir(b.data, 0755);
  rt_buf_printf(&b, "/%s.%s.checkpoint.json", app, stream);
  return rt_buf_take(&b, NULL);
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
  const char *id;
  json_t *v;
  json_object_foreach(json_object_get(root, "shards"), id, v) {
    if (json_is_string(v))
      entry(c, id, 1)->seq = rt_xstrdup(json_string_value(v));
  }
  const char *b64 = json_string_value(json_object_get(root, "state"));
  int rc = 0;
  if (b64) {
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
 * directory, so the new content is whole and durable once this returns 0. */
static int write_durably(json_t *root, const char *path) {
  rt_buf tmp;
  rt_buf_init(&tmp, 0);
  rt_buf_printf(&tmp, "%s.tmp", path);
  int ok = json_dump_file(root, tmp.data, JSON_COMPACT) == 0;
  int fd = ok ? open(tmp.data, O_RDONLY) : -1;
  ok = fd >= 0 && fsync(fd) == 0;
  if (fd >= 0)
    close(fd);
  ok = ok && rename(tmp.data, path) == 0;
  const char *slash = strrchr(path, '/');
  if (ok && slash) {
    rt_buf_clear(&tmp);
    rt_buf_append(&tmp, path, slash == path ? 1 : (size_t)(slash - path));
    int dfd = open(tmp.data, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      fsync(dfd); /* best effort: some filesystems refuse it */
      close(dfd);
    }
  }
  rt_buf_free(&tmp);
  return ok ? 0 : -1;
}

static int file_flush(rt_kin_ckpt *c, rt_err *err) {
  json_t *shards = json_object();
  for (size_t i = 0; i < c->n; i++)
    if (c->v[i].seq)
      json_object_set_new(shards, c->v[i].shard, json_string(c->v[i].seq));
  json_t *root = json_pack("{s:s, s:o, s:I}", "stream", c->stream, "shards", shards,
                           "written_ms", (json_int_t)rt_wall_ms());
  if (c->state) {
    char *b64 = rt_xmalloc(rt_base64_encoded_size(c->state_len));
    rt_base64_encode(c->state, c->state_len, b64);
    json_object_set_new(root, "state", json_string(b64));
    rt_free(b64);
  }
  int ok = write_durably(root, c->path) == 0;
  int rc = ok ? 0 : rt_err_set(err, RT_EIO, "cannot write checkpoint %s: %s", c->path,
                               strerror(errno));
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
  ck_entry *e = entry(c, shard, 1);
  rt_free(e->seq);
  e->seq = rt_xstrdup(seq);
}

static int ddb_flush_one(rt_kin_ckpt *c, ck_entry *e, rt_err *err) {
  json_t *body = json_pack(
      "{s:s, s:{s:{s:s}}, s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "TableName",
      c->table, "Key", "leaseKey", "S", e->shard, "UpdateExpression",
      "SET checkpoint = :c, checkpointSubSequenceNumber = :z, streamName = :s, "
      "leaseOwner = if_not_exists(leaseOwner, :o) ADD leaseCounter :one",
      "ExpressionAttributeValues", ":c", "S", e->seq, ":z", "N", "0", ":s", "S", c->stream,
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
  }
  return 0;
}

/* ---- open / free ----------------------------------------------------------------- */

int rt_kin_ckpt_open(const rt_aws_config *cfg, const char *app, const char *stream,
                     const char *dir, rt_kin_ckpt **out, rt_err *err) {
  *out = NULL;
  int rc = check_name("application name", app, err);
  if (rc != 0)
    return rc;
  rt_kin_ckpt *c = rt_xcalloc(1, sizeof(*c));
  c->stream = rt_xstrdup(stream);
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
      rc = rt_ddb_scan_all(c->ddb, c->table, false, ddb_take_item, c, err);
  } else {
    c->path = file_path(dir, app, stream);
    snprintf(c->where, sizeof(c->where), "file %s", c->path);
    rc = file_load(c, err);
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
  }
  rt_free(c->v);
  rt_free(c->state);
  rt_awsj_free(&c->ddb);
  rt_free(c->table);
  rt_free(c->path);
  rt_free(c->stream);
  rt_free(c);
  *cp = NULL;
}
