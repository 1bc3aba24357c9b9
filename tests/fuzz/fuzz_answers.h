/*
 * Canned AWS answers for the fuzz targets that feed Kinesis and DynamoDB
 * answers to the production code through the transport's test seam
 * (rt_aws_json_int.h). An input is a script of answers, one per request,
 * in order, separated by lines "~~~":
 *
 *     200
 *     {"Table":{"TableStatus":"ACTIVE", ...}}
 *     ~~~
 *     400
 *     {"__type":"ResourceNotFoundException","message":"no such table"}
 *
 * The first line of an answer is its HTTP status (0: the connection failed);
 * an answer without one is a 200 with the whole text as its body. Once the
 * script is used up, every further request gets a 400 ValidationException,
 * so each run ends after a bounded number of calls. Waits between retries
 * and polls are skipped (usleep and nanosleep below), since no server
 * needs the time. With EDDY_FUZZ_TRACE set, each request is printed.
 */
#ifndef EDDY_FUZZ_ANSWERS_H
#define EDDY_FUZZ_ANSWERS_H

#include "rt_aws.h"
#include "rt_aws_json_int.h"
#include "rt_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The script being played. */
typedef struct fuzz_script {
  const char *p, *end; /* what is left of the input */
  int calls;           /* requests answered so far */
  int trace;           /* print each request (EDDY_FUZZ_TRACE) */
} fuzz_script;

/* Retries and polls wait with these; the fuzzer's server needs no time.
 * The executable's definitions take precedence over libc's. */
int usleep(useconds_t us) {
  (void)us;
  return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem) {
  (void)req;
  if (rem)
    memset(rem, 0, sizeof(*rem));
  return 0;
}

/* Finds the next separator line at or after p; returns its start or end. */
static const char *fuzz_next_sep(const char *p, const char *end, const char **after) {
  for (const char *q = p; q < end; q++) {
    if ((q == p || q[-1] == '\n') && end - q >= 3 && memcmp(q, "~~~", 3) == 0) {
      const char *a = q + 3;
      while (a < end && *a != '\n')
        a++;
      *after = a < end ? a + 1 : end;
      return q;
    }
  }
  *after = end;
  return end;
}

static CURLcode fuzz_answer(void *ctx, const char *service, const char *action,
                            const char *body, long *status, rt_buf *resp) {
  fuzz_script *s = ctx;
  s->calls++;
  if (s->trace) /* EDDY_FUZZ_TRACE=1: which request each answer meets, for writing seeds */
    fprintf(stderr, "request %d: %s %s %s\n", s->calls, service, action, body);
  if (s->p >= s->end) {
    *status = 400;
    rt_buf_puts(resp, "{\"__type\":\"ValidationException\",\"message\":\"no more answers\"}");
    return CURLE_OK;
  }
  const char *after, *stop = fuzz_next_sep(s->p, s->end, &after);
  const char *q = s->p;
  long st = 0;
  int digits = 0;
  while (q < stop && *q >= '0' && *q <= '9' && digits < 3) {
    st = st * 10 + (*q++ - '0');
    digits++;
  }
  if (digits && (q == stop || *q == '\n')) {
    if (q < stop)
      q++;
  } else {
    q = s->p;
    st = 200;
  }
  if (stop > q && stop[-1] == '\n')
    stop--;
  s->p = after;
  if (st == 0)
    return CURLE_COULDNT_CONNECT;
  *status = st;
  rt_buf_append(resp, q, (size_t)(stop - q));
  return CURLE_OK;
}

/* An input starts with a line naming one of names[n] (else its first byte
 * picks one) and goes on with the script of answers. Returns the index and
 * sets *script to the script's first byte. */
static inline int fuzz_pick(const uint8_t *data, size_t size, const char *const *names, int n,
                            size_t *script) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t head = nl ? (size_t)(nl - data) : size;
  int pick = size ? data[0] % n : 0;
  for (int i = 0; i < n; i++)
    if (head == strlen(names[i]) && memcmp(data, names[i], head) == 0)
      pick = i;
  *script = nl ? head + 1 : size;
  return pick;
}

/* Starts playing data[size] as the answers of every following request. */
static inline void fuzz_script_start(fuzz_script *s, const uint8_t *data, size_t size) {
  s->p = (const char *)data;
  s->end = s->p + size;
  s->calls = 0;
  s->trace = getenv("EDDY_FUZZ_TRACE") != NULL;
  rt_awsj__set_answerer(fuzz_answer, s);
}

/* A configuration whose endpoints are never dialled (the seam answers). */
static inline void fuzz_aws_config(rt_aws_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  strcpy(cfg->region, "us-east-1");
  strcpy(cfg->access_key, "AKIDFUZZ");
  strcpy(cfg->secret_key, "fuzzsecret");
  strcpy(cfg->kinesis_endpoint, "http://127.0.0.1:9");
  strcpy(cfg->dynamodb_endpoint, "http://127.0.0.1:9");
  cfg->dynamodb_endpoint_set = 1;
  strcpy(cfg->profile, "default");
  strcpy(cfg->cred_source, "session");
}

/* A failure must say what failed. */
static inline void fuzz_check_err(int rc, const rt_err *err) {
  if (rc < 0 && (err->code != rc || err->msg[0] == '\0'))
    abort();
}

#endif
