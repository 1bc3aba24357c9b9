"""Fault injection for the consumer side (the shard reader behind the kinesis
source), driven through `eddy run` against a scripted fake Kinesis: a closed
parent shard with two open children and no ChildShards (like kinesalite),
throttling, a 500 and an expired iterator in the middle. Checks that every
record arrives exactly once, parents finish before children start, the
expired iterator is renewed AFTER the last delivered sequence number, and each
shard's GetRecords calls go on from where the last answer ended, retry a
throttled or failed call at the same position, and number no more than the
records need. The pacing (5 calls/s per shard, >= 1 s back-off after a
throttle) is timing: bench/timing_claims.py measures it and the reader's C
unit tests check it on an injected clock."""

import json
import os
import re
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services import run_eddy

PER_CALL = 25  # records per GetRecords answer, so a shard takes several calls


class FakeStream:
    """Shard 0 (closed) split into shards 1 and 2 (open)."""

    def __init__(self, per_shard=60, faults=None):
        now = time.time() - 60
        self.shards = {}
        n = 0
        for sid, parent in (("shardId-000000000000", None), ("shardId-000000000001", 0),
                            ("shardId-000000000002", 0)):
            recs = []
            for j in range(per_shard):
                seq = str((int(sid[-1]) + 1) * 10 ** 20 + j)
                data = json.dumps({"i": n, "shard": sid}).encode()
                recs.append({"SequenceNumber": seq, "PartitionKey": "k%d" % (n % 7),
                             "Data": __import__("base64").b64encode(data).decode(),
                             "ApproximateArrivalTimestamp": now + n * 0.001})
                n += 1
            self.shards[sid] = {"records": recs, "closed": parent is None,
                                "parent": None if parent is None else "shardId-000000000000"}
        self.total = n
        self.faults = dict(faults or {})  # GetRecords call number -> fault
        self.get_calls = 0
        self.log = []  # (time, action, shard, detail)
        self.lock = threading.Lock()

    def answer(self, action, body):
        t = time.monotonic()
        if action == "ListShards":
            assert "NextToken" not in body
            out = []
            for sid, s in self.shards.items():
                d = {"ShardId": sid, "HashKeyRange": {"StartingHashKey": "0",
                     "EndingHashKey": str(2 ** 128 - 1)},
                     "SequenceNumberRange": {"StartingSequenceNumber": s["records"][0]["SequenceNumber"]}}
                if s["closed"]:
                    d["SequenceNumberRange"]["EndingSequenceNumber"] = s["records"][-1]["SequenceNumber"]
                if s["parent"]:
                    d["ParentShardId"] = s["parent"]
                out.append(d)
            return 200, {"Shards": out}
        if action == "GetShardIterator":
            sid, typ = body["ShardId"], body["ShardIteratorType"]
            recs = self.shards[sid]["records"]
            if typ == "TRIM_HORIZON":
                pos = 0
            elif typ == "AFTER_SEQUENCE_NUMBER":
                pos = 1 + [r["SequenceNumber"] for r in recs].index(body["StartingSequenceNumber"])
            else:
                return 400, {"__type": "InvalidArgumentException", "message": typ}
            self.log.append((t, "iter", sid, (typ, body.get("StartingSequenceNumber"))))
            return 200, {"ShardIterator": "%s/%d" % (sid, pos)}
        if action == "GetRecords":
            sid, pos = body["ShardIterator"].rsplit("/", 1)
            pos = int(pos)
            self.get_calls += 1
            fault = self.faults.pop(self.get_calls, None)
            self.log.append((t, "get", sid, (fault, pos)))
            if fault == "throttle":
                return 400, {"__type": "ProvisionedThroughputExceededException", "message": "slow down"}
            if fault == "500":
                return 500, {"__type": "InternalFailure", "message": "oops"}
            if fault == "expired":
                return 400, {"__type": "ExpiredIteratorException", "message": "Iterator expired"}
            s = self.shards[sid]
            recs = s["records"][pos:pos + PER_CALL]
            out = {"Records": recs, "MillisBehindLatest": 0}
            end = pos + len(recs)
            if not (s["closed"] and end >= len(s["records"]) and not recs):
                out["NextShardIterator"] = "%s/%d" % (sid, end)
            return 200, out
        return 400, {"__type": "UnknownOperationException", "message": action}


def serve(stream):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            action = self.headers["X-Amz-Target"].split(".")[1]
            with stream.lock:
                status, out = stream.answer(action, body)
            data = json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class ReaderFaultTest(unittest.TestCase):
    def test_faults_resharding_and_pacing(self):
        stream = FakeStream(faults={3: "throttle", 5: "500", 9: "expired"})
        server = serve(stream)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "AWS_REGION": "us-east-1",
               "AWS_ENDPOINT_URL_KINESIS": "http://127.0.0.1:%d" % server.server_address[1]}
        with tempfile.TemporaryDirectory() as tmp:
            q = os.path.join(tmp, "q.eddy")
            with open(q, "w") as f:
                f.write('kinesis "s" from trim_horizon until now\n| parse json\n'
                        '| agg count() as n, count_distinct(i) as d, max(i) as hi\n')
            res = run_eddy(["run", q], env, timeout=90)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        n, d, hi = res.stdout.strip().splitlines()[-1].split()
        self.assertEqual((int(n), int(d), int(float(hi))), (stream.total, stream.total, stream.total - 1))
        self.assertEqual(stream.faults, {}, "every fault was hit")

        # the run's stats count the throttle and the 500 (an expired iterator is renewed,
        # not an error)
        stats = re.findall(r"query \d+: (\d+) calls throttled, (\d+) retried", res.stderr)
        self.assertEqual(stats, [("1", "1")], res.stderr)

        log = stream.log  # in the order the fake answered
        parent = "shardId-000000000000"
        parent_end = max(i for i, (_, a, sid, _) in enumerate(log) if a == "get" and sid == parent)
        child_start = min(i for i, (_, a, sid, _) in enumerate(log) if sid != parent)
        self.assertGreater(child_start, parent_end, "a child started before its parent ended")

        # the expired iterator was renewed once, after the last delivered record, before
        # the shard's next call
        renewals = [(i, sid, det[1]) for i, (_, a, sid, det) in enumerate(log)
                    if a == "iter" and det[0] == "AFTER_SEQUENCE_NUMBER"]
        self.assertEqual(len(renewals), 1, log)
        expired = [(i, sid, det[1]) for i, (_, a, sid, det) in enumerate(log)
                   if a == "get" and det[0] == "expired"]
        self.assertEqual(len(expired), 1)
        (ri, rsid, rseq), (ei, esid, epos) = renewals[0], expired[0]
        self.assertEqual(rsid, esid)
        self.assertEqual(rseq, stream.shards[esid]["records"][epos - 1]["SequenceNumber"])
        next_get = min(i for i, (_, a, sid, _) in enumerate(log)
                       if a == "get" and sid == esid and i > ei)
        self.assertLess(ei, ri)
        self.assertLess(ri, next_get)

        # per shard, GetRecords calls in order: each answered call goes on from where the
        # previous answer ended (nothing skipped, nothing read twice), a throttled or
        # failed call is retried at the same position, and there are no more calls than
        # the records need (a call per 25 records, one finding the end) plus one per fault.
        # How far apart the calls are (5 per second per shard, backing off after a throttle)
        # is timing: bench/timing_claims.py measures it, the reader's unit tests check it on
        # an injected clock.
        for sid, shard in stream.shards.items():
            gets = [det for _, a, s_, det in log if a == "get" and s_ == sid]
            for (f0, p0), (_, p1) in zip(gets, gets[1:]):
                if f0:
                    self.assertEqual(p1, p0, "%s: %s at %d not retried there" % (sid, f0, p0))
            n = len(shard["records"])
            answered = [p for f, p in gets if not f]
            self.assertEqual(answered, list(range(0, n, PER_CALL)) + [n], "%s: %s" % (sid, gets))

if __name__ == "__main__":
    unittest.main()
