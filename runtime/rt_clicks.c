/*
 * Clickstream simulator. Every choice is a splitmix64 hash of the seed and
 * what it depends on (user, slot, record index), so nothing is kept between
 * calls: who is active in a slot, which active user clicks, where their
 * session started (the run of active slots, walked back at most
 * MAX_SESSION_SLOTS), the page (Zipf-like weights) and the referrer.
 */
#include "rt_clicks.h"

#include "rt_hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
  ACTIVE_PER_1024 = 340, /* chance a user is active in a slot: about 1/3 */
  PICK_TRIES = 24,       /* draws to find an active user */
  MAX_SESSION_SLOTS = 90 /* a session is at most this many slots long */
};

static uint64_t hash3(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t hb = rt_splitmix64(b + 0x632BE59BD9B4E019ull);
  return rt_splitmix64(seed ^ rt_splitmix64(a * 0x100000001B3ull ^ hb));
}

/* Pages by popularity rank; weights about 1000 / (rank + 1), a Zipf law. */
static const char *const pages[RT_CLICKS_PAGES] = {
    "/",
    "/search",
    "/products",
    "/product/espresso-machine",
    "/cart",
    "/product/grinder",
    "/deals",
    "/product/kettle",
    "/checkout",
    "/product/french-press",
    "/account",
    "/product/milk-frother",
    "/blog",
    "/product/scale",
    "/help",
    "/product/beans-ethiopia",
    "/blog/brew-guide",
    "/product/beans-colombia",
    "/orders",
    "/product/cups",
    "/about",
    "/blog/grind-size",
    "/product/filters",
    "/contact",
    "/product/descaler",
    "/careers",
    "/blog/latte-art",
    "/product/gift-card",
    "/privacy",
    "/terms",
};
static const uint16_t weights[RT_CLICKS_PAGES] = {
    1000, 500, 333, 250, 200, 167, 143, 125, 111, 100, 91, 83, 77, 71, 67,
    62,   59,  56,  53,  50,  48,  45,  43,  42,  40,  38, 37, 36, 34, 33,
};

/* Where sessions come from, with weights out of 100. */
static const char *const sources[] = {"direct", "google.com", "bing.com", "newsletter",
                                      "news.ycombinator.com", "twitter.com"};
static const uint8_t source_weights[] = {30, 40, 8, 10, 7, 5};

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int active(uint64_t seed, int user, int64_t slot) {
  return (hash3(seed ^ 0xAC71FEull, (uint64_t)user, (uint64_t)slot) & 1023) < ACTIVE_PER_1024;
}

static const char *pick_page(uint64_t h, int *rank) {
  unsigned total = 0;
  for (int i = 0; i < RT_CLICKS_PAGES; i++)
    total += weights[i];
  unsigned r = (unsigned)(h % total);
  for (int i = 0; i < RT_CLICKS_PAGES; i++) {
    if (r < weights[i]) {
      *rank = i;
      return pages[i];
    }
    r -= weights[i];
  }
  *rank = RT_CLICKS_PAGES - 1; /* not reached */
  return pages[RT_CLICKS_PAGES - 1];
}

int64_t rt_clicks_ts(int64_t start_ms, double rate, uint64_t index) {
  if (!(rate > 0))
    rate = 1;
  return start_ms + (int64_t)((double)index * 1000.0 / rate);
}

const char *rt_clicks_page(int rank) {
  return rank >= 0 && rank < RT_CLICKS_PAGES ? pages[rank] : NULL;
}

void rt_clicks_read(const rt_clicks_cfg *cfg, uint64_t index, int64_t ts_ms, rt_click *out) {
  int users = cfg->users < 1 ? 1 : cfg->users;
  uint64_t seed = cfg->seed;
  int64_t slot = floor_div(ts_ms - cfg->epoch_ms, RT_CLICKS_SLOT_MS);

  /* An active user of this slot: PICK_TRIES random draws, then (rarely) a
   * scan from the first draw. Only when no user at all is active (a handful
   * of users) does an idle one click, in a session of its own slot. */
  int first = (int)(hash3(seed, index, 0) % (uint64_t)users), user = first;
  int found = active(seed, user, slot);
  for (int t = 1; t < PICK_TRIES && !found; t++) {
    user = (int)(hash3(seed, index, (uint64_t)t) % (uint64_t)users);
    found = active(seed, user, slot);
  }
  for (int j = 1; j < users && !found; j++) {
    user = (first + j) % users;
    found = active(seed, user, slot);
  }
  if (!found)
    user = first;
  int64_t start = slot;
  while (found && slot - start < MAX_SESSION_SLOTS - 1 && active(seed, user, start - 1))
    start--;

  uint64_t sess = hash3(seed ^ 0x5E55ull, (uint64_t)user, (uint64_t)start);
  uint64_t h = hash3(seed ^ 0xC11Cull, index, 0);

  snprintf(out->user_id, sizeof(out->user_id), "user-%04d", user);
  snprintf(out->session_id, sizeof(out->session_id), "s-%012" PRIx64,
           (uint64_t)(sess & 0xFFFFFFFFFFFFull));
  out->user = user;
  out->page = pick_page(h >> 8, &out->page_rank);
  if ((h & 0xFF) < 64) { /* a quarter of the views carry the session's source */
    unsigned r = (unsigned)(rt_splitmix64(sess) % 100);
    size_t i = 0;
    while (i + 1 < sizeof(source_weights) && r >= source_weights[i])
      r -= source_weights[i++];
    out->referrer = sources[i];
  } else {
    out->referrer = "internal";
  }
  out->ts = ts_ms;
}

size_t rt_clicks_json(const rt_click *c, char *buf, size_t bufsz) {
  /* ids, pages and referrers are plain ASCII without quotes: nothing to escape */
  char tmp[RT_CLICKS_JSON_MAX];
  int n = snprintf(tmp, sizeof(tmp),
                   "{\"user_id\":\"%s\",\"session_id\":\"%s\",\"page\":\"%s\","
                   "\"referrer\":\"%s\",\"ts\":%" PRId64 "}",
                   c->user_id, c->session_id, c->page, c->referrer, c->ts);
  if (n < 0)
    n = 0;
  size_t len = (size_t)n;
  if (len < bufsz) {
    memcpy(buf, tmp, len + 1);
  } else if (bufsz) {
    buf[0] = '\0';
  }
  return len;
}
