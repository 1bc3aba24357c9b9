/*
 * The one seam of rt_aws_json for tests and fuzzers: a process-wide
 * answerer that stands in for the network. With one set, every blocking
 * transfer (rt_awsj_req_perform, hence rt_awsj_call and every typed call
 * of rt_kinesis, rt_dynamodb, the leases, the checkpoint store and the
 * distributed partials) is answered by it instead of libcurl, and then
 * finished by the same code as a real answer: status classification, AWS
 * error bodies, the body cap. So a fuzzer can feed DynamoDB and Kinesis
 * answers to the production parsers through their real entry points.
 * Transfers run in a caller's curl multi handle are not answered by it.
 * Production code never sets it.
 */
#ifndef EDDY_RT_AWS_JSON_INT_H
#define EDDY_RT_AWS_JSON_INT_H

#include "rt_buf.h"

#include <curl/curl.h>

/*
 * Answers one request: service is "Kinesis" or "DynamoDB", action e.g.
 * "GetItem", body the request's JSON (all borrowed for the call). Sets
 * *status (the HTTP status) and appends the answer's body to resp (empty
 * when called); returns CURLE_OK, or a CURLcode for a failed transfer.
 */
typedef CURLcode (*rt_awsj_answer_fn)(void *ctx, const char *service, const char *action,
                                      const char *body, long *status, rt_buf *resp);

/* Installs fn (with ctx, borrowed until it is replaced) as the answerer of
 * every blocking transfer; NULL restores the network. Not thread-safe: set
 * it before any client is used. */
void rt_awsj__set_answerer(rt_awsj_answer_fn fn, void *ctx);

#endif
