/*
 * %streams, %describe and %create. Hash ranges are shown as percentages of the
 * 128-bit key space (start .. end), which is what a person checks after a
 * split; the exact decimal keys stay available through ListShards.
 */
#include "rt_kinesis_magic.h"

#include "rt_aws.h"
#include "rt_kinesis.h"
#include "rt_mem.h"

#include <stdio.h>
#include <string.h>

static int client(const char *region, const char *endpoint, rt_awsj **out, rt_err *err) {
  rt_aws_settings set;
  memset(&set, 0, sizeof(set));
  if ((region && strlen(region) >= sizeof(set.region)) ||
      (endpoint && strlen(endpoint) >= sizeof(set.endpoint)))
    return rt_err_set(err, RT_ETOOBIG, "region or endpoint setting too long");
  if (region)
    snprintf(set.region, sizeof(set.region), "%s", region);
  if (endpoint)
    snprintf(set.endpoint, sizeof(set.endpoint), "%s", endpoint);
  rt_aws_config cfg;
  int rc = rt_aws_resolve(&cfg, &set, err);
  if (rc != 0)
    return rc;
  rt_awsj_opts opts = {.timeout_ms = 5000};
  *out = rt_kin_new(&cfg, &opts, err);
  return *out ? 0 : (err && err->code ? err->code : RT_EAUTH);
}

int rt_kin_magic_streams(const char *region, const char *endpoint, rt_buf *out, rt_err *err) {
  rt_awsj *k = NULL;
  int rc = client(region, endpoint, &k, err);
  if (rc != 0)
    return rc;
  rt_kin_names names = {0};
  rc = rt_kin_list_streams(k, &names, err);
  if (rc == 0 && names.n == 0)
    rt_buf_printf(out, "no streams at %s\n", rt_awsj_endpoint(k));
  if (rc == 0 && names.n)
    rt_buf_printf(out, "%-32s %-10s %6s %10s\n", "stream", "status", "shards", "retention");
  for (size_t i = 0; rc == 0 && i < names.n; i++) {
    rt_kin_stream_info info;
    if (rt_kin_describe_stream(k, names.v[i], &info, NULL) != 0) {
      rt_buf_printf(out, "%-32s %-10s\n", names.v[i], "?");
      continue;
    }
    rt_buf_printf(out, "%-32s %-10s %6d %8d h\n", names.v[i], info.status, info.open_shards,
                  info.retention_hours);
  }
  rt_kin_names_clear(&names);
  rt_awsj_free(&k);
  return rc;
}

/* A decimal hash key as a percentage of 2^128. */
static double key_percent(const char *s) {
  long double v = 0;
  for (; s && *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (*s - '0');
  return (double)(v / 340282366920938463463374607431768211456.0L * 100.0L);
}

static void describe_shards(const rt_kin_shards *sh, rt_buf *out) {
  rt_buf_printf(out, "%-22s %-7s %-45s %s\n", "shard", "state", "parents", "hash keys");
  for (size_t i = 0; i < sh->n; i++) {
    const rt_kin_shard *s = &sh->v[i];
    char parents[96];
    snprintf(parents, sizeof(parents), "%s%s%s", s->parent_shard_id ? s->parent_shard_id : "-",
             s->adjacent_parent_shard_id ? " " : "",
             s->adjacent_parent_shard_id ? s->adjacent_parent_shard_id : "");
    rt_buf_printf(out, "%-22s %-7s %-45s %5.1f%% .. %5.1f%%\n", s->shard_id,
                  s->ending_sequence ? "closed" : "open", parents,
                  key_percent(s->starting_hash_key), key_percent(s->ending_hash_key));
  }
}

int rt_kin_magic_describe(const char *region, const char *endpoint, const char *stream,
                          rt_buf *out, rt_err *err) {
  if (!stream || !stream[0])
    return rt_err_set(err, RT_EINVAL, "%%describe needs a stream name");
  rt_awsj *k = NULL;
  int rc = client(region, endpoint, &k, err);
  if (rc != 0)
    return rc;
  rt_kin_stream_info info;
  rt_kin_shards shards = {0};
  rc = rt_kin_describe_stream(k, stream, &info, err);
  if (rc == RT_ENOTFOUND)
    rt_err_set(err, rc, "no stream \"%s\" at %s", stream, rt_awsj_endpoint(k));
  if (rc == 0)
    rc = rt_kin_list_shards(k, stream, &shards, err);
  if (rc == 0) {
    rt_buf_printf(out, "stream %s: %s, %s%d open shards, retention %d h\n", stream,
                  info.status, strcmp(info.mode, "ON_DEMAND") == 0 ? "on-demand, " : "",
                  info.open_shards, info.retention_hours);
    if (info.arn[0])
      rt_buf_printf(out, "arn: %s\n", info.arn);
    rt_buf_printf(out, "endpoint: %s\n", rt_awsj_endpoint(k));
    describe_shards(&shards, out);
  }
  rt_kin_shards_clear(&shards);
  rt_awsj_free(&k);
  return rc;
}

int rt_kin_magic_create(const char *region, const char *endpoint, const char *stream,
                        int shards, rt_buf *out, rt_err *err) {
  if (shards < 0 || shards > 10000)
    return rt_err_set(err, RT_EINVAL,
                      "%%create wants NAME shards N, N from 1 to 10000, or NAME on_demand");
  rt_awsj *k = NULL;
  int rc = client(region, endpoint, &k, err);
  if (rc != 0)
    return rc;
  rc = rt_kin_create_stream(k, stream, shards, err);
  if (rc == 0 && shards == 0)
    rc = rt_buf_printf(out, "Created on-demand stream %s.\n", stream);
  else if (rc == 0)
    rc = rt_buf_printf(out, "Created stream %s with %d shard%s.\n", stream, shards,
                       shards == 1 ? "" : "s");
  rt_awsj_free(&k);
  return rc;
}
