"""State that must survive a restart `from checkpoint`, against kinesalite and kinesis-mock.

 - Dedup and the event-time watermark: a query with `dedup` and an event-time
   window is killed (SIGKILL) once its checkpoint covers every record of a first
   half, then duplicates of records of that half are written (some into windows
   still open, one into a window already emitted) with a second half; the
   restarted query drops every duplicate and neither reopens nor double-counts a
   window: the last row of each (window, device) equals its count of distinct ids.

The checkpoint store is the file (`checkpoint_dir`), which holds a whole query's
state (runtime/rt_pipeline.h, "Checkpoints")."""

import collections
import json
import os
import signal
import subprocess
import tempfile
import unittest

from services import EDDY_BIN, KinesisClient, Service, on_each_kinesis_server
from test_kinesis_reshard import wait_for
from test_kinesis_recovery import last_rows

BATCH_MS = 200
BASE_MS = 1700000000000


def reading(i):
    """Record i: device d(i % 5), event time 25 ms apart, id i."""
    return {"device_id": "d%d" % (i % 5), "ts": BASE_MS + 25 * i, "id": i}


@on_each_kinesis_server
class RestartStateTest(unittest.TestCase):
    KINESIS = "kinesalite"

    def put(self, ctl, stream, records):
        """Puts records (dicts) in order, 100 a call; {shard: last sequence put}."""
        tips = {}
        for k in range(0, len(records), 100):
            chunk = records[k:k + 100]
            out = ctl.put_records(stream, [(r["device_id"], json.dumps(r).encode())
                                           for r in chunk])
            self.assertEqual(out.get("FailedRecordCount", 0), 0, out)
            for r in out["Records"]:
                tips[r["ShardId"]] = r["SequenceNumber"]
        return tips

    def test_dedup_and_watermark_survive_kill(self):
        stream, app, half, total = "rsd", "rsdapp", 1000, 2000
        with Service(self.KINESIS) as svc, tempfile.TemporaryDirectory() as tmp:
            ctl = KinesisClient(svc.port)
            self.addCleanup(ctl.close)
            ctl.create_stream(stream, 2)
            ckdir = os.path.join(tmp, "ck")
            ckpath = os.path.join(ckdir, "%s.%s.checkpoint.json" % (app, stream))
            tips = self.put(ctl, stream, [reading(i) for i in range(half - 100)])

            def run(name, from_):
                out = os.path.join(tmp, name + ".jsonl")
                prog = os.path.join(tmp, name + ".eddy")
                with open(prog, "w") as f:
                    f.write('kinesis "%s" from %s as "%s" | parse json\n'
                            '| dedup id within 1h on ts\n'
                            '| window 10s on ts watermark 5s | agg count() as n by device_id\n'
                            '| into file "%s"\n' % (stream, from_, app, out))
                proc = subprocess.Popen(
                    [EDDY_BIN, "run", prog, "--set", "batch=%dms" % BATCH_MS,
                     "--set", "checkpoint_dir=" + ckdir],
                    env=svc.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
                return proc, out

            def covers_first_half():
                try:
                    with open(ckpath) as f:
                        return json.load(f)["shards"] == tips
                except (FileNotFoundError, ValueError, KeyError):
                    return False

            # run 1: reads the first half (event times 0-25 s: with a 5 s
            # watermark the windows from 10 s on are still open) in two parts,
            # the second once windows were emitted (so the checkpoint after it
            # holds a watermark), checkpoints all of it, then is killed
            p1, out1 = run("r1", "trim_horizon")
            wait_for(lambda: last_rows([out1]), 60, "run 1 to emit a window")
            tips.update(self.put(ctl, stream, [reading(i) for i in range(half - 100, half)]))
            wait_for(covers_first_half, 60, "run 1 to checkpoint the first half")
            p1.send_signal(signal.SIGKILL)
            p1.communicate(timeout=30)
            emitted1 = last_rows([out1])
            self.assertIn((BASE_MS // 10000 * 10000, "d0"), emitted1,
                          "run 1 emitted no window before the kill")

            # duplicates: the first half's last 300 (in open windows) and its
            # first 10 (in a window run 1 emitted), then the second half
            dups = [reading(i) for i in range(half - 300, half)] + [reading(i) for i in range(10)]
            self.put(ctl, stream, dups + [reading(i) for i in range(half, total)])

            # run 2: from the checkpoint to the tip; every window closes at the end
            p2, out2 = run("r2", "checkpoint until now")
            err2 = p2.communicate(timeout=120)[1]
            self.assertEqual(p2.returncode, 0, err2)

            expected = collections.Counter()
            for i in range(total):
                r = reading(i)
                expected[(r["ts"] // 10000 * 10000, r["device_id"])] += 1
            self.assertEqual(last_rows([out1, out2]), dict(expected),
                             "a duplicate counted, or a window reopened or counted twice")


if __name__ == "__main__":
    unittest.main()
