/*
 * Canned AWS answers for unit tests, through the transport's test seam
 * (rt_aws_json_int.h): each blocking request gets the next answer of a
 * list, written "STATUS BODY" ("200 {\"Items\":[]}"); past the end of the
 * list, a 400 ValidationException. For answers no real server gives (a
 * damaged item), which only a canned answer can put in front of the code.
 */
#ifndef EDDY_TEST_ANSWERS_H
#define EDDY_TEST_ANSWERS_H

#include "rt_aws_json_int.h"

#include <stdlib.h>

/* The list being played. */
typedef struct test_answers {
  const char *const *v; /* "STATUS BODY" each */
  int n;                /* entries in v */
  int next;             /* the next one to give */
} test_answers;

static CURLcode test_answer(void *ctx, const char *service, const char *action,
                            const char *body, long *status, rt_buf *resp) {
  test_answers *a = ctx;
  (void)service;
  (void)action;
  (void)body;
  if (a->next >= a->n) {
    *status = 400;
    rt_buf_puts(resp, "{\"__type\":\"ValidationException\",\"message\":\"no more answers\"}");
    return CURLE_OK;
  }
  char *rest;
  const char *s = a->v[a->next++];
  *status = strtol(s, &rest, 10);
  rt_buf_puts(resp, *rest == ' ' ? rest + 1 : rest);
  return CURLE_OK;
}

/* Answers every following request from v[0..n-1]; test_answers_stop() ends it. */
static inline void test_answers_play(test_answers *a, const char *const *v, int n) {
  a->v = v;
  a->n = n;
  a->next = 0;
  rt_awsj__set_answerer(test_answer, a);
}

static inline void test_answers_stop(void) { rt_awsj__set_answerer(NULL, NULL); }

#endif
