"""Scale-out end to end: two `eddy run` workers of one application (`as
"APP"`, leases in dynalite) read a kinesalite stream while `eddy produce`
writes to it. The second worker joins (`from checkpoint`) once the first is
reading and has checkpointed every shard, and steals leases from it; together
they must see every record.
Delivery is at least once: a lease that moves is re-read from the last
checkpoint its holder wrote, so a record may come out of both workers, but
then only because the new holder resumed right after a position the old one
committed at the end of one of its batches. How many records that repeats
depends on how long the old holder reads before it notices the steal (its
next lease round, 2.5 s): timing, measured by bench/timing_claims.py."""

import collections
import json
import os
import signal
import subprocess
import tempfile
import unittest

from services import EDDY_BIN, KinesisClient, Service, lease_checkpoints, on_each_kinesis_server
from test_kinesis_reshard import wait_for


def rows_of(path):
    """Complete lines of an `into file` output (eddy may still be appending)."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f.read().split("\n")[:-1]]
    except FileNotFoundError:
        return []


def batch_sizes(stdout):
    return [int(line.split()[0]) for line in stdout.splitlines() if " rows written to " in line]


def stop(proc):
    """SIGINT, then (stdout, stderr) once it exited."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


@on_each_kinesis_server
class WorkersTest(unittest.TestCase):
    KINESIS = "kinesalite"

    def test_two_workers_split_a_stream(self):
        with Service(self.KINESIS) as k, Service("dynalite") as d, \
                tempfile.TemporaryDirectory() as tmp:
            env = k.env(AWS_ENDPOINT_URL_DYNAMODB=d.url)
            # the producer runs until both workers have read records, then is interrupted
            prod = subprocess.Popen([EDDY_BIN, "produce", "sensors", "--stream", "w",
                                     "--create", "4", "--rate", "300", "--devices", "40"],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
            self.addCleanup(lambda: prod.poll() is None and (prod.kill(), prod.wait()))
            self.assertIn("created stream", prod.stdout.readline())

            workers, outs = [], []
            for w in (1, 2):
                out = os.path.join(tmp, "out%d.jsonl" % w)
                prog = os.path.join(tmp, "w%d.eddy" % w)
                with open(prog, "w") as f:  # the second joins the running application
                    f.write('kinesis "w" from %s as "wapp"\n| parse json\n'
                            '| select shard, sequence, device_id, ts\n| into file "%s"\n'
                            % ("trim_horizon" if w == 1 else "checkpoint", out))
                outs.append(out)
                p = subprocess.Popen([EDDY_BIN, "run", prog], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
                self.addCleanup(lambda p=p: p.poll() is None and (p.kill(), p.wait()))
                workers.append(p)
                # the second joins once the first holds every lease and has checkpointed
                # each; the producer stops once the second has read too (it stole a lease)
                wait_for(lambda: rows_of(out) and (w == 2 or len(
                    lease_checkpoints(d.port, "wapp")) == 4) or p.poll() is not None, 60,
                    "worker %d to read" % w)
                self.assertIsNone(p.poll(), "worker %d ended" % w)
            plog = stop(prod)[0]
            self.assertEqual(prod.returncode, 0, plog)
            self.assertIn("(interrupted)", plog)
            ctl = KinesisClient(k.port)
            self.addCleanup(ctl.close)
            stream = {sid: [r["SequenceNumber"] for r in recs]
                      for sid, recs in ctl.read_stream("w").items()}
            put = {(sid, q) for sid, seqs in stream.items() for q in seqs}
            wait_for(lambda: put <= {(r["shard"], r["sequence"]) for o in outs
                                     for r in rows_of(o)}
                     or any(p.poll() is not None for p in workers), 60, "every record")
            for p in workers:
                self.assertIsNone(p.poll(), "a worker ended by itself")
            ends = [stop(p) for p in workers]
            for p, (log, err) in zip(workers, ends):
                self.assertEqual(p.returncode, 0, err)
            logs = [log for log, _ in ends]
            per_worker = [rows_of(o) for o in outs]

        self.assertTrue(all(per_worker), "a worker read nothing")
        keys = [(r["device_id"], r["ts"]) for rows in per_worker for r in rows]
        self.assertEqual(len(set(keys)), len(put), "records lost")
        seen = {(r["shard"], r["sequence"]) for rows in per_worker for r in rows}
        self.assertEqual(seen, put, "records lost or invented")

        # Per shard, a worker reads runs of consecutive records (a new run when it takes
        # the lease), and each run starts at the shard's first record or right after a
        # record some worker committed: the last one of that shard in one of its batches.
        pos = {sid: {q: i for i, q in enumerate(seqs)} for sid, seqs in stream.items()}
        committed = collections.defaultdict(set)  # shard -> positions ending a batch
        runs = collections.defaultdict(list)      # shard -> [(worker, first, last)]
        for w, (rows, log) in enumerate(zip(per_worker, logs), 1):
            sizes = batch_sizes(log)
            self.assertEqual(sum(sizes), len(rows), "worker %d: rows vs batches" % w)
            start = 0
            for n in sizes:
                last = {}
                for r in rows[start:start + n]:
                    last[r["shard"]] = pos[r["shard"]][r["sequence"]]
                for sid, p in last.items():
                    committed[sid].add(p)
                start += n
            by_shard = collections.defaultdict(list)
            for r in rows:
                by_shard[r["shard"]].append(pos[r["shard"]][r["sequence"]])
            for sid, ps in by_shard.items():
                first = prev = ps[0]
                for p in ps[1:]:
                    self.assertNotEqual(p, prev, "worker %d read %s:%d twice in a row"
                                        % (w, sid, p))
                    if p != prev + 1:
                        runs[sid].append((w, first, prev))
                        first = p
                    prev = p
                runs[sid].append((w, first, prev))
        for sid, rs in runs.items():
            for w, first, last in rs:
                # worker 1 started every shard; worker 2 joined after worker 1 checkpointed
                # them all, so it resumes after a checkpoint, never at the start
                self.assertTrue(first == 0 and w == 1 or first - 1 in committed[sid],
                                "worker %d started %s at record %d, not after a committed "
                                "batch (runs %s)" % (w, sid, first, rs))
        # worker 2 read, so it took at least one lease from worker 1, which read every
        # shard first: that shard has two runs
        self.assertGreater(sum(len(rs) for rs in runs.values()), len(stream),
                           "no lease moved: %s" % dict(runs))


if __name__ == "__main__":
    unittest.main()
