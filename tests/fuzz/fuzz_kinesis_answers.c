/*
 * libFuzzer target for Kinesis answers as the runtime reads them: the first
 * line of the input names the call (ListShards, DescribeStreamSummary,
 * ListStreams, GetShardIterator, GetRecords, PutRecords), the rest is the
 * script of HTTP answers (fuzz_answers.h), played through the transport's
 * test seam into the production calls of rt_kinesis.c, with their paging,
 * error classification and body cap. A failure must come back as an RT_E*
 * code with a message, and a success must hold what the contracts promise.
 */
#include "fuzz_answers.h"
#include "rt_aws_json.h"
#include "rt_kinesis.h"
#include "rt_mem.h"

static const char *CALLS[] = {"ListShards", "DescribeStreamSummary", "ListStreams",
                              "GetShardIterator", "GetRecords", "PutRecords"};
enum { NCALLS = sizeof(CALLS) / sizeof(CALLS[0]) };

static rt_awsj *g_kin;

static void check_shards(const rt_kin_shards *s) {
  for (size_t i = 0; i < s->n; i++)
    if (!s->v[i].shard_id)
      abort();
}

static void check_records(const rt_kin_get_result *g) {
  size_t bytes = 0;
  for (size_t i = 0; i < g->n; i++) {
    const rt_kin_record *r = &g->records[i];
    if (!r->partition_key || !r->sequence || r->data[r->data_len] != '\0')
      abort();
    bytes += r->data_len;
  }
  if (bytes != g->data_bytes)
    abort();
  for (size_t i = 0; i < g->n_children; i++)
    if (!g->children[i].shard_id)
      abort();
}

static int run_put(rt_err *err) {
  static const char payload[] = "{\"v\":1}";
  rt_kin_put_entry e[3] = {{"a", NULL, payload, sizeof(payload) - 1},
                           {"b", "170141183460469231731687303715884105728", payload, 3},
                           {"c", NULL, "", 0}};
  rt_kin_put_status st[3];
  size_t failed = 0;
  rt_awsj_req *r = rt_awsj_sync_req(g_kin);
  int rc = rt_kin_put_records_prepare(r, "fuzz", e, 3, err);
  if (rc == 0)
    rc = rt_kin_put_records_parse(r, rt_awsj_req_perform(r), st, 3, &failed, err);
  if (rc == 0) {
    size_t bad = 0;
    for (int i = 0; i < 3; i++) {
      if (st[i].ok == (st[i].error[0] != '\0'))
        abort(); /* an entry is stored or says why not, never both */
      bad += !st[i].ok;
    }
    if (bad != failed)
      abort();
  }
  return rc;
}

static int run(int call, rt_err *err) {
  int rc = 0;
  if (call == 0) {
    rt_kin_shards s = {0};
    rc = rt_kin_list_shards(g_kin, "fuzz", &s, err);
    check_shards(&s);
    rt_kin_shards_clear(&s);
  } else if (call == 1) {
    rt_kin_stream_info info;
    rc = rt_kin_describe_stream(g_kin, "fuzz", &info, err);
    if (rc == 0 && (!info.status[0] || !info.mode[0]))
      abort();
  } else if (call == 2) {
    rt_kin_names names = {0};
    rc = rt_kin_list_streams(g_kin, &names, err);
    for (size_t i = 0; i < names.n; i++)
      if (!names.v[i])
        abort();
    rt_kin_names_clear(&names);
  } else if (call == 3) {
    char *it = NULL;
    rt_kin_position pos = {RT_KIN_AFTER_SEQUENCE_NUMBER, "49590338271490256608559692538361571095921575989136588898", 0};
    rc = rt_kin_get_iterator(g_kin, "fuzz", "shardId-000000000000", &pos, &it, err);
    if ((rc == 0) != (it != NULL))
      abort();
    rt_free(it);
  } else if (call == 4) {
    rt_kin_get_result g = {0};
    rc = rt_kin_get_records(g_kin, "AAAAFUZZITERATOR", 1000, &g, err);
    if (rc == 0)
      check_records(&g);
    rt_kin_get_result_clear(&g);
  } else {
    rc = run_put(err);
  }
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_kin) {
    rt_aws_config cfg;
    rt_err err;
    fuzz_aws_config(&cfg);
    rt_awsj_opts opts = {.max_body = 1 << 20}; /* a small cap, so the cap is fuzzed too */
    g_kin = rt_awsj_new(&cfg, RT_AWSJ_SERVICE_KINESIS, &opts, &err);
    if (!g_kin)
      abort();
  }
  size_t skip;
  int call = fuzz_pick(data, size, CALLS, NCALLS, &skip);
  fuzz_script s;
  fuzz_script_start(&s, data + skip, size - skip);
  rt_err err = {0};
  fuzz_check_err(run(call, &err), &err);
  return 0;
}
