/*
 * The Kinesis sink: result rows -> JSON -> rt_producer. It owns its own
 * client, so the query thread never shares curl handles with a source.
 */
#include "rt_sink_kinesis.h"

#include "rt_aws.h"
#include "rt_buf.h"
#include "rt_kinesis.h"
#include "rt_mem.h"
#include "rt_producer.h"
#include "rt_value.h"

#include <stdio.h>
#include <string.h>

struct rt_sink_kinesis {
  rt_awsj *k;         /* owned client */
  rt_producer *p;     /* owned producer */
  rt_buf json, key;   /* scratch for one row */
  unsigned long long counter; /* default partition keys */
};

static int make_client(const rt_sink_kinesis_opts *o, rt_awsj **out, rt_err *err) {
  rt_aws_settings set;
  memset(&set, 0, sizeof(set));
  if ((o->region && strlen(o->region) >= sizeof(set.region)) ||
      (o->endpoint && strlen(o->endpoint) >= sizeof(set.endpoint)))
    return rt_err_set(err, RT_ETOOBIG, "region or endpoint setting too long");
  if (o->region)
    snprintf(set.region, sizeof(set.region), "%s", o->region);
  if (o->endpoint)
    snprintf(set.endpoint, sizeof(set.endpoint), "%s", o->endpoint);
  rt_aws_config cfg;
  int rc = rt_aws_resolve(&cfg, &set, err);
  if (rc != 0)
    return rc;
  *out = rt_kin_new(&cfg, NULL, err);
  return *out ? 0 : (err && err->code ? err->code : RT_EAUTH);
}

int rt_sink_kinesis_open(const rt_sink_kinesis_opts *o, rt_sink_kinesis **out, rt_err *err) {
  *out = NULL;
  if (!o || !o->stream || !o->stream[0])
    return rt_err_set(err, RT_EINVAL, "into kinesis needs a stream name");
  rt_sink_kinesis *s = rt_xcalloc(1, sizeof(*s));
  rt_buf_init(&s->json, 0);
  rt_buf_init(&s->key, 0);
  int rc = make_client(o, &s->k, err);
  if (rc == 0)
    rc = rt_kin_wait_active(s->k, o->stream, 10000, err);
  rt_producer_opts po = {.stream = o->stream, .aggregate = o->aggregate};
  if (rc == 0 && !(s->p = rt_producer_new(s->k, &po, err)))
    rc = err && err->code ? err->code : RT_EIO;
  if (rc != 0) {
    rt_sink_kinesis_free(&s);
    return rc;
  }
  *out = s;
  return 0;
}

/* The partition key of row i into s->key. */
static void row_key(rt_sink_kinesis *s, const rt_result *res, size_t i, int key_col) {
  rt_buf_clear(&s->key);
  if (key_col < 0 || key_col >= rt_result_ncols(res)) {
    rt_buf_printf(&s->key, "row-%llu", s->counter++);
    return;
  }
  rt_value v = rt_result_get(res, i, key_col);
  if (v.type == RT_STRING)
    rt_buf_append(&s->key, v.u.str.ptr, v.u.str.len);
  else
    rt_value_write_json(v, &s->key);
  if (s->key.len > 256)
    s->key.data[s->key.len = 256] = '\0';
  if (s->key.len == 0)
    rt_buf_puts(&s->key, "-");
  for (size_t j = 0; j < s->key.len; j++)
    if (s->key.data[j] == '\0')
      s->key.data[j] = ' '; /* a NUL would cut the C string */
}

int rt_sink_kinesis_write(rt_sink_kinesis *s, const rt_result *res, int key_col, rt_err *err) {
  for (size_t i = 0; i < rt_result_nrows(res); i++) {
    rt_buf_clear(&s->json);
    int rc = rt_result_write_json_row(res, i, &s->json);
    if (rc == 0) {
      row_key(s, res, i, key_col);
      rc = rt_producer_add(s->p, s->key.data, s->json.data, s->json.len, err);
    }
    if (rc != 0)
      return rc;
  }
  return rt_producer_flush(s->p, err);
}

unsigned long long rt_sink_kinesis_rows(const rt_sink_kinesis *s) {
  return (unsigned long long)rt_producer_get_stats(s->p).user_records;
}

void rt_sink_kinesis_free(rt_sink_kinesis **sp) {
  if (!sp || !*sp)
    return;
  rt_sink_kinesis *s = *sp;
  if (s->p)
    rt_producer_flush(s->p, NULL);
  rt_producer_free(&s->p);
  rt_awsj_free(&s->k);
  rt_buf_free(&s->json);
  rt_buf_free(&s->key);
  rt_free(s);
  *sp = NULL;
}
