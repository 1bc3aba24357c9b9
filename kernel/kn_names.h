/*
 * The names a session has met: streams, let names, fields. Completion offers
 * them beside the language's own words. Bounded (the oldest names are not
 * evicted; new ones beyond the cap are ignored) and thread-safe, so runtime
 * threads may add the field names they discover in records.
 */
#ifndef EDDY_KN_NAMES_H
#define EDDY_KN_NAMES_H

#include <jansson.h>
#include <stddef.h>

typedef struct kn_names kn_names;

enum { KN_NAMES_MAX = 4096, KN_NAME_LEN_MAX = 128 };

/* Makes an empty set. Caller owns it; free with kn_names_free(). */
kn_names *kn_names_new(void);

/* Frees a set and NULLs *names. Accepts NULL. */
void kn_names_free(kn_names **names);

/* Adds the len bytes of name (ignored if empty, too long, already there, or
 * the set is full). Thread-safe. */
void kn_names_add(kn_names *names, const char *name, size_t len);

/* Appends to matches (a JSON array) every name that starts with the len
 * bytes of prefix and is not already in matches. Thread-safe. */
void kn_names_match(kn_names *names, const char *prefix, size_t len,
                    json_t *matches);

/* Number of names held. */
size_t kn_names_count(kn_names *names);

#endif
