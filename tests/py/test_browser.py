"""A live chart redraws in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven
by playwright-core from node_modules) opens notebooks/sensors.ipynb in Debian's Jupyter Notebook,
runs its cells up to the first live chart by clicking and pressing Shift+Enter, and checks that
the chart's <img> src in the cell's output area changed at least twice.

The test starts everything it needs on 127.0.0.1 and stops it: kinesalite, the demo's sensor
producer, a notebook server (token, private JUPYTER_PATH with the kernelspec from `eddy install
--prefix`, a copy of notebooks/ as its root so autosave never touches the repository), and the
node script (in its own process group, so Chromium goes with it). The screenshot is kept at
$EDDY_BUILD_DIR/artifacts/browser-live-chart.png.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from eddy_testing import BUILD_DIR, SOURCE_DIR, KernelEnv, deadline, eddy_bin, remaining
from services import Service

CHROMIUM = "/usr/bin/chromium"
SCRIPT = os.path.join(SOURCE_DIR, "tests", "browser", "live_chart.js")
ARTIFACTS = os.path.join(BUILD_DIR, "artifacts")
SCREENSHOT = os.path.join(ARTIFACTS, "browser-live-chart.png")
NOTEBOOK = "sensors.ipynb"


# Loopback only: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc, sig=signal.SIGTERM, timeout=10):
    """Signals proc's process group (it was started with start_new_session) and waits."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in the group (chromium, kernels)
    except ProcessLookupError:
        pass
    proc.wait()


class BrowserLiveChartTest(unittest.TestCase):

    def setUp(self):
        # Missing browser pieces are a failure, not a skip: scripts/setup installs them.
        self.assertTrue(os.access(CHROMIUM, os.X_OK),
                        "%s is missing: run scripts/setup (apt package chromium)" % CHROMIUM)
        self.assertTrue(os.path.isdir(os.path.join(SOURCE_DIR, "node_modules", "playwright-core")),
                        "node_modules/playwright-core is missing: run scripts/setup (npm ci)")
        self.env = KernelEnv("eddy")
        self.addCleanup(self.env.cleanup)
        self.kinesis = Service("kinesalite")
        self.addCleanup(self.kinesis.stop)
        self.aws = {k: v for k, v in self.kinesis.env().items() if k.startswith("AWS_")}
        self.root = os.path.join(self.env.root, "notebooks")
        shutil.copytree(os.path.join(SOURCE_DIR, "notebooks"), self.root)

    def start(self, argv, log_name, **kw):
        log = open(os.path.join(self.env.logs, log_name), "w+")
        self.addCleanup(log.close)
        env = self.env.kernel_env()
        env.update(self.aws)
        env["JUPYTER_CONFIG_DIR"] = os.path.join(self.env.root, "jupyter-config")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True, **kw)
        return p, log

    def read(self, log):
        log.flush()
        with open(log.name, errors="replace") as f:
            return f.read()

    def test_live_chart_redraws_in_chromium(self):
        producer, plog = self.start(
            [eddy_bin(), "produce", "sensors", "--stream", "sensors", "--create", "2",
             "--rate", "200", "--devices", "12"], "producer.log")
        self.addCleanup(stop_group, producer, signal.SIGINT)
        dl = deadline(60)
        while "stored" not in self.read(plog) and producer.poll() is None and remaining(dl):
            time.sleep(0.1)
        self.assertIn("stored", self.read(plog), "producer: " + self.read(plog)[-2000:])

        port, token = free_port(), secrets.token_hex(16)
        server, slog = self.start(
            ["/usr/bin/python3", "-m", "notebook", "--no-browser", "--ip=127.0.0.1",
             "--port=%d" % port, "--port-retries=0", "--NotebookApp.token=" + token,
             "--NotebookApp.notebook_dir=" + self.root, "--NotebookApp.open_browser=False"]
            + (["--allow-root"] if os.geteuid() == 0 else []),
            "notebook-server.log", cwd=self.root)
        self.addCleanup(self.shutdown_server, server, port, token)
        url = "http://127.0.0.1:%d" % port
        dl = deadline(60)
        while True:
            try:
                with OPENER.open("%s/api/status?token=%s" % (url, token), timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if server.poll() is not None or not remaining(dl):
                    self.fail("notebook server did not start:\n" + self.read(slog)[-3000:])
                time.sleep(0.2)

        os.makedirs(ARTIFACTS, exist_ok=True)
        if os.path.exists(SCREENSHOT):
            os.remove(SCREENSHOT)
        node, nlog = self.start(
            ["node", SCRIPT, "--url", url, "--token", token, "--notebook", NOTEBOOK,
             "--screenshot", SCREENSHOT, "--timeout", "60"], "browser.log")
        try:
            node.wait(timeout=170)
        except subprocess.TimeoutExpired:
            pass
        stop_group(node)
        out = self.read(nlog)
        lines = [l for l in out.splitlines() if l.startswith("{")]
        self.assertTrue(lines, "browser script printed no result:\n" + out[-3000:]
                        + "\nserver log:\n" + self.read(slog)[-3000:])
        result = json.loads(lines[-1])
        detail = json.dumps(result, indent=1) + "\nserver log:\n" + self.read(slog)[-3000:]
        self.assertEqual(result.get("kernel"), "eddy", detail)
        self.assertTrue(os.path.isfile(SCREENSHOT), "no screenshot\n" + detail)
        self.assertEqual(result.get("errors"), [], detail)
        self.assertGreaterEqual(result.get("changes", 0), 2,
                                "the chart's <img> src changed fewer than 2 times\n" + detail)
        self.assertTrue(result.get("ok"), detail)
        self.assertTrue(result.get("stopped"), detail)

    def shutdown_server(self, server, port, token):
        """Shuts the kernels down through the REST API, then the server (SIGINT twice is what
        a person does; its process group is killed after that)."""
        base = "http://127.0.0.1:%d/api/kernels" % port
        try:
            with OPENER.open("%s?token=%s" % (base, token), timeout=3) as r:
                kernels = json.load(r)
            for k in kernels:
                req = urllib.request.Request("%s/%s?token=%s" % (base, k["id"], token),
                                             method="DELETE")
                OPENER.open(req, timeout=10).close()
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            time.sleep(0.2)
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
        stop_group(server, signal.SIGTERM, timeout=10)


if __name__ == "__main__":
    unittest.main()
