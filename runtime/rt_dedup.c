/*
 * Dedup state: an open-addressing map from key hash to the time the key was
 * kept, plus a FIFO ring of (hash, time) in the order keys were kept. The
 * ring makes expiry O(1) amortized: the oldest kept keys sit at its front.
 * Expiry runs against the newest time seen, so with out-of-order event time
 * a record more than D behind the newest one may find its key forgotten and
 * be kept (memory stays bounded; that is the trade). A ring entry whose map entry
 * has since been renewed (a newer time) is skipped, not deleted.
 */
#include "rt_dedup.h"

#include "rt_mem.h"

#include <string.h>

typedef struct dd_entry {
  uint64_t hash; /* 0 = empty slot (hashes of 0 are stored as 1) */
  int64_t time;  /* when the key was kept */
} dd_entry;

struct rt_dedup {
  int64_t within;    /* forget after this long; 0 = never */
  size_t max_keys;   /* hard cap on remembered keys */
  dd_entry *slots;   /* the map */
  size_t mask;       /* slots - 1 */
  size_t count;      /* keys in the map */
  dd_entry *ring;    /* kept order */
  size_t ring_head;  /* index of the oldest ring entry */
  size_t ring_len;   /* entries in the ring */
  size_t ring_cap;   /* ring size (power of two) */
  int64_t now;       /* largest time seen */
  bool seen;         /* now is meaningful */
};

enum { DD_MIN_SLOTS = 64 };
static const size_t DD_DEFAULT_MAX = (size_t)16 << 20;

rt_dedup *rt_dedup_new(int64_t within_ms, size_t max_keys) {
  rt_dedup *d = rt_xcalloc(1, sizeof(*d));
  d->within = within_ms > 0 ? within_ms : 0;
  d->max_keys = max_keys ? max_keys : DD_DEFAULT_MAX;
  d->slots = rt_xcalloc(DD_MIN_SLOTS, sizeof(dd_entry));
  d->mask = DD_MIN_SLOTS - 1;
  d->ring_cap = DD_MIN_SLOTS;
  d->ring = rt_xmalloc(d->ring_cap * sizeof(dd_entry));
  return d;
}

void rt_dedup_free(rt_dedup **d) {
  if (!d || !*d)
    return;
  rt_free((*d)->slots);
  rt_free((*d)->ring);
  rt_free(*d);
  *d = NULL;
}

size_t rt_dedup_memory(const rt_dedup *d) {
  return sizeof(*d) + (d->mask + 1) * sizeof(dd_entry) + d->ring_cap * sizeof(dd_entry);
}

size_t rt_dedup_size(const rt_dedup *d) { return d->count; }

static size_t find_slot(const rt_dedup *d, uint64_t h) {
  size_t s = (size_t)(h ^ (h >> 29)) & d->mask;
  while (d->slots[s].hash && d->slots[s].hash != h)
    s = (s + 1) & d->mask;
  return s;
}

static void map_delete(rt_dedup *d, size_t hole) {
  size_t s = (hole + 1) & d->mask;
  while (d->slots[s].hash) {
    uint64_t h = d->slots[s].hash;
    size_t home = (size_t)(h ^ (h >> 29)) & d->mask;
    bool stays = hole <= s ? (home > hole && home <= s) : (home > hole || home <= s);
    if (!stays) {
      d->slots[hole] = d->slots[s];
      hole = s;
    }
    s = (s + 1) & d->mask;
  }
  d->slots[hole] = (dd_entry){0, 0};
  d->count--;
}

static void map_grow(rt_dedup *d) {
  size_t old_n = d->mask + 1;
  dd_entry *old = d->slots;
  d->slots = rt_xcalloc(old_n * 2, sizeof(dd_entry));
  d->mask = old_n * 2 - 1;
  for (size_t i = 0; i < old_n; i++)
    if (old[i].hash)
      d->slots[find_slot(d, old[i].hash)] = old[i];
  rt_free(old);
}

static void ring_push(rt_dedup *d, dd_entry e) {
  if (d->ring_len == d->ring_cap) {
    dd_entry *n = rt_xmalloc(d->ring_cap * 2 * sizeof(dd_entry));
    for (size_t i = 0; i < d->ring_len; i++)
      n[i] = d->ring[(d->ring_head + i) & (d->ring_cap - 1)];
    rt_free(d->ring);
    d->ring = n;
    d->ring_head = 0;
    d->ring_cap *= 2;
  }
  d->ring[(d->ring_head + d->ring_len++) & (d->ring_cap - 1)] = e;
}

/* Pops the oldest ring entry, forgetting its key unless it was renewed. */
static void ring_pop(rt_dedup *d) {
  dd_entry e = d->ring[d->ring_head];
  d->ring_head = (d->ring_head + 1) & (d->ring_cap - 1);
  d->ring_len--;
  size_t s = find_slot(d, e.hash);
  if (d->slots[s].hash && d->slots[s].time == e.time)
    map_delete(d, s);
}

/* A kept key is needed while a record within D of it may still arrive. With
 * event time a record may be behind the newest time seen, so keys are kept
 * for 2D: a record up to D behind the newest is still judged exactly. */
static void expire(rt_dedup *d) {
  if (d->within == 0)
    return;
  while (d->ring_len && d->ring[d->ring_head].time <= d->now - 2 * d->within)
    ring_pop(d);
}

bool rt_dedup_check_hash(rt_dedup *d, uint64_t hash, int64_t t) {
  uint64_t h = hash ? hash : 1;
  if (!d->seen || t > d->now)
    d->now = t;
  d->seen = true;
  expire(d);
  size_t s = find_slot(d, h);
  if (d->slots[s].hash) {
    if (d->within == 0 || t - d->slots[s].time < d->within)
      return false;
    d->slots[s].time = t; /* seen again after D: keep and renew */
  } else {
    d->slots[s] = (dd_entry){h, t};
    d->count++;
    if (d->count * 4 > (d->mask + 1) * 3)
      map_grow(d);
  }
  ring_push(d, (dd_entry){h, t});
  while (d->count > d->max_keys && d->ring_len)
    ring_pop(d);
  return true;
}

bool rt_dedup_check(rt_dedup *d, rt_value key, int64_t t) {
  return rt_dedup_check_hash(d, rt_value_hash(key), t);
}

/* ---- checkpoints ---------------------------------------------------------- */

/* Layout, little-endian: u8 seen, u64 now, u64 n, n x (u64 hash, u64 time),
 * the ring's entries oldest first (a renewed key appears once per keep). */
static void put64(unsigned char *b, uint64_t v) {
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)b[i] << (8 * i);
  return v;
}

int rt_dedup_save(const rt_dedup *d, rt_buf *out) {
  unsigned char b[17];
  b[0] = d->seen;
  put64(b + 1, (uint64_t)d->now);
  put64(b + 9, (uint64_t)d->ring_len);
  int rc = rt_buf_append(out, b, sizeof(b));
  for (size_t i = 0; rc == 0 && i < d->ring_len; i++) {
    const dd_entry *e = &d->ring[(d->ring_head + i) & (d->ring_cap - 1)];
    put64(b, e->hash);
    put64(b + 8, (uint64_t)e->time);
    rc = rt_buf_append(out, b, 16);
  }
  return rc;
}

int rt_dedup_restore(rt_dedup *d, const void *data, size_t len, rt_err *err) {
  const unsigned char *s = data;
  if (len < 17 || (len - 17) % 16 != 0 || get64(s + 9) != (len - 17) / 16)
    return rt_err_set(err, RT_EBADREC, "checkpointed dedup state is malformed");
  size_t n = (len - 17) / 16;
  d->seen = s[0] != 0;
  d->now = (int64_t)get64(s + 1);
  for (size_t i = 0; i < n; i++) {
    dd_entry e = {get64(s + 17 + 16 * i), (int64_t)get64(s + 25 + 16 * i)};
    if (!e.hash) {
      while (d->ring_len)
        ring_pop(d);
      d->seen = false;
      d->now = 0;
      return rt_err_set(err, RT_EBADREC, "checkpointed dedup state is malformed");
    }
    size_t slot = find_slot(d, e.hash);
    if (!d->slots[slot].hash) {
      d->count++;
      d->slots[slot] = e;
      if (d->count * 4 > (d->mask + 1) * 3)
        map_grow(d);
    } else {
      d->slots[slot].time = e.time; /* renewed: the later keep wins */
    }
    ring_push(d, e);
  }
  return 0;
}
