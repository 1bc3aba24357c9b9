/*
 * The JSON field scanner. One pass, no allocation for the common record
 * (strings without escapes are borrowed from the text, numbers are decoded
 * with an exact fast path), full syntax checking of everything it skips so
 * that a broken record is counted as bad rather than half-read.
 *
 * The requested paths form a trie of nodes: the root stands for the record
 * object; each node lists the keys below it. A node with a slot is a wanted
 * value; a node with children is an object to descend into.
 */
#include "rt_json_scan.h"

#include "rt_err.h"
#include "rt_mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { JS_MAX_DEPTH = 64 };

typedef struct js_node {
  int slot;       /* output slot, or -1 when only a step of longer paths */
  int nchild;     /* keys below this node */
  int cap;        /* allocated entries of the arrays below */
  char **keys;    /* owned key bytes, NUL-terminated */
  size_t *keylen; /* their lengths */
  int *child;     /* index of each key's node in rt_json_paths.nodes */
} js_node;

struct rt_json_paths {
  js_node *nodes; /* nodes[0] is the record object */
  int nnodes;
  int cap;
  int nslots;
};

rt_json_paths *rt_json_paths_new(void) {
  rt_json_paths *p = rt_xcalloc(1, sizeof(*p));
  p->cap = 8;
  p->nodes = rt_xcalloc((size_t)p->cap, sizeof(*p->nodes));
  p->nodes[0].slot = -1;
  p->nnodes = 1;
  return p;
}

void rt_json_paths_free(rt_json_paths **paths) {
  if (!paths || !*paths)
    return;
  rt_json_paths *p = *paths;
  for (int i = 0; i < p->nnodes; i++) {
    js_node *n = &p->nodes[i];
    for (int k = 0; k < n->nchild; k++)
      rt_free(n->keys[k]);
    rt_free(n->keys);
    rt_free(n->keylen);
    rt_free(n->child);
  }
  rt_free(p->nodes);
  rt_free(p);
  *paths = NULL;
}

int rt_json_paths_count(const rt_json_paths *paths) { return paths->nslots; }

/* Returns the index of node's child for key, or -1. */
static int node_find(const rt_json_paths *p, int node, const char *key, size_t len) {
  const js_node *n = &p->nodes[node];
  for (int k = 0; k < n->nchild; k++)
    if (n->keylen[k] == len && memcmp(n->keys[k], key, len) == 0)
      return n->child[k];
  return -1;
}

/* Adds a child for key under node and returns its index. */
static int node_add(rt_json_paths *p, int node, const char *key) {
  if (p->nnodes == p->cap) {
    p->cap *= 2;
    p->nodes = rt_xrealloc(p->nodes, (size_t)p->cap * sizeof(*p->nodes));
  }
  int idx = p->nnodes++;
  memset(&p->nodes[idx], 0, sizeof(p->nodes[idx]));
  p->nodes[idx].slot = -1;
  js_node *n = &p->nodes[node];
  if (n->nchild == n->cap) {
    n->cap = n->cap ? n->cap * 2 : 4;
    n->keys = rt_xrealloc(n->keys, (size_t)n->cap * sizeof(*n->keys));
    n->keylen = rt_xrealloc(n->keylen, (size_t)n->cap * sizeof(*n->keylen));
    n->child = rt_xrealloc(n->child, (size_t)n->cap * sizeof(*n->child));
  }
  n->keys[n->nchild] = rt_xstrdup(key);
  n->keylen[n->nchild] = strlen(key);
  n->child[n->nchild] = idx;
  n->nchild++;
  return idx;
}

int rt_json_paths_add(rt_json_paths *p, const char *const *parts, int nparts) {
  int node = 0;
  for (int i = 0; i < nparts; i++) {
    int next = node_find(p, node, parts[i], strlen(parts[i]));
    node = next >= 0 ? next : node_add(p, node, parts[i]);
  }
  if (node == 0)
    return -1;
  if (p->nodes[node].slot < 0)
    p->nodes[node].slot = p->nslots++;
  return p->nodes[node].slot;
}

/* ---- lexical pieces --------------------------------------------------- */

typedef struct js_ctx {
  const rt_json_paths *paths;
  const char *end;
  rt_value *out;
  rt_arena *arena;
} js_ctx;

static inline const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

static inline int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/*
 * Scans a string starting at the opening quote p. Returns the byte after the
 * closing quote, or NULL when the string is broken; stores the body span and
 * whether it holds escapes.
 */
/* True when any byte of the 8 in w is a quote, a backslash or below 0x20
 * (the bit tricks of "Bit Twiddling Hacks": haszero / hasless). */
static inline bool word_special(uint64_t w) {
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b, lt = (w - ones * 0x20) & ~w;
  return ((zq | zb | lt) & highs) != 0;
}

static const char *scan_string(const char *p, const char *end, const char **body,
                               size_t *blen, bool *esc) {
  const char *s = ++p;
  bool e = false;
  for (;;) {
    /* the common bytes first: anything but a quote, a backslash or a
     * control, eight at a time while they last */
    uint64_t w;
    while (end - p >= 8 && (memcpy(&w, p, 8), !word_special(w)))
      p += 8;
    while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\')
      p++;
    if (p >= end || (unsigned char)*p < 0x20)
      return NULL;
    if (*p == '"') {
      *body = s;
      *blen = (size_t)(p - s);
      *esc = e;
      return p + 1;
    }
    e = true; /* a backslash */
    if (++p >= end)
      return NULL;
    unsigned char c = (unsigned char)*p;
    if (c == 'u') {
      if (end - p < 5)
        return NULL;
      for (int i = 1; i <= 4; i++)
        if (hexval(p[i]) < 0)
          return NULL;
      p += 4;
    } else if (c == 0 || !strchr("\"\\/bfnrt", c)) {
      return NULL;
    }
    p++;
  }
}

/* Checks a number at p against the JSON grammar without decoding it (for
 * values nobody asked for). Returns the byte after it, or NULL. */
static const char *skip_number(const char *p, const char *end) {
  if (p < end && *p == '-')
    p++;
  if (p >= end)
    return NULL;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (p < end && *p >= '0' && *p <= '9')
      p++;
  else
    return NULL;
  if (p < end && *p == '.') {
    if (++p >= end || *p < '0' || *p > '9')
      return NULL;
    while (p < end && *p >= '0' && *p <= '9')
      p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    if (++p < end && (*p == '+' || *p == '-'))
      p++;
    if (p >= end || *p < '0' || *p > '9')
      return NULL;
    while (p < end && *p >= '0' && *p <= '9')
      p++;
  }
  return p;
}

static const double js_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Decodes [s, e) with strtod, which needs a NUL-terminated copy. */
static double slow_number(const char *s, const char *e) {
  char buf[128];
  size_t n = (size_t)(e - s);
  char *tmp = n < sizeof(buf) ? buf : rt_xmalloc(n + 1);
  memcpy(tmp, s, n);
  tmp[n] = 0;
  double d = strtod(tmp, NULL);
  if (tmp != buf)
    rt_free(tmp);
  return d;
}

/*
 * Scans a number at p per the JSON grammar. Returns the byte after it, or
 * NULL when it is malformed. The value is exact: the fast path takes up to 19
 * significant digits and a power of ten a double holds exactly (Clinger);
 * anything else goes through strtod.
 */
static const char *scan_number(const char *p, const char *end, double *out) {
  const char *s = p;
  bool neg = false;
  uint64_t m = 0;
  int nd = 0, exp10 = 0;
  if (p < end && *p == '-') {
    neg = true;
    p++;
  }
  if (p >= end)
    return NULL;
  if (*p == '0') {
    p++;
  } else if (*p >= '1' && *p <= '9') {
    for (; p < end && *p >= '0' && *p <= '9'; p++, nd++)
      if (nd < 19)
        m = m * 10 + (uint64_t)(*p - '0');
      else
        exp10++;
  } else {
    return NULL;
  }
  if (p < end && *p == '.') {
    p++;
    if (p >= end || *p < '0' || *p > '9')
      return NULL;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
      if (nd < 19) { /* leading zeros of 0.00x are not significant */
        m = m * 10 + (uint64_t)(*p - '0');
        nd += m != 0;
        exp10--;
      }
    }
  }
  bool slow = nd >= 19;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    int eneg = 0, ev = 0;
    if (p < end && (*p == '+' || *p == '-'))
      eneg = *p++ == '-';
    if (p >= end || *p < '0' || *p > '9')
      return NULL;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
      if (ev < 100000)
        ev = ev * 10 + (*p - '0');
    exp10 += eneg ? -ev : ev;
  }
  if (!slow && m <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
    double d = (double)m;
    d = exp10 < 0 ? d / js_pow10[-exp10] : d * js_pow10[exp10];
    *out = neg ? -d : d;
  } else {
    *out = slow_number(s, p);
  }
  return p;
}

static const char *skip_value(const char *p, const char *end, int depth);

/* Skips an array or object at p (its opening bracket), checking syntax. */
static const char *skip_container(const char *p, const char *end, int depth) {
  bool obj = *p == '{';
  char close = obj ? '}' : ']';
  if (depth >= JS_MAX_DEPTH)
    return NULL;
  p = skip_ws(p + 1, end);
  if (p < end && *p == close)
    return p + 1;
  for (;;) {
    if (obj) {
      const char *b;
      size_t bl;
      bool e;
      if (p >= end || *p != '"' || !(p = scan_string(p, end, &b, &bl, &e)))
        return NULL;
      p = skip_ws(p, end);
      if (p >= end || *p != ':')
        return NULL;
      p = skip_ws(p + 1, end);
    }
    if (!(p = skip_value(p, end, depth + 1)))
      return NULL;
    p = skip_ws(p, end);
    if (p >= end)
      return NULL;
    if (*p == close)
      return p + 1;
    if (*p != ',')
      return NULL;
    p = skip_ws(p + 1, end);
  }
}

static const char *match_word(const char *p, const char *end, const char *w, size_t n) {
  if ((size_t)(end - p) < n || memcmp(p, w, n) != 0)
    return NULL;
  return p + n;
}

/* Skips any value at p, checking its syntax; returns the byte after it. */
static const char *skip_value(const char *p, const char *end, int depth) {
  const char *b;
  size_t bl;
  bool e;
  if (p >= end)
    return NULL;
  switch (*p) {
  case '"':
    return scan_string(p, end, &b, &bl, &e);
  case '{':
  case '[':
    return skip_container(p, end, depth);
  case 't':
    return match_word(p, end, "true", 4);
  case 'f':
    return match_word(p, end, "false", 5);
  case 'n':
    return match_word(p, end, "null", 4);
  default:
    return skip_number(p, end);
  }
}

/* ---- decoding ---------------------------------------------------------- */

static void put_utf8(char **o, uint32_t cp) {
  unsigned char *u = (unsigned char *)*o;
  if (cp < 0x80) {
    *u++ = (unsigned char)cp;
  } else if (cp < 0x800) {
    *u++ = (unsigned char)(0xC0 | (cp >> 6));
    *u++ = (unsigned char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *u++ = (unsigned char)(0xE0 | (cp >> 12));
    *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    *u++ = (unsigned char)(0x80 | (cp & 0x3F));
  } else {
    *u++ = (unsigned char)(0xF0 | (cp >> 18));
    *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    *u++ = (unsigned char)(0x80 | (cp & 0x3F));
  }
  *o = (char *)u;
}

static int read_hex4(const char *s, const char *end, uint32_t *cp) {
  if (end - s < 4)
    return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(s[i]);
    if (h < 0)
      return -1;
    v = v << 4 | (uint32_t)h;
  }
  *cp = v;
  return 0;
}

/* Decodes one \uXXXX (and its low surrogate, if any) at s (after the 'u'). */
static const char *decode_u(const char *s, const char *end, char **o) {
  uint32_t cp, lo;
  if (read_hex4(s, end, &cp) < 0)
    return NULL;
  s += 4;
  if (cp >= 0xD800 && cp < 0xDC00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u' &&
      read_hex4(s + 2, end, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    s += 6;
  } else if (cp >= 0xD800 && cp < 0xE000) {
    cp = 0xFFFD; /* a lone surrogate becomes the replacement character */
  }
  put_utf8(o, cp);
  return s;
}

int rt_json_unescape(const char *s, size_t n, rt_arena *arena, rt_value *out) {
  const char *end = s + n;
  char *buf = rt_arena_alloc(arena, n + 1), *o = buf;
  while (s < end) {
    if (*s != '\\') {
      *o++ = *s++;
      continue;
    }
    if (++s >= end)
      return RT_EBADREC;
    char c = *s++;
    switch (c) {
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u':
      if (!(s = decode_u(s, end, &o)))
        return RT_EBADREC;
      break;
    default: *o++ = c; break;
    }
  }
  *o = 0;
  *out = rt_string(buf, (size_t)(o - buf));
  return 0;
}

static const char *scan_object(js_ctx *c, int node, const char *p, int depth);

/* Decodes the value at p into out[slot] and/or descends for child paths. */
static const char *take_value(js_ctx *c, int node, const char *p, int depth) {
  const js_node *n = &c->paths->nodes[node];
  const char *b, *q;
  size_t bl;
  bool esc;
  double d;
  if (p >= c->end)
    return NULL;
  if (n->nchild && *p == '{')
    q = scan_object(c, node, p, depth + 1);
  else if (n->slot < 0)
    return skip_value(p, c->end, depth);
  else if (*p == '"') {
    if (!(q = scan_string(p, c->end, &b, &bl, &esc)))
      return NULL;
    if (!esc)
      c->out[n->slot] = rt_string(b, bl);
    else if (rt_json_unescape(b, bl, c->arena, &c->out[n->slot]) < 0)
      return NULL;
    return q;
  } else if (*p == '{' || *p == '[')
    q = skip_container(p, c->end, depth);
  else if (*p == 't' || *p == 'f' || *p == 'n') {
    q = skip_value(p, c->end, depth);
    if (q)
      c->out[n->slot] = *p == 'n' ? rt_null() : rt_bool(*p == 't');
    return q;
  } else {
    if ((q = scan_number(p, c->end, &d)))
      c->out[n->slot] = rt_number(d);
    return q;
  }
  if (q && n->slot >= 0)
    c->out[n->slot] = rt_string(p, (size_t)(q - p));
  return q;
}

/* Finds the child of node for a key that may hold escapes. */
static int find_key(js_ctx *c, int node, const char *b, size_t bl, bool esc) {
  if (!esc)
    return node_find(c->paths, node, b, bl);
  rt_value k;
  if (rt_json_unescape(b, bl, c->arena, &k) < 0)
    return -2;
  return node_find(c->paths, node, k.u.str.ptr, k.u.str.len);
}

/* Scans the object at p (its '{'), taking the values of node's children. */
static const char *scan_object(js_ctx *c, int node, const char *p, int depth) {
  const char *end = c->end, *b;
  size_t bl;
  bool esc;
  if (depth >= JS_MAX_DEPTH)
    return NULL;
  p = skip_ws(p + 1, end);
  if (p < end && *p == '}')
    return p + 1;
  for (;;) {
    if (p >= end || *p != '"' || !(p = scan_string(p, end, &b, &bl, &esc)))
      return NULL;
    p = skip_ws(p, end);
    if (p >= end || *p != ':')
      return NULL;
    p = skip_ws(p + 1, end);
    int child = find_key(c, node, b, bl, esc);
    if (child == -2)
      return NULL;
    p = child >= 0 ? take_value(c, child, p, depth) : skip_value(p, end, depth + 1);
    if (!p)
      return NULL;
    p = skip_ws(p, end);
    if (p >= end)
      return NULL;
    if (*p == '}')
      return p + 1;
    if (*p != ',')
      return NULL;
    p = skip_ws(p + 1, end);
  }
}

int rt_json_scan(const rt_json_paths *paths, const char *text, size_t len,
                 rt_value *out, rt_arena *arena) {
  js_ctx c = {.paths = paths, .end = text + len, .out = out, .arena = arena};
  for (int i = 0; i < paths->nslots; i++)
    out[i] = rt_null();
  const char *p = skip_ws(text, c.end);
  if (p >= c.end || *p != '{')
    return RT_EBADREC;
  p = scan_object(&c, 0, p, 0);
  if (!p || skip_ws(p, c.end) != c.end)
    return RT_EBADREC;
  return 0;
}
