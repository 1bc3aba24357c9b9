/*
 * Session ids and headers. msg_ids must never repeat (the client drops a
 * signature it has seen, and every message's signature covers its msg_id), so
 * they come from a 64-bit counter pushed through splitmix64, a bijection:
 * distinct counters give distinct ids without a lock or a syscall per message.
 * The random seed makes ids unpredictable across processes. Headers are
 * written with snprintf rather than jansson: they sit on every message's path.
 */
#include "kn_session.h"

#include "rt_hash.h"
#include "rt_mem.h"
#include "rt_time.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct kn_session {
  uint64_t seed[2];          /* random per process */
  atomic_uint_fast64_t next; /* message counter */
  char id[KN_UUID_LEN];      /* this kernel's session id */
  char user[64];             /* username field, JSON-safe */
};

static void random_seed(uint64_t seed[2]) {
  if (getrandom(seed, 2 * sizeof(uint64_t), GRND_NONBLOCK) ==
      (ssize_t)(2 * sizeof(uint64_t)))
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  seed[0] = rt_splitmix64((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32));
  seed[1] = rt_splitmix64(seed[0] ^ (uint64_t)ts.tv_sec);
}

/* Keeps [A-Za-z0-9._-] of the login name so the header needs no escaping. */
static void set_user(kn_session *s) {
  const char *u = getenv("USER");
  size_t n = 0;
  for (; u && *u && n < sizeof(s->user) - 1; u++)
    if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
        (*u >= '0' && *u <= '9') || *u == '.' || *u == '_' || *u == '-')
      s->user[n++] = *u;
  if (n == 0)
    n = (size_t)snprintf(s->user, sizeof(s->user), "eddy");
  s->user[n] = '\0';
}

kn_session *kn_session_new(void) {
  kn_session *s = rt_xcalloc(1, sizeof(*s));
  random_seed(s->seed);
  atomic_init(&s->next, 0);
  kn_session_uuid(s, s->id);
  set_user(s);
  return s;
}

void kn_session_free(kn_session **session) {
  if (!session || !*session)
    return;
  rt_free(*session);
  *session = NULL;
}

const char *kn_session_id(const kn_session *session) { return session->id; }

char *kn_session_uuid(kn_session *session, char *out) {
  uint64_t n = atomic_fetch_add(&session->next, 1);
  uint64_t hi = rt_splitmix64(n ^ session->seed[0]);
  uint64_t lo = rt_splitmix64(n ^ session->seed[1]);
  hi = (hi & ~0xf000ULL) | 0x4000ULL;                  /* version 4 */
  lo = (lo & ~(3ULL << 62)) | (2ULL << 62);            /* RFC 4122 variant */
  snprintf(out, KN_UUID_LEN, "%08x-%04x-%04x-%04x-%012llx",
           (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xffff),
           (unsigned)(hi & 0xffff), (unsigned)(lo >> 48),
           (unsigned long long)(lo & 0xffffffffffffULL));
  return out;
}

size_t kn_session_header(kn_session *session, const char *msg_type, char *out) {
  char id[KN_UUID_LEN], date[RT_TIME_ISO_US_LEN];
  if (strlen(msg_type) > 64 || strpbrk(msg_type, "\"\\"))
    return 0;
  kn_session_uuid(session, id);
  rt_time_format_us(rt_wall_us(), date);
  int n = snprintf(out, KN_HEADER_MAX,
                   "{\"msg_id\":\"%s\",\"session\":\"%s\",\"username\":\"%s\","
                   "\"date\":\"%s\",\"msg_type\":\"%s\",\"version\":\"5.3\"}",
                   id, session->id, session->user, date, msg_type);
  return (n > 0 && n < KN_HEADER_MAX) ? (size_t)n : 0;
}
