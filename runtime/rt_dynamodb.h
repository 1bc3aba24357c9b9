/*
 * rt_dynamodb: the DynamoDB calls shared by the two stores that keep KCL's
 * lease-table layout: the checkpoint store (rt_kinesis_checkpoint.c) and the
 * lease table of scaled-out workers (rt_kinesis_lease.c). DynamoDB speaks
 * AWS's JSON protocol like Kinesis, so a DynamoDB client is an rt_awsj
 * (rt_aws_json.h) made with RT_AWSJ_SERVICE_DYNAMODB, and single calls are
 * rt_awsj_call() ("DynamoDB ACTION: Type: message" on failure; a failed
 * ConditionExpression is RT_ECONFLICT, a missing table RT_ENOTFOUND, an
 * existing one RT_EEXIST). This module adds the client's settings, a Scan
 * that follows every page, and the creation of a lease table. Blocking
 * calls, on the caller's thread, one client per store.
 */
#ifndef EDDY_RT_DYNAMODB_H
#define EDDY_RT_DYNAMODB_H

#include "rt_aws.h"
#include "rt_aws_json.h"
#include "rt_err.h"

#include <jansson.h>
#include <stdbool.h>

/* A DynamoDB client for cfg's DynamoDB endpoint, 5 s per call. Returns NULL
 * with err filled when there are no credentials or libcurl cannot start.
 * Caller owns it; free with rt_awsj_free(). */
rt_awsj *rt_ddb_new(const rt_aws_config *cfg, rt_err *err);

/* Receives one scanned item (borrowed: valid during the call only). */
typedef void (*rt_ddb_item_fn)(void *ctx, json_t *item);

/*
 * Calls action ("Scan" or "Query") with body (taken; it names TableName)
 * page after page, following LastEvaluatedKey to the end, and hands each
 * item to fn in order. Returns 0, the first failing call's code, or
 * RT_EPROTO after 10,000 pages; items of the pages read before a failure
 * have been handed over.
 */
int rt_ddb_each_item(rt_awsj *ddb, const char *action, json_t *body, rt_ddb_item_fn fn,
                     void *ctx, rt_err *err);

/* rt_ddb_each_item() of a Scan of the whole table; consistent asks for
 * strongly consistent reads. */
int rt_ddb_scan_all(rt_awsj *ddb, const char *table, bool consistent, rt_ddb_item_fn fn,
                    void *ctx, rt_err *err);

/*
 * rt_awsj_call() that retries what retrying can fix: throttling
 * (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded), 5xx,
 * cut connections and timeouts, up to 6 attempts with jittered exponential
 * backoff (50 ms doubling to 2 s, slept on the caller's thread). body is
 * taken; *out as rt_awsj_call. *retried (may be NULL) is set to 1 when an
 * attempt failed in a way that may still have been applied (a cut answer, a
 * timeout): a conditional write that then fails its condition may have
 * failed on its own earlier success, and the caller must re-read to know.
 * Returns 0 or the last attempt's RT_E* code with err filled.
 */
int rt_ddb_call_retry(rt_awsj *ddb, const char *action, json_t *body, json_t **out,
                      int *retried, rt_err *err);

/*
 * Makes sure table exists with the key schema hash (type htype: "S", "N" or
 * "B") and, when range is not NULL, range (type rtype), billed per request,
 * and is ACTIVE: creates it when missing (one created by someone else
 * meanwhile is fine) and waits for it, polling every 100 ms for at most
 * 60 s. An existing table with any other key schema is refused with
 * RT_EINVAL and a message naming both schemas, and is left untouched.
 * Returns 0, the failing call's code, RT_EINVAL or RT_ETIMEDOUT.
 */
int rt_ddb_ensure_table(rt_awsj *ddb, const char *table, const char *hash, const char *htype,
                        const char *range, const char *rtype, rt_err *err);

/* rt_ddb_ensure_table() for KCL's lease layout: hash key leaseKey, a string. */
int rt_ddb_ensure_lease_table(rt_awsj *ddb, const char *table, rt_err *err);

#endif
