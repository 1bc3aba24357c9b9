"""notebooks/magics.ipynb runs to completion on the Eddy kernel, through Debian's nbclient and
through `jupyter nbconvert --to notebook --execute`, and its outputs say what the magics did.

The last cell holds a typo on purpose and is tagged `raises-exception`: its error output must
carry the line, the column and a caret; no other cell may produce an error.
"""

import os
import subprocess
import unittest

import nbformat
from nbclient import NotebookClient

from eddy_testing import SOURCE_DIR, START_TIMEOUT, KernelEnv, strip_ansi

NOTEBOOK = os.path.join(SOURCE_DIR, "notebooks", "magics.ipynb")


def cell_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif out["output_type"] in ("execute_result", "display_data"):
            parts.append(out["data"].get("text/plain", "") or out["data"].get("text/html", ""))
        elif out["output_type"] == "error":
            parts.append("\n".join(out["traceback"]))
    return strip_ansi("".join(parts))


class NotebookChecks:

    def check_outputs(self, nb):
        code = [c for c in nb.cells if c.cell_type == "code"]
        by_source = {c.source: c for c in code}
        counts = [c.execution_count for c in code]
        self.assertTrue(all(isinstance(n, int) for n in counts), "unexecuted cells: %r" % counts)
        self.assertEqual(counts, sorted(counts))
        for c in code:
            errors = [o for o in c.outputs if o["output_type"] == "error"]
            if "raises-exception" in c.metadata.get("tags", []):
                self.assertEqual(len(errors), 1, "cell %r: expected one error" % c.source)
                e = errors[0]
                self.assertIn("wher", e["evalue"])
                tb = strip_ansi("\n".join(e["traceback"]))
                self.assertRegex(tb, r"\bline 2\b")
                self.assertRegex(tb, r"\bcol(umn)? 3\b")
                self.assertIn("^", tb)
            else:
                self.assertEqual(errors, [], "cell %r raised" % c.source)
        self.assertIn("where", cell_text(by_source["%help"]))
        self.assertIn("where", cell_text(by_source["%help where"]))
        listing = cell_text(by_source["%set"])
        for text in ("batch", "200ms", "region", "eu-west-1"):
            self.assertIn(text, listing, "%set listing lacks " + text)


class NotebookMagicsTests(NotebookChecks, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = KernelEnv("eddy")

    @classmethod
    def tearDownClass(cls):
        cls.env.cleanup()

    def test_nbclient_runs_notebook(self):
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(nb, kernel_name="eddy", timeout=60,
                                startup_timeout=int(START_TIMEOUT),
                                resources={"metadata": {"path": self.env.root}})
        client.execute(env=self.env.kernel_env())
        self.check_outputs(nb)

    def test_nbconvert_execute(self):
        out_dir = os.path.join(self.env.root, "nbconvert")
        proc = subprocess.run(
            ["/usr/bin/python3", "-m", "nbconvert", "--to", "notebook", "--execute",
             "--ExecutePreprocessor.kernel_name=eddy", "--ExecutePreprocessor.timeout=60",
             "--output-dir", out_dir, NOTEBOOK],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
            env=self.env.kernel_env(), cwd=self.env.root)
        self.assertEqual(proc.returncode, 0, proc.stdout[-3000:])
        nb = nbformat.read(os.path.join(out_dir, "magics.ipynb"), as_version=4)
        self.check_outputs(nb)


if __name__ == "__main__":
    unittest.main()
