/*
 * %aws: the session's AWS configuration as a person checks it, profile,
 * region, endpoints and the credentials' origin and freshness, built from
 * the same resolution the clients use, so what it says is what a query
 * will do. Secrets never reach the text: the provider's status holds none.
 */
#include "rt_aws_creds.h"

#include "rt_aws_int.h"
#include "rt_time.h"

#include <stdio.h>
#include <string.h>

static void creds_lines(const rt_aws_config *cfg, rt_buf *out) {
  rt_aws_creds *p = NULL;
  rt_err why;
  rt_err_clear(&why);
  if (rt_aws_creds_get(cfg, cfg->kinesis_endpoint, &p, &why) != 0) {
    rt_buf_printf(out, "credentials  none: %s\n", why.msg);
    return;
  }
  rt_aws_creds_status st;
  rt_aws_creds_status_get(p, &st);
  char t[RT_TIME_ISO_MS_LEN];
  rt_buf_printf(out, "credentials  %s\n", st.source);
  if (st.expires_ms) {
    rt_buf_printf(out, "expires      %s", rt_time_format_ms(st.expires_ms, t));
    if (st.next_refresh_ms)
      rt_buf_printf(out, " (renewed from %s)", rt_time_format_ms(st.next_refresh_ms, t));
    rt_buf_printf(out, "\nrenewals     %llu", (unsigned long long)st.refreshes);
    if (st.failures)
      rt_buf_printf(out, ", %llu failed", (unsigned long long)st.failures);
    rt_buf_puts(out, "\n");
  }
  if (st.last_error[0])
    rt_buf_printf(out, "last failure %s\n", st.last_error);
  rt_aws_creds_release(&p);
}

int rt_aws_describe(const rt_aws_settings *session, rt_buf *out, rt_err *err) {
  rt_aws_config cfg;
  int rc = rt_aws_resolve(&cfg, session, err);
  if (rc != 0)
    return rc;
  rt_aws_chain_in in = {.profile = cfg.profile, .config_file = cfg.config_file,
                        .creds_file = cfg.creds_file, .region = cfg.region};
  char sts[RT_AWS_URL_MAX];
  if (rt_aws__sts_endpoint(&in, cfg.profile, sts, sizeof(sts), NULL) != 0)
    snprintf(sts, sizeof(sts), "(not resolvable)");
  rt_buf_printf(out, "profile      %s%s\n", cfg.profile,
                cfg.profile_explicit ? " (session)" : "");
  rt_buf_printf(out, "region       %s\n", cfg.region);
  rt_buf_printf(out, "kinesis      %s\n", cfg.kinesis_endpoint);
  rt_buf_printf(out, "dynamodb     %s%s\n", cfg.dynamodb_endpoint,
                cfg.dynamodb_endpoint_set ? "" : " (default; not used for checkpoints)");
  rt_buf_printf(out, "sts          %s\n", sts);
  creds_lines(&cfg, out);
  return 0;
}
