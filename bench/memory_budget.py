#!/usr/bin/env python3
"""Memory budgets at work (docs/language.md, "Memory"): queries whose state has no bound run
with `eddy run --set memory=B` over a file of distinct ids; for each it prints where the query
stopped (the state its error reports), the process's peak RSS, and the same query with no
budget (/usr/bin/time reports the peak). Then, with callgrind, the share of instructions that measuring the state costs.

    python3 bench/memory_budget.py [--records N] [--budgets 16MB,64MB,256MB]

Runs $EDDY, else build-release/eddy, else build/eddy. Figures go in bench/README.md.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EDDY = os.environ.get("EDDY") or next(
    (p for p in (os.path.join(ROOT, d, "eddy") for d in ("build-release", "build"))
     if os.path.exists(p)), os.path.join(ROOT, "build", "eddy"))

QUERIES = {
    "agg by id (running)": "agg count() as n by id",
    "window 1h, count_distinct by id": "window 1h | agg count_distinct(v) as d, max(id) as m by id",
    "dedup id": "dedup id | agg count() as n",
    "session 1h by id": "session 1h | agg count() as n by id",
}


def run(path, stage, budget):
    prog = os.path.join(os.path.dirname(path), "q.eddy")
    with open(prog, "w") as f:
        f.write('file "%s" | parse json | %s | limit 1\n' % (path, stage))
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "maxrss %M", EDDY, "run", prog, "--set",
                        "memory=" + budget], capture_output=True, text=True)
    secs = time.monotonic() - t0
    rss = re.search(r"maxrss (\d+)", p.stderr)
    m = re.search(r"its state holds ([\d.]+ [KMG]?B)", p.stderr)
    return {"rc": p.returncode, "held": m.group(1) if m else "-",
            "rss_mb": int(rss.group(1)) / 1024 if rss else 0, "secs": secs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--budgets", default="16MB,64MB,256MB")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="eddy_budget_")
    try:
        path = os.path.join(tmp, "ids.jsonl")
        with open(path, "w") as f:
            for i in range(args.records):
                f.write('{"id":"user-%07d","v":%d}\n' % (i, i % 97))
        print("%d records, each with a distinct id" % args.records)
        print("%-34s %-8s %-9s %-9s %-9s %s" % ("query", "budget", "stopped", "held",
                                                "peak RSS", "seconds"))
        for name, stage in QUERIES.items():
            for budget in args.budgets.split(",") + ["off"]:
                r = run(path, stage, budget)
                print("%-34s %-8s %-9s %-9s %-9s %.2f" % (
                    name, budget, "yes" if r["rc"] else "no", r["held"],
                    "%.0f MB" % r["rss_mb"], r["secs"]))
        if shutil.which("valgrind"):
            prog = os.path.join(tmp, "q.eddy")
            small = os.path.join(tmp, "small.jsonl")
            with open(path) as src, open(small, "w") as dst:
                for i, line in enumerate(src):
                    if i == 200000:
                        break
                    dst.write(line)
            for name in ("agg by id (running)", "window 1h, count_distinct by id"):
                with open(prog, "w") as f:
                    f.write('file "%s" | parse json | %s | limit 1\n' % (small, QUERIES[name]))
                out = os.path.join(tmp, "cg.out")
                subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                                EDDY, "run", prog, "--set", "memory=off"],
                               capture_output=True)
                ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", out],
                                     capture_output=True, text=True).stdout
                total = re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", ann)
                # check_memory is static (inlined): its work is rt_pipeline_memory's
                check = re.search(r"([\d,]+) \(\s*([\d.]+)%\)\s+\S*rt_pipeline_memory", ann)
                print("%s, 200000 records: %s instructions in all, measuring the state %s%%"
                      % (name, total.group(1) if total else "?",
                         check.group(2) if check else "< 0.01"))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
