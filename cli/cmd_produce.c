/*
 * eddy produce sensors|clicks: feeds the sensor or the clickstream simulator
 * into a Kinesis stream at a steady rate, for demos, tests and benchmarks. Records are generated on a
 * 100 ms clock tick (record i is due at i/rate seconds, so the rate holds
 * however long a request takes) and sent with PutRecords through
 * rt_producer, optionally KPL-aggregated. Progress goes to stdout once a
 * second; the first Ctrl-C stops generating and flushes, a second one
 * abandons the flush. Exit status: 0 all stored, 1 failure or records
 * dropped, 2 bad usage.
 */
#include "cli.h"

#include "rt_aws.h"
#include "rt_clicks.h"
#include "rt_kinesis.h"
#include "rt_producer.h"
#include "rt_sensors.h"
#include "rt_time.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set by the signal handler: 1 after the first Ctrl-C, 2 after the second.
 * A signal handler can only reach static storage. */
static volatile sig_atomic_t produce_stop;
static volatile int produce_cancel;

static void on_signal(int sig) {
  (void)sig;
  produce_stop = produce_stop + 1;
  if (produce_stop > 1)
    produce_cancel = 1;
}

/* What is generated. */
typedef enum produce_kind { PRODUCE_SENSORS, PRODUCE_CLICKS } produce_kind;

/* Command-line options. */
typedef struct produce_args {
  produce_kind kind;
  const char *stream;
  double rate;       /* records per second */
  long devices;      /* sensors */
  long users;        /* clicks */
  double seconds;    /* 0 = until stopped */
  int aggregate;
  uint64_t seed;
  long create;       /* shards for --create, 0 = do not create */
  rt_aws_settings aws;
} produce_args;

static int usage(void) {
  fprintf(stderr,
          "usage: eddy produce sensors --stream NAME [--devices N] [options]\n"
          "       eddy produce clicks --stream NAME [--users N] [options]\n"
          "  options: [--rate N] [--seconds N] [--aggregate] [--seed N] [--create SHARDS]\n"
          "           [--endpoint URL] [--region REGION]\n"
          "  Writes simulated sensor readings (JSON, partition key = device_id) or page\n"
          "  views (JSON, partition key = user_id) to a Kinesis stream: --rate records/s\n"
          "  (default 100), --devices (10), --users (200), --seconds to run (default:\n"
          "  until Ctrl-C), --aggregate packs them KPL-style, --create makes the stream\n"
          "  with SHARDS shards if it does not exist.\n");
  return 2;
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = s ? strtod(s, &end) : 0;
  if (!s || errno || end == s || *end || !(v >= lo && v <= hi)) {
    fprintf(stderr, "eddy produce: %s needs a number in [%g, %g], not \"%s\"\n", opt, lo, hi,
            s ? s : "");
    return -1;
  }
  *out = v;
  return 0;
}

static int copy_setting(char *dst, size_t n, const char *opt, const char *v) {
  if (!v || strlen(v) >= n) {
    fprintf(stderr, "eddy produce: %s needs a value (shorter than %zu bytes)\n", opt, n);
    return -1;
  }
  memcpy(dst, v, strlen(v) + 1);
  return 0;
}

/* Parses argv after "produce"; returns 0 or 2 (usage). */
static int parse_args(int argc, char **argv, produce_args *a) {
  memset(a, 0, sizeof(*a));
  a->rate = 100;
  a->devices = 10;
  a->users = 200;
  a->seed = 1;
  if (argc >= 2 && strcmp(argv[1], "sensors") == 0)
    a->kind = PRODUCE_SENSORS;
  else if (argc >= 2 && strcmp(argv[1], "clicks") == 0)
    a->kind = PRODUCE_CLICKS;
  else
    return usage();
  for (int i = 2; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d = 0;
    int rc = 0, takes = 1;
    if (strcmp(o, "--aggregate") == 0) {
      a->aggregate = 1;
      takes = 0;
    } else if (strcmp(o, "--stream") == 0) {
      a->stream = v;
      rc = v ? 0 : -1;
    } else if (strcmp(o, "--rate") == 0) {
      rc = parse_num(o, v, 0.001, 1e7, &a->rate);
    } else if (strcmp(o, "--devices") == 0 && a->kind == PRODUCE_SENSORS) {
      rc = parse_num(o, v, 1, 1e6, &d);
      a->devices = (long)d;
    } else if (strcmp(o, "--users") == 0 && a->kind == PRODUCE_CLICKS) {
      rc = parse_num(o, v, 1, 1e8, &d);
      a->users = (long)d;
    } else if (strcmp(o, "--seconds") == 0) {
      rc = parse_num(o, v, 0, 1e9, &a->seconds);
    } else if (strcmp(o, "--seed") == 0) {
      rc = parse_num(o, v, 0, 9007199254740992.0, &d);
      a->seed = (uint64_t)d;
    } else if (strcmp(o, "--create") == 0) {
      rc = parse_num(o, v, 1, 10000, &d);
      a->create = (long)d;
    } else if (strcmp(o, "--endpoint") == 0) {
      rc = copy_setting(a->aws.endpoint, sizeof(a->aws.endpoint), o, v);
    } else if (strcmp(o, "--region") == 0) {
      rc = copy_setting(a->aws.region, sizeof(a->aws.region), o, v);
    } else {
      fprintf(stderr, "eddy produce: unknown option %s\n", o);
      return usage();
    }
    if (rc != 0)
      return usage();
    i += takes;
  }
  if (!a->stream || !a->stream[0]) {
    fprintf(stderr, "eddy produce: --stream NAME is required\n");
    return usage();
  }
  return 0;
}

/* Creates the stream if asked, then checks that it exists and is ACTIVE. */
static int prepare_stream(rt_awsj *k, const produce_args *a) {
  rt_err err;
  if (a->create) {
    int rc = rt_kin_create_stream(k, a->stream, (int)a->create, &err);
    if (rc == 0)
      printf("created stream %s with %ld shards\n", a->stream, a->create);
    else if (rc != RT_EEXIST) {
      fprintf(stderr, "eddy produce: cannot create stream %s: %s\n", a->stream, err.msg);
      return 1;
    }
  }
  int rc = rt_kin_wait_active(k, a->stream, 30000, &err);
  if (rc == RT_ENOTFOUND) {
    fprintf(stderr, "eddy produce: stream \"%s\" not found at %s (use --create SHARDS)\n",
            a->stream, rt_awsj_endpoint(k));
    return 1;
  }
  if (rc != 0) {
    fprintf(stderr, "eddy produce: %s\n", err.msg);
    return 1;
  }
  return 0;
}

/* The generator's position and the numbers it reports. */
typedef struct produce_run {
  const produce_args *a;
  rt_producer *p;
  rt_sensors_cfg sensors;
  rt_clicks_cfg clicks;
  uint64_t next;         /* index of the next record to generate */
  uint64_t total;        /* records to generate (UINT64_MAX: endless) */
  int64_t t0_ns;         /* monotonic start */
  int64_t start_ms;      /* wall-clock start, event time of record 0 */
  uint64_t last_stored;  /* user records stored at the last report */
  int64_t last_report_ns;
} produce_run;

/* Generates the records due by now. When the stream cannot keep up, at most
 * 5,000 per tick, so the queue (and a flush) stays bounded and the progress
 * line keeps coming; the generator then catches up as fast as it can. */
static int generate_due(produce_run *r, int64_t now_ns) {
  double elapsed = (double)(now_ns - r->t0_ns) / 1e9;
  uint64_t due = (uint64_t)floor(elapsed * r->a->rate) + 1;
  if (due > r->total)
    due = r->total;
  if (due > r->next + 5000)
    due = r->next + 5000;
  rt_err err;
  for (; r->next < due; r->next++) {
    char json[(int)RT_CLICKS_JSON_MAX > (int)RT_SENSORS_JSON_MAX ? (int)RT_CLICKS_JSON_MAX
                                                                : (int)RT_SENSORS_JSON_MAX];
    const char *key;
    size_t n;
    rt_sensor_reading s;
    rt_click c;
    if (r->a->kind == PRODUCE_CLICKS) {
      rt_clicks_read(&r->clicks, r->next, rt_clicks_ts(r->start_ms, r->a->rate, r->next), &c);
      n = rt_clicks_json(&c, json, sizeof(json));
      key = c.user_id;
    } else {
      rt_sensors_read(&r->sensors, r->next, rt_sensors_ts(r->start_ms, r->a->rate, r->next),
                      &s);
      n = rt_sensors_json(&s, json, sizeof(json));
      key = s.device_id;
    }
    if (rt_producer_add(r->p, key, json, n, &err) != 0) {
      fprintf(stderr, "eddy produce: %s\n", err.msg);
      return 1;
    }
  }
  return 0;
}

static void report(produce_run *r, int64_t now_ns) {
  rt_producer_stats st = rt_producer_get_stats(r->p);
  double dt = (double)(now_ns - r->last_report_ns) / 1e9;
  printf("[%6.1fs] stored %" PRIu64 " records (%.0f/s), %" PRIu64 " requests, %" PRIu64
         " retried, %" PRIu64 " throttled, %" PRIu64 " failed\n",
         (double)(now_ns - r->t0_ns) / 1e9, st.user_records,
         dt > 0 ? (double)(st.user_records - r->last_stored) / dt : 0.0, st.requests,
         st.retried, st.throttled, st.dropped);
  r->last_stored = st.user_records;
  r->last_report_ns = now_ns;
}

static void sleep_until(int64_t mono_ns) {
  int64_t now = rt_mono_ns();
  if (mono_ns <= now)
    return;
  int64_t d = mono_ns - now;
  struct timespec ts = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
  nanosleep(&ts, NULL);
}

/* The paced loop; returns the exit status. */
static int run_loop(produce_run *r) {
  const int64_t tick = 100000000; /* 100 ms */
  rt_err err;
  for (int64_t k = 1; r->next < r->total && !produce_stop; k++) {
    int64_t now = rt_mono_ns();
    if (generate_due(r, now) != 0)
      return 1;
    if (rt_producer_flush(r->p, &err) != 0) {
      fprintf(stderr, "eddy produce: %s\n", err.msg);
      return 1;
    }
    now = rt_mono_ns();
    if (now - r->last_report_ns >= 1000000000)
      report(r, now);
    if (r->next < r->total)
      sleep_until(r->t0_ns + k * tick);
  }
  if (rt_producer_flush(r->p, &err) != 0) {
    fprintf(stderr, "eddy produce: %s\n", err.msg);
    return 1;
  }
  return 0;
}

static int summarize(produce_run *r, int status) {
  rt_producer_stats st = rt_producer_get_stats(r->p);
  double secs = (double)(rt_mono_ns() - r->t0_ns) / 1e9;
  printf("done: %" PRIu64 " records stored in %" PRIu64 " Kinesis records to stream %s in "
         "%.2f s (%.1f records/s); %" PRIu64 " requests, %" PRIu64 " retried, %" PRIu64
         " throttled, %" PRIu64 " failed, %" PRIu64 " unsent%s\n",
         st.user_records, st.kinesis_records, r->a->stream, secs,
         secs > 0 ? (double)st.user_records / secs : 0.0, st.requests, st.retried,
         st.throttled, st.dropped, st.queued, produce_stop ? " (interrupted)" : "");
  return status == 0 && (st.dropped || st.queued) ? 1 : status;
}

int cli_produce(int argc, char **argv) {
  produce_args a;
  if (parse_args(argc, argv, &a) != 0)
    return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  rt_aws_config cfg;
  rt_err err;
  if (rt_aws_resolve(&cfg, &a.aws, &err) != 0) {
    fprintf(stderr, "eddy produce: %s\n", err.msg);
    return 1;
  }
  rt_awsj *k = rt_kin_new(&cfg, NULL, &err);
  if (!k) {
    fprintf(stderr, "eddy produce: %s\n", err.msg);
    return 1;
  }
  int status = prepare_stream(k, &a);
  rt_producer_opts po = {.stream = a.stream, .aggregate = a.aggregate, .cancel = &produce_cancel};
  rt_producer *p = status == 0 ? rt_producer_new(k, &po, &err) : NULL;
  if (status == 0 && !p) {
    fprintf(stderr, "eddy produce: %s\n", err.msg);
    status = 1;
  }
  if (p) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("producing %g records/s from %ld %s to stream %s at %s%s\n", a.rate,
           a.kind == PRODUCE_CLICKS ? a.users : a.devices,
           a.kind == PRODUCE_CLICKS ? "users" : "devices", a.stream, rt_awsj_endpoint(k),
           a.aggregate ? " (KPL aggregated)" : "");
    produce_run r = {.a = &a,
                     .p = p,
                     .sensors = {.seed = a.seed, .devices = (int)a.devices},
                     .clicks = {.seed = a.seed, .users = (int)a.users}};
    r.total = a.seconds > 0 ? (uint64_t)llround(a.rate * a.seconds) : UINT64_MAX;
    r.t0_ns = r.last_report_ns = rt_mono_ns();
    r.start_ms = rt_wall_ms();
    r.sensors.epoch_ms = r.start_ms; /* same seed and rate => same values, any day */
    r.clicks.epoch_ms = r.start_ms;
    status = summarize(&r, run_loop(&r));
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
  }
  rt_producer_free(&p);
  rt_awsj_free(&k);
  return status;
}
