/*
 * libFuzzer target for the checkpoint file (<dir>/<APP>.<STREAM>.checkpoint.json)
 * as rt_kin_ckpt_open_as reads it: positions per shard, each shard's
 * state with its identity and checksum, and the query's operator state.
 * The contract checked: a file is taken whole or refused whole. A refused
 * file gives no store and an error with a message; a taken one holds every
 * position the file names (read here with jansson on its own), hands each
 * shard's state back or refuses it with a message, and what the store then
 * writes (a commit of one more shard) reads back with nothing lost.
 */
#include "rt_kinesis_checkpoint.h"
#include "rt_mem.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define APP "fuzzapp"
#define STREAM "fuzzstream"
#define IDENTITY "q:fuzz:v1"

static char g_dir[200], g_path[300];
static rt_aws_config g_cfg; /* no DynamoDB endpoint: the file store */

static void setup(void) {
  const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(g_dir, sizeof(g_dir), "%s/fuzz_ckpt_file.XXXXXX", tmp);
  if (!mkdtemp(g_dir))
    abort();
  snprintf(g_path, sizeof(g_path), "%s/%s.%s.checkpoint.json", g_dir, APP, STREAM);
  memset(&g_cfg, 0, sizeof(g_cfg));
  strcpy(g_cfg.region, "us-east-1");
}

/* Would a store that read all of root have to refuse it? Members the
 * format defines must have their types. */
static int malformed(json_t *root) {
  json_t *shards = json_object_get(root, "shards"), *states = json_object_get(root, "states");
  json_t *state = json_object_get(root, "state");
  if (!json_is_object(shards) || (states && !json_is_object(states)) ||
      (state && !json_is_string(state)))
    return 1;
  const char *id;
  json_t *v;
  json_object_foreach(shards, id, v) if (!json_is_string(v)) return 1;
  return 0;
}

#define REWRITE_SHARD "shardId-fuzz-rewrite"

/* Every position of the file is in the store, as written (but skip's, when
 * not NULL: a shard the check itself moved). */
static void check_positions(rt_kin_ckpt *c, json_t *root, const char *skip) {
  const char *id;
  json_t *v;
  json_object_foreach(json_object_get(root, "shards"), id, v) {
    if (skip && strcmp(id, skip) == 0)
      continue;
    const char *got = rt_kin_ckpt_get(c, id);
    if (!got || strcmp(got, json_string_value(v)) != 0)
      abort();
  }
}

static void check_states(rt_kin_ckpt *c, json_t *root) {
  const char *id;
  json_t *v;
  json_object_foreach(json_object_get(root, "shards"), id, v) {
    char *seq = NULL;
    void *state = NULL;
    size_t len = 0;
    rt_err err = {0};
    int rc = rt_kin_ckpt_load_shard(c, id, &seq, &state, &len, &err);
    if (rc < 0 && (err.msg[0] == '\0' || seq || state))
      abort();
    if (rc == 0 && (!seq || strcmp(seq, json_string_value(v)) != 0))
      abort();
    rt_free(seq);
    rt_free(state);
  }
}

/* What the store writes reads back: nothing of the file is lost. */
static void check_rewrite(rt_kin_ckpt **c, json_t *root) {
  rt_err err = {0};
  if (rt_kin_ckpt_commit_shard(*c, REWRITE_SHARD, "12345", "abc", 3, &err) != 0)
    abort();
  rt_kin_ckpt_free(c);
  if (rt_kin_ckpt_open_as(&g_cfg, APP, STREAM, g_dir, IDENTITY, c, &err) != 0)
    abort();
  check_positions(*c, root, REWRITE_SHARD);
  const char *got = rt_kin_ckpt_get(*c, REWRITE_SHARD);
  if (!got || strcmp(got, "12345") != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_dir[0])
    setup();
  FILE *f = fopen(g_path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    abort();
  json_t *root = json_loadb((const char *)data, size, 0, NULL);
  rt_kin_ckpt *c = NULL;
  rt_err err = {0};
  int rc = rt_kin_ckpt_open_as(&g_cfg, APP, STREAM, g_dir, IDENTITY, &c, &err);
  if (rc != 0) {
    if (c || err.code != rc || err.msg[0] == '\0')
      abort();
  } else {
    if (!json_is_object(root) || malformed(root))
      abort(); /* a damaged file was taken, in part */
    check_positions(c, root, NULL);
    check_states(c, root);
    size_t len = 0;
    const void *st = rt_kin_ckpt_state(c, &len);
    if (json_object_get(root, "state") && !st)
      abort();
    check_rewrite(&c, root);
    rt_kin_ckpt_free(&c);
  }
  json_decref(root);
  unlink(g_path);
  return 0;
}
