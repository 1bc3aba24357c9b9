/*
 * KPL aggregate decoding and encoding with a hand-written protobuf reader:
 * the message has three fields and the records four, which is less code than
 * a protobuf dependency and lets every read be bounds-checked against the
 * input. Decoding is two passes: the tables first (proto2 allows fields in
 * any order), then the records, whose indices are checked against them.
 */
#include "rt_kpl.h"

#include "rt_kinesis.h"
#include "rt_mem.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static const uint8_t MAGIC[RT_KPL_MAGIC_LEN] = {0xF3, 0x89, 0x9A, 0xC2};

/* --- protobuf reading ------------------------------------------------------ */

/* A bounded cursor over protobuf bytes. */
typedef struct pb {
  const uint8_t *p, *end;
} pb;

/* Reads a varint; 0 on success, -1 when truncated or longer than 10 bytes. */
static int pb_varint(pb *b, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (b->p >= b->end)
      return -1;
    uint8_t c = *b->p++;
    x |= (uint64_t)(c & 0x7F) << shift;
    if (!(c & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -1;
}

/* Reads a length-delimited field's bytes. */
static int pb_bytes(pb *b, const uint8_t **s, size_t *n) {
  uint64_t len;
  if (pb_varint(b, &len) != 0 || len > (uint64_t)(b->end - b->p))
    return -1;
  *s = b->p;
  *n = (size_t)len;
  b->p += len;
  return 0;
}

/* Skips a field of wire type wt (groups are not valid here). */
static int pb_skip(pb *b, unsigned wt) {
  uint64_t v = 0;
  const uint8_t *s = NULL;
  size_t n = 0;
  switch (wt) {
  case 0:
    return pb_varint(b, &v);
  case 1:
    if (b->end - b->p < 8)
      return -1;
    b->p += 8;
    return 0;
  case 2:
    return pb_bytes(b, &s, &n);
  case 5:
    if (b->end - b->p < 4)
      return -1;
    b->p += 4;
    return 0;
  }
  return -1;
}

/* --- decoding ---------------------------------------------------------------- */

/* A table of strings pointing into the input. */
typedef struct table {
  const uint8_t **s;
  size_t *n;
  size_t len;
} table;

void rt_kpl_records_free(rt_kpl_records *r) {
  rt_free(r->v);
  memset(r, 0, sizeof(*r));
}

int rt_kpl_is_aggregated(const void *data, size_t len) {
  return len >= RT_KPL_MAGIC_LEN + RT_KPL_MD5_LEN && memcmp(data, MAGIC, RT_KPL_MAGIC_LEN) == 0;
}

/* Pass 1: counts table entries and records so pass 2 allocates once. */
static int count_fields(pb b, size_t *npk, size_t *nehk, size_t *nrec) {
  *npk = *nehk = *nrec = 0;
  while (b.p < b.end) {
    uint64_t key = 0;
    const uint8_t *s = NULL;
    size_t n = 0;
    if (pb_varint(&b, &key) != 0)
      return -1;
    unsigned field = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
    if (field >= 1 && field <= 3) {
      if (wt != 2 || pb_bytes(&b, &s, &n) != 0)
        return -1;
      *(field == 1 ? npk : field == 2 ? nehk : nrec) += 1;
    } else if (pb_skip(&b, wt) != 0) {
      return -1;
    }
  }
  return 0;
}

/* Pass 2a: fills the two tables. */
static void fill_tables(pb b, table *pk, table *ehk) {
  while (b.p < b.end) {
    uint64_t key = 0;
    const uint8_t *s = NULL;
    size_t n = 0;
    pb_varint(&b, &key); /* validated by count_fields */
    unsigned field = (unsigned)(key >> 3);
    if (field == 1 || field == 2) {
      pb_bytes(&b, &s, &n);
      table *t = field == 1 ? pk : ehk;
      t->s[t->len] = s;
      t->n[t->len++] = n;
    } else {
      pb_skip(&b, (unsigned)(key & 7));
    }
  }
}

/* Decodes one Record message into rec, resolving indices against the tables. */
static int decode_record(const uint8_t *s, size_t n, const table *pk, const table *ehk,
                         rt_kpl_record *rec) {
  pb b = {s, s + n};
  uint64_t pki = UINT64_MAX, ehki = UINT64_MAX;
  int has_data = 0;
  memset(rec, 0, sizeof(*rec));
  while (b.p < b.end) {
    uint64_t key = 0;
    if (pb_varint(&b, &key) != 0)
      return -1;
    unsigned field = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
    int rc;
    if (field == 1 && wt == 0)
      rc = pb_varint(&b, &pki);
    else if (field == 2 && wt == 0)
      rc = pb_varint(&b, &ehki);
    else if (field == 3 && wt == 2) {
      rc = pb_bytes(&b, &rec->data, &rec->len);
      has_data = 1;
    } else if (field >= 1 && field <= 3)
      rc = -1; /* a known field with the wrong wire type */
    else
      rc = pb_skip(&b, wt); /* tags (4) and unknown fields */
    if (rc != 0)
      return -1;
  }
  if (!has_data || pki >= pk->len || (ehki != UINT64_MAX && ehki >= ehk->len))
    return -1;
  rec->partition_key = (const char *)pk->s[pki];
  rec->pk_len = pk->n[pki];
  if (ehki != UINT64_MAX) {
    rec->explicit_hash_key = (const char *)ehk->s[ehki];
    rec->ehk_len = ehk->n[ehki];
  }
  return 0;
}

/* Pass 2b: decodes every Record into out. */
static int fill_records(pb b, const table *pk, const table *ehk, rt_kpl_records *out) {
  while (b.p < b.end) {
    uint64_t key = 0;
    const uint8_t *s = NULL;
    size_t n = 0;
    pb_varint(&b, &key);
    if ((key >> 3) != 3) {
      pb_skip(&b, (unsigned)(key & 7));
      continue;
    }
    pb_bytes(&b, &s, &n);
    rt_kpl_record *rec = &out->v[out->n];
    if (decode_record(s, n, pk, ehk, rec) != 0)
      return -1;
    rec->sub_sequence = (uint32_t)out->n++;
  }
  return 0;
}

static int md5_ok(const uint8_t *pbuf, size_t n, const uint8_t *want) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(pbuf, n, md, &mdlen, EVP_md5(), NULL) || mdlen != RT_KPL_MD5_LEN)
    return 0;
  return memcmp(md, want, RT_KPL_MD5_LEN) == 0;
}

int rt_kpl_decode(const void *data, size_t len, rt_kpl_records *out, rt_err *err) {
  out->n = 0;
  if (!rt_kpl_is_aggregated(data, len))
    return 0;
  const uint8_t *p = (const uint8_t *)data + RT_KPL_MAGIC_LEN;
  size_t n = len - RT_KPL_MAGIC_LEN - RT_KPL_MD5_LEN;
  if (!md5_ok(p, n, p + n))
    return rt_err_set(err, RT_EBADREC, "KPL aggregate: MD5 mismatch");
  pb b = {p, p + n};
  size_t npk, nehk, nrec;
  if (count_fields(b, &npk, &nehk, &nrec) != 0)
    return rt_err_set(err, RT_EBADREC, "KPL aggregate: malformed protobuf");
  table pk = {rt_xmalloc((npk + 1) * sizeof(*pk.s)), rt_xmalloc((npk + 1) * sizeof(size_t)), 0};
  table ehk = {rt_xmalloc((nehk + 1) * sizeof(*ehk.s)), rt_xmalloc((nehk + 1) * sizeof(size_t)),
               0};
  fill_tables(b, &pk, &ehk);
  if (nrec > out->cap) {
    out->v = rt_xrealloc(out->v, nrec * sizeof(*out->v));
    out->cap = nrec;
  }
  int rc = fill_records(b, &pk, &ehk, out);
  rt_free(pk.s);
  rt_free(pk.n);
  rt_free(ehk.s);
  rt_free(ehk.n);
  if (rc != 0) {
    out->n = 0;
    return rt_err_set(err, RT_EBADREC, "KPL aggregate: malformed record");
  }
  return 1;
}

/* --- encoding ---------------------------------------------------------------- */

/* One added user record: indices into the tables, data in the pool. */
typedef struct agg_entry {
  size_t pk, ehk; /* ehk == SIZE_MAX: none */
  size_t off, len;
} agg_entry;

struct rt_kpl_agg {
  size_t max_bytes;  /* cap on the encoded size */
  char **pks;        /* partition key table (owned strings) */
  size_t npks;
  char **ehks;       /* explicit hash key table */
  size_t nehks;
  agg_entry *recs;   /* records in order */
  size_t nrecs, cap_recs;
  rt_buf pool;       /* record data */
  size_t pb_size;    /* protobuf bytes so far */
};

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Bytes of a length-delimited field with a 1-byte key. */
static size_t field_len(size_t n) { return 1 + varint_len(n) + n; }

rt_kpl_agg *rt_kpl_agg_new(size_t max_bytes) {
  rt_kpl_agg *a = rt_xcalloc(1, sizeof(*a));
  a->max_bytes = max_bytes ? max_bytes : RT_KPL_DEFAULT_MAX_BYTES;
  rt_buf_init(&a->pool, 0);
  return a;
}

static void agg_reset(rt_kpl_agg *a) {
  for (size_t i = 0; i < a->npks; i++)
    rt_free(a->pks[i]);
  for (size_t i = 0; i < a->nehks; i++)
    rt_free(a->ehks[i]);
  a->npks = a->nehks = a->nrecs = a->pb_size = 0;
  rt_buf_clear(&a->pool);
}

void rt_kpl_agg_free(rt_kpl_agg **ap) {
  if (!ap || !*ap)
    return;
  rt_kpl_agg *a = *ap;
  agg_reset(a);
  rt_free(a->pks);
  rt_free(a->ehks);
  rt_free(a->recs);
  rt_buf_free(&a->pool);
  rt_free(a);
  *ap = NULL;
}

size_t rt_kpl_agg_count(const rt_kpl_agg *a) { return a->nrecs; }

size_t rt_kpl_agg_size(const rt_kpl_agg *a) {
  return RT_KPL_MAGIC_LEN + a->pb_size + RT_KPL_MD5_LEN;
}

/* The index of s in the table, or SIZE_MAX. Linear: aggregates are capped
 * small (50 KB) and usually hold few distinct keys. */
static size_t table_find(char **t, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i], s) == 0)
      return i;
  return SIZE_MAX;
}

int rt_kpl_agg_add(rt_kpl_agg *a, const char *partition_key, const char *explicit_hash_key,
                   const void *data, size_t len) {
  if (!partition_key || !*partition_key)
    return RT_EINVAL;
  size_t pki = table_find(a->pks, a->npks, partition_key);
  size_t ehki = explicit_hash_key ? table_find(a->ehks, a->nehks, explicit_hash_key) : SIZE_MAX;
  size_t grow = 0;
  grow += pki == SIZE_MAX ? field_len(strlen(partition_key)) : 0;
  grow += explicit_hash_key && ehki == SIZE_MAX ? field_len(strlen(explicit_hash_key)) : 0;
  size_t pk_index = pki == SIZE_MAX ? a->npks : pki;
  size_t rec = 1 + varint_len(pk_index) + field_len(len);
  if (explicit_hash_key)
    rec += 1 + varint_len(ehki == SIZE_MAX ? a->nehks : ehki);
  grow += field_len(rec);
  if (rt_kpl_agg_size(a) + grow > a->max_bytes)
    return RT_ETOOBIG;
  if (pki == SIZE_MAX) {
    a->pks = rt_xrealloc(a->pks, (a->npks + 1) * sizeof(char *));
    a->pks[pki = a->npks++] = rt_xstrdup(partition_key);
  }
  if (explicit_hash_key && ehki == SIZE_MAX) {
    a->ehks = rt_xrealloc(a->ehks, (a->nehks + 1) * sizeof(char *));
    a->ehks[ehki = a->nehks++] = rt_xstrdup(explicit_hash_key);
  }
  if (a->nrecs == a->cap_recs) {
    a->cap_recs = a->cap_recs ? a->cap_recs * 2 : 64;
    a->recs = rt_xrealloc(a->recs, a->cap_recs * sizeof(*a->recs));
  }
  a->recs[a->nrecs++] = (agg_entry){pki, ehki, a->pool.len, len};
  rt_buf_append(&a->pool, data, len);
  a->pb_size += grow;
  return 0;
}

static void put_varint(rt_buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (uint8_t)v;
  rt_buf_append(b, tmp, n);
}

static void put_field(rt_buf *b, uint8_t key, const void *s, size_t n) {
  rt_buf_append(b, &key, 1);
  put_varint(b, n);
  rt_buf_append(b, s, n);
}

/* Writes the protobuf AggregatedRecord of a into b. */
static void encode_pb(const rt_kpl_agg *a, rt_buf *b) {
  for (size_t i = 0; i < a->npks; i++)
    put_field(b, 0x0A, a->pks[i], strlen(a->pks[i]));
  for (size_t i = 0; i < a->nehks; i++)
    put_field(b, 0x12, a->ehks[i], strlen(a->ehks[i]));
  for (size_t i = 0; i < a->nrecs; i++) {
    const agg_entry *e = &a->recs[i];
    size_t rec = 1 + varint_len(e->pk) + field_len(e->len);
    if (e->ehk != SIZE_MAX)
      rec += 1 + varint_len(e->ehk);
    uint8_t key = 0x1A;
    rt_buf_append(b, &key, 1);
    put_varint(b, rec);
    key = 0x08;
    rt_buf_append(b, &key, 1);
    put_varint(b, e->pk);
    if (e->ehk != SIZE_MAX) {
      key = 0x10;
      rt_buf_append(b, &key, 1);
      put_varint(b, e->ehk);
    }
    put_field(b, 0x1A, a->pool.data + e->off, e->len);
  }
}

int rt_kpl_agg_finish(rt_kpl_agg *a, rt_buf *out, char pk[257], char ehk[40]) {
  if (a->nrecs == 0)
    return RT_EINVAL;
  if (rt_buf_reserve(out, rt_kpl_agg_size(a)) != 0)
    return RT_ETOOBIG;
  size_t start = out->len;
  rt_buf_append(out, MAGIC, RT_KPL_MAGIC_LEN);
  encode_pb(a, out);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_Digest(out->data + start + RT_KPL_MAGIC_LEN, out->len - start - RT_KPL_MAGIC_LEN, md,
             &mdlen, EVP_md5(), NULL);
  rt_buf_append(out, md, RT_KPL_MD5_LEN);
  const agg_entry *first = &a->recs[0];
  snprintf(pk, 257, "%s", a->pks[first->pk]);
  if (first->ehk != SIZE_MAX)
    snprintf(ehk, 40, "%s", a->ehks[first->ehk]);
  else
    rt_kin_hash_key(pk, ehk);
  agg_reset(a);
  return 0;
}
