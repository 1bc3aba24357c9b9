/*
 * Shard reader internals. Each shard owns one rt_awsj_req whose easy handle is
 * in the multi handle while a call is in flight (CURLOPT_PRIVATE points back
 * at the shard). Everything is decided in step(): refresh the shard list when
 * due, start the calls that are due, wait on the multi handle until the next
 * due time (or a wakeup), and apply each finished call to its shard.
 * Time is the monotonic clock; only `until now` looks at wall time.
 */
#include "rt_kinesis_reader.h"

#include "rt_mem.h"
#include "rt_time.h"

#include <string.h>
#include <time.h>

typedef enum sh_state {
  SH_WAIT_PARENTS, /* a parent is not DONE yet */
  SH_NEED_ITER,    /* needs GetShardIterator at pos */
  SH_ITER_FLIGHT,  /* GetShardIterator in flight */
  SH_READY,        /* has an iterator; GetRecords when due */
  SH_GET_FLIGHT,   /* GetRecords in flight */
  SH_DONE,         /* closed and read to the end, or (until now) at its tip */
} sh_state;

typedef struct shard {
  char *id, *parent, *adjacent;  /* owned */
  sh_state st;
  rt_kin_iter_type pos_type;     /* where the next iterator starts */
  char *pos_seq;                 /* for AT_/AFTER_SEQUENCE_NUMBER (owned) */
  char *iterator;                /* current iterator (owned) */
  char *last_seq;                /* last delivered sequence number (owned) */
  int64_t due_ns;                /* no call before this monotonic time */
  int64_t last_get_ns;           /* start of the last GetRecords (5/s limit) */
  int attempts;                  /* consecutive failures */
  int64_t behind_ms;             /* last MillisBehindLatest, -1 unknown */
  int64_t rtt_ns;                /* smoothed GetRecords duration, 0 unknown */
  int parked;                    /* lost its lease: re-position when regained */
  rt_awsj_req *req;              /* this shard's request */
} shard;

struct rt_kin_reader {
  rt_awsj *k;                    /* borrowed client */
  rt_kin_reader_opts o;          /* options with defaults; stream owned below */
  char *stream;
  CURLM *multi;                  /* every shard's transfers */
  shard *sh;                     /* shards in ListShards order */
  size_t n, cap;
  int64_t next_list_ns;          /* next ListShards refresh */
  uint64_t rng;                  /* backoff jitter */
  rt_kin_reader_stats st;
};

/* Now, in the reader clock's monotonic ns. */
static int64_t now_ns(const rt_kin_reader *r) { return rt_clock_mono_ns(r->o.clock); }

static char *dup_or_null(const char *s) { return s ? rt_xstrdup(s) : NULL; }

static void set_str(char **dst, const char *s) {
  char *v = dup_or_null(s);
  rt_free(*dst);
  *dst = v;
}

static shard *find(rt_kin_reader *r, const char *id) {
  for (size_t i = 0; id && i < r->n; i++)
    if (strcmp(r->sh[i].id, id) == 0)
      return &r->sh[i];
  return NULL;
}

/* Positions s at checkpoint ck: after "SEQ"; at "SEQ:SUB" (a KPL aggregate
 * cut after its user record SUB: the consumer skips the ones it counted). */
static void resume_at(shard *s, const char *ck) {
  const char *colon = strchr(ck, ':');
  s->pos_type = colon ? RT_KIN_AT_SEQUENCE_NUMBER : RT_KIN_AFTER_SEQUENCE_NUMBER;
  rt_free(s->pos_seq);
  s->pos_seq = colon ? rt_xstrndup(ck, (size_t)(colon - ck)) : rt_xstrdup(ck);
}

/* The start position of a shard first seen at startup. */
static void initial_position(rt_kin_reader *r, shard *s, int closed) {
  const char *ck = r->o.resume ? r->o.resume(r->o.resume_ctx, s->id) : NULL;
  if (ck && ck[0]) {
    if (strcmp(ck, "SHARD_END") == 0) {
      s->st = SH_DONE;
      return;
    }
    resume_at(s, ck);
    return;
  }
  s->pos_type = r->o.start.type;
  if (closed && s->pos_type == RT_KIN_LATEST)
    s->st = SH_DONE; /* nothing new will ever arrive in it */
}

/* A shard whose parent will be read (resumed mid-way from a checkpoint, or
 * read from the trim horizon) must be read from its own start, whatever the
 * start position says, or the records between the parent's end and "latest"
 * would be skipped. Shards with their own checkpoint keep it. */
static void children_follow_parents(rt_kin_reader *r) {
  for (size_t i = 0; i < r->n; i++) {
    shard *s = &r->sh[i];
    if (s->st == SH_DONE || s->pos_type == RT_KIN_AFTER_SEQUENCE_NUMBER ||
        s->pos_type == RT_KIN_AT_SEQUENCE_NUMBER)
      continue;
    shard *p = find(r, s->parent), *a = find(r, s->adjacent);
    if ((p && p->st != SH_DONE) || (a && a->st != SH_DONE))
      s->pos_type = RT_KIN_TRIM_HORIZON;
  }
}

/* Adds a shard we do not know yet, waiting for its parents; a new shard
 * found after the start is a child: read it all (TRIM_HORIZON). */
static shard *add_shard(rt_kin_reader *r, const char *id, const char *parent,
                        const char *adjacent) {
  if (r->n == r->cap) {
    /* transfers refer to shards by index (CURLOPT_PRIVATE), so it may move */
    r->cap = r->cap ? r->cap * 2 : 16;
    r->sh = rt_xrealloc(r->sh, r->cap * sizeof(*r->sh));
  }
  shard *s = &r->sh[r->n++];
  memset(s, 0, sizeof(*s));
  s->id = rt_xstrdup(id);
  s->parent = dup_or_null(parent);
  s->adjacent = dup_or_null(adjacent);
  s->behind_ms = -1;
  s->st = SH_WAIT_PARENTS;
  s->pos_type = RT_KIN_TRIM_HORIZON;
  s->req = rt_awsj_req_new(r->k);
  return s;
}

/* Adds shards ListShards reports that we do not know yet. */
static void merge_shards(rt_kin_reader *r, const rt_kin_shards *list, int first) {
  for (size_t i = 0; i < list->n; i++) {
    const rt_kin_shard *ls = &list->v[i];
    if (find(r, ls->shard_id))
      continue;
    shard *s = add_shard(r, ls->shard_id, ls->parent_shard_id, ls->adjacent_parent_shard_id);
    if (first)
      initial_position(r, s, ls->ending_sequence != NULL);
  }
  if (first)
    children_follow_parents(r);
}

/* Adds the children a shard's last answer names; returns how many it named
 * (known or new). */
static size_t learn_children(rt_kin_reader *r, const rt_kin_get_result *g) {
  for (size_t i = 0; i < g->n_children; i++) {
    const rt_kin_child *c = &g->children[i];
    if (find(r, c->shard_id))
      continue;
    add_shard(r, c->shard_id, c->parents[0], c->parents[1]);
    r->st.children_learned++;
  }
  return g->n_children;
}

static int list_shards(rt_kin_reader *r, int first, rt_err *err) {
  rt_kin_shards list = {0};
  int rc = rt_kin_list_shards(r->k, r->stream, &list, err);
  int64_t now = now_ns(r);
  r->st.lists++;
  if (rc == 0) {
    merge_shards(r, &list, first);
    r->next_list_ns = now + r->o.list_interval_ms * 1000000LL;
  } else {
    r->next_list_ns = now + 1000000000LL; /* try again in a second */
  }
  rt_kin_shards_clear(&list);
  return rc;
}

/* Is rc a failure that may pass (throttling, a 5xx, a network error)? */
static int transient(int rc) {
  return rc == RT_ETHROTTLED || rc == RT_ESERVER || rc == RT_ENET || rc == RT_ETIMEDOUT;
}

enum { FIRST_LIST_ATTEMPTS = 6 };

/* The first listing decides whether the stream exists, so a passing throttle
 * (LimitExceededException is routine for ListShards when many consumers
 * start) or server error must not fail the query: retry those with jittered
 * backoff, about 15 s at most, before giving up. */
static int list_first(rt_kin_reader *r, rt_err *err) {
  for (int attempt = 0;; attempt++) {
    int rc = list_shards(r, 1, err);
    if (rc == 0 || !transient(rc) || attempt + 1 >= FIRST_LIST_ATTEMPTS)
      return rc;
    if (rc == RT_ETHROTTLED)
      r->st.throttled++;
    else
      r->st.retried++;
    long ms = rt_awsj_backoff_ms(attempt, rc == RT_ETHROTTLED ? 1000 : 200, 4000, &r->rng);
    rt_clock_sleep_ns(r->o.clock, ms * 1000000LL);
  }
}

static void set_defaults(rt_kin_reader_opts *o) {
  if (o->busy_ms <= 0)
    o->busy_ms = 1000 / RT_KIN_GET_PER_SHARD_PER_S;
  if (o->idle_ms <= 0)
    o->idle_ms = 500;
  if (o->limit <= 0 || o->limit > RT_KIN_GET_MAX_RECORDS)
    o->limit = RT_KIN_GET_MAX_RECORDS;
  if (o->list_interval_ms <= 0)
    o->list_interval_ms = 30000;
  if (o->at_timestamp_timeout_ms <= 0)
    o->at_timestamp_timeout_ms = 3000;
}

rt_kin_reader *rt_kin_reader_new(rt_awsj *k, const rt_kin_reader_opts *opts, rt_err *err) {
  if (!opts || !opts->stream || !opts->stream[0]) {
    rt_err_set(err, RT_EINVAL, "the reader needs a stream name");
    return NULL;
  }
  rt_kin_reader *r = rt_xcalloc(1, sizeof(*r));
  r->k = k;
  r->o = *opts;
  set_defaults(&r->o);
  r->stream = rt_xstrdup(opts->stream);
  r->o.stream = r->stream;
  r->multi = curl_multi_init();
  r->rng = (uint64_t)rt_mono_ns() | 1; /* jitter: real time's bits are fine */
  r->st.lag_ms = -1;
  if (!r->multi || list_first(r, err) != 0) {
    if (!r->multi)
      rt_err_set(err, RT_EIO, "libcurl could not make a multi handle");
    rt_kin_reader_free(&r);
  }
  return r;
}

void rt_kin_reader_free(rt_kin_reader **rp) {
  if (!rp || !*rp)
    return;
  rt_kin_reader *r = *rp;
  for (size_t i = 0; i < r->n; i++) {
    shard *s = &r->sh[i];
    if (s->st == SH_ITER_FLIGHT || s->st == SH_GET_FLIGHT)
      curl_multi_remove_handle(r->multi, rt_awsj_req_easy(s->req));
    rt_awsj_req_free(&s->req);
    rt_free(s->id);
    rt_free(s->parent);
    rt_free(s->adjacent);
    rt_free(s->pos_seq);
    rt_free(s->iterator);
    rt_free(s->last_seq);
  }
  rt_free(r->sh);
  if (r->multi)
    curl_multi_cleanup(r->multi);
  rt_free(r->stream);
  rt_free(r);
  *rp = NULL;
}

void rt_kin_reader_wakeup(rt_kin_reader *r) { curl_multi_wakeup(r->multi); }

/* A regained shard continues from its checkpoint if it has one (else from
 * where this reader was). */
static void reposition(rt_kin_reader *r, shard *s) {
  const char *ck = r->o.resume ? r->o.resume(r->o.resume_ctx, s->id) : NULL;
  if (!ck || !ck[0])
    return;
  if (strcmp(ck, "SHARD_END") == 0) {
    s->st = SH_DONE;
    return;
  }
  resume_at(s, ck);
}

static int owned(rt_kin_reader *r, const shard *s) {
  return !r->o.owns || r->o.owns(r->o.lease_ctx, s->id);
}

/* Is parent id still to be read (by us, or, with leases, by anyone)? */
static int parent_pending(rt_kin_reader *r, const char *id) {
  shard *p = find(r, id);
  if (!p || p->st == SH_DONE)
    return 0;
  if (r->o.owns && !owned(r, p) && r->o.parent_done)
    return !r->o.parent_done(r->o.lease_ctx, id);
  return 1;
}

/* With leases: stop reading a shard another worker took; when it comes back,
 * start from its (possibly newer) checkpoint. */
static int check_lease(rt_kin_reader *r, shard *s) {
  if (!r->o.owns || s->st == SH_DONE || s->st == SH_ITER_FLIGHT || s->st == SH_GET_FLIGHT)
    return 1;
  if (!owned(r, s)) {
    if (s->st != SH_WAIT_PARENTS) {
      set_str(&s->iterator, NULL);
      s->st = SH_WAIT_PARENTS;
    }
    s->parked = 1;
    return 0;
  }
  if (s->parked && s->st == SH_WAIT_PARENTS) {
    s->parked = 0;
    reposition(r, s);
  }
  return 1;
}

/* Puts a prepared request of s in flight; the transfer remembers the shard's
 * index + 1, not its address, because the array grows. */
static void launch(rt_kin_reader *r, shard *s, sh_state st) {
  CURL *e = rt_awsj_req_easy(s->req);
  curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)(uintptr_t)(s - r->sh + 1));
  curl_multi_add_handle(r->multi, e);
  s->st = st;
}

static int start_iterator(rt_kin_reader *r, shard *s, rt_err *err) {
  rt_kin_position pos = {s->pos_type, s->pos_seq, r->o.start.timestamp_ms};
  int rc = rt_kin_get_iterator_prepare(s->req, r->stream, s->id, &pos, err);
  if (rc != 0)
    return rc;
  if (s->pos_type == RT_KIN_AT_TIMESTAMP)
    rt_awsj_req_set_timeout(s->req, r->o.at_timestamp_timeout_ms);
  launch(r, s, SH_ITER_FLIGHT);
  return 0;
}

/* When s may start its next call: GetRecords also waits busy_ms after the
 * previous one, whatever happened in between (an iterator renewal must not
 * let a shard exceed 5 calls a second). */
static int64_t next_call_ns(const rt_kin_reader *r, const shard *s) {
  int64_t t = s->due_ns;
  if (s->st == SH_READY && s->last_get_ns + r->o.busy_ms * 1000000LL > t)
    t = s->last_get_ns + r->o.busy_ms * 1000000LL;
  return t;
}

enum { WAKE_SLACK_NS = 2000000 };

/* Starts every call that is due; returns a fatal error or 0. */
static int start_due(rt_kin_reader *r, int may_fetch, int64_t now, rt_err *err) {
  for (size_t i = 0; i < r->n; i++) {
    shard *s = &r->sh[i];
    if (!check_lease(r, s))
      continue;
    if (s->st == SH_WAIT_PARENTS && !parent_pending(r, s->parent) &&
        !parent_pending(r, s->adjacent))
      s->st = SH_NEED_ITER;
    if (next_call_ns(r, s) > now)
      continue;
    int rc = 0;
    if (s->st == SH_NEED_ITER) {
      rc = start_iterator(r, s, err);
    } else if (s->st == SH_READY && may_fetch) {
      rc = rt_kin_get_records_prepare(s->req, s->iterator, r->o.limit, err);
      if (rc == 0) {
        /* Spacing counts from the scheduled start when the call is only a
         * wake-up late (under WAKE_SLACK_NS): otherwise those few hundred
         * microseconds pile up call after call, and a shard timed to answer
         * before each poll slips until it misses one. */
        int64_t sched = next_call_ns(r, s);
        launch(r, s, SH_GET_FLIGHT);
        r->st.get_sent++;
        s->last_get_ns = now - sched <= WAKE_SLACK_NS ? sched : now;
      }
    }
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* Schedules a retry of s after a failure of class c. */
static void back_off(rt_kin_reader *r, shard *s, rt_awsj_class c) {
  long base = c == RT_AWSJ_THROTTLED ? 1000 : 200;
  if (c == RT_AWSJ_THROTTLED)
    r->st.throttled++;
  else
    r->st.retried++;
  long ms = rt_awsj_backoff_ms(s->attempts++, base, 10000, &r->rng);
  if (c == RT_AWSJ_THROTTLED && ms < 1000)
    ms = 1000;
  s->due_ns = now_ns(r) + ms * 1000000LL;
}

/* The next iterator starts after the last delivered record, else where it was. */
static void renew_iterator(shard *s) {
  if (s->last_seq) {
    s->pos_type = RT_KIN_AFTER_SEQUENCE_NUMBER;
    set_str(&s->pos_seq, s->last_seq);
  }
  set_str(&s->iterator, NULL);
  s->st = SH_NEED_ITER;
}

static int on_iterator(rt_kin_reader *r, shard *s, CURLcode cc, rt_err *err) {
  char *it = NULL;
  int rc = rt_kin_get_iterator_parse(s->req, cc, &it, err);
  s->st = SH_NEED_ITER;
  if (rc == 0) {
    rt_free(s->iterator);
    s->iterator = it;
    s->st = SH_READY;
    s->attempts = 0;
    return 0;
  }
  rt_awsj_class c = rt_awsj_req_class(s->req);
  if (rc == RT_ETIMEDOUT && s->pos_type == RT_KIN_AT_TIMESTAMP) {
    s->pos_type = RT_KIN_LATEST; /* kinesalite never answers past its last record */
    return 0;
  }
  if (rc == RT_EINVAL && (s->pos_type == RT_KIN_AT_SEQUENCE_NUMBER ||
                          s->pos_type == RT_KIN_AFTER_SEQUENCE_NUMBER) && s->attempts < 3) {
    r->st.trimmed++; /* the resume point is gone (trimmed): read what is left */
    s->pos_type = RT_KIN_TRIM_HORIZON;
    s->attempts++;
    return 0;
  }
  if (c == RT_AWSJ_THROTTLED || c == RT_AWSJ_RETRYABLE) {
    back_off(r, s, c);
    return 0;
  }
  return rc;
}

/* Arrival times are approximate: kinesalite stamps the first records of a
 * child shard up to a second in the future (its sequence numbers start at the
 * shard's creation, rounded up), so `until` allows this much. */
enum { UNTIL_SLACK_MS = 1000 };

/* Drops records that arrived after until_ms; returns 1 if any were dropped. */
static int cut_at_until(rt_kin_reader *r, rt_kin_get_result *g) {
  for (size_t i = 0; i < g->n; i++) {
    if (g->records[i].arrival_ms > r->o.until_ms + UNTIL_SLACK_MS) {
      g->n = i;
      return 1;
    }
  }
  return 0;
}

/* When a caught-up shard calls next: not before earliest, and timed so that
 * its answer lands just before the consumer next takes records (so a record
 * waits for the 5 calls/s pacing, not also for the consumer's interval).
 * Aims at the first take a call started at earliest can make (smoothed call
 * time + 5 ms later), starting as late as possible before it: a lead of
 * twice the call time plus 20 ms. */
static int64_t aligned_due(rt_kin_reader *r, const shard *s, int64_t earliest) {
  if (!r->o.next_take_ns || s->rtt_ns <= 0)
    return earliest;
  int64_t lead = 2 * s->rtt_ns + 20000000LL;
  int64_t take = r->o.next_take_ns(r->o.take_ctx, earliest + s->rtt_ns + 5000000LL);
  return take - lead > earliest ? take - lead : earliest;
}

static void deliver(rt_kin_reader *r, shard *s, rt_kin_get_result *g, rt_kin_records_fn fn,
                    void *ctx) {
  int at_until = r->o.until_ms > 0 && cut_at_until(r, g);
  size_t n = g->n;
  if (n) {
    set_str(&s->last_seq, g->records[n - 1].sequence);
    r->st.records += n;
  }
  int64_t now = now_ns(r);
  s->behind_ms = g->millis_behind;
  rt_free(s->iterator);
  s->iterator = g->next_iterator;
  g->next_iterator = NULL;
  s->st = s->iterator ? SH_READY : SH_DONE;
  if (r->o.until_ms > 0 && (at_until || (n == 0 && g->millis_behind <= 0)))
    s->st = SH_DONE;
  /* a closed shard: take its children from the answer (this may move r->sh,
   * so s is found again by index), or look for them with ListShards now */
  if (!s->iterator) {
    size_t idx = (size_t)(s - r->sh);
    if (learn_children(r, g) == 0)
      r->next_list_ns = now;
    s = &r->sh[idx];
  } else if (s->st == SH_DONE) {
    r->next_list_ns = now;
  }
  /* the 5 calls/s limit counts from call starts: a shard that is behind
   * calls again as soon as busy_ms have passed since its last call began */
  s->due_ns = n ? s->last_get_ns + r->o.busy_ms * 1000000LL : now + r->o.idle_ms * 1000000LL;
  int caught_up = n < (size_t)r->o.limit && g->millis_behind <= 0;
  if (caught_up && s->st == SH_READY)
    s->due_ns = aligned_due(r, s, s->due_ns);
  if (n && fn)
    fn(ctx, s->id, g);
  if (!n && s->iterator && g->millis_behind <= 0 && r->o.at_tip)
    r->o.at_tip(r->o.tip_ctx, s->id, s->last_get_ns);
  if (!s->iterator && fn) { /* read to its end: tell the consumer (SHARD_END) */
    rt_kin_get_result end = {0};
    fn(ctx, s->id, &end);
  }
}

static int on_records(rt_kin_reader *r, shard *s, CURLcode cc, rt_kin_records_fn fn, void *ctx,
                      rt_err *err) {
  rt_kin_get_result g = {0};
  int rc = rt_kin_get_records_parse(s->req, cc, &g, err);
  r->st.get_calls += rc == 0;
  s->st = SH_READY;
  if (rc == 0) {
    int64_t took = (int64_t)(rt_awsj_req_elapsed_ms(s->req) * 1e6);
    s->rtt_ns = s->rtt_ns ? (3 * s->rtt_ns + took) / 4 : took;
    s->attempts = 0;
    deliver(r, s, &g, fn, ctx);
    rt_kin_get_result_clear(&g);
    return 0;
  }
  rt_awsj_class c = rt_awsj_req_class(s->req);
  if (c == RT_AWSJ_EXPIRED || (rc == RT_EINVAL && s->attempts < 3)) {
    r->st.expired += c == RT_AWSJ_EXPIRED;
    s->attempts += c != RT_AWSJ_EXPIRED;
    renew_iterator(s);
    return 0;
  }
  if (c == RT_AWSJ_THROTTLED || c == RT_AWSJ_RETRYABLE) {
    back_off(r, s, c);
    return 0;
  }
  return rc;
}

/* Applies every finished transfer. */
static int collect(rt_kin_reader *r, rt_kin_records_fn fn, void *ctx, rt_err *err) {
  CURLMsg *m;
  int left, rc = 0;
  while (rc == 0 && (m = curl_multi_info_read(r->multi, &left))) {
    if (m->msg != CURLMSG_DONE)
      continue;
    CURL *e = m->easy_handle;
    CURLcode cc = m->data.result;
    char *priv = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
    curl_multi_remove_handle(r->multi, e);
    uintptr_t idx = (uintptr_t)priv;
    if (idx == 0 || idx > r->n)
      continue;
    shard *s = &r->sh[idx - 1];
    rc = s->st == SH_ITER_FLIGHT ? on_iterator(r, s, cc, err) : on_records(r, s, cc, fn, ctx, err);
  }
  return rc;
}

/* Milliseconds until the earliest due call (capped at max_ms). */
static long wait_ms(rt_kin_reader *r, int may_fetch, int64_t now, long max_ms) {
  int64_t next = now + max_ms * 1000000LL;
  for (size_t i = 0; i < r->n; i++) {
    shard *s = &r->sh[i];
    if ((s->st == SH_NEED_ITER || (s->st == SH_READY && may_fetch)) && next_call_ns(r, s) < next)
      next = next_call_ns(r, s);
  }
  return next <= now ? 0 : (long)((next - now + 999999) / 1000000LL); /* round up: no spin */
}

static void update_stats(rt_kin_reader *r) {
  bool unknown = false;
  int active = 0, done = 0;
  int64_t lag = -1;
  for (size_t i = 0; i < r->n; i++) {
    if (r->sh[i].st == SH_DONE) {
      done++;
      continue;
    }
    if (r->o.owns && r->sh[i].parked)
      continue; /* another worker's */
    active++;
    if (r->sh[i].behind_ms < 0)
      unknown = true; /* not answered yet: the others' lag says nothing of it */
    else if (r->sh[i].behind_ms > lag)
      lag = r->sh[i].behind_ms;
  }
  r->st.shards_active = active;
  r->st.shards_done = done;
  r->st.lag_ms = unknown ? -1 : lag;
}

int rt_kin_reader_step(rt_kin_reader *r, int may_fetch, long max_wait_ms, rt_kin_records_fn fn,
                       void *ctx, rt_err *err) {
  int64_t now = now_ns(r);
  if (now >= r->next_list_ns) {
    int rc = list_shards(r, 0, err); /* transient failures: retried in a second */
    if (rc == RT_ENOTFOUND || rc == RT_EAUTH || rc == RT_EINVAL)
      return rc;
  }
  int rc = start_due(r, may_fetch, now, err);
  if (rc != 0)
    return rc;
  int running = 0;
  curl_multi_perform(r->multi, &running);
  /* Transfers that finished in that perform are applied now: the poll below
   * would otherwise sit out its whole wait (nothing left to wake it) with
   * their answers in hand, delaying each by up to max_wait_ms. */
  rc = collect(r, fn, ctx, err);
  if (rc == 0) {
    long ms = wait_ms(r, may_fetch, now_ns(r), max_wait_ms < 0 ? 0 : max_wait_ms);
    if (ms > 0)
      curl_multi_poll(r->multi, NULL, 0, (int)ms, NULL);
    curl_multi_perform(r->multi, &running);
    rc = collect(r, fn, ctx, err);
  }
  update_stats(r);
  if (rc != 0)
    return rc;
  /* all done (a shard another worker holds is not: holding no lease for a
   * while must not end the query), and the list was read after the last
   * one closed */
  return r->n > 0 && r->st.shards_done == (int)r->n && now_ns(r) < r->next_list_ns ? RT_EEOF : 0;
}

rt_kin_reader_stats rt_kin_reader_get_stats(const rt_kin_reader *r) { return r->st; }
