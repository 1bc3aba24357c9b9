/*
 * The peer of the Kinesis consumer's ceiling benchmark: a plain loop of
 * GetRecords calls through the same client (rt_kinesis), one shard after the
 * other, each from TRIM_HORIZON to its tip with Limit 10,000. No pacing, no
 * threads, no queue, no batches: what reading the stream costs at least.
 * bench/kinesis_ceiling.py runs it beside `eddy run` on the same stream.
 *
 *   ./kinesis_ceiling STREAM        (endpoint from AWS_ENDPOINT_URL_KINESIS)
 *
 * Prints "records N seconds S calls C" on one line.
 */
#include "rt_aws.h"
#include "rt_kinesis.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <stdio.h>
#include <string.h>

/* Reads one shard to its tip; adds to *records and *calls. Returns 0 or RT_E*. */
static int read_shard(rt_awsj *k, const char *stream, const char *shard, size_t *records,
                      size_t *calls, rt_err *err) {
  rt_kin_position pos = {.type = RT_KIN_TRIM_HORIZON};
  char *it = NULL;
  int rc = rt_kin_get_iterator(k, stream, shard, &pos, &it, err);
  rt_kin_get_result g = {0};
  while (rc == 0 && it) {
    rc = rt_kin_get_records(k, it, RT_KIN_GET_MAX_RECORDS, &g, err);
    if (rc != 0)
      break;
    (*calls)++;
    *records += g.n;
    rt_free(it);
    it = g.next_iterator;
    g.next_iterator = NULL;
    if (g.n == 0 && g.millis_behind <= 0)
      break; /* at the tip */
  }
  rt_kin_get_result_clear(&g);
  rt_free(it);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: kinesis_ceiling STREAM\n");
    return 2;
  }
  rt_err err;
  rt_err_clear(&err);
  rt_aws_config cfg;
  rt_aws_settings set;
  memset(&set, 0, sizeof(set));
  if (rt_aws_resolve(&cfg, &set, &err) != 0) {
    fprintf(stderr, "kinesis_ceiling: %s\n", err.msg);
    return 1;
  }
  rt_awsj *k = rt_kin_new(&cfg, NULL, &err);
  if (!k) {
    fprintf(stderr, "kinesis_ceiling: %s\n", err.msg);
    return 1;
  }
  int64_t t0 = rt_mono_ns();
  rt_kin_shards shards = {0};
  size_t records = 0, calls = 0;
  int rc = rt_kin_list_shards(k, argv[1], &shards, &err);
  for (size_t i = 0; rc == 0 && i < shards.n; i++)
    rc = read_shard(k, argv[1], shards.v[i].shard_id, &records, &calls, &err);
  double secs = (double)(rt_mono_ns() - t0) / 1e9;
  rt_kin_shards_clear(&shards);
  rt_awsj_free(&k);
  if (rc != 0) {
    fprintf(stderr, "kinesis_ceiling: %s\n", err.msg);
    return 1;
  }
  printf("records %zu seconds %.3f calls %zu\n", records, secs, calls);
  return 0;
}
