#!/usr/bin/python3
"""Scale-out with merged windows (runtime/rt_dist.h), measured; not a test.

    python3 bench/dist_merge.py --eddy-bin build-release/eddy
    # options: --runs 5 --records 120000 --only failover,throughput --lease 2s

  failover    three `eddy run` workers of one application (`--set lease=L`) on a 6-shard
              stream; one is killed with -9; time from the kill until the last of its
              leases has a new owner (read from the lease table every 20 ms), in lease
              periods L; median of --runs.
  throughput  a 6-shard stream pre-filled with --records records (24 devices, 20 ms of
              event time apart), then `window 10s on ts | agg count(), sum, max by
              device_id` run by 1, 2 and 3 workers (leases and partials in dynalite) and by
              one process without `as`: wall time from starting the processes until every
              one has written the last window that closes, records/s over that time, and
              CPU (user + system, /proc) per record, summed over the workers and per worker.
              Every run includes the start grace of the event-time watermark (5 s).

kinesalite and dynalite are single-threaded node processes on the same two cores: with
several workers, kinesalite's GetRecords answers cap the throughput, not eddy (its CPU is
printed too). Figures and the machine's load go in bench/README.md.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "py"))

from services import KinesisClient, Service  # noqa: E402
import test_kinesis_merged as m  # noqa: E402


def cpu_s(pid):
    """user + system CPU seconds of a live process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    raise RuntimeError("timed out")


def start(eddy, prog, env, lease):
    return subprocess.Popen([eddy, "run", prog, "--set", "lease=" + lease, "--set", "batch=200ms"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def program(tmp, name, app, out):
    path = os.path.join(tmp, name + ".eddy")
    with open(path, "w") as f:
        f.write(m.QUERY % ((' as "%s"' % app) if app else "", out))
    return path


def failover_once(eddy, lease, lease_s):
    with Service("kinesalite") as k, Service("dynalite") as d, tempfile.TemporaryDirectory() as tmp:
        env = k.env(AWS_ENDPOINT_URL_DYNAMODB=d.url)
        c = KinesisClient(k.port)
        c.create_stream("m", 6)
        c.wait_active("m")
        m.write(c, 0, 3000)
        procs = [start(eddy, program(tmp, "w%d" % w, "fapp", os.path.join(tmp, "o%d" % w)), env,
                       lease) for w in range(3)]
        try:
            wait(lambda: sorted(__import__("collections").Counter(
                m.lease_owners(d.port, "fapp").values()).values()) == [2, 2, 2], 60)
            victim = procs[0]
            dead = ":%d:" % victim.pid
            t0 = time.monotonic()
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            wait(lambda: not any(o and dead in o for o in m.lease_owners(d.port, "fapp").values()),
                 120)
            return (time.monotonic() - t0) / lease_s
        finally:
            stop(procs)
            c.close()


def throughput_once(eddy, workers, records, lease):
    """(seconds, eddy CPU seconds per process, kinesalite CPU seconds)."""
    saved = m.RECORDS
    m.RECORDS = records
    last_end = m.T0 + (records * m.STEP_MS // m.WINDOW_MS - 1) * m.WINDOW_MS
    try:
        with Service("kinesalite") as k, Service("dynalite") as d, \
                tempfile.TemporaryDirectory() as tmp:
            env = k.env(AWS_ENDPOINT_URL_DYNAMODB=d.url)
            c = KinesisClient(k.port)
            c.create_stream("m", 6)
            c.wait_active("m")
            m.write(c, 0, records)
            c.close()
            if workers == 0:  # one process, no leases
                env = dict(env)
                env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
                outs = [os.path.join(tmp, "single")]
                progs = [program(tmp, "single", None, outs[0])]
            else:
                outs = [os.path.join(tmp, "o%d" % w) for w in range(workers)]
                progs = [program(tmp, "w%d" % w, "tapp", outs[w]) for w in range(workers)]
            kin_cpu0 = cpu_s(k.proc.pid)
            t0 = time.monotonic()
            procs = [start(eddy, p, env, lease) for p in progs]
            try:
                wait(lambda: all(last_end in m.windows_of(o)[1] for o in outs), 600)
                dt = time.monotonic() - t0
                cpus = [cpu_s(p.pid) for p in procs]
                return dt, cpus, cpu_s(k.proc.pid) - kin_cpu0
            finally:
                stop(procs)
    finally:
        m.RECORDS = saved


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eddy-bin", default=os.path.join(HERE, "..", "build-release", "eddy"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--records", type=int, default=120000)
    ap.add_argument("--lease", default="2s")
    ap.add_argument("--only", default="failover,throughput")
    a = ap.parse_args()
    lease_s = float(a.lease.rstrip("s"))
    print("load average:", open("/proc/loadavg").read().split()[:3])
    if "failover" in a.only:
        periods = [failover_once(a.eddy_bin, a.lease, lease_s) for _ in range(a.runs)]
        print("failover kill -9 -> last lease taken: median %.2f lease periods (%.2f s at %s), "
              "runs %s" % (statistics.median(periods), statistics.median(periods) * lease_s,
                           a.lease, ", ".join("%.2f" % p for p in periods)))
    if "throughput" in a.only:
        print("%-12s %8s %10s %16s %16s %12s" % ("processes", "seconds", "records/s",
                                                 "CPU us/rec all", "CPU us/rec each",
                                                 "kinesalite s"))
        for w in (0, 1, 2, 3):
            dt, cpus, kin = throughput_once(a.eddy_bin, w, a.records, a.lease)
            name = "single" if w == 0 else "%d worker%s" % (w, "s" if w > 1 else "")
            each = "/".join("%.1f" % (c * 1e6 / a.records) for c in cpus)
            print("%-12s %8.2f %10.0f %16.1f %16s %12.2f" % (
                name, dt, a.records / dt, sum(cpus) * 1e6 / a.records, each, kin))


if __name__ == "__main__":
    main()
