#!/usr/bin/python3
"""The Kinesis consumer's ceiling: records/s `eddy run` reads from a
pre-filled 4-shard kinesalite stream, against a plain loop of GetRecords
calls through the same C client (bench/kinesis_ceiling.c), in the same run.

    /usr/bin/python3 bench/kinesis_ceiling.py --build build-release
    # options: --records 100000 --shards 4 --runs 5 --json out.json

Both are whole processes timed by this script from exec to exit (so both
pay process start, ListShards and one empty GetRecords per shard at the
tip), alternated run by run. Eddy runs `kinesis "S" from trim_horizon until
now | agg count()` (reader thread, queue, batches, KPL check, rows) with the
default 1 s batch and with `--set batch=100ms` (a bounded query notices its
end at a batch tick, so a 1 s batch rounds the run up to whole seconds), and
`| parse json | agg count() by device_id` with 100 ms batches. Prints
medians and the ratios eddy / plain loop.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "py"))
from services import KinesisClient, Service  # noqa: E402


def prefill(port, stream, n):
    c = KinesisClient(port)
    for base in range(0, n, 500):
        recs = [("d%d" % ((base + j) % 100),
                 json.dumps({"device_id": "d%d" % ((base + j) % 100), "i": base + j,
                             "temperature": 20 + (base + j) % 17 * 0.5}).encode())
                for j in range(min(500, n - base))]
        out = c.put_records(stream, recs)
        assert not out.get("FailedRecordCount"), out
    c.close()


def timed(cmd, env):
    t0 = time.monotonic()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    secs = time.monotonic() - t0
    if res.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], res.stderr))
    return secs, res.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build-release"))
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    eddy = os.path.join(args.build, "eddy")
    loop = os.path.join(args.build, "kinesis_ceiling")

    with Service("kinesalite") as svc, tempfile.TemporaryDirectory() as tmp:
        c = KinesisClient(svc.port)
        c.create_stream("ceil", args.shards)
        c.close()
        t0 = time.monotonic()
        prefill(svc.port, "ceil", args.records)
        fill_s = time.monotonic() - t0
        progs = {}
        for name, tail in (("count", "| agg count() as n"),
                           ("parse", "| parse json | agg count() as n by device_id")):
            progs[name] = os.path.join(tmp, name + ".eddy")
            with open(progs[name], "w") as f:
                f.write('kinesis "ceil" from trim_horizon until now %s\n' % tail)
        env = svc.env()
        rates = {"loop": [], "count": [], "count100": [], "parse": []}
        variants = (("count", "count", []), ("count100", "count", ["--set", "batch=100ms"]),
                    ("parse", "parse", ["--set", "batch=100ms"]))
        for _ in range(args.runs):
            secs, out = timed([loop, "ceil"], env)
            n = int(out.split()[1])
            assert n == args.records, out
            rates["loop"].append(n / secs)
            for name, prog, extra in variants:
                secs, out = timed([eddy, "run", progs[prog]] + extra, env)
                lines = out.strip().splitlines()  # the last (final) table
                sep = max(i for i, l in enumerate(lines) if l.startswith("---"))
                got = sum(int(l.split()[-1]) for l in lines[sep + 1:] if l.strip())
                assert got == args.records, out
                rates[name].append(args.records / secs)
        load = open("/proc/loadavg").read().split()[:3]

    med = {k: statistics.median(v) for k, v in rates.items()}
    print("kinesis_ceiling: %d records in %d shards (filled at %.0f records/s), %d runs, load %s"
          % (args.records, args.shards, args.records / fill_s, args.runs, " ".join(load)))
    print("%-40s %12s   runs" % ("reader", "median rec/s"))
    for name, label in (("loop", "plain GetRecords loop (C, rt_kinesis)"),
                        ("count", "eddy: agg count(), batch 1 s"),
                        ("count100", "eddy: agg count(), batch 100 ms"),
                        ("parse", "eddy: parse json | agg by key, 100 ms")):
        print("%-40s %12.0f   %s" % (label, med[name],
                                      " ".join("%.0f" % r for r in rates[name])))
    print("ratio eddy/loop: count %.2f (batch 1 s), %.2f (100 ms); parse json %.2f"
          % (med["count"] / med["loop"], med["count100"] / med["loop"],
             med["parse"] / med["loop"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rates": rates, "median": med, "load": load}, f)


if __name__ == "__main__":
    main()
