/*
 * `kinesis "NAME"`: the Kinesis source (rt_source.h). A background thread
 * steps an rt_kin_reader (every shard through one curl multi handle) and
 * appends whole GetRecords answers to a queue; poll(), on the query thread,
 * takes records off the queue into the batch without blocking, splitting KPL
 * aggregates into their user records. The queue is bounded by bytes: when it
 * is full the reader stops fetching (backpressure), so a slow query never
 * makes memory grow. Positions (last handed-over sequence per shard) become
 * checkpoints on commit, and `from checkpoint` resumes after them. With
 * `as "APP"`:
 *  - and a DynamoDB endpoint configured, an endless query takes KCL-style
 *    leases (rt_kinesis_lease.h): several workers of one application split
 *    the shards, each reads only the shards it holds, checkpoints into its
 *    leases (fenced), and releases them on close;
 *  - otherwise (or for `until now`), checkpoints go to a KCL-layout DynamoDB
 *    table or a JSON file (rt_kinesis_checkpoint.h).
 * Either way a checkpoint is written at every commit that moved a position,
 * so a crash repeats at most the last, uncommitted batch. A query with
 * operator state (windows, running aggs, limits) hands save_state: the file
 * store writes that state and the positions in one atomic replace, and
 * `from checkpoint` restores it before the first poll, so the records of
 * open windows are neither lost nor counted twice. The DynamoDB stores have
 * no room for a whole query's state and refuse such a query; with leases, a
 * query whose state merges across workers (rt_dist.h) keeps one state per
 * shard instead, through shard_hooks: restored when a shard is acquired,
 * saved (after its partials are published) when its position is
 * checkpointed, forgotten when its lease goes.
 * Records of a KPL aggregate carry the sequence "SEQ:SUB" (sub-sequence).
 */
#include "rt_source.h"

#include "rt_aws.h"
#include "rt_clock.h"
#include "rt_kinesis.h"
#include "rt_kinesis_checkpoint.h"
#include "rt_kinesis_lease.h"
#include "rt_kinesis_reader.h"
#include "rt_kpl.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { COL_DATA, COL_PK, COL_SEQ, COL_SHARD, COL_ARRIVAL };
/* Checkpoints are written at every commit that moved a position: the
 * micro-batch is the unit of at-least-once, so a crash (or a lease that moves
 * to another worker) repeats at most the batch in flight. A failed write is
 * retried at the next commit after CHECKPOINT_RETRY_MS. */
enum {
  QUEUE_MAX_BYTES = 64 << 20,
  CHECKPOINT_RETRY_MS = 1000,
  LEASE_TICK_MS = 2500, /* at most; a quarter of the failover time */
  STATE_MAX_BYTES = 256 << 20, /* operator state in a checkpoint file */
};

/* What the reader thread queues for the query thread, in order per shard. */
typedef enum chunk_kind {
  CHUNK_RECORDS, /* a GetRecords answer (empty: the shard was read to its end) */
  CHUNK_TIP,     /* a call started at tip_ns found the shard at its tip */
  CHUNK_RESUME,  /* the shard resumes inside a KPL aggregate (resume "SEQ:SUB") */
} chunk_kind;

typedef struct chunk {
  struct chunk *next;
  chunk_kind kind;
  char *shard;            /* owned */
  rt_kin_get_result res;  /* owned (CHUNK_RECORDS) */
  int64_t tip_ns;         /* CHUNK_TIP */
  char *resume;           /* CHUNK_RESUME: "SEQ:SUB" (owned) */
} chunk;

/* Bytes a chunk counts for in the queue's bound. */
static size_t chunk_bytes(const chunk *c) { return c->res.data_bytes + (c->res.n + 1) * 64; }

/* Per-shard positions. */
typedef struct position {
  char *shard;      /* owned */
  char *handed;     /* last sequence handed to the query (owned) */
  char *committed;  /* last sequence the query finished (owned) */
  char *skip_seq;   /* resumed inside this KPL aggregate: its user records up to */
  uint32_t skip_sub;/* skip_sub were counted before; skipped when it comes (owned) */
  int live;         /* shard_hooks: acquire() was called, release() not yet */
} position;

typedef struct src_kinesis {
  rt_awsj *k;                /* client, used by the reader thread */
  rt_kin_reader *reader;     /* owned by the reader thread once it runs */
  pthread_t thread;
  int thread_started;
  atomic_int stop;           /* set by wake()/close() */
  pthread_mutex_t mu;        /* guards the fields down to rstats */
  chunk *head, *tail;        /* the queue */
  size_t queued_bytes;
  int eof;                   /* the reader finished every shard */
  int failed;                /* the reader hit a fatal error (in ferr) */
  rt_err ferr;
  rt_kin_reader_stats rstats;
  /* query-thread state */
  chunk *cur;                /* chunk being handed over */
  size_t cur_i;              /* next record in cur */
  rt_kpl_records kpl;        /* user records of cur's record cur_i */
  size_t kpl_i;              /* next user record, when kpl.n > 0 */
  position *pos;
  size_t npos;
  rt_source_stats st;
  char *stream;              /* owned */
  const rt_clock *clock;     /* borrowed (NULL: the system's) */
  rt_kin_ckpt *ckpt;         /* file checkpoints of `as "APP"`, or NULL */
  rt_kin_leases *leases;     /* leases + checkpoints of `as "APP"` in DynamoDB, or NULL */
  pthread_mutex_t lease_mu;  /* leases are used by the reader and query threads */
  int64_t next_tick_ms;      /* next lease round (reader thread) */
  int ticks;
  int resume;                /* `from checkpoint`: start after the checkpoints */
  atomic_int started;        /* the first listing is done: regained shards resume */
  char resume_buf[160];      /* resume_fn's answer (reader thread only) */
  int64_t ckpt_retry_ms;      /* after a failed checkpoint write: not before (mono) */
  /* The query's cadence, learnt from its polls (written by the query
   * thread, read by the reader thread to time GetRecords calls): */
  _Atomic int64_t take_at_ns;     /* start of the last poll after a wait (mono) */
  _Atomic int64_t take_every_ns;  /* smoothed time between such polls, 0 unknown */
  rt_start from;             /* where new leases start */
  rt_source_save_state_fn save_state; /* the query's operator state, or NULL */
  void *state_ctx;           /* its context (borrowed) */
  const rt_src_shard_hooks *hooks; /* per-shard state with leases, or NULL (borrowed) */
  int64_t lease_tick_ms;     /* time between lease rounds */
} src_kinesis;

/* ---- positions and checkpoints ------------------------------------------ */

static position *pos_get(src_kinesis *s, const char *shard) {
  for (size_t i = 0; i < s->npos; i++)
    if (strcmp(s->pos[i].shard, shard) == 0)
      return &s->pos[i];
  s->pos = rt_xrealloc(s->pos, (s->npos + 1) * sizeof(*s->pos));
  position *p = &s->pos[s->npos++];
  memset(p, 0, sizeof(*p));
  p->shard = rt_xstrdup(shard);
  return p;
}

static void set_str(char **dst, const char *v) {
  char *c = v ? rt_xstrdup(v) : NULL;
  rt_free(*dst);
  *dst = c;
}

static void enqueue(src_kinesis *s, chunk *c);

/* A resume inside a KPL aggregate ("SEQ:SUB"): queued before the records the
 * reader reads from there, so the query thread skips the user records the
 * checkpoint counted. Returns ck. */
static const char *note_resume(src_kinesis *s, const char *shard, const char *ck) {
  if (ck && strchr(ck, ':')) {
    chunk *c = rt_xcalloc(1, sizeof(*c));
    c->kind = CHUNK_RESUME;
    c->shard = rt_xstrdup(shard);
    c->resume = rt_xstrdup(ck);
    enqueue(s, c);
  }
  return ck;
}

static const char *resume_fn(void *ctx, const char *shard) {
  src_kinesis *s = ctx;
  if (s->ckpt)
    return s->resume ? note_resume(s, shard, rt_kin_ckpt_get(s->ckpt, shard)) : NULL;
  /* With leases, a checkpoint in the lease always wins (as in KCL): `from`
   * only chose the sentinel a new lease starts from. Even before the first
   * listing is done: a worker started `from trim_horizon` that takes or
   * steals a lease in its first round resumes where the last holder
   * stopped, rather than re-reading the shard from its start. */
  if (!s->leases)
    return NULL;
  pthread_mutex_lock(&s->lease_mu);
  const char *ck = rt_kin_leases_checkpoint_of(s->leases, shard);
  /* KCL's sentinels (TRIM_HORIZON, LATEST, ...) mean "no position yet" */
  int usable = ck && (strcmp(ck, "SHARD_END") == 0 || (ck[0] >= '0' && ck[0] <= '9')) &&
               strlen(ck) < sizeof(s->resume_buf);
  if (usable) /* copied: the query thread's checkpoints replace the string */
    memcpy(s->resume_buf, ck, strlen(ck) + 1);
  pthread_mutex_unlock(&s->lease_mu);
  return usable ? note_resume(s, shard, s->resume_buf) : NULL;
}

static int owns_fn(void *ctx, const char *shard) {
  src_kinesis *s = ctx;
  pthread_mutex_lock(&s->lease_mu);
  int held = rt_kin_leases_held(s->leases, shard);
  pthread_mutex_unlock(&s->lease_mu);
  return held;
}

static int parent_done_fn(void *ctx, const char *shard) {
  src_kinesis *s = ctx;
  pthread_mutex_lock(&s->lease_mu);
  const char *ck = rt_kin_leases_checkpoint_of(s->leases, shard);
  int done = !ck || strcmp(ck, "SHARD_END") == 0; /* no lease: long gone */
  pthread_mutex_unlock(&s->lease_mu);
  return done;
}

/* The lease sentinel new leases start from, as KCL writes it. */
static const char *initial_sentinel(rt_start from) {
  return from == RT_START_TRIM_HORIZON ? "TRIM_HORIZON"
         : from == RT_START_AT_TIME  ? "AT_TIMESTAMP"
                                       : "LATEST";
}

/* One lease round: every 4th also creates leases for new shards. */
static int lease_round(src_kinesis *s, rt_err *err) {
  int rc = 0;
  if (s->ticks++ % 4 == 0) {
    rt_kin_shards list = {0};
    rc = rt_kin_list_shards(s->k, s->stream, &list, err);
    pthread_mutex_lock(&s->lease_mu);
    if (rc == 0)
      rc = rt_kin_leases_sync(s->leases, &list, initial_sentinel(s->from), err);
    pthread_mutex_unlock(&s->lease_mu);
    rt_kin_shards_clear(&list);
  }
  pthread_mutex_lock(&s->lease_mu);
  if (rc == 0)
    rc = rt_kin_leases_tick(s->leases, rt_clock_mono_ns(s->clock) / 1000000, err);
  pthread_mutex_unlock(&s->lease_mu);
  s->next_tick_ms = rt_clock_mono_ns(s->clock) / 1000000 + s->lease_tick_ms;
  return rc;
}

/* The first lease round lists the shards: like the reader's first listing,
 * it rides out a passing throttle or server error (about 15 s at most). */
static int first_lease_round(src_kinesis *s, rt_err *err) {
  uint64_t rng = (uint64_t)rt_mono_ns() | 1; /* jitter: real time's bits are fine */
  for (int attempt = 0;; attempt++) {
    s->ticks = 0; /* this round lists the shards */
    int rc = lease_round(s, err);
    int transient = rc == RT_ETHROTTLED || rc == RT_ESERVER || rc == RT_ENET ||
                    rc == RT_ETIMEDOUT;
    if (rc == 0 || !transient || attempt >= 5)
      return rc;
    long ms = rt_awsj_backoff_ms(attempt, rc == RT_ETHROTTLED ? 1000 : 200, 4000, &rng);
    rt_clock_sleep_ns(s->clock, ms * 1000000LL);
  }
}

/* ---- per-shard state (shard_hooks) ------------------------------------------ */

/* Makes sure shard's state is loaded before its first record is handed
 * over: the state saved with the lease's checkpoint, from which the reader
 * resumed (the lease is ours, so nobody moved it since). */
static int ensure_live(src_kinesis *s, const char *shard, rt_err *err) {
  if (!s->hooks)
    return 0;
  position *p = pos_get(s, shard);
  if (p->live)
    return 0;
  char *seq = NULL;
  void *state = NULL;
  size_t len = 0;
  rt_err why;
  rt_err_clear(&why);
  pthread_mutex_lock(&s->lease_mu);
  int rc = rt_kin_leases_load_state(s->leases, shard, &seq, &state, &len, &why);
  pthread_mutex_unlock(&s->lease_mu);
  if (rc == 0)
    rc = s->hooks->acquire(s->hooks->ctx, shard, state, len, &why);
  if (rc != 0)
    rt_err_set(err, rc, "shard %s: cannot restore its state (%s): %s", shard, rt_errname(rc),
               why.msg[0] ? why.msg : rt_strerror(rc));
  p->live = rc == 0;
  rt_free(seq);
  rt_free(state);
  return rc;
}

/* ---- the reader thread --------------------------------------------------- */

static void enqueue(src_kinesis *s, chunk *c) {
  pthread_mutex_lock(&s->mu);
  if (s->tail)
    s->tail->next = c;
  else
    s->head = c;
  s->tail = c;
  s->queued_bytes += chunk_bytes(c);
  pthread_mutex_unlock(&s->mu);
}

static void on_records(void *ctx, const char *shard, rt_kin_get_result *res) {
  src_kinesis *s = ctx;
  chunk *c = rt_xcalloc(1, sizeof(*c));
  c->shard = rt_xstrdup(shard);
  c->res = *res;
  memset(res, 0, sizeof(*res));
  enqueue(s, c);
}

/* The reader's at_tip (shard_hooks only): queued behind the shard's records,
 * so the query thread learns it after it has taken them. A tip behind a tip
 * of the same shard replaces it. */
static void on_tip(void *ctx, const char *shard, int64_t asked_ns) {
  src_kinesis *s = ctx;
  pthread_mutex_lock(&s->mu);
  chunk *t = s->tail;
  if (t && t->kind == CHUNK_TIP && strcmp(t->shard, shard) == 0) {
    t->tip_ns = asked_ns;
    pthread_mutex_unlock(&s->mu);
    return;
  }
  pthread_mutex_unlock(&s->mu);
  chunk *c = rt_xcalloc(1, sizeof(*c));
  c->shard = rt_xstrdup(shard);
  c->kind = CHUNK_TIP;
  c->tip_ns = asked_ns;
  enqueue(s, c);
}

static void *reader_main(void *arg) {
  src_kinesis *s = arg;
  rt_err err;
  rt_err_clear(&err);
  while (!atomic_load(&s->stop)) {
    if (s->leases && rt_clock_mono_ns(s->clock) / 1000000 >= s->next_tick_ms)
      lease_round(s, &err); /* a failed round: leases expire, others take over */
    pthread_mutex_lock(&s->mu);
    int may_fetch = s->queued_bytes < QUEUE_MAX_BYTES;
    pthread_mutex_unlock(&s->mu);
    int rc = rt_kin_reader_step(s->reader, may_fetch, 200, on_records, s, &err);
    rt_kin_reader_stats st = rt_kin_reader_get_stats(s->reader);
    pthread_mutex_lock(&s->mu);
    s->rstats = st;
    if (rc == RT_EEOF)
      s->eof = 1;
    else if (rc < 0) {
      s->failed = 1;
      s->ferr = err;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc != 0)
      break;
  }
  return NULL;
}

/* ---- poll ------------------------------------------------------------------ */

/* Takes the next chunk off the queue into s->cur; 0 when there is none. */
static void chunk_free(chunk **cp) {
  chunk *c = *cp;
  if (!c)
    return;
  rt_kin_get_result_clear(&c->res);
  rt_free(c->shard);
  rt_free(c->resume);
  rt_free(c);
  *cp = NULL;
}

/* Takes a CHUNK_RESUME's "SEQ:SUB" into the shard's position. */
static void take_resume(src_kinesis *s, const chunk *c) {
  position *p = pos_get(s, c->shard);
  const char *colon = strchr(c->resume, ':');
  rt_free(p->skip_seq);
  p->skip_seq = rt_xstrndup(c->resume, (size_t)(colon - c->resume));
  p->skip_sub = (uint32_t)strtoul(colon + 1, NULL, 10);
}

static int next_chunk(src_kinesis *s) {
  chunk_free(&s->cur);
  pthread_mutex_lock(&s->mu);
  chunk *c = s->head;
  if (c) {
    s->head = c->next;
    if (!s->head)
      s->tail = NULL;
    s->queued_bytes -= chunk_bytes(c);
  }
  pthread_mutex_unlock(&s->mu);
  s->cur = c;
  s->cur_i = 0;
  s->kpl.n = s->kpl_i = 0;
  if (c && c->kind == CHUNK_TIP) { /* only a shard still ours: a tip never acquires one */
    if (pos_get(s, c->shard)->live)
      s->hooks->at_tip(s->hooks->ctx, c->shard, c->tip_ns / 1000000);
  } else if (c && c->kind == CHUNK_RESUME) {
    take_resume(s, c);
  } else if (c && c->res.n == 0) { /* the reader's end-of-shard marker */
    set_str(&pos_get(s, c->shard)->handed, "SHARD_END");
    if (s->hooks && ensure_live(s, c->shard, NULL) == 0)
      s->hooks->ended(s->hooks->ctx, c->shard);
  }
  return c != NULL;
}

static void emit(src_kinesis *s, rt_batch *b, const rt_kin_record *r, const void *data,
                 size_t len, const char *pk, size_t pklen, const char *seq) {
  size_t row = rt_batch_add_row(b);
  rt_batch_set_str(b, row, COL_DATA, data, len);
  rt_batch_set_str(b, row, COL_PK, pk, pklen);
  rt_batch_set_str(b, row, COL_SEQ, seq, strlen(seq));
  rt_batch_set_str(b, row, COL_SHARD, s->cur->shard, strlen(s->cur->shard));
  rt_batch_set(b, row, COL_ARRIVAL, rt_time(r->arrival_ms));
  rt_batch_add_bytes(b, len);
  s->st.records++;
  s->st.bytes += len;
}

/* Emits the next user record of the current aggregate. */
static void emit_user(src_kinesis *s, rt_batch *b, const rt_kin_record *r) {
  const rt_kpl_record *u = &s->kpl.v[s->kpl_i++];
  char seq[160];
  snprintf(seq, sizeof(seq), "%s:%u", r->sequence, u->sub_sequence);
  emit(s, b, r, u->data, u->len, u->partition_key, u->pk_len, seq);
}

/* The first record of a shard resumed inside a KPL aggregate: how many of
 * its user records the checkpoint counted (0 for any other record). The
 * skip is used once: the resume reads from that very record on. */
static size_t counted_before(position *p, const rt_kin_record *r, size_t nsubs) {
  if (!p->skip_seq)
    return 0;
  size_t n = strcmp(p->skip_seq, r->sequence) == 0 ? (size_t)p->skip_sub + 1 : 0;
  rt_free(p->skip_seq);
  p->skip_seq = NULL;
  return n < nsubs ? n : nsubs;
}

/*
 * Hands over up to max_rows rows from the current record on; returns rows.
 * A KPL aggregate may be cut by the end of a batch: the shard's position is
 * then "SEQ:SUB", the aggregate and its last user record handed over, as
 * KCL's (sequence, sub-sequence) checkpoints, so a resume counts none twice.
 * A cut never falls right after user record 0, so that a lease's
 * checkpointSubSequenceNumber 0 keeps meaning "the whole record".
 */
static size_t take_rows(src_kinesis *s, rt_batch *b, size_t max_rows) {
  size_t rows = 0;
  position *p = pos_get(s, s->cur->shard);
  while (rows < max_rows && s->cur_i < s->cur->res.n) {
    const rt_kin_record *r = &s->cur->res.records[s->cur_i];
    if (s->kpl_i == 0 && s->kpl.n == 0) {
      rt_err err;
      int rc = rt_kpl_decode(r->data, r->data_len, &s->kpl, &err);
      size_t skip = counted_before(p, r, rc > 0 ? s->kpl.n : 1);
      if (rc == 0 && !skip) {
        emit(s, b, r, r->data, r->data_len, r->partition_key, strlen(r->partition_key),
             r->sequence);
        rows++;
      } else if (rc < 0) {
        s->st.bad++;
      } else if (rc > 0) {
        s->kpl_i = skip;
      }
    }
    while (s->kpl_i < s->kpl.n &&
           (rows < max_rows || (s->kpl_i > 0 && s->kpl.v[s->kpl_i - 1].sub_sequence == 0))) {
      emit_user(s, b, r);
      rows++;
    }
    if (s->kpl_i < s->kpl.n) { /* the batch is full in the middle of an aggregate */
      char pos[192];
      snprintf(pos, sizeof(pos), "%s:%u", r->sequence, s->kpl.v[s->kpl_i - 1].sub_sequence);
      set_str(&p->handed, pos);
      break;
    }
    set_str(&p->handed, r->sequence);
    s->cur_i++;
    s->kpl.n = s->kpl_i = 0;
  }
  return rows;
}

/* Polls more than this apart are separate ticks; closer ones drain a backlog. */
static const int64_t TICK_MIN_NS = 50 * 1000000LL, TICK_MAX_NS = 10000 * 1000000LL;

/* Learns the query's poll cadence (query thread). */
static void note_poll(src_kinesis *s) {
  int64_t now = rt_clock_mono_ns(s->clock), last = atomic_load(&s->take_at_ns);
  int64_t gap = now - last, every = atomic_load(&s->take_every_ns);
  if (last && gap < TICK_MIN_NS)
    return;
  if (last && gap < TICK_MAX_NS)
    atomic_store(&s->take_every_ns, every ? (3 * every + gap) / 4 : gap);
  atomic_store(&s->take_at_ns, now);
}

/* The reader's next_take_ns: the first expected poll at or after t. */
static int64_t next_take_fn(void *ctx, int64_t t) {
  src_kinesis *s = ctx;
  int64_t at = atomic_load(&s->take_at_ns), every = atomic_load(&s->take_every_ns);
  if (!at || every <= 0 || t - at > TICK_MAX_NS)
    return 0;
  return t <= at ? at : at + (t - at + every - 1) / every * every;
}

static int kin_poll(void *impl, rt_batch *b, size_t max_rows, rt_err *err) {
  src_kinesis *s = impl;
  size_t rows = 0;
  note_poll(s);
  while (rows < max_rows) {
    if ((!s->cur || s->cur_i >= s->cur->res.n) && !next_chunk(s))
      break;
    int rc = ensure_live(s, s->cur->shard, err);
    if (rc != 0)
      return rc;
    rows += take_rows(s, b, max_rows - rows);
  }
  int more = (s->cur && s->cur_i < s->cur->res.n);
  pthread_mutex_lock(&s->mu);
  more = more || s->head;
  int eof = s->eof, failed = s->failed;
  if (failed && err)
    *err = s->ferr;
  pthread_mutex_unlock(&s->mu);
  if (failed)
    return s->ferr.code ? s->ferr.code : RT_EIO;
  if (more)
    return rows >= max_rows ? RT_SOURCE_MORE : 0;
  return eof ? RT_EEOF : 0;
}

/* ---- the other ops ----------------------------------------------------------- */

static void kin_stats(void *impl, rt_source_stats *out) {
  src_kinesis *s = impl;
  *out = s->st;
  pthread_mutex_lock(&s->mu);
  out->lag_ms = s->rstats.lag_ms;
  out->partitions = s->rstats.shards_active;
  out->throttled = s->rstats.throttled;
  out->retried = s->rstats.retried;
  pthread_mutex_unlock(&s->mu);
}

/* Checkpoints shard p at its committed position (lease_mu held). With
 * shard_hooks, its partials are published first, then the position goes
 * with the shard's state in one fenced switch: a failover resumes the
 * state and the position that belong together. */
static int checkpoint_shard(src_kinesis *s, position *p, rt_err *err) {
  if (!s->hooks || !p->live)
    return rt_kin_leases_checkpoint(s->leases, p->shard, p->committed, err);
  rt_buf st;
  rt_buf_init(&st, STATE_MAX_BYTES);
  int rc = s->hooks->save(s->hooks->ctx, p->shard, &st, err);
  if (rc == 0)
    rc = rt_kin_leases_checkpoint_state(s->leases, p->shard, p->committed,
                                        st.data ? st.data : "", st.len, err);
  rt_buf_free(&st);
  return rc;
}

/* Writes each held shard's committed position into its lease (fenced: a
 * lease another worker took is skipped, it re-reads from its checkpoint). */
static int lease_checkpoints(src_kinesis *s, rt_err *err) {
  int rc = 0;
  pthread_mutex_lock(&s->lease_mu);
  for (size_t i = 0; i < s->npos; i++) {
    position *p = &s->pos[i];
    const char *ck = rt_kin_leases_checkpoint_of(s->leases, p->shard);
    if (!p->committed || !rt_kin_leases_held(s->leases, p->shard) ||
        (ck && strcmp(ck, p->committed) == 0))
      continue;
    int r = checkpoint_shard(s, p, err);
    if (r != 0 && r != RT_ECONFLICT)
      rc = r;
  }
  pthread_mutex_unlock(&s->lease_mu);
  return rc;
}

/* shard_hooks: the lease is held and p->live. Acquires the held shards that
 * are not live yet (a shard with no records also gets a state, and its
 * marks), releases the live ones whose lease went (their positions are
 * forgotten: the next holder resumes from the lease). Query thread. */
static int sync_live(src_kinesis *s, rt_err *err) {
  int rc = 0;
  pthread_mutex_lock(&s->lease_mu);
  int n = rt_kin_leases_count_all(s->leases);
  char **held = rt_xcalloc((size_t)n + 1, sizeof(char *));
  int nheld = 0;
  for (int i = 0; i < n; i++) {
    const char *sh = rt_kin_leases_shard_at(s->leases, i);
    if (sh && rt_kin_leases_held(s->leases, sh))
      held[nheld++] = rt_xstrdup(sh);
  }
  for (size_t i = 0; i < s->npos; i++) {
    position *p = &s->pos[i];
    if (!p->live || rt_kin_leases_held(s->leases, p->shard))
      continue;
    s->hooks->release(s->hooks->ctx, p->shard);
    p->live = 0;
    set_str(&p->handed, NULL);
    set_str(&p->committed, NULL);
  }
  pthread_mutex_unlock(&s->lease_mu);
  for (int i = 0; i < nheld; i++) {
    int r = ensure_live(s, held[i], err);
    rc = rc ? rc : r;
    rt_free(held[i]);
  }
  rt_free(held);
  return rc;
}

/* Saves the query's state into the checkpoint store, to be written with the
 * positions about to be set. On failure neither is set: the store keeps the
 * previous pair. */
static int stage_state(src_kinesis *s, rt_err *err) {
  rt_buf st;
  rt_buf_init(&st, STATE_MAX_BYTES);
  int rc = s->save_state(s->state_ctx, &st);
  if (rc != 0)
    rt_err_set(err, rc, "query state does not fit a checkpoint (%d MiB at most)",
               STATE_MAX_BYTES >> 20);
  else
    rc = rt_kin_ckpt_set_state(s->ckpt, st.data ? st.data : "", st.len, err);
  rt_buf_free(&st);
  return rc;
}

static int kin_commit(void *impl, bool final, rt_err *err) {
  src_kinesis *s = impl;
  int moved = 0;
  if (s->hooks && s->leases) {
    int rc = sync_live(s, err);
    if (rc != 0)
      return rc;
  }
  for (size_t i = 0; i < s->npos; i++)
    moved |= s->pos[i].handed &&
             (!s->pos[i].committed || strcmp(s->pos[i].handed, s->pos[i].committed) != 0);
  if (moved && s->ckpt && s->save_state) {
    int rc = stage_state(s, err);
    if (rc != 0)
      return rc;
  }
  for (size_t i = 0; i < s->npos; i++) {
    if (!s->pos[i].handed)
      continue;
    set_str(&s->pos[i].committed, s->pos[i].handed);
    if (s->ckpt)
      rt_kin_ckpt_set(s->ckpt, s->pos[i].shard, s->pos[i].committed);
  }
  int64_t now = rt_clock_mono_ns(s->clock) / 1000000;
  if ((!s->ckpt && !s->leases) || (!final && now < s->ckpt_retry_ms))
    return 0;
  int rc = s->ckpt ? rt_kin_ckpt_flush(s->ckpt, err) : lease_checkpoints(s, err);
  s->ckpt_retry_ms = rc == 0 ? 0 : now + CHECKPOINT_RETRY_MS;
  return rc;
}

static void kin_positions(void *impl, rt_source_position_fn fn, void *ctx) {
  src_kinesis *s = impl;
  for (size_t i = 0; i < s->npos; i++)
    fn(ctx, s->pos[i].shard, s->pos[i].handed ? s->pos[i].handed
                             : s->pos[i].committed ? s->pos[i].committed : "");
}

static void kin_wake(void *impl) {
  src_kinesis *s = impl;
  atomic_store(&s->stop, 1);
  if (s->reader)
    rt_kin_reader_wakeup(s->reader);
}

static void kin_close(void *impl) {
  src_kinesis *s = impl;
  kin_wake(s);
  if (s->thread_started)
    pthread_join(s->thread, NULL);
  chunk_free(&s->cur); /* what was never taken is dropped, not handed over */
  while (s->head) {
    chunk *c = s->head;
    s->head = c->next;
    chunk_free(&c);
  }
  rt_kpl_records_free(&s->kpl);
  rt_kin_reader_free(&s->reader);
  if (s->leases)
    rt_kin_leases_release_all(s->leases, NULL); /* others take over at once */
  rt_kin_leases_free(&s->leases);
  pthread_mutex_destroy(&s->lease_mu);
  rt_awsj_free(&s->k);
  for (size_t i = 0; i < s->npos; i++) {
    rt_free(s->pos[i].shard);
    rt_free(s->pos[i].handed);
    rt_free(s->pos[i].committed);
    rt_free(s->pos[i].skip_seq);
  }
  rt_free(s->pos);
  rt_free(s->stream);
  rt_kin_ckpt_free(&s->ckpt);
  pthread_mutex_destroy(&s->mu);
  rt_free(s);
}

static const rt_source_ops kinesis_ops = {
    .kind = "kinesis",
    .poll = kin_poll,
    .stats = kin_stats,
    .commit = kin_commit,
    .positions = kin_positions,
    .wake = kin_wake,
    .close = kin_close,
};

/* ---- open -------------------------------------------------------------------- */

/* Resolves the AWS configuration with the session's settings on top. */
static int resolve(const rt_src_kinesis_opts *o, rt_aws_config *cfg, rt_err *err) {
  rt_aws_settings set;
  memset(&set, 0, sizeof(set));
  const char *vals[] = {o->region, o->endpoint, o->dynamodb_endpoint};
  char *dst[] = {set.region, set.endpoint, set.dynamodb_endpoint};
  size_t cap[] = {sizeof(set.region), sizeof(set.endpoint), sizeof(set.dynamodb_endpoint)};
  for (int i = 0; i < 3; i++) {
    if (vals[i] && strlen(vals[i]) >= cap[i])
      return rt_err_set(err, RT_ETOOBIG, "setting \"%s\" is too long", vals[i]);
    if (vals[i])
      memcpy(dst[i], vals[i], strlen(vals[i]) + 1);
  }
  return rt_aws_resolve(cfg, &set, err);
}

static rt_kin_position start_position(const rt_src_kinesis_opts *o) {
  rt_kin_position p = {.type = RT_KIN_LATEST};
  if (o->from == RT_START_TRIM_HORIZON)
    p.type = RT_KIN_TRIM_HORIZON;
  else if (o->from == RT_START_AT_TIME) {
    p.type = RT_KIN_AT_TIMESTAMP;
    p.timestamp_ms = o->from_ms;
  }
  return p;
}

/* `from checkpoint`: hands the checkpointed operator state to the query. */
static int restore_state(src_kinesis *s, const rt_src_kinesis_opts *o, rt_err *err) {
  s->save_state = o->save_state;
  s->state_ctx = o->state_ctx;
  if (!o->save_state) /* this query's positions would not match it */
    return rt_kin_ckpt_set_state(s->ckpt, NULL, 0, err);
  size_t len;
  const void *st = rt_kin_ckpt_state(s->ckpt, &len);
  if (!s->resume || !st || !o->restore_state)
    return 0;
  rt_err why;
  rt_err_clear(&why);
  int rc = o->restore_state(o->state_ctx, st, len, &why);
  if (rc != 0)
    rt_err_set(err, rc, "%s: cannot restore the query's state (%s); a checkpoint of "
               "another query? use another `as` name", rt_kin_ckpt_where(s->ckpt),
               why.msg[0] ? why.msg : rt_strerror(rc));
  return rc;
}

/* Opens the client, the checkpoints and the reader, then starts the thread. */
static int start(src_kinesis *s, const rt_src_kinesis_opts *o, rt_err *err) {
  rt_aws_config cfg;
  int rc = resolve(o, &cfg, err);
  if (rc != 0)
    return rc;
  s->from = o->from;
  s->clock = o->clock;
  s->hooks = o->shard_hooks;
  s->lease_tick_ms = o->lease_ms > 0 ? o->lease_ms / 4 : LEASE_TICK_MS;
  if (s->lease_tick_ms > LEASE_TICK_MS)
    s->lease_tick_ms = LEASE_TICK_MS;
  if (s->lease_tick_ms < 100)
    s->lease_tick_ms = 100;
  s->resume = o->from == RT_START_CHECKPOINT;
  if (!(s->k = rt_kin_new(&cfg, NULL, err)))
    return err && err->code ? err->code : RT_EAUTH;
  /* a bounded read ends when its own shards do: no leases to wait for */
  int leased = o->app && o->app[0] && cfg.dynamodb_endpoint_set && !o->until_now;
  if (o->app && o->app[0] && cfg.dynamodb_endpoint_set && o->save_state)
    return rt_err_set(err, RT_EUNSUPPORTED,
                      "as \"%s\": this query keeps state (windows, aggregates, limits) "
                      "that only a checkpoint file holds; unset the DynamoDB endpoint "
                      "(checkpoint_dir) or drop `as`", o->app);
  if (leased) {
    rt_kin_lease_opts lo = {.table = o->app, .failover_ms = (long)o->lease_ms,
                            .identity = o->shard_hooks ? o->shard_hooks->identity : NULL};
    if (!(s->leases = rt_kin_leases_new(&cfg, &lo, err)))
      return err && err->code ? err->code : RT_EIO;
    if ((rc = first_lease_round(s, err)) != 0)
      return rc;
  } else if (o->app && o->app[0]) {
    /* a stream named by its ARN shares its name's checkpoints */
    rc = rt_kin_ckpt_open(&cfg, o->app, rt_kin_stream_name(o->stream), o->checkpoint_dir,
                          &s->ckpt, err);
    if (rc == 0)
      rc = restore_state(s, o, err);
    if (rc != 0)
      return rc;
  }
  rt_kin_reader_opts ro = {.stream = o->stream, .start = start_position(o),
                           .resume = resume_fn, .resume_ctx = s,
                           .next_take_ns = next_take_fn, .take_ctx = s, .clock = s->clock,
                           .until_ms = o->until_now ? rt_wall_ms() : 0};
  if (leased) {
    ro.owns = owns_fn;
    ro.parent_done = parent_done_fn;
    ro.lease_ctx = s;
  }
  if (leased && s->hooks && s->hooks->at_tip) {
    ro.at_tip = on_tip;
    ro.tip_ctx = s;
  }
  if (!(s->reader = rt_kin_reader_new(s->k, &ro, err)))
    return err && err->code ? err->code : RT_EIO;
  atomic_store(&s->started, 1);
  if (pthread_create(&s->thread, NULL, reader_main, s) != 0)
    return rt_err_set(err, RT_EIO, "cannot start the Kinesis reader thread");
  s->thread_started = 1;
  return 0;
}

int rt_src_kinesis_open(const rt_src_kinesis_opts *o, rt_source **out, rt_err *err) {
  *out = NULL;
  if (!o || !o->stream || !o->stream[0])
    return rt_err_set(err, RT_EINVAL, "kinesis source needs a stream name");
  src_kinesis *s = rt_xcalloc(1, sizeof(*s));
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->lease_mu, NULL);
  s->stream = rt_xstrdup(o->stream);
  s->st.lag_ms = -1;
  s->rstats.lag_ms = -1; /* unknown until the reader thread has stepped */
  int rc = start(s, o, err);
  static const char *const cols[] = {"data", "partition_key", "sequence", "shard", "arrival"};
  rt_source *src = rt_source_new(&kinesis_ops, s, 5, cols);
  if (rc != 0) {
    rt_source_free(&src);
    return rc;
  }
  char desc[300];
  snprintf(desc, sizeof(desc), "kinesis \"%s\" at %s", o->stream, rt_awsj_endpoint(s->k));
  rt_source_set_description(src, desc);
  *out = src;
  return 0;
}
