/*
 * Helpers shared by the rt_aws*.c files only: the environment, length-checked
 * copies and lookups in the AWS CLI's two INI files. Sections are named as
 * they are written between the brackets ("default", "profile dev",
 * "sso-session corp", "services local"); indented lines belong to a nested
 * sub-section ("sts =" followed by "  endpoint_url = ...").
 */
#ifndef EDDY_RT_AWS_INT_H
#define EDDY_RT_AWS_INT_H

#include "rt_aws_creds.h"
#include "rt_buf.h"
#include "rt_err.h"

#include <jansson.h>
#include <stddef.h>

/* getenv() that treats an empty variable as unset. Borrowed from the environment. */
const char *rt_aws__env(const char *name);

/* True when the variable is "true" (any case). */
int rt_aws__env_true(const char *name);

/* Copies s into out[outsz]; RT_ETOOBIG (out untouched) naming what when it
 * does not fit. */
int rt_aws__copy(char *out, size_t outsz, const char *s, const char *what, rt_err *err);

/*
 * Looks key up in [section] of the INI file at path (NULL or missing file:
 * not found). With sub non-NULL, looks in the nested sub-section "sub ="
 * instead. Returns 1 with out filled, 0 when not found, RT_ETOOBIG when the
 * value does not fit, RT_EINVAL naming the file and line of a malformed line
 * met before the key (as the AWS CLI, which refuses such a file).
 */
int rt_aws__ini_get(const char *path, const char *section, const char *sub, const char *key,
                    char *out, size_t outsz, rt_err *err);

/* A profile's key in the config file: [profile NAME], or [default] for
 * "default" (also [profile default]). Returns as rt_aws__ini_get(). */
int rt_aws__config_get(const char *path, const char *profile, const char *key, char *out,
                       size_t outsz, rt_err *err);

/* The path of a shared file: $VAR, else $HOME/.aws/NAME; "" when neither. */
void rt_aws__shared_path(const char *var, const char *name, char *out, size_t outsz);

/* One blocking request to a credentials endpoint (STS, the SSO portal,
 * instance metadata, a container agent). Every pointer is borrowed for the
 * call. */
typedef struct rt_aws_http_req {
  const char *method;              /* "GET", "PUT" or "POST" */
  const char *url;                 /* full URL; named in messages (never holds a secret) */
  const char *const *headers;      /* NULL-terminated "Name: value" lines, or NULL */
  const char *body;                /* request body, or NULL */
  const rt_aws_creds_value *sign;  /* SigV4-sign with these, or NULL */
  const char *sigv4;               /* "aws:amz:REGION:sts" when signing */
  long connect_ms;                 /* connect bound; default 3,000 */
  long timeout_ms;                 /* whole request; default 10,000 */
} rt_aws_http_req;

/*
 * Runs rq, collecting at most 1 MiB of answer into resp (initialized by the
 * caller; appended) and the
 * HTTP status into *status. Returns 0 whenever an answer came (any status),
 * RT_ETIMEDOUT or RT_ENET (message naming the URL) when none did, RT_ETOOBIG
 * past the cap, RT_EIO when libcurl cannot start.
 */
int rt_aws__http(const rt_aws_http_req *rq, rt_buf *resp, long *status, rt_err *err);

/* Appends s to out percent-encoded for a query string or form body. */
void rt_aws__urlencode(rt_buf *out, const char *s);

/* Reads a whole small file (at most max bytes) into out (appended).
 * Returns 0, RT_ENOTFOUND (no such file), RT_EIO or RT_ETOOBIG. */
int rt_aws__read_file(const char *path, size_t max, rt_buf *out, rt_err *err);

/* Copies the JSON string member key of o into out[outsz]; RT_EPROTO naming
 * what when missing, RT_ETOOBIG when too long. */
int rt_aws__json_str(json_t *o, const char *key, const char *what, char *out, size_t outsz,
                     rt_err *err);

/* Puts "prefix: " before err's message (printf-style prefix) and returns
 * code; err may be NULL. */
int rt_aws__prefix(rt_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses an ISO-8601 expiration into *ms; RT_EPROTO naming what. */
int rt_aws__parse_expiry(const char *s, const char *what, int64_t *ms, rt_err *err);

/* --- Sources, one file each (rt_aws_sts.c, rt_aws_meta.c, rt_aws_sso.c,
 * rt_aws_process.c); each fills *out including out->source. --------------- */

/* What an AssumeRole call needs (borrowed strings; "" = not set). */
typedef struct rt_aws_role {
  const char *role_arn;
  const char *session_name;
  const char *external_id;
  const char *duration;     /* duration_seconds as written */
  const char *web_token_file; /* set: AssumeRoleWithWebIdentity with this token */
  const char *profile;      /* whose sts endpoint_url applies */
} rt_aws_role;

/* STS's endpoint for profile (see rt_aws_creds.h) into out[outsz]. */
int rt_aws__sts_endpoint(const rt_aws_chain_in *in, const char *profile, char *out,
                         size_t outsz, rt_err *err);

/* STS AssumeRole signed with *src, or AssumeRoleWithWebIdentity (unsigned)
 * when role->web_token_file is set and src is NULL. */
int rt_aws__sts_assume(const rt_aws_chain_in *in, const rt_aws_role *role,
                       const rt_aws_creds_value *src, rt_aws_creds_value *out, rt_err *err);

/* Instance metadata (IMDSv2). */
int rt_aws__imds(rt_aws_creds_value *out, rt_err *err);

/* Container credentials (ECS, EKS Pod Identity). */
int rt_aws__container(rt_aws_creds_value *out, rt_err *err);

/* IAM Identity Center for profile. */
int rt_aws__sso(const rt_aws_chain_in *in, const char *profile, rt_aws_creds_value *out,
                rt_err *err);

/* credential_process cmd of profile. */
int rt_aws__process(const char *profile, const char *cmd, rt_aws_creds_value *out, rt_err *err);

#endif
