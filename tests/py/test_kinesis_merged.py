"""Scale-out with one merged, exact result: three `eddy run` workers of one
application (`as "APP"`, leases and partials in dynalite) run the same
windowed event-time query over a 6-shard kinesalite stream while the test
writes 30,000 records; one worker is killed with -9 in the middle. Every
window every worker wrote (the killed one's included) must equal the answer
computed here in Python from the records, and what a single process reading
every shard writes; so must an observer (`--set role=observer`), which
holds no lease and reads no shard, only the windows the workers publish.

Waits are driven by events (rows in the outputs, owners in the lease
table), never by sleeping a guessed time; the lease failover time is set
short (`--set lease=2s`) so the failover is quick."""

import collections
import datetime
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from services import EDDY_BIN, KinesisClient, Service, kpl_encode, lease_owners, on_each_kinesis_server
from test_kinesis_reshard import wait_for

T0 = 1767225600000          # 2026-01-01T00:00:00Z, a window boundary
STEP_MS = 20                # event time between consecutive records
RECORDS = 30000             # 600 s of event time: 60 windows of 10 s
DEVICES = 24
WINDOW_MS = 10000
APP = "mapp"

QUERY = ('kinesis "m" from trim_horizon%s\n| parse json\n| window 10s on ts\n'
         '| agg count() as n, sum(v) as s, max(v) as top by device_id\n| into file "%s"\n')


def record(i):
    dev = "d%02d" % (i % DEVICES)
    return dev, {"device_id": dev, "ts": T0 + i * STEP_MS, "v": (i * 7919) % 1000}


def expected():
    """{(window_start_ms, device): (n, s, top)} computed from the records."""
    out = {}
    for i in range(RECORDS):
        dev, r = record(i)
        key = (r["ts"] - r["ts"] % WINDOW_MS, dev)
        n, s, top = out.get(key, (0, 0, -1))
        out[key] = (n + 1, s + r["v"], max(top, r["v"]))
    return out


# windows that close: the last one holds the newest event time, which no
# watermark passes
LAST_CLOSED_END = T0 + (RECORDS * STEP_MS // WINDOW_MS - 1) * WINDOW_MS


def ms_of(iso):
    return int(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def windows_of(path):
    """{(window_start_ms, device): (n, s, top)}, the last row of each (a window emitted
    again after a failover replaces itself), and the set of window ends seen."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")[:-1]
    except FileNotFoundError:
        return {}, set()
    rows, ends = {}, set()
    for line in lines:
        r = json.loads(line)
        rows[(ms_of(r["window_start"]), r["device_id"])] = (r["n"], r["s"], r["top"])
        ends.add(ms_of(r["window_end"]))
    return rows, ends


def write(client, lo, hi, aggregated=False):
    """Puts records lo..hi-1 in order, 500 per call, re-sending what failed. Aggregated
    (kinesis-mock, which stores plain batches at a few hundred records a second): each
    call carries one KPL aggregate per device, its records in order."""
    i = lo
    while i < hi:
        batch = [(dev, json.dumps(r).encode()) for dev, r in
                 (record(j) for j in range(i, min(i + 500, hi)))]
        if aggregated:
            by_dev = collections.OrderedDict()
            for dev, data in batch:
                by_dev.setdefault(dev, []).append((dev, data))
            aggs = [(dev, kpl_encode(recs)) for dev, recs in by_dev.items()]
            while aggs:  # a device's records share one shard: re-send its whole aggregate
                out = client.put_records("m", aggs)
                aggs = [a for a, e in zip(aggs, out["Records"]) if e.get("ErrorCode")]
            i += len(batch)
            continue
        out = client.put_records("m", batch)
        failed = [k for k, e in enumerate(out["Records"]) if e.get("ErrorCode")]
        # order per shard matters (event time): stop at the first failure, re-send from it
        i += failed[0] if failed else len(batch)


@on_each_kinesis_server
class MergedWorkersTest(unittest.TestCase):
    KINESIS = "kinesalite"

    def start(self, prog, env, log, *extra):
        with open(log, "w") as f:
            p = subprocess.Popen([EDDY_BIN, "run", prog, "--set", "lease=2s",
                                  "--set", "batch=200ms", *extra],
                                 env=env, stdout=subprocess.DEVNULL, stderr=f)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        self.logs.append(log)
        return p

    def setUp(self):
        self.logs = []

    def said(self):
        """The tail of what every process wrote to stderr."""
        out = []
        for log in self.logs:
            with open(log) as f:
                out.append("--- %s\n%s" % (os.path.basename(log), f.read()[-2000:]))
        return "\n".join(out)

    def test_three_workers_one_killed_merge_exactly(self):
        want = expected()
        closed = {k: v for k, v in want.items() if k[0] + WINDOW_MS <= LAST_CLOSED_END}
        with Service(self.KINESIS) as k, Service("dynalite") as d, \
                tempfile.TemporaryDirectory() as tmp:
            env = k.env(AWS_ENDPOINT_URL_DYNAMODB=d.url)
            client = KinesisClient(k.port)
            self.addCleanup(client.close)
            client.create_stream("m", 6)
            client.wait_active("m")

            outs, workers = [], []
            for w in range(3):
                out = os.path.join(tmp, "out%d.jsonl" % w)
                prog = os.path.join(tmp, "w%d.eddy" % w)
                with open(prog, "w") as f:
                    f.write(QUERY % (' as "%s"' % APP, out))
                outs.append(out)
                workers.append(self.start(prog, env, os.path.join(tmp, "w%d.log" % w)))
            # and an observer of the application, started with them
            watched = os.path.join(tmp, "observer.jsonl")
            prog = os.path.join(tmp, "observer.eddy")
            with open(prog, "w") as f:
                f.write(QUERY % (' as "%s"' % APP, watched))
            observer = self.start(prog, env, os.path.join(tmp, "observer.log"),
                                  "--set", "role=observer")
            # the three split the six shards: two leases each; the observer takes none
            wait_for(lambda: sorted(collections.Counter(
                lease_owners(d.port, APP).values()).values()) == [2, 2, 2]
                or any(p.poll() is not None for p in workers + [observer]), 60,
                "three workers, 2 leases each")
            self.assertTrue(all(p.poll() is None for p in workers + [observer]),
                            "a worker ended:\n" + self.said())
            self.assertFalse([o for o in lease_owners(d.port, APP).values()
                              if o and ":%d:" % observer.pid in o], "the observer took a lease")

            # half of the records; once every worker wrote merged windows, kill one
            aggregated = self.KINESIS == "kinesis-mock"
            write(client, 0, RECORDS // 2, aggregated)
            wait_for(lambda: all(windows_of(o)[0] for o in outs), 60, "merged windows")
            owners = lease_owners(d.port, APP)
            victim = next(i for i, p in enumerate(workers)
                          if sum(1 for o in owners.values() if o and ":%d:" % p.pid in o))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            write(client, RECORDS // 2, RECORDS, aggregated)

            # the survivors take its leases, and both reach the last window that closes
            dead = ":%d:" % workers[victim].pid
            wait_for(lambda: not any(o and dead in o for o in lease_owners(d.port, APP).values()),
                     60, "the killed worker's leases to move")
            live = [o for i, o in enumerate(outs) if i != victim]
            wait_for(lambda: all(LAST_CLOSED_END in windows_of(o)[1] for o in live + [watched]),
                     120, "the survivors and the observer to close the last window")

            # one process reading every shard, for comparison
            single = os.path.join(tmp, "single.jsonl")
            prog = os.path.join(tmp, "single.eddy")
            with open(prog, "w") as f:
                f.write(QUERY % ("", single))
            one = self.start(prog, env, os.path.join(tmp, "single.log"))
            wait_for(lambda: LAST_CLOSED_END in windows_of(single)[1] or one.poll() is not None,
                     120, "the single process to close the last window")
            for p in [one, observer] + [p for i, p in enumerate(workers) if i != victim]:
                p.send_signal(signal.SIGINT)
                self.assertEqual(p.wait(timeout=60), 0)
            results = [windows_of(o)[0] for o in outs]
            seen = windows_of(watched)[0]
            said = self.said()
            one_rows = windows_of(single)[0]

        self.assertEqual({k: v for k, v in one_rows.items() if k in closed}, closed,
                         "the single process differs from the records")
        self.assertEqual({k: v for k, v in seen.items() if k in closed}, closed,
                         "the observer differs from the records\n" + said)
        for w, rows in enumerate(results):
            self.assertTrue(rows, "worker %d wrote nothing" % w)
            done = {k for k in rows if k[0] + WINDOW_MS <= LAST_CLOSED_END}
            # every window a worker wrote is whole and exact, the killed one's too
            self.assertEqual({k: rows[k] for k in done}, {k: want[k] for k in done},
                             "worker %d: a merged window differs" % w)
            if w != victim:
                missing = collections.Counter(k[0] for k in closed if k not in rows)
                self.assertFalse(missing, "worker %d (killed: %d): windows missing, "
                                 "{window_start - T0 in s: devices}: %s\n%s" % (
                                     w, victim, {(s - T0) // 1000: n for s, n in
                                                 sorted(missing.items())}, said))


if __name__ == "__main__":
    unittest.main()
