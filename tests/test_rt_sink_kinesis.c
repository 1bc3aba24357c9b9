/*
 * Tests of the `into kinesis` sink against kinesalite: rows come back as the
 * same JSON `into file` writes, keyed by the chosen column (or a counter),
 * and a missing stream fails at open.
 */
#include "rt_kinesis.h"
#include "rt_mem.h"
#include "rt_result.h"
#include "rt_sink_kinesis.h"
#include "test.h"
#include "test_rt_kinesis_server.h"

static server srv;

/* Reads every record of stream (all shards) into keys/data arrays. */
static int read_all(rt_awsj *k, const char *stream, char keys[][32], char data[][256], int max) {
  rt_kin_shards shards = {0};
  ASSERT_EQ(rt_kin_list_shards(k, stream, &shards, NULL), 0);
  int n = 0;
  for (size_t s = 0; s < shards.n; s++) {
    rt_kin_position pos = {.type = RT_KIN_TRIM_HORIZON};
    char *it = NULL;
    ASSERT_EQ(rt_kin_get_iterator(k, stream, shards.v[s].shard_id, &pos, &it, NULL), 0);
    rt_kin_get_result g = {0};
    ASSERT_EQ(rt_kin_get_records(k, it, 1000, &g, NULL), 0);
    for (size_t i = 0; i < g.n && n < max; i++, n++) {
      snprintf(keys[n], 32, "%s", g.records[i].partition_key);
      snprintf(data[n], 256, "%s", (const char *)g.records[i].data);
    }
    rt_kin_get_result_clear(&g);
    rt_free(it);
  }
  rt_kin_shards_clear(&shards);
  return n;
}

static rt_result *make_result(void) {
  static const char *const cols[] = {"window_start", "device_id", "n"};
  rt_result *res = rt_result_new(3, cols);
  const char *devs[] = {"sensor-001", "sensor-002", "sensor-003"};
  for (int i = 0; i < 3; i++) {
    rt_value row[3] = {rt_time(1795219200000 + i), rt_string(devs[i], strlen(devs[i])),
                       rt_number(10 * (i + 1))};
    rt_result_add_row(res, row);
  }
  return res;
}

static void test_sink(void) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "%s", srv.url);
  rt_awsj *k = rt_kin_new(&cfg, NULL, NULL);
  ASSERT_EQ(rt_kin_create_stream(k, "out", 2, NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(k, "out", 5000, NULL), 0);

  rt_err err;
  rt_sink_kinesis *s = NULL;
  rt_sink_kinesis_opts o = {.stream = "nope", .endpoint = srv.url, .region = "us-east-1"};
  ASSERT_EQ(rt_sink_kinesis_open(&o, &s, &err), RT_ENOTFOUND);
  ASSERT(s == NULL);
  o.stream = "out";
  ASSERT_EQ(rt_sink_kinesis_open(&o, &s, &err), 0);
  rt_result *res = make_result();
  ASSERT_EQ(rt_sink_kinesis_write(s, res, 1, &err), 0);
  ASSERT_EQ(rt_sink_kinesis_write(s, res, -1, &err), 0);
  ASSERT_EQ(rt_sink_kinesis_rows(s), 6);
  rt_sink_kinesis_free(&s);
  ASSERT(s == NULL);

  char keys[16][32], data[16][256];
  int n = read_all(k, "out", keys, data, 16);
  ASSERT_EQ(n, 6);
  int by_device = 0, by_row = 0;
  for (int i = 0; i < n; i++) {
    ASSERT(strstr(data[i], "\"window_start\":\"2026-11-21T") != NULL);
    ASSERT(strstr(data[i], "\"device_id\":\"sensor-00") != NULL);
    if (strncmp(keys[i], "sensor-00", 9) == 0) {
      by_device++;
      ASSERT(strstr(data[i], keys[i]) != NULL); /* keyed by its own device */
    } else {
      ASSERT(strncmp(keys[i], "row-", 4) == 0);
      by_row++;
    }
  }
  ASSERT_EQ(by_device, 3);
  ASSERT_EQ(by_row, 3);
  rt_result_free(&res);
  rt_awsj_free(&k);
}

int main(void) {
  server_start(&srv);
  TEST_RUN(test_sink);
  server_stop(&srv);
  return test_summary();
}
