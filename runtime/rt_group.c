/*
 * Group table: a slot array (power of two, load <= 3/4) of {32-bit
 * hash fragment, entry index + 1}, probed linearly, over dense entry arrays
 * (keys, hashes, payloads). A probe compares the fragment before touching
 * the keys, so a miss rarely leaves the slot array, and a hit touches one
 * key tuple. Removal is swap-remove on the entries plus backward-shift
 * deletion on the slots, so there are no tombstones to clean up.
 */
#include "rt_group.h"

#include "rt_mem.h"

#include <stdalign.h>
#include <string.h>

typedef struct group_slot {
  uint32_t frag; /* low 32 bits of the hash */
  uint32_t idx;  /* entry index + 1; 0 = empty */
} group_slot;

struct rt_group {
  int nkeys;            /* values per key tuple */
  size_t payload_size;  /* bytes per payload, rounded up for alignment */
  size_t count;         /* entries in use */
  size_t alloc;         /* entries allocated */
  rt_value *keys;       /* alloc * nkeys owned key values */
  uint64_t *hashes;     /* alloc full hashes */
  unsigned char *payloads; /* alloc * payload_size bytes */
  group_slot *slots;    /* nslots */
  size_t mask;          /* nslots - 1 */
  size_t key_bytes;     /* heap bytes of the key copies (strings) */
};

enum { GROUP_MIN_SLOTS = 16 };

rt_group *rt_group_new(int nkeys, size_t payload_size) {
  rt_group *g = rt_xcalloc(1, sizeof(*g));
  const size_t align = alignof(max_align_t);
  g->nkeys = nkeys;
  g->payload_size = (payload_size + align - 1) & ~(align - 1);
  g->slots = rt_xcalloc(GROUP_MIN_SLOTS, sizeof(group_slot));
  g->mask = GROUP_MIN_SLOTS - 1;
  return g;
}

static void release_keys(rt_group *g, size_t i) {
  for (int k = 0; k < g->nkeys; k++) {
    rt_value *v = &g->keys[i * (size_t)g->nkeys + (size_t)k];
    g->key_bytes -= rt_value_heap_bytes(*v);
    rt_value_release(v);
  }
}

void rt_group_free(rt_group **gp) {
  if (!gp || !*gp)
    return;
  rt_group *g = *gp;
  for (size_t i = 0; i < g->count; i++)
    release_keys(g, i);
  rt_free(g->keys);
  rt_free(g->hashes);
  rt_free(g->payloads);
  rt_free(g->slots);
  rt_free(g);
  *gp = NULL;
}

uint64_t rt_group_hash(const rt_value *keys, int nkeys) {
  uint64_t h = 0x84222325cbf29ce4ULL;
  for (int i = 0; i < nkeys; i++) {
    h ^= rt_value_hash(keys[i]);
    h *= 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
  }
  return h;
}

static inline bool keys_equal(const rt_group *g, size_t i, const rt_value *keys) {
  const rt_value *k = &g->keys[i * (size_t)g->nkeys];
  for (int j = 0; j < g->nkeys; j++)
    if (!rt_value_equal(k[j], keys[j]))
      return false;
  return true;
}

/* The slot holding entry i's index, or where hash would go. */
static size_t probe(const rt_group *g, const rt_value *keys, uint64_t hash) {
  uint32_t frag = (uint32_t)hash;
  size_t s = (size_t)(hash >> 32) & g->mask;
  for (;; s = (s + 1) & g->mask) {
    const group_slot *sl = &g->slots[s];
    if (sl->idx == 0)
      return s;
    if (sl->frag == frag && g->hashes[sl->idx - 1] == hash &&
        keys_equal(g, sl->idx - 1, keys))
      return s;
  }
}

size_t rt_group_find(const rt_group *g, const rt_value *keys, uint64_t hash) {
  size_t s = probe(g, keys, hash);
  return g->slots[s].idx ? g->slots[s].idx - 1 : (size_t)-1;
}

static void rehash(rt_group *g, size_t nslots) {
  rt_free(g->slots);
  g->slots = rt_xcalloc(nslots, sizeof(group_slot));
  g->mask = nslots - 1;
  for (size_t i = 0; i < g->count; i++) {
    uint64_t h = g->hashes[i];
    size_t s = (size_t)(h >> 32) & g->mask;
    while (g->slots[s].idx)
      s = (s + 1) & g->mask;
    g->slots[s] = (group_slot){(uint32_t)h, (uint32_t)(i + 1)};
  }
}

static void grow_entries(rt_group *g) {
  size_t n = g->alloc ? g->alloc * 2 : 8;
  g->keys = rt_xrealloc(g->keys, n * (size_t)(g->nkeys ? g->nkeys : 1) * sizeof(rt_value));
  g->hashes = rt_xrealloc(g->hashes, n * sizeof(uint64_t));
  g->payloads = rt_xrealloc(g->payloads, n * (g->payload_size ? g->payload_size : 1));
  g->alloc = n;
}

size_t rt_group_upsert(rt_group *g, const rt_value *keys, uint64_t hash,
                       bool *created) {
  size_t s = probe(g, keys, hash);
  if (g->slots[s].idx) {
    *created = false;
    return g->slots[s].idx - 1;
  }
  if (g->count == g->alloc)
    grow_entries(g);
  size_t i = g->count++;
  for (int k = 0; k < g->nkeys; k++) {
    g->keys[i * (size_t)g->nkeys + (size_t)k] = rt_value_dup(keys[k]);
    g->key_bytes += rt_value_heap_bytes(keys[k]);
  }
  g->hashes[i] = hash;
  memset(g->payloads + i * g->payload_size, 0, g->payload_size);
  g->slots[s] = (group_slot){(uint32_t)hash, (uint32_t)(i + 1)};
  if (g->count * 4 > (g->mask + 1) * 3)
    rehash(g, (g->mask + 1) * 2);
  *created = true;
  return i;
}

/* The slot that holds entry index i. */
static size_t slot_of_entry(const rt_group *g, size_t i) {
  size_t s = (size_t)(g->hashes[i] >> 32) & g->mask;
  while (g->slots[s].idx != i + 1)
    s = (s + 1) & g->mask;
  return s;
}

/* Backward-shift deletion: pull later members of the cluster into the hole
 * when their home position allows it. */
static void delete_slot(rt_group *g, size_t hole) {
  size_t s = (hole + 1) & g->mask;
  while (g->slots[s].idx) {
    size_t home = (size_t)(g->hashes[g->slots[s].idx - 1] >> 32) & g->mask;
    /* Move s into hole unless home lies cyclically in (hole, s]. */
    bool stays = hole <= s ? (home > hole && home <= s) : (home > hole || home <= s);
    if (!stays) {
      g->slots[hole] = g->slots[s];
      hole = s;
    }
    s = (s + 1) & g->mask;
  }
  g->slots[hole] = (group_slot){0, 0};
}

void rt_group_remove(rt_group *g, size_t i) {
  delete_slot(g, slot_of_entry(g, i));
  release_keys(g, i);
  size_t last = g->count - 1;
  if (i != last) {
    size_t ls = slot_of_entry(g, last);
    g->slots[ls].idx = (uint32_t)(i + 1);
    memcpy(&g->keys[i * (size_t)g->nkeys], &g->keys[last * (size_t)g->nkeys],
           (size_t)g->nkeys * sizeof(rt_value));
    g->hashes[i] = g->hashes[last];
    memcpy(g->payloads + i * g->payload_size,
           g->payloads + last * g->payload_size, g->payload_size);
  }
  g->count--;
}

size_t rt_group_count(const rt_group *g) { return g->count; }

size_t rt_group_memory(const rt_group *g) {
  size_t per_entry = (size_t)(g->nkeys ? g->nkeys : 1) * sizeof(rt_value) + sizeof(uint64_t) +
                     (g->payload_size ? g->payload_size : 1);
  return sizeof(*g) + g->alloc * per_entry + (g->mask + 1) * sizeof(group_slot) + g->key_bytes;
}

const rt_value *rt_group_keys(const rt_group *g, size_t i) {
  return &g->keys[i * (size_t)g->nkeys];
}

uint64_t rt_group_hash_at(const rt_group *g, size_t i) { return g->hashes[i]; }

void *rt_group_payload(const rt_group *g, size_t i) {
  return g->payloads + i * g->payload_size;
}

void rt_group_clear(rt_group *g) {
  for (size_t i = 0; i < g->count; i++)
    release_keys(g, i);
  g->count = 0;
  memset(g->slots, 0, (g->mask + 1) * sizeof(group_slot));
}
