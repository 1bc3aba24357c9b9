/*
 * Internals shared by the Kinesis client's files (rt_kinesis.c: transport,
 * errors, helpers; rt_kinesis_ops.c: the typed operations). Not for other
 * modules: include rt_kinesis.h instead.
 */
#ifndef EDDY_RT_KINESIS_INT_H
#define EDDY_RT_KINESIS_INT_H

#include "rt_kinesis.h"

#include <jansson.h>

/*
 * Finishes a transfer: classifies the CURLcode, the HTTP status and an AWS
 * error body; on success parses the body into *out (caller owns: json_decref).
 * Returns 0 or an RT_E* code with err set to "Kinesis ACTION: Type: message".
 */
int rt_kin__finish(rt_kin_req *r, CURLcode cc, json_t **out, rt_err *err);

/* Serializes body (borrowed) and prepares action with it. */
int rt_kin__prepare_json(rt_kin_req *r, const char *action, json_t *body, rt_err *err);

/* The client's own request for blocking calls. */
rt_kin_req *rt_kin__sync(rt_kin *k);

/* A string member of o, or NULL. */
const char *rt_kin__str(json_t *o, const char *key);

/* Sets the class of the last failure (used when a 200 body is malformed). */
void rt_kin__set_class(rt_kin_req *r, rt_kin_class c);

#endif
