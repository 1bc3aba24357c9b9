"""Fault injection for the Kinesis client and producer, which kinesalite cannot
do (it never throttles and always reports FailedRecordCount 0): a scripted fake
Kinesis on 127.0.0.1 answers `eddy produce` with partial PutRecords failures,
HTTP 500s, whole-request throttling, and paginated ListShards, and records
every request so the test can check exactly what was re-sent."""

import base64
import hashlib
import hmac
import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services import run_eddy

FULL = 2 ** 128 - 1
HALF = 2 ** 127


class FakeKinesis:
    def __init__(self, put_script=(), shard_pages=None):
        self.put_script = list(put_script)  # behaviour per PutRecords call
        self.shard_pages = shard_pages or [[("shardId-000000000000", 0, FULL)]]
        self.requests = []                  # (action, body)
        self.raw = []                       # (headers, body bytes)
        self.stored = []                    # (pk, data) in store order
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                action = self.headers["X-Amz-Target"].split(".")[1]
                with fake.lock:
                    fake.raw.append((dict(self.headers.items()), raw))
                    fake.requests.append((action, body))
                    status, out = fake.answer(action, body)
                data = json.dumps(out).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, action, body):
        if action == "DescribeStreamSummary":
            return 200, {"StreamDescriptionSummary": {"StreamStatus": "ACTIVE",
                         "OpenShardCount": 1, "RetentionPeriodHours": 24}}
        if action == "ListShards":
            page = int(body["NextToken"][3:]) if "NextToken" in body else 0
            shards = [{"ShardId": sid, "HashKeyRange": {"StartingHashKey": str(lo),
                       "EndingHashKey": str(hi)}, "SequenceNumberRange":
                       {"StartingSequenceNumber": "1"}} for sid, lo, hi in self.shard_pages[page]]
            out = {"Shards": shards}
            if page + 1 < len(self.shard_pages):
                out["NextToken"] = "tok%d" % (page + 1)
            return 200, out
        if action == "PutRecords":
            how = self.put_script.pop(0) if self.put_script else "ok"
            if how == "500":
                return 500, {"__type": "InternalFailure", "message": "injected"}
            if how == "throttle":
                return 400, {"__type": "ProvisionedThroughputExceededException",
                             "message": "Rate exceeded for stream"}
            results = []
            for i, r in enumerate(body["Records"]):
                if how == "odd" and i % 2 == 1:
                    results.append({"ErrorCode": "ProvisionedThroughputExceededException",
                                    "ErrorMessage": "Rate exceeded for shard"})
                else:
                    self.stored.append((r["PartitionKey"], base64.b64decode(r["Data"])))
                    results.append({"SequenceNumber": str(len(self.stored)),
                                    "ShardId": "shardId-000000000000"})
            failed = sum("ErrorCode" in r for r in results)
            return 200, {"FailedRecordCount": failed, "Records": results}
        return 400, {"__type": "UnknownOperationException", "message": action}

    def puts(self):
        return [[(r["PartitionKey"], base64.b64decode(r["Data"])) for r in b["Records"]]
                for a, b in self.requests if a == "PutRecords"]


def sigv4_check(headers, body, key, secret, region, service):
    """Recomputes an AWS SigV4 signature from scratch (per the AWS docs) and
    returns (expected, got); also returns the signed header names."""
    h = {k.lower(): v for k, v in headers.items()}
    auth = h["authorization"]
    algo, rest = auth.split(" ", 1)
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    signed = parts["SignedHeaders"].split(";")
    date = h["x-amz-date"]
    scope = "%s/%s/%s/aws4_request" % (date[:8], region, service)
    assert parts["Credential"] == "%s/%s" % (key, scope), parts["Credential"]
    canonical = "\n".join(["POST", "/", ""] +
                          ["%s:%s" % (n, " ".join(h[n].split())) for n in signed] +
                          ["", ";".join(signed), hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join([algo, date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return expected, parts["Signature"], signed


def env_for(url):
    return {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token123",
            "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_KINESIS": url, "HOME": "/nonexistent"}


class FaultTest(unittest.TestCase):
    def run_fake(self, script, args, **kw):
        fake = FakeKinesis(script, **kw)
        self.addCleanup(fake.stop)
        res = run_eddy(["produce", "sensors", "--stream", "s"] + args, env_for(fake.url),
                       timeout=60)
        return fake, res

    def test_partial_failure_retries_only_failed_entries(self):
        # call 1 stores the first record; call 2 fails odd entries; call 3 gets a
        # 500; call 4 is throttled as a whole; then everything succeeds.
        fake, res = self.run_fake(["ok", "odd", "500", "throttle"],
                                  ["--rate", "1000", "--seconds", "0.5", "--devices", "3"])
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        puts = fake.puts()
        failed = puts[1][1::2]
        self.assertGreater(len(failed), 10)
        # the retry starts with exactly the failed entries, in their order...
        self.assertEqual(puts[2][:len(failed)], failed)
        # ...and whole-request failures re-send the identical batch
        self.assertEqual(puts[3], puts[2])
        self.assertEqual(puts[4], puts[2])
        # every record stored exactly once, none lost, none duplicated
        self.assertEqual(len(fake.stored), 500)
        self.assertEqual(len(set(fake.stored)), 500)
        ts = sorted(json.loads(d)["ts"] for _, d in fake.stored)
        self.assertEqual(len(set(ts)), 500)
        self.assertIn("500 records stored", res.stdout)
        self.assertIn("%d retried" % len(failed), res.stdout)
        self.assertIn("%d throttled" % (len(failed) + 1), res.stdout)
        # records of one device that were never sent keep their order
        for pk in {pk for pk, _ in fake.stored}:
            later = [json.loads(d)["ts"] for k, d in fake.stored[len(puts[0]) + len(puts[1]):]
                     if k == pk]
            self.assertEqual(later, sorted(later))

    def test_requests_are_validly_signed(self):
        fake, res = self.run_fake([], ["--rate", "10", "--seconds", "0.1"])
        self.assertEqual(res.returncode, 0, res.stderr)
        actions = [a for a, _ in fake.requests]
        self.assertEqual(actions[0], "DescribeStreamSummary")
        self.assertIn("PutRecords", actions)
        for headers, body in fake.raw:
            h = {k.lower(): v for k, v in headers.items()}
            self.assertEqual(h["content-type"], "application/x-amz-json-1.1")
            self.assertTrue(h["x-amz-target"].startswith("Kinesis_20131202."))
            self.assertEqual(h["x-amz-security-token"], "token123")
            expected, got, signed = sigv4_check(headers, body, "AKIDTEST", "secret",
                                                "eu-west-1", "kinesis")
            self.assertEqual(got, expected)
            for name in ("host", "x-amz-date", "x-amz-target", "x-amz-security-token",
                         "content-type"):
                self.assertIn(name, signed)

    def test_large_bodies_are_validly_signed(self):
        # half-megabyte aggregated bodies (over 1 MiB curl adds its own
        # "Expect: 100-continue"; test_rt_kinesis covers that against kinesalite)
        fake, res = self.run_fake([], ["--rate", "60000", "--seconds", "1", "--aggregate",
                                       "--devices", "50"])
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        sizes = [len(b) for _, b in fake.raw]
        self.assertGreater(max(sizes), 400 << 10)
        for headers, body in fake.raw:
            expected, got, _ = sigv4_check(headers, body, "AKIDTEST", "secret", "eu-west-1",
                                           "kinesis")
            self.assertEqual(got, expected)
        self.assertIn("60000 records stored", res.stdout)

    def test_list_shards_pages_with_next_token_alone(self):
        pages = [[("shardId-000000000000", 0, HALF - 1)], [("shardId-000000000001", HALF, FULL)]]
        fake, res = self.run_fake([], ["--rate", "200", "--seconds", "0.5", "--aggregate",
                                       "--devices", "8"], shard_pages=pages)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        listing = [b for a, b in fake.requests if a == "ListShards"]
        self.assertEqual(listing, [{"StreamName": "s"}, {"NextToken": "tok1"}])
        # aggregates are per shard: every user record in an aggregate hashes
        # into the same half of the key space as its explicit hash key
        puts = [b for a, b in fake.requests if a == "PutRecords"]
        for body in puts:
            for r in body["Records"]:
                ehk = int(r["ExplicitHashKey"])
                data = base64.b64decode(r["Data"])
                self.assertEqual(data[:4], b"\xf3\x89\x9a\xc2")
                pb = data[4:-16]
                self.assertEqual(hashlib.md5(pb).digest(), data[-16:])
                i, keys = 0, []
                while i < len(pb) and pb[i] == 0x0A:  # partition key table comes first
                    n = pb[i + 1]
                    keys.append(pb[i + 2:i + 2 + n].decode())
                    i += 2 + n
                for k in keys:
                    h = int(hashlib.md5(k.encode()).hexdigest(), 16)
                    self.assertEqual(h >= HALF, ehk >= HALF, k)
        self.assertEqual(len(fake.stored) > 0, True)

    def test_fatal_error_stops_with_message(self):
        fake = FakeKinesis()
        self.addCleanup(fake.stop)
        fake.answer = lambda action, body: (400, {"__type": "com.amazon#AccessDeniedException",
                                                  "Message": "no access"})
        res = run_eddy(["produce", "sensors", "--stream", "s", "--seconds", "1"],
                       env_for(fake.url))
        self.assertEqual(res.returncode, 1)
        self.assertIn("AccessDeniedException: no access", res.stderr)


if __name__ == "__main__":
    unittest.main()
