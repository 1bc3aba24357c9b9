#!/usr/bin/python3
"""End-to-end latency of the Kinesis consumer: PutRecords -> result leaving
the runtime, at 2,000 records/s through kinesalite with a 200 ms batch,
beside kinesalite's own floor measured in the same run.

    /usr/bin/python3 bench/kinesis_latency.py --eddy-bin build-release/eddy
    # options: --seconds 15 --rate 2000 --shards 2 --batch-ms 200 --json out.json

Everything is timed by this process on one clock (time.time()):

  put      each record carries put_ms, taken just before its PutRecords is
           sent (batches of rate/20 records every 50 ms, one connection).
  eddy     `eddy run` writes rows `into file` and prints "N rows written"
           on stdout after each result; a thread blocked on that pipe stamps
           the line and reads the N rows just written: latency = stamp -
           put_ms. Phase 1 is `select` (every record, as its batch leaves);
           phase 2 a tumbling `window 200ms | agg count(), max(put_ms)`,
           whose latency is stamp - the newest record of the window.
  floor    kinesalite's round trip: every 100 ms a 1-record PutRecords to a
           1-shard stream, then GetRecords at once on the shard's current
           iterator until it is returned (put start -> record back).
  paced    a plain GetRecords loop on the same stream at the 5 calls/s per
           shard limit Eddy keeps to (as any AWS consumer must): what polling
           alone costs over the floor.

Prints p50/p99 of each, and Eddy's p99 over the floor (goal: < 50 ms) and
over the paced loop. All load shares kinesalite's single Node thread.
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "py"))
from services import KinesisClient, Service  # noqa: E402


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def now_ms():
    return time.time() * 1000.0


class Producer(threading.Thread):
    def __init__(self, port, stream, rate, stop):
        super().__init__(daemon=True)
        self.client, self.stream, self.stop = KinesisClient(port), stream, stop
        self.per_tick = max(1, rate // 20)
        self.n = 0
        self.late_ticks = 0

    def run(self):
        tick = time.monotonic()
        while not self.stop.is_set():
            put_ms = now_ms()
            recs = [("d%d" % ((self.n + j) % 50),
                     json.dumps({"i": self.n + j, "put_ms": put_ms,
                                 "device_id": "d%d" % ((self.n + j) % 50)}).encode())
                    for j in range(self.per_tick)]
            self.client.put_records(self.stream, recs)
            self.n += self.per_tick
            tick += 0.05
            wait = tick - time.monotonic()
            if wait > 0:
                self.stop.wait(wait)
            else:
                self.late_ticks += 1
        self.client.close()


class Floor(threading.Thread):
    """Put one record, GetRecords right after: kinesalite's round trip."""

    def __init__(self, port, stream, stop):
        super().__init__(daemon=True)
        self.client, self.stream, self.stop = KinesisClient(port), stream, stop
        self.rtt, self.get_only = [], []

    def run(self):
        it = self.client.iterator(self.stream, "shardId-000000000000", "LATEST")
        k = 0
        while not self.stop.is_set():
            t0 = now_ms()
            self.client.put_records(self.stream, [("f", b"%d" % k)])
            for _ in range(50):
                t1 = now_ms()
                out = self.client.call("GetRecords", {"ShardIterator": it, "Limit": 10000})
                it = out["NextShardIterator"]
                if out["Records"]:
                    break
            t2 = now_ms()
            self.rtt.append(t2 - t0)
            self.get_only.append(t2 - t1)
            k += 1
            self.stop.wait(0.1)
        self.client.close()


class Paced(threading.Thread):
    """A plain consumer: GetRecords per shard at most every 200 ms."""

    def __init__(self, port, stream, shards, stop):
        super().__init__(daemon=True)
        self.client, self.stream, self.stop = KinesisClient(port), stream, stop
        self.shards = shards
        self.lat = []
        self.measuring = False

    def run(self):
        its = {s: self.client.iterator(self.stream, s, "LATEST") for s in self.shards}
        last = {s: 0.0 for s in self.shards}
        while not self.stop.is_set():
            s = min(last, key=last.get)
            wait = last[s] + 0.2 - time.monotonic()
            if wait > 0:
                self.stop.wait(wait)
            last[s] = time.monotonic()
            out = self.client.call("GetRecords", {"ShardIterator": its[s], "Limit": 10000})
            t = now_ms()
            its[s] = out["NextShardIterator"]
            if self.measuring:
                for r in out["Records"]:
                    self.lat.append(t - json.loads(base64.b64decode(r["Data"]))["put_ms"])
        self.client.close()


def run_eddy_phase(args, svc, stream, query, seconds, tmp, name):
    """Runs eddy on query for `seconds` (after a 2 s warm-up); returns latencies (ms)."""
    out = os.path.join(tmp, name + ".jsonl")
    prog = os.path.join(tmp, name + ".eddy")
    with open(prog, "w") as f:
        f.write('kinesis "%s" from latest | parse json\n%s\n| into file "%s"\n'
                % (stream, query, out))
    open(out, "w").close()
    p = subprocess.Popen([args.eddy_bin, "run", prog, "--set", "batch=%dms" % args.batch_ms],
                         env=svc.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    lat, state = [], {"measure": False}
    rows = open(out)

    def reader():
        for line in p.stdout:
            t = now_ms()
            if " rows written to " not in line:
                continue
            n = int(line.split()[0])
            for _ in range(n):
                r = json.loads(rows.readline())
                if state["measure"]:
                    lat.append(t - (r["put_ms"] if "put_ms" in r else r["newest"]))
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    time.sleep(2.0)  # warm-up: iterators, connections
    state["measure"] = True
    time.sleep(seconds)
    state["measure"] = False
    p.terminate()
    _, err = p.communicate(timeout=15)
    th.join(timeout=5)
    rows.close()
    if p.returncode != 0:
        raise RuntimeError("eddy failed: " + err)
    return lat


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eddy-bin", default=os.path.join(HERE, "..", "build-release", "eddy"))
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--batch-ms", type=int, default=200)
    ap.add_argument("--json")
    args = ap.parse_args()

    with Service("kinesalite") as svc, tempfile.TemporaryDirectory() as tmp:
        ctl = KinesisClient(svc.port)
        ctl.create_stream("lat", args.shards)
        ctl.create_stream("floor", 1)
        shards = [s["ShardId"] for s in ctl.list_shards("lat")]
        stop = threading.Event()
        prod = Producer(svc.port, "lat", args.rate, stop)
        floor = Floor(svc.port, "floor", stop)
        paced = Paced(svc.port, "lat", shards, stop)
        for t in (prod, floor, paced):
            t.start()
        try:
            paced.measuring = True
            sel = run_eddy_phase(args, svc, "lat", "| select i, put_ms", args.seconds, tmp, "sel")
            win = run_eddy_phase(args, svc, "lat", "| window 200ms | agg count() as n, "
                                 "max(put_ms) as newest", args.seconds, tmp, "win")
            paced.measuring = False
        finally:
            stop.set()
            for t in (prod, floor, paced):
                t.join(timeout=10)
            ctl.close()
        load = open("/proc/loadavg").read().split()[:3]

    res = {
        "rate": args.rate, "shards": args.shards, "batch_ms": args.batch_ms,
        "records_put": prod.n, "producer_late_ticks": prod.late_ticks, "load": load,
        "floor_rtt": floor.rtt, "floor_get": floor.get_only, "paced": paced.lat,
        "eddy_select": sel, "eddy_window": win,
    }
    print("kinesis_latency: %d records/s over %d shards, batch %d ms, load %s"
          % (args.rate, args.shards, args.batch_ms, " ".join(load)))
    print("%-34s %8s %8s %8s" % ("path", "n", "p50 ms", "p99 ms"))
    rows = [("floor: put + GetRecords at once", floor.rtt),
            ("floor: that GetRecords alone", floor.get_only),
            ("plain loop paced 5 calls/s/shard", paced.lat),
            ("eddy select (per record)", sel),
            ("eddy window 200ms (newest record)", win)]
    for name, xs in rows:
        print("%-34s %8d %8.1f %8.1f" % (name, len(xs), pct(xs, 50), pct(xs, 99)))
    f99 = pct(floor.rtt, 99)
    print("eddy select adds over the floor:   p50 %+.1f ms, p99 %+.1f ms (goal: p99 < 50 ms)"
          % (pct(sel, 50) - pct(floor.rtt, 50), pct(sel, 99) - f99))
    print("eddy select adds over paced loop:  p50 %+.1f ms, p99 %+.1f ms"
          % (pct(sel, 50) - pct(paced.lat, 50), pct(sel, 99) - pct(paced.lat, 99)))
    if prod.late_ticks:
        print("note: the producer missed %d of its 50 ms ticks" % prod.late_ticks)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f)


if __name__ == "__main__":
    main()
