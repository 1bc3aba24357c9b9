/*
 * The shared credentials provider. One provider per configuration (profile,
 * files, region and the credential variables of the environment) lives in
 * the process while any client holds it: a notebook's queries, its magics
 * and `into kinesis` all sign with the same credentials, renewed once.
 * That registry is the one process-wide table here, on purpose: credentials
 * belong to the process (as libcurl's global state does), and handing a
 * provider through every source and sink would thread it through files
 * that have no other business with it.
 *
 * Temporary credentials get a refresher thread that sleeps until the
 * renewal point and runs the chain again off every query thread; readers
 * copy the current value under a mutex that is never held across I/O.
 */
#include "rt_aws_creds.h"

#include "rt_aws_int.h"
#include "rt_clock.h"
#include "rt_hash.h"
#include "rt_log.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum {
  RENEW_AHEAD_MS = 5 * 60 * 1000, /* renew this long before expiry ... */
  RETRY_MIN_MS = 1000,            /* ... and after a failure, back off from 1 s */
  RETRY_MAX_MS = 60 * 1000,       /* to a minute */
};

struct rt_aws_creds {
  int refs;                   /* references (under reg_mu) */
  int registered;             /* in the registry (shared) */
  uint64_t key;               /* the configuration's fingerprint */
  char profile[RT_AWS_NAME_MAX];       /* chain input, copied */
  int profile_explicit;
  char config_file[RT_AWS_PATH_MAX];
  char creds_file[RT_AWS_PATH_MAX];
  char region[RT_AWS_REGION_MAX];
  int loopback;
  pthread_mutex_t mu;         /* guards everything below (never held across I/O) */
  pthread_cond_t cv;          /* wakes the refresher (stop) */
  rt_aws_creds_value cur;     /* the credentials served */
  atomic_uint_fast64_t gen;   /* moves with cur */
  atomic_int renewing;        /* a renewal is in flight */
  atomic_uint_fast64_t reader_waits; /* rt_aws_creds_current found the lock taken */
  rt_aws_creds_status st;     /* for %aws */
  int stop;                   /* the refresher must exit */
  int thread_started;
  pthread_t thread;           /* the refresher, when cur expires */
  struct rt_aws_creds *next;  /* registry list */
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static rt_aws_creds *reg_head; /* live shared providers */
static atomic_uint_fast64_t renewals_done;   /* in this process, ever */
static atomic_uint_fast64_t renewals_failed; /* in this process, ever */

/* FNV-1a over the configuration and the environment the chain reads. */
static uint64_t fingerprint(const rt_aws_chain_in *in) {
  static const char *const VARS[] = {
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
      "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL_STS",
      "AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL", "HOME"};
  const char *parts[4 + sizeof(VARS) / sizeof(VARS[0])];
  size_t n = 0;
  parts[n++] = in->profile;
  parts[n++] = in->config_file ? in->config_file : "";
  parts[n++] = in->creds_file ? in->creds_file : "";
  parts[n++] = in->region ? in->region : "";
  for (size_t i = 0; i < sizeof(VARS) / sizeof(VARS[0]); i++)
    parts[n++] = rt_aws__env(VARS[i]) ? rt_aws__env(VARS[i]) : "";
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)(in->profile_explicit * 2 + in->loopback);
  for (size_t i = 0; i < n; i++) {
    for (const char *p = parts[i]; *p; p++)
      h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL; /* separator */
  }
  return rt_mix64(h);
}

static rt_aws_creds *provider_new(void) {
  rt_aws_creds *p = rt_xcalloc(1, sizeof(*p));
  p->refs = 1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  return p;
}

static void provider_free(rt_aws_creds *p) {
  if (p->thread_started) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
  }
  rt_aws_creds_value_wipe(&p->cur);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  rt_free(p);
}

/* When to renew credentials obtained at now that expire at exp (wall ms). */
static int64_t renew_at(int64_t now, int64_t exp) {
  int64_t left = exp - now, ahead = left / 2 < RENEW_AHEAD_MS ? left / 2 : RENEW_AHEAD_MS;
  return exp - (ahead > 0 ? ahead : 0);
}

/* Installs fresh credentials (mu held). */
static void install(rt_aws_creds *p, const rt_aws_creds_value *v, int64_t now) {
  p->cur = *v;
  atomic_fetch_add(&p->gen, 1);
  snprintf(p->st.source, sizeof(p->st.source), "%s", v->source);
  p->st.expires_ms = v->expires_ms;
  p->st.obtained_ms = now;
  p->st.next_refresh_ms = v->expires_ms ? renew_at(now, v->expires_ms) : 0;
  p->st.last_error[0] = '\0';
}

static rt_aws_chain_in chain_in(const rt_aws_creds *p) {
  rt_aws_chain_in in = {.profile = p->profile, .profile_explicit = p->profile_explicit,
                        .config_file = p->config_file, .creds_file = p->creds_file,
                        .region = p->region, .loopback = p->loopback};
  return in;
}

/* One renewal, outside the lock; then the outcome is installed under it. */
static void renew(rt_aws_creds *p, int *failures) {
  rt_aws_chain_in in = chain_in(p);
  rt_aws_creds_value *v = rt_xcalloc(1, sizeof(*v));
  rt_err err;
  rt_err_clear(&err);
  atomic_store(&p->renewing, 1);
  int64_t t0 = rt_mono_ns();
  int rc = rt_aws_chain_resolve(&in, v, &err);
  int64_t now = rt_wall_ms();
  pthread_mutex_lock(&p->mu);
  p->st.last_renewal_ms = (double)(rt_mono_ns() - t0) / 1e6;
  if (rc == 0) {
    install(p, v, now);
    p->st.refreshes++;
    atomic_fetch_add(&renewals_done, 1);
    *failures = 0;
  } else {
    p->st.failures++;
    atomic_fetch_add(&renewals_failed, 1);
    snprintf(p->st.last_error, sizeof(p->st.last_error), "%s", err.msg);
    int64_t back = RETRY_MIN_MS << (*failures < 6 ? *failures : 6);
    p->st.next_refresh_ms = now + (back < RETRY_MAX_MS ? back : RETRY_MAX_MS);
    ++*failures;
  }
  pthread_mutex_unlock(&p->mu);
  atomic_store(&p->renewing, 0);
  if (rc != 0)
    rt_log(RT_LOG_WARN, "AWS credentials of profile %s: renewal failed (the current ones are "
           "kept until they expire): %s", p->profile, err.msg);
  rt_aws_creds_value_wipe(v);
  rt_free(v);
}

/* The refresher: sleeps until the renewal point (wall time, waited on the
 * monotonic clock), renews, repeats until stopped. */
static void *refresher_main(void *arg) {
  rt_aws_creds *p = arg;
  int failures = 0;
  pthread_mutex_lock(&p->mu);
  while (!p->stop) {
    int64_t due = p->st.next_refresh_ms, now = rt_wall_ms();
    if (due == 0 || due > now) {
      int64_t wait_ms = due == 0 ? 3600 * 1000 : due - now;
      rt_clock_cond_wait(NULL, &p->cv, &p->mu, rt_clock_mono_ns(NULL) + wait_ms * 1000000);
      continue;
    }
    pthread_mutex_unlock(&p->mu);
    renew(p, &failures);
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* A provider serving v forever (static keys, placeholders). */
static rt_aws_creds *fixed(const rt_aws_creds_value *v) {
  rt_aws_creds *p = provider_new();
  install(p, v, rt_wall_ms());
  return p;
}

/* Looks key up in the registry and takes a reference (reg_mu held). */
static rt_aws_creds *reg_find(uint64_t key) {
  for (rt_aws_creds *p = reg_head; p; p = p->next)
    if (p->key == key) {
      p->refs++;
      return p;
    }
  return NULL;
}

/* A new shared provider for in, resolved now. */
static int shared_new(const rt_aws_chain_in *in, uint64_t key, rt_aws_creds **out, rt_err *err) {
  rt_aws_creds_value *v = rt_xcalloc(1, sizeof(*v));
  int rc = rt_aws_chain_resolve(in, v, err);
  rt_aws_creds *p = NULL;
  if (rc == 0) {
    p = fixed(v);
    p->key = key;
    snprintf(p->profile, sizeof(p->profile), "%s", in->profile);
    p->profile_explicit = in->profile_explicit;
    snprintf(p->config_file, sizeof(p->config_file), "%s", in->config_file ? in->config_file : "");
    snprintf(p->creds_file, sizeof(p->creds_file), "%s", in->creds_file ? in->creds_file : "");
    snprintf(p->region, sizeof(p->region), "%s", in->region ? in->region : "");
    p->loopback = in->loopback;
    if (v->expires_ms && pthread_create(&p->thread, NULL, refresher_main, p) == 0)
      p->thread_started = 1;
    else if (v->expires_ms)
      rt_log(RT_LOG_WARN, "cannot start the AWS credentials refresher; the credentials of "
             "profile %s will not be renewed", in->profile);
  }
  rt_aws_creds_value_wipe(v);
  rt_free(v);
  *out = p;
  return rc;
}

int rt_aws_creds_get(const rt_aws_config *cfg, const char *endpoint, rt_aws_creds **out,
                     rt_err *err) {
  *out = NULL;
  rt_aws_creds_value *v = rt_xcalloc(1, sizeof(*v));
  int rc = 0;
  if (cfg->access_key[0] && cfg->secret_key[0]) { /* resolved already: static keys */
    snprintf(v->access_key, sizeof(v->access_key), "%s", cfg->access_key);
    snprintf(v->secret_key, sizeof(v->secret_key), "%s", cfg->secret_key);
    snprintf(v->session_token, sizeof(v->session_token), "%s", cfg->session_token);
    snprintf(v->source, sizeof(v->source), "%s", cfg->cred_source);
    *out = fixed(v);
    goto out_wipe;
  }
  int loopback = endpoint && rt_aws_is_loopback(endpoint);
  rt_aws_chain_in in = {.profile = cfg->profile, .profile_explicit = cfg->profile_explicit,
                        .config_file = cfg->config_file, .creds_file = cfg->creds_file,
                        .region = cfg->region, .loopback = loopback};
  uint64_t key = fingerprint(&in);
  pthread_mutex_lock(&reg_mu);
  *out = reg_find(key);
  pthread_mutex_unlock(&reg_mu);
  if (*out)
    goto out_wipe;
  rt_err why;
  rt_err_clear(&why);
  rc = shared_new(&in, key, out, &why);
  if (rc == RT_ENOTFOUND && loopback) { /* kinesalite only checks a signature is there */
    snprintf(v->access_key, sizeof(v->access_key), "local");
    snprintf(v->secret_key, sizeof(v->secret_key), "local");
    snprintf(v->source, sizeof(v->source), "placeholder for a local endpoint");
    *out = fixed(v);
    rc = 0;
    goto out_wipe;
  }
  if (rc == RT_ENOTFOUND)
    rc = rt_err_set(err, RT_EAUTH, "no AWS credentials for %s (%s): set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or configure profile \"%s\" in ~/.aws", endpoint,
                    why.msg, cfg->profile);
  else if (rc != 0 && err)
    *err = why;
  if (rc != 0)
    goto out_wipe;
  pthread_mutex_lock(&reg_mu);
  rt_aws_creds *again = reg_find(key); /* another thread resolved it meanwhile */
  if (!again) {
    (*out)->registered = 1;
    (*out)->next = reg_head;
    reg_head = *out;
  }
  pthread_mutex_unlock(&reg_mu);
  if (again) {
    provider_free(*out);
    *out = again;
  }
out_wipe:
  rt_aws_creds_value_wipe(v);
  rt_free(v);
  return rc;
}

void rt_aws_creds_release(rt_aws_creds **pp) {
  if (!pp || !*pp)
    return;
  rt_aws_creds *p = *pp;
  *pp = NULL;
  pthread_mutex_lock(&reg_mu);
  int last = --p->refs == 0;
  if (last && p->registered)
    for (rt_aws_creds **q = &reg_head; *q; q = &(*q)->next)
      if (*q == p) {
        *q = p->next;
        break;
      }
  pthread_mutex_unlock(&reg_mu);
  if (last)
    provider_free(p);
}

uint64_t rt_aws_creds_generation(const rt_aws_creds *p) { return atomic_load(&p->gen); }

int rt_aws_creds_renewing(const rt_aws_creds *p) { return atomic_load(&p->renewing); }

uint64_t rt_aws_creds_current(rt_aws_creds *p, rt_aws_creds_value *out) {
  if (pthread_mutex_trylock(&p->mu) != 0) { /* counted: the proof nobody waits long */
    atomic_fetch_add(&p->reader_waits, 1);
    pthread_mutex_lock(&p->mu);
  }
  *out = p->cur;
  uint64_t g = atomic_load(&p->gen);
  pthread_mutex_unlock(&p->mu);
  return g;
}

void rt_aws_creds_status_get(rt_aws_creds *p, rt_aws_creds_status *st) {
  pthread_mutex_lock(&p->mu);
  *st = p->st;
  st->reader_waits = atomic_load(&p->reader_waits);
  pthread_mutex_unlock(&p->mu);
}

int rt_aws_creds_describe_all(rt_buf *out) {
  int n = 0;
  pthread_mutex_lock(&reg_mu);
  for (rt_aws_creds *p = reg_head; p; p = p->next, n++) {
    rt_aws_creds_status st;
    rt_aws_creds_status_get(p, &st);
    char exp[RT_TIME_ISO_MS_LEN];
    rt_buf_printf(out, "  profile %s: %s", p->profile, st.source);
    if (st.expires_ms)
      rt_buf_printf(out, ", expires %s", rt_time_format_ms(st.expires_ms, exp));
    rt_buf_printf(out, ", %llu refreshes", (unsigned long long)st.refreshes);
    if (st.failures)
      rt_buf_printf(out, ", %llu failed", (unsigned long long)st.failures);
    if (st.last_error[0])
      rt_buf_printf(out, " (last: %s)", st.last_error);
    rt_buf_puts(out, "\n");
  }
  pthread_mutex_unlock(&reg_mu);
  return n;
}

void rt_aws_creds_totals(uint64_t *refreshes, uint64_t *failures, int *failing) {
  *refreshes = atomic_load(&renewals_done);
  *failures = atomic_load(&renewals_failed);
  *failing = 0;
  pthread_mutex_lock(&reg_mu);
  for (rt_aws_creds *p = reg_head; p; p = p->next) {
    pthread_mutex_lock(&p->mu);
    *failing |= p->st.last_error[0] != '\0';
    pthread_mutex_unlock(&p->mu);
  }
  pthread_mutex_unlock(&reg_mu);
}
