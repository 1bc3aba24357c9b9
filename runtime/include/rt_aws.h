/*
 * AWS configuration: region, credentials and service endpoints, resolved the
 * way the AWS CLI and SDKs do from the standard environment variables and the
 * shared ~/.aws/credentials and ~/.aws/config files, with a per-session
 * override on top (what a notebook's `%set region` / `%set endpoint` /
 * `%set profile` put there). The result is a plain struct the Kinesis and
 * DynamoDB clients copy, so resolving once per query start is enough and no
 * global state is kept.
 *
 * Order, first match wins:
 *   profile:     session > AWS_PROFILE > "default"
 *   credentials: the AWS CLI's chain (environment, assume role, web
 *                identity, IAM Identity Center, the files' static keys,
 *                credential_process, container, instance metadata; see
 *                runtime/rt_aws_creds.h). rt_aws_resolve() fills the keys
 *                only when the chain ends at static keys (environment or
 *                files); every other source is resolved, and kept fresh,
 *                by the transport's shared provider when a client starts.
 *   region:      session > AWS_REGION > AWS_DEFAULT_REGION > config file
 *                `region` > "us-east-1"
 *   endpoint:    session > AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL >
 *                config file `endpoint_url` > https://<service>.<region>.amazonaws.com
 *                (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips env and file)
 * Files: AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, else $HOME/.aws/...
 */
#ifndef EDDY_RT_AWS_H
#define EDDY_RT_AWS_H

#include "rt_err.h"

/* Field sizes; longer values are rejected with RT_ETOOBIG, never truncated. */
enum {
  RT_AWS_REGION_MAX = 64,
  RT_AWS_KEY_MAX = 256,
  RT_AWS_TOKEN_MAX = 4096,
  RT_AWS_URL_MAX = 512,
  RT_AWS_NAME_MAX = 128,
  RT_AWS_PATH_MAX = 1024,
};

/* Per-session overrides; empty strings mean "not set". Plain struct, filled by
 * the session from %set and passed to rt_aws_resolve(). */
typedef struct rt_aws_settings {
  char region[RT_AWS_REGION_MAX];   /* %set region "eu-west-1" */
  char endpoint[RT_AWS_URL_MAX];    /* %set endpoint "http://127.0.0.1:4567" (Kinesis) */
  char dynamodb_endpoint[RT_AWS_URL_MAX]; /* %set dynamodb_endpoint "..." */
  char profile[RT_AWS_NAME_MAX];    /* %set profile "dev" */
} rt_aws_settings;

/* The resolved configuration. */
typedef struct rt_aws_config {
  char region[RT_AWS_REGION_MAX];            /* never empty after resolve */
  char access_key[RT_AWS_KEY_MAX];           /* AWS_ACCESS_KEY_ID */
  char secret_key[RT_AWS_KEY_MAX];           /* AWS_SECRET_ACCESS_KEY */
  char session_token[RT_AWS_TOKEN_MAX];      /* empty unless temporary creds */
  char kinesis_endpoint[RT_AWS_URL_MAX];     /* base URL, no trailing slash */
  char dynamodb_endpoint[RT_AWS_URL_MAX];    /* base URL, no trailing slash */
  int dynamodb_endpoint_set;                 /* 1 when configured (session, env or
                                                file), 0 for the regional default */
  char profile[RT_AWS_NAME_MAX];             /* the profile consulted */
  int profile_explicit;                      /* named by the session (skips env keys) */
  char config_file[RT_AWS_PATH_MAX];         /* the config file's path, "" if none */
  char creds_file[RT_AWS_PATH_MAX];          /* the credentials file's path, "" if none */
  char cred_source[64];                      /* the chain's step: "environment",
                                                "credentials file", "sso", "assume-role",
                                                ..., "none" */
} rt_aws_config;

/*
 * Resolves the configuration into *out (fully overwritten) from the session
 * overrides (may be NULL), the environment and the shared files, without
 * network or processes. Missing credentials are not an error here
 * (cred_source is then "none"); a chain that ends at another source leaves
 * the keys empty and names the source in cred_source. Returns 0; RT_ETOOBIG when a value does not fit;
 * RT_EINVAL on an endpoint that is not http:// or https://. Missing or
 * unreadable files are skipped. err (may be NULL) gets a message naming the
 * source of the bad value.
 */
int rt_aws_resolve(rt_aws_config *out, const rt_aws_settings *session, rt_err *err);

/* True when url's host is 127.0.0.1, localhost or [::1]. */
int rt_aws_is_loopback(const char *url);

#endif
