/*
 * Tests of the shard reader and the Kinesis source against the Kinesis server
 * of this run (kinesalite or kinesis-mock, test_rt_kinesis_server.h):
 * bounded reads (`from trim_horizon until now`) with exact counts and per-key
 * order, KPL de-aggregation and bad aggregates, tailing `from latest`,
 * parents before children across a split, children learned from ChildShards
 * (kinesis-mock) or ListShards (kinesalite), UpdateShardCount while reading
 * (kinesis-mock), a stream named by its ARN, checkpoints resumed by `from
 * checkpoint`, a KPL aggregate cut by a batch counted once across a resume,
 * and a missing stream.
 */
#include "rt_clock.h"
#include "rt_batch.h"
#include "rt_kinesis.h"
#include "rt_kinesis_reader.h"
#include "rt_kpl.h"
#include "rt_mem.h"
#include "rt_source.h"
#include "rt_time.h"
#include "test.h"
#include "test_rt_kinesis_server.h"

#include <sys/stat.h>

static server srv;
static rt_awsj *kc;

static rt_awsj *client_for(const char *url) {
  rt_aws_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
  snprintf(cfg.kinesis_endpoint, sizeof(cfg.kinesis_endpoint), "%s", url);
  rt_awsj *k = rt_kin_new(&cfg, NULL, NULL);
  ASSERT(k != NULL);
  return k;
}

/* Puts n records "{"k":K,"i":I}" with keys key-(I % keys), I from first. */
static void put_n(const char *stream, int first, int n, int keys) {
  rt_awsj_req *r = rt_awsj_req_new(kc);
  rt_kin_put_entry e[100];
  char pk[100][16], data[100][48];
  rt_kin_put_status st[100];
  for (int done = 0; done < n;) {
    int m = n - done < 100 ? n - done : 100;
    for (int j = 0; j < m; j++) {
      int i = first + done + j;
      snprintf(pk[j], sizeof(pk[j]), "key-%d", i % keys);
      snprintf(data[j], sizeof(data[j]), "{\"k\":%d,\"i\":%d}", i % keys, i);
      e[j] = (rt_kin_put_entry){pk[j], NULL, data[j], strlen(data[j])};
    }
    size_t failed;
    ASSERT_EQ(rt_kin_put_records_prepare(r, stream, e, (size_t)m, NULL), 0);
    ASSERT_EQ(rt_kin_put_records_parse(r, rt_awsj_req_perform(r), st, (size_t)m, &failed, NULL),
              0);
    ASSERT_EQ(failed, 0);
    done += m;
  }
  rt_awsj_req_free(&r);
}

static void put_raw(const char *stream, const char *pk, const void *data, size_t len) {
  rt_awsj_req *r = rt_awsj_req_new(kc);
  rt_kin_put_entry e = {pk, NULL, data, len};
  rt_kin_put_status st;
  size_t failed;
  ASSERT_EQ(rt_kin_put_records_prepare(r, stream, &e, 1, NULL), 0);
  ASSERT_EQ(rt_kin_put_records_parse(r, rt_awsj_req_perform(r), &st, 1, &failed, NULL), 0);
  rt_awsj_req_free(&r);
}

static void make_stream(const char *name, int shards) {
  ASSERT_EQ(rt_kin_create_stream(kc, name, shards, NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(kc, name, 5000, NULL), 0);
}

/* What a read saw. */
typedef struct seen {
  int n;
  int last_i[64];   /* per key, the last "i" seen (order check) */
  int have[64];     /* per key, whether last_i is set */
  int more;         /* RT_SOURCE_MORE came back */
  int child_before_parent;
  int saw_child;
  char first_seq[160];
} seen;

static int field(const rt_value *v, const char *name) {
  const char *p = strstr(v->u.str.ptr, name);
  ASSERT(p != NULL);
  return atoi(p + strlen(name));
}

static void check_batch(rt_batch *b, seen *s) {
  for (size_t row = 0; row < rt_batch_nrows(b); row++) {
    const rt_value *data = &rt_batch_col(b, 0)[row];
    ASSERT_EQ(data->type, RT_STRING);
    int k = field(data, "\"k\":"), i = field(data, "\"i\":");
    ASSERT(k >= 0 && k < 64);
    if (s->have[k])
      ASSERT(i > s->last_i[k]); /* per key order */
    s->last_i[k] = i;
    s->have[k] = 1;
    char pk[16];
    snprintf(pk, sizeof(pk), "key-%d", k);
    const rt_value *vpk = &rt_batch_col(b, 1)[row];
    ASSERT_EQ(vpk->u.str.len, strlen(pk));
    ASSERT(memcmp(vpk->u.str.ptr, pk, strlen(pk)) == 0);
    const rt_value *shard = &rt_batch_col(b, 3)[row];
    int is_parent = memcmp(shard->u.str.ptr, "shardId-000000000000", 20) == 0;
    s->saw_child |= !is_parent;
    s->child_before_parent |= is_parent && s->saw_child;
    ASSERT_EQ(rt_batch_col(b, 4)[row].type, RT_TIME);
    ASSERT(rt_batch_col(b, 4)[row].u.ms > 1700000000000);
    const rt_value *seq = &rt_batch_col(b, 2)[row];
    if (!s->first_seq[0])
      snprintf(s->first_seq, sizeof(s->first_seq), "%.*s", (int)seq->u.str.len, seq->u.str.ptr);
    s->n++;
  }
}

/* Polls src until RT_EEOF (or until want rows when want > 0), at most 20 s. */
static int drain(rt_source *src, seen *s, int want) {
  rt_batch *b = rt_batch_new(5);
  rt_err err;
  int rc = 0;
  for (int64_t end = rt_mono_ns() + 20000000000LL; rt_mono_ns() < end;) {
    rt_batch_reset(b);
    rc = rt_source_poll(src, b, 64, &err);
    check_batch(b, s);
    s->more |= rc == RT_SOURCE_MORE;
    if (rc < 0 || (want > 0 && s->n >= want))
      break;
    if (rc == 0)
      usleep(20000);
  }
  rt_batch_free(&b);
  return rc;
}

static rt_source *open_src(const char *stream, rt_start from, int until, const char *app,
                           const char *dir) {
  rt_src_kinesis_opts o = {.stream = stream, .from = from, .until_now = until, .app = app,
                           .endpoint = srv.url, .region = "us-east-1", .checkpoint_dir = dir};
  rt_source *src = NULL;
  rt_err err;
  int rc = rt_src_kinesis_open(&o, &src, &err);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  ASSERT_EQ(rc, 0);
  ASSERT_STR_EQ(rt_source_col(src, 0), "data");
  ASSERT_STR_EQ(rt_source_col(src, 4), "arrival");
  return src;
}

static void test_bounded_read(void) {
  make_stream("r", 2);
  put_n("r", 0, 300, 10);
  rt_source *src = open_src("r", RT_START_TRIM_HORIZON, 1, NULL, NULL);
  seen s = {0};
  ASSERT_EQ(drain(src, &s, 0), RT_EEOF);
  ASSERT_EQ(s.n, 300);
  ASSERT(s.more);
  rt_source_stats st;
  rt_source_stats_get(src, &st);
  ASSERT_EQ(st.records, 300);
  ASSERT_EQ(st.bad, 0);
  rt_batch *b = rt_batch_new(5);
  ASSERT_EQ(rt_source_poll(src, b, 64, NULL), RT_EEOF); /* stays at the end */
  ASSERT_EQ(rt_batch_nrows(b), 0);
  rt_batch_free(&b);
  rt_source_free(&src);
}

/* A KPL aggregate of user records "{"k":I%3,"i":I}", I in [first, first+n),
 * into *out (caller frees) and its partition key into pk. */
static void make_aggregate(int first, int n, rt_buf *out, char pk[257]) {
  rt_kpl_agg *a = rt_kpl_agg_new(0);
  for (int i = first; i < first + n; i++) {
    char key[16], data[48];
    snprintf(key, sizeof(key), "key-%d", i % 3);
    snprintf(data, sizeof(data), "{\"k\":%d,\"i\":%d}", i % 3, i);
    ASSERT_EQ(rt_kpl_agg_add(a, key, NULL, data, strlen(data)), 0);
  }
  rt_buf_init(out, 0);
  char ehk[40];
  ASSERT_EQ(rt_kpl_agg_finish(a, out, pk, ehk), 0);
  rt_kpl_agg_free(&a);
}

static void test_aggregates(void) {
  make_stream("agg", 1);
  put_n("agg", 0, 5, 3);
  rt_buf out;
  char pk[257];
  make_aggregate(5, 50, &out, pk);
  put_raw("agg", pk, out.data, out.len);
  out.data[out.len - 1] ^= 0x55; /* a broken aggregate: counted as bad, skipped */
  put_raw("agg", pk, out.data, out.len);
  put_n("agg", 55, 5, 3);
  rt_source *src = open_src("agg", RT_START_TRIM_HORIZON, 1, NULL, NULL);
  seen s = {0};
  ASSERT_EQ(drain(src, &s, 0), RT_EEOF);
  ASSERT_EQ(s.n, 60);
  rt_source_stats st;
  rt_source_stats_get(src, &st);
  ASSERT_EQ(st.bad, 1);
  rt_source_free(&src);
  rt_buf_free(&out);
}

static void test_tail_latest_sees_new(void) {
  rt_source *src = open_src("r", RT_START_LATEST, 0, NULL, NULL);
  /* every shard has its LATEST iterator once each has answered a
   * GetRecords: the source's lag is known (0) from then on */
  rt_batch *b = rt_batch_new(5);
  rt_source_stats st = {.lag_ms = -1};
  for (int64_t end = rt_mono_ns() + 30000000000LL; st.lag_ms != 0 && rt_mono_ns() < end;) {
    rt_batch_reset(b);
    ASSERT(rt_source_poll(src, b, 64, NULL) >= 0);
    ASSERT_EQ(rt_batch_nrows(b), 0); /* nothing from before the start */
    rt_source_stats_get(src, &st);
    if (st.lag_ms != 0)
      usleep(10000);
  }
  rt_batch_free(&b);
  ASSERT_EQ(st.lag_ms, 0);
  put_n("r", 1000, 20, 10);
  seen s = {0};
  drain(src, &s, 20);
  ASSERT_EQ(s.n, 20);
  rt_source_stats_get(src, &st);
  ASSERT_EQ(st.partitions, 2);
  ASSERT_EQ(st.lag_ms, 0);
  rt_source_free(&src);
}

static void test_split_parents_first(void) {
  make_stream("rs", 1);
  put_n("rs", 0, 60, 12);
  ASSERT_EQ(rt_kin_split_shard(kc, "rs", "shardId-000000000000",
                               "170141183460469231731687303715884105728", NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(kc, "rs", 5000, NULL), 0);
  put_n("rs", 60, 60, 12);
  rt_source *src = open_src("rs", RT_START_TRIM_HORIZON, 1, NULL, NULL);
  seen s = {0};
  ASSERT_EQ(drain(src, &s, 0), RT_EEOF);
  ASSERT_EQ(s.n, 120);
  ASSERT(s.saw_child);
  ASSERT(!s.child_before_parent);
  rt_source_free(&src);
}

static void test_checkpoint_resume(void) {
  char dir[] = "/tmp/eddy-ckpt-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  rt_source *src = open_src("r", RT_START_TRIM_HORIZON, 1, "app1", dir);
  seen s = {0};
  ASSERT_EQ(drain(src, &s, 0), RT_EEOF);
  ASSERT_EQ(s.n, 320);
  ASSERT_EQ(rt_source_commit(src, true, NULL), 0);
  rt_source_free(&src);
  char path[256];
  snprintf(path, sizeof(path), "%s/app1.r.checkpoint.json", dir);
  struct stat sb;
  ASSERT_EQ(stat(path, &sb), 0);

  put_n("r", 2000, 10, 10);
  src = open_src("r", RT_START_CHECKPOINT, 1, "app1", dir);
  seen s2 = {0};
  ASSERT_EQ(drain(src, &s2, 0), RT_EEOF);
  ASSERT_EQ(s2.n, 10);
  rt_source_free(&src);
  unlink(path);
  rmdir(dir);
}

/* Puts one KPL aggregate of user records "{"k":I%3,"i":I}", I in [first, first+n). */
static void put_aggregate(const char *stream, int first, int n) {
  rt_buf out;
  char pk[257];
  make_aggregate(first, n, &out, pk);
  put_raw(stream, pk, out.data, out.len);
  rt_buf_free(&out);
}

static void copy_position(void *ctx, const char *partition, const char *position) {
  (void)partition;
  snprintf(ctx, 192, "%s", position);
}

/* Polls up to max_rows rows (waiting for the first), marking each "i" in
 * counts; returns the rows and the shard's position after them in pos. */
static size_t poll_marking(rt_source *src, size_t max_rows, int *counts, char pos[192]) {
  rt_batch *b = rt_batch_new(5);
  size_t n = 0;
  for (int64_t end = rt_mono_ns() + 20000000000LL; n == 0 && rt_mono_ns() < end;) {
    rt_batch_reset(b);
    ASSERT(rt_source_poll(src, b, max_rows, NULL) >= 0);
    n = rt_batch_nrows(b);
    for (size_t row = 0; row < n; row++)
      counts[field(&rt_batch_col(b, 0)[row], "\"i\":")]++;
    if (n == 0)
      usleep(20000);
  }
  rt_batch_free(&b);
  rt_source_positions(src, copy_position, pos);
  return n;
}

/*
 * A KPL aggregate cut by the end of a batch: the position is KCL's
 * (sequence, sub-sequence) of the last user record handed over, never right
 * after user record 0 (its checkpointSubSequenceNumber would read as the
 * whole record), and a resume `from checkpoint` skips exactly the user
 * records counted before: each one is counted once across the restart.
 */
static void test_aggregate_cut_resumes_exactly(void) {
  make_stream("cut", 1);
  put_aggregate("cut", 0, 7);
  put_aggregate("cut", 7, 7);
  put_n("cut", 14, 3, 3);
  char dir[] = "/tmp/eddy-cut-XXXXXX";
  ASSERT(mkdtemp(dir) != NULL);
  int counts[17] = {0};
  char pos[192];
  rt_source *src = open_src("cut", RT_START_TRIM_HORIZON, 1, "cutapp", dir);
  /* 8 rows asked: the first aggregate (7) and the second's user records 0
   * and 1, since a cut after 0 is not made */
  ASSERT_EQ(poll_marking(src, 8, counts, pos), 9);
  ASSERT(strstr(pos, ":1") != NULL && pos[strlen(pos) - 2] == ':');
  ASSERT_EQ(rt_source_commit(src, true, NULL), 0);
  ASSERT_EQ(poll_marking(src, 3, counts, pos), 3); /* user records 2..4 */
  ASSERT(strcmp(pos + strlen(pos) - 2, ":4") == 0);
  ASSERT_EQ(rt_source_commit(src, true, NULL), 0);
  rt_source_free(&src);

  src = open_src("cut", RT_START_CHECKPOINT, 1, "cutapp", dir);
  rt_batch *b = rt_batch_new(5);
  rt_err err;
  int rc = 0;
  for (int64_t end = rt_mono_ns() + 20000000000LL; rc != RT_EEOF && rt_mono_ns() < end;) {
    rt_batch_reset(b);
    rc = rt_source_poll(src, b, 64, &err);
    ASSERT(rc >= 0 || rc == RT_EEOF);
    for (size_t row = 0; row < rt_batch_nrows(b); row++)
      counts[field(&rt_batch_col(b, 0)[row], "\"i\":")]++;
    if (rc == 0)
      usleep(20000);
  }
  ASSERT_EQ(rc, RT_EEOF);
  for (int i = 0; i < 17; i++)
    ASSERT_EQ(counts[i], 1);
  rt_batch_free(&b);
  rt_source_free(&src);
  char path[256];
  snprintf(path, sizeof(path), "%s/cutapp.cut.checkpoint.json", dir);
  unlink(path);
  rmdir(dir);
}

/* `from "TIME"`: AT_TIMESTAMP between two puts; and past the last record,
 * where kinesalite never answers, the reader falls back to LATEST. */
static void test_from_timestamp(void) {
  make_stream("ts", 1);
  put_n("ts", 0, 10, 5);
  /* the server stamps arrivals itself, in real time: the two puts must be
   * apart in its clock for a time between them to exist (not a wait for
   * an event; nothing else can make that gap) */
  usleep(1200000);
  int64_t mid = rt_wall_ms();
  usleep(300000);
  put_n("ts", 10, 10, 5);
  rt_src_kinesis_opts o = {.stream = "ts", .from = RT_START_AT_TIME, .from_ms = mid,
                           .until_now = true, .endpoint = srv.url};
  rt_source *src = NULL;
  ASSERT_EQ(rt_src_kinesis_open(&o, &src, NULL), 0);
  seen s = {0};
  ASSERT_EQ(drain(src, &s, 0), RT_EEOF);
  ASSERT_EQ(s.n, 10);
  ASSERT_EQ(s.last_i[0], 15);
  rt_source_free(&src);

  usleep(100000);
  o.from_ms = rt_wall_ms() - 50; /* after every record, not in the future */
  ASSERT_EQ(rt_src_kinesis_open(&o, &src, NULL), 0);
  seen s2 = {0};
  ASSERT_EQ(drain(src, &s2, 0), RT_EEOF);
  ASSERT_EQ(s2.n, 0);
  rt_source_free(&src);
}

static void test_missing_stream(void) {
  rt_src_kinesis_opts o = {.stream = "nope", .endpoint = srv.url};
  rt_source *src = NULL;
  rt_err err;
  ASSERT_EQ(rt_src_kinesis_open(&o, &src, &err), RT_ENOTFOUND);
  ASSERT(src == NULL);
  ASSERT(strstr(err.msg, "ResourceNotFoundException") != NULL);
}

/* ---- pacing, on a manual clock ------------------------------------------ */

typedef struct counted {
  int records;
  int tips;              /* at_tip calls */
  int records_at_tip;    /* records delivered before the last one */
  int64_t tip_ns;        /* its asked_ns */
} counted;

static void count_records(void *ctx, const char *shard_id, rt_kin_get_result *res) {
  (void)shard_id;
  ((counted *)ctx)->records += (int)res->n;
}

static void count_tip(void *ctx, const char *shard_id, int64_t asked_ns) {
  counted *c = ctx;
  ASSERT_STR_EQ(shard_id, "shardId-000000000000");
  c->tips++;
  c->records_at_tip = c->records;
  c->tip_ns = asked_ns;
}

/* Steps the reader (real waits of at most 2 ms) until it has sent `sent`
 * GetRecords calls and seen all of them answered; the clock stands still. */
static void step_until_answered(rt_kin_reader *r, counted *c, uint64_t sent) {
  rt_kin_reader_stats st = rt_kin_reader_get_stats(r);
  for (int64_t end = rt_mono_ns() + 30000000000LL;
       (st.get_sent < sent || st.get_calls < st.get_sent) && rt_mono_ns() < end;) {
    ASSERT_EQ(rt_kin_reader_step(r, 1, 2, count_records, c, NULL), 0);
    st = rt_kin_reader_get_stats(r);
  }
  ASSERT_EQ(st.get_sent, sent);
  ASSERT_EQ(st.get_calls, sent);
}

/* Steps the reader n times without moving the clock: no call may start. */
static void step_idle(rt_kin_reader *r, counted *c, int n) {
  for (int i = 0; i < n; i++)
    ASSERT_EQ(rt_kin_reader_step(r, 1, 1, count_records, c, NULL), 0);
}

/*
 * The 5 calls/s limit and the idle wait, exactly: a shard that is behind
 * (each answer full, at Limit 10) calls again 200 ms after its last call
 * started, not a moment before and without any extra wait; a shard whose
 * answer was empty waits idle_ms (500) before it asks again. The clock only
 * moves when the test moves it, so this holds on any machine.
 */
static void test_pacing_on_clock(void) {
  make_stream("pace", 1);
  put_n("pace", 0, 25, 5);
  rt_manual_clock *m = rt_manual_clock_new(1000000000LL, rt_wall_ms());
  counted c = {0};
  rt_kin_reader_opts o = {.stream = "pace", .start = {.type = RT_KIN_TRIM_HORIZON},
                          .limit = 10, .clock = rt_manual_clock_get(m),
                          .at_tip = count_tip, .tip_ctx = &c};
  rt_kin_reader *r = rt_kin_reader_new(kc, &o, NULL);
  ASSERT(r != NULL);
  step_until_answered(r, &c, 1); /* iterator, then the first call: due at once */
  ASSERT_EQ(c.records, 10);
  step_idle(r, &c, 20);
  ASSERT_EQ(rt_kin_reader_get_stats(r).get_sent, 1);
  rt_manual_clock_advance(m, 199);
  step_idle(r, &c, 20);
  ASSERT_EQ(rt_kin_reader_get_stats(r).get_sent, 1); /* 199 ms: not yet */
  rt_manual_clock_advance(m, 1);
  step_until_answered(r, &c, 2); /* 200 ms after the first began */
  ASSERT_EQ(c.records, 20);
  rt_manual_clock_advance(m, 200);
  step_until_answered(r, &c, 3); /* 5 left: the last of the backlog */
  ASSERT_EQ(c.records, 25);
  ASSERT_EQ(c.tips, 0); /* records came: not known to be at the tip */
  rt_manual_clock_advance(m, 200);
  step_until_answered(r, &c, 4); /* answered with nothing: caught up */
  ASSERT_EQ(c.records, 25);
  ASSERT_EQ(c.tips, 1); /* at the tip, after every record, as of the call's start */
  ASSERT_EQ(c.records_at_tip, 25);
  ASSERT_EQ(c.tip_ns, 1000000000LL + 600 * 1000000LL);
  rt_manual_clock_advance(m, 499);
  step_idle(r, &c, 20);
  ASSERT_EQ(rt_kin_reader_get_stats(r).get_sent, 4); /* idle: 500 ms after an empty answer */
  rt_manual_clock_advance(m, 1);
  step_until_answered(r, &c, 5);
  put_n("pace", 25, 3, 3);
  rt_manual_clock_advance(m, 500);
  step_until_answered(r, &c, 6);
  ASSERT_EQ(c.records, 28); /* in order, each once: counted by the callback */
  ASSERT_EQ(c.tips, 2);     /* the fifth call: at the tip; the sixth brought 3 */
  rt_kin_reader_stats st = rt_kin_reader_get_stats(r);
  ASSERT_EQ(st.records, 28);
  ASSERT_EQ(st.throttled, 0);
  rt_kin_reader_free(&r);
  rt_manual_clock_free(&m);
}

/* ---- children, UpdateShardCount, ARNs: every record exactly once ------- */

enum { MAX_I = 2048 };

/* Which records (by their "i") a reader delivered, and how often. */
typedef struct tally {
  int n, dups;
  unsigned char hits[MAX_I];
} tally;

static void tally_records(void *ctx, const char *shard_id, rt_kin_get_result *res) {
  (void)shard_id;
  tally *t = ctx;
  for (size_t j = 0; j < res->n; j++) {
    const char *p = strstr((const char *)res->records[j].data, "\"i\":");
    ASSERT(p != NULL);
    int i = atoi(p + 4);
    ASSERT(i >= 0 && i < MAX_I);
    t->dups += t->hits[i]++ > 0;
    t->n++;
  }
}

/* Steps r until t has want records (at most 30 s of real time). */
static void read_until(rt_kin_reader *r, tally *t, int want) {
  for (int64_t end = rt_mono_ns() + 30000000000LL; t->n < want && rt_mono_ns() < end;) {
    rt_err err;
    int rc = rt_kin_reader_step(r, 1, 50, tally_records, t, &err);
    if (rc != 0)
      fprintf(stderr, "%s\n", err.msg);
    ASSERT_EQ(rc, 0);
  }
  ASSERT_EQ(t->n, want);
  ASSERT_EQ(t->dups, 0);
}

/* A shard split under a running reader that lists shards only at start
 * (list interval of an hour): on kinesis-mock the parent's last answer names
 * its children (ChildShards) and the reader reads them without listing again;
 * kinesalite sends none, so the reader lists at the parent's end. */
static void test_children_from_answers(void) {
  make_stream("cs", 1);
  put_n("cs", 0, 40, 8);
  rt_kin_reader_opts o = {.stream = "cs", .start = {.type = RT_KIN_TRIM_HORIZON},
                          .list_interval_ms = 3600000};
  rt_kin_reader *r = rt_kin_reader_new(kc, &o, NULL);
  ASSERT(r != NULL);
  tally t = {0};
  read_until(r, &t, 40);
  ASSERT_EQ(rt_kin_split_shard(kc, "cs", "shardId-000000000000",
                               "170141183460469231731687303715884105728", NULL), 0);
  ASSERT_EQ(rt_kin_wait_active(kc, "cs", 5000, NULL), 0);
  put_n("cs", 40, 60, 8);
  read_until(r, &t, 100);
  rt_kin_reader_stats st = rt_kin_reader_get_stats(r);
  if (server_is(&srv, "kinesis-mock")) {
    ASSERT_EQ(st.children_learned, 2);
    ASSERT_EQ(st.lists, 1);
  } else {
    ASSERT_EQ(st.children_learned, 0);
    ASSERT(st.lists >= 2);
  }
  rt_kin_reader_free(&r);
}

/* UpdateShardCount 2 -> 3 -> 2 while a reader reads, with records put before,
 * during and after each change: every record comes out exactly once.
 * kinesalite has no UpdateShardCount (UnknownOperationException). */
static void test_update_shard_count(void) {
  make_stream("usc", 2);
  rt_err err;
  if (server_is(&srv, "kinesalite")) {
    ASSERT(rt_kin_update_shard_count(kc, "usc", 3, &err) < 0);
    ASSERT(strstr(err.msg, "UnknownOperationException") != NULL);
    return;
  }
  put_n("usc", 0, 100, 16);
  rt_kin_reader_opts o = {.stream = "usc", .start = {.type = RT_KIN_TRIM_HORIZON}};
  rt_kin_reader *r = rt_kin_reader_new(kc, &o, NULL);
  ASSERT(r != NULL);
  tally t = {0};
  read_until(r, &t, 100);
  int total = 100;
  const int targets[] = {3, 2};
  for (int step = 0; step < 2; step++) {
    int rc = rt_kin_update_shard_count(kc, "usc", targets[step], &err);
    if (rc)
      fprintf(stderr, "%s\n", err.msg);
    ASSERT_EQ(rc, 0);
    put_n("usc", total, 50, 16); /* while UPDATING */
    ASSERT_EQ(rt_kin_wait_active(kc, "usc", 5000, NULL), 0);
    put_n("usc", total + 50, 50, 16);
    total += 100;
    read_until(r, &t, total);
  }
  rt_kin_stream_info info;
  ASSERT_EQ(rt_kin_describe_stream(kc, "usc", &info, NULL), 0);
  ASSERT_EQ(info.open_shards, 2);
  for (int i = 0; i < total; i++)
    ASSERT_EQ(t.hits[i], 1);
  rt_kin_reader_free(&r);
}

/* The source reads a stream named by its ARN (StreamARN in every request):
 * kinesis-mock answers; kinesalite wants StreamName and says so. */
static void test_stream_arn(void) {
  make_stream("arns", 2);
  put_n("arns", 0, 30, 6);
  rt_kin_stream_info info;
  ASSERT_EQ(rt_kin_describe_stream(kc, "arns", &info, NULL), 0);
  ASSERT(strncmp(info.arn, "arn:aws:kinesis:us-east-1:", 26) == 0);
  ASSERT_STR_EQ(rt_kin_stream_name(info.arn), "arns");
  rt_src_kinesis_opts so = {.stream = info.arn, .from = RT_START_TRIM_HORIZON,
                            .until_now = 1, .endpoint = srv.url, .region = "us-east-1"};
  rt_source *src = NULL;
  rt_err err;
  int rc = rt_src_kinesis_open(&so, &src, &err);
  if (server_is(&srv, "kinesalite")) {
    ASSERT(rc < 0);
    ASSERT(strstr(err.msg, "StreamName") != NULL || strstr(err.msg, "Validation") != NULL);
    return;
  }
  ASSERT_EQ(rc, 0);
  seen s = {0};
  ASSERT_EQ(drain(src, &s, 0), RT_EEOF);
  ASSERT_EQ(s.n, 30);
  rt_source_free(&src);
  so.stream = "arn:aws:kinesis:us-east-1:000000000000:nostream/arns";
  ASSERT_EQ(rt_src_kinesis_open(&so, &src, &err), RT_EINVAL);
  ASSERT(strstr(err.msg, "is not a Kinesis stream ARN") != NULL);
}

int main(void) {
  server_start(&srv);
  kc = client_for(srv.url);
  TEST_RUN(test_missing_stream);
  TEST_RUN(test_pacing_on_clock);
  TEST_RUN(test_bounded_read);
  TEST_RUN(test_aggregates);
  TEST_RUN(test_tail_latest_sees_new);
  TEST_RUN(test_split_parents_first);
  TEST_RUN(test_checkpoint_resume);
  TEST_RUN(test_aggregate_cut_resumes_exactly);
  TEST_RUN(test_from_timestamp);
  TEST_RUN(test_children_from_answers);
  TEST_RUN(test_update_shard_count);
  TEST_RUN(test_stream_arn);
  rt_awsj_free(&kc);
  server_stop(&srv);
  return test_summary();
}
