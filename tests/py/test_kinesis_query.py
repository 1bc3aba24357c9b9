"""End to end through the whole runtime: `eddy produce sensors` writes to
kinesalite, `eddy run` reads it back with the kinesis source (plain and KPL
aggregated, 2 shards) and its aggregates must match what an independent
Python reader of the same stream computes."""

import json
import os
import subprocess
import time
import unittest

from services import EDDY_BIN, KinesaliteTestCase, run_eddy
from test_produce import kpl_decode


def table_rows(text):
    """Rows of the last printed table as lists of cells."""
    lines = text.strip().splitlines()
    sep = max(i for i, l in enumerate(lines) if l.startswith("---"))
    return [l.split() for l in lines[sep + 1:] if l.strip()]


class KinesisQueryTest(KinesaliteTestCase):
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
        prod = subprocess.Popen([EDDY_BIN, "produce", "sensors", "--stream", "q_live", "--create",
                                 "2", "--rate", "200", "--seconds", "8"], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.7)  # the stream exists and records are flowing
            out = self.run_query('kinesis "q_live" from latest\n| parse json\n| window 1s\n'
                                 '| agg count() as n\n| for 5s\n')
        finally:
            prod.communicate(timeout=30)
        counts = [int(r[-1]) for r in (table_rows(block) for block in out.split("window 20")[1:])
                  for r in r]
        self.assertGreaterEqual(len(counts), 3, out)
        # a steady 200 records/s shows up as ~200 per 1 s window (edges vary)
        self.assertTrue(all(120 <= n <= 280 for n in counts[1:-1]), counts)

    def test_missing_stream_fails_clearly(self):
        path = os.path.join(self.tmp.name, "bad.eddy")
        with open(path, "w") as f:
            f.write('kinesis "nope" from trim_horizon until now | agg count()\n')
        res = run_eddy(["run", path], self.env, timeout=60)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertIn("ResourceNotFoundException", res.stderr)


if __name__ == "__main__":
    unittest.main()
