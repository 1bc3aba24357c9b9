"""End to end: `eddy produce sensors` into a real kinesalite, read back with an
independent client, and (with --aggregate) decoded by an independent KPL
decoder written here from the format description (protobuf varints by hand,
hashlib.md5), not from our C code. Also `eddy run` serving the runtime's magics
(%create, %streams, %describe, %set) against the same kinesalite."""

import hashlib
import json
import os
import signal
import subprocess
import unittest

from services import EDDY_BIN, KinesisServerTestCase, on_each_kinesis_server, run_eddy

KPL_MAGIC = b"\xf3\x89\x9a\xc2"


def varint(buf, pos):
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("bad varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def fields(buf):
    """Yields (field_number, wire_type, value) of a protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = varint(buf, pos)
        elif wt == 2:
            n, pos = varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated")
            val, pos = buf[pos:pos + n], pos + n
        else:
            raise ValueError("unexpected wire type %d" % wt)
        yield num, wt, val


def kpl_decode(data):
    """[(partition_key, explicit_hash_key or None, data)] of a KPL aggregate."""
    assert data[:4] == KPL_MAGIC, "no KPL magic"
    body, digest = data[4:-16], data[-16:]
    assert hashlib.md5(body).digest() == digest, "MD5 mismatch"
    pks, ehks, recs = [], [], []
    for num, _, val in fields(body):
        if num == 1:
            pks.append(val.decode())
        elif num == 2:
            ehks.append(val.decode())
        elif num == 3:
            recs.append(val)
    out = []
    for rec in recs:
        r = {num: val for num, _, val in fields(rec)}
        out.append((pks[r[1]], ehks[r[2]] if 2 in r else None, r[3]))
    return out


def hash_key(pk):
    return int(hashlib.md5(pk.encode()).hexdigest(), 16)


@on_each_kinesis_server
class ProduceTest(KinesisServerTestCase):
    def produce(self, *args, timeout=60):
        res = run_eddy(["produce", "sensors"] + list(args), self.env, timeout=timeout)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        return res

    def shard_ranges(self, stream):
        return {s["ShardId"]: (int(s["HashKeyRange"]["StartingHashKey"]),
                               int(s["HashKeyRange"]["EndingHashKey"]))
                for s in self.client.list_shards(stream)}

    def check_readings(self, per_shard, ranges, total, devices, rate):
        """per_shard: {shard: [(partition_key, reading dict)]} in shard order."""
        by_device = {}
        for shard, items in per_shard.items():
            lo, hi = ranges[shard]
            for pk, reading in items:
                self.assertEqual(set(reading), {"device_id", "temperature", "humidity", "ts"})
                self.assertEqual(pk, reading["device_id"])
                self.assertTrue(lo <= hash_key(pk) <= hi, "%s routed to the wrong shard" % pk)
                self.assertIsInstance(reading["temperature"], (int, float))
                self.assertTrue(0 <= reading["humidity"] <= 100)
                by_device.setdefault(pk, []).append(reading)
        self.assertEqual(sum(len(v) for v in by_device.values()), total)
        self.assertEqual(sorted(by_device), ["sensor-%03d" % d for d in range(devices)])
        step = 1000 * devices / rate  # ms between two readings of one device
        for dev, readings in by_device.items():
            self.assertEqual(len(readings), total // devices, dev)
            ts = [r["ts"] for r in readings]
            # stored in generation order: event times step by exactly `step`
            self.assertEqual([b - a for a, b in zip(ts, ts[1:])], [step] * (len(ts) - 1), dev)
        temps = [r["temperature"] for v in by_device.values() for r in v]
        self.assertTrue(any(t > 80 for t in temps), "no hot spikes")
        self.assertTrue(sum(t > 80 for t in temps) < total * 0.05)
        return by_device

    def test_plain_records(self):
        res = self.produce("--stream", "plain", "--create", "2", "--rate", "500", "--seconds", "2")
        self.assertIn("1000 records stored in 1000 Kinesis records", res.stdout)
        self.assertIn("0 failed", res.stdout)
        shards = self.client.read_stream("plain")
        self.assertEqual(len(shards), 2)
        per_shard = {}
        for shard, records in shards.items():
            seqs = [int(r["SequenceNumber"]) for r in records]
            self.assertEqual(seqs, sorted(seqs))
            per_shard[shard] = [(r["PartitionKey"], json.loads(r["Data"])) for r in records]
        by_device = self.check_readings(per_shard, self.shard_ranges("plain"), 1000, 10, 500)

        # same seed, same readings (event times differ only by the start time)
        self.produce("--stream", "plain2", "--create", "1", "--rate", "500", "--seconds", "2")
        again = {}
        for r in self.client.read_stream("plain2")["shardId-000000000000"]:
            d = json.loads(r["Data"])
            again.setdefault(d["device_id"], []).append((d["temperature"], d["humidity"]))
        for dev, readings in by_device.items():
            self.assertEqual([(r["temperature"], r["humidity"]) for r in readings], again[dev])

    def test_aggregated_records(self):
        res = self.produce("--stream", "agg", "--create", "2", "--rate", "500", "--seconds", "2",
                           "--aggregate", "--devices", "20")
        self.assertIn("1000 records stored", res.stdout)
        ranges = self.shard_ranges("agg")
        per_shard, outer = {}, 0
        for shard, records in self.client.read_stream("agg").items():
            items = per_shard.setdefault(shard, [])
            for r in records:
                outer += 1
                users = kpl_decode(r["Data"])
                self.assertGreater(len(users), 0)
                self.assertEqual(r["PartitionKey"], users[0][0])
                for pk, ehk, data in users:
                    self.assertIsNone(ehk)
                    items.append((pk, json.loads(data)))
        self.assertLess(outer, 1000)  # aggregated: far fewer Kinesis records
        self.check_readings(per_shard, ranges, 1000, 20, 500)

    def test_missing_stream(self):
        res = run_eddy(["produce", "sensors", "--stream", "missing", "--seconds", "1"], self.env)
        self.assertEqual(res.returncode, 1)
        self.assertIn('stream "missing" not found', res.stderr)

    def test_connection_refused(self):
        env = dict(self.env, AWS_ENDPOINT_URL_KINESIS="http://127.0.0.1:1")
        res = run_eddy(["produce", "sensors", "--stream", "x", "--seconds", "1"], env)
        self.assertEqual(res.returncode, 1)
        self.assertIn("cannot connect", res.stderr)

    def test_usage(self):
        for args in (["produce"], ["produce", "sensors"], ["produce", "sensors", "--stream", "s",
                     "--rate", "fast"], ["produce", "sensors", "--stream", "s", "--bogus"]):
            res = run_eddy(args, self.env)
            self.assertEqual(res.returncode, 2, args)
            self.assertIn("usage:", res.stderr)

    def test_interrupt_flushes(self):
        self.client.create_stream("intr", 1)
        proc = subprocess.Popen([EDDY_BIN, "produce", "sensors", "--stream", "intr",
                                 "--rate", "400"], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            # interrupt once its progress line (every second) shows 300 records stored
            before, lines = 0, []
            for line in proc.stdout:  # the CTest timeout bounds this
                lines.append(line)
                if " stored " in line:
                    before = int(line.split(" stored ")[1].split()[0])
                    if before >= 300:
                        break
            self.assertGreaterEqual(before, 300, "".join(lines))
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)  # a few lines follow the signal: no pipe fills
            out, err = "".join(lines) + proc.stdout.read(), proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertIn("(interrupted)", out)
        stored = int(out.split("done: ")[1].split()[0])
        self.assertGreaterEqual(stored, before)
        records = self.client.read_stream("intr")["shardId-000000000000"]
        self.assertEqual(len(records), stored)


if __name__ == "__main__":
    unittest.main()


@on_each_kinesis_server
class RunMagicsTest(KinesisServerTestCase):
    """`eddy run` serves the runtime's magics as a notebook does: %create makes a stream,
    %streams and %describe show it, %set changes a setting; a bad one fails with status 2."""

    def run_program(self, text):
        path = os.path.join(self.tmp.name, "magics.eddy")
        with open(path, "w") as f:
            f.write(text)
        return run_eddy(["run", path], self.env, timeout=60)

    def test_magics_in_eddy_run(self):
        res = self.run_program("%create ran shards 2\n%set batch 200ms\n%streams\n")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("Created stream ran with 2 shards.", res.stdout)
        self.assertIn("batch = 200ms", res.stdout)
        self.assertIn("ran", res.stdout.split("batch = 200ms", 1)[1])
        self.client.wait_active("ran")
        res = self.run_program("%describe ran\n")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("2 open shards", res.stdout)
        res = self.run_program("%create ran shards 2\n")
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("ran", res.stderr)
