"""AWS's own Kinesis clients as independent peers of Eddy, on both Kinesis servers.

tests/services/kinesis_peer.js drives the AWS SDK for JavaScript v3 (over its
HTTP/1.1 handler) and AWS's KPL aggregation module, aws-kinesis-agg:

* records the SDK puts, plain or aggregated by aws-kinesis-agg, are counted
  exactly by an Eddy query (count per partition key = what was put);
* the aggregates `eddy produce --aggregate` writes are de-aggregated by
  aws-kinesis-agg with checksums on, and hold exactly the readings Eddy meant
  to write: per device, in order, those a plain `eddy produce` of the same
  seed writes, each under its device id as partition key; and Eddy's own
  reading of that stream yields the same user records as AWS's module.
* a stream named by its ARN works for `kinesis`, `into kinesis` and %describe
  (kinesis-mock, which also files streams under the account named by a
  12-digit access key id; kinesalite knows only StreamName and says so).
"""

import base64
import collections
import json
import os
import subprocess
import unittest

from services import (SOURCE_DIR, KinesisClient, KinesisServerTestCase, on_each_kinesis_server,
                      run_eddy)

PEER = os.path.join(SOURCE_DIR, "tests", "services", "kinesis_peer.js")


def table_rows(text):
    """Rows of the last printed table as lists of cells."""
    lines = text.strip().splitlines()
    sep = max(i for i, l in enumerate(lines) if l.startswith("---"))
    return [l.split() for l in lines[sep + 1:] if l.strip()]


@on_each_kinesis_server
class KinesisPeersTest(KinesisServerTestCase):
    def peer(self, *args, env=None):
        res = subprocess.run(["node", "--no-warnings", PEER] + list(args), env=env or self.env,
                             capture_output=True, text=True, timeout=120, cwd=SOURCE_DIR)
        self.assertEqual(res.returncode, 0, res.stderr)
        return json.loads(res.stdout)

    def run_query(self, text, env=None):
        path = os.path.join(self.tmp.name, "q.eddy")
        with open(path, "w") as f:
            f.write(text)
        return run_eddy(["run", path], env or self.env, timeout=60)

    def counts_by_key(self, stream):
        res = self.run_query('kinesis "%s" from trim_horizon until now\n'
                             '| agg count() as n by partition_key\n| sort partition_key\n'
                             % stream)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        return {k: int(n) for k, n in table_rows(res.stdout)}

    def test_sdk_plain_records_counted_exactly(self):
        # kinesis-mock stores plain PutRecords at a few hundred records a second
        self.client.create_stream("sdk_plain", 2)
        put = self.peer("put", "sdk_plain", "400", "7")
        self.assertEqual(put["kinesis_records"], 400)
        self.assertEqual(self.counts_by_key("sdk_plain"), put["by_key"])

    def test_sdk_aggregated_records_counted_exactly(self):
        self.client.create_stream("sdk_agg", 2)
        put = self.peer("put", "sdk_agg", "8000", "13", "--aggregate")
        self.assertGreater(put["kinesis_records"], 1, "aggregates of up to 1 MiB")
        self.assertLess(put["kinesis_records"], 10)
        self.assertEqual(sum(put["by_key"].values()), 8000)
        self.assertEqual(self.counts_by_key("sdk_agg"), put["by_key"])

    def test_eddy_aggregates_deaggregated_by_aws_module(self):
        res = run_eddy(["produce", "sensors", "--stream", "eddy_agg", "--create", "2", "--rate",
                        "1000", "--seconds", "2", "--devices", "12", "--aggregate", "--seed", "7"],
                       self.env)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("2000 records stored", res.stdout)
        got = self.peer("read", "eddy_agg")  # checksums on: a bad MD5 fails the peer
        self.assertEqual(got["aggregated"], got["kinesis_records"])
        users = got["user_records"]
        self.assertEqual(len(users), 2000)

        # what Eddy meant: the readings of the same seed, written plain
        res = run_eddy(["produce", "sensors", "--stream", "eddy_plain", "--create", "1", "--rate",
                        "1000", "--seconds", "2", "--devices", "12", "--seed", "7"], self.env)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        meant = collections.defaultdict(list)
        for r in self.client.read_shard("eddy_plain", "shardId-000000000000"):
            d = json.loads(r["Data"])
            self.assertEqual(r["PartitionKey"], d["device_id"])
            meant[d["device_id"]].append((d["temperature"], d["humidity"]))
        written = collections.defaultdict(list)
        for u in sorted(users, key=lambda u: (len(u["seq"]), u["seq"], u["sub"])):
            d = json.loads(base64.b64decode(u["data"]))
            self.assertEqual(u["pk"], d["device_id"])
            written[d["device_id"]].append((d["temperature"], d["humidity"]))
        self.assertEqual(dict(written), dict(meant))

        # Eddy's de-aggregation agrees with AWS's, record for record
        out = os.path.join(self.tmp.name, "eddy_agg.jsonl")
        res = self.run_query('kinesis "eddy_agg" from trim_horizon until now\n'
                             '| select partition_key, sequence, data\n| into file "%s"\n' % out)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        with open(out) as f:
            mine = sorted((r["partition_key"], r["sequence"], r["data"])
                          for r in map(json.loads, f))
        theirs = sorted((u["pk"], "%s:%d" % (u["seq"], u["sub"]),
                         base64.b64decode(u["data"]).decode()) for u in users)
        self.assertEqual(mine, theirs)

    def test_stream_by_arn(self):
        # kinesis-mock files a stream under the account of a 12-digit access key id
        env = dict(self.env, AWS_ACCESS_KEY_ID="123456789012")
        name = "by_arn"
        arn = "arn:aws:kinesis:us-east-1:123456789012:stream/" + name
        client = KinesisClient(self.svc.port, access_key="123456789012")
        self.addCleanup(client.close)
        client.create_stream(name, 2)
        described = client.call("DescribeStreamSummary", {"StreamName": name})
        if self.KINESIS == "kinesalite":
            res = self.run_query('kinesis "%s" from trim_horizon until now | agg count()\n' % arn,
                                 env)
            self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
            self.assertIn("StreamName", res.stderr)  # kinesalite wants a name
            return
        self.assertEqual(described["StreamDescriptionSummary"]["StreamARN"], arn)
        put = self.peer("put", name, "200", "5", env=env)
        res = self.run_query('kinesis "%s" from trim_horizon until now\n'
                             '| agg count() as n by partition_key\n| sort partition_key\n'
                             '| into kinesis "%s"\n' % (arn, arn.replace(name, "arn_out")),
                             env)
        self.assertNotEqual(res.returncode, 0, "arn_out does not exist yet")
        client.create_stream("arn_out", 1)
        res = self.run_query('kinesis "%s" from trim_horizon until now\n'
                             '| agg count() as n by partition_key\n'
                             '| into kinesis "%s"\n' % (arn, arn.replace(name, "arn_out")), env)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        rows = [json.loads(r["Data"]) for r in client.read_shard("arn_out",
                                                                 "shardId-000000000000")]
        self.assertEqual({r["partition_key"]: r["n"] for r in rows}, put["by_key"])
        # the same stream in the default account is another stream
        res = self.run_query('kinesis "%s" from trim_horizon until now | agg count()\n' % name)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertIn("ResourceNotFoundException", res.stderr)


if __name__ == "__main__":
    unittest.main()
