"""End to end through the whole runtime: `eddy produce sensors` writes to
kinesalite, `eddy run` reads it back with the kinesis source (plain and KPL
aggregated, 2 shards) and its aggregates must match what an independent
Python reader of the same stream computes."""

import json
import os
import subprocess
import unittest

from fault_proxy import FaultProxy
from services import EDDY_BIN, KinesisServerTestCase, on_each_kinesis_server, run_eddy
from test_kinesis_reshard import read_rows, seq_key, stop_eddy, wait_for
from test_produce import kpl_decode


def table_rows(text):
    """Rows of the last printed table as lists of cells."""
    lines = text.strip().splitlines()
    sep = max(i for i, l in enumerate(lines) if l.startswith("---"))
    return [l.split() for l in lines[sep + 1:] if l.strip()]


@on_each_kinesis_server
class KinesisQueryTest(KinesisServerTestCase):
    def run_query(self, text):
        path = os.path.join(self.tmp.name, "q.eddy")
        with open(path, "w") as f:
            f.write(text)
        res = run_eddy(["run", path], self.env, timeout=60)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        return res.stdout

    def readings(self, stream):
        out = []
        for records in self.client.read_stream(stream).values():
            for r in records:
                if r["Data"][:4] == b"\xf3\x89\x9a\xc2":
                    out += [json.loads(d) for _, _, d in kpl_decode(r["Data"])]
                else:
                    out.append(json.loads(r["Data"]))
        return out

    def check_stream(self, stream, aggregate):
        args = ["produce", "sensors", "--stream", stream, "--create", "2", "--rate", "500",
                "--seconds", "2", "--devices", "10"] + (["--aggregate"] if aggregate else [])
        res = run_eddy(args, self.env)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        expected = self.readings(stream)
        self.assertEqual(len(expected), 1000)

        out = self.run_query('kinesis "%s" from trim_horizon until now\n'
                             '| parse json\n'
                             '| agg count() as n, max(temperature) as hi by device_id\n'
                             '| sort device_id\n' % stream)
        rows = table_rows(out)
        self.assertEqual([r[0] for r in rows], ["sensor-%03d" % d for d in range(10)])
        for dev, n, hi in rows:
            mine = [e["temperature"] for e in expected if e["device_id"] == dev]
            self.assertEqual(int(n), len(mine))
            self.assertAlmostEqual(float(hi), max(mine), places=6)

        out = self.run_query('kinesis "%s" from trim_horizon until now\n'
                             '| parse json\n'
                             '| where temperature > 80\n'
                             '| agg count() as hot\n' % stream)
        hot = sum(1 for e in expected if e["temperature"] > 80)
        self.assertGreater(hot, 0)
        self.assertEqual(int(table_rows(out)[0][0]), hot)

    def test_plain_stream(self):
        self.check_stream("q_plain", aggregate=False)

    def test_aggregated_stream(self):
        self.check_stream("q_agg", aggregate=True)

    def test_live_tail_from_latest(self):
        # Records stored before the query starts are not read (`from latest`); every
        # record put once the query holds its shard iterators (seen at the proxy: both
        # GetShardIterator answers sent) comes out exactly once, in order per shard,
        # while the query runs on. How closely its 1 s windows follow the rate put is
        # timing, measured by bench/timing_claims.py, not asserted here.
        res = run_eddy(["produce", "sensors", "--stream", "q_live", "--create", "2", "--rate",
                        "500", "--seconds", "1"], self.env)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        old = {(sid, r["SequenceNumber"]) for sid, recs in self.client.read_stream("q_live").items()
               for r in recs}
        self.assertEqual(len(old), 500)
        out = os.path.join(self.tmp.name, "live.jsonl")
        prog = os.path.join(self.tmp.name, "live.eddy")
        with open(prog, "w") as f:
            f.write('kinesis "q_live" from latest | select shard, sequence\n'
                    '| into file "%s"\n' % out)
        with FaultProxy(self.svc.port) as proxy:
            eddy = subprocess.Popen([EDDY_BIN, "run", prog, "--set", "batch=200ms"],
                                    env=dict(self.env, AWS_ENDPOINT_URL_KINESIS=proxy.url),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                wait_for(lambda: sum(1 for a, _ in dict(proxy.sent) if a == "GetShardIterator")
                         >= 2 or eddy.poll() is not None, 60, "the query's shard iterators")
                self.assertIsNone(eddy.poll(), "the endless query ended")
                res = run_eddy(["produce", "sensors", "--stream", "q_live", "--rate", "200",
                                "--seconds", "3"], self.env)
                self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
                new = {(sid, r["SequenceNumber"])
                       for sid, recs in self.client.read_stream("q_live").items()
                       for r in recs} - old
                self.assertEqual(len(new), 600)
                wait_for(lambda: new <= set(read_rows(out)) or eddy.poll() is not None, 60,
                         "the query to read every new record")
                self.assertIsNone(eddy.poll(), "the endless query ended")
            finally:
                err = stop_eddy(eddy)
        self.assertEqual(eddy.returncode, 0, err)
        rows = read_rows(out)
        self.assertEqual(len(rows), len(set(rows)), "records read twice")
        self.assertEqual(set(rows) & old, set(), "records from before the query were read")
        self.assertEqual(set(rows), new, "records lost")
        for sid in {s for s, _ in rows}:
            seqs = [q for s, q in rows if s == sid]
            self.assertEqual(seqs, sorted(seqs, key=seq_key), "%s out of order" % sid)

    def test_missing_stream_fails_clearly(self):
        path = os.path.join(self.tmp.name, "bad.eddy")
        with open(path, "w") as f:
            f.write('kinesis "nope" from trim_horizon until now | agg count()\n')
        res = run_eddy(["run", path], self.env, timeout=60)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertIn("ResourceNotFoundException", res.stderr)


if __name__ == "__main__":
    unittest.main()
