/* Unit tests for rt_group: upsert/find over multi-value keys with owned
 * strings, growth, swap-remove with backward-shift deletion, clear. */
#include "test.h"

#include "rt_group.h"

typedef struct payload {
  int64_t id;
  double sum;
} payload;

static void keys_of(int i, char *buf, size_t n, rt_value *k) {
  snprintf(buf, n, "dev-%d", i % 1000);
  k[0] = rt_string(buf, strlen(buf));
  k[1] = rt_number(i / 1000);
}

static void test_upsert_find_remove(void) {
  rt_group *g = rt_group_new(2, sizeof(payload));
  char buf[32];
  rt_value k[2];
  for (int i = 0; i < 50000; i++) {
    keys_of(i, buf, sizeof(buf), k);
    bool created;
    size_t gi = rt_group_upsert(g, k, rt_group_hash(k, 2), &created);
    ASSERT(created);
    payload *p = rt_group_payload(g, gi);
    ASSERT_EQ(p->id, 0);
    p->id = i;
    memset(buf, 'X', sizeof(buf)); /* keys must have been copied */
  }
  ASSERT_EQ(rt_group_count(g), 50000);
  for (int i = 0; i < 50000; i++) {
    keys_of(i, buf, sizeof(buf), k);
    bool created;
    size_t gi = rt_group_upsert(g, k, rt_group_hash(k, 2), &created);
    ASSERT(!created);
    ASSERT_EQ(((payload *)rt_group_payload(g, gi))->id, i);
    ASSERT(rt_value_equal(rt_group_keys(g, gi)[1], k[1]));
  }
  /* Remove every third group, then check membership of all. */
  for (size_t i = rt_group_count(g); i-- > 0;)
    if (((payload *)rt_group_payload(g, i))->id % 3 == 0)
      rt_group_remove(g, i);
  ASSERT_EQ(rt_group_count(g), 50000 - 16667);
  for (int i = 0; i < 50000; i++) {
    keys_of(i, buf, sizeof(buf), k);
    size_t gi = rt_group_find(g, k, rt_group_hash(k, 2));
    if (i % 3 == 0)
      ASSERT(gi == (size_t)-1);
    else
      ASSERT_EQ(((payload *)rt_group_payload(g, gi))->id, i);
  }
  rt_group_clear(g);
  ASSERT_EQ(rt_group_count(g), 0);
  keys_of(7, buf, sizeof(buf), k);
  ASSERT(rt_group_find(g, k, rt_group_hash(k, 2)) == (size_t)-1);
  rt_group_free(&g);
  ASSERT(g == NULL);
  rt_group_free(NULL);
}

/* Keys that are equal by value but of different types share a group. */
static void test_equal_keys_meet(void) {
  rt_group *g = rt_group_new(1, sizeof(payload));
  bool created;
  rt_value a = rt_number(5000), b = rt_time(5000), c = rt_null();
  rt_group_upsert(g, &a, rt_group_hash(&a, 1), &created);
  ASSERT(created);
  rt_group_upsert(g, &b, rt_group_hash(&b, 1), &created);
  ASSERT(!created);
  rt_group_upsert(g, &c, rt_group_hash(&c, 1), &created);
  ASSERT(created);
  ASSERT_EQ(rt_group_count(g), 2);
  rt_group *none = rt_group_new(0, 0); /* no keys: one group */
  rt_group_upsert(none, NULL, rt_group_hash(NULL, 0), &created);
  ASSERT(created);
  rt_group_upsert(none, NULL, rt_group_hash(NULL, 0), &created);
  ASSERT(!created);
  rt_group_free(&none);
  rt_group_free(&g);
}

/* The table's memory counts its arrays and its key copies, and gives the
 * key copies back when groups go. */
static void test_memory(void) {
  rt_group *g = rt_group_new(1, 32);
  size_t empty = rt_group_memory(g);
  ASSERT(empty > 0);
  char key[32];
  bool created;
  for (int i = 0; i < 1000; i++) {
    int n = snprintf(key, sizeof(key), "device-%06d", i);
    rt_value k = rt_string(key, (size_t)n);
    rt_group_upsert(g, &k, rt_group_hash(&k, 1), &created);
  }
  size_t full = rt_group_memory(g);
  /* at least the keys (13 bytes and a NUL each), hashes and 32-byte payloads */
  ASSERT(full >= empty + 1000 * (14 + 8 + 32));
  for (size_t i = rt_group_count(g); i-- > 0;)
    rt_group_remove(g, i);
  /* the arrays keep their size; the key copies went */
  ASSERT_EQ(full - rt_group_memory(g), 1000 * (13 + 1 + RT_MEM_CHUNK_OVERHEAD));
  rt_group_free(&g);
}

int main(void) {
  TEST_RUN(test_upsert_find_remove);
  TEST_RUN(test_memory);
  TEST_RUN(test_equal_keys_meet);
  return test_summary();
}
