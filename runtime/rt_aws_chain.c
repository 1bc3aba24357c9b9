/*
 * The credential chain: which source applies (rt_aws_chain_pick, from the
 * environment and the files alone) and how to get credentials from it
 * (rt_aws_chain_resolve). One order serves the top level and the profiles
 * an assumed role's source_profile names, so a chain of profiles resolves
 * as the AWS CLI resolves it; a profile met twice is a loop and refused.
 */
#include "rt_aws_int.h"

#include "rt_mem.h"

#include <stdio.h>
#include <string.h>

enum { MAX_PROFILE_DEPTH = 8 };

const char *rt_aws_step_name(rt_aws_step s) {
  static const char *const NAMES[] = {
      [RT_AWS_STEP_NONE] = "none",
      [RT_AWS_STEP_ENV] = "environment",
      [RT_AWS_STEP_ASSUME_ROLE] = "assume-role",
      [RT_AWS_STEP_WEB_IDENTITY] = "web identity",
      [RT_AWS_STEP_SSO] = "sso",
      [RT_AWS_STEP_CREDS_FILE] = "credentials file",
      [RT_AWS_STEP_PROCESS] = "credential_process",
      [RT_AWS_STEP_CONFIG_FILE] = "config file",
      [RT_AWS_STEP_CONTAINER] = "container",
      [RT_AWS_STEP_IMDS] = "instance metadata",
  };
  return (unsigned)s < sizeof(NAMES) / sizeof(NAMES[0]) ? NAMES[s] : "none";
}

/* A profile setting: the credentials file's [NAME] first, then the config
 * file's. Returns 1 found (out filled), 0 not, < 0 error. */
static int pget(const rt_aws_chain_in *in, const char *profile, const char *key, char *out,
                size_t outsz, rt_err *err) {
  int rc = rt_aws__ini_get(in->creds_file, profile, NULL, key, out, outsz, err);
  return rc != 0 ? rc : rt_aws__config_get(in->config_file, profile, key, out, outsz, err);
}

/* Is key set (non-empty) for profile? < 0 on error. */
static int phas(const rt_aws_chain_in *in, const char *profile, const char *key, rt_err *err) {
  char v[RT_AWS_TOKEN_MAX];
  int rc = pget(in, profile, key, v, sizeof(v), err);
  return rc < 0 ? rc : rc == 1 && v[0];
}

/* The step of one profile (top: also the environment, container and
 * instance metadata, which belong to the whole chain, not to a profile). */
static int profile_step(const rt_aws_chain_in *in, const char *profile, int top,
                        rt_aws_step *step, rt_err *err) {
  *step = RT_AWS_STEP_NONE;
  int explicit_ = top && in->profile_explicit;
  if (top && !explicit_ && rt_aws__env("AWS_ACCESS_KEY_ID") &&
      rt_aws__env("AWS_SECRET_ACCESS_KEY"))
    return *step = RT_AWS_STEP_ENV, 0;
  int role = phas(in, profile, "role_arn", err);
  int web = phas(in, profile, "web_identity_token_file", err);
  if (role < 0 || web < 0)
    return role < 0 ? role : web;
  if (role && !web)
    return *step = RT_AWS_STEP_ASSUME_ROLE, 0;
  if (web || (top && rt_aws__env("AWS_WEB_IDENTITY_TOKEN_FILE")))
    return *step = RT_AWS_STEP_WEB_IDENTITY, 0;
  static const struct {
    const char *key;
    int creds_file_only; /* 1: credentials file, 2: config file, 0: either */
    rt_aws_step step;
  } KEYS[] = {{"sso_session", 2, RT_AWS_STEP_SSO},
              {"sso_start_url", 2, RT_AWS_STEP_SSO},
              {"aws_access_key_id", 1, RT_AWS_STEP_CREDS_FILE},
              {"credential_process", 0, RT_AWS_STEP_PROCESS},
              {"aws_access_key_id", 2, RT_AWS_STEP_CONFIG_FILE}};
  char v[RT_AWS_TOKEN_MAX];
  for (size_t i = 0; i < sizeof(KEYS) / sizeof(KEYS[0]); i++) {
    int rc = KEYS[i].creds_file_only == 1
                 ? rt_aws__ini_get(in->creds_file, profile, NULL, KEYS[i].key, v, sizeof(v), err)
             : KEYS[i].creds_file_only == 2
                 ? rt_aws__config_get(in->config_file, profile, KEYS[i].key, v, sizeof(v), err)
                 : pget(in, profile, KEYS[i].key, v, sizeof(v), err);
    if (rc < 0)
      return rc;
    if (rc == 1 && v[0])
      return *step = KEYS[i].step, 0;
  }
  if (!top)
    return 0;
  if (rt_aws__env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
      rt_aws__env("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
    return *step = RT_AWS_STEP_CONTAINER, 0;
  if (!rt_aws__env_true("AWS_EC2_METADATA_DISABLED") &&
      (!in->loopback || rt_aws__env("AWS_EC2_METADATA_SERVICE_ENDPOINT")))
    *step = RT_AWS_STEP_IMDS;
  return 0;
}

int rt_aws_chain_pick(const rt_aws_chain_in *in, rt_aws_step *step, rt_err *err) {
  return profile_step(in, in->profile, 1, step, err);
}

/* Static keys of profile from one file (config: 1 for the config file). */
static int static_keys(const rt_aws_chain_in *in, const char *profile, int config,
                       rt_aws_creds_value *out, rt_err *err) {
  static const char *const KEYS[] = {"aws_access_key_id", "aws_secret_access_key",
                                     "aws_session_token"};
  char *dst[] = {out->access_key, out->secret_key, out->session_token};
  size_t cap[] = {sizeof(out->access_key), sizeof(out->secret_key), sizeof(out->session_token)};
  for (int i = 0; i < 3; i++) {
    int rc = config ? rt_aws__config_get(in->config_file, profile, KEYS[i], dst[i], cap[i], err)
                    : rt_aws__ini_get(in->creds_file, profile, NULL, KEYS[i], dst[i], cap[i], err);
    if (rc < 0)
      return rc;
    if ((rc == 0 || dst[i][0] == '\0') && i < 2) /* "key =" with nothing after is no key */
      return rt_err_set(err, RT_EINVAL, "profile %s in the %s file has %s but no %s", profile,
                        config ? "config" : "credentials", KEYS[0], KEYS[1]);
  }
  snprintf(out->source, sizeof(out->source), "%s file, profile %s",
           config ? "config" : "credentials", profile);
  return 0;
}

static int env_keys(rt_aws_creds_value *out, rt_err *err) {
  const char *key = rt_aws__env("AWS_ACCESS_KEY_ID"), *secret = rt_aws__env("AWS_SECRET_ACCESS_KEY");
  const char *token = rt_aws__env("AWS_SESSION_TOKEN");
  if (!key || !secret)
    return rt_err_set(err, RT_ENOTFOUND, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  int rc = rt_aws__copy(out->access_key, sizeof(out->access_key), key, "AWS_ACCESS_KEY_ID", err);
  if (rc == 0)
    rc = rt_aws__copy(out->secret_key, sizeof(out->secret_key), secret, "AWS_SECRET_ACCESS_KEY",
                      err);
  if (rc == 0 && token)
    rc = rt_aws__copy(out->session_token, sizeof(out->session_token), token,
                      "AWS_SESSION_TOKEN", err);
  snprintf(out->source, sizeof(out->source), "environment");
  return rc;
}

/* The profiles being resolved, for loop detection. */
typedef struct visit {
  const char *names[MAX_PROFILE_DEPTH];
  int n;
} visit;

static int profile_creds(const rt_aws_chain_in *in, const char *profile, int top, visit *v,
                         rt_aws_creds_value *out, rt_err *err);

/* The credentials an assumed role is signed with. */
static int role_source(const rt_aws_chain_in *in, const char *profile, visit *v,
                       rt_aws_creds_value *src, rt_err *err) {
  char sp[RT_AWS_NAME_MAX] = "", cs[64] = "";
  int rc = pget(in, profile, "source_profile", sp, sizeof(sp), err);
  if (rc >= 0 && !sp[0])
    rc = pget(in, profile, "credential_source", cs, sizeof(cs), err);
  if (rc < 0)
    return rc;
  if (sp[0] && strcmp(sp, profile) == 0) /* role_arn beside its own keys */
    return static_keys(in, profile, rt_aws__ini_get(in->creds_file, profile, NULL,
                                                     "aws_access_key_id", cs, sizeof(cs),
                                                     NULL) != 1, src, err);
  if (sp[0])
    return profile_creds(in, sp, 0, v, src, err);
  if (strcmp(cs, "Environment") == 0)
    return env_keys(src, err);
  if (strcmp(cs, "Ec2InstanceMetadata") == 0)
    return rt_aws__imds(src, err);
  if (strcmp(cs, "EcsContainer") == 0)
    return rt_aws__container(src, err);
  if (cs[0])
    return rt_err_set(err, RT_EINVAL, "profile %s: credential_source \"%s\" is not one of "
                      "Environment, Ec2InstanceMetadata, EcsContainer", profile, cs);
  return rt_err_set(err, RT_EINVAL, "profile %s has role_arn but neither source_profile nor "
                    "credential_source", profile);
}

/* The role settings of profile, read into the caller's buffers. */
typedef struct role_conf {
  char arn[512], session[RT_AWS_NAME_MAX], external[RT_AWS_NAME_MAX], duration[16];
  char token_file[1024];
} role_conf;

static int role_read(const rt_aws_chain_in *in, const char *profile, int top, role_conf *c,
                     rt_err *err) {
  memset(c, 0, sizeof(*c));
  const char *env_arn = top ? rt_aws__env("AWS_ROLE_ARN") : NULL;
  const char *env_tok = top ? rt_aws__env("AWS_WEB_IDENTITY_TOKEN_FILE") : NULL;
  const char *env_name = top ? rt_aws__env("AWS_ROLE_SESSION_NAME") : NULL;
  int rc = 0;
  if (env_tok) { /* the environment's web identity wins over the profile's */
    rc = rt_aws__copy(c->token_file, sizeof(c->token_file), env_tok, "AWS_WEB_IDENTITY_TOKEN_FILE", err);
    if (rc == 0 && env_arn)
      rc = rt_aws__copy(c->arn, sizeof(c->arn), env_arn, "AWS_ROLE_ARN", err);
    if (rc == 0 && env_name)
      rc = rt_aws__copy(c->session, sizeof(c->session), env_name, "AWS_ROLE_SESSION_NAME", err);
  }
  struct {
    const char *key;
    char *out;
    size_t sz;
  } keys[] = {{"role_arn", c->arn, sizeof(c->arn)},
              {"role_session_name", c->session, sizeof(c->session)},
              {"external_id", c->external, sizeof(c->external)},
              {"duration_seconds", c->duration, sizeof(c->duration)},
              {"web_identity_token_file", c->token_file, sizeof(c->token_file)}};
  for (size_t i = 0; rc >= 0 && i < sizeof(keys) / sizeof(keys[0]); i++)
    if (!keys[i].out[0])
      rc = pget(in, profile, keys[i].key, keys[i].out, keys[i].sz, err);
  if (rc < 0)
    return rc;
  if (!c->arn[0])
    return rt_err_set(err, RT_EINVAL, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but "
                      "no role ARN (AWS_ROLE_ARN or role_arn in profile %s)", profile);
  return phas(in, profile, "mfa_serial", err) == 1
             ? rt_err_set(err, RT_EUNSUPPORTED, "profile %s: mfa_serial is not supported "
                          "(Eddy cannot prompt for an MFA code); use a profile without it, "
                          "or `aws sso login`", profile)
             : 0;
}

static int assume(const rt_aws_chain_in *in, const char *profile, int top, int web, visit *v,
                  rt_aws_creds_value *out, rt_err *err) {
  role_conf c;
  int rc = role_read(in, profile, top, &c, err);
  if (rc != 0)
    return rc;
  rt_aws_role role = {.role_arn = c.arn, .session_name = c.session, .external_id = c.external,
                      .duration = c.duration, .web_token_file = web ? c.token_file : NULL,
                      .profile = profile};
  if (web)
    rc = rt_aws__sts_assume(in, &role, NULL, out, err);
  else {
    rt_aws_creds_value *src = rt_xcalloc(1, sizeof(*src));
    rc = role_source(in, profile, v, src, err);
    if (rc != 0)
      rt_aws__prefix(err, rc, "profile %s: source credentials of role %s", profile, c.arn);
    if (rc == 0)
      rc = rt_aws__sts_assume(in, &role, src, out, err);
    rt_aws_creds_value_wipe(src);
    rt_free(src);
  }
  if (rc == 0)
    snprintf(out->source, sizeof(out->source), "%s %.160s via profile %.60s",
             web ? "web identity" : "assume-role", c.arn, profile);
  return rc;
}

static int profile_creds(const rt_aws_chain_in *in, const char *profile, int top, visit *v,
                         rt_aws_creds_value *out, rt_err *err) {
  for (int i = 0; i < v->n; i++)
    if (strcmp(v->names[i], profile) == 0)
      return rt_err_set(err, RT_EINVAL, "profile %s: source_profile loop (%s is met twice)",
                        v->names[0], profile);
  if (v->n == MAX_PROFILE_DEPTH)
    return rt_err_set(err, RT_EINVAL, "profile %s: source_profile chain longer than %d",
                      v->names[0], MAX_PROFILE_DEPTH);
  v->names[v->n++] = profile;
  rt_aws_step step;
  int rc = profile_step(in, profile, top, &step, err);
  char cmd[4096];
  if (rc == 0) {
    switch (step) {
    case RT_AWS_STEP_ENV: rc = env_keys(out, err); break;
    case RT_AWS_STEP_ASSUME_ROLE: rc = assume(in, profile, top, 0, v, out, err); break;
    case RT_AWS_STEP_WEB_IDENTITY: rc = assume(in, profile, top, 1, v, out, err); break;
    case RT_AWS_STEP_SSO: rc = rt_aws__sso(in, profile, out, err); break;
    case RT_AWS_STEP_CREDS_FILE: rc = static_keys(in, profile, 0, out, err); break;
    case RT_AWS_STEP_CONFIG_FILE: rc = static_keys(in, profile, 1, out, err); break;
    case RT_AWS_STEP_PROCESS:
      rc = pget(in, profile, "credential_process", cmd, sizeof(cmd), err);
      rc = rc < 0 ? rc : rt_aws__process(profile, cmd, out, err);
      break;
    case RT_AWS_STEP_CONTAINER: rc = rt_aws__container(out, err); break;
    case RT_AWS_STEP_IMDS: rc = rt_aws__imds(out, err); break;
    case RT_AWS_STEP_NONE:
      rc = rt_err_set(err, RT_ENOTFOUND, "profile %s has no credentials", profile);
      break;
    }
  }
  v->n--;
  return rc;
}

int rt_aws_chain_resolve(const rt_aws_chain_in *in, rt_aws_creds_value *out, rt_err *err) {
  rt_aws_creds_value_wipe(out);
  visit v = {.n = 0};
  int rc = profile_creds(in, in->profile, 1, &v, out, err);
  rt_aws_step step = RT_AWS_STEP_NONE;
  if (rc != 0 && rc != RT_ENOTFOUND && rt_aws_chain_pick(in, &step, NULL) == 0 &&
      step == RT_AWS_STEP_IMDS) /* the last resort failed: nothing found */
    rc = rt_aws__prefix(err, RT_ENOTFOUND, "instance metadata");
  if (rc != 0)
    rt_aws_creds_value_wipe(out);
  return rc;
}
