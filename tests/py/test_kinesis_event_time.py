"""End to end: an event-time window over old data in a 2-shard stream.

Each shard holds its records in event-time order, but the shards are
deliberately uneven (one has 4x the records of the other over the same
span), so the reader is at different event times in each shard while it
works through the backlog. The watermark is per shard (the minimum over the
shards of their newest event time, rt_pipeline.h), so no record is late and
every 5 s window's count equals what Python computes from the records put.
With one watermark over all records most of the slow shard came out late.
"""

import hashlib
import json
import os
import re
import unittest
from collections import Counter

from services import KinesisServerTestCase, on_each_kinesis_server, run_eddy

T0_MS = 1795168800000  # 2026-11-20T10:00:00Z
WINDOW_MS = 5000
ROW = re.compile(r"^(\d{4}-\S+Z)\s+(\d{4}-\S+Z)\s+(\d+)\s*$")


def key_for_shard(shard):
    """A partition key whose MD5 falls in shard's hash key range."""
    lo = int(shard["HashKeyRange"]["StartingHashKey"])
    hi = int(shard["HashKeyRange"]["EndingHashKey"])
    for i in range(10000):
        key = "k%d" % i
        h = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
        if lo <= h <= hi:
            return key
    raise AssertionError("no key for shard %s" % shard["ShardId"])


def iso_ms(text):
    """Milliseconds of 2026-11-20T10:00:05.000Z (UTC, the eddy format)."""
    import datetime
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


@on_each_kinesis_server
class KinesisEventTimeTest(KinesisServerTestCase):
    def put_shard(self, stream, key, times):
        """Puts one record per event time, in order, all to key's shard (KPL
        aggregated on kinesis-mock, which stores plain batches too slowly)."""
        if self.KINESIS == "kinesis-mock":
            self.client.put_aggregated(stream, key, [json.dumps({"ts": t, "n": i}).encode()
                                                     for i, t in enumerate(times)])
            return
        for i in range(0, len(times), 500):
            out = self.client.put_records(
                stream, [(key, json.dumps({"ts": t, "n": i + j}).encode())
                         for j, t in enumerate(times[i:i + 500])])
            self.assertEqual(out.get("FailedRecordCount", 0), 0)

    def run_windows(self, stream, watermark="1s", sets=()):
        path = os.path.join(self.tmp.name, stream + ".eddy")
        with open(path, "w") as f:
            f.write('kinesis "%s" from trim_horizon until now\n| parse json\n'
                    '| window 5s on ts watermark %s\n| agg count()\n' % (stream, watermark))
        args = ["run", path]
        for s in sets:
            args += ["--set", s]
        res = run_eddy(args, self.env, timeout=120)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        counts = Counter()
        for line in res.stdout.splitlines():
            m = ROW.match(line)
            if m:
                start = iso_ms(m.group(1))
                self.assertEqual(iso_ms(m.group(2)) - start, WINDOW_MS, line)
                self.assertNotIn(start, counts, "window emitted twice: " + line)
                counts[start] = int(m.group(3))
        return counts, res.stderr

    def put_uneven(self, stream, n):
        """Shard 0: 4n/5 records, one every 100 ms; shard 1: n/5 records, one
        every 400 ms over the same span, 50 ms off. Returns the times."""
        self.client.create_stream(stream, 2)
        shards = self.client.list_shards(stream)
        self.assertEqual(len(shards), 2)
        times = [[T0_MS + 100 * i for i in range(n * 4 // 5)],
                 [T0_MS + 50 + 400 * i for i in range(n // 5)]]
        for shard, ts in zip(shards, times):
            self.put_shard(stream, key_for_shard(shard), ts)
        if self.KINESIS == "kinesalite":
            per_shard = {s: len(r) for s, r in self.client.read_stream(stream).items()}
            self.assertEqual(sorted(per_shard.values()), [n // 5, n * 4 // 5])
        return times

    def check(self, stream, times, **kw):
        expected = Counter(t // WINDOW_MS * WINDOW_MS for ts in times for t in ts)
        got, err = self.run_windows(stream, **kw)
        self.assertNotIn("late", err)
        self.assertEqual(sum(got.values()), sum(len(ts) for ts in times), err)
        self.assertEqual(dict(got), dict(expected))

    def test_uneven_shards_nothing_late(self):
        """The reported query: 5,000 records, watermark 1 s."""
        times = self.put_uneven("et_uneven", 5000)
        self.check("et_uneven", times)

    def test_uneven_shards_bigger_backlog(self):
        """20,000 records, watermark 0 s, 100 ms batches: one shard's first
        answer (10,000 records) takes long; the shard is slow, not idle, and
        none of its records may be late."""
        times = self.put_uneven("et_big", 20000)
        self.check("et_big", times, watermark="0s", sets=["batch=100ms"])


if __name__ == "__main__":
    unittest.main()
