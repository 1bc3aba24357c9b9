/*
 * DynamoDB calls over the AWS JSON transport (rt_aws_json.h): every call is
 * the client's own blocking request, so one store must not call from two
 * threads at once, which neither does. Written once here because the
 * checkpoint store and the lease table had each grown a copy of the Scan
 * paging and the table creation.
 */
#include "rt_dynamodb.h"

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

int rt_ddb_scan_all(rt_awsj *ddb, const char *table, bool consistent, rt_ddb_item_fn fn,
                    void *ctx, rt_err *err) {
  json_t *start = NULL; /* LastEvaluatedKey of the previous page */
  for (int page = 0; page < DDB_MAX_PAGES; page++) {
    json_t *body = json_pack("{s:s}", "TableName", table), *out;
    if (consistent)
      json_object_set_new(body, "ConsistentRead", json_true());
    if (start)
      json_object_set_new(body, "ExclusiveStartKey", start);
    int rc = rt_awsj_call(ddb, "Scan", body, &out, err);
    if (rc != 0)
      return rc;
    json_t *items = json_object_get(out, "Items");
    for (size_t i = 0; i < json_array_size(items); i++)
      fn(ctx, json_array_get(items, i));
    start = json_object_get(out, "LastEvaluatedKey");
    start = start ? json_deep_copy(start) : NULL;
    json_decref(out);
    if (!start)
      return 0;
  }
  json_decref(start);
  return rt_err_set(err, RT_EPROTO, "DynamoDB Scan of %s: more than %d pages", table,
                    DDB_MAX_PAGES);
}

/* The table's TableStatus ("ACTIVE", "CREATING", ...) into status. */
static int table_status(rt_awsj *ddb, const char *table, char *status, size_t n, rt_err *err) {
  json_t *out;
  int rc = rt_awsj_call(ddb, "DescribeTable", json_pack("{s:s}", "TableName", table), &out, err);
  if (rc == 0) {
    const char *st = rt_awsj_str(json_object_get(out, "Table"), "TableStatus");
    snprintf(status, n, "%s", st ? st : "?");
  }
  json_decref(out);
  return rc;
}

int rt_ddb_ensure_lease_table(rt_awsj *ddb, const char *table, rt_err *err) {
  char status[32];
  int rc = table_status(ddb, table, status, sizeof(status), err);
  if (rc == RT_ENOTFOUND) {
    json_t *body = json_pack(
        "{s:s, s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}", "TableName", table, "KeySchema",
        "AttributeName", "leaseKey", "KeyType", "HASH", "AttributeDefinitions", "AttributeName",
        "leaseKey", "AttributeType", "S", "BillingMode", "PAY_PER_REQUEST");
    rc = rt_awsj_call(ddb, "CreateTable", body, NULL, err);
    if (rc == RT_EEXIST) /* someone else created it meanwhile */
      rc = 0;
    snprintf(status, sizeof(status), "CREATING");
  }
  for (int i = 0; rc == 0 && strcmp(status, "ACTIVE") != 0; i++) {
    if (i == DDB_ACTIVE_POLLS)
      return rt_err_set(err, RT_ETIMEDOUT, "DynamoDB table %s is still %s after %d s", table,
                        status, DDB_ACTIVE_POLLS * (DDB_ACTIVE_POLL_US / 1000) / 1000);
    usleep(DDB_ACTIVE_POLL_US);
    rc = table_status(ddb, table, status, sizeof(status), err);
  }
  return rc;
}
