"""A scripted stand-in for the AWS credential endpoints Eddy calls, on one free
loopback port: STS (AssumeRole, AssumeRoleWithWebIdentity; Query API, XML answers),
the IAM Identity Center portal (GetRoleCredentials), EC2 instance metadata (IMDSv2)
and a container credentials agent. It follows AWS's documented request and answer
shapes and CHECKS each request the way AWS would refuse it:

* AssumeRole must be SigV4-signed (Authorization: AWS4-HMAC-SHA256
  Credential=AKID/DATE/REGION/sts/aws4_request, ...) with a known access key id (the
  source keys the test names, or keys this server issued) and, for issued keys, the
  matching X-Amz-Security-Token;
* AssumeRoleWithWebIdentity must be unsigned and carry the expected token;
* IMDS: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds, and every
  metadata GET the token it returned;
* the container agent needs the expected Authorization header;
* the SSO portal needs the expected x-amz-sso_bearer_token, account and role.

Issued credentials expire after `expires` seconds (settable per test). GET /_stats
returns the counts of good and refused requests per endpoint; POST /_config sets
knobs ({"expires": 4, "fail": ["sts"]}). Stdlib only (Debian's python3).

As a script: prints its port, serves until stdin closes (tests in C start it so).
"""

import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOURCE_KEY = "AKIDSOURCE"        # the static keys tests give as source credentials
WEB_TOKEN = "web-identity-token"  # the content of the test's token file
CONTAINER_AUTH = "container-auth-token"
SSO_TOKEN = "sso-bearer-token"
SSO_ACCOUNT, SSO_ROLE = "123456789012", "EddyReader"
IMDS_ROLE = "eddy-instance-role"


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class State:
    def __init__(self, expires=3600):
        self.lock = threading.Lock()
        self.expires = expires
        self.fail = set()      # endpoints that answer 500
        self.counts = {}       # "sts:AssumeRole" -> n good
        self.refused = {}      # "sts:AssumeRole" -> n refused
        self.issued = {}       # access key id -> session token
        self.imds_tokens = set()
        self.last_role = {}    # action -> RoleArn, ExternalId, DurationSeconds, session name
        self.n = 0

    def issue(self, kind):
        with self.lock:
            self.n += 1
            key = "ASIA%s%04d" % ("".join(c for c in kind.upper() if c.isalnum())[:4], self.n)
            token = "token-%s-%d" % (kind, self.n)
            self.issued[key] = token
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return key, "secret-%d" % self.n, token, time.time() + self.expires

    def refuse(self, kind):
        with self.lock:
            self.refused[kind] = self.refused.get(kind, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    @property
    def st(self):
        return self.server.state

    def reply(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    # --- STS ------------------------------------------------------------------
    def sts_error(self, status, code, msg):
        self.reply(status, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                   "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                   "<RequestId>0</RequestId></ErrorResponse>" % (code, msg), "text/xml")

    def sts(self):
        form = dict(urllib.parse.parse_qsl(self.body()))
        action = form.get("Action", "")
        kind = "sts:" + action
        auth = self.headers.get("Authorization", "")
        if "sts" in self.st.fail:
            self.st.refuse(kind)
            return self.sts_error(500, "InternalFailure", "scripted failure")
        if form.get("Version") != "2011-06-15" or not form.get("RoleArn") \
                or not form.get("RoleSessionName"):
            self.st.refuse(kind)
            return self.sts_error(400, "ValidationError", "missing Version, RoleArn or session")
        if action == "AssumeRole":
            if not auth.startswith("AWS4-HMAC-SHA256 Credential="):
                self.st.refuse(kind)
                return self.sts_error(403, "MissingAuthenticationToken", "not signed")
            cred = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
            akid = cred[0]
            if len(cred) < 5 or cred[3] != "sts":
                self.st.refuse(kind)
                return self.sts_error(403, "SignatureDoesNotMatch", "scope is not sts")
            token = self.headers.get("X-Amz-Security-Token")
            known = akid == SOURCE_KEY or (akid in self.st.issued and
                                           self.st.issued[akid] == token)
            if not known:
                self.st.refuse(kind)
                return self.sts_error(403, "InvalidClientTokenId",
                                      "unknown key %s or wrong session token" % akid)
        elif action == "AssumeRoleWithWebIdentity":
            if auth or form.get("WebIdentityToken") != WEB_TOKEN:
                self.st.refuse(kind)
                return self.sts_error(400, "InvalidIdentityToken", "bad or signed request")
        else:
            self.st.refuse(kind)
            return self.sts_error(400, "InvalidAction", "unknown action")
        with self.st.lock:
            self.st.last_role[action] = {k: form.get(k) for k in (
                "RoleArn", "RoleSessionName", "ExternalId", "DurationSeconds")}
        key, secret, token, exp = self.st.issue(kind)
        self.reply(200, "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                   "<%sResult><Credentials><AccessKeyId>%s</AccessKeyId>"
                   "<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken>"
                   "<Expiration>%s</Expiration></Credentials>"
                   "<AssumedRoleUser><Arn>%s/x</Arn><AssumedRoleId>AROA:x</AssumedRoleId>"
                   "</AssumedRoleUser></%sResult><ResponseMetadata><RequestId>1</RequestId>"
                   "</ResponseMetadata></%sResponse>"
                   % (action, action, key, secret, token, iso(exp), form["RoleArn"], action,
                      action), "text/xml")

    # --- IMDS and container ---------------------------------------------------------
    def meta_creds(self, kind):
        key, secret, token, exp = self.st.issue(kind)
        self.reply(200, json.dumps({"Code": "Success", "LastUpdated": iso(time.time()),
                                    "Type": "AWS-HMAC", "AccessKeyId": key,
                                    "SecretAccessKey": secret, "Token": token,
                                    "Expiration": iso(exp)}))

    def imds_get(self, path):
        if self.headers.get("X-aws-ec2-metadata-token") not in self.st.imds_tokens:
            self.st.refuse("imds")
            return self.reply(401, "")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            return self.reply(200, IMDS_ROLE + "\n", "text/plain")
        if path == base + IMDS_ROLE:
            return self.meta_creds("imds")
        self.reply(404, "")

    # --- SSO ------------------------------------------------------------------------
    def sso(self, query):
        q = dict(urllib.parse.parse_qsl(query))
        if self.headers.get("x-amz-sso_bearer_token") != SSO_TOKEN:
            self.st.refuse("sso")
            return self.reply(401, json.dumps({"message": "Session token not found or invalid"}))
        if q.get("account_id") != SSO_ACCOUNT or q.get("role_name") != SSO_ROLE:
            self.st.refuse("sso")
            return self.reply(403, json.dumps({"message": "No access"}))
        key, secret, token, exp = self.st.issue("sso")
        self.reply(200, json.dumps({"roleCredentials": {
            "accessKeyId": key, "secretAccessKey": secret, "sessionToken": token,
            "expiration": int(exp * 1000)}}))

    # --- dispatch ----------------------------------------------------------------------
    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/_stats":
            with self.st.lock:
                return self.reply(200, json.dumps({"counts": self.st.counts,
                                                   "refused": self.st.refused,
                                                   "roles": self.st.last_role}))
        if path.startswith("/latest/"):
            return self.imds_get(path)
        if path.startswith("/container"):
            if "container" in self.st.fail:
                self.st.refuse("container")
                return self.reply(500, "{}")
            if self.headers.get("Authorization") != CONTAINER_AUTH:
                self.st.refuse("container")
                return self.reply(403, json.dumps({"message": "bad authorization"}))
            return self.meta_creds("container")
        if path == "/federation/credentials":
            return self.sso(query)
        self.reply(404, "{}")

    def do_PUT(self):
        self.body()
        if self.path != "/latest/api/token" or \
                not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self.st.refuse("imds")
            return self.reply(400, "")
        with self.st.lock:
            tok = "imds-token-%d" % (len(self.st.imds_tokens) + 1)
            self.st.imds_tokens.add(tok)
        self.reply(200, tok, "text/plain")

    def do_POST(self):
        if self.path == "/_config":
            cfg = json.loads(self.body() or "{}")
            with self.st.lock:
                if "expires" in cfg:
                    self.st.expires = cfg["expires"]
                if "fail" in cfg:
                    self.st.fail = set(cfg["fail"])
            return self.reply(200, "{}")
        self.sts()


class CredServer:
    """The server on a thread: .url, .stats(), .config(**knobs), .stop()."""

    def __init__(self, expires=3600):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.state = State(expires)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def state(self):
        return self.httpd.state

    def stats(self):
        with self.state.lock:
            return {"counts": dict(self.state.counts), "refused": dict(self.state.refused),
                    "roles": dict(self.state.last_role)}

    def config(self, expires=None, fail=None):
        with self.state.lock:
            if expires is not None:
                self.state.expires = expires
            if fail is not None:
                self.state.fail = set(fail)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    srv = CredServer(expires=int(sys.argv[1]) if len(sys.argv) > 1 else 3600)
    print(srv.port, flush=True)
    sys.stdin.read()  # until the test closes our stdin
    srv.stop()
    os._exit(0)
