"""Credentials from every source, end to end: `eddy run` reads kinesalite (and
kinesis-mock: each test class runs on both) with
credentials from web identity, assume-role, IAM Identity Center, a container agent,
instance metadata and credential_process, each served by tests/py/aws_cred_server.py,
which checks the requests. A recording proxy in front of kinesalite (which accepts any
signature) checks that every Kinesis call was signed with credentials the server
issued, with their session token. Then credentials that expire every few seconds
under a running query: records put across several renewals all come out exactly
once, the query never stops, and the renewals are counted. On kinesis-mock, which keeps
a stream in the account its access key id names, a stream of another account is read
with credentials that name it and is not found with others. Waits are driven by
events (issued credentials, printed totals), bounded by real time."""

import base64
import hashlib
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aws_cred_server import CredServer, SOURCE_KEY, WEB_TOKEN, CONTAINER_AUTH, SSO_TOKEN
from services import EDDY_BIN, KinesisClient, Service, on_each_kinesis_server, run_eddy
from test_kinesis_reshard import stop_eddy


def wait_until(predicate, timeout):
    """Polls predicate() until truthy or timeout seconds pass; returns its last value."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= end:
            return value
        time.sleep(0.02)


class SigningRecorder:
    """Forwards Kinesis calls to kinesalite and records each call's signing key id
    and session token."""

    def __init__(self, upstream_port):
        rec = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization", "")
                akid = auth.split("Credential=", 1)[-1].split("/", 1)[0] if auth else ""
                with rec.lock:
                    rec.seen.append((akid, self.headers.get("X-Amz-Security-Token")))
                up = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                fwd = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                up.request("POST", self.path, body=body, headers=fwd)
                resp = up.getresponse()
                data = resp.read()
                up.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.lock = threading.Lock()
        self.seen = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def take(self):
        with self.lock:
            out, self.seen = self.seen, []
            return out

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def put(client, stream, first, n):
    client.call("PutRecords", {"StreamName": stream, "Records": [
        {"Data": base64.b64encode(json.dumps({"i": i}).encode()).decode(),
         "PartitionKey": "k%d" % i} for i in range(first, first + n)]})


ACCOUNT = "210987654321"  # kinesis-mock: a 12-digit access key id names the account
REGION = "eu-west-1"      # and streams live in the region a request names


@on_each_kinesis_server
class AwsCredsTest(unittest.TestCase):
    KINESIS = "kinesalite"

    @classmethod
    def setUpClass(cls):
        cls.svc = Service(cls.KINESIS)
        cls.client = KinesisClient(cls.svc.port, region=REGION)
        cls.creds = CredServer()
        cls.proxy = SigningRecorder(cls.svc.port)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.home = cls.tmp.name
        os.makedirs(os.path.join(cls.home, ".aws", "sso", "cache"))
        cls.client.create_stream("creds", 1)
        put(cls.client, "creds", 0, 50)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.creds.stop()
        cls.client.close()
        cls.svc.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.creds.config(expires=3600, fail=[])
        self.proxy.take()

    def write(self, rel, text):
        path = os.path.join(self.home, rel)
        with open(path, "w") as f:
            f.write(text)
        return path

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=self.home, AWS_REGION=REGION, AWS_EC2_METADATA_DISABLED="true",
                   AWS_ENDPOINT_URL_KINESIS=self.proxy.url, AWS_ENDPOINT_URL_STS=self.creds.url,
                   AWS_ENDPOINT_URL_SSO=self.creds.url,
                   AWS_CONFIG_FILE=os.path.join(self.home, ".aws", "config"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.home, ".aws", "credentials"))
        env.update(extra)
        return env

    def count(self, env, stream="creds"):
        prog = self.write("q.eddy", 'kinesis "%s" from trim_horizon until now | agg count() as n\n'
                          % stream)
        res = run_eddy(["run", prog, "--verbose"], env, timeout=60)
        return res

    def assert_signed_by(self, prefix):
        seen = self.proxy.take()
        self.assertTrue(seen, "no Kinesis call went through the proxy")
        issued = self.creds.state.issued
        for akid, token in seen:
            if prefix.startswith("ASIA"):
                self.assertTrue(akid.startswith(prefix), (akid, prefix))
                self.assertEqual(issued.get(akid), token, "call signed without its session token")
            else:
                self.assertEqual(akid, prefix)

    def check_source(self, env, source_text, key_prefix):
        res = self.count(env)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.split()[-1], "50", res.stdout)
        self.assertIn("credentials  " + source_text, res.stderr)
        self.assertNotIn("secret-", res.stderr + res.stdout)
        self.assert_signed_by(key_prefix)

    def test_each_source(self):
        tok = self.write("token", WEB_TOKEN + "\n")
        self.write(".aws/config", "")
        self.write(".aws/credentials", "")
        with self.subTest("web identity"):
            self.check_source(self.env(AWS_WEB_IDENTITY_TOKEN_FILE=tok,
                                       AWS_ROLE_ARN="arn:aws:iam::1:role/Web"),
                              "web identity arn:aws:iam::1:role/Web via profile default", "ASIASTSA")
        with self.subTest("assume-role"):
            self.write(".aws/config", "[profile dev]\nrole_arn = arn:aws:iam::1:role/Dev\n"
                       "source_profile = base\nexternal_id = x-1\n")
            self.write(".aws/credentials", "[base]\naws_access_key_id = %s\n"
                       "aws_secret_access_key = s\n" % SOURCE_KEY)
            self.check_source(self.env(AWS_PROFILE="dev"),
                              "assume-role arn:aws:iam::1:role/Dev via profile dev", "ASIASTSA")
        with self.subTest("sso"):
            self.write(".aws/config", "[profile sso]\nsso_session = my-sso\n"
                       "sso_account_id = 123456789012\nsso_role_name = EddyReader\n"
                       "[sso-session my-sso]\nsso_start_url = https://example.awsapps.com/start\n"
                       "sso_region = eu-west-1\n")
            self.write(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json",
                       json.dumps({"accessToken": SSO_TOKEN, "expiresAt": "2099-01-01T00:00:00Z"}))
            self.check_source(self.env(AWS_PROFILE="sso"),
                              "sso account 123456789012 role EddyReader via profile sso", "ASIASSO")
        with self.subTest("container"):
            self.check_source(self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.creds.url + "/container/v1",
                                       AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_AUTH),
                              "container (%s/container/v1)" % self.creds.url, "ASIACONT")
        with self.subTest("instance metadata"):
            env = self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=self.creds.url)
            del env["AWS_EC2_METADATA_DISABLED"]
            self.check_source(env, "instance metadata (role eddy-instance-role)", "ASIAIMDS")
        with self.subTest("credential_process"):
            self.write(".aws/config", "[profile proc]\ncredential_process = printf "
                       "'{\"Version\": 1, \"AccessKeyId\": \"AKPROC\", \"SecretAccessKey\": \"s\"}'\n")
            self.check_source(self.env(AWS_PROFILE="proc"), "credential_process via profile proc",
                              "AKPROC")
        self.assertEqual(self.creds.stats()["refused"], {})

    def test_credentials_pick_the_account(self):
        if self.KINESIS == "kinesalite":
            self.skipTest("kinesalite has one account; kinesis-mock routes by access key id")
        other = KinesisClient(self.svc.port, access_key=ACCOUNT, region=REGION)
        self.addCleanup(other.close)
        other.create_stream("acct", 1)
        put(other, "acct", 0, 7)
        self.write(".aws/config", "[profile acct]\ncredential_process = printf "
                   "'{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"s\"}'\n"
                   % ACCOUNT)
        res = self.count(self.env(AWS_PROFILE="acct"), "acct")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.split()[-1], "7", res.stdout)
        self.assert_signed_by(ACCOUNT)
        # the same stream name under the default account's key: not there
        res = self.count(self.env(AWS_ACCESS_KEY_ID="AKOTHER", AWS_SECRET_ACCESS_KEY="s"), "acct")
        self.assertNotEqual(res.returncode, 0, res.stdout)
        self.assertIn("ResourceNotFoundException", res.stderr)

    def test_bad_sources_fail_clearly(self):
        self.write(".aws/config", "[profile fails]\ncredential_process = sh -c 'echo nope >&2; exit 4'\n"
                   "[profile garbage]\ncredential_process = echo TOPSECRET\n"
                   "[profile expired]\nsso_session = old\nsso_account_id = 1\nsso_role_name = R\n"
                   "[sso-session old]\nsso_start_url = https://x\nsso_region = eu-west-1\n")
        cases = [("fails", "exited with status 4"), ("garbage", "not a JSON object"),
                 ("expired", "aws sso login --profile expired")]
        self.write(".aws/sso/cache/%s.json" % hashlib.sha1(b"old").hexdigest(),
                   json.dumps({"accessToken": "t", "expiresAt": "2020-01-01T00:00:00Z"}))
        for profile, msg in cases:
            with self.subTest(profile):
                res = self.count(self.env(AWS_PROFILE=profile))
                self.assertEqual(res.returncode, 1, res.stderr)
                self.assertIn(msg, res.stderr)
                self.assertNotIn("TOPSECRET", res.stderr + res.stdout)
        self.write(".aws/config", "[default]\nregion = eu-west-1\n[profile broken\n")
        res = self.count(self.env())
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("line 3", res.stderr)

    def test_renewals_under_a_running_query(self):
        # Credentials live 3 s, so the provider renews them about every 1.5 s. Records
        # go in between renewals (each batch put once the server has issued new
        # credentials: an event, not a guess); the endless query must count every one.
        self.creds.config(expires=3)
        self.client.create_stream("live", 1)
        tok = self.write("token", WEB_TOKEN + "\n")
        env = self.env(AWS_WEB_IDENTITY_TOKEN_FILE=tok, AWS_ROLE_ARN="arn:aws:iam::1:role/Web")
        prog = self.write("live.eddy", 'kinesis "live" from trim_horizon | agg count() as n\n')
        issued = lambda: self.creds.stats()["counts"].get("sts:AssumeRoleWithWebIdentity", 0)
        base = issued()  # earlier tests of the class got credentials too
        proc = subprocess.Popen([EDDY_BIN, "run", prog, "--set", "batch=200ms"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        self.assertTrue(wait_until(lambda: issued() > base, 20), "the query got no credentials")
        total = 0
        for _ in range(4):
            before = issued()
            put(self.client, "live", total, 25)
            total += 25
            self.assertTrue(wait_until(lambda: issued() > before, 20), "no renewal")
        last = None
        for line in proc.stdout:  # totals print as they change; the CTest timeout bounds it
            if line.strip().isdigit():
                last = int(line)
                if last >= total:
                    break
        self.assertEqual(last, total)
        err = stop_eddy(proc)
        self.assertEqual(proc.returncode, 0, err)
        renewed = [l for l in err.splitlines() if "AWS credentials renewed" in l]
        self.assertTrue(renewed, err)
        # the query's one provider obtained the first credentials and renewed the rest;
        # each of the 4 rounds above saw a renewal before the final count was printed
        n = int(renewed[0].split("renewed ")[1].split()[0])
        self.assertGreaterEqual(n, 4, err)
        self.assertLessEqual(n, issued() - base - 1, err)
        keys = {akid for akid, _ in self.proxy.take()}
        self.assertGreaterEqual(len(keys), 3, "renewed credentials never reached the calls")
        for akid in keys:
            self.assertIn(akid, self.creds.state.issued)
        self.assertEqual(self.creds.stats()["refused"], {})


if __name__ == "__main__":
    unittest.main()
