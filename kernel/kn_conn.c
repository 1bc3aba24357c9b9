/*
 * Connection-file parsing with jansson. The file is small and read once at
 * start, so clarity wins over speed; every field is validated here so the
 * socket code can trust it.
 */
#include "kn_conn.h"

#include "rt_mem.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const port_names[KN_CH_COUNT] = {
    "shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"};

const char *kn_channel_port_name(kn_channel ch) {
  return (ch >= 0 && ch < KN_CH_COUNT) ? port_names[ch] : "?";
}

/* Copies string field name into out; missing uses dflt (NULL = required). */
static int get_str(json_t *root, const char *name, const char *dflt, char *out,
                   size_t outsz, rt_err *err) {
  json_t *v = json_object_get(root, name);
  const char *s = v ? json_string_value(v) : dflt;
  if (!s)
    return rt_err_set(err, RT_EINVAL, "connection file: \"%s\" %s", name,
                      v ? "must be a string" : "is missing");
  if (strlen(s) >= outsz)
    return rt_err_set(err, RT_EINVAL, "connection file: \"%s\" is too long",
                      name);
  memcpy(out, s, strlen(s) + 1);
  return 0;
}

static int get_ports(json_t *root, kn_conn *conn, rt_err *err) {
  for (int ch = 0; ch < KN_CH_COUNT; ch++) {
    json_t *v = json_object_get(root, port_names[ch]);
    json_int_t port = json_is_integer(v) ? json_integer_value(v) : -1;
    if (port <= 0 || port > 65535)
      return rt_err_set(err, RT_EINVAL,
                        "connection file: \"%s\" must be a port 1-65535",
                        port_names[ch]);
    conn->ports[ch] = (int)port;
  }
  return 0;
}

/* The schemes accepted: the protocol's hmac-sha256 and the longer SHA-2
 * digests a front end may be configured with. OpenSSL would also take
 * hmac-md5 or hmac-sha1; a kernel that runs code for whoever signs does not. */
static int check_scheme(const char *scheme, rt_err *err) {
  static const char *const ok[] = {"hmac-sha256", "hmac-sha384", "hmac-sha512"};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
    if (strcmp(scheme, ok[i]) == 0)
      return 0;
  return rt_err_set(err, RT_EINVAL,
                    "connection file: signature_scheme \"%s\" is not accepted "
                    "(want hmac-sha256, hmac-sha384 or hmac-sha512)",
                    scheme);
}

/* A tcp "ip" must be a literal address: ZeroMQ would also bind "*" (every
 * interface) or an interface name ("eth0") or resolve a host name, each of
 * which can listen wider than the file seems to say. The wildcards 0.0.0.0
 * and :: are accepted because they say so in plain words (the kernel warns). */
static int check_ip(const char *ip, rt_err *err) {
  unsigned char addr[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, ip, addr) == 1 || inet_pton(AF_INET6, ip, addr) == 1)
    return 0;
  return rt_err_set(err, RT_EINVAL,
                    "connection file: ip \"%s\" is not an IP address (the kernel "
                    "binds only literal addresses: 127.0.0.1, ::1, or 0.0.0.0 "
                    "to listen on every interface)",
                    ip);
}

bool kn_conn_is_wildcard(const kn_conn *conn) {
  return strcmp(conn->transport, "tcp") == 0 &&
         (strcmp(conn->ip, "0.0.0.0") == 0 || strcmp(conn->ip, "::") == 0);
}

static int parse_root(kn_conn *conn, json_t *root, rt_err *err) {
  int rc = get_str(root, "transport", "tcp", conn->transport,
                   sizeof(conn->transport), err);
  if (rc == 0 && strcmp(conn->transport, "tcp") != 0 &&
      strcmp(conn->transport, "ipc") != 0)
    rc = rt_err_set(err, RT_EINVAL,
                    "connection file: transport \"%s\" (want tcp or ipc)",
                    conn->transport);
  if (rc == 0)
    rc = get_str(root, "ip", "127.0.0.1", conn->ip, sizeof(conn->ip), err);
  if (rc == 0 && strcmp(conn->transport, "tcp") == 0)
    rc = check_ip(conn->ip, err);
  if (rc == 0)
    rc = get_ports(root, conn, err);
  if (rc == 0)
    rc = get_str(root, "signature_scheme", "hmac-sha256", conn->scheme,
                 sizeof(conn->scheme), err);
  if (rc == 0)
    rc = check_scheme(conn->scheme, err);
  if (rc < 0)
    return rc;
  json_t *key = json_object_get(root, "key");
  if (key && !json_is_string(key))
    return rt_err_set(err, RT_EINVAL, "connection file: \"key\" must be a string");
  conn->keylen = key ? json_string_length(key) : 0;
  conn->key = rt_xstrndup(key ? json_string_value(key) : "", conn->keylen);
  return 0;
}

int kn_conn_parse(kn_conn *conn, const char *json, size_t len, rt_err *err) {
  json_error_t jerr;
  memset(conn, 0, sizeof(*conn));
  json_t *root = json_loadb(json, len, 0, &jerr);
  if (!json_is_object(root)) {
    json_decref(root);
    return rt_err_set(err, RT_EINVAL, "connection file is not a JSON object: %s",
                      root ? "wrong type" : jerr.text);
  }
  int rc = parse_root(conn, root, err);
  json_decref(root);
  if (rc < 0)
    kn_conn_clear(conn);
  return rc;
}

int kn_conn_load(kn_conn *conn, const char *path, rt_err *err) {
  memset(conn, 0, sizeof(*conn));
  FILE *f = fopen(path, "rb");
  if (!f)
    return rt_err_set(err, RT_EIO, "cannot open connection file %s: %m", path);
  struct stat st;
  int mode = fstat(fileno(f), &st) == 0 ? (int)(st.st_mode & 07777) : 0;
  char buf[16384];
  size_t n = fread(buf, 1, sizeof(buf), f);
  int toolong = !feof(f);
  fclose(f);
  if (toolong)
    return rt_err_set(err, RT_EIO, "connection file %s is over %zu bytes", path,
                      sizeof(buf));
  int rc = kn_conn_parse(conn, buf, n, err);
  if (rc == 0)
    conn->file_mode = mode;
  return rc;
}

int kn_conn_check_signed(const kn_conn *conn, bool allow_unsigned,
                         rt_err *err) {
  if (conn->keylen > 0 || allow_unsigned)
    return 0;
  return rt_err_set(err, RT_EAUTH,
                    "the connection file has no \"key\": anyone who can reach "
                    "its ports could run code unsigned, so the kernel does not "
                    "start; give it a key, or accept unsigned messages with "
                    "--allow-unsigned or EDDY_ALLOW_UNSIGNED=1");
}

void kn_conn_clear(kn_conn *conn) {
  rt_free(conn->key);
  memset(conn, 0, sizeof(*conn));
}

char *kn_conn_endpoint(const kn_conn *conn, kn_channel ch, char *out,
                       size_t outsz) {
  if (strcmp(conn->transport, "ipc") == 0)
    snprintf(out, outsz, "ipc://%s-%d", conn->ip, conn->ports[ch]);
  else if (strchr(conn->ip, ':'))
    snprintf(out, outsz, "tcp://[%s]:%d", conn->ip, conn->ports[ch]);
  else
    snprintf(out, outsz, "tcp://%s:%d", conn->ip, conn->ports[ch]);
  return out;
}
