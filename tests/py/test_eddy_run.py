"""`eddy run FILE.eddy` as a user runs it: results printed as windows close,
a bad program rejected with a caret and exit status 2, a failing query with
status 1, and Ctrl-C stopping an endless query cleanly (status 0) after
printing its final, partial window."""

import os
import signal
import subprocess
import tempfile
import unittest

EDDY_BIN = os.environ.get("EDDY_BIN", "eddy")
SRC = os.environ.get("EDDY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SRC, "tests", "data", "events.jsonl")


class EddyRunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def program(self, text):
        path = os.path.join(self.tmp.name, "p.eddy")
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_eddy(self, text, *args, timeout=30):
        return subprocess.run([EDDY_BIN, "run", self.program(text), *args], capture_output=True,
                              text=True, timeout=timeout)

    def test_windows_print_as_they_close(self):
        r = self.run_eddy('file "%s" | parse json | window 30s on ts watermark 10s\n'
                          '| agg count() as n by device_id | sort device_id\n' % DATA)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("window 2026-11-20T"), 4)
        self.assertIn("window 2026-11-20T10:00:00.000Z - 2026-11-20T10:00:30.000Z", r.stdout)
        self.assertIn("3 bad, 1 late", r.stderr)

    def test_bad_program_exit_2_with_caret(self):
        r = self.run_eddy('file "x" | parse json\n| where temperature >> 3\n')
        self.assertEqual(r.returncode, 2)
        self.assertIn("line 2, column", r.stderr)
        self.assertIn("^", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_unknown_let_exit_2(self):
        r = self.run_eddy("readings | agg count()\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown stream readings", r.stderr)

    def test_missing_file_exit_1(self):
        r = self.run_eddy('file "/nonexistent/readings.jsonl" | parse json\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/readings.jsonl", r.stderr)

    def test_usage_exit_2(self):
        r = subprocess.run([EDDY_BIN, "run"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage", r.stderr)

    def test_ctrl_c_stops_cleanly_and_prints_final_window(self):
        # The endless query under test prints nothing until it is stopped (a 1 h window);
        # the second one prints running totals every batch, so the run is seen reading
        # before Ctrl-C is sent (an event, not a guessed sleep).
        path = self.program("demo sensors rate 200 | window 1h | agg count() as n\n"
                            "demo sensors rate 200 | agg count() as seen\n")
        p = subprocess.Popen([EDDY_BIN, "run", path, "--set", "batch=100ms"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        seen, lines = 0, []
        for line in p.stdout:  # blocks on eddy's output; the CTest timeout bounds it
            lines.append(line)
            if line.strip().isdigit():
                seen = int(line)
                if seen >= 50:
                    break
        self.assertGreaterEqual(seen, 50, "the run printed no totals: " + "".join(lines))
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)  # what it prints after the signal is a few lines: no pipe fills
        out = "".join(lines) + p.stdout.read()
        err = p.stderr.read()
        p.stdout.close()
        p.stderr.close()
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("stopping", err)
        blocks = [b.splitlines() for b in out.split("\n\n") if b.strip()]
        # the stop printed the open 1 h window (cut short, so partial), with its records
        # (a run that happens to cross a whole hour also shows the window that closed)
        windows = [b for b in blocks if b[0].startswith("window ")]
        self.assertIn(len(windows), (1, 2), out)
        self.assertTrue(windows[-1][0].endswith("(partial)"), out)
        self.assertFalse(any(w[0].endswith("(partial)") for w in windows[:-1]), out)
        self.assertEqual(windows[-1][1].split()[-1], "n", out)
        self.assertGreater(int(windows[-1][-1].split()[-1]), 0, out)

    def test_for_duration_ends_by_itself(self):
        # `for 1s` ends the endless source: the run returns by itself (run_eddy's timeout
        # would raise if it did not) with its final totals.
        r = self.run_eddy("demo sensors rate 100 | for 1s | agg count() as n\n", timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("totals", r.stdout)
        self.assertGreater(int(r.stdout.strip().splitlines()[-1].split()[-1]), 0, r.stdout)

if __name__ == "__main__":
    unittest.main()
