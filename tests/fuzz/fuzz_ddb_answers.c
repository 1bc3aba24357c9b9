/*
 * libFuzzer target for DynamoDB answers as the runtime reads them: the
 * first line of the input names a reader, the rest is the script of HTTP
 * answers (fuzz_answers.h) played through the transport's test seam:
 *   checkpoint  rt_kin_ckpt_open_as on DynamoDB (DescribeTable, Scan of
 *               the lease table) and rt_kin_ckpt_load_shard (GetItem, the
 *               state's chunks by Query);
 *   leases      rt_kin_leases_new, _sync, _tick, _load_state of each held
 *               shard, _checkpoint_state and _release_all;
 *   partials    rt_dist_partials_new, _marks, _windows, _get, _leases, _collect;
 *   state       rt_ddb_state_read of a fixed state description.
 * A failure must come back as an RT_E* code with a message and empty
 * outputs; a state handed back must be whole (its length and checksum
 * those described), never part of one.
 */
#include "fuzz_answers.h"
#include "rt_ddb_state.h"
#include "rt_dist_partials.h"
#include "rt_dynamodb.h"
#include "rt_kinesis_checkpoint.h"
#include "rt_kinesis_lease.h"
#include "rt_mem.h"

static const char *READERS[] = {"checkpoint", "leases", "partials", "state"};
enum { NREADERS = sizeof(READERS) / sizeof(READERS[0]) };

#define SHARD0 "shardId-000000000000"
#define IDENTITY "q:fuzz:v1"

static rt_aws_config g_cfg;

/* Outputs of a load: empty on failure. */
static void check_load(int rc, const rt_err *err, const char *seq, const void *state) {
  fuzz_check_err(rc, err);
  if (rc != 0 && (seq || state))
    abort();
}

static void run_checkpoint(void) {
  rt_kin_ckpt *c = NULL;
  rt_err err = {0};
  int rc = rt_kin_ckpt_open_as(&g_cfg, "fuzzapp", "fuzzstream", NULL, IDENTITY, &c, &err);
  fuzz_check_err(rc, &err);
  if ((rc == 0) != (c != NULL))
    abort();
  if (!c)
    return;
  char *seq = NULL;
  void *state = NULL;
  size_t len = 0;
  rc = rt_kin_ckpt_load_shard(c, SHARD0, &seq, &state, &len, &err);
  check_load(rc, &err, seq, state);
  rt_free(seq);
  rt_free(state);
  rt_kin_ckpt_free(&c);
}

static void run_leases(void) {
  rt_err err = {0};
  rt_kin_lease_opts o = {.table = "fuzzapp", .worker = "fuzz-worker", .identity = IDENTITY};
  rt_kin_leases *l = rt_kin_leases_new(&g_cfg, &o, &err);
  if (!l) {
    if (err.msg[0] == '\0')
      abort();
    return;
  }
  rt_kin_shard v[2] = {{.shard_id = SHARD0},
                       {.shard_id = "shardId-000000000001", .parent_shard_id = SHARD0}};
  rt_kin_shards shards = {v, 2, NULL};
  int rc = rt_kin_leases_sync(l, &shards, "TRIM_HORIZON", &err);
  fuzz_check_err(rc, &err);
  rc = rt_kin_leases_tick(l, 100000, &err);
  fuzz_check_err(rc, &err);
  int n = rt_kin_leases_count_all(l);
  for (int i = 0; i < n; i++) {
    const char *shard = rt_kin_leases_shard_at(l, i);
    if (!shard)
      abort();
    rt_kin_leases_checkpoint_of(l, shard);
    if (!rt_kin_leases_held(l, shard))
      continue;
    char *seq = NULL, *id = rt_xstrdup(shard); /* the next calls may rescan */
    void *state = NULL;
    size_t len = 0;
    rc = rt_kin_leases_load_state(l, id, &seq, &state, &len, &err);
    check_load(rc, &err, seq, state);
    rt_free(seq);
    rt_free(state);
    rc = rt_kin_leases_checkpoint_state(l, id, "12345", "abc", 3, &err);
    fuzz_check_err(rc, &err);
    rt_free(id);
    break;
  }
  fuzz_check_err(rt_kin_leases_release_all(l, &err), &err);
  rt_kin_leases_free(&l);
}

static int take_partial(void *ctx, const char *shard, const void *data, size_t len) {
  unsigned sum = 0; /* reads every byte: ASan checks the buffer */
  for (size_t i = 0; i < len; i++)
    sum += ((const unsigned char *)data)[i];
  *(unsigned *)ctx += sum + (shard ? 1u : 0u);
  return 0;
}

static void run_partials(void) {
  rt_err err = {0};
  rt_dist_partials *p = rt_dist_partials_new(&g_cfg, "fuzzapp", NULL, &err);
  if (!p) {
    if (err.msg[0] == '\0')
      abort();
    return;
  }
  rt_dist_mark *marks = NULL;
  size_t n = 0;
  int rc = rt_dist_partials_marks(p, &marks, &n, &err);
  fuzz_check_err(rc, &err);
  rt_free(marks);
  rt_dist_window *w = NULL;
  rc = rt_dist_partials_windows(p, true, 0, 3600000, &w, &n, &err);
  fuzz_check_err(rc, &err);
  rt_free(w);
  unsigned sum = 0;
  rc = rt_dist_partials_get(p, 0, 10000, take_partial, &sum, &err);
  fuzz_check_err(rc, &err);
  rt_dist_shard *shards = NULL;
  rc = rt_dist_partials_leases(p, "fuzzapp", &shards, &n, &err);
  fuzz_check_err(rc, &err);
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (!shards[i].shard)
      abort();
  rt_dist_shards_free(&shards, n);
  size_t deleted = 0;
  fuzz_check_err(rt_dist_partials_collect(p, 3600000, 0, &deleted, &err), &err);
  rt_dist_partials_free(&p);
}

static void run_state(void) {
  static const char bytes[] = "0123456789";
  rt_err err = {0};
  rt_awsj *ddb = rt_ddb_new(&g_cfg, &err);
  if (!ddb)
    abort();
  rt_ddb_state_meta m = {.version = "00000000000000ab", .chunks = 1, .bytes = 10,
                         .checksum = rt_ddb_state_checksum(bytes, 10),
                         .sequence = "12345", .identity = IDENTITY};
  void *data = NULL;
  size_t len = 0;
  int rc = rt_ddb_state_read(ddb, "fuzzapp-state", "fuzzapp", SHARD0, &m, IDENTITY, &data,
                             &len, &err);
  check_load(rc, &err, NULL, data);
  if (rc == 0 && (!data || len != 10 || rt_ddb_state_checksum(data, len) != m.checksum))
    abort(); /* part of a state, or another one */
  rt_free(data);
  rt_awsj_free(&ddb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_cfg.region[0])
    fuzz_aws_config(&g_cfg);
  size_t skip;
  int reader = fuzz_pick(data, size, READERS, NREADERS, &skip);
  fuzz_script s;
  fuzz_script_start(&s, data + skip, size - skip);
  if (reader == 0)
    run_checkpoint();
  else if (reader == 1)
    run_leases();
  else if (reader == 2)
    run_partials();
  else
    run_state();
  return 0;
}
