/*
 * DynamoDB calls over the AWS JSON transport (rt_aws_json.h): every call is
 * the client's own blocking request, so one store must not call from two
 * threads at once, which neither does. Written once here because the
 * checkpoint store and the lease table had each grown a copy of the Scan
 * paging and the table creation.
 */
#include "rt_dynamodb.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum {
  DDB_TIMEOUT_MS = 5000,     /* per call */
  DDB_MAX_PAGES = 10000,     /* a Scan longer than this is a loop, not a table */
  DDB_ACTIVE_POLLS = 600,    /* table creation: 600 x 100 ms */
  DDB_ACTIVE_POLL_US = 100000,
};

rt_awsj *rt_ddb_new(const rt_aws_config *cfg, rt_err *err) {
  rt_awsj_opts o = {.timeout_ms = DDB_TIMEOUT_MS};
  return rt_awsj_new(cfg, RT_AWSJ_SERVICE_DYNAMODB, &o, err);
}

int rt_ddb_each_item(rt_awsj *ddb, const char *action, json_t *body, rt_ddb_item_fn fn,
                     void *ctx, rt_err *err) {
  int rc = 0;
  for (int page = 0;; page++) {
    if (page == DDB_MAX_PAGES) {
      rc = rt_err_set(err, RT_EPROTO, "DynamoDB %s of %s: more than %d pages", action,
                      json_string_value(json_object_get(body, "TableName")), DDB_MAX_PAGES);
      break;
    }
    json_t *out = NULL;
    if ((rc = rt_awsj_call(ddb, action, json_incref(body), &out, err)) != 0)
      break;
    json_t *items = json_object_get(out, "Items");
    for (size_t i = 0; i < json_array_size(items); i++)
      fn(ctx, json_array_get(items, i));
    json_t *next = json_object_get(out, "LastEvaluatedKey"); /* the next page's start */
    if (next)
      json_object_set(body, "ExclusiveStartKey", next);
    json_decref(out);
    if (!next)
      break;
  }
  json_decref(body);
  return rc;
}

int rt_ddb_scan_all(rt_awsj *ddb, const char *table, bool consistent, rt_ddb_item_fn fn,
                    void *ctx, rt_err *err) {
  json_t *body = json_pack("{s:s}", "TableName", table);
  if (consistent)
    json_object_set_new(body, "ConsistentRead", json_true());
  return rt_ddb_each_item(ddb, "Scan", body, fn, ctx, err);
}

enum {
  DDB_ATTEMPTS = 6,          /* rt_ddb_call_retry: first try + 5 retries */
  DDB_BACKOFF_BASE_MS = 50,
  DDB_BACKOFF_CAP_MS = 2000,
};

int rt_ddb_call_retry(rt_awsj *ddb, const char *action, json_t *body, json_t **out,
                      int *retried, rt_err *err) {
  uint64_t rng = (uint64_t)(uintptr_t)ddb ^ (uint64_t)getpid();
  if (retried)
    *retried = 0;
  for (int attempt = 0;; attempt++) {
    int last = attempt + 1 >= DDB_ATTEMPTS;
    int rc = rt_awsj_call(ddb, action, last ? body : json_incref(body), out, err);
    rt_awsj_class k = rt_awsj_req_class(rt_awsj_sync_req(ddb));
    int again = rc != 0 && (k == RT_AWSJ_THROTTLED || k == RT_AWSJ_RETRYABLE);
    if (again && retried && rc != RT_ESERVER && rc != RT_ETHROTTLED)
      *retried = 1; /* cut or timed out: the server may have applied it */
    if (!again || last) {
      if (!last) /* the call took the extra reference; ours is left */
        json_decref(body);
      return rc;
    }
    usleep((useconds_t)rt_awsj_backoff_ms(attempt, DDB_BACKOFF_BASE_MS, DDB_BACKOFF_CAP_MS,
                                          &rng) * 1000);
  }
}

/* The type of attribute name in a DescribeTable answer's definitions, or "?". */
static const char *attr_type(json_t *tab, const char *name) {
  json_t *defs = json_object_get(tab, "AttributeDefinitions");
  for (size_t i = 0; i < json_array_size(defs); i++) {
    json_t *d = json_array_get(defs, i);
    const char *n = rt_awsj_str(d, "AttributeName");
    if (n && strcmp(n, name) == 0) {
      const char *t = rt_awsj_str(d, "AttributeType");
      return t ? t : "?";
    }
  }
  return "?";
}

/* Writes tab's key schema as "leaseKey S HASH, part S RANGE" into out. */
static void schema_text(json_t *tab, char *out, size_t n) {
  json_t *ks = json_object_get(tab, "KeySchema");
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < json_array_size(ks) && used < n; i++) {
    const char *name = rt_awsj_str(json_array_get(ks, i), "AttributeName");
    const char *kt = rt_awsj_str(json_array_get(ks, i), "KeyType");
    int w = snprintf(out + used, n - used, "%s%s %s %s", i ? ", " : "", name ? name : "?",
                     name ? attr_type(tab, name) : "?", kt ? kt : "?");
    used += w > 0 ? (size_t)w : 0;
  }
}

/* The table's TableStatus ("ACTIVE", "CREATING", ...) into status; with want
 * (the expected schema text) not NULL, refuses a table whose key schema
 * differs. */
static int table_status(rt_awsj *ddb, const char *table, const char *want, char *status,
                        size_t n, rt_err *err) {
  json_t *out;
  int rc = rt_awsj_call(ddb, "DescribeTable", json_pack("{s:s}", "TableName", table), &out, err);
  if (rc == 0) {
    json_t *tab = json_object_get(out, "Table");
    const char *st = rt_awsj_str(tab, "TableStatus");
    snprintf(status, n, "%s", st ? st : "?");
    char have[256];
    schema_text(tab, have, sizeof(have));
    if (want && strcmp(have, want) != 0)
      rc = rt_err_set(err, RT_EINVAL,
                      "DynamoDB table %s has the key schema (%s), not (%s): it belongs to "
                      "something else; it was left untouched, use another `as` name",
                      table, have, want);
  }
  json_decref(out);
  return rc;
}

int rt_ddb_ensure_table(rt_awsj *ddb, const char *table, const char *hash, const char *htype,
                        const char *range, const char *rtype, rt_err *err) {
  char want[256], status[32];
  if (range)
    snprintf(want, sizeof(want), "%s %s HASH, %s %s RANGE", hash, htype, range, rtype);
  else
    snprintf(want, sizeof(want), "%s %s HASH", hash, htype);
  int rc = table_status(ddb, table, want, status, sizeof(status), err);
  if (rc == RT_ENOTFOUND) {
    json_t *body = json_pack("{s:s, s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}", "TableName", table,
                             "KeySchema", "AttributeName", hash, "KeyType", "HASH",
                             "AttributeDefinitions", "AttributeName", hash, "AttributeType",
                             htype, "BillingMode", "PAY_PER_REQUEST");
    if (range) {
      json_array_append_new(json_object_get(body, "KeySchema"),
                            json_pack("{s:s, s:s}", "AttributeName", range, "KeyType", "RANGE"));
      json_array_append_new(json_object_get(body, "AttributeDefinitions"),
                            json_pack("{s:s, s:s}", "AttributeName", range, "AttributeType",
                                      rtype));
    }
    rc = rt_awsj_call(ddb, "CreateTable", body, NULL, err);
    if (rc == RT_EEXIST) /* someone else created it meanwhile: check it below */
      rc = 0;
    snprintf(status, sizeof(status), "CREATING");
  }
  for (int i = 0; rc == 0 && strcmp(status, "ACTIVE") != 0; i++) {
    if (i == DDB_ACTIVE_POLLS)
      return rt_err_set(err, RT_ETIMEDOUT, "DynamoDB table %s is still %s after %d s", table,
                        status, DDB_ACTIVE_POLLS * (DDB_ACTIVE_POLL_US / 1000) / 1000);
    usleep(DDB_ACTIVE_POLL_US);
    rc = table_status(ddb, table, want, status, sizeof(status), err);
  }
  return rc;
}

int rt_ddb_ensure_lease_table(rt_awsj *ddb, const char *table, rt_err *err) {
  return rt_ddb_ensure_table(ddb, table, "leaseKey", "S", NULL, NULL, err);
}
