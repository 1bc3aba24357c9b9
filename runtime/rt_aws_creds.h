/*
 * rt_aws_creds: AWS credentials from every source the AWS CLI knows, and
 * the one shared provider that keeps temporary ones fresh while queries run.
 *
 * The chain (rt_aws_chain_resolve), in the AWS CLI's order, first match wins:
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *      skipped when the session names the profile (%set profile)
 *   2. assume role: the profile has role_arn, with source_profile (followed
 *      through chains of profiles, loops refused) or credential_source
 *      (Environment, Ec2InstanceMetadata, EcsContainer); external_id,
 *      role_session_name, duration_seconds -> STS AssumeRole, signed with the
 *      source credentials. mfa_serial is refused with a message.
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      [+ AWS_ROLE_SESSION_NAME], or the profile's web_identity_token_file
 *      and role_arn -> STS AssumeRoleWithWebIdentity (unsigned)
 *   4. IAM Identity Center: the profile's sso_session (a [sso-session NAME]
 *      section) or legacy sso_start_url, with sso_account_id and
 *      sso_role_name; the token the AWS CLI caches in ~/.aws/sso/cache -> the
 *      portal's GetRoleCredentials
 *   5. static keys of the profile in the credentials file
 *   6. credential_process of the profile (run through /bin/sh -c)
 *   7. static keys of the profile in the config file
 *   8. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2)
 *      or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
 *   9. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT,
 *      AWS_EC2_METADATA_DISABLED); 1 s to connect, then "no credentials".
 *      For a loopback endpoint (kinesalite) only when the endpoint variable
 *      is set, so local runs never wait on a metadata service.
 * STS: AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL > the profile's services
 * section `sts = endpoint_url` > https://sts.REGION.amazonaws.com. The SSO
 * portal: AWS_ENDPOINT_URL_SSO > https://portal.sso.SSO_REGION.amazonaws.com.
 *
 * The provider (rt_aws_creds): one per process and configuration, shared by
 * every client (rt_aws_creds_get counts references). Temporary credentials
 * are renewed by the provider's own thread ahead of expiry (5 minutes
 * before, or at half the remaining lifetime when that is shorter), by
 * running the chain again; a failed renewal is retried with backoff while
 * the old credentials keep being served. Clients read the current
 * credentials per request (rt_aws_creds_current): a copy under a mutex held
 * only for the copy, never across a network call, so no query waits on a
 * renewal.
 *
 * Secrets never leave this module except through rt_aws_creds_current and
 * rt_aws_chain_resolve: messages, sources and statuses name profiles, role
 * ARNs, files and endpoints only.
 */
#ifndef EDDY_RT_AWS_CREDS_H
#define EDDY_RT_AWS_CREDS_H

#include "rt_aws.h"
#include "rt_buf.h"
#include "rt_err.h"

#include <stdint.h>

/* One set of credentials. */
typedef struct rt_aws_creds_value {
  char access_key[RT_AWS_KEY_MAX];      /* AccessKeyId */
  char secret_key[RT_AWS_KEY_MAX];      /* SecretAccessKey (secret) */
  char session_token[RT_AWS_TOKEN_MAX]; /* "" for long-term keys (secret) */
  int64_t expires_ms;                   /* wall-clock ms; 0 = never */
  char source[256];                     /* "assume-role arn:... via profile dev", never a secret */
} rt_aws_creds_value;

/* Wipes a value's secrets (and everything else). Accepts NULL. */
void rt_aws_creds_value_wipe(rt_aws_creds_value *v);

/* What the chain reads besides the environment. */
typedef struct rt_aws_chain_in {
  const char *profile;     /* never NULL */
  int profile_explicit;    /* named by the session: skip the environment keys */
  const char *config_file; /* "" or NULL: none */
  const char *creds_file;  /* "" or NULL: none */
  const char *region;      /* for STS's regional endpoint */
  int loopback;            /* the target is kinesalite & co (see step 9) */
} rt_aws_chain_in;

/* The chain's steps. */
typedef enum rt_aws_step {
  RT_AWS_STEP_NONE = 0,
  RT_AWS_STEP_ENV,
  RT_AWS_STEP_ASSUME_ROLE,
  RT_AWS_STEP_WEB_IDENTITY,
  RT_AWS_STEP_SSO,
  RT_AWS_STEP_CREDS_FILE,
  RT_AWS_STEP_PROCESS,
  RT_AWS_STEP_CONFIG_FILE,
  RT_AWS_STEP_CONTAINER,
  RT_AWS_STEP_IMDS,
} rt_aws_step;

/* The step's name ("assume-role", "sso", "instance metadata", ...). Static. */
const char *rt_aws_step_name(rt_aws_step s);

/*
 * Which step of the chain applies, from the environment and the files only
 * (no network, no process). Returns 0 with *step set (RT_AWS_STEP_NONE when
 * nothing is configured and instance metadata is off), or RT_ETOOBIG with err.
 */
int rt_aws_chain_pick(const rt_aws_chain_in *in, rt_aws_step *step, rt_err *err);

/*
 * Runs the chain: the first step that applies is tried, and only a failing
 * instance-metadata step falls through (to "no credentials"). Fills *out
 * (wiped first). Returns 0; RT_ENOTFOUND when no source is configured;
 * RT_EAUTH, RT_ENET, RT_ETIMEDOUT, RT_EPROTO, RT_EINVAL, RT_EUNSUPPORTED
 * with a message naming the source and what to do. Blocking (network,
 * processes); never call it on a query thread that must not wait.
 */
int rt_aws_chain_resolve(const rt_aws_chain_in *in, rt_aws_creds_value *out, rt_err *err);

/* --- Parsers (exposed for tests) ----------------------------------------- *
 * Each wipes *out first and fills the keys and expiry (source stays ""). */

/* An STS answer (AssumeRole / AssumeRoleWithWebIdentity, XML) with HTTP
 * status: credentials into *out, or the STS error's
 * Code and Message as RT_EAUTH / RT_EINVAL / RT_ESERVER / RT_EPROTO. */
int rt_aws_sts_parse(const char *xml, size_t len, long status, rt_aws_creds_value *out,
                     rt_err *err);

/* credential_process output (JSON, Version 1). Returns 0 or RT_EPROTO. */
int rt_aws_process_parse(const char *json, size_t len, rt_aws_creds_value *out, rt_err *err);

/* Instance metadata or container credentials (JSON with AccessKeyId,
 * SecretAccessKey, Token, Expiration; what names the source in messages).
 * Returns 0 or RT_EPROTO / RT_EAUTH (Code not "Success"). */
int rt_aws_meta_parse(const char *json, size_t len, const char *what, rt_aws_creds_value *out,
                      rt_err *err);

/* The SSO portal's GetRoleCredentials answer (roleCredentials with
 * expiration in epoch ms). Returns 0 or RT_EPROTO. */
int rt_aws_sso_parse_role(const char *json, size_t len, rt_aws_creds_value *out, rt_err *err);

/* An SSO token cache file: copies accessToken into token[tokensz] and its
 * expiresAt into *expires_ms. Returns 0 or RT_EPROTO / RT_ETOOBIG. */
int rt_aws_sso_parse_cache(const char *json, size_t len, char *token, size_t tokensz,
                           int64_t *expires_ms, rt_err *err);

/* The cache file name for a session name or start URL: lowercase hex SHA-1
 * + ".json" into out[48]. */
void rt_aws_sso_cache_name(const char *key, char out[48]);

/* --- The shared provider ------------------------------------------------- */

typedef struct rt_aws_creds rt_aws_creds;

/*
 * The provider for cfg's profile and files with requests going to endpoint:
 * the process's shared one when one with the same configuration lives, else
 * a new one that resolves the chain now (blocking: call at query or client
 * start). cfg's own static keys, if set, make a fixed provider. With nothing
 * configured and a loopback endpoint, placeholder credentials ("local").
 * Returns 0 with *out (caller holds a reference; release with
 * rt_aws_creds_release()), or the chain's error.
 */
int rt_aws_creds_get(const rt_aws_config *cfg, const char *endpoint, rt_aws_creds **out,
                     rt_err *err);

/* Drops a reference and NULLs *p; the last one stops the refresher thread
 * and wipes the secrets. Accepts NULL. */
void rt_aws_creds_release(rt_aws_creds **p);

/* A counter that moves whenever the credentials change: a client compares it
 * with the one it copied at to skip the copy. Lock-free. */
uint64_t rt_aws_creds_generation(const rt_aws_creds *p);

/* Copies the current credentials into *out and returns their generation.
 * Never waits for a renewal (the lock is held only for the copy). */
uint64_t rt_aws_creds_current(rt_aws_creds *p, rt_aws_creds_value *out);

/* True while a renewal is in flight (lock-free; for benchmarks and status). */
int rt_aws_creds_renewing(const rt_aws_creds *p);

/* A provider's state for %aws and status lines; never a secret. */
typedef struct rt_aws_creds_status {
  char source[256];      /* where the current credentials came from */
  int64_t expires_ms;    /* 0 = never */
  int64_t obtained_ms;   /* when they were obtained */
  int64_t next_refresh_ms; /* 0 = none planned */
  uint64_t refreshes;    /* renewals that succeeded */
  uint64_t failures;     /* renewals that failed (retried with backoff) */
  char last_error[512];  /* the last failure's message, "" after a success */
  double last_renewal_ms; /* how long the last renewal took (0: none yet) */
  uint64_t reader_waits; /* copies of the credentials that found the lock taken
                          * (held only for a copy, never across a renewal) */
} rt_aws_creds_status;

/* Fills *st with p's state. */
void rt_aws_creds_status_get(rt_aws_creds *p, rt_aws_creds_status *st);

/* Appends one line per live provider ("profile dev: sso, expires ..., 3
 * refreshes") to out; returns how many. */
int rt_aws_creds_describe_all(rt_buf *out);

/* Renewals done and failed in this process so far (never decreasing), and
 * whether the last renewal of a live provider failed (for %queries, the
 * chart footer and `eddy run`). */
void rt_aws_creds_totals(uint64_t *refreshes, uint64_t *failures, int *failing);

/*
 * What %aws and `eddy run --verbose` show: profile, region, the Kinesis,
 * DynamoDB and STS endpoints, and where the credentials come from (the
 * shared provider's source, expiry, renewals and last failure), resolving
 * them if no client holds them yet. Never a secret. A credentials failure is
 * shown as text, not returned. Appends to out; returns 0, or the
 * configuration's error (a bad endpoint, a value too long).
 */
int rt_aws_describe(const rt_aws_settings *session, rt_buf *out, rt_err *err);

#endif
