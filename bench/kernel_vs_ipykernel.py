#!/usr/bin/python3
"""Eddy's kernel against Debian's ipykernel, through the same jupyter_client code, in one run.

For each kernel:
  cold start   time from KernelManager.start_kernel() to the first kernel_info_reply, median of
               --starts fresh processes (client sockets reconnect every 1 ms, so the figure is
               the kernel's own start-up, not zmq's 100 ms reconnect timer)
  round trip   execute_request -> execute_reply and status idle, over --cells trivial cells
               after a warm-up: median and p99. The cheapest meaningful cell of each kernel:
               Eddy `%queries` (lists running queries: one stream message), ipykernel `1` (an
               execute_result). --eddy-cell / --ipykernel-cell change them.
               The same cells are also timed from a bare pyzmq client (RawConnection of
               tests/py/eddy_testing.py) to show what part of the round trip is the client.
  memory       resident set size (VmRSS from /proc/PID/status) after start and after the cells

Goals (from the issue): 20x faster cold start, 10x faster round trip, under 1/10 the memory.

Run with Debian's python3 and a Release build of eddy (sanitizers inflate every figure):

    cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release -j2 --target eddy
    /usr/bin/python3 bench/kernel_vs_ipykernel.py --eddy-bin build-release/eddy
"""

import argparse
import json
import os
import statistics
import sys
import time

import zmq
import zmq.asyncio

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "py"))

from eddy_testing import KernelEnv, RawConnection  # noqa: E402  (private JUPYTER_PATH, real `eddy install`)
from jupyter_client import KernelManager  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402

CELLS = {"eddy": "%queries", "python3": "1"}
GOALS = {"start": 20.0, "rtt": 10.0, "rss": 10.0}


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def private_kb(pid):
    """Private_Clean + Private_Dirty (kB) from /proc/PID/smaps_rollup: memory no other
    process shares, i.e. RSS without the shared-library pages."""
    total = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except OSError:
        return 0
    return total


def fast_context():
    ctx = zmq.asyncio.Context()
    ctx.setsockopt(zmq.RECONNECT_IVL, 1)
    ctx.setsockopt(zmq.LINGER, 0)
    return ctx


def manager(env):
    ksm = KernelSpecManager(kernel_dirs=[os.path.join(env.jupyter_path, "kernels")]
                            + KernelSpecManager().kernel_dirs)
    return KernelManager(kernel_name=env.kernel_name, kernel_spec_manager=ksm)


def wait_reply(kc, msg_id, timeout):
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise RuntimeError("no reply to %s" % msg_id)
        msg = kc.get_shell_msg(timeout=left)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def wait_idle(kc, msg_id, timeout):
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise RuntimeError("no idle for %s" % msg_id)
        msg = kc.get_iopub_msg(timeout=left)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            return msg


def cold_start(env, log):
    """One fresh kernel: seconds to its first kernel_info_reply, and its RSS then."""
    km = manager(env)
    ctx = fast_context()
    t0 = time.monotonic()
    km.start_kernel(env=env.kernel_env(), stdout=log, stderr=log)
    kc = km.client(context=ctx)
    kc.start_channels()
    msg_id = kc.kernel_info()
    end = t0 + 60
    while True:
        try:
            wait_reply(kc, msg_id, min(1.0, end - time.monotonic()))
            break
        except Exception:
            if time.monotonic() > end or not km.is_alive():
                raise RuntimeError("%s: no kernel_info_reply" % env.kernel_name)
            msg_id = kc.kernel_info()
    elapsed = time.monotonic() - t0
    return km, kc, ctx, elapsed


def stop(km, kc, ctx):
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    ctx.term()


def measure(kernel_name, starts, cells, warmup, log):
    env = KernelEnv(kernel_name)
    try:
        start_times, rss_start, private_start = [], [], []
        for _ in range(starts):
            km, kc, ctx, elapsed = cold_start(env, log)
            start_times.append(elapsed)
            kc.wait_for_ready(timeout=30)  # settle (its fixed 0.2 s IOPub flush is not timed)
            rss_start.append(rss_kb(km.provisioner.pid))
            private_start.append(private_kb(km.provisioner.pid))
            stop(km, kc, ctx)

        km, kc, ctx, _ = cold_start(env, log)
        kc.wait_for_ready(timeout=30)
        code = CELLS[kernel_name]
        rtts = []
        for i in range(warmup + cells):
            t0 = time.perf_counter()
            msg_id = kc.execute(code)
            reply = wait_reply(kc, msg_id, 30)
            wait_idle(kc, msg_id, 30)
            dt = time.perf_counter() - t0
            if reply["content"]["status"] != "ok":
                raise RuntimeError("%s: cell %r failed: %s" % (kernel_name, code, reply["content"]))
            if i >= warmup:
                rtts.append(dt)
        # the same cells from a bare pyzmq client (no asyncio, no jupyter_client Session),
        # to show how much of the round trip is the kernel and how much the client
        raw = RawConnection(km.get_connection_info(session=False))
        raw.wait_ready()
        raw_rtts = []
        content = dict(code=code, silent=False, store_history=True, user_expressions={},
                       allow_stdin=False, stop_on_error=True)
        for i in range(warmup + cells):
            t0 = time.perf_counter()
            msg_id = raw.send("shell", "execute_request", content)
            reply = raw.recv_for("shell", msg_id, 30)
            raw.iopub_for(msg_id, 30)
            dt = time.perf_counter() - t0
            if reply is None or reply["content"]["status"] != "ok":
                raise RuntimeError("%s: raw cell failed" % kernel_name)
            if i >= warmup:
                raw_rtts.append(dt)
        raw.close()
        rss_after = rss_kb(km.provisioner.pid)
        stop(km, kc, ctx)
    finally:
        env.cleanup()
    rtts.sort()
    raw_rtts.sort()
    return {
        "raw_rtt_median_ms": statistics.median(raw_rtts) * 1e3,
        "raw_rtt_p99_ms": raw_rtts[min(len(raw_rtts) - 1, int(round(0.99 * len(raw_rtts))) - 1)] * 1e3,
        "kernel": kernel_name,
        "cell": code,
        "start_median_ms": statistics.median(start_times) * 1e3,
        "start_min_ms": min(start_times) * 1e3,
        "start_max_ms": max(start_times) * 1e3,
        "rtt_median_ms": statistics.median(rtts) * 1e3,
        "rtt_p99_ms": rtts[min(len(rtts) - 1, int(round(0.99 * len(rtts))) - 1)] * 1e3,
        "rss_start_mb": statistics.median(rss_start) / 1024.0,
        "private_start_mb": statistics.median(private_start) / 1024.0,
        "rss_after_mb": rss_after / 1024.0,
        "starts": starts,
        "cells": cells,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eddy-bin", help="eddy binary (default $EDDY_BIN, else build/eddy)")
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--cells", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--eddy-cell", default=CELLS["eddy"])
    ap.add_argument("--ipykernel-cell", default=CELLS["python3"])
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    CELLS["eddy"], CELLS["python3"] = args.eddy_cell, args.ipykernel_cell
    if args.eddy_bin:
        os.environ["EDDY_BIN"] = os.path.abspath(args.eddy_bin)

    with open(os.devnull, "wb") as log:
        eddy = measure("eddy", args.starts, args.cells, args.warmup, log)
        ipy = measure("python3", args.starts, args.cells, args.warmup, log)

    rows = [
        ("cold start to kernel_info_reply, median (ms)", "start_median_ms"),
        ("execute round trip, median (ms)", "rtt_median_ms"),
        ("execute round trip, p99 (ms)", "rtt_p99_ms"),
        ("  same, bare pyzmq client, median (ms)", "raw_rtt_median_ms"),
        ("  same, bare pyzmq client, p99 (ms)", "raw_rtt_p99_ms"),
        ("RSS after start (MB)", "rss_start_mb"),
        ("RSS after the cells (MB)", "rss_after_mb"),
        ("  private memory after start (MB, smaps_rollup)", "private_start_mb"),
    ]
    print("eddy binary: %s" % os.environ.get("EDDY_BIN", "(build/eddy)"))
    print("%d cold starts each; %d cells after %d warm-up (Eddy %r, ipykernel %r)\n"
          % (args.starts, args.cells, args.warmup, eddy["cell"], ipy["cell"]))
    print("%-46s %12s %12s %10s" % ("", "eddy", "ipykernel", "ipy/eddy"))
    for label, key in rows:
        print("%-46s %12.2f %12.2f %9.1fx" % (label, eddy[key], ipy[key], ipy[key] / eddy[key]))
    print()
    checks = [
        ("cold start %.1fx faster (goal %gx)", ipy["start_median_ms"] / eddy["start_median_ms"],
         GOALS["start"]),
        ("round trip %.1fx faster (goal %gx)", ipy["rtt_median_ms"] / eddy["rtt_median_ms"],
         GOALS["rtt"]),
        ("memory 1/%.1f of ipykernel (goal 1/%g)", ipy["rss_start_mb"] / eddy["rss_start_mb"],
         GOALS["rss"]),
    ]
    for fmt, ratio, goal in checks:
        print(("  %-44s %s") % (fmt % (ratio, goal), "met" if ratio >= goal else "NOT met"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"eddy": eddy, "ipykernel": ipy}, f, indent=2)


if __name__ == "__main__":
    main()
