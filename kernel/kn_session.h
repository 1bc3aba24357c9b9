/*
 * The kernel's identity on the wire: one session id per process, a fresh
 * msg_id for every message, and the header JSON that carries them. Making
 * headers is thread-safe (an atomic counter), because the shell, control and
 * live-query threads all publish.
 */
#ifndef EDDY_KN_SESSION_H
#define EDDY_KN_SESSION_H

#include <stddef.h>

typedef struct kn_session kn_session;

enum {
  KN_UUID_LEN = 37,     /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" plus NUL */
  KN_HEADER_MAX = 512,  /* room for any header kn_session_header() writes */
};

/* Makes a session with a random id. Caller owns it; free with
 * kn_session_free(). */
kn_session *kn_session_new(void);

/* Frees a session and NULLs *session. Accepts NULL. */
void kn_session_free(kn_session **session);

/* The session id (a uuid). Borrowed; valid while the session lives. */
const char *kn_session_id(const kn_session *session);

/* Writes a new unique uuid (version 4 layout) into out (KN_UUID_LEN bytes).
 * Thread-safe. Returns out. */
char *kn_session_uuid(kn_session *session, char *out);

/*
 * Writes a complete header object for a new message of msg_type into out
 * (KN_HEADER_MAX bytes): msg_id, session, username, date (UTC, six-digit
 * microseconds), msg_type, version "5.3". Thread-safe. Returns its length,
 * or 0 when msg_type is too long to fit.
 */
size_t kn_session_header(kn_session *session, const char *msg_type, char *out);

#endif
