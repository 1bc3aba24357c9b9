/*
 * A deterministic clickstream simulator: the data behind `eddy produce
 * clicks`. Like rt_sensors, a click is a pure function of (seed, user count,
 * record index, event time), so two runs with the same seed yield the same
 * sequence and any click can be regenerated on its own.
 *
 * Time is cut into slots of RT_CLICKS_SLOT_MS from cfg->epoch_ms; in each slot
 * about a third of the users are active (a hash of seed, user and slot
 * decides). Record i is a page view by an active user; a session is a run of
 * consecutive active slots of one user, so a user who is idle for a slot (a
 * minute) starts a new session, and `session 30s on ts` finds them. Pages
 * follow a Zipf-like popularity over RT_CLICKS_PAGES pages ("/" most viewed);
 * the referrer is an external site for a session's own source and mostly
 * "internal" after that.
 */
#ifndef EDDY_RT_CLICKS_H
#define EDDY_RT_CLICKS_H

#include <stddef.h>
#include <stdint.h>

enum {
  RT_CLICKS_JSON_MAX = 256, /* longest JSON rt_clicks_json() writes, NUL included */
  RT_CLICKS_ID_MAX = 32,    /* user_id and session_id buffers */
  RT_CLICKS_PAGES = 30,     /* distinct pages */
  RT_CLICKS_SLOT_MS = 60000 /* activity slot: idle for one slot ends a session */
};

/* What the simulator is asked for; a plain struct filled by the caller. */
typedef struct rt_clicks_cfg {
  uint64_t seed;    /* same seed => same clicks */
  int users;        /* number of users, >= 1 (values < 1 are taken as 1) */
  int64_t epoch_ms; /* origin of the activity slots (0 = the Unix epoch); set it to
                       record 0's event time to make runs with the same seed and
                       rate yield the same clicks whenever they start */
} rt_clicks_cfg;

/* One page view. page and referrer point to static strings. */
typedef struct rt_click {
  char user_id[RT_CLICKS_ID_MAX];    /* "user-0042": zero-padded to 4 digits */
  int user;                          /* user number, 0 .. users-1 */
  char session_id[RT_CLICKS_ID_MAX]; /* "s-" + 12 hex digits, same for one session */
  const char *page;                  /* "/", "/search", "/product/espresso", ... */
  int page_rank;                     /* 0 = most popular, .. RT_CLICKS_PAGES-1 */
  const char *referrer;              /* "google.com", ..., "direct" or "internal" */
  int64_t ts;                        /* event time, ms since the epoch */
} rt_click;

/*
 * Fills *out with click number index at event time ts_ms. Deterministic in
 * (cfg->seed, cfg->users, index, ts_ms - cfg->epoch_ms). Never fails;
 * thread-safe.
 */
void rt_clicks_read(const rt_clicks_cfg *cfg, uint64_t index, int64_t ts_ms, rt_click *out);

/* The event time of record index for a producer that starts at start_ms and
 * emits rate records per second (rate <= 0 is taken as 1), as rt_sensors_ts(). */
int64_t rt_clicks_ts(int64_t start_ms, double rate, uint64_t index);

/* The page of popularity rank (0 .. RT_CLICKS_PAGES-1), or NULL. Static. */
const char *rt_clicks_page(int rank);

/*
 * Writes c as one JSON object (no newline) into buf of size bufsz, e.g.
 * {"user_id":"user-0042","session_id":"s-1a2b3c4d5e6f","page":"/search",
 *  "referrer":"google.com","ts":1763...}
 * Returns the length written (excluding the NUL), or the length needed when
 * bufsz is too small (then buf holds nothing useful), like snprintf.
 * RT_CLICKS_JSON_MAX is always enough.
 */
size_t rt_clicks_json(const rt_click *c, char *buf, size_t bufsz);

#endif
