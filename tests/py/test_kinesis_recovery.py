"""Restart from a checkpoint after kill -9, against a real kinesalite (and
dynalite): `eddy run` writes (shard, sequence) of every record into a file
while a producer writes to the stream; it is killed with SIGKILL mid-stream
and restarted `from checkpoint as "APP"`.

 - The outputs of the two runs together hold every record put (no loss).
 - Duplicates are only the records the killed run handed over after its last
   checkpoint, i.e. its last, uncommitted batch: the checkpoint is the
   micro-batch commit, so at most a batch's worth of records repeats.
 - After a clean stop (SIGINT: final commit), a restart repeats nothing.

With the file store (`checkpoint_dir`); with DynamoDB (dynalite), where an
endless query checkpoints into KCL-style leases (the restarted worker takes
over the dead worker's leases once they expire); and with the plain DynamoDB
table a bounded (`until now`) read keeps.

A windowed query (`window 10s on ts | agg count()`) keeps records in open
windows between checkpoints: its checkpoint carries the operator state with
the positions, so after kill -9 and a restart every window's last result
counts each record put exactly once."""

import collections
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from fault_proxy import FaultProxy
from services import EDDY_BIN, KinesisClient, Service, lease_checkpoints, on_each_kinesis_server
from test_kinesis_reshard import Producer, read_rows, seq_key, stop_eddy, wait_for

BATCH_MS = 200


def batch_sizes(stdout):
    """Rows of each batch an `eddy run ... into file` wrote, from its "N rows written" lines
    (printed after the rows, before the batch's checkpoint)."""
    return [int(line.split()[0]) for line in stdout.splitlines() if " rows written to " in line]


@on_each_kinesis_server
class RecoveryTest(unittest.TestCase):
    KINESIS = "kinesalite"

    def start(self, env, tmp, name, from_, app, extra=()):
        out = os.path.join(tmp, name + ".jsonl")
        prog = os.path.join(tmp, name + ".eddy")
        with open(prog, "w") as f:
            f.write('kinesis "%s" from %s as "%s" | select shard, sequence\n'
                    '| into file "%s"\n' % (self.stream, from_, app, out))
        args = [EDDY_BIN, "run", prog, "--set", "batch=%dms" % BATCH_MS] + list(extra)
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        return proc, out

    def check_kill_and_restart(self, svc, env, tmp, app, checkpoint_of, extra=()):
        ctl = KinesisClient(svc.port)
        self.addCleanup(ctl.close)
        ctl.create_stream(self.stream, 2)
        prod = Producer(svc.port, stream=self.stream)
        prod.start()
        self.addCleanup(prod.stop_evt.set)

        # run 1: killed with SIGKILL while records flow, once it has read records and
        # checkpointed both shards
        p1, out1 = self.start(env, tmp, "run1", "trim_horizon", app, extra)
        wait_for(lambda: len(read_rows(out1)) >= 500 and len(checkpoint_of()) == 2, 60,
                 "run 1 to read records and checkpoint both shards")
        p1.send_signal(signal.SIGKILL)
        stdout1 = p1.communicate(timeout=30)[0]
        ckpt = checkpoint_of()

        # run 2: resumes from the checkpoint; the producer stops midway
        p2, out2 = self.start(env, tmp, "run2", "checkpoint", app, extra)
        wait_for(lambda: len(read_rows(out2)) >= 300, 60, "run 2 to resume")
        prod.stop_evt.set()
        prod.join(timeout=60)
        self.assertFalse(prod.is_alive(), "the producer did not stop")
        self.assertIsNone(prod.error)
        put = set(prod.put)
        wait_for(lambda: put <= set(read_rows(out1)) | set(read_rows(out2)), 60,
                 "every record to come out")
        err2 = stop_eddy(p2)
        self.assertEqual(p2.returncode, 0, err2)

        rows1, rows2 = read_rows(out1), read_rows(out2)
        for rows in (rows1, rows2):
            self.assertEqual([k for k, n in collections.Counter(rows).items() if n > 1], [],
                             "duplicates within one run")
        self.assertEqual(set(rows1) | set(rows2), put, "records lost or invented")
        # the repeats are exactly what run 1 read after its checkpoint...
        dups = set(rows1) & set(rows2)
        after = {(s, q) for s, q in rows1 if seq_key(q) > seq_key(ckpt[s])}
        self.assertEqual(dups, after)
        # ...and that is no more than its last batch (the rows it printed as written last,
        # and any it wrote after): the checkpoint is the micro-batch commit, not a periodic
        # flush. A count of rows, whatever the machine's speed.
        batches = batch_sizes(stdout1)
        self.assertTrue(batches, stdout1)
        self.assertLessEqual(len(dups), len(rows1) - sum(batches[:-1]),
                             "more than the last uncommitted batch repeated: batches %s"
                             % batches[-5:])

        # run 3 after a clean stop: only records put since come out
        fresh = ctl.put_records(self.stream, [("k%d" % i, json.dumps({"late": i}).encode())
                                              for i in range(40)])
        fresh = {(r["ShardId"], r["SequenceNumber"]) for r in fresh["Records"]}
        p3, out3 = self.start(env, tmp, "run3", "checkpoint", app, extra)
        wait_for(lambda: fresh <= set(read_rows(out3)), 60, "run 3 to read the new records")
        err3 = stop_eddy(p3)
        self.assertEqual(p3.returncode, 0, err3)
        # per shard the reader goes in order, so a repeat would precede these
        self.assertEqual(sorted(read_rows(out3)), sorted(fresh), "a clean restart repeated")
        return len(dups)

    def test_file_checkpoints(self):
        self.stream = "recf"
        with Service(self.KINESIS) as svc, tempfile.TemporaryDirectory() as tmp:
            ckdir = os.path.join(tmp, "ck")
            path = os.path.join(ckdir, "recapp.%s.checkpoint.json" % self.stream)

            def checkpoint_of():
                try:
                    with open(path) as f:
                        return json.load(f)["shards"]
                except FileNotFoundError:  # none yet
                    return {}
            self.check_kill_and_restart(svc, svc.env(), tmp, "recapp", checkpoint_of,
                                        ["--set", "checkpoint_dir=" + ckdir])

    def test_dynamodb_lease_checkpoints(self):
        self.stream = "recd"
        with Service(self.KINESIS) as svc, Service("dynalite") as ddb, \
                tempfile.TemporaryDirectory() as tmp:
            env = svc.env(AWS_ENDPOINT_URL_DYNAMODB=ddb.url)
            # run 2 takes the dead worker's leases once they expire (10 s of silence)
            self.check_kill_and_restart(svc, env, tmp, "recapp",
                                        lambda: lease_checkpoints(ddb.port, "recapp"))

    def test_dynamodb_checkpoints_of_a_bounded_read(self):
        # `until now` keeps plain checkpoints (no leases) in a DynamoDB table.
        # 25,000 records, read through a proxy that holds every GetRecords
        # answer after the first (10,000 records) until the test is done with
        # run 1, so the kill lands mid-read however fast or slow the machine.
        if self.KINESIS == "kinesis-mock":
            self.skipTest("kinesis-mock stores plain PutRecords at a few hundred records a "
                          "second: the 25,000 Kinesis records full answers need take minutes")
        self.stream = "recb"
        with Service(self.KINESIS) as svc, Service("dynalite") as ddb, \
                tempfile.TemporaryDirectory() as tmp:
            ctl = KinesisClient(svc.port)
            self.addCleanup(ctl.close)
            ctl.create_stream(self.stream, 1)
            put = set()
            for base in range(0, 25000, 500):
                out = ctl.put_records(self.stream, [("k%d" % (base + j), b"{}")
                                                    for j in range(500)])
                put |= {(r["ShardId"], r["SequenceNumber"]) for r in out["Records"]}
            env = svc.env(AWS_ENDPOINT_URL_DYNAMODB=ddb.url)
            with FaultProxy(svc.port, {("GetRecords", n): "hold" for n in range(2, 40)}) \
                    as proxy:
                p1, out1 = self.start(dict(env, AWS_ENDPOINT_URL_KINESIS=proxy.url), tmp,
                                      "b1", "trim_horizon until now", "recbapp")
                wait_for(lambda: len(read_rows(out1)) >= 10000, 60, "run 1 to read")
                p1.send_signal(signal.SIGKILL)
                stdout1 = p1.communicate(timeout=30)[0]
            rows1 = read_rows(out1)
            self.assertEqual(len(rows1), 10000, "run 1 read past the first answer")
            p2, out2 = self.start(env, tmp, "b2", "checkpoint until now", "recbapp")
            err2 = p2.communicate(timeout=120)[1]
            self.assertEqual(p2.returncode, 0, err2)
            rows2 = read_rows(out2)
            self.assertEqual(set(rows1) | set(rows2), put, "records lost")
            # at most the last batch repeats (a poll hands over up to 8,192 rows)
            dups = set(rows1) & set(rows2)
            batches = batch_sizes(stdout1)
            self.assertTrue(batches, stdout1)
            self.assertLessEqual(len(dups), len(rows1) - sum(batches[:-1]), batches)
            self.assertLessEqual(len(dups), 8192)
            p3, out3 = self.start(env, tmp, "b3", "checkpoint until now", "recbapp")
            err3 = p3.communicate(timeout=120)[1]
            self.assertEqual(p3.returncode, 0, err3)
            self.assertEqual(read_rows(out3), [], "a clean restart repeated records")

    def test_window_state_survives_kill(self):
        # Event times 25 ms apart from a fixed base: 4,000 records span 100 s
        # of event time, so ten 10 s windows per device, with a watermark of
        # 20 s keeping about two of them open at any moment. The producer puts
        # the first half, then waits: run 1 is killed mid-stream (once it has
        # checkpointed both shards), the producer puts the rest, and run 2
        # resumes `from checkpoint until now` and closes every window at the end.
        #
        # The assertion is exact: for each (window, device) the LAST row
        # written by the two runs equals the count of records put. A window
        # run 1 emitted after its last checkpoint is emitted again by run 2
        # (output is at least once), but with the state and the positions
        # committed together the replayed batch lands in the restored state
        # exactly once, so the repeat carries the same, complete count.
        self.stream = "recw"
        total, base_ms = 4000, 1700000000000
        with Service(self.KINESIS) as svc, tempfile.TemporaryDirectory() as tmp:
            ctl = KinesisClient(svc.port)
            self.addCleanup(ctl.close)
            ctl.create_stream(self.stream, 2)
            ckdir = os.path.join(tmp, "ck")
            ckpath = os.path.join(ckdir, "recwapp.%s.checkpoint.json" % self.stream)
            extra = ["--set", "checkpoint_dir=" + ckdir]
            put, errors, stop, resume = [], [], threading.Event(), threading.Event()

            def produce():
                try:
                    pc = KinesisClient(svc.port)
                    for start in range(0, total, 20):
                        if stop.is_set():
                            return
                        if start == total // 2 and not resume.wait(120):
                            raise RuntimeError("never told to put the second half")
                        recs = [("d%d" % (i % 5), json.dumps(
                            {"device_id": "d%d" % (i % 5), "ts": base_ms + 25 * i}).encode())
                            for i in range(start, start + 20)]
                        out = pc.put_records(self.stream, recs)
                        if out.get("FailedRecordCount"):
                            raise RuntimeError("put failed: %r" % out)
                        put.extend(range(start, start + 20))
                        time.sleep(0.05)
                    pc.close()
                except Exception as e:  # reported by the test thread
                    errors.append(e)
            prod = threading.Thread(target=produce)
            prod.start()
            self.addCleanup(prod.join)
            self.addCleanup(resume.set)
            self.addCleanup(stop.set)

            def run(name, from_):
                out = os.path.join(tmp, name + ".jsonl")
                prog = os.path.join(tmp, name + ".eddy")
                with open(prog, "w") as f:
                    f.write('kinesis "%s" from %s as "recwapp" | parse json\n'
                            '| window 10s on ts watermark 20s | agg count() as n by device_id\n'
                            '| into file "%s"\n' % (self.stream, from_, out))
                proc = subprocess.Popen(
                    [EDDY_BIN, "run", prog, "--set", "batch=%dms" % BATCH_MS] + extra,
                    env=svc.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
                return proc, out

            def checkpointed():
                try:
                    with open(ckpath) as f:
                        return len(json.load(f)["shards"]) == 2
                except (FileNotFoundError, ValueError):
                    return False

            # run 1: killed mid-stream (the producer waits at half), with windows open
            p1, out1 = run("w1", "trim_horizon")
            wait_for(lambda: checkpointed() and len(put) == total // 2, 60,
                     "run 1 to checkpoint")
            p1.send_signal(signal.SIGKILL)
            p1.communicate(timeout=30)
            resume.set()
            prod.join(timeout=120)
            self.assertFalse(prod.is_alive(), "the producer did not finish")
            self.assertEqual(errors, [])
            self.assertEqual(len(put), total)

            # run 2: from the checkpoint to the tip, then every window closes
            p2, out2 = run("w2", "checkpoint until now")
            err2 = p2.communicate(timeout=120)[1]
            self.assertEqual(p2.returncode, 0, err2)

            expected = collections.Counter()
            for i in range(total):
                expected[((base_ms + 25 * i) // 10000 * 10000, "d%d" % (i % 5))] += 1
            self.assertEqual(last_rows([out1, out2]), dict(expected),
                             "window counts lost or doubled")

    def test_window_state_refused_by_dynamodb(self):
        # DynamoDB checkpoints have no room for operator state: a windowed
        # query with `as` is refused at start instead of losing it on a crash.
        self.stream = "recr"
        with Service(self.KINESIS) as svc, Service("dynalite") as ddb, \
                tempfile.TemporaryDirectory() as tmp:
            ctl = KinesisClient(svc.port)
            self.addCleanup(ctl.close)
            ctl.create_stream(self.stream, 1)
            prog = os.path.join(tmp, "r.eddy")
            with open(prog, "w") as f:
                f.write('kinesis "%s" from trim_horizon until now as "recrapp" | parse json\n'
                        '| window 10s | agg count() as n\n' % self.stream)
            res = subprocess.run([EDDY_BIN, "run", prog],
                                 env=svc.env(AWS_ENDPOINT_URL_DYNAMODB=ddb.url),
                                 capture_output=True, text=True, timeout=60)
            self.assertNotEqual(res.returncode, 0, res.stdout)
            self.assertIn("only a checkpoint file holds", res.stderr)


def window_ms(v):
    """window_start as written by `into file`: ms, or an ISO-8601 UTC string."""
    if isinstance(v, (int, float)):
        return int(v)
    import datetime
    t = datetime.datetime.strptime(v.rstrip("Z")[:23], "%Y-%m-%dT%H:%M:%S.%f")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def last_rows(paths):
    """{(window start ms, device): n} of the last row of each window and device in the
    `into file` outputs at paths (a missing file has none)."""
    last = {}
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                if line.strip():
                    w = json.loads(line)
                    last[(window_ms(w["window_start"]), w["device_id"])] = w["n"]
    return last


if __name__ == "__main__":
    unittest.main()
