/*
 * rt_aws_json: the transport of AWS's JSON protocol, which Kinesis and
 * DynamoDB both speak: a POST of a JSON body to the service's endpoint with
 * X-Amz-Target naming the action, signed with libcurl's own SigV4
 * (CURLOPT_AWS_SIGV4), the answer read into a capped buffer and parsed with
 * jansson, and every failure classified so callers know whether to back
 * off, retry, renew an iterator or give up. The services' typed operations
 * live in rt_kinesis (Kinesis) and rt_dynamodb (DynamoDB); the credentials,
 * region and endpoints come from rt_aws.
 *
 * A request is prepared (configure its easy handle), transferred (blocking
 * with rt_awsj_req_perform, or in the caller's curl multi handle through
 * rt_awsj_req_easy), then finished (turn the transfer into a JSON object or
 * an error). A client owns one request of its own for blocking calls
 * (rt_awsj_call), so consecutive calls reuse one keep-alive connection.
 *
 * Errors: every call returns 0 or a negative RT_E* code, with the service,
 * action, AWS error type and message in err->msg ("Kinesis GetRecords:
 * ExpiredIteratorException: ..."). The class of the last failure is
 * available from rt_awsj_req_class():
 *   RT_ETHROTTLED  throttled (ProvisionedThroughputExceeded, LimitExceeded,
 *                  KMSThrottling, RequestLimitExceeded): back off, retry
 *   RT_ESERVER / RT_ENET / RT_ETIMEDOUT  5xx, connection failures, request
 *                  timeouts: retryable (a timed-out put may have succeeded)
 *   RT_ETIMEDOUT with class RT_AWSJ_EXPIRED  ExpiredIteratorException /
 *                  ExpiredNextTokenException: get a new iterator / restart
 *   RT_ENOTFOUND   ResourceNotFoundException
 *   RT_EEXIST      ResourceInUseException (stream or table exists, or is
 *                  UPDATING)
 *   RT_EINVAL      ValidationException, InvalidArgumentException, ...
 *   RT_EAUTH       credentials, signature and KMS access errors
 *   RT_ETOOBIG     response over the body cap, or HTTP 413
 *   RT_EPROTO      a response that is not the JSON we expect
 *   RT_ECONFLICT   ConditionalCheckFailedException, TransactionConflict
 *
 * Not thread-safe: a client and its requests belong to one thread.
 */
#ifndef EDDY_RT_AWS_JSON_H
#define EDDY_RT_AWS_JSON_H

#include "rt_aws.h"
#include "rt_err.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Failure classes (rt_awsj_req_class()). */
typedef enum rt_awsj_class {
  RT_AWSJ_OK = 0,
  RT_AWSJ_THROTTLED, /* back off (>= 1 s for GetRecords), then retry */
  RT_AWSJ_RETRYABLE, /* 5xx, network, timeout: retry with backoff */
  RT_AWSJ_EXPIRED,   /* iterator or NextToken expired: renew it */
  RT_AWSJ_FATAL,     /* retrying the same request cannot help */
} rt_awsj_class;

/* Which service a client speaks. Signing, timeouts, retry classes and capped
 * bodies are the same; Kinesis is JSON 1.1 with target
 * Kinesis_20131202.<Action> at cfg->kinesis_endpoint, DynamoDB is JSON 1.0
 * with target DynamoDB_20120810.<Action> at cfg->dynamodb_endpoint. */
typedef enum rt_awsj_service {
  RT_AWSJ_SERVICE_KINESIS = 0,
  RT_AWSJ_SERVICE_DYNAMODB = 1,
} rt_awsj_service;

/* Client options; zero fields take the defaults. */
typedef struct rt_awsj_opts {
  long timeout_ms;         /* whole request; default 10,000 */
  long connect_timeout_ms; /* default 3,000 */
  size_t max_body;         /* response cap; default 64 MiB (10 MB of data in base64 + JSON) */
} rt_awsj_opts;

typedef struct rt_awsj rt_awsj;         /* a client: service, endpoint, region, credentials */
typedef struct rt_awsj_req rt_awsj_req; /* one in-flight request and its easy handle */

/*
 * Makes a client for service at its endpoint in cfg (copied; cfg may go
 * away). opts may be NULL. The client signs with cfg's static keys, or else
 * with the process's shared credentials provider for cfg's profile
 * (runtime/rt_aws_creds.h), which the first client resolves (blocking:
 * STS, SSO, instance metadata...) and keeps fresh; every request reads the
 * provider's current credentials. Returns NULL with err set (RT_EAUTH when
 * there are no credentials for a non-loopback endpoint, the chain's error
 * when a source fails, RT_EIO when libcurl cannot start). Caller frees with
 * rt_awsj_free().
 */
rt_awsj *rt_awsj_new(const rt_aws_config *cfg, rt_awsj_service service, const rt_awsj_opts *opts,
                     rt_err *err);

/* Frees the client and NULLs *c; accepts NULL. Its requests must be freed first. */
void rt_awsj_free(rt_awsj **c);

/* The endpoint URL requests go to (borrowed, valid while c lives). */
const char *rt_awsj_endpoint(const rt_awsj *c);

/*
 * Calls action ("DescribeStreamSummary", "UpdateItem", ...) with body, which
 * is taken (freed here whatever happens), on the client's own request, and
 * waits for the answer. On 0 the response object is stored in *out (caller
 * owns: json_decref), or dropped when out is NULL; on failure *out is NULL
 * and the RT_E* code is returned with err filled.
 */
int rt_awsj_call(rt_awsj *c, const char *action, json_t *body, json_t **out, rt_err *err);

/* The client's own request, for blocking calls that prepare and finish it
 * themselves (borrowed, valid while c lives; never put it in a multi handle). */
rt_awsj_req *rt_awsj_sync_req(rt_awsj *c);

/* A new request bound to c (which must outlive it). Caller frees with rt_awsj_req_free(). */
rt_awsj_req *rt_awsj_req_new(rt_awsj *c);

/* Frees a request (it must not be in a multi handle) and NULLs *r; accepts NULL. */
void rt_awsj_req_free(rt_awsj_req **r);

/* The easy handle of a prepared request, to add to a multi handle (borrowed). */
CURL *rt_awsj_req_easy(rt_awsj_req *r);

/* Prepares r to send action (e.g. "ListShards") with the JSON body (copied).
 * Returns 0 or RT_EINVAL. */
int rt_awsj_req_prepare(rt_awsj_req *r, const char *action, const char *json_body, rt_err *err);

/* Serializes body (borrowed) and prepares action with it. Returns 0 or RT_EINVAL. */
int rt_awsj_req_prepare_json(rt_awsj_req *r, const char *action, json_t *body, rt_err *err);

/* Overrides the client's request timeout for the prepared request (until the
 * next prepare, which restores the default). */
void rt_awsj_req_set_timeout(rt_awsj_req *r, long timeout_ms);

/* Runs a prepared request to completion (blocking) and returns its CURLcode,
 * for rt_awsj_req_finish(). */
CURLcode rt_awsj_req_perform(rt_awsj_req *r);

/*
 * Finishes a transfer that ended with cc: classifies the CURLcode, the HTTP
 * status and an AWS error body; on success parses the body (no body counts
 * as {}) into *out (caller owns: json_decref). Returns 0 or an RT_E* code
 * with err set to "SERVICE ACTION: Type: message" and *out NULL.
 */
int rt_awsj_req_finish(rt_awsj_req *r, CURLcode cc, json_t **out, rt_err *err);

/* The class of the last finish (RT_AWSJ_OK after success). */
rt_awsj_class rt_awsj_req_class(const rt_awsj_req *r);

/* Sets the class of the last outcome: a service's parser uses it when a 200
 * answer lacks what the action promises. */
void rt_awsj_req_set_class(rt_awsj_req *r, rt_awsj_class c);

/* The AWS error type of the last failure without namespace ("ExpiredIteratorException"),
 * "" if none (borrowed, valid until the next prepare). */
const char *rt_awsj_req_error_type(const rt_awsj_req *r);

/* The HTTP status of the last response, 0 if none. */
long rt_awsj_req_status(const rt_awsj_req *r);

/* Milliseconds the last transfer took (0 if none). */
double rt_awsj_req_elapsed_ms(const rt_awsj_req *r);

/* --- Helpers --------------------------------------------------------------- */

/* The string member key of object o (borrowed from o), or NULL when o is not
 * an object or the member is missing or not a string. */
const char *rt_awsj_str(json_t *o, const char *key);

/*
 * Exponential backoff with full jitter, for the THROTTLED and RETRYABLE
 * classes: a uniform delay in [base_ms/2, min(cap_ms, base_ms * 2^attempt)]
 * (attempt 0 = first retry). *rng is the caller's splitmix64 state (any
 * seed, rt_hash.h); returns milliseconds.
 */
long rt_awsj_backoff_ms(int attempt, long base_ms, long cap_ms, uint64_t *rng);

#endif
