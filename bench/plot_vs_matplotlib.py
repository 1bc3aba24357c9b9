#!/usr/bin/python3
"""Eddy's charts against matplotlib's Agg backend, on the same chart and data.

Writes the data once (3 series x 300 points, one per second, as CSV), renders
the same line chart (800x400, time axis, title, axis labels, legend, footer)
with matplotlib and with bench/plot_bench.c, and prints the median
milliseconds and the PNG bytes per chart for each, with the ratio. Run with
Debian's python3, which has python3-matplotlib:

    /usr/bin/python3 bench/plot_vs_matplotlib.py [--bin build-release/plot_bench]
                     [--runs 50] [--out bench/out]
"""
import argparse
import datetime
import io
import math
import os
import statistics
import subprocess
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

FOOTER = "1,204 rec/s | lag 120 ms | watermark 10:09:58 | late 3 | bad 0"
NAMES = ["sensor-a", "sensor-b", "sensor-c"]
T0_MS = 1763633100000  # 2025-11-20 10:05:00 UTC


def write_data(path, n=300):
    with open(path, "w") as f:
        f.write("t_ms,a,b,c\n")
        for i in range(n):
            a = 50 + 20 * math.sin(i / 20.0) + 3 * math.sin(i * 1.7)
            b = 30 + 10 * math.cos(i / 15.0) + (i % 7)
            c = 10 + i * 0.1 + 2 * math.sin(i * 0.9)
            f.write("%d,%.6f,%.6f,%.6f\n" % (T0_MS + i * 1000, a, b, c))


def read_data(path):
    rows = [line.split(",") for line in open(path).read().splitlines()[1:]]
    utc = datetime.timezone.utc
    t = [datetime.datetime.fromtimestamp(int(r[0]) / 1000.0, tz=utc)
         for r in rows]
    ys = [[float(r[k]) for r in rows] for k in (1, 2, 3)]
    return t, ys


def mpl_chart(t, ys):
    """One chart the way a notebook draws it: a fresh figure per redraw."""
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    for y, name in zip(ys, NAMES):
        ax.plot(t, y, label=name, linewidth=1.75)
    ax.set_title("Temperature by sensor (benchmark)", loc="left",
                 fontweight="bold")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("temperature")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.text(0.01, 0.01, FOOTER, fontsize=8, color="#666666")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def mpl_reused(t, ys, runs):
    """The kindest case for matplotlib: one figure, set_data, savefig."""
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    lines = [ax.plot(t, y, label=n, linewidth=1.75)[0] for y, n in zip(ys, NAMES)]
    ax.set_title("Temperature by sensor (benchmark)", loc="left",
                 fontweight="bold")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.text(0.01, 0.01, FOOTER, fontsize=8, color="#666666")
    fig.tight_layout()
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        for line, y in zip(lines, ys):
            line.set_data(t, y)
        ax.relim()
        ax.autoscale_view()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        times.append((time.perf_counter() - t0) * 1e3)
        size = len(buf.getvalue())
    plt.close(fig)
    return statistics.median(times), size


def run_eddy(binary, data, runs, out):
    res = subprocess.run([binary, data, str(runs), out], check=True,
                         capture_output=True, text=True).stdout
    vals = {}
    for line in res.splitlines():
        k, v = line.split(None, 1)
        vals[k] = v
    return vals


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(here, "..", "build-release",
                                                  "plot_bench"))
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--out", default=os.path.join(here, "out"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    data = os.path.join(a.out, "plot_bench_data.csv")
    write_data(data)
    t, ys = read_data(data)

    mpl_chart(t, ys)  # warm-up: font cache, imports
    times, cpu, png = [], [], b""
    for _ in range(a.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        png = mpl_chart(t, ys)
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    mpl_ms = statistics.median(times)
    mpl_cpu = statistics.median(cpu)
    with open(os.path.join(a.out, "matplotlib.png"), "wb") as f:
        f.write(png)
    reuse_ms, reuse_bytes = mpl_reused(t, ys, a.runs)

    e = run_eddy(a.bin, data, a.runs, a.out)
    e1, e2 = float(e["eddy_1x_ms"]), float(e["eddy_2x_ms"])
    print("chart: 800x400, 3 series x 300 points, time axis, title, labels, "
          "legend, footer; median of %d" % a.runs)
    print("%-44s %9s %9s %8s" % ("renderer", "ms/chart", "bytes", "speedup"))
    rows = [("matplotlib Agg, new figure (800x400 px)", mpl_ms, len(png)),
            ("matplotlib Agg, reused figure (800x400 px)", reuse_ms,
             reuse_bytes),
            ("eddy plotting 1x (800x400 px)", e1, int(e["eddy_1x_bytes"])),
            ("eddy plotting 2x HiDPI (1600x800 px)", e2,
             int(e["eddy_2x_bytes"])),
            ("eddy plotting 1x, cold renderer", float(e["eddy_1x_cold_ms"]), 0)]
    for name, ms, size in rows:
        print("%-44s %9.2f %9s %7.1fx" % (name, ms, size or "-", mpl_ms / ms))
    e1c, e2c = float(e["eddy_1x_cpu_ms"]), float(e["eddy_2x_cpu_ms"])
    print("CPU ms/chart (steadier on a busy host): matplotlib %.2f, eddy 1x %.2f "
          "(%.1fx), eddy 2x %.2f (%.1fx)"
          % (mpl_cpu, e1c, mpl_cpu / e1c, e2c, mpl_cpu / e2c))
    print("eddy draw vs encoders (ms/bytes; the library uses own_rle_up):")
    for tag in ("1x", "2x"):
        parts = []
        for k in sorted(e):
            if k.startswith("eddy_%s_enc_" % tag) and k.endswith("_ms"):
                base = k[:-3]
                parts.append("%s %s/%s" % (base[len("eddy_%s_enc_" % tag):],
                                            e[k], e[base + "_bytes"]))
        print("  %s: draw %s ms; %s" % (tag, e["eddy_%s_draw_ms" % tag],
                                        "; ".join(parts)))
    print("ratio matplotlib/eddy: %.1fx at 1x, %.1fx at 2x (4x the pixels)"
          % (mpl_ms / e1, mpl_ms / e2))
    print("PNGs in %s" % a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
