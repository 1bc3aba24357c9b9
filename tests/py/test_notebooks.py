"""The demo notebooks (notebooks/sensors.ipynb, clickstream.ipynb, tour.ipynb) run as they are
against the demo's Kinesis streams, and their live cells really are live.

setUpClass starts what `scripts/demo` starts: kinesalite on 127.0.0.1 and the two producers with
the demo's arguments (`eddy produce sensors ...` and `eddy produce clicks ...`), and installs the
kernelspec into a private JUPYTER_PATH. Then:

  * each notebook is driven cell by cell through jupyter_client (the notebook's own sources, in
    order, kernel started in notebooks/ like a notebook server does). Every cell must answer ok;
    a cell tagged `live-*` must not block: its query is still running when the cells before
    `%stop all` have run (%queries lists it), and a `live-chart` or `live-table` cell redraws
    after its own reply and idle. Before the final `%stop all` every such cell must have shown
    more than one distinct picture (PNG for charts, HTML for tables) through display_data /
    update_display_data with one display_id, all parented to its own execute request. After
    `%stop all` each live display draws its final picture (footer "stopped"), %queries lists
    nothing running, and nothing more comes.
  * sensors.ipynb also runs headless through nbclient with scripts/run_notebook.py's
    LiveNotebookClient (what `scripts/demo --headless` does): the saved notebook must hold the
    live charts' last PNGs, not their first.

Only events, counts, order and content are asserted; the deadlines below bound waits for events
and are never reached by a working kernel. How fast a live cell answers is measured by
bench/timing_claims.py.

Cells tagged `live-slow` (the session table, which fills after the first idle minute of the
simulated users) only have to start.
"""

import base64
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import unittest

import nbformat

from eddy_testing import SOURCE_DIR, KernelEnv, deadline, eddy_bin, output_text, remaining
from services import Service

NOTEBOOKS = os.path.join(SOURCE_DIR, "notebooks")
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))

# The producers of scripts/demo, with its arguments.
PRODUCERS = {
    "sensors": ["sensors", "--stream", "sensors", "--create", "2", "--rate", "200",
                "--devices", "12"],
    "clicks": ["clicks", "--stream", "clicks", "--create", "2", "--rate", "50",
               "--users", "400"],
}

CELL_TIMEOUT = 90.0     # a bounded cell (until now, for D, demo ... limit) must end by then
LIVE_WAIT = 60.0        # deadline for live cells to redraw twice
STOP_WAIT = 60.0        # deadline for every live display's final picture after %stop all
QUIET_AFTER_STOP = 1.0  # after the final pictures nothing more comes (absence: a slow kernel
                        # cannot fail it)
ENDED = re.compile(r"\u00b7 (stopped|done|failed)\b")  # the footer of a query's final picture
DISPLAY_TYPES = ("display_data", "update_display_data")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def tags(cell):
    return set(cell.metadata.get("tags", []))


def is_live(cell):
    return bool(tags(cell) & {"live-chart", "live-table", "live-slow"})


def display_msgs(msgs):
    return [m for m in msgs if m["msg_type"] in DISPLAY_TYPES]


def png_bytes(msg):
    data = msg["content"]["data"].get("image/png")
    return base64.b64decode(data) if data else None


def distinct(msgs, key):
    seen = set()
    for m in msgs:
        v = key(m)
        if v:
            seen.add(hashlib.sha256(v if isinstance(v, bytes) else v.encode()).hexdigest())
    return len(seen)


def html_of(msg):
    return msg["content"]["data"].get("text/html")


class Ran:
    """One executed cell: its request id, reply, IOPub messages (also those after idle: the
    first `through_idle` of them came up to the cell's idle)."""

    def __init__(self, index, cell, msg_id, reply, iopub):
        self.index, self.cell, self.msg_id = index, cell, msg_id
        self.reply, self.iopub = reply, list(iopub)
        self.through_idle = len(self.iopub)

    def after_idle(self):
        return self.iopub[self.through_idle:]

    def ended(self):
        """Its last display is a final picture (a query's end)."""
        shown = display_msgs(self.iopub)
        return bool(shown) and bool(ENDED.search(
            shown[-1]["content"]["data"].get("text/plain", "")))

    @property
    def status(self):
        return self.reply["content"]["status"]

    def text(self):
        return output_text(self.iopub)

    def where(self):
        return "cell %d %r" % (self.index, self.cell.source[:70])


class NotebookTests(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.env = KernelEnv("eddy")
        cls.procs = []
        cls.saved_env = {}
        try:
            cls.kinesis = Service("kinesalite")
            for k, v in cls.kinesis.env().items():
                if k.startswith("AWS_"):
                    cls.saved_env[k] = os.environ.get(k)
                    os.environ[k] = v
            for name, args in PRODUCERS.items():
                cls.start_producer(name, args)
            for name in PRODUCERS:
                cls.wait_producing(name)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_producer(cls, name, args):
        log = open(os.path.join(cls.env.logs, "produce-%s.log" % name), "w+")
        p = subprocess.Popen([eddy_bin(), "produce"] + args, stdout=log,
                             stderr=subprocess.STDOUT, env=dict(os.environ))
        cls.procs.append((name, p, log))

    @classmethod
    def producer_log(cls, name):
        for n, _, log in cls.procs:
            if n == name:
                log.flush()
                with open(log.name) as f:
                    return f.read()
        return ""

    @classmethod
    def wait_producing(cls, name, timeout=60.0):
        """Until the producer has stored records (its first progress line)."""
        dl = deadline(timeout)
        proc = [p for n, p, _ in cls.procs if n == name][0]
        while remaining(dl) > 0:
            if "stored" in cls.producer_log(name):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("`eddy produce %s` is not producing (exit %s); log:\n%s"
                             % (" ".join(PRODUCERS[name]), proc.poll(),
                                cls.producer_log(name)[-2000:]))

    @classmethod
    def tearDownClass(cls):
        for _, p, log in cls.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)  # stops generating, flushes, exits
        for _, p, log in cls.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            log.close()
        cls.procs = []
        if getattr(cls, "kinesis", None):
            cls.kinesis.stop()
            cls.kinesis = None
        for k, v in cls.saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        cls.env.cleanup()

    # ------------------------------------------------------------------ driving a notebook

    def start_kernel(self):
        """A kernel whose working directory is notebooks/, as under a notebook server."""
        old = os.getcwd()
        os.chdir(NOTEBOOKS)
        try:
            kp = self.env.start()
        finally:
            os.chdir(old)
        self.addCleanup(kp.shutdown)
        return kp

    def collect(self, client, runs, until, timeout):
        """Moves IOPub messages parented to runs' requests into their lists until until() holds
        or timeout passes. Returns until()'s last value."""
        by_id = {r.msg_id: r for r in runs}
        dl = deadline(timeout)
        while True:
            if until():
                return True
            m = client.get("iopub", lambda m: m["parent_header"].get("msg_id") in by_id,
                           min(0.2, remaining(dl)))
            if m is not None:
                by_id[m["parent_header"]["msg_id"]].iopub.append(m)
            elif remaining(dl) <= 0:
                return until()

    def live_ready(self, runs):
        for r in runs:
            t = tags(r.cell)
            shown = display_msgs(r.iopub)
            if "live-chart" in t and distinct(shown, png_bytes) < 2:
                return False
            if "live-table" in t and distinct(shown, html_of) < 2:
                return False
        return True

    def drive(self, name):
        """Runs the notebook's code cells in order; returns [Ran]."""
        nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
        kp = self.start_kernel()
        client = kp.client
        runs = []
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.source.lstrip().startswith("%stop"):
                live = [r for r in runs if is_live(r.cell)]
                self.collect(client, live, lambda: self.live_ready(live), LIVE_WAIT)
                self.check_still_running(client, name, live)
            msg_id = client.send_execute(cell.source)
            reply = client.reply(msg_id, timeout=CELL_TIMEOUT)
            self.assertIsNotNone(reply, "%s: no reply within %.0fs; kernel log:\n%s"
                                 % (name, CELL_TIMEOUT, kp.log()[-3000:]))
            iopub = client.iopub_for(msg_id, timeout=CELL_TIMEOUT)
            run = Ran(i, cell, msg_id, reply, iopub)
            runs.append(run)
            self.assertEqual(run.status, "ok", "%s %s: %s %s" % (
                name, run.where(), reply["content"].get("ename"),
                reply["content"].get("evalue")))
            if cell.source.lstrip().startswith("%stop"):
                self.check_quiet_after_stop(client, runs)
        return runs

    def running_rows(self, client):
        reply, iopub = client.execute("%queries", timeout=CELL_TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        listing = output_text(iopub)
        return listing, [l for l in listing.splitlines()
                         if re.match(r"\s*\d+\s", l) and " running " in l]

    def check_still_running(self, client, name, live):
        """Every live cell answered while its query runs on: after all the cells before
        %stop all, %queries still lists a running query per live cell."""
        listing, rows = self.running_rows(client)
        self.assertGreaterEqual(len(rows), len(live), "%s: live cells whose query is not "
                                "running:\n%s" % (name, listing))

    def check_quiet_after_stop(self, client, runs):
        """After %stop all each live display draws its final picture (footer: stopped), then
        %queries lists nothing running and the live cells fall silent."""
        live = [r for r in runs if is_live(r.cell)]
        self.assertTrue(self.collect(client, live, lambda: all(r.ended() for r in live),
                                     STOP_WAIT),
                        "live cells without a final picture after %%stop all: %s"
                        % [r.where() for r in live if not r.ended()])
        listing, rows = self.running_rows(client)
        self.assertEqual(rows, [], "queries still run after %stop all:\n" + listing)
        before = [len(r.iopub) for r in live]
        self.collect(client, live, lambda: False, QUIET_AFTER_STOP)
        self.assertEqual([len(r.iopub) for r in live], before,
                         "live cells drew again after their final picture")

    # ------------------------------------------------------------------ checks

    def check_live(self, name, runs):
        live = [r for r in runs if is_live(r.cell)]
        self.assertTrue(live, "%s has no cells tagged live-*" % name)
        for r in live:
            # the cell's reply and idle came while its query ran on: it redrew after them
            if {"live-chart", "live-table"} & tags(r.cell):
                self.assertTrue(display_msgs(r.after_idle()),
                                "%s %s: no redraw after the cell ended" % (name, r.where()))
        for r in runs:
            t = tags(r.cell)
            shown = display_msgs(r.iopub)
            if not ({"live-chart", "live-table", "chart"} & t):
                continue
            self.assertTrue(shown, "%s %s: no display; output: %s"
                            % (name, r.where(), r.text()[-500:]))
            ids = {m["content"].get("transient", {}).get("display_id") for m in shown}
            self.assertEqual(len(ids), 1, "%s %s: display ids %r" % (name, r.where(), ids))
            self.assertIsNotNone(ids.pop(), "%s %s: display without display_id"
                                 % (name, r.where()))
            self.assertEqual(shown[0]["msg_type"], "display_data", r.where())
            for m in shown[1:]:
                self.assertEqual(m["msg_type"], "update_display_data", r.where())
            if "live-chart" in t or "chart" in t:
                pngs = [png_bytes(m) for m in shown if png_bytes(m)]
                self.assertTrue(pngs, "%s %s: no PNG" % (name, r.where()))
                for p in pngs:
                    self.assertTrue(p.startswith(PNG_MAGIC), "%s: not a PNG" % r.where())
            if "live-chart" in t:
                self.assertGreaterEqual(
                    distinct(shown, png_bytes), 2,
                    "%s %s: the live chart did not redraw (%d displays in %.0fs)"
                    % (name, r.where(), len(shown), LIVE_WAIT))
            if "live-table" in t:
                self.assertGreaterEqual(
                    distinct(shown, html_of), 2,
                    "%s %s: the live table did not redraw (%d displays)"
                    % (name, r.where(), len(shown)))

    def cell_with(self, runs, text):
        found = [r for r in runs if text in r.cell.source]
        self.assertTrue(found, "no cell with %r" % text)
        return found[0]

    # ------------------------------------------------------------------ tests

    def test_sensors(self):
        runs = self.drive("sensors.ipynb")
        self.check_live("sensors", runs)
        self.assertIn("shard", self.cell_with(runs, "%describe sensors").text().lower())
        look_back = self.cell_with(runs, "until now").text()
        self.assertRegex(look_back, r"sensor-0\d\d", "until now found no spikes")

    def test_clickstream(self):
        runs = self.drive("clickstream.ipynb")
        self.check_live("clickstream", runs)
        top = self.cell_with(runs, "top 10 by views")
        self.assertTrue(display_msgs(top.iopub))

    def test_tour(self):
        runs = self.drive("tour.ipynb")
        self.check_live("tour", runs)
        self.assertIn("window", self.cell_with(runs, "%help window").text())
        self.assertIn("200ms", self.cell_with(runs, "%set batch").text())
        self.assertIn("e0033", self.cell_with(runs, "| limit 3").text())
        dedup = self.cell_with(runs, "dedup event_id").text()
        self.assertRegex(dedup, r"\b215\b", "all views")
        self.assertRegex(dedup, r"\b207\b", "views after dedup")
        self.assertIn("sensors", self.cell_with(runs, "%streams").text())
        self.assertRegex(self.cell_with(runs, "session 2m").text(), r"landed_on")

    def test_sensors_headless_nbclient(self):
        """What `scripts/demo --headless` does: the saved notebook holds the live charts' last
        pictures."""
        import run_notebook
        nb = nbformat.read(os.path.join(NOTEBOOKS, "sensors.ipynb"), as_version=4)
        charts = [i for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" and "live-chart" in tags(c)]

        def redrawn(client):
            """Every live chart redrew and now shows a picture other than its first."""
            for i in charts:
                pngs = [o["data"]["image/png"] for o in client.nb.cells[i].outputs
                        if "image/png" in o.get("data", {})]
                if client.redraws.get(i, 0) < 2 or not pngs or \
                        pngs[-1] == client.first_png.get(i):
                    return False
            return True
        # lingers (before %stop) until the charts redrew, at most LIVE_WAIT
        client = run_notebook.LiveNotebookClient(
            nb, linger=LIVE_WAIT, linger_until=redrawn, timeout=int(CELL_TIMEOUT),
            kernel_name="eddy", resources={"metadata": {"path": NOTEBOOKS}})
        client.execute(env=self.env.kernel_env())
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            errors = [o for o in cell.outputs if o["output_type"] == "error"]
            self.assertEqual(errors, [], "cell %d %r raised" % (i, cell.source[:60]))
            if "live-chart" in tags(cell):
                pngs = [o for o in cell.outputs if "image/png" in o.get("data", {})]
                self.assertEqual(len(pngs), 1, "cell %d: one chart output" % i)
                self.assertTrue(base64.b64decode(pngs[0]["data"]["image/png"])
                                .startswith(PNG_MAGIC))
                self.assertGreaterEqual(client.redraws.get(i, 0), 2,
                                        "cell %d: the chart never redrew" % i)
                self.assertNotEqual(pngs[0]["data"]["image/png"], client.first_png.get(i),
                                    "cell %d: the saved chart is its first picture" % i)


if __name__ == "__main__":
    unittest.main()
