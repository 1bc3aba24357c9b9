"""Test services: two Kinesis servers (kinesalite, kinesis-mock) and dynalite
on 127.0.0.1, and a tiny Kinesis client.

Start a server with ``with Service("kinesalite") as svc: ...``. The node
process prints its port on stdout and exits when its stdin closes, so even a
test that dies cannot leak it. ``KinesisClient`` speaks Kinesis JSON 1.1 with
http.client; both Kinesis servers only check that an Authorization header is
present, so the signature is a placeholder (stdlib only: Debian's python3, no
pip). kinesis-mock reads the account from its access key id (a 12-digit id
names the account, anything else is 000000000000).

Every Kinesis end-to-end test class runs against both servers: write it for
``self.KINESIS`` (or derive from KinesisServerTestCase) and decorate it with
``@on_each_kinesis_server``, which adds a copy named ``<Class>OnKinesisMock``.

Environment: EDDY_BIN (the eddy binary), EDDY_SOURCE_DIR (the source tree).
"""

import base64
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import http.client

SOURCE_DIR = os.environ.get(
    "EDDY_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
EDDY_BIN = os.environ.get("EDDY_BIN", os.path.join(SOURCE_DIR, "build", "eddy"))


def require_node(package):
    """Raises RuntimeError unless node and node_modules/<package> exist. The project's
    set-up installs both, so a missing one is a failure, never a skip that passes."""
    if not shutil.which("node"):
        raise RuntimeError("node is not installed (scripts/setup installs it)")
    if not os.path.isdir(os.path.join(SOURCE_DIR, "node_modules", package)):
        raise RuntimeError("node_modules/%s is missing (scripts/setup runs npm ci)" % package)


KINESIS_SERVERS = ("kinesalite", "kinesis-mock")
NODE_PACKAGE = {"kinesis-mock": "kinesis-local"}  # the npm package of each server


def on_each_kinesis_server(cls):
    """Class decorator: cls runs against kinesalite (its KINESIS), and a subclass
    <Class>OnKinesisMock, added to cls's module, runs the same tests against
    kinesis-mock. A test that cannot run on one server skips there, saying why."""
    mock = type(cls.__name__ + "OnKinesisMock", (cls,), {"KINESIS": "kinesis-mock"})
    mock.__module__ = cls.__module__
    mock.__qualname__ = mock.__name__
    setattr(sys.modules[cls.__module__], mock.__name__, mock)
    return cls


class Service:
    """A kinesalite, kinesis-mock or dynalite process on a free loopback port.
    kinesis-mock takes a few seconds to start: share one per test class."""

    def __init__(self, name, port=0, timeout=40.0):
        require_node(NODE_PACKAGE.get(name, name))
        script = os.path.join(SOURCE_DIR, "tests", "services", "serve.js")
        self.name = name
        self.proc = subprocess.Popen(
            ["node", script, name, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=SOURCE_DIR)
        self.port = self._read_port(timeout)
        self.url = "http://127.0.0.1:%d" % self.port

    def _read_port(self, timeout):
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                err = self.proc.stderr.read() if self.proc.poll() is not None else b""
                self.stop()
                raise RuntimeError("%s did not start: %s" % (self.name, err.decode(errors="replace")))
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 64)
                if not chunk:
                    continue
                line += chunk
        return int(line.strip())

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """Closes the server's stdin (it exits), then makes sure it is gone."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f and not f.closed:
                f.close()

    def env(self, **extra):
        """An environment pointing eddy at this server (Kinesis or DynamoDB)."""
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
        key = ("AWS_ENDPOINT_URL_DYNAMODB" if self.name == "dynalite"
               else "AWS_ENDPOINT_URL_KINESIS")
        env[key] = self.url
        env.update(extra)
        return env

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


KPL_MAGIC = b"\xf3\x89\x9a\xc2"


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num, payload):
    """A length-delimited protobuf field."""
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def kpl_encode(records):
    """A KPL aggregate (magic, AggregatedRecord protobuf, MD5) of [(partition_key, bytes)]."""
    keys = sorted({k for k, _ in records})
    body = b"".join(_field(1, k.encode()) for k in keys)
    for k, d in records:
        rec = _varint(1 << 3) + _varint(keys.index(k)) + _field(3, d)
        body += _field(3, rec)
    return KPL_MAGIC + body + hashlib.md5(body).digest()


class KinesisError(Exception):
    def __init__(self, status, type_, message):
        super().__init__("%s %s: %s" % (status, type_, message))
        self.status, self.type, self.message = status, type_, message


class KinesisClient:
    """Kinesis JSON 1.1 over one keep-alive connection, unsigned (placeholder auth).
    access_key and region are the id and region named in the Authorization header
    (kinesis-mock keeps a stream in that account and region)."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0, access_key="test",
                 region="us-east-1"):
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.access_key = access_key
        self.region = region

    def close(self):
        self.conn.close()

    def call(self, action, body):
        data = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202." + action,
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": "AWS4-HMAC-SHA256 Credential=" + self.access_key +
                             "/20261120/" + self.region + "/kinesis/"
                             "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                             "x-amz-target, Signature=00",
        }
        for attempt in range(2):  # node closes idle keep-alive connections after 5 s
            try:
                self.conn.request("POST", "/", body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                self.conn.close()
                if attempt:
                    raise
        out = json.loads(raw) if raw else {}
        if resp.status != 200:
            type_ = out.get("__type", "").split("#")[-1]
            raise KinesisError(resp.status, type_, out.get("message") or out.get("Message"))
        return out

    def create_stream(self, name, shards):
        self.call("CreateStream", {"StreamName": name, "ShardCount": shards})
        self.wait_active(name)

    def wait_active(self, name, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            d = self.call("DescribeStreamSummary", {"StreamName": name})
            if d["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                return
            time.sleep(0.05)
        raise TimeoutError("stream %s not ACTIVE" % name)

    def list_shards(self, name):
        """Every shard; follows NextToken alone (kinesalite never sends one)."""
        out = self.call("ListShards", {"StreamName": name})
        shards = out["Shards"]
        for _ in range(1000):
            if not out.get("NextToken"):
                break
            out = self.call("ListShards", {"NextToken": out["NextToken"]})
            shards += out["Shards"]
        return shards

    def put_records(self, name, records):
        """records: [(partition_key, bytes)]."""
        body = {"StreamName": name, "Records": [
            {"PartitionKey": k, "Data": base64.b64encode(d).decode()} for k, d in records]}
        return self.call("PutRecords", body)

    def put_aggregated(self, name, key, datas, per_aggregate=500):
        """Puts datas (bytes) under one partition key as KPL aggregates of up to
        per_aggregate user records, all in one PutRecords when they fit (order kept).
        kinesis-mock stores unaggregated batches at a few hundred records a second
        but aggregated ones at thousands: tests that load many records use this."""
        aggs = [kpl_encode([(key, d) for d in datas[i:i + per_aggregate]])
                for i in range(0, len(datas), per_aggregate)]
        for i in range(0, len(aggs), 100):
            out = self.put_records(name, [(key, a) for a in aggs[i:i + 100]])
            if out.get("FailedRecordCount", 0):
                raise KinesisError(200, "FailedRecords", str(out))

    def iterator(self, name, shard, type_="TRIM_HORIZON", **extra):
        body = {"StreamName": name, "ShardId": shard, "ShardIteratorType": type_}
        body.update(extra)
        return self.call("GetShardIterator", body)["ShardIterator"]

    def read_shard(self, name, shard, max_calls=1000):
        """Every record of a shard from TRIM_HORIZON up to its tip, in order:
        [{'PartitionKey', 'SequenceNumber', 'Data' (bytes), 'ApproximateArrivalTimestamp'}]."""
        it = self.iterator(name, shard)
        records = []
        for _ in range(max_calls):
            out = self.call("GetRecords", {"ShardIterator": it, "Limit": 10000})
            for r in out["Records"]:
                r["Data"] = base64.b64decode(r["Data"])
                records.append(r)
            it = out.get("NextShardIterator")
            if not it or (not out["Records"] and out.get("MillisBehindLatest", 0) == 0):
                break
        return records

    def read_stream(self, name):
        """{shard_id: [records]} for every shard."""
        return {s["ShardId"]: self.read_shard(name, s["ShardId"]) for s in self.list_shards(name)}


class KinesisServerTestCase(unittest.TestCase):
    """A test class sharing one Kinesis server (cls.KINESIS, kinesalite unless
    on_each_kinesis_server made the kinesis-mock copy): cls.svc, cls.env (eddy's
    environment pointed at it), cls.client (a KinesisClient) and cls.tmp (a temporary
    directory), all stopped or removed after the class's last test."""

    KINESIS = "kinesalite"

    @classmethod
    def setUpClass(cls):
        cls.svc = Service(cls.KINESIS)
        cls.env = cls.svc.env()
        cls.client = KinesisClient(cls.svc.port)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.svc.stop()
        cls.tmp.cleanup()


KinesaliteTestCase = KinesisServerTestCase  # the name older tests use


def scan_items(port, table):
    """Every item of a DynamoDB table in dynalite, or None when the table does not exist
    (yet). One Scan page: the test tables are small."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body=json.dumps({"TableName": table}), headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.Scan",
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261120/us-east-1/dynamodb/"
                             "aws4_request, SignedHeaders=host, Signature=00"})
        resp = conn.getresponse()
        out = json.loads(resp.read() or b"{}")
    finally:
        conn.close()
    return out.get("Items", []) if resp.status == 200 else None


def lease_checkpoints(port, table):
    """{shard: checkpoint sequence} of the KCL-style lease table in dynalite (leases whose
    checkpoint is still a sentinel such as TRIM_HORIZON are left out)."""
    return {i["leaseKey"]["S"]: i["checkpoint"]["S"] for i in scan_items(port, table) or []
            if i.get("checkpoint", {}).get("S", "").isdigit()}


def lease_owners(port, table):
    """{shard: owner or None} of the lease table in dynalite ({} before it exists)."""
    return {i["leaseKey"]["S"]: i.get("leaseOwner", {}).get("S")
            for i in scan_items(port, table) or []}


def run_eddy(args, env, timeout=120, **kw):
    """Runs eddy with args; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([EDDY_BIN] + list(args), env=env, capture_output=True, text=True,
                          timeout=timeout, **kw)
